//! The envelope's matrix: inline or boxed contents, told or asked, and
//! each of the three ways out (opened by the handler, rejected with a
//! reason, discarded unopened), plus unsealing. Every message counts its
//! drops: each must be dropped exactly once, whichever way it leaves.

use std::cell::Cell as StdCell;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};

use super::*;
use crate::id::ActorId;
use crate::runtime::reply::{self, ReplyReceiver};
use crate::runtime::Cell;

thread_local! {
    /// Drops of `Tracker`s on this thread (each test runs on its own).
    static DROPS: StdCell<usize> = const { StdCell::new(0) };
}

fn drops() -> usize {
    DROPS.with(StdCell::get)
}

/// Counts its drop; zero-sized, so a message made of it stays zero-sized.
struct Tracker;

impl Drop for Tracker {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

trait Payload: Send + 'static {
    fn make(seed: u64) -> Self;
    fn value(&self) -> u64;
}

impl Payload for () {
    fn make(_: u64) -> Self {}
    fn value(&self) -> u64 {
        0
    }
}

impl<const N: usize> Payload for [u64; N] {
    fn make(seed: u64) -> Self {
        std::array::from_fn(|i| seed + i as u64)
    }
    fn value(&self) -> u64 {
        self.iter().sum()
    }
}

/// Over-aligned: never fits the word-aligned inline storage.
#[repr(align(64))]
struct Aligned(u64);

impl Payload for Aligned {
    fn make(seed: u64) -> Self {
        Aligned(seed)
    }
    fn value(&self) -> u64 {
        self.0
    }
}

/// A test message: a payload, and a tracker counting the message's drop.
struct Msg<P> {
    payload: P,
    _tracker: Tracker,
}

impl<P: Payload> Msg<P> {
    fn new(seed: u64) -> Self {
        Msg {
            payload: P::make(seed),
            _tracker: Tracker,
        }
    }

    fn assert_aligned(&self) {
        let address = std::ptr::from_ref(self) as usize;
        assert_eq!(address % mem::align_of::<Self>(), 0, "a misaligned message");
    }
}

impl<P: Payload> Message for Msg<P> {
    type Reply = u64;
}

/// An actor that sums the values of what it handles.
#[derive(Default)]
struct Probe {
    handled: u64,
    messages: usize,
}

impl Actor for Probe {}

impl<P: Payload> Handler<Msg<P>> for Probe {
    async fn handle(&mut self, msg: Msg<P>, _ctx: &mut Context<Self>) -> u64 {
        msg.assert_aligned();
        self.handled += msg.payload.value();
        self.messages += 1;
        msg.payload.value()
    }
}

type Small = Msg<[u64; 2]>; // told and asked inline
type Medium = Msg<[u64; 3]>; // told inline, asked boxed
type Big = Msg<[u64; 8]>; // boxed
type Zst = Msg<()>;
type Over = Msg<Aligned>;

fn fits<C: Contents<Probe>>() -> bool {
    Stored::<C>::FITS
}

#[test]
fn the_test_messages_cover_inline_and_boxed() {
    assert!(fits::<Told<Small>>() && fits::<Asked<Small>>());
    assert!(fits::<Told<Medium>>() && !fits::<Asked<Medium>>());
    assert!(!fits::<Told<Big>>() && !fits::<Asked<Big>>());
    assert!(fits::<Told<Zst>>() && fits::<Asked<Zst>>());
    assert_eq!(mem::size_of::<Zst>(), 0);
    assert!(!fits::<Told<Over>>() && !fits::<Asked<Over>>());
    assert_eq!(mem::align_of::<Over>(), 64);
}

/// An actor, its context, and a handler slot, as a message loop has them.
struct Harness {
    actor: Probe,
    ctx: Context<Probe>,
    slot: HandlerSlot,
}

impl Harness {
    fn new() -> Self {
        let cell = Arc::new(Cell::<Probe>::new(ActorId::next("Probe"), 8));
        Harness {
            actor: Probe::default(),
            ctx: Context::new(cell, None),
            slot: HandlerSlot::new(),
        }
    }

