//! Request/reply: `ask` returns the handler's reply; `ask_timeout` gives up
//! with [`Error::Timeout`] after the time allowed (measured on tokio's paused
//! clock), including time spent waiting for room in the mailbox; an asker that
//! gives up does not disturb the actor; and asking or telling an actor that has
//! stopped is refused with [`Error::Stopped`], a told message being handed back.

use std::pin::pin;
use std::time::Duration;

use actor_core::prelude::*;
use actor_test_support::{gate, poll_once, Gate};
use tokio::time::Instant;

/// Doubles numbers; can be held at a gate, or made to take its time.
#[derive(Default)]
struct Doubler {
    handled: Vec<u64>,
}

impl Actor for Doubler {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(1)
    }
}

/// Replies with twice the number.
#[derive(Debug, PartialEq, Eq)]
struct Double(u64);
impl Message for Double {
    type Reply = u64;
}
impl Handler<Double> for Doubler {
    async fn handle(&mut self, Double(n): Double, _ctx: &mut Context<Self>) -> u64 {
        self.handled.push(n);
        n * 2
    }
}

/// Replies after the gate opens.
struct HoldThenReply(Gate, u64);
impl Message for HoldThenReply {
    type Reply = u64;
}
impl Handler<HoldThenReply> for Doubler {
    async fn handle(
        &mut self,
        HoldThenReply(gate, n): HoldThenReply,
        _: &mut Context<Self>,
    ) -> u64 {
        gate.pass().await;
        self.handled.push(n);
        n
    }
}

/// Replies after a (paused-clock) delay.
struct Slow(Duration);
impl Message for Slow {
    type Reply = &'static str;
}
impl Handler<Slow> for Doubler {
    async fn handle(&mut self, Slow(delay): Slow, _ctx: &mut Context<Self>) -> &'static str {
        tokio::time::sleep(delay).await;
        "done"
    }
}

/// Returns the numbers handled so far.
struct Handled;
impl Message for Handled {
    type Reply = Vec<u64>;
}
impl Handler<Handled> for Doubler {
    async fn handle(&mut self, _: Handled, _ctx: &mut Context<Self>) -> Vec<u64> {
        self.handled.clone()
    }
}

#[tokio::test]
async fn ask_returns_the_handlers_reply() {
    let doubler = spawn(Doubler::default());
    assert_eq!(doubler.ask(Double(21)).await, Ok(42));
    assert_eq!(doubler.ask(Double(0)).await, Ok(0));
    assert_eq!(doubler.ask(Handled).await, Ok(vec![21, 0]));
}

#[tokio::test(start_paused = true)]
async fn ask_timeout_expires_with_a_timeout_error_after_the_time_allowed() {
    let doubler = spawn(Doubler::default());
    let (gate, mut key) = gate();
    let timeout = Duration::from_secs(5);

    let asked_at = Instant::now();
    let mut ask = pin!(doubler.ask_timeout(HoldThenReply(gate, 7), timeout));
    assert!(poll_once(ask.as_mut()).await.is_pending());
    key.entered().await;
    // The actor is in the handler and stays there; only time can end the ask.
    let answer = ask.await;
    let waited = asked_at.elapsed();
    assert_eq!(
        answer,
        Err(Error::Timeout {
            actor: doubler.id(),
            timeout
        })
    );
    assert!(
        waited >= timeout,
        "gave up after {waited:?}, before {timeout:?}"
    );

    // The timed-out message is still handled; the actor carries on.
    key.open();
    assert_eq!(doubler.ask(Double(1)).await, Ok(2));
    assert_eq!(doubler.ask(Handled).await, Ok(vec![7, 1]));
}

