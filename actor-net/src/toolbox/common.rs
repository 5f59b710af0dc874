//! What remote queues and remote work queues share: the messages `Put`,
//! `Len` and `Close`, and the methods and handlers written once for both
//! (as macros, since the two session types are unrelated).

use actor_core::{ActorRef, Error, Handler, Message, SendError, StopReason};
use serde::{Deserialize, Serialize};

use super::{answer, encode, request, wire_names, Refused, Wait};
use actor_core::queue::QueueError;

/// Puts an item (encoded, so that the caller keeps it).
#[derive(Serialize, Deserialize)]
pub(crate) struct Put {
    pub(crate) item: Vec<u8>,
    pub(crate) wait: Wait,
}

/// The queue's length (items waiting to be taken).
#[derive(Serialize, Deserialize)]
pub(crate) struct Len;

/// Closes the queue.
#[derive(Serialize, Deserialize)]
pub(crate) struct Close;

impl Message for Put {
    type Reply = Result<(), Refused>;
}
impl Message for Len {
    type Reply = Result<u64, Refused>;
}
impl Message for Close {
    type Reply = ();
}

wire_names! {
    Put => "actor.queue.put",
    Len => "actor.queue.len",
    Close => "actor.queue.close",
}

/// Sends a put through a session, keeping the item to hand it back on any
/// error.
pub(crate) async fn put<A: Handler<Put>, T: Serialize>(
    session: &ActorRef<A>,
    item: T,
    wait: Wait,
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

/// The methods of a remote queue handle whose `session` handles [`Put`],
/// [`Len`] and [`Close`], and which has a `get_with(wait, operation)`
/// answering `Result<$item, QueueError>`.
macro_rules! shared_methods {
    ($item:ty) => {
        /// The id this process knows the queue by (its reference's); errors
        /// name the queue by it.
        pub fn id(&self) -> ActorId {
            self.session.id()
        }

        /// Takes the item at the front, waiting while the queue is empty.
        ///
        /// # Errors
        /// [`QueueError::Closed`] once the queue is closed and has nothing
        /// more to give; the errors of a remote ask.
        pub async fn get(&self) -> Result<$item, QueueError> {
            self.get_with(Wait::Forever, "get").await
        }

        /// Like [`get`](Self::get), waiting at most `timeout` (counted on
        /// the exporting node).
        ///
        /// # Errors
        /// Those of `get`, and [`QueueError::Timeout`].
        pub async fn get_timeout(&self, timeout: Duration) -> Result<$item, QueueError> {
            self.get_with(Wait::Limit(timeout), "get_timeout").await
        }

        /// Takes the item at the front if there is one now.
        ///
        /// # Errors
        /// Those of `get`, and [`QueueError::Empty`].
        pub async fn try_get(&self) -> Result<$item, QueueError> {
            self.get_with(Wait::None, "try_get").await
        }

        /// Puts `item` at the back, waiting while the queue is full.
        ///
        /// # Errors
        /// With the item handed back: [`QueueError::Closed`]; the errors of a
        /// remote ask. An item handed back with a lost connection may have
        /// been put before the connection broke.
        pub async fn put(&self, item: T) -> Result<(), SendError<T, QueueError>> {
            $crate::toolbox::common::put(&self.session, item, Wait::Forever, "put").await
        }

        /// Like [`put`](Self::put), waiting at most `timeout` for room.
        ///
        /// # Errors
        /// Those of `put`, and [`QueueError::Timeout`]; the item is handed
        /// back.
        pub async fn put_timeout(
            &self,
            item: T,
            timeout: Duration,
        ) -> Result<(), SendError<T, QueueError>> {
            let wait = Wait::Limit(timeout);
            $crate::toolbox::common::put(&self.session, item, wait, "put_timeout").await
        }

        /// Puts `item` if there is room now.
        ///
        /// # Errors
        /// Those of `put`, and [`QueueError::Full`]; the item is handed back.
        pub async fn try_put(&self, item: T) -> Result<(), SendError<T, QueueError>> {
            $crate::toolbox::common::put(&self.session, item, Wait::None, "try_put").await
        }

        /// How many items wait to be taken (items held by consumers of a
        /// work queue are not counted).
        ///
        /// # Errors
        /// The errors of a remote ask; [`Error::Stopped`](actor_core::Error::Stopped) if the queue ended.
        pub async fn len(&self) -> Result<usize, QueueError> {
            let asked = $crate::toolbox::request(
                &self.session,
                $crate::toolbox::common::Len,
                $crate::toolbox::Wait::None,
            )
            .await;
            let len = answer::<_, QueueError>(asked, self.id(), "len", Wait::None)?;
            Ok(usize::try_from(len).unwrap_or(usize::MAX))
        }

        /// Whether no item waits to be taken.
        ///
        /// # Errors
        /// As [`len`](Self::len).
        pub async fn is_empty(&self) -> Result<bool, QueueError> {
            Ok(self.len().await? == 0)
        }

        /// Closes the queue: puts are refused from now on, and consumers get
        /// [`QueueError::Closed`] once nothing is left to take.
        ///
        /// # Errors
        /// The errors of a remote ask (the local `close` cannot fail).
        pub async fn close(&self) -> Result<(), QueueError> {
            $crate::toolbox::request(
                &self.session,
                $crate::toolbox::common::Close,
                $crate::toolbox::Wait::None,
            )
            .await
            .map_err(Into::into)
        }
    };
}
pub(crate) use shared_methods;

/// For a session type `$session<T>` whose `queue` is a `Queue<T>` or a
/// `WorkQueue<T>`: the handlers of [`Put`], [`Len`] and [`Close`], and
/// `take`, which gets an item (`$taken`) as `wait` says unless the handle
/// goes away.
macro_rules! shared_handlers {
    ($session:ident, $taken:ty) => {
        impl<T: Send + 'static> $session<T> {
            async fn take(&mut self, wait: Wait) -> Result<$taken, Refused> {
                let queue = &self.queue;
                let waiting = async move {
                    match wait {
                        Wait::None => queue.try_get().await,
                        Wait::Forever => queue.get().await,
                        Wait::Limit(limit) => queue.get_timeout(limit).await,
                    }
                };
                waiting.await.map_err(|e| e.to_refused())
            }
        }

        impl<T: DeserializeOwned + Send + 'static> Handler<Put> for $session<T> {
            async fn handle(&mut self, put: Put, _ctx: &mut Context<Self>) -> Result<(), Refused> {
                let item: T = decode(&put.item)?;
                let queue = &self.queue;
                let waiting = async move {
                    match put.wait {
                        Wait::None => queue.try_put(item).await,
                        Wait::Forever => queue.put(item).await,
                        Wait::Limit(limit) => queue.put_timeout(item, limit).await,
                    }
                };
                waiting.await.map_err(|e| e.error.to_refused())
            }
        }

        impl<T: Send + 'static> Handler<Len> for $session<T> {
            async fn handle(&mut self, _: Len, _ctx: &mut Context<Self>) -> Result<u64, Refused> {
                match self.queue.len().await {
                    Ok(len) => Ok(u64::try_from(len).unwrap_or(u64::MAX)),
                    Err(e) => Err(e.to_refused()),
                }
            }
        }

        impl<T: Send + 'static> Handler<Close> for $session<T> {
            async fn handle(&mut self, _: Close, _ctx: &mut Context<Self>) {
                self.queue.close().await;
            }
        }
    };
}
pub(crate) use shared_handlers;
