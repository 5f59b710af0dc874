//! [`Lock`]: a mutual-exclusion lock owned by an actor, held through a
//! [`LockGuard`] (Python's `threading.Lock`).
//!
//! The lock actor records which hold is current (a token per hold) and queues
//! the waiters. Dropping the guard sends the release; because the guard is
//! dropped when its holder unwinds from a panic, or when the holder actor is
//! killed and its handler dropped, a holder that dies does not leave the lock
//! locked. [`Lock::lock_for`] goes further for holders that cannot be trusted
//! to drop the guard (one that leaked it, or, once locks are exported to other
//! processes, one whose process died): the lock actor monitors the holder and
//! releases the hold when the holder's run ends, however it ends.

use std::fmt;
use std::time::Duration;

use tokio::sync::oneshot;

use super::SyncError;
use super::{granted, offer, release_from_drop, Grant, Waiters};
use crate::link::{AnyActorRef, Down, MonitorRef, Watchable};
use crate::toolbox::remote::lock::{self as remote, LockClient, LockSession};
use crate::toolbox::Patience;
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::Error;
use crate::{Actor, MailboxCapacity};
use crate::{Handler, Message};

/// A lock that one holder at a time may hold; waiters are served in the order
/// they asked.
///
/// The handle is cheap to clone; every clone is the same lock. A guard from
/// [`lock`](Self::lock) holds it until the guard is dropped. The lock is not
/// re-entrant: a holder that asks again waits for itself forever (use
/// [`RLock`](super::RLock) for re-entry).
///
/// ```
/// use std::sync::atomic::{AtomicI64, Ordering};
/// use std::sync::Arc;
/// use actor_core::sync::Lock;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::sync::SyncError> {
/// // The Python tutorial: 100 threads each do `num -= 1` under a lock.
/// let lock = Lock::new();
/// let num = Arc::new(AtomicI64::new(100));
/// let mut tasks = Vec::new();
/// for _ in 0..100 {
///     let (lock, num) = (lock.clone(), num.clone());
///     tasks.push(tokio::spawn(async move {
///         let _guard = lock.lock().await?;
///         // A read, a pause, a write: a lost update without the lock.
///         let read = num.load(Ordering::SeqCst);
///         tokio::task::yield_now().await;
///         num.store(read - 1, Ordering::SeqCst);
///         Ok::<_, actor_core::sync::SyncError>(())
///     }));
/// }
/// for task in tasks {
///     task.await.expect("task panicked")?;
/// }
/// assert_eq!(num.load(Ordering::SeqCst), 0);
/// # Ok(()) }
/// ```
///
/// A lock on another node is a `Lock` too (see [the queue's
/// documentation](crate::queue#on-another-node)). Its handle holds it at
/// most once at a time: a second `lock` through a handle that holds it is
/// refused ([`Error::Failed`]) rather than left waiting for a release that
/// would queue behind it; look the lock up again for each contending task.
/// A hold ends when the handle's connection does.
#[derive(Clone)]
pub struct Lock {
    reach: Reach,
}

/// Where a lock handle's lock is.
#[derive(Clone)]
enum Reach {
    /// In this process: its actor.
    Here(ActorRef<LockActor>),
    /// On another node, through a session there.
    Remote(LockClient),
}

impl Lock {
    /// A new, unlocked lock (spawns its actor).
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new() -> Self {
        Lock {
            reach: Reach::Here(crate::spawn(LockActor {
                held: None,
                next_token: 0,
                waiters: Waiters::new(),
            })),
        }
    }

    /// A handle to a lock on another node, through its client there.
    pub(crate) fn remote(client: LockClient) -> Self {
        Lock {
            reach: Reach::Remote(client),
        }
    }

    /// The id of the actor that owns this lock (for a lock on another node,
    /// of this process's reference to it).
    pub fn id(&self) -> ActorId {
        match &self.reach {
            Reach::Here(actor) => actor.id(),
            Reach::Remote(client) => client.id(),
        }
    }

    /// Waits until the lock is free and takes it. Waiters are served first
    /// come, first served. Dropping the returned guard releases the lock;
    /// dropping this future before it completes gives up the place in line.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the lock's actor has ended (it was killed, or the
    /// runtime is shutting down).
    pub async fn lock(&self) -> Result<LockGuard, SyncError> {
        match &self.reach {
            Reach::Here(actor) => granted(ask_for(actor, None).await?, self.id()).await,
            Reach::Remote(client) => client.lock(None).await,
        }
    }

