//! What remote queues and remote work queues share: the messages `Put`,
//! `Status` and `Close`, the client's side of them, and the handlers
//! written once for both sessions (as a macro, since the two session types
//! are unrelated).

use serde::{Deserialize, Serialize};

use super::{answer, encode, other, request, wire_names, Pending, Refused, ToolError};
use crate::queue::{QueueError, QueueStatus};
use crate::toolbox::Patience;
use crate::{ActorId, ActorRef, Error, Handler, Message, SendError, StopReason};

/// Puts an item (encoded, so that the caller keeps it).
#[derive(Serialize, Deserialize)]
pub(crate) struct Put {
    pub(crate) item: Vec<u8>,
    pub(crate) wait: Patience,
}

/// Puts a batch of items (encoded as one sequence), in order, each waiting
/// as long as it takes.
#[derive(Serialize, Deserialize)]
pub(crate) struct PutMany {
    pub(crate) items: Vec<u8>,
}

/// How much of a batch was put before a refusal.
#[derive(Serialize, Deserialize)]
pub(crate) struct Unput {
    pub(crate) put: u64,
    pub(crate) refused: Refused,
}

/// The queue's counters and capacity.
#[derive(Serialize, Deserialize)]
pub(crate) struct Status;

/// Closes the queue.
#[derive(Serialize, Deserialize)]
pub(crate) struct Close;

impl Message for Put {
    type Reply = Result<(), Refused>;
}
impl Message for PutMany {
    type Reply = Result<(), Unput>;
}
impl Message for Status {
    type Reply = Result<QueueStatus, Refused>;
}
impl Message for Close {
    type Reply = ();
}

wire_names! {
    Put => "actor.queue.put",
    PutMany => "actor.queue.put_many",
    Status => "actor.queue.status",
    Close => "actor.queue.close",
}

/// Sends a put through a session, keeping the item to hand it back on any
/// error.
pub(crate) async fn put<A: Handler<Put>, T: Serialize>(
    session: &ActorRef<A>,
    item: T,
    wait: Patience,
    operation: &'static str,
) -> Result<(), SendError<T, QueueError>> {
    let id = session.id();
    let asked = match encode(&item) {
        Ok(bytes) => request(session, Put { item: bytes, wait }, wait).await,
        Err(reason) => Err(Error::Failed {
            actor: id,
            reason: StopReason::failed(reason),
        }),
    };
    answer(asked, id, operation, wait).map_err(|error| SendError {
        error,
        message: item,
    })
}

/// Sends a batch of puts through a session in one request, keeping the
/// items to hand back those not put.
pub(crate) async fn put_many<A: Handler<PutMany>, T: Serialize>(
    session: &ActorRef<A>,
    mut items: Vec<T>,
) -> Result<(), SendError<Vec<T>, QueueError>> {
    let id = session.id();
    let (wait, operation) = (Patience::Forever, "put_many");
    let asked = match encode(&items) {
        Ok(bytes) => request(session, PutMany { items: bytes }, wait).await,
        Err(reason) => Err(Error::Failed {
            actor: id,
            reason: StopReason::failed(reason),
        }),
    };
    match asked {
        Ok(Ok(())) => Ok(()),
        Ok(Err(Unput { put, refused })) => {
            let put = usize::try_from(put).unwrap_or(usize::MAX).min(items.len());
            let rest = items.split_off(put);
            Err(SendError {
                error: QueueError::refused(refused, id, operation, wait),
                message: rest,
            })
        }
        Err(error) => Err(SendError {
            error: error.into(),
            message: items,
        }),
    }
}

/// Asks a session for its queue's status.
pub(crate) async fn status<A: Handler<Status>>(
    session: &ActorRef<A>,
) -> Result<QueueStatus, QueueError> {
    let asked = request(session, Status, Patience::None).await;
    answer(asked, session.id(), "status", Patience::None)
}

/// Closes a session's queue. A queue that cannot be reached cannot be told
/// to close: the error is logged, as the local `close` has none to return.
pub(crate) async fn close<A: Handler<Close>>(session: &ActorRef<A>) {
    if let Err(error) = request(session, Close, Patience::None).await {
        tracing::warn!(queue = %session.id(), %error, "could not close a queue on another node");
    }
}

