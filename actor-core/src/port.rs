//! Ports (seed scenario 11): being written.
