//! Synchronisation primitives as actors, after Python's `threading`:
//! [`Lock`], [`RLock`], [`Semaphore`] (plain and bounded), [`Event`],
//! [`Condition`] and [`Barrier`].
//!
//! The Python tutorials reach for `threading.Lock`, `RLock`, `Semaphore`,
//! `BoundedSemaphore(5)`, `Event`, `Condition` and `Barrier`. Here each of them
//! is an actor that owns the primitive's state (who holds it, how many permits
//! are left, who is waiting), and the value an application holds is a cheap,
//! cloneable handle around an [`ActorRef`]. Clone the handle into every task or
//! actor that needs it; the primitive lives as long as a handle (or a guard or
//! permit) does.
//!
//! What they have in common:
//!
//! - **Fair.** Waiters are queued inside the actor in the order their requests
//!   arrive and served in that order; nobody barges ahead of a waiter. A waiter
//!   that gave up (its future was dropped, or its timeout ran out) is skipped.
//! - **Nothing is lost.** What a waiter is granted travels as a guard
//!   ([`LockGuard`], [`RLockGuard`], [`Permit`]) whose `Drop` gives it back. A
//!   grant that reaches a waiter which has just given up is dropped and so
//!   given back; a guard dropped while its holder unwinds from a panic, or
//!   because its holder actor was killed, gives it back too.
//! - **Timeouts are results, not errors.** `lock_timeout`, `acquire_timeout`
//!   and `wait_timeout` return `None` or `false` when time runs out, like
//!   Python's `acquire(timeout=...)`. They use `tokio::time`, so tests can run
//!   them on tokio's paused clock.
//! - **Misuse is a typed [`Error`]**: releasing a re-entrant lock one does
//!   not own ([`SyncError::NotLockOwner`], [`SyncError::LockNotHeld`]), releasing a
//!   bounded semaphore past its bound ([`SyncError::SemaphoreOverReleased`]),
//!   waiting on a condition with another lock's guard ([`SyncError::WrongLock`]),
//!   a broken barrier ([`SyncError::BarrierBroken`]).
//!
//! Each primitive's actor has an unbounded mailbox: every message in it is a
//! request whose sender is waiting for the answer, or the release of a guard,
//! and a release must never wait for room (it is sent from `Drop`) nor be
//! refused.
//!
//! A waiter's request carries the one-shot channel its grant comes back on
//! (the primitive answers when it is the waiter's turn, not when it handles
//! the request), and a guard holds a reference to the primitive's actor to
//! send its release. Both are what a network layer has to stand in for to
//! export a primitive to other processes; the primitives' logic does not
//! change.
//!
//! Create them inside a tokio runtime: each constructor spawns its actor.
//!
//! ```
//! use actor_core::sync::{Event, Lock, Semaphore};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::sync::SyncError> {
//! let lock = Lock::new();
//! {
//!     let _guard = lock.lock().await?;
//!     assert!(lock.try_lock().await?.is_none()); // held
//! } // the guard is dropped: released
//! assert!(lock.try_lock().await?.is_some());
//!
//! let toilets = Semaphore::bounded(3);
//! let permit = toilets.acquire().await?;
//! assert_eq!(toilets.available().await?, 2);
//! drop(permit);
//!
//! let green = Event::new();
//! green.set().await?;
//! green.wait().await?; // returns at once: the flag is set
//! # Ok(()) }
//! ```

mod barrier;
mod condition;
mod error;
mod event;
mod lock;
mod rlock;
mod semaphore;

use std::collections::VecDeque;

use tokio::sync::oneshot;

use crate::Actor;
use crate::ActorId;
use crate::ActorRef;
use crate::Error;
use crate::{Handler, Message};

pub use barrier::{Barrier, BarrierWaitResult};
pub use condition::{Condition, WaitError};
pub use error::SyncError;
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use rlock::{Owner, OwnerId, RLock, RLockGuard};
pub use semaphore::{Permit, Semaphore};

/// The fewest queued waiters at which a queue is swept for waiters that gave
/// up; below this, they are only skipped when they reach the front.
const MIN_PRUNE: usize = 16;

/// A FIFO queue of waiters, each a one-shot reply channel plus what the
/// primitive needs to know about it (`X`).
///
/// A waiter whose receiver is gone (it gave up) is skipped when it reaches the
/// front, and swept out when the queue has doubled since the last sweep, so
/// that waiters which keep timing out cannot grow it without bound.
pub(crate) struct Waiters<T, X = ()> {
    queue: VecDeque<(oneshot::Sender<T>, X)>,
    prune_at: usize,
}

impl<T, X> Waiters<T, X> {
    pub(crate) fn new() -> Self {
        Waiters {
            queue: VecDeque::new(),
            prune_at: MIN_PRUNE,
        }
    }

