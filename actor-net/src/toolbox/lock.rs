//! [`RemoteLock`] and [`RemoteLockGuard`]: a [`Lock`] exported by another
//! node, and the session that holds the lock's guard for its remote handle.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actor_core::sync::{Lock, LockGuard};
use actor_core::{
    spawn, Actor, ActorId, ActorRef, Context, Error, Handler, MailboxCapacity, Message, StopReason,
    WireName,
};
use serde::{Deserialize, Serialize};

use super::ToolError;
use super::{answer, request, wire_names, Refused, Wait};
use crate::{Accepts, NetError, Node, RemoteActor};
use actor_core::sync::SyncError;

impl Node {
    /// Exports `lock` under `name`: other nodes reach it with
    /// [`lookup_lock`](Self::lookup_lock). A lock held through a remote
    /// handle is released when that handle's node dies.
    ///
    /// # Errors
    /// [`NetError::NameTaken`] if something is already exported under `name`.
    pub fn export_lock(&self, name: impl Into<String>, lock: Lock) -> Result<(), NetError> {
        self.export_sessions(name, move || {
            spawn(LockSession {
                lock: lock.clone(),
                held: None,
            })
        })
    }

    /// A handle to the lock exported as `name` by the node at `addr`.
    ///
    /// # Errors
    /// As [`Node::lookup`]; [`NetError::WrongType`] if the export is not a
    /// lock.
    pub async fn lookup_lock(&self, addr: SocketAddr, name: &str) -> Result<RemoteLock, NetError> {
        let session = self.lookup::<LockSession>(addr, name).await?;
        Ok(RemoteLock {
            session,
            holds: Arc::new(AtomicU64::new(0)),
        })
    }
}

/// A handle to a [`Lock`] exported by another node.
///
/// A handle holds the lock at most once at a time: its session keeps the
/// guard, and serves one request at a time, so a second `lock` through the
/// same handle (or a clone) while it holds the lock is refused rather than
/// left waiting for a release that could never be served. Look the lock up
/// again for each task that contends for it (see the
/// [toolbox](crate::toolbox)).
#[derive(Clone)]
pub struct RemoteLock {
    session: ActorRef<LockSession>,
    /// Numbers this handle's holds, so that a stale guard's release (from
    /// before a reconnection) cannot end a newer hold.
    holds: Arc<AtomicU64>,
}

impl fmt::Debug for RemoteLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RemoteLock")
            .field(&self.session.id())
            .finish()
    }
}

impl RemoteLock {
    /// The id this process knows the lock by (its reference's).
    pub fn id(&self) -> ActorId {
        self.session.id()
    }

    /// Waits until the lock is free and takes it; dropping the guard
    /// releases it. If this future is dropped, a hold granted meanwhile is
    /// released.
    ///
    /// # Errors
    /// [`Error::Failed`] if this handle holds the lock already; the errors of
    /// a remote ask.
    pub async fn lock(&self) -> Result<RemoteLockGuard, SyncError> {
        let guard = self.acquire(Wait::Forever, "lock").await?;
        guard.ok_or_else(|| {
            Error::Failed {
                actor: self.id(),
                reason: StopReason::failed("the exporting node answered `lock` without the lock"),
            }
            .into()
        })
    }

    /// Takes the lock if it is free now; `None` if it is held.
    ///
    /// # Errors
    /// The errors of a remote ask.
    pub async fn try_lock(&self) -> Result<Option<RemoteLockGuard>, SyncError> {
        self.acquire(Wait::None, "try_lock").await
    }

    /// Like [`lock`](Self::lock), giving up after `timeout` (counted on the
    /// exporting node) with `None`.
    ///
    /// # Errors
    /// As [`lock`](Self::lock).
    pub async fn lock_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<RemoteLockGuard>, SyncError> {
        self.acquire(Wait::Limit(timeout), "lock_timeout").await
    }

    /// Whether some holder, on any node, has the lock now.
    ///
    /// # Errors
    /// The errors of a remote ask.
    pub async fn is_locked(&self) -> Result<bool, SyncError> {
        answer(
            request(&self.session, IsLocked, Wait::None).await,
            self.id(),
            "is_locked",
            Wait::None,
        )
    }

