//! [`RLock`]: a re-entrant lock owned by an actor (Python's
//! `threading.RLock`), and the [`Owner`] identities it is held by.
//!
//! A thread in Python is implicitly the owner of the `RLock` it acquired. A
//! task has no such implicit identity, so every call names its owner: an
//! actor (`ctx.id()`, or [`Owner::of(ctx)`](Owner::of) to have the lock watch
//! it) or a token made with [`Owner::task`] for code outside actors. The same
//! owner may take the lock again while holding it; each acquisition is one
//! level, and the lock is free again when every level is released. A release
//! by anyone but the owner is refused with a typed error, as Python raises
//! `RuntimeError`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

use super::SyncError;
use super::{granted, offer, release_from_drop, Grant, Waiters};
use crate::link::{AnyActorRef, Down, MonitorRef, Watchable};
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::Error;
use crate::{Actor, MailboxCapacity};
use crate::{Handler, Message};

/// Who holds a re-entrant lock: an actor, or a task owner made with
/// [`Owner::task`]. Shown in [`SyncError::NotLockOwner`] and by
/// [`RLock::holder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OwnerId {
    /// An actor.
    Actor(ActorId),
    /// An owner that is not an actor, made by [`Owner::task`].
    Task(u64),
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OwnerId::Actor(id) => write!(f, "actor {id}"),
            OwnerId::Task(n) => write!(f, "task owner #{n}"),
        }
    }
}

static NEXT_TASK_OWNER: AtomicU64 = AtomicU64::new(1);

/// The identity an [`RLock`] is acquired and released by, and optionally an
/// actor for the lock to watch.
///
/// Every `RLock` method takes `impl Into<Owner>`: pass an [`ActorId`]
/// (`ctx.id()`), an `&Owner`, or an `Owner`. An owner made with
/// [`Owner::of`] or [`Owner::watching`] is also watched: if that actor's run
/// ends while it holds the lock, the lock is released entirely, so an owner
/// that dies holding levels acquired with [`RLock::acquire`] (which have no
/// guard to drop) does not leave it locked.
#[derive(Clone)]
pub struct Owner {
    id: OwnerId,
    watch: Option<AnyActorRef>,
}

impl Owner {
    /// A new owner identity, different from every other, for code that is not
    /// an actor. Keep it and pass `&owner` to every call made as this owner.
    pub fn task() -> Owner {
        Owner {
            id: OwnerId::Task(NEXT_TASK_OWNER.fetch_add(1, Ordering::Relaxed)),
            watch: None,
        }
    }

    /// The actor running with `ctx`, watched: the lock is released if the
    /// actor's run ends while it holds it.
    pub fn of<A: Actor>(ctx: &Context<A>) -> Owner {
        Owner::watching(&ctx.weak_ref())
    }

    /// The actor `actor` refers to, watched: the lock is released if its run
    /// ends while it holds the lock.
    pub fn watching(actor: &impl Watchable) -> Owner {
        let control = actor.any_ref();
        Owner {
            id: OwnerId::Actor(control.id()),
            watch: Some(control),
        }
    }

    /// This owner's identity.
    pub fn id(&self) -> OwnerId {
        self.id
    }
}

impl From<ActorId> for Owner {
    /// The actor `id`, not watched.
    fn from(id: ActorId) -> Self {
        Owner {
            id: OwnerId::Actor(id),
            watch: None,
        }
    }
}

impl From<OwnerId> for Owner {
    /// The identity `id`, not watched.
    fn from(id: OwnerId) -> Self {
        Owner { id, watch: None }
    }
}

impl From<&Owner> for Owner {
    fn from(owner: &Owner) -> Self {
        owner.clone()
    }
}

impl fmt::Debug for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Owner")
            .field("id", &self.id)
            .field("watched", &self.watch.is_some())
            .finish()
    }
}

