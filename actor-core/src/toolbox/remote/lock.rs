//! A [`Lock`] on another node: the session that holds the lock's guard for
//! its remote handle, and the client that a looked-up `Lock` holds.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::ToolError;
use super::{answer, request, wire_names, Refused};
use crate::link::AnyActorRef;
use crate::remote::{Accepts, Exportable, RemoteActor};
use crate::sync::{Grant, Lock, LockGuard, SyncError};
use crate::toolbox::Patience;
use crate::{
    spawn, Actor, ActorId, ActorRef, Context, Error, Handler, MailboxCapacity, Message, StopReason,
    WireName,
};

impl Exportable for Lock {
    type Session = LockSession;

    fn session(&self) -> ActorRef<LockSession> {
        spawn(LockSession {
            lock: self.clone(),
            held: None,
        })
    }

    async fn from_session(session: ActorRef<LockSession>) -> Result<Self, Error> {
        Ok(Lock::remote(LockClient {
            session,
            holds: Arc::new(AtomicU64::new(0)),
        }))
    }
}

/// The client of a [`Lock`] handle whose lock is on another node.
///
/// A handle holds the lock at most once at a time: its session keeps the
/// guard, and serves one request at a time, so a second `lock` through the
/// same handle (or a clone) while it holds the lock is refused rather than
/// left waiting for a release that could never be served.
#[derive(Clone, Debug)]
pub(crate) struct LockClient {
    session: ActorRef<LockSession>,
    /// Numbers this handle's holds, so that a stale guard's release (from
    /// before a reconnection) cannot end a newer hold.
    holds: Arc<AtomicU64>,
}

impl LockClient {
    /// The id of the reference to the session.
    pub(crate) fn id(&self) -> ActorId {
        self.session.id()
    }

    /// Takes the lock as `wait` allows; `None` if it was not granted. With
    /// a `holder`, the hold also ends when the holder does.
    pub(crate) async fn acquire(
        &self,
        wait: Patience,
        holder: Option<AnyActorRef>,
        operation: &'static str,
    ) -> Result<Option<LockGuard>, SyncError> {
        let hold = self.holds.fetch_add(1, Ordering::Relaxed);
        // Made before asking: if this future is dropped after the lock was
        // granted, the guard's drop releases it. Releasing a hold that was
        // not granted does nothing.
        let guard = LockGuard::remote(self.session.clone(), hold, holder.clone());
        let asked = request(&self.session, Acquire { hold, wait }, wait).await;
        let granted = answer::<_, SyncError>(asked, self.id(), operation, wait)?;
        if !granted {
            guard.disarm();
            return Ok(None);
        }
        if let Some(holder) = holder {
            // The exporting node cannot watch a holder here: this process
            // does, and releases the hold when the holder ends first.
            let session = self.session.downgrade();
            tokio::spawn(async move {
                holder.join().await;
                if let Some(session) = session.upgrade() {
                    let _ = session.try_tell(Unlock { hold });
                }
            });
        }
        Ok(Some(guard))
    }

    /// Takes the lock, waiting as long as it takes.
    pub(crate) async fn lock(&self, holder: Option<AnyActorRef>) -> Result<LockGuard, SyncError> {
        let guard = self.acquire(Patience::Forever, holder, "lock").await?;
        guard.ok_or_else(|| {
            Error::Failed {
                actor: self.id(),
                reason: StopReason::failed("the exporting node answered `lock` without the lock"),
            }
            .into()
        })
    }

    /// Whether some holder, on any node, has the lock now.
    pub(crate) async fn is_locked(&self) -> Result<bool, SyncError> {
        let asked = request(&self.session, IsLocked, Patience::None).await;
        answer(asked, self.id(), "is_locked", Patience::None)
    }
}

/// Ends a remote hold (a guard's drop): a message to the session, sent
/// without waiting. The session's mailbox is unbounded: this fails only if
/// the session is gone, and then it has released the lock already.
pub(crate) fn release(session: &ActorRef<LockSession>, hold: u64) {
    let _ = session.try_tell(Unlock { hold });
}

/// The session of one remote handle to an exported [`Lock`]: the guard of
/// its current hold.
#[derive(Debug)]
pub struct LockSession {
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
    wait: Patience,
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
                Patience::None => Ok(false),
                Patience::Forever | Patience::Limit(_) => Err(Refused::Other(
                    "this handle holds the lock already; look the lock up again for another holder"
                        .to_owned(),
                )),
            };
        }
        let lock = &self.lock;
        let waiting = async move {
            match acquire.wait {
                Patience::None => lock.try_lock().await,
                Patience::Forever => lock.lock().await.map(Some),
                Patience::Limit(limit) => lock.lock_timeout(limit).await,
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
