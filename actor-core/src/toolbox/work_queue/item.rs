//! [`WorkItem`]: a lease on one item of a work queue, held with the queue's
//! actor or, for a queue on another node, with the handle's session there;
//! acknowledged with [`WorkItem::done`], given back when dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::{Entry, WorkId};
use crate::queue::QueueError;
use crate::toolbox::fifo::Door;
use crate::toolbox::remote::work_queue::RemoteWork;
use crate::{ActorId, Error};

/// Acknowledges item `id` through `door`.
pub(super) async fn acknowledge<T>(
    door: &dyn Door<Entry<T>>,
    id: WorkId,
) -> Result<(), QueueError> {
    let (reply, held) = oneshot::channel();
    door.acknowledge(id, reply);
    match held.await {
        Ok(true) => Ok(()),
        Ok(false) => Err(QueueError::NotTaken {
            queue: door.id(),
            item: id,
        }),
        Err(_) => Err(Error::Stopped { actor: door.id() }.into()),
    }
}

/// A lease on one item of a [`WorkQueue`](super::WorkQueue): the item, and the duty to
/// acknowledge it.
///
/// It derefs to the item. [`done`](Self::done) acknowledges it; dropping the
/// lease any other way (including a panic or a kill of its holder) gives the
/// item back to the queue, to be delivered again.
#[must_use = "a work item dropped without `done` is given back and delivered again"]
pub struct WorkItem<T> {
    id: WorkId,
    deliveries: u32,
    /// `Some` until `Drop` moves it out (an `Option` rather than a
    /// `ManuallyDrop`, so that the toolbox needs no `unsafe`).
    value: Option<T>,
    holder: Holder<T>,
    acknowledged: bool,
}

/// Who a work item's lease is held with: the queue's actor here, or the
/// session of a handle to a queue on another node.
pub(super) enum Holder<T> {
    Here(Arc<dyn Door<Entry<T>>>),
    Remote(Arc<dyn RemoteWork<T>>),
}

impl<T> Clone for Holder<T> {
    fn clone(&self) -> Self {
        match self {
            Holder::Here(door) => Holder::Here(door.clone()),
            Holder::Remote(remote) => Holder::Remote(remote.clone()),
        }
    }
}

impl<T> Holder<T> {
    fn id(&self) -> ActorId {
        match self {
            Holder::Here(door) => door.id(),
            Holder::Remote(remote) => remote.id(),
        }
    }
}

impl<T> WorkItem<T> {
    /// The lease on `entry`, held with `holder`.
    pub(super) fn new(entry: Entry<T>, holder: Holder<T>) -> Self {
        WorkItem {
            id: entry.id,
            deliveries: entry.deliveries,
            value: Some(entry.value),
            holder,
            acknowledged: false,
        }
    }
}

impl<T: Send + 'static> WorkItem<T> {
    /// The item's number in its queue (the same on every delivery).
    pub fn id(&self) -> WorkId {
        self.id
    }

    /// How many times the queue has handed this item out, this time included:
    /// 1 on the first delivery, more when consumers gave it back or failed.
    pub fn deliveries(&self) -> u32 {
        self.deliveries
    }

    /// The id of the queue it came from (its handle's [`WorkQueue::id`](super::WorkQueue::id)).
    pub fn queue(&self) -> ActorId {
        self.holder.id()
    }

    /// Acknowledges the item: it is processed, and will not be delivered
    /// again. The item is dropped.
    ///
    /// # Errors
    /// [`QueueError::NotTaken`] if it was already acknowledged by id with
    /// [`WorkQueue::task_done`](super::WorkQueue::task_done); [`Error::Stopped`] if the queue's actor
    /// ended.
    pub async fn done(mut self) -> Result<(), QueueError> {
        // Set before the ack is sent, so that if this future is dropped
        // after sending it the item is not also given back.
        self.acknowledged = true;
        match &self.holder {
            Holder::Here(door) => acknowledge(&**door, self.id).await,
            Holder::Remote(remote) => remote.done(self.id, Some(self.deliveries)).await,
        }
    }

    /// Gives the item back now, to be delivered again (to this consumer or
    /// another): what dropping the lease does, said explicitly.
    pub fn release(self) {
        drop(self);
    }
}

impl<T> Deref for WorkItem<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match &self.value {
            Some(value) => value,
            None => unreachable!("a work item's value is taken only in its drop"),
        }
    }
}

impl<T> DerefMut for WorkItem<T> {
    fn deref_mut(&mut self) -> &mut T {
        match &mut self.value {
            Some(value) => value,
            None => unreachable!("a work item's value is taken only in its drop"),
        }
    }
}

impl<T> Drop for WorkItem<T> {
    fn drop(&mut self) {
        let Some(value) = self.value.take() else {
            return;
        };
        if self.acknowledged {
            return;
        }
        match &self.holder {
            // The queue's mailbox is unbounded, and this lease keeps the
            // queue alive: the message is refused only if the runtime is
            // shutting down, and then the item goes down with the queue.
            Holder::Here(door) => door.give_back(Entry {
                id: self.id,
                deliveries: self.deliveries,
                value,
            }),
            // The item itself stays on the exporting node.
            Holder::Remote(remote) => remote.give_back(self.id, self.deliveries),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for WorkItem<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkItem")
            .field("id", &self.id)
            .field("deliveries", &self.deliveries)
            .field("value", &**self)
            .field("queue", &self.holder.id())
            .finish()
    }
}
