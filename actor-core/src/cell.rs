//! The actor cell: what every reference to one actor points at.
//!
//! A cell holds the actor's id and mailbox. References of all kinds (typed,
//! weak, recipients, a parent's list of children, the registry) share it. Two
//! traits let code that does not know the actor's type reach it: [`Control`]
//! for lifecycle (stop, kill, await the end) and [`MessageSink`] for sending one
//! message type. This module also holds the one implementation of `tell`,
//! `try_tell` and `ask` that every reference type uses.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::envelope::{Envelope, Parcel};
use crate::error::{Error, SendError};
use crate::id::ActorId;
use crate::link::{self, Down, MonitorId};
use crate::mailbox::{Interrupt, Mailbox, Refused};
use crate::message::{Handler, Message};
use crate::stop::StopReason;

/// The state shared by all references to one actor.
pub(crate) struct Cell<A: Actor> {
    pub(crate) id: ActorId,
    pub(crate) mailbox: Mailbox<Envelope<A>>,
    /// Whether the registry may hold entries for this actor (so that stopping
    /// actors that were never registered costs nothing).
    pub(crate) registered: AtomicBool,
    /// How many times a supervisor restarted this actor.
    pub(crate) restarts: AtomicU32,
}

impl<A: Actor> Cell<A> {
    pub(crate) fn new(id: ActorId, capacity: usize) -> Self {
        Cell {
            id,
            mailbox: Mailbox::new(capacity),
            registered: AtomicBool::new(false),
            restarts: AtomicU32::new(0),
        }
    }
}

/// Lifecycle operations on an actor of unknown type.
pub(crate) trait Control: Send + Sync + 'static {
    fn id(&self) -> ActorId;
    fn stop_with(&self, reason: StopReason);
    fn kill(&self);
    /// Ends the actor's current run (see [`Interrupt`]).
    fn interrupt(&self, level: Interrupt, reason: StopReason);
    fn poll_terminated(&self, cx: &mut Context<'_>) -> Poll<StopReason>;
    fn is_alive(&self) -> bool;
    fn add_sender(&self);
    fn remove_sender(&self);
    /// The reason recorded for the actor's last run; final once its
    /// watchers are closed (`add_monitor` handed the notifier back).
    fn recorded_reason(&self) -> Option<StopReason>;
    /// Opens the mailbox again for the next run (its supervisor restarts it).
    fn reopen(&self);
    /// Adds a monitor; hands `notify` back if the actor has ended for good.
    fn add_monitor(
        &self,
        id: MonitorId,
        notify: Box<dyn FnOnce(Down) + Send>,
    ) -> Result<(), Box<dyn FnOnce(Down) + Send>>;
    fn remove_monitor(&self, id: MonitorId) -> bool;
    /// Adds a link to `peer`; false if this actor has ended for good.
    fn add_link(&self, peer: Arc<dyn Control>) -> bool;
    fn remove_link(&self, peer: ActorId);
    /// A linked actor ended with `reason`.
    fn exit_signal(&self, from: ActorId, reason: StopReason);
    /// Takes the monitors and links of a run that ended; with `for_good`,
    /// later monitors and links fire at once instead.
    fn take_watchers(&self, for_good: bool) -> link::Taken;
}

impl<A: Actor> Control for Cell<A> {
    fn id(&self) -> ActorId {
        self.id
    }
    fn stop_with(&self, reason: StopReason) {
        self.mailbox.close(reason);
    }
    fn kill(&self) {
        self.mailbox.kill();
    }
    fn interrupt(&self, level: Interrupt, reason: StopReason) {
        self.mailbox.raise(level, reason);
    }
    fn poll_terminated(&self, cx: &mut Context<'_>) -> Poll<StopReason> {
        self.mailbox.poll_terminated(cx)
    }
    fn is_alive(&self) -> bool {
        self.mailbox.is_alive()
    }
    fn add_sender(&self) {
        self.mailbox.add_sender();
    }
    fn remove_sender(&self) {
        self.mailbox.remove_sender();
    }
    fn recorded_reason(&self) -> Option<StopReason> {
        self.mailbox.reason()
    }
    fn reopen(&self) {
        self.mailbox.reopen();
    }
    fn add_monitor(
        &self,
        id: MonitorId,
        notify: Box<dyn FnOnce(Down) + Send>,
    ) -> Result<(), Box<dyn FnOnce(Down) + Send>> {
        self.mailbox.with_watchers(|w| {
            if w.is_closed() {
                Err(notify)
            } else {
                w.add_monitor(id, notify);
                Ok(())
            }
        })
    }
    fn remove_monitor(&self, id: MonitorId) -> bool {
        self.mailbox.with_watchers(|w| w.remove_monitor(id))
    }
    fn add_link(&self, peer: Arc<dyn Control>) -> bool {
        self.mailbox.with_watchers(|w| {
            if !w.is_closed() {
                w.add_link(peer);
            }
            !w.is_closed()
        })
    }
    fn remove_link(&self, peer: ActorId) {
        self.mailbox.with_watchers(|w| w.remove_link(peer));
    }
    fn exit_signal(&self, from: ActorId, reason: StopReason) {
        match self.mailbox.with_watchers(|w| w.trap()) {
            Some(trap) => trap(link::Exit { id: from, reason }),
            None => {
                if let Some(reason) = link::exit_reason(from, &reason) {
                    self.mailbox.raise(Interrupt::Now, reason);
                }
            }
        }
    }
    fn take_watchers(&self, for_good: bool) -> link::Taken {
        self.mailbox.with_watchers(|w| w.take(for_good))
    }
}

