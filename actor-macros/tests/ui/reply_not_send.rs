// A reply type that is not `Send`, on a method and on a derived message: the
// errors point at the reply types.
use std::rc::Rc;

use actor::prelude::*;

#[derive(Actor, Default)]
struct Cache {
    value: String,
}

#[messages]
impl Cache {
    #[message]
    pub fn shared(&self) -> Rc<String> {
        Rc::new(self.value.clone())
    }
}

#[derive(Message)]
#[message(reply = Rc<String>)]
struct Snapshot;

fn main() {}
