//! [`Condition`]: a condition variable owned by an actor and bound to a
//! [`Lock`] (Python's `threading.Condition`).
//!
//! A task holding the lock calls [`Condition::wait`] with its guard: it joins
//! the condition's line, the lock is released, and when a notifier wakes it,
//! the condition actor asks the lock for it, so it returns holding the lock
//! again. Notifiers must hold the same lock, which the API checks by taking
//! their guard: Python raises `RuntimeError` when the lock is not held; here
//! it cannot be forgotten. Because a waiter joins the line before its lock is
//! released and a notifier must hold that lock, a notification can never fall
//! between a waiter's check of its predicate and its wait.
//!
//! Woken waiters are served in the order they started waiting: the condition
//! actor queues their lock requests on the lock in that order.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

use super::lock::{self, Lock, LockGuard};
use super::SyncError;
use super::{granted, Waiters};
use crate::ActorId;
use crate::ActorRef;
use crate::AnyActorRef;
use crate::Context;
use crate::Error;
use crate::{Actor, MailboxCapacity};
use crate::{Handler, Message};

/// A condition variable: tasks wait on it holding its [`Lock`] and are woken
/// by [`notify`](Self::notify) or [`notify_all`](Self::notify_all), first
/// waiter first.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use actor_core::sync::Condition;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::sync::SyncError> {
/// let cond = Condition::new();
/// let ready = Arc::new(AtomicBool::new(false));
///
/// let consumer = tokio::spawn({
///     let (cond, ready) = (cond.clone(), ready.clone());
///     async move {
///         let guard = cond.lock().await?;
///         // Releases the lock while waiting; holds it again on return.
///         let _guard = cond.wait_for(guard, || ready.load(Ordering::SeqCst)).await?;
///         Ok::<_, actor_core::sync::SyncError>("consumed")
///     }
/// });
///
/// let guard = cond.lock().await?;
/// ready.store(true, Ordering::SeqCst);
/// cond.notify_all(&guard).await?;
/// drop(guard);
/// assert_eq!(consumer.await.expect("consumer panicked")?, "consumed");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Condition {
    actor: ActorRef<ConditionActor>,
    lock: Lock,
}

static NEXT_TICKET: AtomicU64 = AtomicU64::new(1);

impl Condition {
    /// A condition with a lock of its own (spawns two actors: the lock's and
    /// the condition's).
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new() -> Self {
        Condition::with_lock(Lock::new())
    }

    /// A condition bound to `lock`, for several conditions over one lock (a
    /// bounded buffer's "not empty" and "not full").
    ///
    /// # Panics
    /// When called outside a tokio runtime, or with a lock looked up on
    /// another node: a condition takes its lock again on a waiter's behalf,
    /// which it can do only for a lock in this process.
    pub fn with_lock(lock: Lock) -> Self {
        let Some(lock_actor) = lock.actor() else {
            panic!("a Condition needs a Lock of this process; {lock:?} is on another node");
        };
        let actor = crate::spawn(ConditionActor {
            lock: lock_actor.clone(),
            waiters: Waiters::new(),
        });
        Condition { actor, lock }
    }

    /// The id of the actor that owns this condition.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// The lock this condition is bound to.
    pub fn as_lock(&self) -> &Lock {
        &self.lock
    }

    /// Takes the condition's lock (Python's `with cond:`).
    ///
    /// # Errors
    /// As [`Lock::lock`].
    pub async fn lock(&self) -> Result<LockGuard, SyncError> {
        self.lock.lock().await
    }

    /// Releases the lock held by `guard`, waits to be notified, then takes the
    /// lock again and returns its new guard.
    ///
    /// # Errors
    /// [`SyncError::WrongLock`] if `guard` holds another lock (it is handed back
    /// in the error, still holding it); [`Error::Stopped`] if the condition's
    /// or the lock's actor has ended (the lock is then not held).
    pub async fn wait(&self, guard: LockGuard) -> Result<LockGuard, WaitError> {
        let (_, reply) = self.join_line(guard).await?;
        granted(reply, self.id()).await.map_err(WaitError::lost)
    }

