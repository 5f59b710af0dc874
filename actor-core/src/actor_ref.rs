//! References to actors: [`ActorRef`] and [`WeakActorRef`].
//!
//! An `ActorRef<A>` is how the rest of the program talks to actor `A`: it sends
//! any message `A` handles, stops or kills it, and awaits its end. It is cheap to
//! clone. While at least one `ActorRef` or [`Recipient`](crate::Recipient) to an
//! actor exists, the actor keeps running; when the last one is dropped, the
//! actor handles what is already in its mailbox and stops with
//! [`StopReason::Normal`]. A [`WeakActorRef`] reaches the actor without keeping
//! it alive, to break reference cycles.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::Actor;
use crate::error::{Error, SendError};
use crate::id::ActorId;
use crate::message::{Handler, Message};
use crate::recipient::Recipient;
use crate::runtime::{self, send, Cell, Control};
use crate::stop::StopReason;

/// A strong, typed reference to a running actor.
pub struct ActorRef<A: Actor> {
    cell: Arc<Cell<A>>,
}

impl<A: Actor> ActorRef<A> {
    /// Wraps a cell whose sender count already includes this reference.
    pub(crate) fn adopt(cell: Arc<Cell<A>>) -> Self {
        ActorRef { cell }
    }

    /// A new strong reference to `cell`.
    pub(crate) fn new_strong(cell: &Arc<Cell<A>>) -> Self {
        cell.mailbox.add_sender();
        ActorRef { cell: cell.clone() }
    }

    pub(crate) fn cell(&self) -> &Arc<Cell<A>> {
        &self.cell
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// Sends a message, waiting while the mailbox is full.
    ///
    /// Messages sent by one task through `tell` arrive in the order sent.
    ///
    /// # Errors
    /// [`Error::Stopped`] with the message handed back if the actor stopped or
    /// is stopping ([`Error::Restarting`] if its supervisor will restart it);
    /// [`Error::CallingSelf`] if a handler of this actor tells it while its
    /// mailbox is full (the room could only come once that handler returns).
    // Not an `async fn`: the future it returns holds the message once (see
    // `runtime::send`), where a chain of `async fn`s held a copy in each.
    pub fn tell<M: Message>(
        &self,
        message: M,
    ) -> impl Future<Output = Result<(), SendError<M>>> + Send + '_
    where
        A: Handler<M>,
    {
        send::tell(&*self.cell, message)
    }

    /// Sends a message if the mailbox has room now.
    ///
    /// # Errors
    /// [`Error::MailboxFull`] or [`Error::Stopped`] (or
    /// [`Error::Restarting`]), with the message handed back.
    pub fn try_tell<M: Message>(&self, message: M) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        send::try_tell(&*self.cell, message)
    }

    /// Sends a message and waits for the reply, with no time limit.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the actor accepts no messages
    /// ([`Error::Restarting`] if only until its supervisor restarts it);
    /// [`Error::Failed`] if it failed before replying (its panic message is in
    /// the reason); [`Error::NotHandled`] if it stopped or was killed first;
    /// [`Error::CallingSelf`], at once, if called from a handler of this very
    /// actor, whose answer could only come once that handler returns (hand
    /// the ask to another task, or do the work in the handler).
    pub fn ask<M: Message>(
        &self,
        message: M,
    ) -> impl Future<Output = Result<M::Reply, Error>> + Send + '_
    where
        A: Handler<M>,
    {
        send::ask(&*self.cell, message)
    }

    /// Like [`ask`](Self::ask), but gives up after `timeout` (waiting for room
    /// in the mailbox included).
    ///
    /// # Errors
    /// Those of `ask`, and [`Error::Timeout`]. After a timeout the message may
    /// still be handled; its reply is then discarded.
    pub fn ask_timeout<M: Message>(
        &self,
        message: M,
        timeout: Duration,
    ) -> impl Future<Output = Result<M::Reply, Error>> + Send + '_
    where
        A: Handler<M>,
    {
        send::ask_timeout(&*self.cell, message, timeout)
    }

