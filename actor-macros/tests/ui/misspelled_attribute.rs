// Misspelt keys: each error names the key that was probably meant.
use actor::prelude::*;

#[derive(Actor)]
#[actor(mailbx = 16)]
struct Counter {
    count: u64,
}

#[derive(Message)]
#[message(rply = u64)]
struct Get;

#[messages]
impl Counter {
    #[message(nmae = Add)]
    pub fn inc(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }
}

#[derive(Actor)]
#[actor(mailbox = unbouned)]
struct Sink;

fn main() {}

#[derive(Actor)]
#[actr(name = "typo")]
struct Typo;

#[messages]
impl Typo {
    #[mesage]
    pub fn ping(&self) {}

    #[message]
    pub fn pong(&self) {}
}
