//! Queues shared by many producers and consumers (Python's `multiprocessing.Queue`).
//!
//! This module owns [`Queue`]: a FIFO queue whose state is owned by an actor,
//! reached through a cheap, cloneable handle. Python's
//! `multiprocessing.Queue(maxsize)` is the model:
//!
//! - bounded ([`Queue::bounded`]) or not ([`Queue::unbounded`]);
//! - [`put`](Queue::put) waits while the queue is full (backpressure),
//!   [`get`](Queue::get) waits while it is empty; both have a time-limited
//!   variant (`*_timeout`) and a non-waiting one (`try_*`);
//! - batches: [`put_many`](Queue::put_many) and
//!   [`get_many`](Queue::get_many) move many items per request;
//! - [`len`](Queue::len), [`is_empty`](Queue::is_empty),
//!   [`is_full`](Queue::is_full), [`status`](Queue::status);
//! - consumers waiting for an item are served first come, first served, and so
//!   are producers waiting for room;
//! - [`close`](Queue::close) replaces Python's `'done'` sentinels: producers
//!   are refused from then on (a waiting one gets its item back), consumers
//!   take what is left and then get [`QueueError::Closed`].
//!
//! No lock is needed by the user, nor held by anyone: the queue is an actor
//! that handles one request at a time, and a request that has to wait is
//! parked in a line rather than holding the actor. A put that fails hands its
//! item back in its [`SendError`]. A `get` whose future is dropped after the
//! queue sent it an item puts the item back at the front, so cancelling a get
//! (in a `select!`, or with a timeout) never loses an item.
//!
//! ```
//! use actor_core::queue::{Queue, QueueError};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), QueueError> {
//! let queue = Queue::bounded(2);
//! let producer = {
//!     let queue = queue.clone();
//!     tokio::spawn(async move {
//!         for url in ["url_1", "url_2", "url_3"] {
//!             queue.put(url).await?; // waits while 2 are queued
//!         }
//!         queue.close().await; // no sentinel: consumers see the end
//!         Ok::<_, QueueError>(())
//!     })
//! };
//! let mut got = Vec::new();
//! loop {
//!     match queue.get().await {
//!         Ok(url) => got.push(url),
//!         Err(QueueError::Closed { .. }) => break,
//!         Err(other) => return Err(other),
//!     }
//! }
//! assert_eq!(got, ["url_1", "url_2", "url_3"]);
//! # producer.await.expect("producer ran")?;
//! # Ok(()) }
//! ```
//!
//! # On another node
//!
//! A queue another node exported (actor-net's `Node::export_handle`) is
//! looked up as a `Queue<T>` (`Node::lookup_handle::<Queue<T>>`), with the
//! same methods, errors and first-come first-served order; the same holds
//! for a [`WorkQueue`](crate::work_queue::WorkQueue), an
//! [`Event`](crate::sync::Event) and a [`Lock`](crate::sync::Lock). What
//! the network adds:
//!
//! ## Sessions
//!
//! Each looked-up handle is served by a *session*: the exporting node gives
//! it an actor of its own, holding a clone of the local handle and whatever
//! the remote handle holds: the leases on the work items it took, the guard
//! of the lock it acquired. The session lives exactly as long as the
//! handle's stream: when the remote handle is dropped, or its node dies or
//! shuts down (the connection closes, or times out), the session ends and
//! drops what it held, as a local holder that dies would: its work items go
//! back to their queue and are delivered again, its lock is released. A
//! request that was waiting on the dead handle's behalf (a `get`, a `lock`)
//! is withdrawn, so it takes nothing that nobody would receive. A handle
//! whose connection was lost reconnects to a fresh session, holding nothing:
//! acknowledging a work item taken before fails (it was given back), and
//! dropping a lock guard from before does nothing.
//!
//! Time limits (`get_timeout`, `lock_timeout`, ...) are enforced by the
//! exporting node, where the waiting happens, and bounded on the calling side
//! too, at the limit plus five seconds of grace: a request to a
//! node that is gone fails rather than waits for it to come back. Network
//! failures surface as the errors of a remote ask ([`Error::Failed`] naming
//! the node, [`Error::Timeout`], or [`Error::Stopped`]).
//!
//! ## One request at a time per handle
//!
//! A session serves its handle's requests one at a time, in order, and clones
//! of a handle share its session. So a request that waits (a `get` on an
//! empty queue, a `wait` on a clear event, a `lock` of a held lock) holds up
//! the requests sent after it through the same handle, including a `done`
//! or a guard's release. Give each task that waits its own handle: look the
//! object up again (a lookup is one stream, cheap on an open connection).
//!
//! Every `put` and `get` is a round trip to the exporting node, so one
//! producer or consumer moves at most one item per round trip. For
//! throughput, move items in batches: [`put_many`](Queue::put_many) and
//! [`get_many`](Queue::get_many) cross in one request each, whatever the
//! batch's size.
//!
//! Cancelling a waiting request on the calling side (dropping its future, in
//! a `select!` or under `tokio::time::timeout`) does not reach the exporting
//! node: the request goes on waiting there, and what it takes is lost (a
//! queue item) or held until the handle is dropped (a work item). A
//! cancelled `lock` is released as soon as it is granted. Use the
//! `*_timeout` variants, which the exporting node enforces, or drop the
//! handle with the future.
//!
//! Errors name the object by the id this process knows it by: that of its
//! reference to the session ([`Queue::id`]). Delivery through a remote
//! `Queue` is at most once: an item taken for a `get` whose answer cannot
//! reach its handle (the handle's node died before the exporting node
//! noticed) is lost; use a work queue when every item must be processed.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::fifo::{Client, Counts, Plain, Refusal};
use super::remote::fifo::RemoteFifo;
use super::Patience;

