//! [`Semaphore`]: a counter of permits owned by an actor (Python's
//! `threading.Semaphore` and, with [`Semaphore::bounded`],
//! `BoundedSemaphore`).
//!
//! The Python tutorial's toilet with three stalls: at most N holders at once, the others
//! wait in line. A permit is a [`Permit`] value that gives itself back when
//! dropped; Python's explicit `acquire()` / `release()` style is there too
//! ([`Permit::forget`] and [`Semaphore::release`]). A bounded semaphore
//! refuses a release that would raise the count above its initial value, as
//! Python's `BoundedSemaphore` raises `ValueError`: such a release is always
//! a bug (something released what it never acquired).

use std::fmt;
use std::time::Duration;

use tokio::sync::oneshot;

use super::SyncError;
use super::{granted, offer, release_from_drop, Grant, Waiters};
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::Error;
use crate::{Actor, MailboxCapacity};
use crate::{Handler, Message};

/// A semaphore: `permits` holders at a time; the others wait, served in the
/// order they asked.
///
/// ```
/// use actor_core::sync::Semaphore;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::sync::SyncError> {
/// let semaphore = Semaphore::bounded(5); // the Python tutorial's BoundedSemaphore(5)
/// let permit = semaphore.acquire().await?;
/// assert_eq!(semaphore.available().await?, 4);
/// drop(permit);
/// assert_eq!(semaphore.available().await?, 5);
///
/// // Python style: acquire() ... release().
/// semaphore.acquire().await?.forget();
/// semaphore.release().await?;
/// // One release too many: refused, the count stays at the bound.
/// assert!(semaphore.release().await.is_err());
/// assert_eq!(semaphore.available().await?, 5);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Semaphore {
    actor: ActorRef<SemaphoreActor>,
    bound: Option<usize>,
}

impl Semaphore {
    /// A semaphore with `permits` permits and no upper bound: like Python's
    /// `Semaphore`, every [`release`](Self::release) adds one.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new(permits: usize) -> Self {
        Semaphore::start(permits, None)
    }

    /// A semaphore with `permits` permits that refuses to be released above
    /// that count, like Python's `BoundedSemaphore`.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn bounded(permits: usize) -> Self {
        Semaphore::start(permits, Some(permits))
    }

    fn start(permits: usize, bound: Option<usize>) -> Self {
        let actor = crate::spawn(SemaphoreActor {
            available: permits,
            bound,
            waiters: Waiters::new(),
        });
        Semaphore { actor, bound }
    }

    /// The id of the actor that owns this semaphore.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// The bound of a semaphore made with [`bounded`](Self::bounded).
    pub fn bound(&self) -> Option<usize> {
        self.bound
    }

    /// Waits for a permit and takes it; waiters are served first come, first
    /// served. Dropping the permit gives it back; dropping this future before
    /// it completes gives up the place in line.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the semaphore's actor has ended (it was killed,
    /// or the runtime is shutting down).
    pub async fn acquire(&self) -> Result<Permit, SyncError> {
        let reply = self.ask_for().await?;
        granted(reply, self.id()).await
    }

    /// Takes a permit if one is free now and nobody is waiting.
    ///
    /// # Errors
    /// As [`acquire`](Self::acquire).
    pub async fn try_acquire(&self) -> Result<Option<Permit>, SyncError> {
        self.actor.ask(TryAcquire).await.map_err(Into::into)
    }

    /// Like [`acquire`](Self::acquire), but gives up after `timeout` and
    /// returns `None` (Python's `acquire(timeout=...)` returning `False`).
    ///
    /// # Errors
    /// As [`acquire`](Self::acquire).
    pub async fn acquire_timeout(&self, timeout: Duration) -> Result<Option<Permit>, SyncError> {
        let reply = self.ask_for().await?;
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            Ok(Err(_)) => Err(Error::Stopped { actor: self.id() }.into()),
            // A permit granted at this very moment is dropped with the
            // receiver, and so given back.
            Err(_) => Ok(None),
        }
    }

    /// Python's `release()`: adds a permit, which goes to the first waiter if
    /// there is one. Pairs with a permit that was [`forget`](Permit::forget)-ten.
    ///
    /// # Errors
    /// [`SyncError::SemaphoreOverReleased`] for a bounded semaphore whose count is
    /// already at its bound (the count is left as it is);
    /// [`Error::Stopped`] if the semaphore's actor has ended.
    pub async fn release(&self) -> Result<(), SyncError> {
        self.actor.ask(Release { from_permit: false }).await?
    }

    /// How many permits are free now.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the semaphore's actor has ended.
    pub async fn available(&self) -> Result<usize, SyncError> {
        self.actor
            .ask(Count)
            .await
            .map(|(available, _)| available)
            .map_err(Into::into)
    }

    /// How many are waiting for a permit now.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the semaphore's actor has ended.
    pub async fn waiting(&self) -> Result<usize, SyncError> {
        self.actor
            .ask(Count)
            .await
            .map(|(_, waiting)| waiting)
            .map_err(Into::into)
    }

    async fn ask_for(&self) -> Result<oneshot::Receiver<Permit>, SyncError> {
        let (reply, receiver) = oneshot::channel();
        self.actor.tell(Acquire { reply }).await?;
        Ok(receiver)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("id", &self.id())
            .field("bound", &self.bound)
            .finish()
    }
}