    async fn acquire(
        &self,
        wait: Wait,
        operation: &'static str,
    ) -> Result<Option<RemoteLockGuard>, SyncError> {
        // Made before asking: if this future is dropped after the lock was
        // granted, the guard's drop releases it. Releasing a hold that was
        // not granted does nothing.
        let guard = RemoteLockGuard {
            session: self.session.clone(),
            hold: self.holds.fetch_add(1, Ordering::Relaxed),
        };
        let acquire = Acquire {
            hold: guard.hold,
            wait,
        };
        let asked = request(&self.session, acquire, wait).await;
        let granted = answer::<_, SyncError>(asked, self.id(), operation, wait)?;
        Ok(granted.then_some(guard))
    }
}

/// Proof of holding a remote lock; the lock is released when it is dropped
/// (a message to the session, sent without waiting), or when its node dies.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RemoteLockGuard {
    session: ActorRef<LockSession>,
    hold: u64,
}

impl RemoteLockGuard {
    /// The id of the handle of the lock this guard holds.
    pub fn lock_id(&self) -> ActorId {
        self.session.id()
    }

    /// Releases the lock now (the same as dropping the guard).
    pub fn unlock(self) {
        drop(self);
    }
}

impl Drop for RemoteLockGuard {
    fn drop(&mut self) {
        // The session's mailbox is unbounded: this fails only if the session
        // is gone, and then it has released the lock already.
        let _ = self.session.try_tell(Unlock { hold: self.hold });
    }
}

impl fmt::Debug for RemoteLockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteLockGuard")
            .field("lock", &self.session.id())
            .field("hold", &self.hold)
            .finish()
    }
}

/// The session of one remote handle to an exported [`Lock`]: the guard of
/// its current hold.
pub(crate) struct LockSession {
    lock: Lock,
    held: Option<(u64, LockGuard)>,
}

impl Actor for LockSession {
    fn name() -> &'static str {
        "LockSession"
    }

    // Asks bound themselves; a release must never be refused for room.
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl WireName for LockSession {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("actor.lock")
    }
}

impl RemoteActor for LockSession {
    fn accepts(messages: &mut Accepts<Self>) {
        messages
            .accept::<Acquire>()
            .accept::<Unlock>()
            .accept::<IsLocked>();
    }
}

/// Takes the lock as hold `hold`; answers whether it was granted.
#[derive(Serialize, Deserialize)]
pub(crate) struct Acquire {
    hold: u64,
    wait: Wait,
}

/// Ends hold `hold`, if it is the current one.
#[derive(Serialize, Deserialize)]
pub(crate) struct Unlock {
    hold: u64,
}

/// Whether the lock is held (by anyone).
#[derive(Serialize, Deserialize)]
pub(crate) struct IsLocked;

impl Message for Acquire {
    type Reply = Result<bool, Refused>;
}
impl Message for Unlock {
    type Reply = ();
}
impl Message for IsLocked {
    type Reply = Result<bool, Refused>;
}

wire_names! {
    Acquire => "actor.lock.acquire",
    Unlock => "actor.lock.unlock",
    IsLocked => "actor.lock.is_locked",
}

impl Handler<Acquire> for LockSession {
    async fn handle(
        &mut self,
        acquire: Acquire,
        _ctx: &mut Context<Self>,
    ) -> Result<bool, Refused> {
        if self.held.is_some() {
            // Waiting would wait forever: the release that would end it
            // queues behind this request.
            return match acquire.wait {
                Wait::None => Ok(false),
                Wait::Forever | Wait::Limit(_) => Err(Refused::Other(
                    "this handle holds the lock already; look the lock up again for another holder"
                        .to_owned(),
                )),
            };
        }
        let lock = &self.lock;
        let waiting = async move {
            match acquire.wait {
                Wait::None => lock.try_lock().await,
                Wait::Forever => lock.lock().await.map(Some),
                Wait::Limit(limit) => lock.lock_timeout(limit).await,
            }
        };
        match waiting.await {
            Ok(Some(guard)) => {
                self.held = Some((acquire.hold, guard));
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => Err(e.to_refused()),
        }
    }
}

impl Handler<Unlock> for LockSession {
    async fn handle(&mut self, unlock: Unlock, _ctx: &mut Context<Self>) {
        if self
            .held
            .as_ref()
            .is_some_and(|(hold, _)| *hold == unlock.hold)
        {
            self.held = None;
        }
    }
}

impl Handler<IsLocked> for LockSession {
    async fn handle(&mut self, _: IsLocked, _ctx: &mut Context<Self>) -> Result<bool, Refused> {
        self.lock.is_locked().await.map_err(|e| e.to_refused())
    }
}
