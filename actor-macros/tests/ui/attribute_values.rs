// Values that the macros refuse, each with what to write instead.
use actor::prelude::*;

#[derive(Actor)]
#[actor(mailbox = 0)]
struct Empty;

#[derive(Actor)]
#[actor(name = "")]
struct Nameless;

#[derive(Actor)]
#[actor(name = "twice", name = "again")]
struct Twice;

#[derive(Message)]
#[message(remote)]
struct NoWireName;

#[derive(Message)]
#[message(remote = "bank deposit<v2>")]
struct BadWireName;

fn main() {}