/// One permit of a [`Semaphore`]; dropping it gives the permit back.
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct Permit {
    /// `None` once the value no longer stands for a permit.
    semaphore: Option<ActorRef<SemaphoreActor>>,
    semaphore_id: ActorId,
}

impl Permit {
    /// The id of the semaphore this permit is from.
    pub fn semaphore_id(&self) -> ActorId {
        self.semaphore_id
    }

    /// Keeps the permit taken without this value: it comes back only through
    /// [`Semaphore::release`] (Python's explicit style).
    pub fn forget(mut self) {
        self.semaphore = None;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(semaphore) = self.semaphore.take() {
            release_from_drop(semaphore, Release { from_permit: true });
        }
    }
}

impl Grant for Permit {
    fn disarm(mut self) {
        self.semaphore = None;
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("semaphore", &self.semaphore_id)
            .finish_non_exhaustive()
    }
}

/// The actor behind a [`Semaphore`].
struct SemaphoreActor {
    available: usize,
    bound: Option<usize>,
    waiters: Waiters<Permit>,
}

impl Actor for SemaphoreActor {
    fn name() -> &'static str {
        "Semaphore"
    }

    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl SemaphoreActor {
    /// Gives free permits to waiters, first in line first.
    fn serve(&mut self, ctx: &mut Context<Self>) {
        while self.available > 0 {
            let Some((reply, ())) = self.waiters.pop() else {
                return;
            };
            if offer(reply, self.permit(ctx)) {
                self.available -= 1;
            }
        }
    }

    fn permit(&self, ctx: &mut Context<Self>) -> Permit {
        Permit {
            semaphore: Some(ctx.actor_ref()),
            semaphore_id: ctx.id(),
        }
    }
}

/// Asks for a permit; it comes on `reply` in turn.
struct Acquire {
    reply: oneshot::Sender<Permit>,
}

impl Message for Acquire {
    type Reply = ();
}

impl Handler<Acquire> for SemaphoreActor {
    async fn handle(&mut self, msg: Acquire, ctx: &mut Context<Self>) {
        // Free permits have already gone to everyone in line, so joining the
        // back of the line and serving it is first come, first served.
        self.waiters.push(msg.reply, ());
        self.serve(ctx);
    }
}

/// Takes a permit if one is free now.
struct TryAcquire;

impl Message for TryAcquire {
    type Reply = Option<Permit>;
}

impl Handler<TryAcquire> for SemaphoreActor {
    async fn handle(&mut self, _: TryAcquire, ctx: &mut Context<Self>) -> Option<Permit> {
        if self.available == 0 || !self.waiters.is_empty() {
            return None;
        }
        self.available -= 1;
        // If the asker has given up, the permit is dropped with the reply and
        // comes back.
        Some(self.permit(ctx))
    }
}

/// Gives a permit back: from a permit's `Drop`, or from
/// [`Semaphore::release`].
struct Release {
    from_permit: bool,
}

impl Message for Release {
    type Reply = Result<(), SyncError>;
}

impl Handler<Release> for SemaphoreActor {
    async fn handle(&mut self, msg: Release, ctx: &mut Context<Self>) -> Result<(), SyncError> {
        if let Some(bound) = self.bound {
            if self.available >= bound {
                if msg.from_permit {
                    // A permit can only overflow the bound after an explicit
                    // release too many, which was the error and was reported
                    // (or ignored) then.
                    tracing::warn!(semaphore = %ctx.id(), bound, "a permit was dropped while the semaphore was at its bound; ignored");
                    return Ok(());
                }
                return Err(SyncError::SemaphoreOverReleased {
                    semaphore: ctx.id(),
                    bound,
                });
            }
        }
        self.available += 1;
        self.serve(ctx);
        Ok(())
    }
}

/// How many permits are free, and how many are waiting.
struct Count;

impl Message for Count {
    type Reply = (usize, usize);
}

impl Handler<Count> for SemaphoreActor {
    async fn handle(&mut self, _: Count, _ctx: &mut Context<Self>) -> (usize, usize) {
        (self.available, self.waiters.len())
    }
}
