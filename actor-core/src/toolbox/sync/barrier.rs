//! [`Barrier`]: a meeting point for a fixed number of parties, owned by an
//! actor (Python's `threading.Barrier`).
//!
//! Each party calls [`Barrier::wait`]; nobody gets past it until all
//! `parties` have arrived, and then everyone does at once. The barrier is then
//! ready for the next round (a new *generation*). As in Python, a party whose
//! [`wait_timeout`](Barrier::wait_timeout) runs out, or a call to
//! [`abort`](Barrier::abort), *breaks* the barrier: every party waiting and
//! every later `wait` fails with [`SyncError::BarrierBroken`] until
//! [`reset`](Barrier::reset), so that a group never waits forever for a party
//! that is not coming.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

use super::SyncError;
use super::{granted, Waiters};
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::Error;
use crate::{Actor, MailboxCapacity};
use crate::{Handler, Message};

/// A barrier for `parties` parties, reusable round after round.
///
/// A party that stops waiting (its `wait` future is dropped) withdraws its
/// arrival: the barrier counts only parties still waiting.
///
/// ```
/// use actor_core::sync::Barrier;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::sync::SyncError> {
/// let barrier = Barrier::new(3);
/// let mut parties = Vec::new();
/// for _ in 0..3 {
///     let barrier = barrier.clone();
///     parties.push(tokio::spawn(async move { barrier.wait().await }));
/// }
/// let mut leaders = 0;
/// for party in parties {
///     let passed = party.await.expect("party panicked")?;
///     leaders += usize::from(passed.is_leader());
/// }
/// assert_eq!(leaders, 1); // exactly one party is told it is the leader
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Barrier {
    actor: ActorRef<BarrierActor>,
    parties: usize,
}

static NEXT_TICKET: AtomicU64 = AtomicU64::new(1);

impl Barrier {
    /// A barrier that lets parties through `parties` at a time. A barrier for
    /// 0 parties behaves as one for 1.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new(parties: usize) -> Self {
        let parties = parties.max(1);
        let actor = crate::spawn(BarrierActor {
            parties,
            generation: 0,
            broken: false,
            arrived: Waiters::new(),
        });
        Barrier { actor, parties }
    }

    /// The id of the actor that owns this barrier.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// How many parties the barrier waits for.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// Arrives and waits until all parties have arrived.
    ///
    /// # Errors
    /// [`SyncError::BarrierBroken`] if the barrier is broken, or breaks while this
    /// party waits; [`Error::Stopped`] if the barrier's actor has ended.
    pub async fn wait(&self) -> Result<BarrierWaitResult, SyncError> {
        let (_, reply) = self.arrive().await?;
        granted(reply, self.id()).await?
    }

    /// Like [`wait`](Self::wait), but if the other parties have not all
    /// arrived within `timeout`, breaks the barrier (as Python does), so that
    /// the parties waiting with this one fail too rather than wait for ever.
    ///
    /// # Errors
    /// As [`wait`](Self::wait); [`SyncError::BarrierBroken`] when the time runs
    /// out.
    pub async fn wait_timeout(&self, timeout: Duration) -> Result<BarrierWaitResult, SyncError> {
        let (ticket, mut reply) = self.arrive().await?;
        if let Ok(passed) = tokio::time::timeout(timeout, &mut reply).await {
            return passed.map_err(|_| Error::Stopped { actor: self.id() })?;
        }
        // If the round completed meanwhile, the answer is already on its way
        // and the barrier is not broken.
        self.actor.ask(TimedOut { ticket }).await?;
        granted(reply, self.id()).await?
    }

    /// Breaks the barrier: every party waiting, and every later `wait`, fails
    /// with [`SyncError::BarrierBroken`] until [`reset`](Self::reset).
    ///
    /// # Errors
    /// [`Error::Stopped`] if the barrier's actor has ended.
    pub async fn abort(&self) -> Result<(), SyncError> {
        self.actor.ask(Break).await.map_err(Into::into)
    }

    /// Makes a broken barrier usable again, starting a new round. Parties
    /// waiting at that moment fail with [`SyncError::BarrierBroken`], as in
    /// Python.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the barrier's actor has ended.
    pub async fn reset(&self) -> Result<(), SyncError> {
        self.actor.ask(Reset).await.map_err(Into::into)
    }

    /// How many parties are waiting now.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the barrier's actor has ended.
    pub async fn waiting(&self) -> Result<usize, SyncError> {
        self.actor
            .ask(Status)
            .await
            .map(|(waiting, _)| waiting)
            .map_err(Into::into)
    }

    /// Whether the barrier is broken.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the barrier's actor has ended.
    pub async fn is_broken(&self) -> Result<bool, SyncError> {
        self.actor
            .ask(Status)
            .await
            .map(|(_, broken)| broken)
            .map_err(Into::into)
    }

    async fn arrive(&self) -> Result<(u64, oneshot::Receiver<Passed>), SyncError> {
        let ticket = NEXT_TICKET.fetch_add(1, Ordering::Relaxed);
        let (reply, receiver) = oneshot::channel();
        self.actor.tell(Arrive { ticket, reply }).await?;
        Ok((ticket, receiver))
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("id", &self.id())
            .field("parties", &self.parties)
            .finish()
    }
}