/// For a session type `$session<T>` whose `queue` is a `Queue<T>` or a
/// `WorkQueue<T>`: the handlers of [`Put`], [`Status`] and [`Close`], and
/// `take`, which gets an item (`$taken`) as `wait` says unless the handle
/// goes away.
macro_rules! shared_handlers {
    ($session:ident, $taken:ty) => {
        impl<T: Send + 'static> $session<T> {
            async fn take(&mut self, wait: Patience) -> Result<$taken, Refused> {
                let queue = &self.queue;
                let waiting = async move {
                    match wait {
                        Patience::None => queue.try_get().await,
                        Patience::Forever => queue.get().await,
                        Patience::Limit(limit) => queue.get_timeout(limit).await,
                    }
                };
                waiting.await.map_err(|e| e.to_refused())
            }
        }

        impl<T: DeserializeOwned + Send + 'static> Handler<$crate::toolbox::remote::fifo::Put>
            for $session<T>
        {
            async fn handle(
                &mut self,
                put: $crate::toolbox::remote::fifo::Put,
                _ctx: &mut Context<Self>,
            ) -> Result<(), Refused> {
                let item: T = decode(&put.item)?;
                let queue = &self.queue;
                let waiting = async move {
                    match put.wait {
                        Patience::None => queue.try_put(item).await,
                        Patience::Forever => queue.put(item).await,
                        Patience::Limit(limit) => queue.put_timeout(item, limit).await,
                    }
                };
                waiting.await.map_err(|e| e.error.to_refused())
            }
        }

        impl<T: DeserializeOwned + Send + 'static> Handler<$crate::toolbox::remote::fifo::PutMany>
            for $session<T>
        {
            async fn handle(
                &mut self,
                batch: $crate::toolbox::remote::fifo::PutMany,
                _ctx: &mut Context<Self>,
            ) -> Result<(), $crate::toolbox::remote::fifo::Unput> {
                let unput = |refused| $crate::toolbox::remote::fifo::Unput { put: 0, refused };
                let items: Vec<T> = decode(&batch.items).map_err(unput)?;
                let count = items.len();
                self.queue.put_many(items).await.map_err(|e| {
                    let put = count.saturating_sub(e.message.len());
                    $crate::toolbox::remote::fifo::Unput {
                        put: u64::try_from(put).unwrap_or(u64::MAX),
                        refused: e.error.to_refused(),
                    }
                })
            }
        }

        impl<T: Send + 'static> Handler<$crate::toolbox::remote::fifo::Status> for $session<T> {
            async fn handle(
                &mut self,
                _: $crate::toolbox::remote::fifo::Status,
                _ctx: &mut Context<Self>,
            ) -> Result<$crate::queue::QueueStatus, Refused> {
                self.queue.status().await.map_err(|e| e.to_refused())
            }
        }

        impl<T: Send + 'static> Handler<$crate::toolbox::remote::fifo::Close> for $session<T> {
            async fn handle(
                &mut self,
                _: $crate::toolbox::remote::fifo::Close,
                _ctx: &mut Context<Self>,
            ) {
                self.queue.close().await;
            }
        }
    };
}
pub(crate) use shared_handlers;

/// What a [`Queue<T>`](crate::queue::Queue) or
/// [`WorkQueue<T>`](crate::work_queue::WorkQueue) handle does when its queue
/// is on another node; `Taken` is what a get hands back. A trait object, so
/// that the handle's type does not carry the serde bounds its items need to
/// cross.
pub(crate) trait RemoteFifo<T, Taken>: Send + Sync {
    /// The id of the reference to the session (what this process knows the
    /// queue by).
    fn id(&self) -> ActorId;
    /// The queue's capacity, as the exporting node told it at lookup.
    fn capacity(&self) -> Option<usize>;
    fn put(
        &self,
        item: T,
        wait: Patience,
        operation: &'static str,
    ) -> Pending<'_, Result<(), SendError<T, QueueError>>>;
    fn get(
        &self,
        wait: Patience,
        operation: &'static str,
    ) -> Pending<'_, Result<Taken, QueueError>>;
    fn put_many(&self, items: Vec<T>) -> Pending<'_, Result<(), SendError<Vec<T>, QueueError>>>;
    fn get_many(&self, max: usize) -> Pending<'_, Result<Vec<Taken>, QueueError>>;
    fn status(&self) -> Pending<'_, Result<QueueStatus, QueueError>>;
    fn close(&self) -> Pending<'_, ()>;
}

/// Asks a freshly looked-up session for its queue's capacity, which a
/// handle reports without asking.
pub(crate) async fn capacity<A: Handler<Status>>(
    session: &ActorRef<A>,
) -> Result<Option<usize>, Error> {
    let asked = request(session, Status, Patience::None).await?;
    asked
        .map(|status| status.capacity)
        .map_err(|refused| other(session.id(), "lookup", refused))
}
