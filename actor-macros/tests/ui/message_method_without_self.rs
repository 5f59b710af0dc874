// A `#[message]` method without `self`: the error points at its arguments.
use actor::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    count: u64,
}

#[messages]
impl Counter {
    #[message]
    pub fn reset(to: u64) -> u64 {
        to
    }
}

fn main() {}