/// A re-entrant lock: held by one [`Owner`] at a time, which may take it again
/// while holding it. Waiting owners are served in the order they asked.
///
/// Two styles, which may be mixed: guards ([`lock`](Self::lock), one level per
/// guard, released when the guard drops) and Python's explicit
/// [`acquire`](Self::acquire) / [`release`](Self::release).
///
/// ```
/// use actor_core::sync::{Owner, RLock};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::sync::SyncError> {
/// let lock = RLock::new();
/// let me = Owner::task();
/// let other = Owner::task();
///
/// lock.acquire(&me).await?;           // the Python tutorial's run3
/// lock.acquire(&me).await?;           // run1, inside it: re-entry
/// lock.release(&me).await?;
/// assert!(lock.release(&other).await.is_err()); // not the owner
/// assert!(!lock.try_acquire(&other).await?);    // still held by `me`
/// lock.release(&me).await?;
/// assert!(lock.try_acquire(&other).await?);     // free now
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RLock {
    actor: ActorRef<RLockActor>,
}

impl RLock {
    /// A new, unlocked re-entrant lock (spawns its actor).
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new() -> Self {
        RLock {
            actor: crate::spawn(RLockActor {
                hold: None,
                next_token: 0,
                waiters: Waiters::new(),
            }),
        }
    }

    /// The id of the actor that owns this lock.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// Takes one level of the lock as `owner`: at once if it is free or
    /// `owner` already holds it, otherwise when it is this owner's turn.
    /// Dropping the guard releases that level.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the lock's actor has ended.
    pub async fn lock(&self, owner: impl Into<Owner>) -> Result<RLockGuard, SyncError> {
        let reply = self.ask_for(owner.into()).await?;
        granted(reply, self.id()).await
    }

    /// Takes one level if the lock is free or `owner` holds it; `None` if
    /// another owner holds it.
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn try_lock(&self, owner: impl Into<Owner>) -> Result<Option<RLockGuard>, SyncError> {
        self.actor
            .ask(TryAcquire(owner.into()))
            .await
            .map_err(Into::into)
    }

    /// Like [`lock`](Self::lock), but gives up after `timeout` and returns
    /// `None`.
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn lock_timeout(
        &self,
        owner: impl Into<Owner>,
        timeout: Duration,
    ) -> Result<Option<RLockGuard>, SyncError> {
        let reply = self.ask_for(owner.into()).await?;
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(guard)) => Ok(Some(guard)),
            Ok(Err(_)) => Err(Error::Stopped { actor: self.id() }.into()),
            Err(_) => Ok(None),
        }
    }

    /// Python's `acquire()`: takes one level as `owner`, to be given back with
    /// [`release`](Self::release).
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn acquire(&self, owner: impl Into<Owner>) -> Result<(), SyncError> {
        self.lock(owner).await?.forget();
        Ok(())
    }

    /// Python's `acquire(blocking=False)`: takes one level if the lock is
    /// free or `owner` holds it; returns whether it did.
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn try_acquire(&self, owner: impl Into<Owner>) -> Result<bool, SyncError> {
        Ok(self
            .try_lock(owner)
            .await?
            .map(RLockGuard::forget)
            .is_some())
    }

    /// Python's `acquire(timeout=...)`: returns whether the level was taken
    /// before `timeout`.
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn acquire_timeout(
        &self,
        owner: impl Into<Owner>,
        timeout: Duration,
    ) -> Result<bool, SyncError> {
        let guard = self.lock_timeout(owner, timeout).await?;
        Ok(guard.map(RLockGuard::forget).is_some())
    }

    /// Python's `release()`: gives back one level held by `owner`; the lock
    /// is free when the last level is given back.
    ///
    /// # Errors
    /// [`SyncError::NotLockOwner`] if another owner holds the lock,
    /// [`SyncError::LockNotHeld`] if nobody does; [`Error::Stopped`] if the
    /// lock's actor has ended.
    pub async fn release(&self, owner: impl Into<Owner>) -> Result<(), SyncError> {
        self.actor
            .ask(Release {
                owner: owner.into().id,
                token: None,
            })
            .await?
    }

    /// Who holds the lock now, and how many levels; `None` when it is free.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the lock's actor has ended.
    pub async fn holder(&self) -> Result<Option<(OwnerId, usize)>, SyncError> {
        self.actor.ask(Holder).await.map_err(Into::into)
    }

    async fn ask_for(&self, owner: Owner) -> Result<oneshot::Receiver<RLockGuard>, SyncError> {
        let (reply, receiver) = oneshot::channel();
        self.actor.tell(Acquire { owner, reply }).await?;
        Ok(receiver)
    }
}