/// Awaits the end of an actor and returns its stop reason.
pub(crate) async fn join(control: &(impl Control + ?Sized)) -> StopReason {
    poll_fn(|cx| control.poll_terminated(cx)).await
}

/// Delivery of message type `M` to an actor of unknown type.
pub(crate) trait MessageSink<M: Message>: Control {
    fn try_push(&self, parcel: Parcel<M>) -> Result<(), SendError<M>>;
    fn poll_push(
        &self,
        cx: &mut Context<'_>,
        parcel: &mut Option<Parcel<M>>,
        ticket: &mut Option<u64>,
    ) -> Poll<Result<(), Parcel<M>>>;
    fn leave_line(&self, ticket: u64);
    /// Why a reply will never come, once the actor dropped the message:
    /// ready as soon as the actor has recorded its stop reason.
    fn poll_unanswered(&self, cx: &mut Context<'_>) -> Poll<Error>;
}

impl<A: Handler<M>, M: Message> MessageSink<M> for Cell<A> {
    fn try_push(&self, parcel: Parcel<M>) -> Result<(), SendError<M>> {
        let refused = match self.mailbox.try_push(Envelope::seal(parcel)) {
            Ok(()) => return Ok(()),
            Err(refused) => refused,
        };
        let (envelope, error) = match refused {
            Refused::Full(e) => (
                e,
                Error::MailboxFull {
                    actor: self.id,
                    capacity: self.mailbox.capacity(),
                },
            ),
            Refused::Closed(e) => (e, Error::Stopped { actor: self.id }),
        };
        // SAFETY: sealed from a Parcel<M> just above.
        let parcel = unsafe { envelope.unseal::<M>() };
        Err(SendError {
            error,
            message: parcel.message,
        })
    }

    fn poll_push(
        &self,
        cx: &mut Context<'_>,
        parcel: &mut Option<Parcel<M>>,
        ticket: &mut Option<u64>,
    ) -> Poll<Result<(), Parcel<M>>> {
        let mut envelope = parcel.take().map(Envelope::seal);
        let polled = self.mailbox.poll_push(cx, &mut envelope, ticket);
        // SAFETY: every envelope here was sealed from a Parcel<M>.
        let unseal = |e: Envelope<A>| unsafe { e.unseal::<M>() };
        if let Some(waiting) = envelope {
            *parcel = Some(unseal(waiting));
        }
        polled.map(|done| done.map_err(unseal))
    }

    fn leave_line(&self, ticket: u64) {
        self.mailbox.leave_line(ticket);
    }

    fn poll_unanswered(&self, cx: &mut Context<'_>) -> Poll<Error> {
        self.mailbox.poll_reason(cx).map(|reason| {
            if reason.is_failure() {
                Error::Failed {
                    actor: self.id,
                    reason,
                }
            } else {
                Error::NotHandled {
                    actor: self.id,
                    reason,
                }
            }
        })
    }
}

/// A place in a full mailbox's line, given up if the send is cancelled.
struct Place<'a, M: Message, S: MessageSink<M> + ?Sized> {
    sink: &'a S,
    ticket: Option<u64>,
    _message: std::marker::PhantomData<fn(M)>,
}

impl<M: Message, S: MessageSink<M> + ?Sized> Drop for Place<'_, M, S> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            self.sink.leave_line(ticket);
        }
    }
}

/// Queues a parcel, waiting in line while the mailbox is full.
async fn push<M: Message, S: MessageSink<M> + ?Sized>(
    sink: &S,
    parcel: Parcel<M>,
) -> Result<(), Parcel<M>> {
    let mut parcel = Some(parcel);
    let mut place = Place {
        sink,
        ticket: None,
        _message: std::marker::PhantomData,
    };
    poll_fn(|cx| sink.poll_push(cx, &mut parcel, &mut place.ticket)).await
}

pub(crate) async fn tell<M: Message, S: MessageSink<M> + ?Sized>(
    sink: &S,
    message: M,
) -> Result<(), SendError<M>> {
    push(
        sink,
        Parcel {
            message,
            reply: None,
        },
    )
    .await
    .map_err(|parcel| SendError {
        error: Error::Stopped { actor: sink.id() },
        message: parcel.message,
    })
}

pub(crate) fn try_tell<M: Message, S: MessageSink<M> + ?Sized>(
    sink: &S,
    message: M,
) -> Result<(), SendError<M>> {
    sink.try_push(Parcel {
        message,
        reply: None,
    })
}

pub(crate) async fn ask<M: Message, S: MessageSink<M> + ?Sized>(
    sink: &S,
    message: M,
) -> Result<M::Reply, Error> {
    let (reply, answer) = oneshot::channel();
    let parcel = Parcel {
        message,
        reply: Some(reply),
    };
    if push(sink, parcel).await.is_err() {
        return Err(Error::Stopped { actor: sink.id() });
    }
    match answer.await {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(reason)) => Err(Error::Failed {
            actor: sink.id(),
            reason,
        }),
        // The message was dropped unhandled; the actor records why first.
        Err(_) => Err(poll_fn(|cx| sink.poll_unanswered(cx)).await),
    }
}

pub(crate) async fn ask_timeout<M: Message, S: MessageSink<M> + ?Sized>(
    sink: &S,
    message: M,
    timeout: Duration,
) -> Result<M::Reply, Error> {
    match tokio::time::timeout(timeout, ask(sink, message)).await {
        Ok(answer) => answer,
        Err(_) => Err(Error::Timeout {
            actor: sink.id(),
            timeout,
        }),
    }
}
