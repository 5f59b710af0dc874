// An async `#[message]` method that holds an `Rc` across an `.await`: its
// future is not `Send`, and the error points at the method.
use std::rc::Rc;

use actor::prelude::*;

#[derive(Actor, Default)]
struct Worker {
    done: u64,
}

#[messages]
impl Worker {
    #[message]
    pub async fn work(&mut self) -> u64 {
        let local = Rc::new(1);
        tokio::task::yield_now().await;
        self.done += *local;
        self.done
    }
}

fn main() {}
