//! Work queues: items that must be acknowledged (Python's `JoinableQueue`).
//!
//! This module owns [`WorkQueue`], Python's `JoinableQueue` as an actor: a
//! [`Queue`](crate::queue::Queue) whose consumers acknowledge each item once
//! they have processed it, and whose [`join`](WorkQueue::join) resolves when
//! every item put has been acknowledged.
//!
//! [`get`](WorkQueue::get) hands out a [`WorkItem`]: a lease on the item. The
//! consumer reads it through the lease (it derefs to the item) and
//! acknowledges it with [`WorkItem::done`]. A lease dropped without
//! `done` gives the item back: it returns to the front of the queue and is
//! delivered again ([`WorkItem::deliveries`] counts the deliveries). Because a
//! lease is dropped however its holder ends, an item is delivered again when
//! its consumer
//! - returns or stops without acknowledging it,
//! - panics while holding it (the lease is dropped as the panic unwinds, or
//!   with the failed actor's state),
//! - is killed or aborted (its future, and the lease in it, are dropped).
//!
//! Delivery is therefore **at least once**: an item is never lost, and it can
//! be processed more than once when a consumer fails after doing the work but
//! before acknowledging it. Only a lease that is leaked (`mem::forget`) or a
//! process that aborts keeps an item from coming back. Acknowledging is
//! exactly once: `done` consumes the lease, and acknowledging an item the
//! queue does not count as taken, by id with [`WorkQueue::task_done`], is
//! [`QueueError::NotTaken`] (Python's `ValueError` for `task_done()` called too
//! often).
//!
//! A closed work queue refuses puts, like a queue; its consumers get
//! [`QueueError::Closed`] only when no item is left *and none is held*, since
//! a held item may still come back and need a consumer.
//!
//! ```
//! use actor_core::queue::QueueError;
//! use actor_core::work_queue::WorkQueue;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), QueueError> {
//! let queue = WorkQueue::unbounded();
//! for dish in ["noodles_0", "noodles_1"] {
//!     queue.put(dish).await?;
//! }
//! let consumer = {
//!     let queue = queue.clone();
//!     tokio::spawn(async move {
//!         // The first delivery is dropped unacknowledged: it comes back.
//!         drop(queue.get().await?);
//!         while let Ok(item) = queue.try_get().await {
//!             println!("ate {} (delivery {})", *item, item.deliveries());
//!             item.done().await?;
//!         }
//!         Ok::<_, QueueError>(())
//!     })
//! };
//! queue.join().await?; // every item put was acknowledged
//! # consumer.await.expect("consumer ran")?;
//! assert_eq!(queue.status().await?.held, 0);
//! # Ok(()) }
//! ```

mod item;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

pub use super::fifo::WorkId;
use super::fifo::{Client, Ledger, Refusal};
use super::queue::QueueError;
use super::queue::{refusal_error, QueueStatus};
use super::remote::work_queue::RemoteWork;
use super::Patience;
use crate::ActorId;
use crate::{Error, SendError};
pub use item::WorkItem;
use item::{acknowledge, Holder};

/// An item as the work queue's actor stores it.
pub(crate) struct Entry<T> {
    id: WorkId,
    deliveries: u32,
    value: T,
}

impl<T> Entry<T> {
    /// Delivery `deliveries` of item `id`.
    pub(crate) fn new(id: WorkId, deliveries: u32, value: T) -> Self {
        Entry {
            id,
            deliveries,
            value,
        }
    }
}

/// The work queue's ledger: numbers the items and records which are held.
pub(crate) struct Leases {
    next: u64,
    held: HashSet<WorkId>,
}

impl<T: Send + 'static> Ledger<Entry<T>> for Leases {
    const NAME: &'static str = "WorkQueue";

    fn admitted(&mut self, entry: &mut Entry<T>) {
        self.next += 1;
        entry.id = WorkId(self.next);
    }

    fn taken(&mut self, entry: &mut Entry<T>) {
        entry.deliveries += 1;
        self.held.insert(entry.id);
    }

    fn untaken(&mut self, entry: &mut Entry<T>) {
        entry.deliveries -= 1;
        self.held.remove(&entry.id);
    }

    fn returned(&mut self, entry: &mut Entry<T>) -> bool {
        self.held.remove(&entry.id)
    }

    fn outstanding(&self) -> usize {
        self.held.len()
    }

    fn acknowledge(&mut self, id: WorkId) -> bool {
        self.held.remove(&id)
    }
}

