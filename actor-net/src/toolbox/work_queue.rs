//! [`RemoteWorkQueue`] and [`RemoteWorkItem`]: a [`WorkQueue`] exported by
//! another node, and the session that holds the leases of the items its
//! remote handle took.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use actor_core::work_queue::{WorkItem, WorkQueue};
use actor_core::{
    spawn, Actor, ActorId, ActorRef, Context, Handler, MailboxCapacity, Message, SendError,
    WireName,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::common::{shared_handlers, shared_methods, Close, Len, Put};
use super::ToolError;
use super::{answer, decode, encode, generic_name, request, wire_names, Refused, Wait};
use crate::{Accepts, NetError, Node, RemoteActor};
use actor_core::queue::QueueError;

impl Node {
    /// Exports `queue` under `name`: other nodes reach it with
    /// [`lookup_work_queue`](Self::lookup_work_queue). The items a remote
    /// handle takes are leased to its session: when the handle's node dies,
    /// they are delivered again (see the [toolbox](crate::toolbox)).
    ///
    /// # Errors
    /// [`NetError::NameTaken`] if something is already exported under `name`.
    pub fn export_work_queue<T>(
        &self,
        name: impl Into<String>,
        queue: WorkQueue<T>,
    ) -> Result<(), NetError>
    where
        T: Serialize + DeserializeOwned + WireName + Send + 'static,
    {
        self.export_sessions(name, move || {
            spawn(WorkSession {
                queue: queue.clone(),
                held: HashMap::new(),
            })
        })
    }

    /// A handle to the work queue of items `T` exported as `name` by the
    /// node at `addr`.
    ///
    /// # Errors
    /// As [`Node::lookup`]; [`NetError::WrongType`] if the export is not a
    /// work queue of `T`.
    pub async fn lookup_work_queue<T>(
        &self,
        addr: SocketAddr,
        name: &str,
    ) -> Result<RemoteWorkQueue<T>, NetError>
    where
        T: Serialize + DeserializeOwned + WireName + Send + 'static,
    {
        let session = self.lookup::<WorkSession<T>>(addr, name).await?;
        Ok(RemoteWorkQueue { session })
    }
}

/// A handle to a [`WorkQueue`] exported by another node.
///
/// [`get`](Self::get) takes an item and hands out a [`RemoteWorkItem`], acknowledged with
/// [`RemoteWorkItem::done`]; one dropped without `done`, or held by a node
/// that dies, is delivered again. Clones share one session, served one
/// request at a time (a `done` waits behind a `get` of the same handle that
/// waits): give each consumer its own handle, as the
/// [toolbox](crate::toolbox) explains.
pub struct RemoteWorkQueue<T: Send + 'static> {
    session: ActorRef<WorkSession<T>>,
}

impl<T: Send + 'static> Clone for RemoteWorkQueue<T> {
    fn clone(&self) -> Self {
        RemoteWorkQueue {
            session: self.session.clone(),
        }
    }
}

impl<T: Send + 'static> fmt::Debug for RemoteWorkQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RemoteWorkQueue")
            .field(&self.session.id())
            .finish()
    }
}

impl<T> RemoteWorkQueue<T>
where
    T: Serialize + DeserializeOwned + WireName + Send + 'static,
{
    async fn get_with(
        &self,
        wait: Wait,
        operation: &'static str,
    ) -> Result<RemoteWorkItem<T>, QueueError> {
        let asked = request(&self.session, Take { wait }, wait).await;
        let Taken { lease, item } = answer::<_, QueueError>(asked, self.id(), operation, wait)?;
        match decode(&item) {
            Ok(value) => Ok(RemoteWorkItem {
                value,
                lease,
                session: self.session.clone(),
                acknowledged: false,
            }),
            Err(refused) => {
                // Nobody can process it here: give the lease back.
                let _ = self.session.try_tell(Settle { lease, done: false });
                Err(QueueError::refused(refused, self.id(), operation, wait))
            }
        }
    }

    /// Waits until every item put has been acknowledged.
    ///
    /// # Errors
    /// The errors of a remote ask.
    pub async fn join(&self) -> Result<(), QueueError> {
        let asked = self.session.ask(Join).await;
        answer(asked, self.id(), "join", Wait::Forever)
    }

    shared_methods!(RemoteWorkItem<T>);
}

/// A lease on one item of a remote work queue: the item (it derefs to it)
/// and the duty to acknowledge it with [`done`](Self::done).
///
/// Dropped without `done`, it gives the item back (a message to its
/// session, sent without waiting), to be delivered again; if its node dies,
/// the session gives it back.
#[must_use = "a work item dropped without `done` is given back and delivered again"]
#[derive(Debug)]
pub struct RemoteWorkItem<T: Send + 'static> {
    value: T,
    lease: Lease,
    session: ActorRef<WorkSession<T>>,
    acknowledged: bool,
}

