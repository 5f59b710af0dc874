//! Work queues (seed scenario 4): being written.