    /// Like [`wait`](Self::wait), but stops waiting for a notification after
    /// `timeout`. Either way it returns holding the lock again, with whether
    /// it was notified (`false`: the time ran out), as Python's
    /// `wait(timeout)` does. Taking the lock again is not limited by
    /// `timeout`.
    ///
    /// # Errors
    /// As [`wait`](Self::wait).
    pub async fn wait_timeout(
        &self,
        guard: LockGuard,
        timeout: Duration,
    ) -> Result<(LockGuard, bool), WaitError> {
        let (ticket, mut reply) = self.join_line(guard).await?;
        let notified = match tokio::time::timeout(timeout, &mut reply).await {
            Ok(Ok(guard)) => return Ok((guard, true)),
            Ok(Err(_)) => return Err(WaitError::lost(Error::Stopped { actor: self.id() }.into())),
            // Leave the line; the condition then asks the lock for us. If a
            // notification came first, it counts.
            Err(_) => !self
                .actor
                .ask(GiveUp { ticket })
                .await
                .map_err(|e| WaitError::lost(e.into()))?,
        };
        let guard = granted(reply, self.id()).await.map_err(WaitError::lost)?;
        Ok((guard, notified))
    }

    /// Waits until `predicate` is true (checked with the lock held, first
    /// before any wait), Python's `wait_for`. Returns holding the lock.
    ///
    /// # Errors
    /// As [`wait`](Self::wait).
    pub async fn wait_for(
        &self,
        mut guard: LockGuard,
        mut predicate: impl FnMut() -> bool,
    ) -> Result<LockGuard, WaitError> {
        while !predicate() {
            guard = self.wait(guard).await?;
        }
        Ok(guard)
    }

    /// Wakes up to `n` waiters, longest waiting first; returns how many were
    /// woken. `guard` proves the caller holds the condition's lock; the woken
    /// waiters take the lock in turn after it is released.
    ///
    /// # Errors
    /// [`SyncError::WrongLock`] if `guard` holds another lock; [`Error::Stopped`]
    /// if the condition's actor has ended.
    pub async fn notify(&self, guard: &LockGuard, n: usize) -> Result<usize, SyncError> {
        self.check(guard)?;
        self.actor.ask(Notify { n }).await.map_err(Into::into)
    }

    /// Wakes every waiter; returns how many were woken.
    ///
    /// # Errors
    /// As [`notify`](Self::notify).
    pub async fn notify_all(&self, guard: &LockGuard) -> Result<usize, SyncError> {
        self.notify(guard, usize::MAX).await
    }

    /// How many are waiting to be notified now.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the condition's actor has ended.
    pub async fn waiting(&self) -> Result<usize, SyncError> {
        self.actor.ask(Waiting).await.map_err(Into::into)
    }

    fn check(&self, guard: &LockGuard) -> Result<(), SyncError> {
        if guard.lock_id() == self.lock.id() {
            Ok(())
        } else {
            Err(SyncError::WrongLock {
                condition: self.id(),
                expected: self.lock.id(),
                found: guard.lock_id(),
            })
        }
    }

    /// Joins the line, then releases the lock: in this order, so that no
    /// notification can come between (a notifier needs the lock).
    async fn join_line(
        &self,
        guard: LockGuard,
    ) -> Result<(u64, oneshot::Receiver<LockGuard>), WaitError> {
        if let Err(error) = self.check(&guard) {
            return Err(WaitError {
                error,
                guard: Some(guard),
            });
        }
        let ticket = NEXT_TICKET.fetch_add(1, Ordering::Relaxed);
        let (reply, receiver) = oneshot::channel();
        let wait = Wait {
            ticket,
            reply,
            watch: guard.watch(),
        };
        if let Err(refused) = self.actor.tell(wait).await {
            return Err(WaitError {
                error: refused.error.into(),
                guard: Some(guard),
            });
        }
        drop(guard);
        Ok((ticket, receiver))
    }
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("id", &self.id())
            .field("lock", &self.lock.id())
            .finish()
    }
}