    /// Opens the envelope and runs its handler to the end.
    fn open(&mut self, envelope: Envelope<Probe>) -> Outcome {
        // SAFETY: the actor and context are fields of `self`, borrowed
        // mutably for this whole call, and the slot is emptied before it
        // returns (the handler completes; `clear` otherwise).
        unsafe { envelope.open(&mut self.actor, &mut self.ctx, &mut self.slot) };
        let mut cx = TaskContext::from_waker(Waker::noop());
        let outcome = match self.slot.poll(&mut cx) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => {
                self.slot.clear();
                panic!("the test handlers never wait");
            }
        };
        assert!(self.slot.is_empty());
        outcome
    }
}

fn told<M: Message>(message: M) -> Envelope<Probe>
where
    Probe: Handler<M>,
{
    Envelope::seal(Parcel {
        message,
        reply: None,
    })
}

fn asked<M: Message>(message: M) -> (Envelope<Probe>, ReplyReceiver<M::Reply>)
where
    Probe: Handler<M>,
{
    let (reply, answer) = reply::channel();
    let envelope = Envelope::seal(Parcel {
        message,
        reply: Some(reply),
    });
    (envelope, answer)
}

/// What the asker has been told, which must be something by now: the reply,
/// the failure, or `None` when the message was dropped unanswered.
fn told_asker<R>(answer: ReplyReceiver<R>) -> Option<Result<R, StopReason>> {
    match answer.try_take() {
        Ok(told) => told,
        Err(_) => panic!("the asker is still waiting"),
    }
}

/// Every path, for one message type.
fn every_path<P: Payload>()
where
    Probe: Handler<Msg<P>>,
{
    let start = drops();
    let expected = P::make(7).value();

    // Told, opened: handled once, dropped once.
    let mut harness = Harness::new();
    let envelope = told(Msg::<P>::new(7));
    assert_eq!(envelope.message_type(), TypeId::of::<Msg<P>>());
    assert!(!envelope.is_asked());
    assert_eq!((envelope.message_name())(), std::any::type_name::<Msg<P>>());
    assert_eq!(harness.open(envelope), Ok(()));
    assert_eq!(
        (harness.actor.messages, harness.actor.handled),
        (1, expected)
    );
    assert_eq!(drops(), start + 1);

    // Asked, opened: the asker gets the reply.
    let (envelope, answer) = asked(Msg::<P>::new(7));
    assert!(envelope.is_asked());
    assert_eq!(harness.open(envelope), Ok(()));
    assert_eq!(told_asker(answer), Some(Ok(expected)));
    assert_eq!(harness.actor.messages, 2);
    assert_eq!(drops(), start + 2);

    // Told, rejected: dropped, unhandled.
    told(Msg::<P>::new(7)).reject(StopReason::Killed);
    assert_eq!(drops(), start + 3);

    // Asked, rejected: the asker gets the reason.
    let (envelope, answer) = asked(Msg::<P>::new(7));
    envelope.reject(StopReason::failed("refused"));
    assert_eq!(told_asker(answer), Some(Err(StopReason::failed("refused"))));
    assert_eq!(drops(), start + 4);

    // Told, discarded (say, with the mailbox).
    drop(told(Msg::<P>::new(7)));
    assert_eq!(drops(), start + 5);

    // Asked, discarded: the asker's channel closes.
    let (envelope, answer) = asked(Msg::<P>::new(7));
    drop(envelope);
    assert_eq!(told_asker(answer), None);
    assert_eq!(drops(), start + 6);

    assert_eq!(
        harness.actor.messages, 2,
        "only opened messages are handled"
    );

    // Unsealed as its own type: the parcel comes back whole.
    let parcel = told(Msg::<P>::new(7))
        .unseal::<Msg<P>>()
        .unwrap_or_else(|_| panic!("unsealed as its own type"));
    assert!(parcel.reply.is_none());
    parcel.message.assert_aligned();
    assert_eq!(parcel.message.payload.value(), expected);
    assert_eq!(drops(), start + 6, "unsealing drops nothing");
    drop(parcel);
    assert_eq!(drops(), start + 7);

    let (envelope, answer) = asked(Msg::<P>::new(7));
    let parcel = envelope
        .unseal::<Msg<P>>()
        .unwrap_or_else(|_| panic!("unsealed as its own type"));
    parcel.message.assert_aligned();
    let reply = parcel
        .reply
        .expect("an asked parcel keeps its reply channel");
    reply.send(3);
    assert_eq!(told_asker(answer), Some(Ok(3)));
    drop(parcel.message);
    assert_eq!(drops(), start + 8);
}