/// What a party learns when it gets past the [`Barrier`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult {
    index: usize,
    parties: usize,
    generation: u64,
}

impl BarrierWaitResult {
    /// The order this party arrived in, in `0..parties` (Python's return value
    /// of `wait()`): different for every party of a round.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Whether this party was the last to arrive, the one that let the round
    /// through: exactly one party per round is the leader, to do once what
    /// must be done once.
    pub fn is_leader(&self) -> bool {
        self.index + 1 == self.parties
    }

    /// Which round this was, counting from 0.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// What a waiting party is sent: through, or the barrier broke.
type Passed = Result<BarrierWaitResult, SyncError>;

/// The actor behind a [`Barrier`].
struct BarrierActor {
    parties: usize,
    generation: u64,
    broken: bool,
    /// This round's parties, in arrival order, with their tickets.
    arrived: Waiters<Passed, u64>,
}

impl Actor for BarrierActor {
    fn name() -> &'static str {
        "Barrier"
    }

    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl BarrierActor {
    /// Fails every waiting party with [`SyncError::BarrierBroken`].
    fn fail_waiting(&mut self, barrier: ActorId) {
        for (party, _) in self.arrived.drain() {
            let _ = party.send(Err(SyncError::BarrierBroken { barrier }));
        }
    }
}

/// A party arrives.
struct Arrive {
    ticket: u64,
    reply: oneshot::Sender<Passed>,
}

impl Message for Arrive {
    type Reply = ();
}

impl Handler<Arrive> for BarrierActor {
    async fn handle(&mut self, msg: Arrive, ctx: &mut Context<Self>) {
        if self.broken {
            let _ = msg
                .reply
                .send(Err(SyncError::BarrierBroken { barrier: ctx.id() }));
            return;
        }
        self.arrived.push(msg.reply, msg.ticket);
        // Only parties still waiting count: one that gave up withdrew.
        if self.arrived.len() < self.parties {
            return;
        }
        let generation = self.generation;
        self.generation += 1;
        let parties = self.parties;
        let mut index = 0;
        while let Some((party, _)) = self.arrived.pop() {
            let _ = party.send(Ok(BarrierWaitResult {
                index,
                parties,
                generation,
            }));
            index += 1;
        }
    }
}

/// A party's time ran out: break the barrier if it is still waiting in this
/// round.
struct TimedOut {
    ticket: u64,
}

impl Message for TimedOut {
    type Reply = ();
}

impl Handler<TimedOut> for BarrierActor {
    async fn handle(&mut self, msg: TimedOut, ctx: &mut Context<Self>) {
        let late = self.arrived.take_where(|ticket| *ticket == msg.ticket);
        if late.is_empty() {
            // The round completed or the barrier broke meanwhile: this
            // party's answer is already on its way.
            return;
        }
        self.broken = true;
        let barrier = ctx.id();
        for (party, _) in late {
            let _ = party.send(Err(SyncError::BarrierBroken { barrier }));
        }
        self.fail_waiting(barrier);
    }
}

/// Breaks the barrier.
struct Break;

impl Message for Break {
    type Reply = ();
}

impl Handler<Break> for BarrierActor {
    async fn handle(&mut self, _: Break, ctx: &mut Context<Self>) {
        self.broken = true;
        self.fail_waiting(ctx.id());
    }
}

/// Starts a new round, unbroken.
struct Reset;

impl Message for Reset {
    type Reply = ();
}

impl Handler<Reset> for BarrierActor {
    async fn handle(&mut self, _: Reset, ctx: &mut Context<Self>) {
        self.fail_waiting(ctx.id());
        self.broken = false;
        self.generation += 1;
    }
}

/// How many are waiting, and whether the barrier is broken.
struct Status;

impl Message for Status {
    type Reply = (usize, bool);
}

impl Handler<Status> for BarrierActor {
    async fn handle(&mut self, _: Status, _ctx: &mut Context<Self>) -> (usize, bool) {
        (self.arrived.len(), self.broken)
    }
}
