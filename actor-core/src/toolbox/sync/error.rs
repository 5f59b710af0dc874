//! [`SyncError`]: the errors of the sync module, wrapping the kernel's.

use crate::{ActorId, Error, SendError};

/// What went wrong with a [synchronisation primitive](crate::sync): its own
/// refusals, or the kernel's [`Error`] from the actor that owns it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// A re-entrant lock was released by an owner other than the one holding
    /// it.
    #[error("{caller} tried to release the re-entrant lock {lock}, which {holder} holds; only the owner that acquired a level may release it")]
    NotLockOwner {
        /// The lock.
        lock: ActorId,
        /// Who tried to release it.
        caller: super::OwnerId,
        /// Who holds it.
        holder: super::OwnerId,
    },
    /// A re-entrant lock that nobody holds was released.
    #[error("{caller} tried to release the re-entrant lock {lock}, which nobody holds; release only what was acquired")]
    LockNotHeld {
        /// The lock.
        lock: ActorId,
        /// Who tried to release it.
        caller: super::OwnerId,
    },
    /// A bounded semaphore was released while all its permits were already
    /// free; the count was left at the bound.
    #[error("{semaphore} was released beyond its bound of {bound} permits; release only permits that were acquired")]
    SemaphoreOverReleased {
        /// The semaphore.
        semaphore: ActorId,
        /// Its bound (its initial number of permits).
        bound: usize,
    },
    /// A condition was given the guard of a lock it is not bound to.
    #[error("{condition} is bound to {expected}, but was given a guard of {found}; take the condition's own lock (`Condition::lock`)")]
    WrongLock {
        /// The condition.
        condition: ActorId,
        /// The lock it is bound to.
        expected: ActorId,
        /// The lock the guard holds.
        found: ActorId,
    },
    /// A barrier is broken: a party timed out, or it was aborted or reset
    /// while this party waited.
    #[error("{barrier} is broken (a party timed out, or it was aborted or reset); call `reset` before using it again")]
    BarrierBroken {
        /// The barrier.
        barrier: ActorId,
    },
    /// The kernel's error from the actor behind the handle.
    #[error(transparent)]
    Actor(#[from] Error),
}

impl<M> From<SendError<M, SyncError>> for SyncError {
    fn from(e: SendError<M, SyncError>) -> Self {
        e.error
    }
}

impl<M> From<SendError<M>> for SyncError {
    fn from(e: SendError<M>) -> Self {
        SyncError::Actor(e.error)
    }
}