/// A queue of work items that consumers acknowledge. See the
/// [module documentation](self).
///
/// Cloning the handle is cheap; every clone reaches the same queue. The queue
/// lives as long as some handle or [`WorkItem`] does. A work queue on another
/// node is a `WorkQueue<T>` too; the items its handle takes are leased to the
/// handle's session there, and delivered again if this process dies (see
/// [the queue's documentation](crate::queue#on-another-node)).
pub struct WorkQueue<T> {
    reach: Reach<T>,
}

/// Where a work queue handle's queue is.
enum Reach<T> {
    /// In this process: its actor, through the client.
    Here(Client<Entry<T>>),
    /// On another node, through a session there.
    Remote(Arc<dyn RemoteWork<T>>),
}

impl<T> Clone for WorkQueue<T> {
    fn clone(&self) -> Self {
        let reach = match &self.reach {
            Reach::Here(client) => Reach::Here(client.clone()),
            Reach::Remote(remote) => Reach::Remote(remote.clone()),
        };
        WorkQueue { reach }
    }
}

impl<T: Send + 'static> fmt::Debug for WorkQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkQueue")
            .field("id", &self.id())
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl<T: Send + 'static> WorkQueue<T> {
    /// A work queue holding at most `capacity` items waiting to be taken (a
    /// capacity of 0 is treated as 1); items held by consumers do not count.
    ///
    /// # Panics
    /// Outside a tokio runtime, like [`spawn`](crate::spawn).
    pub fn bounded(capacity: usize) -> Self {
        WorkQueue {
            reach: Reach::Here(Client::spawn(Some(capacity), Self::ledger())),
        }
    }

    /// A work queue without a limit: `put` never waits.
    ///
    /// # Panics
    /// Outside a tokio runtime, like [`spawn`](crate::spawn).
    pub fn unbounded() -> Self {
        WorkQueue {
            reach: Reach::Here(Client::spawn(None, Self::ledger())),
        }
    }

    fn ledger() -> Leases {
        Leases {
            next: 0,
            held: HashSet::new(),
        }
    }

    /// A handle to a work queue on another node, through its client there.
    pub(crate) fn remote(remote: Arc<dyn RemoteWork<T>>) -> Self {
        WorkQueue {
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

    /// The most items waiting to be taken, `None` if unbounded.
    pub fn capacity(&self) -> Option<usize> {
        match &self.reach {
            Reach::Here(client) => client.capacity(),
            Reach::Remote(remote) => remote.capacity(),
        }
    }

    /// Puts `item` at the back, waiting while the queue is full, as
    /// [`Queue::put`](crate::queue::Queue::put) does.
    ///
    /// # Errors
    /// With the item handed back: [`QueueError::Closed`] if the queue is
    /// closed; [`Error::Stopped`] if its actor ended.
    pub async fn put(&self, item: T) -> Result<(), SendError<T, QueueError>> {
        self.put_with(item, Patience::Forever, "put").await
    }

    /// Like [`put`](Self::put), waiting at most `timeout` for room.
    ///
    /// # Errors
    /// Those of `put`, and [`QueueError::Timeout`]; the item is handed back
    /// with every error.
    pub async fn put_timeout(
        &self,
        item: T,
        timeout: Duration,
    ) -> Result<(), SendError<T, QueueError>> {
        self.put_with(item, Patience::Limit(timeout), "put_timeout")
            .await
    }

    /// Puts `item` if there is room now.
    ///
    /// # Errors
    /// Those of `put`, and [`QueueError::Full`]; the item is handed back with
    /// every error.
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
        let entry = Entry {
            id: WorkId(0), // numbered when admitted
            deliveries: 0,
            value: item,
        };
        client
            .put(entry, patience)
            .await
            .map_err(|(why, entry)| SendError {
                error: self.error(why, patience, operation),
                message: entry.value,
            })
    }

    /// Puts every item of `items` at the back, in order, as one batch, as
    /// [`Queue::put_many`](crate::queue::Queue::put_many) does.
    ///
    /// # Errors
    /// As `Queue::put_many`: the first refusal, with every item not put.
    pub async fn put_many(
        &self,
        items: impl IntoIterator<Item = T>,
    ) -> Result<(), SendError<Vec<T>, QueueError>> {
        let items: Vec<T> = items.into_iter().collect();
        let client = match &self.reach {
            Reach::Here(client) => client,
            Reach::Remote(remote) => return remote.put_many(items).await,
        };
        let entries = items
            .into_iter()
            .map(|value| Entry::new(WorkId(0), 0, value)) // numbered when admitted
            .collect();
        client
            .put_all(entries)
            .await
            .map_err(|(why, entries)| SendError {
                error: self.error(why, Patience::Forever, "put_many"),
                message: entries.into_iter().map(|entry| entry.value).collect(),
            })
    }

    /// Takes the item at the front, waiting while the queue is empty, and
    /// with it up to `max - 1` more that are there now (`max` 0 is taken as
    /// 1), each leased as [`get`](Self::get) leases one.
    ///
    /// # Errors
    /// As `get`.
    pub async fn get_many(&self, max: usize) -> Result<Vec<WorkItem<T>>, QueueError> {
        let max = max.max(1);
        let (entries, holder) = match &self.reach {
            Reach::Here(client) => match client.get_batch(Patience::Forever, max).await {
                Ok(entries) => (entries, Holder::Here(client.door().clone())),
                Err(why) => return Err(self.error(why, Patience::Forever, "get_many")),
            },
            Reach::Remote(remote) => (remote.get_many(max).await?, Holder::Remote(remote.clone())),
        };
        Ok(entries
            .into_iter()
            .map(|entry| WorkItem::new(entry, holder.clone()))
            .collect())
    }

    /// Takes the item at the front, waiting while the queue is empty, and
    /// returns a lease on it; acknowledge it with [`WorkItem::done`].
    /// Waiting consumers are served in the order they came.
    ///
    /// # Errors
    /// [`QueueError::Closed`] once the queue is closed, empty, and no item is
    /// held by a consumer; [`Error::Stopped`] if its actor ended.
    pub async fn get(&self) -> Result<WorkItem<T>, QueueError> {
        self.get_with(Patience::Forever, "get").await
    }

    /// Like [`get`](Self::get), waiting at most `timeout`.
    ///
    /// # Errors
    /// Those of `get`, and [`QueueError::Timeout`].
    pub async fn get_timeout(&self, timeout: Duration) -> Result<WorkItem<T>, QueueError> {
        self.get_with(Patience::Limit(timeout), "get_timeout").await
    }

    /// Takes the item at the front if there is one now.
    ///
    /// # Errors
    /// Those of `get`, and [`QueueError::Empty`].
    pub async fn try_get(&self) -> Result<WorkItem<T>, QueueError> {
        self.get_with(Patience::None, "try_get").await
    }

    async fn get_with(
        &self,
        patience: Patience,
        operation: &'static str,
    ) -> Result<WorkItem<T>, QueueError> {
        let (entry, holder) = match &self.reach {
            Reach::Here(client) => match client.get(patience).await {
                Ok(entry) => (entry, Holder::Here(client.door().clone())),
                Err(why) => return Err(self.error(why, patience, operation)),
            },
            Reach::Remote(remote) => (
                remote.get(patience, operation).await?,
                Holder::Remote(remote.clone()),
            ),
        };
        Ok(WorkItem::new(entry, holder))
    }

    /// Acknowledges the item `id` without its lease, for code that passed the
    /// id on and kept the lease elsewhere; the lease then gives nothing back
    /// when dropped. Prefer [`WorkItem::done`].
    ///
    /// # Errors
    /// [`QueueError::NotTaken`] if the item is not held by a consumer (it was
    /// acknowledged already, given back, or never handed out);
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn task_done(&self, id: WorkId) -> Result<(), QueueError> {
        match &self.reach {
            Reach::Here(client) => acknowledge(&**client.door(), id).await,
            Reach::Remote(remote) => remote.done(id, None).await,
        }
    }

    /// Waits until every item put has been acknowledged: none waits in the
    /// queue and none is held. Returns at once if that is already so.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn join(&self) -> Result<(), QueueError> {
        let client = match &self.reach {
            Reach::Here(client) => client,
            Reach::Remote(remote) => return remote.join().await,
        };
        let (joined, done) = oneshot::channel();
        client.door().join(joined);
        done.await
            .map_err(|_| Error::Stopped { actor: self.id() })
            .map_err(Into::into)
    }

    /// How many items wait to be taken (held ones not counted).
    ///
    /// # Errors
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn len(&self) -> Result<usize, QueueError> {
        Ok(self.status().await?.len)
    }

    /// Whether no item waits to be taken.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn is_empty(&self) -> Result<bool, QueueError> {
        Ok(self.status().await?.is_empty())
    }

    /// Whether the queue is at its capacity.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the queue's actor ended.
    pub async fn is_full(&self) -> Result<bool, QueueError> {
        Ok(self.status().await?.is_full())
    }

    /// The queue's counters; [`QueueStatus::held`] counts the items held by
    /// consumers and not yet acknowledged.
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

    /// Closes the queue: puts are refused from now on (waiting producers get
    /// their item back); consumers get [`QueueError::Closed`] once no item is
    /// left or held. Returns once the queue is closed.
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