impl<T: Send + 'static> RemoteWorkItem<T> {
    /// The item's number in its queue, the same on every delivery
    /// ([`WorkId::as_u64`](actor_core::work_queue::WorkId::as_u64)).
    pub fn id(&self) -> u64 {
        self.lease.id
    }

    /// How many times the queue has handed this item out, this time included.
    pub fn deliveries(&self) -> u32 {
        self.lease.deliveries
    }

    /// The id of the queue's handle it came from.
    pub fn queue(&self) -> ActorId {
        self.session.id()
    }

    /// Acknowledges the item: it will not be delivered again.
    ///
    /// # Errors
    /// [`Error::Failed`](actor_core::Error::Failed) if the lease is no longer this handle's (the
    /// connection was lost meanwhile, so the item was given back); the errors
    /// of a remote ask.
    pub async fn done(mut self) -> Result<(), QueueError> {
        // Set first, so that a dropped `done` does not also give it back.
        self.acknowledged = true;
        let lease = self.lease;
        let asked = request(&self.session, Settle { lease, done: true }, Wait::None).await;
        answer(asked, self.session.id(), "done", Wait::None)
    }

    /// Gives the item back now, to be delivered again.
    pub fn release(self) {
        drop(self);
    }
}

impl<T: Send + 'static> Deref for RemoteWorkItem<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Send + 'static> DerefMut for RemoteWorkItem<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: Send + 'static> Drop for RemoteWorkItem<T> {
    fn drop(&mut self) {
        if !self.acknowledged {
            // The session's mailbox is unbounded: this fails only if the
            // session is gone, and then it has given the item back already.
            let lease = self.lease;
            let _ = self.session.try_tell(Settle { lease, done: false });
        }
    }
}

/// The session of one remote handle to an exported [`WorkQueue`]: the
/// leases of the items it took, by id.
pub(crate) struct WorkSession<T: Send + 'static> {
    queue: WorkQueue<T>,
    held: HashMap<u64, WorkItem<T>>,
}

impl<T: Send + 'static> WorkSession<T> {
    /// Takes the lease on item `id` if it is this delivery's (after a
    /// reconnect, an older handle's item may come back with the same id).
    fn lease(&mut self, Lease { id, deliveries }: Lease) -> Option<WorkItem<T>> {
        match self.held.get(&id) {
            Some(lease) if lease.deliveries() == deliveries => self.held.remove(&id),
            _ => None,
        }
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
            .accept::<Settle>()
            .accept::<Len>()
            .accept::<Join>()
            .accept::<Close>();
    }
}

/// Takes an item, leasing it to the session.
#[derive(Serialize, Deserialize)]
pub(crate) struct Take {
    wait: Wait,
}

/// One delivery of one item: its id, and which delivery it is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Lease {
    id: u64,
    deliveries: u32,
}

/// An item taken (encoded): its lease stays with the session.
#[derive(Serialize, Deserialize)]
pub(crate) struct Taken {
    lease: Lease,
    item: Vec<u8>,
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
impl Message for Settle {
    type Reply = Result<(), Refused>;
}
impl Message for Join {
    type Reply = Result<(), Refused>;
}

wire_names! {
    Take => "actor.work_queue.take",
    Settle => "actor.work_queue.settle",
    Join => "actor.work_queue.join",
}

impl<T: Serialize + Send + 'static> Handler<Take> for WorkSession<T> {
    async fn handle(&mut self, take: Take, _ctx: &mut Context<Self>) -> Result<Taken, Refused> {
        let lease = self.take(take.wait).await?;
        // An item that does not encode goes back (the lease is dropped).
        let item = encode(&*lease).map_err(Refused::Other)?;
        let (id, deliveries) = (lease.id().as_u64(), lease.deliveries());
        self.held.insert(id, lease);
        let lease = Lease { id, deliveries };
        Ok(Taken { lease, item })
    }
}

impl<T: Send + 'static> Handler<Settle> for WorkSession<T> {
    async fn handle(&mut self, settle: Settle, _ctx: &mut Context<Self>) -> Result<(), Refused> {
        match self.lease(settle.lease) {
            Some(lease) if settle.done => lease.done().await.map_err(|e| e.to_refused()),
            // Dropping the lease gives the item back.
            Some(_) => Ok(()),
            None => Err(Refused::Other(format!(
                "item #{} is not held by this handle: the connection was lost after it was taken, so it was given back to be delivered again",
                settle.lease.id
            ))),
        }
    }
}

impl<T: Send + 'static> Handler<Join> for WorkSession<T> {
    async fn handle(&mut self, _: Join, _ctx: &mut Context<Self>) -> Result<(), Refused> {
        self.queue.join().await.map_err(|e| e.to_refused())
    }
}

shared_handlers!(WorkSession, WorkItem<T>);
