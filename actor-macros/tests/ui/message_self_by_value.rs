// A `#[message]` method that takes `self` by value would consume the actor.
use actor::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    count: u64,
}

#[messages]
impl Counter {
    #[message]
    pub fn finish(self) -> u64 {
        self.count
    }
}

fn main() {}
