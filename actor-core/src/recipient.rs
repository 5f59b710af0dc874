//! [`Recipient`]: a reference that knows only the message type.
//!
//! A `Recipient<M>` sends `M` to some actor without naming the actor's type, so
//! unrelated actors can be handed to each other: a producer holds a
//! `Recipient<Item>` and does not care which consumer type is behind it. It is a
//! strong reference, like [`ActorRef`](crate::ActorRef).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, SendError};
use crate::id::ActorId;
use crate::message::Message;
use crate::runtime::{self, send, MessageSink};
use crate::stop::StopReason;

/// A strong reference to an actor that handles `M`, of any type.
pub struct Recipient<M: Message> {
    sink: Arc<dyn MessageSink<M>>,
}

impl<M: Message> Recipient<M> {
    /// Wraps a sink whose sender count already includes this reference.
    pub(crate) fn adopt(sink: Arc<dyn MessageSink<M>>) -> Self {
        Recipient { sink }
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.sink.id()
    }

    pub(crate) fn control(&self) -> std::sync::Arc<dyn crate::runtime::Control> {
        self.sink.clone()
    }

    /// Sends a message, waiting while the mailbox is full.
    ///
    /// # Errors
    /// As [`ActorRef::tell`](crate::ActorRef::tell).
    pub fn tell(&self, message: M) -> impl Future<Output = Result<(), SendError<M>>> + Send + '_ {
        send::tell(&*self.sink, message)
    }

    /// Sends a message if the mailbox has room now.
    ///
    /// # Errors
    /// As [`ActorRef::try_tell`](crate::ActorRef::try_tell).
    pub fn try_tell(&self, message: M) -> Result<(), SendError<M>> {
        send::try_tell(&*self.sink, message)
    }

    /// Sends a message and waits for the reply.
    ///
    /// # Errors
    /// As [`ActorRef::ask`](crate::ActorRef::ask).
    pub fn ask(&self, message: M) -> impl Future<Output = Result<M::Reply, Error>> + Send + '_ {
        send::ask(&*self.sink, message)
    }

    /// Sends a message and waits for the reply at most `timeout`.
    ///
    /// # Errors
    /// As [`ActorRef::ask_timeout`](crate::ActorRef::ask_timeout).
    pub fn ask_timeout(
        &self,
        message: M,
        timeout: Duration,
    ) -> impl Future<Output = Result<M::Reply, Error>> + Send + '_ {
        send::ask_timeout(&*self.sink, message, timeout)
    }

    /// Asks the actor to stop gracefully, as [`ActorRef::stop`](crate::ActorRef::stop).
    pub fn stop(&self) {
        self.sink.stop_with(StopReason::Normal);
    }

    /// Stops the actor now, as [`ActorRef::kill`](crate::ActorRef::kill).
    pub fn kill(&self) {
        self.sink.kill();
    }

    /// Waits until the actor has stopped and returns why.
    pub async fn join(&self) -> StopReason {
        runtime::join(&*self.sink).await
    }

    /// Whether the actor has not ended yet.
    pub fn is_alive(&self) -> bool {
        self.sink.is_alive()
    }
}

impl<M: Message> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        self.sink.add_sender();
        Recipient {
            sink: self.sink.clone(),
        }
    }
}

impl<M: Message> Drop for Recipient<M> {
    fn drop(&mut self) {
        self.sink.remove_sender();
    }
}

impl<M: Message> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Recipient").field(&self.id()).finish()
    }
}