/// Why a [`Condition`] wait failed, with the guard when the lock is still
/// held (it was never released), so that nothing is lost.
#[derive(Debug)]
pub struct WaitError {
    /// What went wrong.
    pub error: SyncError,
    /// The guard passed in, handed back if the wait failed before releasing
    /// it; `None` if the lock was released and could not be taken again.
    pub guard: Option<LockGuard>,
}

impl WaitError {
    fn lost(error: SyncError) -> Self {
        WaitError { error, guard: None }
    }

    /// Takes the guard back, if the lock is still held.
    pub fn into_guard(self) -> Option<LockGuard> {
        self.guard
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for WaitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<WaitError> for SyncError {
    fn from(e: WaitError) -> Self {
        e.error
    }
}

/// The actor behind a [`Condition`].
struct ConditionActor {
    /// The lock's actor, asked for the lock on each woken waiter's behalf.
    lock: ActorRef<lock::LockActor>,
    /// Waiters with their ticket and the holder their lock was watching.
    waiters: Waiters<LockGuard, (u64, Option<AnyActorRef>)>,
}

impl Actor for ConditionActor {
    fn name() -> &'static str {
        "Condition"
    }

    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl ConditionActor {
    /// Queues the waiter's request for the lock; the lock sends the guard
    /// straight to the waiter.
    fn wake(&self, reply: oneshot::Sender<LockGuard>, watch: Option<AnyActorRef>) {
        // The lock's mailbox is unbounded and the lock lives as long as this
        // condition holds its reference, so this is not refused.
        let _ = self.lock.try_tell(lock::Acquire { reply, watch });
    }
}

/// Joins the line of waiters.
struct Wait {
    ticket: u64,
    reply: oneshot::Sender<LockGuard>,
    watch: Option<AnyActorRef>,
}

impl Message for Wait {
    type Reply = ();
}

impl Handler<Wait> for ConditionActor {
    async fn handle(&mut self, msg: Wait, _ctx: &mut Context<Self>) {
        self.waiters.push(msg.reply, (msg.ticket, msg.watch));
    }
}

/// Wakes up to `n` waiters.
struct Notify {
    n: usize,
}

impl Message for Notify {
    type Reply = usize;
}

impl Handler<Notify> for ConditionActor {
    async fn handle(&mut self, msg: Notify, _ctx: &mut Context<Self>) -> usize {
        let mut woken = 0;
        while woken < msg.n {
            let Some((reply, (_, watch))) = self.waiters.pop() else {
                break;
            };
            self.wake(reply, watch);
            woken += 1;
        }
        woken
    }
}

/// A waiter's time ran out: if it is still in line, it leaves and the lock is
/// asked for on its behalf. Replies whether it was still in line.
struct GiveUp {
    ticket: u64,
}

impl Message for GiveUp {
    type Reply = bool;
}

impl Handler<GiveUp> for ConditionActor {
    async fn handle(&mut self, msg: GiveUp, _ctx: &mut Context<Self>) -> bool {
        let mine = self.waiters.take_where(|(ticket, _)| *ticket == msg.ticket);
        let found = !mine.is_empty();
        for (reply, (_, watch)) in mine {
            self.wake(reply, watch);
        }
        found
    }
}

/// How many are waiting.
struct Waiting;

impl Message for Waiting {
    type Reply = usize;
}

impl Handler<Waiting> for ConditionActor {
    async fn handle(&mut self, _: Waiting, _ctx: &mut Context<Self>) -> usize {
        self.waiters.len()
    }
}
