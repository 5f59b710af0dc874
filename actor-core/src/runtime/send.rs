//! The send path: `tell`, `try_tell`, `ask` and `ask_timeout`, written once
//! for every kind of reference.
//!
//! A reference reaches its actor's mailbox through [`MessageSink`], which
//! knows the message type but not the actor's; an [`ActorRef`](crate::ActorRef)
//! and a [`Recipient`](crate::Recipient) share the functions below.

use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::error::{Error, SendError};
use crate::message::{Handler, Message};
use crate::runtime::envelope::{Envelope, Parcel};
use crate::runtime::mailbox::Refused;
use crate::runtime::{handling, Cell, Control};

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
            Refused::Closed(e) => (e, self.refusal()),
        };
        let parcel = unseal(envelope);
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

/// Takes back a parcel that the mailbox refused or kept waiting: every
/// envelope handed back to a `MessageSink<M>` was sealed by it from a
/// `Parcel<M>`, so its type is `M`.
fn unseal<A: Handler<M>, M: Message>(envelope: Envelope<A>) -> Parcel<M> {
    match envelope.unseal::<M>() {
        Ok(parcel) => parcel,
        Err(_) => unreachable!("a sink of M is handed back only the envelopes of M it sealed"),
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

/// Why a parcel was not queued.
enum Unqueued<M: Message> {
    /// The actor accepts no messages.
    Refused(Parcel<M>),
    /// Its mailbox is full, and the sender is its own handler, which would
    /// wait for itself.
    OwnMailboxFull(Parcel<M>),
}

impl<M: Message> Unqueued<M> {
    /// The parcel, and the error that says why it was not queued.
    fn split<S: MessageSink<M> + ?Sized>(self, sink: &S) -> (Parcel<M>, Error) {
        match self {
            Unqueued::Refused(parcel) => (parcel, sink.refusal()),
            Unqueued::OwnMailboxFull(parcel) => (parcel, Error::CallingSelf { actor: sink.id() }),
        }
    }
}

/// Queues a parcel, waiting in line while the mailbox is full, unless the
/// sender is the actor's own handler (see [`handling`](super::handling)).
async fn push<M: Message, S: MessageSink<M> + ?Sized>(
    sink: &S,
    parcel: Parcel<M>,
) -> Result<(), Unqueued<M>> {
    let mut parcel = Some(parcel);
    let mut place = Place {
        sink,
        ticket: None,
        _message: std::marker::PhantomData,
    };
    poll_fn(
        |cx| match sink.poll_push(cx, &mut parcel, &mut place.ticket) {
            Poll::Ready(pushed) => Poll::Ready(pushed.map_err(Unqueued::Refused)),
            Poll::Pending => match parcel.take() {
                // Waiting for room that only this handler's return can make.
                Some(waiting) if handling::is_handling(sink.id()) => {
                    Poll::Ready(Err(Unqueued::OwnMailboxFull(waiting)))
                }
                waiting => {
                    parcel = waiting;
                    Poll::Pending
                }
            },
        },
    )
    .await
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
    .map_err(|unqueued| {
        let (parcel, error) = unqueued.split(sink);
        SendError {
            error,
            message: parcel.message,
        }
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
    // The answer would wait for a handler that cannot start until this
    // one, which waits for the answer, returns.
    if handling::is_handling(sink.id()) {
        return Err(Error::CallingSelf { actor: sink.id() });
    }
    let (reply, answer) = oneshot::channel();
    let parcel = Parcel {
        message,
        reply: Some(reply),
    };
    if let Err(unqueued) = push(sink, parcel).await {
        return Err(unqueued.split(sink).1);
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
