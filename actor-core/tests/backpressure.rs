//! Backpressure: a bounded mailbox makes `tell` wait while it is full and
//! `try_tell` fail with [`Error::MailboxFull`], handing the message back.
//! Blocked senders are admitted first-come first-served, give up their place
//! when cancelled, and are refused (message handed back) when the actor stops.
//! An unbounded mailbox never refuses.
//!
//! Every test holds the actor inside a handler with a gate, so "the mailbox is
//! full" is a fact, not a race.

use std::pin::pin;
use std::time::Duration;

use actor_core::prelude::*;
use actor_test_support::{gate, poll_once, Gate};

/// Logs the notes it handles; its mailbox holds `CAP` messages.
#[derive(Default)]
struct Logger<const CAP: usize> {
    log: Vec<u32>,
}

impl<const CAP: usize> Actor for Logger<CAP> {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(CAP)
    }
}

/// Holds the actor in its handler until the gate opens.
struct Hold(Gate);
impl Message for Hold {
    type Reply = ();
}
impl<const CAP: usize> Handler<Hold> for Logger<CAP> {
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        gate.pass().await;
    }
}

/// A note to log.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Note(u32);
impl Message for Note {
    type Reply = ();
}
impl<const CAP: usize> Handler<Note> for Logger<CAP> {
    async fn handle(&mut self, Note(n): Note, _ctx: &mut Context<Self>) {
        self.log.push(n);
    }
}

/// A message with heap data and a destructor, to see it handed back intact.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Text(String);
impl Message for Text {
    type Reply = ();
}
impl<const CAP: usize> Handler<Text> for Logger<CAP> {
    async fn handle(&mut self, Text(text): Text, _ctx: &mut Context<Self>) {
        self.log.push(text.len() as u32);
    }
}

/// Returns the log.
struct Log;
impl Message for Log {
    type Reply = Vec<u32>;
}
impl<const CAP: usize> Handler<Log> for Logger<CAP> {
    async fn handle(&mut self, _: Log, _ctx: &mut Context<Self>) -> Vec<u32> {
        self.log.clone()
    }
}

/// Spawns a logger and holds it inside a handler; the mailbox is then empty
/// and the actor takes nothing more until the returned key opens the gate.
async fn held<const CAP: usize>() -> (ActorRef<Logger<CAP>>, actor_test_support::GateKey) {
    let logger = spawn(Logger::<CAP>::default());
    let (gate, mut key) = gate();
    logger.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    (logger, key)
}

#[tokio::test]
async fn tell_waits_while_the_mailbox_is_full_and_completes_once_released() {
    let (logger, key) = held::<2>().await;
    logger.try_tell(Note(1)).unwrap();
    logger.try_tell(Note(2)).unwrap();

    let mut blocked = pin!(logger.tell(Note(3)));
    assert!(
        poll_once(blocked.as_mut()).await.is_pending(),
        "tell completed although the mailbox was full"
    );
    // Letting every other task run does not change that: only the actor
    // taking messages makes room.
    tokio::task::yield_now().await;
    assert!(poll_once(blocked.as_mut()).await.is_pending());

    key.open();
    blocked
        .await
        .expect("the send completes once there is room");
    assert_eq!(logger.ask(Log).await.unwrap(), vec![1, 2, 3]);
}

#[tokio::test]
async fn try_tell_on_a_full_mailbox_fails_and_hands_the_message_back() {
    let (logger, key) = held::<2>().await;
    logger.try_tell(Note(1)).unwrap();
    logger.try_tell(Text("fits".into())).unwrap();

    let refused = logger
        .try_tell(Text("does not fit".into()))
        .expect_err("the mailbox is full");
    assert_eq!(
        refused.error,
        Error::MailboxFull {
            actor: logger.id(),
            capacity: 2
        }
    );
    assert_eq!(refused.message, Text("does not fit".into()));
    let refused = logger.try_tell(Note(7)).expect_err("still full");
    assert!(matches!(refused.error, Error::MailboxFull { .. }));
    assert_eq!(refused.into_message(), Note(7));

    key.open();
    // The refused messages were not delivered behind the caller's back.
    assert_eq!(logger.ask(Log).await.unwrap(), vec![1, 4]);
}

