//! The errors of the local runtime.
//!
//! Every fallible operation in `actor-core` returns [`Error`]. Operations that
//! take a message by value and fail before the actor got it hand the message back
//! inside a [`SendError`], so nothing is lost.

use std::fmt;
use std::time::Duration;

use crate::id::ActorId;
use crate::stop::StopReason;

/// What went wrong, and with which actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The actor has stopped or is stopping and accepts no more messages.
    #[error(
        "actor {actor} is not accepting messages: it stopped or is stopping; use a live actor"
    )]
    Stopped {
        /// The actor addressed.
        actor: ActorId,
    },
    /// The actor is stopping, and its supervisor is expected to restart it
    /// (its restart kind calls for it, and the supervisor is not ending it
    /// for good): a message sent once it has restarted is accepted. Only an
    /// actor that gives up its restart intensity makes this wrong.
    #[error("actor {actor} is not accepting messages: it is stopping (a supervised actor accepts them again once restarted); retry once it has restarted")]
    Restarting {
        /// The actor addressed.
        actor: ActorId,
    },
    /// A handler sent to its own actor in a way that waits for the actor:
    /// an ask, or a tell while the mailbox is full. The actor takes the next
    /// message only once this handler returns, so the wait could never end;
    /// the send fails at once instead (Erlang's `calling_self`).
    #[error("actor {actor} sent to itself from inside its own handler and would wait for itself (an ask, or a tell to its full mailbox): it takes the message only after this handler returns; use `try_tell`, `Context::send_after`, or do the work in the handler")]
    CallingSelf {
        /// The actor, sender and addressee.
        actor: ActorId,
    },
    /// `try_tell` found the mailbox full.
    #[error("the mailbox of actor {actor} is full ({capacity} messages waiting); use `tell` to wait for room, or retry later")]
    MailboxFull {
        /// The actor addressed.
        actor: ActorId,
        /// The mailbox's capacity.
        capacity: usize,
    },
    /// `ask_timeout` ran out of time before the reply came.
    #[error(
        "actor {actor} did not reply within {timeout:?}; the message may still be handled later"
    )]
    Timeout {
        /// The actor asked.
        actor: ActorId,
        /// The time allowed.
        timeout: Duration,
    },
    /// The actor failed (panicked) while handling this message, or failed before
    /// it got to it.
    #[error("actor {actor} failed before replying ({reason}); the message was not handled to completion")]
    Failed {
        /// The actor asked.
        actor: ActorId,
        /// What the failure was.
        reason: StopReason,
    },
    /// The actor stopped without failing before it handled this message (it was
    /// killed, stopped itself, or was shut down with its parent).
    #[error("actor {actor} stopped ({reason}) before it handled the message")]
    NotHandled {
        /// The actor asked.
        actor: ActorId,
        /// Why it stopped.
        reason: StopReason,
    },
    /// `register` was given a name that a live actor already holds.
    #[error("the name {name:?} is already registered to actor {holder}; choose another name or stop the holder first")]
    NameTaken {
        /// The name asked for.
        name: String,
        /// The actor holding it.
        holder: ActorId,
    },
    /// `lookup` found no actor under this name.
    #[error("no actor is registered under {name:?}; it may not have started yet or has stopped")]
    NotRegistered {
        /// The name looked up.
        name: String,
    },
    /// `lookup` found an actor of another type under this name.
    #[error("the actor registered as {name:?} is a {found}, not a {expected}; look it up with the right type")]
    WrongType {
        /// The name looked up.
        name: String,
        /// The type asked for.
        expected: &'static str,
        /// The type registered.
        found: &'static str,
    },
    /// A supervisor has no child with this id (or it ended for good).
    #[error("supervisor {supervisor} has no child {child:?}; list them with `children()`")]
    ChildNotFound {
        /// The supervisor asked.
        supervisor: ActorId,
        /// The child id asked for.
        child: String,
    },
    /// A supervisor already has a child with this id.
    #[error("supervisor {supervisor} already has a child {child:?}; child ids must be unique")]
    DuplicateChild {
        /// The supervisor asked.
        supervisor: ActorId,
        /// The id given twice.
        child: String,
    },
    /// A child's `started` hook failed when its supervisor started it; it was
    /// not added.
    #[error(
        "child {actor} failed to start ({reason}); fix its `started` hook or what it depends on"
    )]
    StartFailed {
        /// The child that failed.
        actor: ActorId,
        /// How it failed.
        reason: StopReason,
    },
    /// Work given to [`run_blocking`](crate::run_blocking) panicked or was
    /// cancelled by a runtime shutdown.
    #[error("blocking work failed: {reason}")]
    BlockingFailed {
        /// The panic message, or why the work was cancelled.
        reason: String,
    },
}

/// A message (or an item) that could not be sent, handed back with the
/// reason. `E` is the error of whatever refused it: the kernel's [`Error`]
/// for a message to an actor, a tool's own error for an item put into a
/// queue or a pipe (`SendError<T, QueueError>`).
#[derive(Clone, PartialEq, Eq)]
pub struct SendError<M, E = Error> {
    /// Why it was not sent.
    pub error: E,
    /// The message, untouched.
    pub message: M,
}

impl<M, E> SendError<M, E> {
    /// Takes the message back.
    pub fn into_message(self) -> M {
        self.message
    }

    /// The same message with the error converted, as `?` does not see
    /// through the pair: `SendError<M>` into `SendError<M, QueueError>`.
    pub fn map_err<F>(self, f: impl FnOnce(E) -> F) -> SendError<M, F> {
        SendError {
            error: f(self.error),
            message: self.message,
        }
    }
}

impl<M, E: fmt::Debug> fmt::Debug for SendError<M, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<M, E: fmt::Display> fmt::Display for SendError<M, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<M, E: std::error::Error + 'static> std::error::Error for SendError<M, E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<M> From<SendError<M>> for Error {
    fn from(e: SendError<M>) -> Self {
        e.error
    }
}
