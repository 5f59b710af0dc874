//! [`PoolError`]: the errors of the pool module, wrapping the kernel's.

use crate::{ActorId, Error, SendError, StopReason};

/// What went wrong with a [`Pool`](crate::pool::Pool) or one of its tasks:
/// the pool's own refusals and task failures, or the kernel's [`Error`] from
/// its dispatcher actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// A [`Pool`](crate::pool::Pool) refused a task because it was closed or
    /// terminated.
    #[error("pool {pool} is closed and accepts no more tasks; submit before `close`, or start a new pool")]
    Closed {
        /// The pool's dispatcher actor.
        pool: ActorId,
    },
    /// [`Pool::join`](crate::pool::Pool::join) was called on a pool that is
    /// still open.
    #[error("pool {pool} is still open: call `close` (or `terminate`) before `join`, so that new tasks cannot keep it waiting forever")]
    NotClosed {
        /// The pool's dispatcher actor.
        pool: ActorId,
    },
    /// A pool task did not run to completion because the pool ended first
    /// (it was terminated, killed, or its workers' supervisor gave up).
    #[error("task {task} of pool {pool} did not finish: the pool was terminated first; submit it to a running pool to have it done")]
    Terminated {
        /// The pool's dispatcher actor.
        pool: ActorId,
        /// The task.
        task: super::TaskId,
    },
    /// A pool task panicked. Its worker was restarted; no other task was
    /// affected.
    #[error("task {task} of pool {pool} panicked on worker {worker} ({reason}); the worker was restarted and the other tasks were not affected")]
    TaskFailed {
        /// The pool's dispatcher actor.
        pool: ActorId,
        /// The task.
        task: super::TaskId,
        /// The worker that ran it.
        worker: ActorId,
        /// The worker's failure, with the panic message.
        reason: StopReason,
    },
    /// The kernel's error from the actor behind the handle.
    #[error(transparent)]
    Actor(#[from] Error),
}

impl<M> From<SendError<M, PoolError>> for PoolError {
    fn from(e: SendError<M, PoolError>) -> Self {
        e.error
    }
}

impl<M> From<SendError<M>> for PoolError {
    fn from(e: SendError<M>) -> Self {
        PoolError::Actor(e.error)
    }
}
