//! [`Event`]: a flag owned by an actor that tasks wait on (Python's
//! `threading.Event`).
//!
//! The flag starts cleared. [`Event::wait`] returns at once while it is set
//! and otherwise waits until it is set; [`Event::set`] wakes every waiter,
//! [`Event::clear`] makes later waiters wait again. In the Python tutorial's traffic light
//! the light sets the event on green and clears it on red, and the cars wait
//! on it.

use std::fmt;
use std::time::Duration;

use tokio::sync::oneshot;

use super::SyncError;
use super::{granted, Waiters};
use crate::toolbox::remote::event::EventClient;
use crate::toolbox::Patience;
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::Error;
use crate::{Actor, MailboxCapacity};
use crate::{Handler, Message};

/// A flag that can be set, cleared and waited on.
///
/// `set`, `clear` and `is_set` return once the event's actor has done them,
/// so a `wait` that starts after `clear().await` returned waits for the next
/// `set`.
///
/// ```
/// use std::time::Duration;
/// use actor_core::sync::Event;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::sync::SyncError> {
/// let green = Event::new();
/// let car = tokio::spawn({
///     let green = green.clone();
///     async move { green.wait().await }
/// });
/// green.set().await?;            // every waiter wakes
/// car.await.expect("car task panicked")?;
/// green.clear().await?;
/// assert!(!green.is_set().await?);
/// assert!(!green.wait_timeout(Duration::from_millis(10)).await?); // timed out
/// # Ok(()) }
/// ```
///
/// An event on another node is an `Event` too (see [the queue's
/// documentation](crate::queue#on-another-node)): set it through one handle
/// and wait through another, as each handle's requests are served in turn.
#[derive(Clone)]
pub struct Event {
    reach: Reach,
}

/// Where an event handle's event is.
#[derive(Clone)]
enum Reach {
    /// In this process: its actor.
    Here(ActorRef<EventActor>),
    /// On another node, through a session there.
    Remote(EventClient),
}

impl Event {
    /// A new event, cleared (spawns its actor).
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new() -> Self {
        Event {
            reach: Reach::Here(crate::spawn(EventActor {
                set: false,
                waiters: Waiters::new(),
            })),
        }
    }

    /// A handle to an event on another node, through its client there.
    pub(crate) fn remote(client: EventClient) -> Self {
        Event {
            reach: Reach::Remote(client),
        }
    }

    /// The id of the actor that owns this event (for an event on another
    /// node, of this process's reference to it).
    pub fn id(&self) -> ActorId {
        match &self.reach {
            Reach::Here(actor) => actor.id(),
            Reach::Remote(client) => client.id(),
        }
    }

    /// Sets the flag and wakes every waiter.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the event's actor has ended (it was killed, or the
    /// runtime is shutting down).
    pub async fn set(&self) -> Result<(), SyncError> {
        match &self.reach {
            Reach::Here(actor) => actor.ask(Set(true)).await.map_err(Into::into),
            Reach::Remote(client) => client.set(true, "set").await,
        }
    }

    /// Clears the flag: waits that start from now on wait for the next
    /// [`set`](Self::set).
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn clear(&self) -> Result<(), SyncError> {
        match &self.reach {
            Reach::Here(actor) => actor.ask(Set(false)).await.map_err(Into::into),
            Reach::Remote(client) => client.set(false, "clear").await,
        }
    }

    /// Whether the flag is set.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn is_set(&self) -> Result<bool, SyncError> {
        match &self.reach {
            Reach::Here(actor) => actor.ask(IsSet).await.map_err(Into::into),
            Reach::Remote(client) => client.wait(Patience::None, "is_set").await,
        }
    }

    /// Returns at once if the flag is set, otherwise when it is next set.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn wait(&self) -> Result<(), SyncError> {
        match &self.reach {
            Reach::Here(actor) => granted(ask_for(actor).await?, self.id()).await,
            Reach::Remote(client) => client.wait(Patience::Forever, "wait").await.map(drop),
        }
    }

    /// Like [`wait`](Self::wait), but gives up after `timeout`. Returns
    /// whether the flag was set (`false`: the time ran out), as Python's
    /// `wait(timeout)` does.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn wait_timeout(&self, timeout: Duration) -> Result<bool, SyncError> {
        let actor = match &self.reach {
            Reach::Here(actor) => actor,
            Reach::Remote(client) => {
                return client.wait(Patience::Limit(timeout), "wait_timeout").await
            }
        };
        let reply = ask_for(actor).await?;
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(())) => Ok(true),
            Ok(Err(_)) => Err(Error::Stopped { actor: self.id() }.into()),
            Err(_) => Ok(false),
        }
    }
}

/// Queues a wait on the event's actor; the receiver fires when it is set.
async fn ask_for(actor: &ActorRef<EventActor>) -> Result<oneshot::Receiver<()>, SyncError> {
    let (reply, receiver) = oneshot::channel();
    actor.tell(Wait { reply }).await?;
    Ok(receiver)
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Event").field(&self.id()).finish()
    }
}

/// The actor behind an [`Event`].
struct EventActor {
    set: bool,
    waiters: Waiters<()>,
}

impl Actor for EventActor {
    fn name() -> &'static str {
        "Event"
    }

    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

/// Sets (`true`) or clears (`false`) the flag.
struct Set(bool);

impl Message for Set {
    type Reply = ();
}

impl Handler<Set> for EventActor {
    async fn handle(&mut self, Set(set): Set, _ctx: &mut Context<Self>) {
        self.set = set;
        if set {
            for (waiter, ()) in self.waiters.drain() {
                // A waiter that gave up has nothing to wake.
                let _ = waiter.send(());
            }
        }
    }
}

/// Whether the flag is set.
struct IsSet;

impl Message for IsSet {
    type Reply = bool;
}

impl Handler<IsSet> for EventActor {
    async fn handle(&mut self, _: IsSet, _ctx: &mut Context<Self>) -> bool {
        self.set
    }
}

/// Waits for the flag; `reply` is answered when it is set.
struct Wait {
    reply: oneshot::Sender<()>,
}

impl Message for Wait {
    type Reply = ();
}

impl Handler<Wait> for EventActor {
    async fn handle(&mut self, msg: Wait, _ctx: &mut Context<Self>) {
        if self.set {
            let _ = msg.reply.send(());
        } else {
            self.waiters.push(msg.reply, ());
        }
    }
}