    /// Asks the actor to stop gracefully: new messages are refused, the ones
    /// already queued are handled, then it stops with [`StopReason::Normal`].
    /// Returns at once; await [`join`](Self::join) for the end.
    ///
    /// A supervised actor's supervisor then decides, as for any end: a
    /// permanent child is restarted. To stop a child for good, use its
    /// supervisor's [`terminate_child`](ActorRef::terminate_child).
    pub fn stop(&self) {
        self.cell.stop_with(StopReason::Normal);
    }

    /// Stops the actor now: the handler running is dropped at its next await
    /// point, queued messages are dropped (their askers get
    /// [`Error::NotHandled`]), `stopping` is skipped, children are killed, and
    /// the actor ends with [`StopReason::Killed`]. As with [`stop`](Self::stop),
    /// a supervised actor's supervisor then decides whether it restarts.
    ///
    /// A kill takes effect only at an await: a handler or hook that runs
    /// without awaiting (a busy loop, a blocking call) runs on until it
    /// returns or awaits, and the `stopped` hook still runs to completion
    /// afterwards. A supervisor stopping a child with a
    /// [`Shutdown::Timeout`](crate::Shutdown::Timeout) waits that long again
    /// after the kill, then abandons it; blocking work belongs in
    /// [`run_blocking`](crate::run_blocking).
    pub fn kill(&self) {
        self.cell.kill();
    }

    /// Waits until the actor has stopped (its `stopped` hook included) and
    /// returns why. Returns at once for an actor that already stopped.
    pub async fn join(&self) -> StopReason {
        runtime::join(&*self.cell).await
    }

    /// Whether the actor has not ended yet.
    pub fn is_alive(&self) -> bool {
        self.cell.is_alive()
    }

    /// How many times a supervisor has restarted the actor.
    pub fn restart_count(&self) -> u32 {
        self.cell
            .restarts
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A weak reference to the same actor.
    pub fn downgrade(&self) -> WeakActorRef<A> {
        WeakActorRef {
            cell: self.cell.clone(),
        }
    }

    /// A reference that can send only `M`, and hides the actor's type.
    pub fn recipient<M: Message>(&self) -> Recipient<M>
    where
        A: Handler<M>,
    {
        self.cell.mailbox.add_sender();
        Recipient::adopt(self.cell.clone())
    }
}

impl<A: Actor> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        ActorRef::new_strong(&self.cell)
    }
}

impl<A: Actor> Drop for ActorRef<A> {
    fn drop(&mut self) {
        self.cell.mailbox.remove_sender();
    }
}

impl<A: Actor> PartialEq for ActorRef<A> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<A: Actor> Eq for ActorRef<A> {}

impl<A: Actor> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ActorRef").field(&self.id()).finish()
    }
}

/// A reference that does not keep the actor alive.
pub struct WeakActorRef<A: Actor> {
    cell: Arc<Cell<A>>,
}

impl<A: Actor> WeakActorRef<A> {
    pub(crate) fn new(cell: &Arc<Cell<A>>) -> Self {
        WeakActorRef { cell: cell.clone() }
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    pub(crate) fn cell(&self) -> &Arc<Cell<A>> {
        &self.cell
    }

    /// A strong reference, if the actor is still running and some strong
    /// reference still exists.
    pub fn upgrade(&self) -> Option<ActorRef<A>> {
        (self.cell.is_alive() && self.cell.mailbox.try_add_sender()).then(|| ActorRef {
            cell: self.cell.clone(),
        })
    }

    /// Whether the actor has not ended yet.
    pub fn is_alive(&self) -> bool {
        self.cell.is_alive()
    }

    /// Waits until the actor has stopped and returns why, without keeping it
    /// alive meanwhile.
    pub async fn join(&self) -> StopReason {
        runtime::join(&*self.cell).await
    }
}

impl<A: Actor> Clone for WeakActorRef<A> {
    fn clone(&self) -> Self {
        WeakActorRef {
            cell: self.cell.clone(),
        }
    }
}

impl<A: Actor> fmt::Debug for WeakActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WeakActorRef").field(&self.id()).finish()
    }
}
