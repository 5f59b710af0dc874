// `#[messages]` on a trait impl, or on an impl without any `#[message]`.
use actor::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    count: u64,
}

trait Reset {
    fn reset(&mut self);
}

#[messages]
impl Reset for Counter {
    fn reset(&mut self) {
        self.count = 0;
    }
}

#[messages]
impl Counter {
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
