// `#[actor(remote = ..., accepts(...))]` used wrongly, each with the fix.
use actor::prelude::*;

#[derive(Actor)]
#[actor(accepts(Ping))]
struct AcceptsWithoutName;

#[derive(Actor)]
#[actor(remote = "app counter")]
struct SpacedName;

#[derive(Actor)]
#[actor(remote = "app.generic")]
struct Generic<T: Send + 'static>(T);

struct Ping;

fn main() {}