    /// Queues a waiter at the back.
    pub(crate) fn push(&mut self, reply: oneshot::Sender<T>, extra: X) {
        if self.queue.len() >= self.prune_at {
            self.queue.retain(|(reply, _)| !reply.is_closed());
            self.prune_at = (self.queue.len() * 2).max(MIN_PRUNE);
        }
        self.queue.push_back((reply, extra));
    }

    /// The first waiter that has not given up yet.
    pub(crate) fn pop(&mut self) -> Option<(oneshot::Sender<T>, X)> {
        while let Some((reply, extra)) = self.queue.pop_front() {
            if !reply.is_closed() {
                return Some((reply, extra));
            }
        }
        None
    }

    /// Takes every waiter out, in order.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (oneshot::Sender<T>, X)> + '_ {
        self.queue.drain(..)
    }

    /// Takes out, in order, the waiters for which `pick` is true.
    pub(crate) fn take_where(
        &mut self,
        mut pick: impl FnMut(&X) -> bool,
    ) -> Vec<(oneshot::Sender<T>, X)> {
        let mut taken = Vec::new();
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for (reply, extra) in self.queue.drain(..) {
            if reply.is_closed() {
                continue;
            }
            if pick(&extra) {
                taken.push((reply, extra));
            } else {
                kept.push_back((reply, extra));
            }
        }
        self.queue = kept;
        taken
    }

    /// How many waiters have not given up.
    pub(crate) fn len(&self) -> usize {
        self.queue
            .iter()
            .filter(|(reply, _)| !reply.is_closed())
            .count()
    }

    /// Whether no waiter is left that has not given up.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Something granted to a waiter that gives itself back when dropped: a guard
/// or a permit.
pub(crate) trait Grant: Sized {
    /// Forgets the grant without giving it back: used by the primitive's actor
    /// when the grant could not be delivered and never left it.
    fn disarm(self);
}

/// Hands `grant` to the waiter behind `reply`. If the waiter has given up,
/// the grant is disarmed (the actor still owns what it stands for) and `false`
/// is returned, so that the actor serves the next waiter.
pub(crate) fn offer<T: Grant>(reply: oneshot::Sender<T>, grant: T) -> bool {
    match reply.send(grant) {
        Ok(()) => true,
        Err(grant) => {
            grant.disarm();
            false
        }
    }
}

/// Waits for what the primitive's actor sends on `reply`. The channel closes
/// without a value only when that actor ended (it was killed, or the runtime
/// is shutting down).
pub(crate) async fn granted<T>(
    reply: oneshot::Receiver<T>,
    actor: ActorId,
) -> Result<T, SyncError> {
    reply
        .await
        .map_err(|_| Error::Stopped { actor })
        .map_err(Into::into)
}

/// Sends a release from a `Drop`: at once if the mailbox takes it (the
/// primitives' mailboxes are unbounded, so it does unless the actor has
/// ended, and then there is nothing left to release), otherwise from a task
/// that waits for room, so that a release is never lost.
pub(crate) fn release_from_drop<A, M>(actor: ActorRef<A>, message: M)
where
    A: Actor + Handler<M>,
    M: Message,
{
    let Err(refused) = actor.try_tell(message) else {
        return;
    };
    if matches!(refused.error, Error::MailboxFull { .. }) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let message = refused.message;
            runtime.spawn(async move {
                let _ = actor.tell(message).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_skip_those_that_gave_up_and_keep_order() {
        let mut waiters: Waiters<u32, u32> = Waiters::new();
        let (tx1, _rx1) = oneshot::channel();
        let (tx2, rx2) = oneshot::channel();
        let (tx3, _rx3) = oneshot::channel();
        waiters.push(tx1, 1);
        waiters.push(tx2, 2);
        waiters.push(tx3, 3);
        drop(rx2);
        assert_eq!(waiters.len(), 2);
        let order: Vec<u32> = std::iter::from_fn(|| waiters.pop().map(|(_, x)| x)).collect();
        assert_eq!(order, [1, 3]);
        assert!(waiters.is_empty());
    }

    #[test]
    fn a_full_queue_is_swept_of_waiters_that_gave_up() {
        let mut waiters: Waiters<(), usize> = Waiters::new();
        let mut kept = Vec::new();
        for i in 0..MIN_PRUNE {
            let (tx, rx) = oneshot::channel();
            waiters.push(tx, i);
            if i % 2 == 0 {
                kept.push(rx);
            }
        }
        // The next push sweeps: the odd ones gave up.
        let (tx, _rx) = oneshot::channel();
        waiters.push(tx, MIN_PRUNE);
        assert_eq!(waiters.queue.len(), MIN_PRUNE / 2 + 1);
        let picked = waiters.take_where(|&i| i % 4 == 0);
        let picked: Vec<usize> = picked.into_iter().map(|(_, i)| i).collect();
        assert_eq!(picked, [0, 4, 8, 12, 16]);
        assert_eq!(waiters.len(), 4); // 2, 6, 10, 14
    }
}
