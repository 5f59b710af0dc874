//! Fairness between actors sharing a thread: an actor with a long queue hands
//! the thread back after a bounded number of messages, so another actor on a
//! single-threaded runtime is served before the first has worked through its
//! queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actor_core::prelude::*;

/// Counts its messages in a counter others can read.
struct Busy {
    handled: Arc<AtomicUsize>,
}

impl Actor for Busy {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

/// Work that never awaits, so only the runtime's own budget can interrupt a
/// run of these.
struct Chore;
impl Message for Chore {
    type Reply = ();
}
impl Handler<Chore> for Busy {
    async fn handle(&mut self, _: Chore, _ctx: &mut Context<Self>) {
        self.handled.fetch_add(1, Ordering::Relaxed);
    }
}

/// Replies with how many chores the busy actor had done when it was asked.
struct Peek {
    busy: Arc<AtomicUsize>,
}
impl Actor for Peek {}
struct HowFar;
impl Message for HowFar {
    type Reply = usize;
}
impl Handler<HowFar> for Peek {
    async fn handle(&mut self, _: HowFar, _ctx: &mut Context<Self>) -> usize {
        self.busy.load(Ordering::Relaxed)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_long_queue_does_not_starve_other_actors_on_the_same_thread() {
    const CHORES: usize = 10_000;
    let handled = Arc::new(AtomicUsize::new(0));
    let busy = spawn(Busy {
        handled: handled.clone(),
    });
    let peek = spawn(Peek {
        busy: handled.clone(),
    });
    // Everything is queued before either actor runs: this task does not yield
    // until it awaits the answer below.
    for _ in 0..CHORES {
        busy.try_tell(Chore).unwrap();
    }
    let seen = peek.ask(HowFar).await.unwrap();
    assert!(
        seen < CHORES,
        "the other actor was served only after all {CHORES} chores"
    );

    // The busy actor still gets through all of it.
    busy.stop();
    busy.join().await;
    assert_eq!(handled.load(Ordering::Relaxed), CHORES);
}
