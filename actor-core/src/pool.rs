//! Pools (seed scenario 2): being written.