    /// Like [`lock`](Self::lock), and the lock also watches `holder`: when
    /// the holder's run ends (it stops, fails, or is killed) while this hold is
    /// current, the lock is released even if the guard was never dropped
    /// (leaked with `mem::forget`, or stuck in a process that died). Inside an
    /// actor, pass `&ctx.weak_ref()`. For a lock on another node, this
    /// process watches the holder and releases the hold when it ends.
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn lock_for(&self, holder: &impl Watchable) -> Result<LockGuard, SyncError> {
        let holder = Some(holder.any_ref());
        match &self.reach {
            Reach::Here(actor) => granted(ask_for(actor, holder).await?, self.id()).await,
            Reach::Remote(client) => client.lock(holder).await,
        }
    }

    /// Takes the lock if it is free now; `None` if it is held.
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn try_lock(&self) -> Result<Option<LockGuard>, SyncError> {
        match &self.reach {
            Reach::Here(actor) => actor.ask(TryAcquire).await.map_err(Into::into),
            Reach::Remote(client) => client.acquire(Patience::None, None, "try_lock").await,
        }
    }

    /// Like [`lock`](Self::lock), but gives up after `timeout` and returns
    /// `None` (Python's `acquire(timeout=...)` returning `False`).
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn lock_timeout(&self, timeout: Duration) -> Result<Option<LockGuard>, SyncError> {
        let actor = match &self.reach {
            Reach::Here(actor) => actor,
            Reach::Remote(client) => {
                let wait = Patience::Limit(timeout);
                return client.acquire(wait, None, "lock_timeout").await;
            }
        };
        let reply = ask_for(actor, None).await?;
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(guard)) => Ok(Some(guard)),
            Ok(Err(_)) => Err(Error::Stopped { actor: self.id() }.into()),
            // Dropping the receiver withdraws from the line; a guard granted
            // at this very moment is dropped with it, which releases it.
            Err(_) => Ok(None),
        }
    }

    /// Whether some holder has the lock now.
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn is_locked(&self) -> Result<bool, SyncError> {
        match &self.reach {
            Reach::Here(actor) => actor.ask(IsLocked).await.map_err(Into::into),
            Reach::Remote(client) => client.is_locked().await,
        }
    }

    /// The lock's actor, for a [`Condition`](super::Condition) that takes the
    /// lock again on a waiter's behalf; `None` for a lock on another node.
    pub(crate) fn actor(&self) -> Option<&ActorRef<LockActor>> {
        match &self.reach {
            Reach::Here(actor) => Some(actor),
            Reach::Remote(_) => None,
        }
    }
}

/// Queues a request for the lock; the guard will come on the receiver.
async fn ask_for(
    actor: &ActorRef<LockActor>,
    watch: Option<AnyActorRef>,
) -> Result<oneshot::Receiver<LockGuard>, SyncError> {
    let (reply, receiver) = oneshot::channel();
    actor.tell(Acquire { reply, watch }).await?;
    Ok(receiver)
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Lock").field(&self.id()).finish()
    }
}

/// Proof of holding a [`Lock`]; the lock is released when it is dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard {
    /// `None` once the guard no longer stands for a hold (disarmed).
    lock: Option<HeldWith>,
    lock_id: ActorId,
    token: u64,
    /// The holder the lock watches, if the hold came from `lock_for`.
    watch: Option<AnyActorRef>,
}

/// Who a hold is released with.
enum HeldWith {
    /// The lock's actor, in this process.
    Here(ActorRef<LockActor>),
    /// The session that holds the guard for this process, on the node where
    /// the lock is.
    Remote(ActorRef<LockSession>),
}

impl LockGuard {
    /// The guard of hold `hold` of a lock on another node, kept by `session`.
    pub(crate) fn remote(
        session: ActorRef<LockSession>,
        hold: u64,
        watch: Option<AnyActorRef>,
    ) -> Self {
        LockGuard {
            lock_id: session.id(),
            lock: Some(HeldWith::Remote(session)),
            token: hold,
            watch,
        }
    }

    /// The id of the lock this guard holds.
    pub fn lock_id(&self) -> ActorId {
        self.lock_id
    }

    /// Releases the lock now (the same as dropping the guard).
    pub fn unlock(self) {
        drop(self);
    }

    /// The holder watched for this hold, to keep watching it when a
    /// condition takes the lock again for the same holder.
    pub(crate) fn watch(&self) -> Option<AnyActorRef> {
        self.watch.clone()
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        match self.lock.take() {
            Some(HeldWith::Here(lock)) => release_from_drop(lock, Release { token: self.token }),
            Some(HeldWith::Remote(session)) => remote::release(&session, self.token),
            None => {}
        }
    }
}