impl Default for RLock {
    fn default() -> Self {
        RLock::new()
    }
}

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RLock").field(&self.id()).finish()
    }
}

/// One level of an [`RLock`], held by its owner; dropping it releases that
/// level.
#[must_use = "the level is released as soon as the guard is dropped"]
pub struct RLockGuard {
    /// `None` once the guard no longer stands for a level.
    lock: Option<ActorRef<RLockActor>>,
    lock_id: ActorId,
    owner: OwnerId,
    token: u64,
}

impl RLockGuard {
    /// The id of the lock this guard holds a level of.
    pub fn lock_id(&self) -> ActorId {
        self.lock_id
    }

    /// The owner holding the level.
    pub fn owner(&self) -> OwnerId {
        self.owner
    }

    /// Releases the level now (the same as dropping the guard).
    pub fn unlock(self) {
        drop(self);
    }

    /// Keeps the level without a guard: it stays held until its owner calls
    /// [`RLock::release`] (or, for a watched owner, until the owner ends).
    pub fn forget(mut self) {
        self.lock = None;
    }
}

impl Drop for RLockGuard {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take() {
            let release = Release {
                owner: self.owner,
                token: Some(self.token),
            };
            release_from_drop(lock, release);
        }
    }
}

impl Grant for RLockGuard {
    fn disarm(mut self) {
        self.lock = None;
    }
}

impl fmt::Debug for RLockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard")
            .field("lock", &self.lock_id)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

/// The actor behind an [`RLock`].
pub(crate) struct RLockActor {
    hold: Option<Hold>,
    next_token: u64,
    waiters: Waiters<RLockGuard, Owner>,
}

/// The current hold: whose it is, how many levels, its token (guards of an
/// earlier hold carry an older one), and the monitor of a watched owner.
struct Hold {
    owner: OwnerId,
    depth: usize,
    token: u64,
    monitor: Option<MonitorRef>,
}

impl Actor for RLockActor {
    fn name() -> &'static str {
        "RLock"
    }

    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl RLockActor {
    /// Gives one level to `owner`, which either holds the lock or finds it
    /// free; `false` if the waiter behind `reply` has given up.
    fn enter(
        &mut self,
        reply: oneshot::Sender<RLockGuard>,
        owner: Owner,
        ctx: &mut Context<Self>,
    ) -> bool {
        let token = match &self.hold {
            Some(hold) => hold.token,
            None => {
                self.next_token += 1;
                self.next_token
            }
        };
        let guard = RLockGuard {
            lock: Some(ctx.actor_ref()),
            lock_id: ctx.id(),
            owner: owner.id,
            token,
        };
        if !offer(reply, guard) {
            return false;
        }
        let hold = self.hold.get_or_insert(Hold {
            owner: owner.id,
            depth: 0,
            token,
            monitor: None,
        });
        hold.depth += 1;
        if hold.monitor.is_none() {
            if let Some(watch) = owner.watch {
                hold.monitor = Some(ctx.monitor(&watch));
            }
        }
        true
    }

    /// Whether `owner` may take a level now.
    fn may_enter(&self, owner: OwnerId) -> bool {
        match &self.hold {
            Some(hold) => hold.owner == owner,
            None => self.waiters.is_empty(),
        }
    }

    /// Hands the free lock to the first waiter that still wants it, with
    /// every other level its owner is waiting for.
    fn serve(&mut self, ctx: &mut Context<Self>) {
        while self.hold.is_none() {
            let Some((reply, owner)) = self.waiters.pop() else {
                return;
            };
            let id = owner.id;
            if self.enter(reply, owner, ctx) {
                for (reply, owner) in self.waiters.take_where(|o| o.id == id) {
                    self.enter(reply, owner, ctx);
                }
            }
        }
    }

    /// Ends the current hold, whatever its depth.
    fn end_hold(&mut self, ctx: &mut Context<Self>) {
        if let Some(monitor) = self.hold.take().and_then(|hold| hold.monitor) {
            ctx.demonitor(&monitor);
        }
        self.serve(ctx);
    }
}

