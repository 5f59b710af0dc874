//! Synchronisation primitives (seed scenarios 8 and 9): being written.