use crate::ActorId;
use crate::{Error, SendError};

/// A FIFO queue shared by any number of producers and consumers. See the
/// [module documentation](self).
///
/// Cloning the handle is cheap; every clone reaches the same queue. The queue
/// lives as long as some handle does.
pub struct Queue<T> {
    reach: Reach<T>,
}

/// Where a queue handle's queue is.
enum Reach<T> {
    /// In this process: its actor, through the client.
    Here(Client<T>),
    /// On another node, through a session there.
    Remote(Arc<dyn RemoteFifo<T, T>>),
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        let reach = match &self.reach {
            Reach::Here(client) => Reach::Here(client.clone()),
            Reach::Remote(remote) => Reach::Remote(remote.clone()),
        };
        Queue { reach }
    }
}

impl<T: Send + 'static> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("id", &self.id())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// A snapshot of a queue's state, from [`Queue::status`] or
/// [`WorkQueue::status`](crate::work_queue::WorkQueue::status).
///
/// Like Python's `qsize()`, it may be out of date by the time it is read when
/// other tasks use the queue; it is exact when they are all waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueStatus {
    /// Items in the queue.
    pub len: usize,
    /// The most items it holds, `None` if unbounded.
    pub capacity: Option<usize>,
    /// Whether [`close`](Queue::close) was called.
    pub closed: bool,
    /// Consumers waiting for an item.
    pub waiting_getters: usize,
    /// Producers waiting for room.
    pub waiting_putters: usize,
    /// Items handed out and not yet acknowledged (work queues; always 0 for a
    /// [`Queue`]).
    pub held: usize,
}

impl QueueStatus {
    pub(crate) fn new(counts: Counts, capacity: Option<usize>) -> Self {
        QueueStatus {
            len: counts.len,
            capacity,
            closed: counts.closed,
            waiting_getters: counts.waiting_getters,
            waiting_putters: counts.waiting_putters,
            held: counts.outstanding,
        }
    }

