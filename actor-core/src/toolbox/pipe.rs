//! Pipes: two connected ends (Python's `multiprocessing.Pipe`).
//!
//! This module owns the pipe: Python's `multiprocessing.Pipe(duplex)` as a
//! pair of typed ends. [`pipe`] makes a one-way pipe, a [`PipeSender`] and a
//! [`PipeReceiver`] (Python's `Pipe(False)`, where sending on the wrong end is
//! a run-time error, is here a type error); [`pipe_duplex`] makes two
//! [`PipeEnd`]s that both send and receive.
//!
//! - Each direction is carried by a queue actor holding up to
//!   [`PIPE_CAPACITY`] values: `send` waits while it is full, as a write to a
//!   full OS pipe does, and `recv` waits while it is empty.
//! - `recv` returns [`PipeError::Closed`] once the other end, **and every clone
//!   of it**, has been dropped and everything it sent has been received:
//!   Python's `EOFError`, without having to `close()` the unused ends first.
//!   Likewise `send` returns `PipeClosed`, with the value handed back, once
//!   nobody is left to receive.
//! - Ends are `Clone`: several tasks or actors can `recv` on clones of one
//!   end at once, with no lock; each value goes to exactly one of them, and
//!   waiting receivers are served first come, first served. (Python's pipe
//!   needs a `Lock` around `recv` for that.)
//!
//! ```
//! use actor_core::pipe::{pipe, PipeError};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), PipeError> {
//! let (parent, child) = pipe();
//! let reader = tokio::spawn(async move {
//!     let mut got = Vec::new();
//!     loop {
//!         match child.recv().await {
//!             Ok(text) => got.push(text),
//!             Err(PipeError::Closed { .. }) => return got, // EOF
//!             Err(other) => panic!("{other}"),
//!         }
//!     }
//! });
//! for text in ["hello", "hi", "你好"] {
//!     parent.send(text).await?;
//! }
//! drop(parent); // the reader sees the end after the last value
//! assert_eq!(reader.await.expect("reader ran"), ["hello", "hi", "你好"]);
//! # Ok(()) }
//! ```
//!
//! A one-way pipe's receiving end has no `send`:
//!
//! ```compile_fail
//! # async fn wrong() {
//! let (_parent, child) = actor_core::pipe::pipe::<u8>();
//! child.send(1).await; // no such method: this end only receives
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::fifo::{Client, Ledger, Refusal};
use super::Patience;
use crate::{ActorId, Error, SendError};

/// How many values one direction of a pipe holds before `send` waits.
pub const PIPE_CAPACITY: usize = 64;

/// A pipe direction's ledger: a plain queue, named `Pipe` in ids and errors.
struct Line;

impl<T> Ledger<T> for Line {
    const NAME: &'static str = "Pipe";
    fn admitted(&mut self, _: &mut T) {}
    fn taken(&mut self, _: &mut T) {}
    fn untaken(&mut self, _: &mut T) {}
    fn returned(&mut self, _: &mut T) -> bool {
        true
    }
    fn outstanding(&self) -> usize {
        0
    }
}

type Channel<T> = Client<T>;

/// The writing side of one direction, shared by the clones of an end. When
/// the last clone goes, the direction is closed: its reader takes what is
/// left, then sees the end.
struct Writer<T>(Channel<T>);

/// The reading side of one direction, shared by the clones of an end. When
/// the last clone goes, the direction is closed: its writer is refused.
struct Reader<T>(Channel<T>);

impl<T> Drop for Writer<T> {
    fn drop(&mut self) {
        self.0.close_now();
    }
}

impl<T> Drop for Reader<T> {
    fn drop(&mut self) {
        self.0.close_now();
    }
}

impl<T: Send + 'static> Writer<T> {
    async fn send(&self, value: T, patience: Patience) -> Result<(), SendError<T, PipeError>> {
        self.0
            .put(value, patience)
            .await
            .map_err(|(why, value)| SendError {
                error: pipe_error(&self.0, why, patience, "send"),
                message: value,
            })
    }
}

