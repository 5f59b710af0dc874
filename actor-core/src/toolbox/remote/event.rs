//! An [`Event`] on another node: the session that serves each remote handle
//! to an exported event, and the client that a looked-up `Event` holds.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::ToolError;
use super::{answer, request, wire_names, Refused};
use crate::remote::{Accepts, Exportable, RemoteActor};
use crate::sync::{Event, SyncError};
use crate::toolbox::Patience;
use crate::{
    spawn, Actor, ActorId, ActorRef, Context, Error, Handler, MailboxCapacity, Message, WireName,
};

impl Exportable for Event {
    type Session = EventSession;

    fn session(&self) -> ActorRef<EventSession> {
        spawn(EventSession {
            event: self.clone(),
        })
    }

    async fn from_session(session: ActorRef<EventSession>) -> Result<Self, Error> {
        Ok(Event::remote(EventClient { session }))
    }
}

/// The client of an [`Event`] handle whose event is on another node.
#[derive(Clone, Debug)]
pub(crate) struct EventClient {
    session: ActorRef<EventSession>,
}

impl EventClient {
    /// The id of the reference to the session.
    pub(crate) fn id(&self) -> ActorId {
        self.session.id()
    }

    /// Sets (`true`) or clears the flag.
    pub(crate) async fn set(&self, set: bool, operation: &'static str) -> Result<(), SyncError> {
        let asked = request(&self.session, SetFlag(set), Patience::None).await;
        answer(asked, self.id(), operation, Patience::None)
    }

    /// Waits for the flag as `wait` allows (`Patience::None`: only reads it);
    /// whether it is set.
    pub(crate) async fn wait(
        &self,
        wait: Patience,
        operation: &'static str,
    ) -> Result<bool, SyncError> {
        let asked = request(&self.session, WaitFor(wait), wait).await;
        answer(asked, self.id(), operation, wait)
    }
}

/// The session of one remote handle to an exported [`Event`].
#[derive(Debug)]
pub struct EventSession {
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

/// Waits for the flag (`Patience::None`: only reads it); answers whether it
/// is set.
#[derive(Serialize, Deserialize)]
pub(crate) struct WaitFor(Patience);

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
                Patience::None => event.is_set().await,
                Patience::Forever => event.wait().await.map(|()| true),
                Patience::Limit(limit) => event.wait_timeout(limit).await,
            }
        };
        waiting.await.map_err(|e| e.to_refused())
    }
}