    /// Whether the queue holds no item.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the queue is at its capacity (never, if unbounded).
    pub fn is_full(&self) -> bool {
        self.capacity.is_some_and(|c| self.len >= c)
    }
}

impl<T: Send + 'static> Queue<T> {
    /// A queue holding at most `capacity` items (a capacity of 0 is treated
    /// as 1). Spawns its actor on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime, like [`spawn`](crate::spawn).
    pub fn bounded(capacity: usize) -> Self {
        Queue {
            reach: Reach::Here(Client::spawn(Some(capacity), Plain)),
        }
    }

    /// A queue without a limit: `put` never waits. Memory grows as fast as
    /// producers outpace consumers, so prefer [`bounded`](Self::bounded)
    /// unless producers are known to be slower.
    ///
    /// # Panics
    /// Outside a tokio runtime, like [`spawn`](crate::spawn).
    pub fn unbounded() -> Self {
        Queue {
            reach: Reach::Here(Client::spawn(None, Plain)),
        }
    }

    /// A handle to a queue on another node, through its client there.
    pub(crate) fn remote(remote: Arc<dyn RemoteFifo<T, T>>) -> Self {
        Queue {
            reach: Reach::Remote(remote),
        }
    }

    /// The id of the actor that owns the queue (for a queue on another node,
    /// of this process's reference to it); errors name the queue by it.
    pub fn id(&self) -> ActorId {
        match &self.reach {
            Reach::Here(client) => client.id(),
            Reach::Remote(remote) => remote.id(),
        }
    }

    /// The most items the queue holds, `None` if unbounded.
    pub fn capacity(&self) -> Option<usize> {
        match &self.reach {
            Reach::Here(client) => client.capacity(),
            Reach::Remote(remote) => remote.capacity(),
        }
    }

    /// Puts `item` at the back, waiting while the queue is full. Producers
    /// waiting for room are admitted in the order they came.
    ///
    /// If this future is dropped while it waits, the item is withdrawn (it is
    /// dropped, not put), unless the queue had already admitted it.
    ///
    /// # Errors
    /// With the item handed back: [`QueueError::Closed`] if the queue is
    /// closed (or is closed while this waits); [`Error::Stopped`] if its actor
    /// ended (its runtime shut down).
    pub async fn put(&self, item: T) -> Result<(), SendError<T, QueueError>> {
        self.put_with(item, Patience::Forever, "put").await
    }

    /// Like [`put`](Self::put), waiting at most `timeout` for room.
    ///
    /// # Errors
    /// Those of `put`, and [`QueueError::Timeout`] if no room came in time;
    /// the item is handed back with every error.
    pub async fn put_timeout(
        &self,
        item: T,
        timeout: Duration,
    ) -> Result<(), SendError<T, QueueError>> {
        self.put_with(item, Patience::Limit(timeout), "put_timeout")
            .await
    }

    /// Puts `item` if there is room now, without waiting for any (Python's
    /// `put_nowait`). It still waits for the queue's answer.
    ///
    /// # Errors
    /// Those of `put`, and [`QueueError::Full`] if there is no room; the item
    /// is handed back with every error.
    pub async fn try_put(&self, item: T) -> Result<(), SendError<T, QueueError>> {
        self.put_with(item, Patience::None, "try_put").await
    }

    async fn put_with(
        &self,
        item: T,
        patience: Patience,
        operation: &'static str,
    ) -> Result<(), SendError<T, QueueError>> {
        let client = match &self.reach {
            Reach::Here(client) => client,
            Reach::Remote(remote) => return remote.put(item, patience, operation).await,
        };
        client
            .put(item, patience)
            .await
            .map_err(|(why, item)| SendError {
                error: self.error(why, patience, operation),
                message: item,
            })
    }

    /// Puts every item of `items` at the back, in order, each waiting for
    /// room as [`put`](Self::put) does. Sent as one batch: the queue's actor
    /// admits them without a round trip per item, and a queue on another
    /// node receives them in one request.
    ///
    /// If this future is dropped while it waits, the items not yet admitted
    /// are withdrawn (dropped, not put).
    ///
    /// # Errors
    /// The first refusal, as `put`'s, with every item that was not put handed
    /// back in order (after a refusal for a closed queue, that is the rest of
    /// the batch).
    pub async fn put_many(
        &self,
        items: impl IntoIterator<Item = T>,
    ) -> Result<(), SendError<Vec<T>, QueueError>> {
        let items: Vec<T> = items.into_iter().collect();
        let client = match &self.reach {
            Reach::Here(client) => client,
            Reach::Remote(remote) => return remote.put_many(items).await,
        };
        client
            .put_all(items)
            .await
            .map_err(|(why, items)| SendError {
                error: self.error(why, Patience::Forever, "put_many"),
                message: items,
            })
    }

    /// Takes the item at the front, waiting while the queue is empty, and
    /// with it up to `max - 1` more that are there now (`max` 0 is taken as
    /// 1): a consumer's way to take many items per request. The items keep
    /// their order. Cancel-safe as `get` is: a dropped future gives back
    /// what it took, to the front.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn get_many(&self, max: usize) -> Result<Vec<T>, QueueError> {
        let max = max.max(1);
        match &self.reach {
            Reach::Here(client) => client
                .get_batch(Patience::Forever, max)
                .await
                .map_err(|why| self.error(why, Patience::Forever, "get_many")),
            Reach::Remote(remote) => remote.get_many(max).await,
        }
    }

    /// Puts `items`, taken from this queue and not delivered, back at the
    /// front in their order (a remote session's batch that did not fit its
    /// answer). A queue that is itself on another node gets them at the back.
    pub(crate) async fn give_back(&self, items: Vec<T>) {
        match &self.reach {
            Reach::Here(client) => {
                for item in items.into_iter().rev() {
                    client.door().give_back(item);
                }
            }
            Reach::Remote(remote) => {
                if let Err(lost) = remote.put_many(items).await {
                    tracing::warn!(queue = %self.id(), error = %lost.error, count = lost.message.len(), "items of a batch could not be put back");
                }
            }
        }
    }

    /// Takes the item at the front, waiting while the queue is empty.
    /// Consumers waiting for an item are served in the order they came.
    ///
    /// # Errors
    /// [`QueueError::Closed`] once the queue is closed and empty;
    /// [`Error::Stopped`] if its actor ended.
    pub async fn get(&self) -> Result<T, QueueError> {
        self.get_with(Patience::Forever, "get").await
    }

    /// Like [`get`](Self::get), waiting at most `timeout` for an item.
    ///
    /// # Errors
    /// Those of `get`, and [`QueueError::Timeout`] if no item came in time.
    pub async fn get_timeout(&self, timeout: Duration) -> Result<T, QueueError> {
        self.get_with(Patience::Limit(timeout), "get_timeout").await
    }

    /// Takes the item at the front if there is one now (Python's
    /// `get_nowait`). It still waits for the queue's answer.
    ///
    /// # Errors
    /// Those of `get`, and [`QueueError::Empty`] if there is no item.
    pub async fn try_get(&self) -> Result<T, QueueError> {
        self.get_with(Patience::None, "try_get").await
    }

    async fn get_with(&self, patience: Patience, operation: &'static str) -> Result<T, QueueError> {
        match &self.reach {
            Reach::Here(client) => client
                .get(patience)
                .await
                .map_err(|why| self.error(why, patience, operation)),
            Reach::Remote(remote) => remote.get(patience, operation).await,
        }
    }

    /// How many items are in the queue.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn len(&self) -> Result<usize, QueueError> {
        Ok(self.status().await?.len)
    }

    /// Whether the queue holds no item.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn is_empty(&self) -> Result<bool, QueueError> {
        Ok(self.status().await?.is_empty())
    }

    /// Whether the queue is at its capacity (never, if unbounded).
    ///
    /// # Errors
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn is_full(&self) -> Result<bool, QueueError> {
        Ok(self.status().await?.is_full())
    }

    /// The queue's length, capacity, whether it is closed, and who waits.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn status(&self) -> Result<QueueStatus, QueueError> {
        let client = match &self.reach {
            Reach::Here(client) => client,
            Reach::Remote(remote) => return remote.status().await,
        };
        let counts = client
            .counts()
            .await
            .ok_or(Error::Stopped { actor: self.id() })?;
        Ok(QueueStatus::new(counts, self.capacity()))
    }

    /// Closes the queue: every put from now on is refused, and producers
    /// waiting for room get [`QueueError::Closed`] with their item back.
    /// Consumers take the items left, then get `QueueError::Closed`. Returns
    /// once the queue is closed. Closing twice does nothing more.
    ///
    /// A queue on another node that cannot be reached is not closed; that
    /// is logged (a warning), as there is no error to return.
    pub async fn close(&self) {
        match &self.reach {
            Reach::Here(client) => client.close().await,
            Reach::Remote(remote) => remote.close().await,
        }
    }

    fn error(&self, why: Refusal, patience: Patience, operation: &'static str) -> QueueError {
        refusal_error(why, self.id(), self.capacity(), patience, operation)
    }
}