#[test]
fn every_path_drops_each_message_once() {
    every_path::<[u64; 2]>();
    every_path::<[u64; 3]>();
    every_path::<[u64; 8]>();
    every_path::<()>();
    every_path::<Aligned>();
}

/// Unsealing as another type hands back the envelope intact, and it still
/// opens as its own.
fn wrong_type<P: Payload, Q: Payload>()
where
    Probe: Handler<Msg<P>> + Handler<Msg<Q>>,
{
    let start = drops();
    let expected = P::make(5).value();
    let mut harness = Harness::new();

    let envelope = match told(Msg::<P>::new(5)).unseal::<Msg<Q>>() {
        Ok(_) => panic!("unsealed as the wrong type"),
        Err(envelope) => envelope,
    };
    assert_eq!(drops(), start, "nothing dropped");
    assert_eq!(envelope.message_type(), TypeId::of::<Msg<P>>());
    assert!(!envelope.is_asked());
    assert_eq!(harness.open(envelope), Ok(()));
    assert_eq!(harness.actor.handled, expected);
    assert_eq!(drops(), start + 1);

    let (envelope, answer) = asked(Msg::<P>::new(5));
    let envelope = match envelope.unseal::<Msg<Q>>() {
        Ok(_) => panic!("unsealed as the wrong type"),
        Err(envelope) => envelope,
    };
    assert!(envelope.is_asked());
    let Err(answer) = answer.try_take() else {
        panic!("the asker should still wait");
    };
    let parcel = envelope
        .unseal::<Msg<P>>()
        .unwrap_or_else(|_| panic!("unsealed as its own type"));
    assert_eq!(parcel.message.payload.value(), expected);
    drop(parcel);
    assert_eq!(told_asker(answer), None);
    assert_eq!(drops(), start + 2);
}

#[test]
fn unsealing_as_another_type_returns_the_envelope_intact() {
    wrong_type::<[u64; 2], [u64; 3]>();
    wrong_type::<[u64; 3], [u64; 2]>();
    wrong_type::<[u64; 8], ()>();
    wrong_type::<(), [u64; 8]>();
    wrong_type::<Aligned, [u64; 2]>();
}

/// A handler that panics: the asker is told why, and the message (moved
/// into the handler) is still dropped once.
struct Boom(Tracker);

impl Message for Boom {
    type Reply = ();
}

impl Handler<Boom> for Probe {
    async fn handle(&mut self, msg: Boom, _ctx: &mut Context<Self>) {
        let _message = msg;
        panic!("boom");
    }
}

#[test]
fn a_panicking_handler_fails_the_asker_and_drops_the_message_once() {
    let start = drops();
    let mut harness = Harness::new();
    let (envelope, answer) = asked(Boom(Tracker));
    let outcome = harness.open(envelope);
    let failure = outcome.expect_err("the handler panicked");
    assert!(failure.to_string().contains("boom"), "{failure}");
    assert_eq!(told_asker(answer), Some(Err(failure)));
    assert_eq!(drops(), start + 1);
}

/// Asks for a reply of `N` words that counts its drop: small replies travel
/// inline, large ones boxed (see `reply::REPLY_WORDS`).
struct Echo<const N: usize>(u64);

/// A reply that counts its drop.
struct Reply<const N: usize>([u64; N], Tracker);

impl<const N: usize> Message for Echo<N> {
    type Reply = Reply<N>;
}

impl<const N: usize> Handler<Echo<N>> for Probe {
    async fn handle(&mut self, Echo(seed): Echo<N>, _ctx: &mut Context<Self>) -> Reply<N> {
        Reply(<[u64; N]>::make(seed), Tracker)
    }
}

/// The handler's answer reaches an asker whole, or is dropped in place
/// for a tell: once either way.
fn replies_of<const N: usize>()
where
    Probe: Handler<Echo<N>>,
{
    let start = drops();
    let mut harness = Harness::new();
    let (envelope, answer) = asked(Echo::<N>(4));
    assert_eq!(harness.open(envelope), Ok(()));
    let Some(Ok(Reply(words, tracker))) = told_asker(answer) else {
        panic!("the asker got no reply");
    };
    assert_eq!(words.value(), <[u64; N]>::make(4).value());
    assert_eq!(drops(), start, "the reply is not dropped on its way");
    drop(tracker);
    assert_eq!(harness.open(told(Echo::<N>(4))), Ok(()));
    assert_eq!(drops(), start + 2, "a told message's reply is dropped once");
}

