//! [`PortError`]: the errors of the port module, wrapping the kernel's.

use crate::{ActorId, Error, SendError};

/// What went wrong with a [`Port`](crate::port::Port): its program would not
/// start, its input is closed, I/O failed, or the kernel's [`Error`] from the
/// port actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortError {
    /// A [`Port`](crate::port::Port) could not start its program.
    #[error(
        "could not start program {program:?}: {reason}; check that it is installed and on the PATH"
    )]
    SpawnFailed {
        /// The program.
        program: String,
        /// The operating system's error.
        reason: String,
    },
    /// A [`Port`](crate::port::Port)'s input is closed: stdin was closed or
    /// the program exited.
    #[error("the input of port {port} is closed (stdin was closed or the program exited); nothing more can be written to it")]
    Closed {
        /// The port actor.
        port: ActorId,
    },
    /// Reading from or writing to a [`Port`](crate::port::Port)'s program
    /// failed.
    #[error("I/O with the program of port {port} failed: {reason}")]
    Io {
        /// The port actor.
        port: ActorId,
        /// The operating system's error.
        reason: String,
    },
    /// The kernel's error from the actor behind the handle.
    #[error(transparent)]
    Actor(#[from] Error),
}

impl<M> From<SendError<M, PortError>> for PortError {
    fn from(e: SendError<M, PortError>) -> Self {
        e.error
    }
}

impl<M> From<SendError<M>> for PortError {
    fn from(e: SendError<M>) -> Self {
        PortError::Actor(e.error)
    }
}