#[tokio::test(start_paused = true)]
async fn blocked_senders_are_admitted_first_come_first_served() {
    // Capacity 1: exactly one waiting sender fits each time room appears.
    let (logger, first_key) = held::<1>().await;
    let (second_gate, mut second_key) = gate();
    logger.try_tell(Hold(second_gate)).unwrap();

    let mut earlier = pin!(logger.tell(Note(10)));
    let mut later = pin!(logger.tell(Note(20)));
    assert!(poll_once(earlier.as_mut()).await.is_pending());
    assert!(poll_once(later.as_mut()).await.is_pending());

    // The actor takes the second hold into its hands: one place is free now.
    first_key.open();
    second_key.entered().await;

    // The later sender is polled first, yet the place is the earlier one's;
    // nor can a newcomer with `try_tell` jump the line.
    assert!(poll_once(later.as_mut()).await.is_pending());
    let jumped = logger
        .try_tell(Note(99))
        .expect_err("the line is not empty");
    assert!(matches!(jumped.error, Error::MailboxFull { .. }));
    assert!(poll_once(earlier.as_mut()).await.is_ready());
    assert!(poll_once(later.as_mut()).await.is_pending());

    second_key.open();
    later.await.unwrap();
    assert_eq!(logger.ask(Log).await.unwrap(), vec![10, 20]);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_blocked_tell_gives_up_its_place_in_line() {
    let (logger, key) = held::<1>().await;
    logger.try_tell(Note(1)).unwrap();

    let mut cancelled = Box::pin(logger.tell(Note(2)));
    let mut waiting = pin!(logger.tell(Note(3)));
    assert!(poll_once(cancelled.as_mut()).await.is_pending());
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    drop(cancelled);

    key.open();
    // Were the cancelled sender still in line, it would hold the only place
    // and this send would wait forever; under the paused clock the timeout
    // then fires at once instead of hanging the test.
    tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the waiting sender was never admitted")
        .unwrap();
    assert_eq!(logger.ask(Log).await.unwrap(), vec![1, 3]);
}

#[tokio::test]
async fn a_blocked_tell_is_refused_with_its_message_when_the_actor_stops() {
    let (logger, key) = held::<2>().await;
    logger.try_tell(Note(1)).unwrap();
    logger.try_tell(Note(2)).unwrap();
    let mut blocked = pin!(logger.tell(Text("late".into())));
    assert!(poll_once(blocked.as_mut()).await.is_pending());

    logger.stop();
    let refused = blocked
        .await
        .expect_err("a stopping actor takes nothing new");
    assert_eq!(refused.error, Error::Stopped { actor: logger.id() });
    assert_eq!(refused.message, Text("late".into()));

    key.open();
    assert_eq!(logger.join().await, StopReason::Normal);
}

#[tokio::test]
async fn a_blocked_tell_is_refused_with_its_message_when_the_actor_is_killed() {
    let (logger, _key) = held::<1>().await;
    logger.try_tell(Note(1)).unwrap();
    let mut blocked = pin!(logger.tell(Note(2)));
    assert!(poll_once(blocked.as_mut()).await.is_pending());

    logger.kill();
    let refused = blocked.await.expect_err("a killed actor takes nothing new");
    assert_eq!(refused.error, Error::Stopped { actor: logger.id() });
    assert_eq!(refused.message, Note(2));
    assert_eq!(logger.join().await, StopReason::Killed);
}

#[tokio::test]
async fn the_mailbox_holds_capacity_messages_exactly() {
    let (logger, key) = held::<5>().await;
    for n in 0..5 {
        logger
            .try_tell(Note(n))
            .unwrap_or_else(|e| panic!("message {n} of 5 refused: {e}"));
    }
    assert!(matches!(
        logger.try_tell(Note(5)).unwrap_err().error,
        Error::MailboxFull { capacity: 5, .. }
    ));
    key.open();
    assert_eq!(logger.ask(Log).await.unwrap(), vec![0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn a_capacity_of_zero_holds_one_message() {
    let (logger, key) = held::<0>().await;
    logger
        .try_tell(Note(1))
        .expect("a capacity of 0 is treated as 1");
    assert!(matches!(
        logger.try_tell(Note(2)).unwrap_err().error,
        Error::MailboxFull { capacity: 1, .. }
    ));
    key.open();
    assert_eq!(logger.ask(Log).await.unwrap(), vec![1]);
}

/// Like [`Logger`], with an unbounded mailbox.
#[derive(Default)]
struct Hoarder {
    log: Vec<u32>,
}

impl Actor for Hoarder {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl Handler<Hold> for Hoarder {
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        gate.pass().await;
    }
}

impl Handler<Note> for Hoarder {
    async fn handle(&mut self, Note(n): Note, _ctx: &mut Context<Self>) {
        self.log.push(n);
    }
}

impl Handler<Log> for Hoarder {
    async fn handle(&mut self, _: Log, _ctx: &mut Context<Self>) -> Vec<u32> {
        self.log.clone()
    }
}

#[tokio::test]
async fn an_unbounded_mailbox_never_refuses() {
    let hoarder = spawn(Hoarder::default());
    let (gate, mut key) = gate();
    hoarder.tell(Hold(gate)).await.unwrap();
    key.entered().await;

    const COUNT: u32 = 10_000;
    for n in 0..COUNT {
        hoarder
            .try_tell(Note(n))
            .unwrap_or_else(|e| panic!("message {n} refused: {e}"));
    }
    // `tell` does not wait either.
    let mut told = pin!(hoarder.tell(Note(COUNT)));
    assert!(poll_once(told.as_mut()).await.is_ready());

    key.open();
    let log = hoarder.ask(Log).await.unwrap();
    assert_eq!(log, (0..=COUNT).collect::<Vec<_>>());
}
