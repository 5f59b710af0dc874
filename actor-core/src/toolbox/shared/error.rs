//! [`SharedError`]: the errors of the shared module, wrapping the kernel's.

use crate::{ActorId, Error, SendError, StopReason};

/// What went wrong with [shared state](crate::shared): an operation that
/// panicked inside the owner, or the kernel's [`Error`] from the owner actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SharedError {
    /// An operation on shared state (see [`shared`](crate::shared)) panicked
    /// inside the actor that owns the state: an update closure, or a `Clone`,
    /// `Hash` or `Eq` implementation of the stored types.
    #[error("an operation on shared state {owner} panicked ({reason}); the state keeps what was changed before the panic, and the owner goes on serving")]
    Panicked {
        /// The actor that owns the state.
        owner: ActorId,
        /// The panic message.
        reason: StopReason,
    },
    /// The kernel's error from the actor behind the handle.
    #[error(transparent)]
    Actor(#[from] Error),
}

impl<M> From<SendError<M, SharedError>> for SharedError {
    fn from(e: SendError<M, SharedError>) -> Self {
        e.error
    }
}

impl<M> From<SendError<M>> for SharedError {
    fn from(e: SendError<M>) -> Self {
        SharedError::Actor(e.error)
    }
}
