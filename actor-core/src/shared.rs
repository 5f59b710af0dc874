//! Shared state (seed scenario 6): being written.
