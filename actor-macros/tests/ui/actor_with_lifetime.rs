// Actors and messages are `'static`: a lifetime parameter is refused.
use actor::prelude::*;

#[derive(Actor)]
struct Parser<'a> {
    input: &'a str,
}

#[derive(Message)]
struct Line<'a> {
    text: &'a str,
}

fn main() {}