impl Grant for LockGuard {
    fn disarm(mut self) {
        self.lock = None;
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("lock", &self.lock_id)
            .field("hold", &self.token)
            .finish_non_exhaustive()
    }
}

/// The actor behind a [`Lock`].
pub(crate) struct LockActor {
    held: Option<Hold>,
    next_token: u64,
    waiters: Waiters<LockGuard, Option<AnyActorRef>>,
}

/// The current hold: its token (a stale guard's release carries an older
/// one) and the monitor of its holder, if it is watched.
struct Hold {
    token: u64,
    monitor: Option<MonitorRef>,
}

impl Actor for LockActor {
    fn name() -> &'static str {
        "Lock"
    }

    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl LockActor {
    /// Gives the free lock to the waiter behind `reply`; `false` if that
    /// waiter has given up (the lock stays free).
    fn grant(
        &mut self,
        reply: oneshot::Sender<LockGuard>,
        watch: Option<AnyActorRef>,
        ctx: &mut Context<Self>,
    ) -> bool {
        let token = self.next_token;
        self.next_token += 1;
        let guard = LockGuard {
            lock: Some(HeldWith::Here(ctx.actor_ref())),
            lock_id: ctx.id(),
            token,
            watch: watch.clone(),
        };
        if !offer(reply, guard) {
            return false;
        }
        let monitor = watch.map(|holder| ctx.monitor(&holder));
        self.held = Some(Hold { token, monitor });
        true
    }

    /// Hands the free lock to the first waiter that still wants it.
    fn serve(&mut self, ctx: &mut Context<Self>) {
        while self.held.is_none() {
            let Some((reply, watch)) = self.waiters.pop() else {
                return;
            };
            self.grant(reply, watch, ctx);
        }
    }

    /// Ends the hold `token` if it is the current one.
    fn release(&mut self, token: u64, ctx: &mut Context<Self>) {
        if self.held.as_ref().is_some_and(|hold| hold.token == token) {
            if let Some(monitor) = self.held.take().and_then(|hold| hold.monitor) {
                ctx.demonitor(&monitor);
            }
            self.serve(ctx);
        }
    }
}

/// Asks for the lock; the guard is sent on `reply` when it is this waiter's
/// turn.
pub(crate) struct Acquire {
    pub(crate) reply: oneshot::Sender<LockGuard>,
    pub(crate) watch: Option<AnyActorRef>,
}

impl Message for Acquire {
    type Reply = ();
}

impl Handler<Acquire> for LockActor {
    async fn handle(&mut self, msg: Acquire, ctx: &mut Context<Self>) {
        if self.held.is_none() && self.waiters.is_empty() {
            self.grant(msg.reply, msg.watch, ctx);
        } else {
            self.waiters.push(msg.reply, msg.watch);
        }
    }
}

/// Takes the lock if it is free.
struct TryAcquire;

impl Message for TryAcquire {
    type Reply = Option<LockGuard>;
}

impl Handler<TryAcquire> for LockActor {
    async fn handle(&mut self, _: TryAcquire, ctx: &mut Context<Self>) -> Option<LockGuard> {
        if self.held.is_some() || !self.waiters.is_empty() {
            return None;
        }
        let (reply, mut receiver) = oneshot::channel();
        self.grant(reply, None, ctx);
        // Sent into our own channel, so it is there. If the asker has given
        // up by the time the reply arrives, the guard is dropped with the
        // reply and releases the lock.
        receiver.try_recv().ok()
    }
}

/// Releases the hold `token` (sent by a guard's `Drop`).
struct Release {
    token: u64,
}

impl Message for Release {
    type Reply = ();
}

impl Handler<Release> for LockActor {
    async fn handle(&mut self, msg: Release, ctx: &mut Context<Self>) {
        self.release(msg.token, ctx);
    }
}

/// Whether the lock is held.
struct IsLocked;

impl Message for IsLocked {
    type Reply = bool;
}

impl Handler<IsLocked> for LockActor {
    async fn handle(&mut self, _: IsLocked, _ctx: &mut Context<Self>) -> bool {
        self.held.is_some()
    }
}

/// A watched holder's run ended: release its hold if it is still current.
impl Handler<Down> for LockActor {
    async fn handle(&mut self, down: Down, ctx: &mut Context<Self>) {
        let current = self.held.as_ref().and_then(|hold| {
            let monitor = hold.monitor.as_ref()?;
            (monitor.id() == down.monitor).then_some(hold.token)
        });
        if let Some(token) = current {
            tracing::debug!(lock = %ctx.id(), holder = %down.id, reason = %down.reason, "the holder of the lock ended; releasing it");
            self.release(token, ctx);
        }
    }
}
