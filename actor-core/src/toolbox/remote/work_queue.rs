//! A [`WorkQueue`] on another node: the session that holds the leases of the
//! items its remote handle took, and the client that a looked-up
//! `WorkQueue<T>` holds.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::fifo::{self, shared_handlers, Close, Put, PutMany, RemoteFifo, Status};
use super::ToolError;
use super::{
    answer, decode, encode, generic_name, request, wire_names, Pending, Refused, BATCH_BYTES,
};
use crate::queue::{QueueError, QueueStatus};
use crate::remote::{Accepts, Exportable, RemoteActor};
use crate::toolbox::Patience;
use crate::work_queue::{Entry, WorkId, WorkItem, WorkQueue};
use crate::{
    spawn, Actor, ActorId, ActorRef, Context, Error, Handler, MailboxCapacity, Message, SendError,
    WireName,
};

impl<T> Exportable for WorkQueue<T>
where
    T: Serialize + DeserializeOwned + WireName + Send + 'static,
{
    type Session = WorkSession<T>;

    fn session(&self) -> ActorRef<WorkSession<T>> {
        spawn(WorkSession {
            queue: self.clone(),
            held: HashMap::new(),
        })
    }

    async fn from_session(session: ActorRef<WorkSession<T>>) -> Result<Self, Error> {
        let capacity = fifo::capacity(&session).await?;
        Ok(WorkQueue::remote(Arc::new(WorkClient {
            session,
            capacity,
        })))
    }
}

/// What a [`WorkQueue<T>`] handle, and the [`WorkItem`]s it hands out, do
/// when the queue is on another node: a get hands back an [`Entry`] whose
/// lease stays with the handle's session.
pub(crate) trait RemoteWork<T>: RemoteFifo<T, Entry<T>> {
    /// Waits until every item put has been acknowledged.
    fn join(&self) -> Pending<'_, Result<(), QueueError>>;

    /// Acknowledges item `id`: the delivery `deliveries` of it if given, or
    /// whichever this handle holds (`task_done`, which knows only the id).
    fn done(&self, id: WorkId, deliveries: Option<u32>) -> Pending<'_, Result<(), QueueError>>;

    /// Gives delivery `deliveries` of item `id` back, without waiting.
    fn give_back(&self, id: WorkId, deliveries: u32);
}

/// The client of a [`WorkQueue`] handle whose queue is on another node.
struct WorkClient<T: Send + 'static> {
    session: ActorRef<WorkSession<T>>,
    capacity: Option<usize>,
}

impl<T> RemoteFifo<T, Entry<T>> for WorkClient<T>
where
    T: Serialize + DeserializeOwned + WireName + Send + 'static,
{
    fn id(&self) -> ActorId {
        self.session.id()
    }

    fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    fn put(
        &self,
        item: T,
        wait: Patience,
        operation: &'static str,
    ) -> Pending<'_, Result<(), SendError<T, QueueError>>> {
        Box::pin(fifo::put(&self.session, item, wait, operation))
    }

    fn get(
        &self,
        wait: Patience,
        operation: &'static str,
    ) -> Pending<'_, Result<Entry<T>, QueueError>> {
        Box::pin(async move {
            let id = self.session.id();
            let asked = request(&self.session, Take { wait }, wait).await;
            let Taken { lease, item } = answer::<_, QueueError>(asked, id, operation, wait)?;
            match decode(&item) {
                Ok(value) => Ok(Entry::new(WorkId(lease.id), lease.deliveries, value)),
                Err(refused) => {
                    // Nobody can process it here: give the lease back.
                    self.give_back(WorkId(lease.id), lease.deliveries);
                    Err(QueueError::refused(refused, id, operation, wait))
                }
            }
        })
    }

    fn put_many(&self, items: Vec<T>) -> Pending<'_, Result<(), SendError<Vec<T>, QueueError>>> {
        Box::pin(fifo::put_many(&self.session, items))
    }

    fn get_many(&self, max: usize) -> Pending<'_, Result<Vec<Entry<T>>, QueueError>> {
        Box::pin(async move {
            let id = self.session.id();
            let (wait, operation) = (Patience::Forever, "get_many");
            let max = u64::try_from(max).unwrap_or(u64::MAX);
            let asked = request(&self.session, TakeMany { max }, wait).await;
            let taken = answer::<_, QueueError>(asked, id, operation, wait)?;
            let mut entries = Vec::with_capacity(taken.len());
            let mut undecodable = None;
            for Taken { lease, item } in taken {
                match decode(&item) {
                    Ok(value) => {
                        entries.push(Entry::new(WorkId(lease.id), lease.deliveries, value))
                    }
                    Err(refused) => {
                        // Nobody can process it here: give the lease back.
                        self.give_back(WorkId(lease.id), lease.deliveries);
                        undecodable.get_or_insert(refused);
                    }
                }
            }
            match undecodable {
                Some(refused) if entries.is_empty() => {
                    Err(QueueError::refused(refused, id, operation, wait))
                }
                _ => Ok(entries),
            }
        })
    }

    fn status(&self) -> Pending<'_, Result<QueueStatus, QueueError>> {
        Box::pin(fifo::status(&self.session))
    }

    fn close(&self) -> Pending<'_, ()> {
        Box::pin(fifo::close(&self.session))
    }
}

