//! Queues (seed scenario 3): being written.