/// The error that tells a caller of `operation` why the queue refused.
pub(crate) fn refusal_error(
    why: Refusal,
    queue: ActorId,
    capacity: Option<usize>,
    patience: Patience,
    operation: &'static str,
) -> QueueError {
    match why {
        Refusal::Empty => QueueError::Empty { queue },
        Refusal::Full => QueueError::Full {
            queue,
            capacity: capacity.unwrap_or(usize::MAX),
        },
        Refusal::Closed => QueueError::Closed { queue },
        Refusal::TimedOut => QueueError::Timeout {
            queue,
            operation,
            timeout: patience.limit(),
        },
        Refusal::Stopped => Error::Stopped { actor: queue }.into(),
    }
}

/// What went wrong with a [`Queue`](crate::queue::Queue) or a
/// [`WorkQueue`](crate::work_queue::WorkQueue): the queue's own refusals, or
/// the kernel's [`Error`] from the actor that owns it (it stopped because its
/// runtime shut down, say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// A [`Queue`](crate::queue::Queue) or
    /// [`WorkQueue`](crate::work_queue::WorkQueue) was closed: it refuses new
    /// items, and once the items left are taken it has nothing more to give.
    #[error("{queue} is closed: puts are refused, and every item put before the close has been taken; stop producing or consuming")]
    Closed {
        /// The queue's actor.
        queue: ActorId,
    },
    /// A non-waiting put (`try_put`, `try_send`) found no room.
    #[error("{queue} is full ({capacity} items); use the waiting variant to wait for room, or retry later")]
    Full {
        /// The queue's actor.
        queue: ActorId,
        /// How many items it holds at most.
        capacity: usize,
    },
    /// A non-waiting get (`try_get`, `try_recv`) found nothing to take.
    #[error("{queue} has nothing to take right now; use the waiting variant to wait for an item, or retry later")]
    Empty {
        /// The queue's actor.
        queue: ActorId,
    },
    /// A get or put with a time limit gave up: nothing was taken, and a value
    /// given to put was handed back.
    #[error("`{operation}` on {queue} gave up after {timeout:?}: nothing was taken or put; retry, or wait longer")]
    Timeout {
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
    /// The kernel's error from the actor behind the handle.
    #[error(transparent)]
    Actor(#[from] Error),
}

impl<M> From<SendError<M, QueueError>> for QueueError {
    fn from(e: SendError<M, QueueError>) -> Self {
        e.error
    }
}

impl<M> From<SendError<M>> for QueueError {
    fn from(e: SendError<M>) -> Self {
        QueueError::Actor(e.error)
    }
}