impl<T: Send + 'static> Reader<T> {
    async fn recv(&self, patience: Patience, operation: &'static str) -> Result<T, PipeError> {
        self.0
            .get(patience)
            .await
            .map_err(|why| pipe_error(&self.0, why, patience, operation))
    }
}

fn pipe_error<T: Send + 'static>(
    channel: &Channel<T>,
    why: Refusal,
    patience: Patience,
    operation: &'static str,
) -> PipeError {
    let pipe = channel.id();
    match why {
        Refusal::Closed => PipeError::Closed { pipe },
        Refusal::Empty => PipeError::Empty { pipe },
        Refusal::Full => PipeError::Full {
            pipe,
            capacity: channel.capacity().unwrap_or(usize::MAX),
        },
        Refusal::TimedOut => PipeError::Timeout {
            pipe,
            operation,
            timeout: patience.limit(),
        },
        Refusal::Stopped => Error::Stopped { actor: pipe }.into(),
    }
}

fn channel<T: Send + 'static>() -> Channel<T> {
    Client::spawn(Some(PIPE_CAPACITY), Line)
}

/// A one-way pipe: values sent on the [`PipeSender`] are received on the
/// [`PipeReceiver`], in order.
///
/// # Panics
/// Outside a tokio runtime, like [`spawn`](crate::spawn).
pub fn pipe<T: Send + 'static>() -> (PipeSender<T>, PipeReceiver<T>) {
    let line = channel();
    (
        PipeSender {
            writer: Arc::new(Writer(line.clone())),
        },
        PipeReceiver {
            reader: Arc::new(Reader(line)),
        },
    )
}

/// A two-way pipe: what one end sends, the other receives, in both
/// directions.
///
/// # Panics
/// Outside a tokio runtime, like [`spawn`](crate::spawn).
pub fn pipe_duplex<T: Send + 'static>() -> (PipeEnd<T>, PipeEnd<T>) {
    let (left_to_right, right_to_left) = (channel(), channel());
    let left = PipeEnd {
        writer: Arc::new(Writer(left_to_right.clone())),
        reader: Arc::new(Reader(right_to_left.clone())),
    };
    let right = PipeEnd {
        writer: Arc::new(Writer(right_to_left)),
        reader: Arc::new(Reader(left_to_right)),
    };
    (left, right)
}

/// The sending end of a one-way [`pipe`]. Clones send into the same pipe;
/// the receiver sees the end once all of them are dropped.
pub struct PipeSender<T> {
    writer: Arc<Writer<T>>,
}

/// The receiving end of a one-way [`pipe`]. Clones receive from the same
/// pipe, each value going to exactly one of them.
pub struct PipeReceiver<T> {
    reader: Arc<Reader<T>>,
}

/// One end of a [`pipe_duplex`]: it sends to the other end and receives what
/// the other end sends.
pub struct PipeEnd<T> {
    writer: Arc<Writer<T>>,
    reader: Arc<Reader<T>>,
}

/// The sending methods, documented once for both kinds of end.
macro_rules! sending {
    () => {
        /// Sends `value` to the other end, waiting while the pipe is full.
        ///
        /// # Errors
        /// With the value handed back: [`PipeError::Closed`] if the other
        /// end and all its clones were dropped; [`Error::Stopped`] if the
        /// pipe's actor ended (its runtime shut down).
        pub async fn send(&self, value: T) -> Result<(), SendError<T, PipeError>> {
            self.writer.send(value, Patience::Forever).await
        }

        /// Sends `value` if the pipe has room now.
        ///
        /// # Errors
        /// Those of `send`, and [`PipeError::Full`]; the value is handed
        /// back with every error.
        pub async fn try_send(&self, value: T) -> Result<(), SendError<T, PipeError>> {
            self.writer.send(value, Patience::None).await
        }
    };
}

