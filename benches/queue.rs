//! Queue benchmark: being written.

fn main() {}