impl<T> RemoteWork<T> for WorkClient<T>
where
    T: Serialize + DeserializeOwned + WireName + Send + 'static,
{
    fn join(&self) -> Pending<'_, Result<(), QueueError>> {
        Box::pin(async move {
            let asked = self.session.ask(Join).await;
            answer(asked, self.session.id(), "join", Patience::Forever)
        })
    }

    fn done(&self, id: WorkId, deliveries: Option<u32>) -> Pending<'_, Result<(), QueueError>> {
        Box::pin(async move {
            let lease = Lease {
                id: id.as_u64(),
                deliveries,
            };
            let settle = Settle { lease, done: true };
            let asked = request(&self.session, settle, Patience::None).await;
            answer(asked, self.session.id(), "done", Patience::None)
        })
    }

    fn give_back(&self, id: WorkId, deliveries: u32) {
        // The session's mailbox is unbounded: this fails only if the session
        // is gone, and then it has given the item back already.
        let lease = Lease {
            id: id.as_u64(),
            deliveries: Some(deliveries),
        };
        let _ = self.session.try_tell(Settle { lease, done: false });
    }
}

/// The session of one remote handle to an exported [`WorkQueue`]: the
/// leases of the items it took, by id.
pub struct WorkSession<T: Send + 'static> {
    queue: WorkQueue<T>,
    held: HashMap<u64, WorkItem<T>>,
}

impl<T: Send + 'static> WorkSession<T> {
    /// Keeps `lease` for the handle, which gets `item` (its encoding).
    fn hold(&mut self, lease: WorkItem<T>, item: Vec<u8>) -> Taken {
        let (id, deliveries) = (lease.id().as_u64(), lease.deliveries());
        self.held.insert(id, lease);
        Taken {
            lease: Delivery { id, deliveries },
            item,
        }
    }

    /// Takes the lease on item `id` if it is the delivery asked for (after a
    /// reconnect, an older handle's item may come back with the same id).
    fn lease(&mut self, Lease { id, deliveries }: Lease) -> Option<WorkItem<T>> {
        match self.held.get(&id) {
            Some(lease) if deliveries.is_none_or(|d| lease.deliveries() == d) => {
                self.held.remove(&id)
            }
            _ => None,
        }
    }
}

impl<T: Send + 'static> std::fmt::Debug for WorkSession<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut held: Vec<&u64> = self.held.keys().collect();
        held.sort_unstable();
        f.debug_struct("WorkSession")
            .field("queue", &self.queue)
            .field("held", &held)
            .finish()
    }
}

impl<T: Send + 'static> Actor for WorkSession<T> {
    fn name() -> &'static str {
        "WorkSession"
    }

    // Asks bound themselves (their callers wait); releases must never be
    // refused for room, or an item would stay leased.
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl<T: WireName + Send + 'static> WireName for WorkSession<T> {
    fn wire_name() -> Cow<'static, str> {
        generic_name::<T>("actor.work_queue")
    }
}

impl<T> RemoteActor for WorkSession<T>
where
    T: Serialize + DeserializeOwned + WireName + Send + 'static,
{
    fn accepts(messages: &mut Accepts<Self>) {
        messages
            .accept::<Put>()
            .accept::<Take>()
            .accept::<PutMany>()
            .accept::<TakeMany>()
            .accept::<Settle>()
            .accept::<Status>()
            .accept::<Join>()
            .accept::<Close>();
    }
}