#[tokio::test(start_paused = true)]
async fn ask_timeout_returns_a_reply_that_comes_in_time() {
    let doubler = spawn(Doubler::default());
    let started = Instant::now();
    let reply = doubler
        .ask_timeout(Slow(Duration::from_secs(4)), Duration::from_secs(5))
        .await;
    assert_eq!(reply, Ok("done"));
    assert!(started.elapsed() >= Duration::from_secs(4));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn ask_timeout_counts_the_wait_for_room_and_then_leaves_the_line() {
    let doubler = spawn(Doubler::default());
    let (gate, mut key) = gate();
    doubler.tell(HoldThenReply(gate, 100)).await.unwrap();
    key.entered().await;
    doubler.try_tell(Double(1)).unwrap(); // the mailbox (capacity 1) is full

    let timeout = Duration::from_secs(2);
    let asked_at = Instant::now();
    let answer = doubler.ask_timeout(Double(2), timeout).await;
    assert_eq!(
        answer,
        Err(Error::Timeout {
            actor: doubler.id(),
            timeout
        })
    );
    assert!(asked_at.elapsed() >= timeout);

    // The asker that gave up is out of line: a new sender gets the next place
    // at once (were the old ticket still first in line, it would wait).
    key.open();
    let mut next = pin!(doubler.tell(Double(3)));
    tokio::time::timeout(Duration::from_secs(60), next.as_mut())
        .await
        .expect("the sender behind the timed-out ask was never admitted")
        .unwrap();
    // The timed-out message never entered the mailbox.
    assert_eq!(doubler.ask(Handled).await, Ok(vec![100, 1, 3]));
}

#[tokio::test]
async fn an_asker_that_gives_up_does_not_disturb_the_actor() {
    let doubler = spawn(Doubler::default());
    let (gate, mut key) = gate();
    let mut held = Box::pin(doubler.ask(HoldThenReply(gate, 5)));
    assert!(poll_once(held.as_mut()).await.is_pending());
    key.entered().await;
    drop(held); // nobody is left to read the reply

    key.open();
    assert_eq!(doubler.ask(Double(4)).await, Ok(8));
    assert_eq!(doubler.ask(Handled).await, Ok(vec![5, 4]));
    assert!(doubler.is_alive());
}

#[tokio::test]
async fn ask_and_tell_to_a_stopped_actor_are_refused() {
    let doubler = spawn(Doubler::default());
    doubler.stop();
    assert_eq!(doubler.join().await, StopReason::Normal);
    assert!(!doubler.is_alive());
    let stopped = Error::Stopped {
        actor: doubler.id(),
    };

    assert_eq!(doubler.ask(Double(1)).await, Err(stopped.clone()));
    assert_eq!(
        doubler.ask_timeout(Double(1), Duration::from_secs(1)).await,
        Err(stopped.clone())
    );

    let told = doubler
        .tell(Double(2))
        .await
        .expect_err("the actor stopped");
    assert_eq!(told.error, stopped);
    assert_eq!(told.message, Double(2), "the message is handed back");

    let tried = doubler.try_tell(Double(3)).expect_err("the actor stopped");
    assert_eq!(tried.error, stopped);
    assert_eq!(tried.into_message(), Double(3));

    // `SendError` converts into the plain error for `?` users.
    let plain: Error = doubler.try_tell(Double(4)).unwrap_err().into();
    assert_eq!(plain, stopped);
}

#[tokio::test]
async fn an_actor_that_is_stopping_already_refuses_new_messages() {
    let doubler = spawn(Doubler::default());
    let (gate, mut key) = gate();
    doubler.tell(HoldThenReply(gate, 1)).await.unwrap();
    key.entered().await;

    doubler.stop();
    assert!(doubler.is_alive(), "still inside its handler");
    let refused = doubler.try_tell(Double(2)).expect_err("stopping");
    assert_eq!(
        refused.error,
        Error::Stopped {
            actor: doubler.id()
        }
    );
    assert_eq!(
        doubler.ask(Double(3)).await,
        Err(Error::Stopped {
            actor: doubler.id()
        })
    );

    key.open();
    assert_eq!(doubler.join().await, StopReason::Normal);
}