#[test]
fn replies_of_every_size_arrive_once() {
    replies_of::<1>();
    replies_of::<5>();
    replies_of::<64>();
}

/// What the process's progress record holds, read by the handler of
/// [`Peek`] while it runs.
static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static FINISHED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn progress() -> (u64, u64) {
    use std::sync::atomic::Ordering::Acquire;
    (STARTED.load(Acquire), FINISHED.load(Acquire))
}

/// Answers with the progress record as its handler sees it; panics if
/// told to.
struct Peek {
    panic: bool,
    _tracker: Tracker,
}

impl Message for Peek {
    type Reply = (u64, u64);
}

impl Handler<Peek> for Probe {
    async fn handle(&mut self, peek: Peek, _ctx: &mut Context<Self>) -> (u64, u64) {
        assert!(!peek.panic, "boom: told to");
        progress()
    }
}

fn fed<M: Message>(
    message: M,
    number: u64,
    asked: bool,
) -> (Envelope<Probe>, ReplyReceiver<M::Reply>)
where
    Probe: Handler<M>,
{
    let (reply, answer) = reply::channel();
    let envelope = Envelope::seal_fed(
        Parcel {
            message,
            reply: asked.then_some(reply),
        },
        number,
    );
    (envelope, answer)
}

/// The one test that sets the process's record (it is set once per
/// process): a fed message's number is *started* while its handler runs and
/// *finished* once it has answered; a handler that panics leaves it
/// started; other messages leave the record alone; a fed envelope does not
/// unseal by type; every message is dropped once whichever way it goes.
#[test]
fn fed_messages_record_their_progress() {
    assert!(super::fed::record_progress_in(&STARTED, &FINISHED));
    assert!(
        !super::fed::record_progress_in(&STARTED, &FINISHED),
        "set once"
    );
    let start = drops();
    let mut harness = Harness::new();

    let (envelope, answer) = fed(
        Peek {
            panic: false,
            _tracker: Tracker,
        },
        1,
        true,
    );
    assert_eq!(harness.open(envelope), Ok(()));
    assert_eq!(
        told_asker(answer),
        Some(Ok((1, 0))),
        "started while running"
    );
    assert_eq!(progress(), (1, 1), "finished once answered");

    // Told, and boxed (large): the same.
    let (envelope, _) = fed(Msg::<[u64; 8]>::new(2), 2, false);
    assert_eq!(harness.open(envelope), Ok(()));
    assert_eq!(progress(), (2, 2));

    // An ordinary message is not counted.
    let (envelope, answer) = asked(Peek {
        panic: false,
        _tracker: Tracker,
    });
    assert_eq!(harness.open(envelope), Ok(()));
    assert_eq!(told_asker(answer), Some(Ok((2, 2))));
    assert_eq!(progress(), (2, 2));

    // A handler that panics leaves its message started, not finished.
    let (envelope, answer) = fed(
        Peek {
            panic: true,
            _tracker: Tracker,
        },
        3,
        true,
    );
    assert!(harness.open(envelope).is_err());
    assert!(matches!(told_asker(answer), Some(Err(_))));
    assert_eq!(progress(), (3, 2));

    // Not unsealed by type; rejected and discarded without counting.
    let (envelope, _) = fed(Msg::<[u64; 2]>::new(4), 4, false);
    let envelope = match envelope.unseal::<Msg<[u64; 2]>>() {
        Ok(_) => panic!("a fed envelope unsealed by type"),
        Err(envelope) => envelope,
    };
    assert!(!envelope.is_asked());
    envelope.reject(StopReason::Killed);
    let (envelope, answer) = fed(Msg::<[u64; 8]>::new(5), 5, true);
    assert!(envelope.is_asked());
    envelope.reject(StopReason::failed("refused"));
    assert_eq!(told_asker(answer), Some(Err(StopReason::failed("refused"))));
    drop(fed(Msg::<[u64; 8]>::new(6), 6, false));
    assert_eq!(progress(), (3, 2), "only opened messages count");
    assert_eq!(drops(), start + 7, "each message dropped once");
}
