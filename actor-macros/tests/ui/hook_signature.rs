// A hook named in `#[actor(...)]` must exist and be an `async fn`.
use actor::prelude::*;

#[derive(Actor)]
#[actor(started = boot, stopped = on_stop)]
struct Service;

impl Service {
    fn on_stop(&mut self, _reason: &StopReason) {}
}

fn main() {}
