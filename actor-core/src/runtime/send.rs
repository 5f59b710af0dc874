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
use crate::runtime::{Cell, Control};

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
        error: sink.refusal(),
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
        return Err(sink.refusal());
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
