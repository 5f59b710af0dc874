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
#[derive(Clone)]
pub struct Event {
    actor: ActorRef<EventActor>,
}

impl Event {
    /// A new event, cleared (spawns its actor).
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new() -> Self {
        Event {
            actor: crate::spawn(EventActor {
                set: false,
                waiters: Waiters::new(),
            }),
        }
    }

    /// The id of the actor that owns this event.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// Sets the flag and wakes every waiter.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the event's actor has ended (it was killed, or the
    /// runtime is shutting down).
    pub async fn set(&self) -> Result<(), SyncError> {
        self.actor.ask(Set(true)).await.map_err(Into::into)
    }

    /// Clears the flag: waits that start from now on wait for the next
    /// [`set`](Self::set).
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn clear(&self) -> Result<(), SyncError> {
        self.actor.ask(Set(false)).await.map_err(Into::into)
    }

    /// Whether the flag is set.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn is_set(&self) -> Result<bool, SyncError> {
        self.actor.ask(IsSet).await.map_err(Into::into)
    }

    /// Returns at once if the flag is set, otherwise when it is next set.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn wait(&self) -> Result<(), SyncError> {
        let reply = self.ask_for().await?;
        granted(reply, self.id()).await
    }

    /// Like [`wait`](Self::wait), but gives up after `timeout`. Returns
    /// whether the flag was set (`false`: the time ran out), as Python's
    /// `wait(timeout)` does.
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub async fn wait_timeout(&self, timeout: Duration) -> Result<bool, SyncError> {
        let reply = self.ask_for().await?;
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(())) => Ok(true),
            Ok(Err(_)) => Err(Error::Stopped { actor: self.id() }.into()),
            Err(_) => Ok(false),
        }
    }

    async fn ask_for(&self) -> Result<oneshot::Receiver<()>, SyncError> {
        let (reply, receiver) = oneshot::channel();
        self.actor.tell(Wait { reply }).await?;
        Ok(receiver)
    }
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
