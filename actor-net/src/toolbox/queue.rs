//! [`RemoteQueue`]: a [`Queue`] exported by another node, and the session
//! that serves each remote handle to it.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::time::Duration;

use actor_core::queue::Queue;
use actor_core::{
    spawn, Actor, ActorId, ActorRef, Context, Handler, MailboxCapacity, Message, RemoteMessage,
    SendError, WireName,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::common::{shared_handlers, shared_methods, Close, Len, Put};
use super::ToolError;
use super::{answer, decode, generic_name, request, Refused, Wait};
use crate::{Accepts, NetError, Node, RemoteActor};
use actor_core::queue::QueueError;

impl Node {
    /// Exports `queue` under `name`: other nodes reach it with
    /// [`lookup_queue`](Self::lookup_queue). Each remote handle gets a
    /// session of its own (see the [toolbox](crate::toolbox)).
    ///
    /// # Errors
    /// [`NetError::NameTaken`] if something is already exported under `name`.
    pub fn export_queue<T>(&self, name: impl Into<String>, queue: Queue<T>) -> Result<(), NetError>
    where
        T: Serialize + DeserializeOwned + WireName + Send + 'static,
    {
        self.export_sessions(name, move || {
            spawn(QueueSession {
                queue: queue.clone(),
            })
        })
    }

    /// A handle to the queue of items `T` exported as `name` by the node at
    /// `addr`.
    ///
    /// # Errors
    /// As [`Node::lookup`]; [`NetError::WrongType`] if the export is not a
    /// queue of `T` (by `T`'s wire name).
    pub async fn lookup_queue<T>(
        &self,
        addr: SocketAddr,
        name: &str,
    ) -> Result<RemoteQueue<T>, NetError>
    where
        T: Serialize + DeserializeOwned + WireName + Send + 'static,
    {
        let session = self.lookup::<QueueSession<T>>(addr, name).await?;
        Ok(RemoteQueue { session })
    }
}

/// A handle to a [`Queue`] exported by another node: the same methods and
/// errors as the local queue, over the network.
///
/// Cloning is cheap, and clones share one session on the exporting node,
/// which serves their requests one at a time: a `get` that waits holds up the
/// clones' requests sent after it. Give each waiting task its own handle
/// ([`Node::lookup_queue`] again); see the [toolbox](crate::toolbox).
///
/// Errors name the queue by [`id`](Self::id). When the connection is lost,
/// requests fail with the errors of a remote ask ([`Error::Failed`](actor_core::Error::Failed), naming
/// the node), and the handle reconnects on its own.
///
/// Delivery is at most once: an item taken for a `get` whose answer cannot
/// reach its handle (the handle's node died before the exporting node
/// noticed) is lost. Use a [`RemoteWorkQueue`](super::RemoteWorkQueue) when
/// every item must be processed.
pub struct RemoteQueue<T: Send + 'static> {
    session: ActorRef<QueueSession<T>>,
}

impl<T: Send + 'static> Clone for RemoteQueue<T> {
    fn clone(&self) -> Self {
        RemoteQueue {
            session: self.session.clone(),
        }
    }
}

impl<T: Send + 'static> fmt::Debug for RemoteQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RemoteQueue")
            .field(&self.session.id())
            .finish()
    }
}

impl<T> RemoteQueue<T>
where
    T: Serialize + DeserializeOwned + WireName + Send + 'static,
{
    async fn get_with(&self, wait: Wait, operation: &'static str) -> Result<T, QueueError> {
        let asked = request(&self.session, Get::<T>::new(wait), wait).await;
        answer(asked, self.id(), operation, wait)
    }

    shared_methods!(T);
}

/// The session of one remote handle to an exported [`Queue`].
pub(crate) struct QueueSession<T: Send + 'static> {
    queue: Queue<T>,
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
            .accept::<Len>()
            .accept::<Close>();
    }
}

/// Takes an item.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) struct Get<T> {
    wait: Wait,
    #[serde(skip)]
    item: PhantomData<fn() -> T>,
}

impl<T> Get<T> {
    fn new(wait: Wait) -> Self {
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

shared_handlers!(QueueSession, T);