/// The receiving methods, documented once for both kinds of end.
macro_rules! receiving {
    () => {
        /// Receives the next value, waiting while there is none. Receivers
        /// waiting on clones of this end are served in the order they came.
        ///
        /// # Errors
        /// [`PipeError::Closed`] once the other end and all its clones were
        /// dropped and every value they sent has been received;
        /// [`Error::Stopped`] if the pipe's actor ended.
        pub async fn recv(&self) -> Result<T, PipeError> {
            self.reader.recv(Patience::Forever, "recv").await
        }

        /// Like [`recv`](Self::recv), waiting at most `timeout` (Python's
        /// `poll(timeout)` followed by `recv()`).
        ///
        /// # Errors
        /// Those of `recv`, and [`PipeError::Timeout`].
        pub async fn recv_timeout(&self, timeout: Duration) -> Result<T, PipeError> {
            self.reader
                .recv(Patience::Limit(timeout), "recv_timeout")
                .await
        }

        /// Receives a value if one is there now.
        ///
        /// # Errors
        /// Those of `recv`, and [`PipeError::Empty`].
        pub async fn try_recv(&self) -> Result<T, PipeError> {
            self.reader.recv(Patience::None, "try_recv").await
        }
    };
}

impl<T: Send + 'static> PipeSender<T> {
    sending!();
}

impl<T: Send + 'static> PipeReceiver<T> {
    receiving!();
}

impl<T: Send + 'static> PipeEnd<T> {
    sending!();
    receiving!();
}

impl<T> Clone for PipeSender<T> {
    fn clone(&self) -> Self {
        PipeSender {
            writer: self.writer.clone(),
        }
    }
}

impl<T> Clone for PipeReceiver<T> {
    fn clone(&self) -> Self {
        PipeReceiver {
            reader: self.reader.clone(),
        }
    }
}

impl<T> Clone for PipeEnd<T> {
    fn clone(&self) -> Self {
        PipeEnd {
            writer: self.writer.clone(),
            reader: self.reader.clone(),
        }
    }
}

impl<T: Send + 'static> fmt::Debug for PipeSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeSender")
            .field("to", &self.writer.0.id())
            .finish()
    }
}

impl<T: Send + 'static> fmt::Debug for PipeReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeReceiver")
            .field("from", &self.reader.0.id())
            .finish()
    }
}

impl<T: Send + 'static> fmt::Debug for PipeEnd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeEnd")
            .field("to", &self.writer.0.id())
            .field("from", &self.reader.0.id())
            .finish()
    }
}

/// What went wrong with a [pipe](crate::pipe) end: the pipe's own refusals,
/// or the kernel's [`Error`] from the actor that carries it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PipeError {
    /// The other end of a [pipe](crate::pipe) was dropped (every clone of it):
    /// nothing more can be sent, and what it sent has all been received.
    #[error("the other end of {pipe} is gone (every clone was dropped): nothing more can be sent, and everything it sent has been received")]
    Closed {
        /// The actor carrying this direction of the pipe.
        pipe: ActorId,
    },
    /// A non-waiting send (`try_send`) found no room.
    #[error("{pipe} is full ({capacity} items); use the waiting variant to wait for room, or retry later")]
    Full {
        /// The actor carrying this direction of the pipe.
        pipe: ActorId,
        /// How many items it holds at most.
        capacity: usize,
    },
    /// A non-waiting receive (`try_recv`) found nothing to take.
    #[error("{pipe} has nothing to take right now; use the waiting variant to wait for an item, or retry later")]
    Empty {
        /// The actor carrying this direction of the pipe.
        pipe: ActorId,
    },
    /// A get or put with a time limit gave up: nothing was taken, and a value
    /// given to put was handed back.
    #[error("`{operation}` on {pipe} gave up after {timeout:?}: nothing was taken or put; retry, or wait longer")]
    Timeout {
        /// The actor carrying this direction of the pipe.
        pipe: ActorId,
        /// The method that gave up (`"get_timeout"`, `"put_timeout"`,
        /// `"recv_timeout"`).
        operation: &'static str,
        /// The time allowed.
        timeout: Duration,
    },
    /// The kernel's error from the actor behind the handle.
    #[error(transparent)]
    Actor(#[from] Error),
}

impl<M> From<SendError<M, PipeError>> for PipeError {
    fn from(e: SendError<M, PipeError>) -> Self {
        e.error
    }
}

impl<M> From<SendError<M>> for PipeError {
    fn from(e: SendError<M>) -> Self {
        PipeError::Actor(e.error)
    }
}
