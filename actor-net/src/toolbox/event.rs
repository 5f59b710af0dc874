//! [`RemoteEvent`]: an [`Event`] exported by another node, and the session
//! that serves each remote handle to it.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::Duration;

use actor_core::sync::Event;
use actor_core::{
    spawn, Actor, ActorId, ActorRef, Context, Handler, MailboxCapacity, Message, WireName,
};
use serde::{Deserialize, Serialize};

use super::ToolError;
use super::{answer, request, wire_names, Refused, Wait};
use crate::{Accepts, NetError, Node, RemoteActor};
use actor_core::sync::SyncError;

impl Node {
    /// Exports `event` under `name`: other nodes reach it with
    /// [`lookup_event`](Self::lookup_event).
    ///
    /// # Errors
    /// [`NetError::NameTaken`] if something is already exported under `name`.
    pub fn export_event(&self, name: impl Into<String>, event: Event) -> Result<(), NetError> {
        self.export_sessions(name, move || {
            spawn(EventSession {
                event: event.clone(),
            })
        })
    }

    /// A handle to the event exported as `name` by the node at `addr`.
    ///
    /// # Errors
    /// As [`Node::lookup`]; [`NetError::WrongType`] if the export is not an
    /// event.
    pub async fn lookup_event(
        &self,
        addr: SocketAddr,
        name: &str,
    ) -> Result<RemoteEvent, NetError> {
        let session = self.lookup::<EventSession>(addr, name).await?;
        Ok(RemoteEvent { session })
    }
}

/// A handle to an [`Event`] exported by another node: set, clear, and wait
/// for it as for the local one.
///
/// Clones share one session, served one request at a time: a `set` sent
/// through a clone of a handle that is waiting waits behind the `wait`. Set
/// and wait through separate handles (see the [toolbox](crate::toolbox)).
#[derive(Clone, Debug)]
pub struct RemoteEvent {
    session: ActorRef<EventSession>,
}

impl RemoteEvent {
    /// The id this process knows the event by (its reference's).
    pub fn id(&self) -> ActorId {
        self.session.id()
    }

    /// Sets the flag and wakes every waiter, on every node.
    ///
    /// # Errors
    /// The errors of a remote ask; [`Error::Stopped`](actor_core::Error::Stopped) if the event ended.
    pub async fn set(&self) -> Result<(), SyncError> {
        answer(
            request(&self.session, SetFlag(true), Wait::None).await,
            self.id(),
            "set",
            Wait::None,
        )
    }

    /// Clears the flag: waits that start from now on wait for the next set.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn clear(&self) -> Result<(), SyncError> {
        answer(
            request(&self.session, SetFlag(false), Wait::None).await,
            self.id(),
            "clear",
            Wait::None,
        )
    }

    /// Whether the flag is set.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn is_set(&self) -> Result<bool, SyncError> {
        self.wait_with(Wait::None, "is_set").await
    }

    /// Returns at once if the flag is set, otherwise when it is next set.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn wait(&self) -> Result<(), SyncError> {
        self.wait_with(Wait::Forever, "wait").await.map(drop)
    }

    /// Like [`wait`](Self::wait), giving up after `timeout` (counted on the
    /// exporting node). Returns whether the flag was set.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn wait_timeout(&self, timeout: Duration) -> Result<bool, SyncError> {
        self.wait_with(Wait::Limit(timeout), "wait_timeout").await
    }

    async fn wait_with(&self, wait: Wait, operation: &'static str) -> Result<bool, SyncError> {
        answer(
            request(&self.session, WaitFor(wait), wait).await,
            self.id(),
            operation,
            wait,
        )
    }
}

/// The session of one remote handle to an exported [`Event`].
pub(crate) struct EventSession {
    event: Event,
}

impl Actor for EventSession {
    fn name() -> &'static str {
        "EventSession"
    }

    // Every request is an ask, whose sender waits for the answer.
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

impl WireName for EventSession {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("actor.event")
    }
}

impl RemoteActor for EventSession {
    fn accepts(messages: &mut Accepts<Self>) {
        messages.accept::<SetFlag>().accept::<WaitFor>();
    }
}

/// Sets (`true`) or clears (`false`) the flag.
#[derive(Serialize, Deserialize)]
pub(crate) struct SetFlag(bool);

/// Waits for the flag (`Wait::None`: only reads it); answers whether it is
/// set.
#[derive(Serialize, Deserialize)]
pub(crate) struct WaitFor(Wait);

impl Message for SetFlag {
    type Reply = Result<(), Refused>;
}
impl Message for WaitFor {
    type Reply = Result<bool, Refused>;
}

wire_names! {
    SetFlag => "actor.event.set",
    WaitFor => "actor.event.wait",
}

impl Handler<SetFlag> for EventSession {
    async fn handle(
        &mut self,
        SetFlag(set): SetFlag,
        _ctx: &mut Context<Self>,
    ) -> Result<(), Refused> {
        let done = if set {
            self.event.set().await
        } else {
            self.event.clear().await
        };
        done.map_err(|e| e.to_refused())
    }
}

impl Handler<WaitFor> for EventSession {
    async fn handle(
        &mut self,
        WaitFor(wait): WaitFor,
        _ctx: &mut Context<Self>,
    ) -> Result<bool, Refused> {
        let event = &self.event;
        let waiting = async move {
            match wait {
                Wait::None => event.is_set().await,
                Wait::Forever => event.wait().await.map(|()| true),
                Wait::Limit(limit) => event.wait_timeout(limit).await,
            }
        };
        waiting.await.map_err(|e| e.to_refused())
    }
}
