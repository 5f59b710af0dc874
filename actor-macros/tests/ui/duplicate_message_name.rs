// Two methods that would make the same message, and a message named like
// the actor.
use actor::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    count: u64,
}

#[messages]
impl Counter {
    #[message]
    pub fn get(&self) -> u64 {
        self.count
    }

    #[message(name = Get)]
    pub fn read(&self) -> u64 {
        self.count
    }

    #[message]
    pub fn counter(&self) -> u64 {
        self.count
    }
}

fn main() {}
