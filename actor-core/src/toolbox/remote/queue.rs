//! A [`Queue`] on another node: the session that serves each remote handle
//! to an exported queue, and the client that a looked-up `Queue<T>` holds.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::fifo::{self, shared_handlers, Close, Put, PutMany, RemoteFifo, Status};
use super::{
    answer, decode, encode, generic_name, request, Pending, Refused, ToolError, BATCH_BYTES,
};
use crate::queue::{Queue, QueueError, QueueStatus};
use crate::remote::{Accepts, Exportable, RemoteActor};
use crate::toolbox::Patience;
use crate::{
    spawn, Actor, ActorId, ActorRef, Context, Error, Handler, MailboxCapacity, Message,
    RemoteMessage, SendError, WireName,
};

impl<T> Exportable for Queue<T>
where
    T: Serialize + DeserializeOwned + WireName + Send + 'static,
{
    type Session = QueueSession<T>;

    fn session(&self) -> ActorRef<QueueSession<T>> {
        spawn(QueueSession {
            queue: self.clone(),
        })
    }

    async fn from_session(session: ActorRef<QueueSession<T>>) -> Result<Self, Error> {
        let capacity = fifo::capacity(&session).await?;
        Ok(Queue::remote(Arc::new(QueueClient { session, capacity })))
    }
}

/// The client of a [`Queue`] handle whose queue is on another node.
struct QueueClient<T: Send + 'static> {
    session: ActorRef<QueueSession<T>>,
    capacity: Option<usize>,
}

impl<T> RemoteFifo<T, T> for QueueClient<T>
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

    fn get(&self, wait: Patience, operation: &'static str) -> Pending<'_, Result<T, QueueError>> {
        Box::pin(async move {
            let asked = request(&self.session, Get::<T>::new(wait), wait).await;
            answer(asked, self.session.id(), operation, wait)
        })
    }

    fn put_many(&self, items: Vec<T>) -> Pending<'_, Result<(), SendError<Vec<T>, QueueError>>> {
        Box::pin(fifo::put_many(&self.session, items))
    }

    fn get_many(&self, max: usize) -> Pending<'_, Result<Vec<T>, QueueError>> {
        Box::pin(async move {
            let wait = Patience::Forever;
            let max = u64::try_from(max).unwrap_or(u64::MAX);
            let asked = request(&self.session, GetMany::<T>::new(max), wait).await;
            let items: Vec<Vec<u8>> =
                answer::<_, QueueError>(asked, self.session.id(), "get_many", wait)?;
            let id = self.session.id();
            items
                .iter()
                .map(|item| decode(item).map_err(|r| QueueError::refused(r, id, "get_many", wait)))
                .collect()
        })
    }

    fn status(&self) -> Pending<'_, Result<QueueStatus, QueueError>> {
        Box::pin(fifo::status(&self.session))
    }

    fn close(&self) -> Pending<'_, ()> {
        Box::pin(fifo::close(&self.session))
    }
}

/// The session of one remote handle to an exported [`Queue`] (the actor an
/// exporting node runs for it).
pub struct QueueSession<T: Send + 'static> {
    queue: Queue<T>,
}

impl<T: Send + 'static> std::fmt::Debug for QueueSession<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueSession")
            .field("queue", &self.queue)
            .finish()
    }
}

impl<T: Send + 'static> Actor for QueueSession<T> {
    fn name() -> &'static str {
        "QueueSession"
    }

    // Every request is an ask, whose sender waits for the answer: the
    // callers bound what is queued.
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl<T: WireName + Send + 'static> WireName for QueueSession<T> {
    fn wire_name() -> Cow<'static, str> {
        generic_name::<T>("actor.queue")
    }
}

impl<T> RemoteActor for QueueSession<T>
where
    T: Serialize + DeserializeOwned + WireName + Send + 'static,
{
    fn accepts(messages: &mut Accepts<Self>) {
        messages
            .accept::<Put>()
            .accept::<Get<T>>()
            .accept::<PutMany>()
            .accept::<GetMany<T>>()
            .accept::<Status>()
            .accept::<Close>();
    }
}

/// Takes an item.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) struct Get<T> {
    wait: Patience,
    #[serde(skip)]
    item: PhantomData<fn() -> T>,
}

impl<T> Get<T> {
    fn new(wait: Patience) -> Self {
        Get {
            wait,
            item: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Message for Get<T> {
    type Reply = Result<T, Refused>;
}

impl<T: WireName> WireName for Get<T> {
    fn wire_name() -> Cow<'static, str> {
        generic_name::<T>("actor.queue.get")
    }
}
impl<T: Serialize + DeserializeOwned + WireName + Send + 'static> RemoteMessage for Get<T> {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Handler<Get<T>> for QueueSession<T> {
    async fn handle(&mut self, get: Get<T>, _ctx: &mut Context<Self>) -> Result<T, Refused> {
        self.take(get.wait).await
    }
}

/// Takes an item, waiting as long as it takes, and up to `max - 1` more that
/// are there at once.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) struct GetMany<T> {
    max: u64,
    #[serde(skip)]
    item: PhantomData<fn() -> T>,
}

impl<T> GetMany<T> {
    fn new(max: u64) -> Self {
        GetMany {
            max,
            item: PhantomData,
        }
    }
}

/// The items, each encoded, within [`BATCH_BYTES`].
impl<T: Serialize + DeserializeOwned + Send + 'static> Message for GetMany<T> {
    type Reply = Result<Vec<Vec<u8>>, Refused>;
}

impl<T: WireName> WireName for GetMany<T> {
    fn wire_name() -> Cow<'static, str> {
        generic_name::<T>("actor.queue.get_many")
    }
}
impl<T: Serialize + DeserializeOwned + WireName + Send + 'static> RemoteMessage for GetMany<T> {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Handler<GetMany<T>> for QueueSession<T> {
    async fn handle(
        &mut self,
        get: GetMany<T>,
        _ctx: &mut Context<Self>,
    ) -> Result<Vec<Vec<u8>>, Refused> {
        let max = usize::try_from(get.max).unwrap_or(usize::MAX);
        let items = self.queue.get_many(max).await.map_err(|e| e.to_refused())?;
        let mut encoded = Vec::with_capacity(items.len());
        let mut bytes = 0;
        let mut items = items.into_iter();
        for item in items.by_ref() {
            match encode(&item) {
                Ok(e) if encoded.is_empty() || bytes + e.len() <= BATCH_BYTES => {
                    bytes += e.len();
                    encoded.push(e);
                }
                // Over the budget, or not encodable: this one and the rest
                // go back, to the front, in order.
                _ => {
                    let rest: Vec<T> = std::iter::once(item).chain(items).collect();
                    self.queue.give_back(rest).await;
                    break;
                }
            }
        }
        if encoded.is_empty() {
            return Err(Refused::Other(
                "the item at the front does not serialise".to_owned(),
            ));
        }
        Ok(encoded)
    }
}

shared_handlers!(QueueSession, T);