/// Asks for one level as `owner`; the guard comes on `reply`.
struct Acquire {
    owner: Owner,
    reply: oneshot::Sender<RLockGuard>,
}

impl Message for Acquire {
    type Reply = ();
}

impl Handler<Acquire> for RLockActor {
    async fn handle(&mut self, msg: Acquire, ctx: &mut Context<Self>) {
        if self.may_enter(msg.owner.id) {
            self.enter(msg.reply, msg.owner, ctx);
        } else {
            self.waiters.push(msg.reply, msg.owner);
        }
    }
}

/// Takes a level if that is possible now.
struct TryAcquire(Owner);

impl Message for TryAcquire {
    type Reply = Option<RLockGuard>;
}

impl Handler<TryAcquire> for RLockActor {
    async fn handle(&mut self, msg: TryAcquire, ctx: &mut Context<Self>) -> Option<RLockGuard> {
        if !self.may_enter(msg.0.id) {
            return None;
        }
        let (reply, mut receiver) = oneshot::channel();
        self.enter(reply, msg.0, ctx);
        receiver.try_recv().ok()
    }
}

/// Gives back one level: from a guard's `Drop` (with its hold's token) or
/// from [`RLock::release`] (without).
struct Release {
    owner: OwnerId,
    token: Option<u64>,
}

impl Message for Release {
    type Reply = Result<(), SyncError>;
}

impl Handler<Release> for RLockActor {
    async fn handle(&mut self, msg: Release, ctx: &mut Context<Self>) -> Result<(), SyncError> {
        let current = self.hold.as_ref().map(|hold| hold.token);
        if msg.token.is_some() && msg.token != current {
            // A guard of a hold that has already ended (its owner was
            // watched and ended): nothing of it is left to release.
            return Ok(());
        }
        let lock = ctx.id();
        let Some(hold) = &mut self.hold else {
            return Err(SyncError::LockNotHeld {
                lock,
                caller: msg.owner,
            });
        };
        if hold.owner != msg.owner {
            return Err(SyncError::NotLockOwner {
                lock,
                caller: msg.owner,
                holder: hold.owner,
            });
        }
        hold.depth -= 1;
        if hold.depth == 0 {
            self.end_hold(ctx);
        }
        Ok(())
    }
}

/// Who holds the lock, and how many levels.
struct Holder;

impl Message for Holder {
    type Reply = Option<(OwnerId, usize)>;
}

impl Handler<Holder> for RLockActor {
    async fn handle(&mut self, _: Holder, _ctx: &mut Context<Self>) -> Option<(OwnerId, usize)> {
        self.hold.as_ref().map(|hold| (hold.owner, hold.depth))
    }
}

/// A watched owner's run ended: release every level it holds.
impl Handler<Down> for RLockActor {
    async fn handle(&mut self, down: Down, ctx: &mut Context<Self>) {
        let watched = self.hold.as_ref().is_some_and(|hold| {
            hold.monitor
                .as_ref()
                .is_some_and(|monitor| monitor.id() == down.monitor)
        });
        if watched {
            tracing::debug!(lock = %ctx.id(), owner = %down.id, reason = %down.reason, "the owner of the re-entrant lock ended; releasing it");
            self.end_hold(ctx);
        }
    }
}
