//! `run_blocking`: work runs on tokio's blocking pool and its result comes
//! back; a panic in it becomes [`Error::BlockingFailed`] (the calling actor is
//! not failed); and while one actor waits for blocking work, other actors keep
//! answering even on a single-threaded runtime, while the busy actor's own
//! messages wait their turn.

use std::pin::pin;
use std::sync::mpsc as std_mpsc;
use std::thread::ThreadId;

use actor_core::prelude::*;
use actor_test_support::{poll_once, quiet_deliberate_panics, DELIBERATE};
use tokio::sync::oneshot;

/// Hands work to the blocking pool.
struct Cruncher {
    handled: Vec<&'static str>,
}

impl Actor for Cruncher {}

/// Sums 1..=n on the blocking pool.
struct Sum(u64);
impl Message for Sum {
    type Reply = Result<u64, Error>;
}
impl Handler<Sum> for Cruncher {
    async fn handle(&mut self, Sum(n): Sum, _ctx: &mut Context<Self>) -> Result<u64, Error> {
        self.handled.push("sum");
        run_blocking(move || (1..=n).sum()).await
    }
}

/// Blocking work that panics.
struct Explode;
impl Message for Explode {
    type Reply = Result<u64, Error>;
}
impl Handler<Explode> for Cruncher {
    async fn handle(&mut self, _: Explode, _ctx: &mut Context<Self>) -> Result<u64, Error> {
        self.handled.push("explode");
        run_blocking(|| -> u64 { panic!("{DELIBERATE}: blocking work exploded") }).await
    }
}

/// Blocking work that announces itself, then blocks its thread until released.
struct BlockUntilReleased {
    /// The thread the test (and so the single-threaded runtime) runs on.
    runtime_thread: ThreadId,
    entered: oneshot::Sender<()>,
    release: std_mpsc::Receiver<()>,
}
impl Message for BlockUntilReleased {
    type Reply = Result<&'static str, Error>;
}
impl Handler<BlockUntilReleased> for Cruncher {
    async fn handle(
        &mut self,
        msg: BlockUntilReleased,
        _ctx: &mut Context<Self>,
    ) -> Result<&'static str, Error> {
        self.handled.push("block");
        run_blocking(move || {
            if std::thread::current().id() == msg.runtime_thread {
                // Blocking here would stop the runtime, and the test with it;
                // report the mistake instead.
                return "ran on the runtime's own thread";
            }
            let _ = msg.entered.send(());
            let _ = msg.release.recv();
            "released"
        })
        .await
    }
}

/// Replies with what the cruncher has handled so far.
struct Handled;
impl Message for Handled {
    type Reply = Vec<&'static str>;
}
impl Handler<Handled> for Cruncher {
    async fn handle(&mut self, _: Handled, _ctx: &mut Context<Self>) -> Vec<&'static str> {
        self.handled.clone()
    }
}

/// Answers at once.
struct Echo;
impl Actor for Echo {}
struct Say(u32);
impl Message for Say {
    type Reply = u32;
}
impl Handler<Say> for Echo {
    async fn handle(&mut self, Say(n): Say, _ctx: &mut Context<Self>) -> u32 {
        n
    }
}

#[tokio::test]
async fn run_blocking_returns_the_result() {
    assert_eq!(run_blocking(|| 6 * 7).await, Ok(42));
    let cruncher = spawn(Cruncher {
        handled: Vec::new(),
    });
    assert_eq!(cruncher.ask(Sum(1_000)).await, Ok(Ok(500_500)));
}

#[tokio::test]
async fn a_panic_in_blocking_work_is_blocking_failed_and_spares_the_actor() {
    quiet_deliberate_panics();
    let cruncher = spawn(Cruncher {
        handled: Vec::new(),
    });
    let answer = cruncher.ask(Explode).await.expect("the actor replied");
    match answer {
        Err(Error::BlockingFailed { reason }) => {
            assert!(reason.contains("blocking work exploded"), "{reason}");
        }
        other => panic!("expected BlockingFailed, got {other:?}"),
    }
    assert!(cruncher.is_alive());
    assert_eq!(cruncher.ask(Sum(3)).await, Ok(Ok(6)));

    let direct = run_blocking(|| -> () { panic!("{DELIBERATE}: direct") }).await;
    assert!(matches!(direct, Err(Error::BlockingFailed { reason }) if reason.contains("direct")));
}

#[tokio::test(flavor = "current_thread")]
async fn other_actors_answer_while_one_waits_for_blocking_work_on_a_single_thread() {
    let cruncher = spawn(Cruncher {
        handled: Vec::new(),
    });
    let echo = spawn(Echo);
    let (entered, entered_rx) = oneshot::channel();
    let (release, release_rx) = std_mpsc::channel();

    let mut blocked = pin!(cruncher.ask(BlockUntilReleased {
        runtime_thread: std::thread::current().id(),
        entered,
        release: release_rx,
    }));
    assert!(poll_once(blocked.as_mut()).await.is_pending());
    // The work now occupies a blocking-pool thread, and will until released.
    if entered_rx.await.is_err() {
        panic!("the blocking work did not start: {:?}", blocked.await);
    }

    let mut queued = pin!(cruncher.ask(Handled));
    assert!(poll_once(queued.as_mut()).await.is_pending());

    // The runtime's only thread is free: another actor answers, many times.
    for n in 0..100 {
        assert_eq!(echo.ask(Say(n)).await, Ok(n));
    }
    // Meanwhile the busy actor's own message waits behind the blocking work.
    assert!(poll_once(queued.as_mut()).await.is_pending());

    release.send(()).unwrap();
    assert_eq!(blocked.await, Ok(Ok("released")));
    assert_eq!(queued.await, Ok(vec!["block"]));
}
