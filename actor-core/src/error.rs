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
    #[error("actor {actor} is not accepting messages: it stopped or is stopping (a supervised actor accepts them again once restarted); use a live actor")]
    Stopped {
        /// The actor addressed.
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
    // -- queue, work queue, pipe (seed scenarios 3, 4, 5): variants go here --
    /// A [`Queue`](crate::queue::Queue) or
    /// [`WorkQueue`](crate::work_queue::WorkQueue) was closed: it refuses new
    /// items, and once the items left are taken it has nothing more to give.
    #[error("{queue} is closed: puts are refused, and every item put before the close has been taken; stop producing or consuming")]
    QueueClosed {
        /// The queue's actor.
        queue: ActorId,
    },
    /// A non-waiting put (`try_put`, `try_send`) found no room.
    #[error("{queue} is full ({capacity} items); use the waiting variant to wait for room, or retry later")]
    QueueFull {
        /// The queue's actor.
        queue: ActorId,
        /// How many items it holds at most.
        capacity: usize,
    },
    /// A non-waiting get (`try_get`, `try_recv`) found nothing to take.
    #[error("{queue} has nothing to take right now; use the waiting variant to wait for an item, or retry later")]
    QueueEmpty {
        /// The queue's actor.
        queue: ActorId,
    },
    /// A get or put with a time limit gave up: nothing was taken, and a value
    /// given to put was handed back.
    #[error("`{operation}` on {queue} gave up after {timeout:?}: nothing was taken or put; retry, or wait longer")]
    QueueTimeout {
        /// The queue's actor.
        queue: ActorId,
        /// The method that gave up (`"get_timeout"`, `"put_timeout"`,
        /// `"recv_timeout"`).
        operation: &'static str,
        /// The time allowed.
        timeout: Duration,
    },
    /// A work item was acknowledged that its work queue does not count as
    /// taken: it was acknowledged already, handed back, or never handed out.
    #[error("item {item} of {queue} is not held by any consumer (acknowledged already, handed back, or never handed out); acknowledge each item taken exactly once")]
    NotTaken {
        /// The work queue's actor.
        queue: ActorId,
        /// The item acknowledged.
        item: crate::work_queue::WorkId,
    },
    /// The other end of a [pipe](crate::pipe) was dropped (every clone of it):
    /// nothing more can be sent, and what it sent has all been received.
    #[error("the other end of {pipe} is gone (every clone was dropped): nothing more can be sent, and everything it sent has been received")]
    PipeClosed {
        /// The actor carrying this direction of the pipe.
        pipe: ActorId,
    },

    // -- pool, shared state, port (seed scenarios 2, 6, 11): variants go here --
    /// A [`Pool`](crate::pool::Pool) refused a task because it was closed or
    /// terminated.
    #[error("pool {pool} is closed and accepts no more tasks; submit before `close`, or start a new pool")]
    PoolClosed {
        /// The pool's dispatcher actor.
        pool: ActorId,
    },
    /// [`Pool::join`](crate::pool::Pool::join) was called on a pool that is
    /// still open.
    #[error("pool {pool} is still open: call `close` (or `terminate`) before `join`, so that new tasks cannot keep it waiting forever")]
    PoolNotClosed {
        /// The pool's dispatcher actor.
        pool: ActorId,
    },
    /// A pool task did not run to completion because the pool ended first
    /// (it was terminated, killed, or its workers' supervisor gave up).
    #[error("task {task} of pool {pool} did not finish: the pool was terminated first; submit it to a running pool to have it done")]
    PoolTerminated {
        /// The pool's dispatcher actor.
        pool: ActorId,
        /// The task.
        task: crate::pool::TaskId,
    },
    /// A pool task panicked. Its worker was restarted; no other task was
    /// affected.
    #[error("task {task} of pool {pool} panicked on worker {worker} ({reason}); the worker was restarted and the other tasks were not affected")]
    TaskFailed {
        /// The pool's dispatcher actor.
        pool: ActorId,
        /// The task.
        task: crate::pool::TaskId,
        /// The worker that ran it.
        worker: ActorId,
        /// The worker's failure, with the panic message.
        reason: StopReason,
    },
    /// An operation on shared state (see [`shared`](crate::shared)) panicked
    /// inside the actor that owns the state: an update closure, or a `Clone`,
    /// `Hash` or `Eq` implementation of the stored types.
    #[error("an operation on shared state {owner} panicked ({reason}); the state keeps what was changed before the panic, and the owner goes on serving")]
    SharedStatePanicked {
        /// The actor that owns the state.
        owner: ActorId,
        /// The panic message.
        reason: StopReason,
    },
    /// A [`Port`](crate::port::Port) could not start its program.
    #[error(
        "could not start program {program:?}: {reason}; check that it is installed and on the PATH"
    )]
    PortSpawnFailed {
        /// The program.
        program: String,
        /// The operating system's error.
        reason: String,
    },
    /// A [`Port`](crate::port::Port)'s input is closed: stdin was closed or
    /// the program exited.
    #[error("the input of port {port} is closed (stdin was closed or the program exited); nothing more can be written to it")]
    PortClosed {
        /// The port actor.
        port: ActorId,
    },
    /// Reading from or writing to a [`Port`](crate::port::Port)'s program
    /// failed.
    #[error("I/O with the program of port {port} failed: {reason}")]
    PortIo {
        /// The port actor.
        port: ActorId,
        /// The operating system's error.
        reason: String,
    },

    // -- sync primitives (seed scenarios 8, 9): variants go here --
    /// A re-entrant lock was released by an owner other than the one holding
    /// it.
    #[error("{caller} tried to release the re-entrant lock {lock}, which {holder} holds; only the owner that acquired a level may release it")]
    NotLockOwner {
        /// The lock.
        lock: ActorId,
        /// Who tried to release it.
        caller: crate::sync::OwnerId,
        /// Who holds it.
        holder: crate::sync::OwnerId,
    },
    /// A re-entrant lock that nobody holds was released.
    #[error("{caller} tried to release the re-entrant lock {lock}, which nobody holds; release only what was acquired")]
    LockNotHeld {
        /// The lock.
        lock: ActorId,
        /// Who tried to release it.
        caller: crate::sync::OwnerId,
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

    /// Work given to [`run_blocking`](crate::run_blocking) panicked or was
    /// cancelled by a runtime shutdown.
    #[error("blocking work failed: {reason}")]
    BlockingFailed {
        /// The panic message, or why the work was cancelled.
        reason: String,
    },
}

/// A message that could not be sent, handed back with the reason.
#[derive(Clone, PartialEq, Eq)]
pub struct SendError<M> {
    /// Why it was not sent.
    pub error: Error,
    /// The message, untouched.
    pub message: M,
}

impl<M> SendError<M> {
    /// Takes the message back.
    pub fn into_message(self) -> M {
        self.message
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<M> std::error::Error for SendError<M> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<M> From<SendError<M>> for Error {
    fn from(e: SendError<M>) -> Self {
        e.error
    }
}
