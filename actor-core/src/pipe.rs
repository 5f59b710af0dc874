//! Pipes (seed scenario 5): being written.