/// Takes an item, leasing it to the session.
#[derive(Serialize, Deserialize)]
pub(crate) struct Take {
    wait: Patience,
}

/// Takes an item, waiting as long as it takes, and up to `max - 1` more that
/// are there at once, leasing each to the session.
#[derive(Serialize, Deserialize)]
pub(crate) struct TakeMany {
    max: u64,
}

/// One delivery of one item: its id, and which delivery it is (`None`: the
/// one held, whichever it is).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Lease {
    id: u64,
    deliveries: Option<u32>,
}

/// An item taken (encoded): its lease stays with the session.
#[derive(Serialize, Deserialize)]
pub(crate) struct Taken {
    lease: Delivery,
    item: Vec<u8>,
}

/// Which delivery of which item a `Taken` is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Delivery {
    id: u64,
    deliveries: u32,
}

/// Acknowledges (`done`) or gives back a lease; a give-back is told, and its
/// answer dropped.
#[derive(Serialize, Deserialize)]
pub(crate) struct Settle {
    lease: Lease,
    done: bool,
}

/// Waits until every item put has been acknowledged.
#[derive(Serialize, Deserialize)]
pub(crate) struct Join;

impl Message for Take {
    type Reply = Result<Taken, Refused>;
}
impl Message for TakeMany {
    type Reply = Result<Vec<Taken>, Refused>;
}
impl Message for Settle {
    type Reply = Result<(), Refused>;
}
impl Message for Join {
    type Reply = Result<(), Refused>;
}

wire_names! {
    Take => "actor.work_queue.take",
    TakeMany => "actor.work_queue.take_many",
    Settle => "actor.work_queue.settle",
    Join => "actor.work_queue.join",
}

impl<T: Serialize + Send + 'static> Handler<Take> for WorkSession<T> {
    async fn handle(&mut self, take: Take, _ctx: &mut Context<Self>) -> Result<Taken, Refused> {
        let lease = self.take(take.wait).await?;
        // An item that does not encode goes back (the lease is dropped).
        let item = encode(&*lease).map_err(Refused::Other)?;
        Ok(self.hold(lease, item))
    }
}

impl<T: Serialize + Send + 'static> Handler<TakeMany> for WorkSession<T> {
    async fn handle(
        &mut self,
        take: TakeMany,
        _ctx: &mut Context<Self>,
    ) -> Result<Vec<Taken>, Refused> {
        let max = usize::try_from(take.max).unwrap_or(usize::MAX);
        let leases = self.queue.get_many(max).await.map_err(|e| e.to_refused())?;
        let mut taken = Vec::with_capacity(leases.len());
        let mut bytes = 0;
        let mut leases = leases.into_iter();
        for lease in leases.by_ref() {
            match encode(&*lease) {
                Ok(item) if taken.is_empty() || bytes + item.len() <= BATCH_BYTES => {
                    bytes += item.len();
                    taken.push(self.hold(lease, item));
                }
                // Over the budget: this lease and the rest are dropped, which
                // gives their items back (the last first, so they keep their
                // order at the front).
                Ok(_) => {
                    let rest: Vec<WorkItem<T>> = std::iter::once(lease).chain(leases).collect();
                    rest.into_iter().rev().for_each(drop);
                    break;
                }
                // An item that does not encode goes back (the lease is dropped).
                Err(reason) => {
                    tracing::warn!(item = %lease.id(), %reason, "a work item could not be sent to its remote consumer; it is delivered again")
                }
            }
        }
        Ok(taken)
    }
}

impl<T: Send + 'static> Handler<Settle> for WorkSession<T> {
    async fn handle(&mut self, settle: Settle, _ctx: &mut Context<Self>) -> Result<(), Refused> {
        match self.lease(settle.lease) {
            Some(lease) if settle.done => lease.done().await.map_err(|e| e.to_refused()),
            // Dropping the lease gives the item back.
            Some(_) => Ok(()),
            // Acknowledged already, or given back when the connection was
            // lost after it was taken (and delivered again since).
            None => Err(Refused::NotTaken {
                item: settle.lease.id,
            }),
        }
    }
}

impl<T: Send + 'static> Handler<Join> for WorkSession<T> {
    async fn handle(&mut self, _: Join, _ctx: &mut Context<Self>) -> Result<(), Refused> {
        self.queue.join().await.map_err(|e| e.to_refused())
    }
}

shared_handlers!(WorkSession, WorkItem<T>);
