//! The send path: `tell`, `try_tell`, `ask` and `ask_timeout`, written once
//! for every kind of reference.
//!
//! A reference reaches its actor's mailbox through [`MessageSink`], which
//! knows the message type but not the actor's; an [`ActorRef`](crate::ActorRef)
//! and a [`Recipient`](crate::Recipient) share the functions below.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::{Error, SendError};
use crate::message::{Handler, Message};
use crate::runtime::envelope::{Envelope, Packed};
use crate::runtime::mailbox::Refused;
use crate::runtime::reply::{self, ReplyReceiver};
use crate::runtime::{handling, Cell, Control};

/// Delivery of message type `M` to an actor of unknown type.
pub(crate) trait MessageSink<M: Message>: Control {
    fn try_push(&self, packed: Packed<M>) -> Result<(), SendError<M>>;
    fn poll_push(
        &self,
        cx: &mut Context<'_>,
        parcel: &mut Option<Packed<M>>,
        ticket: &mut Option<u64>,
    ) -> Poll<Result<(), Packed<M>>>;
    fn leave_line(&self, ticket: u64);
    /// Why a reply will never come, once the actor dropped the message:
    /// ready as soon as the actor has recorded its stop reason.
    fn poll_unanswered(&self, cx: &mut Context<'_>) -> Poll<Error>;
}

impl<A: Handler<M>, M: Message> MessageSink<M> for Cell<A> {
    fn try_push(&self, packed: Packed<M>) -> Result<(), SendError<M>> {
        let refused = match self.mailbox.try_push(Envelope::seal_packed(packed)) {
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
        Err(returned(unseal(envelope), error))
    }

    fn poll_push(
        &self,
        cx: &mut Context<'_>,
        parcel: &mut Option<Packed<M>>,
        ticket: &mut Option<u64>,
    ) -> Poll<Result<(), Packed<M>>> {
        let mut envelope = parcel.take().map(Envelope::seal_packed);
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
/// `Packed<M>`, so its type is `M`.
fn unseal<A: Handler<M>, M: Message>(envelope: Envelope<A>) -> Packed<M> {
    match envelope.unseal_packed::<M>() {
        Ok(packed) => packed,
        Err(_) => unreachable!("a sink of M is handed back only the envelopes of M it sealed"),
    }
}

/// The error that gives an unsent message back to its sender. Out of line
/// and cold: unpacking a large message takes room for it on the stack, and
/// the send path's own frames need none.
#[cold]
#[inline(never)]
fn returned<M: Message>(packed: Packed<M>, error: Error) -> SendError<M> {
    SendError {
        error,
        message: packed.into_parcel().message,
    }
}

/// Why a parcel was not queued.
enum Unqueued<M: Message> {
    /// The actor accepts no messages.
    Refused(Packed<M>),
    /// Its mailbox is full, and the sender is its own handler, which would
    /// wait for itself.
    OwnMailboxFull(Packed<M>),
}

impl<M: Message> Unqueued<M> {
    /// The parcel, and the error that says why it was not queued.
    fn split<S: MessageSink<M> + ?Sized>(self, sink: &S) -> (Packed<M>, Error) {
        match self {
            Unqueued::Refused(parcel) => (parcel, sink.refusal()),
            Unqueued::OwnMailboxFull(parcel) => (parcel, Error::CallingSelf { actor: sink.id() }),
        }
    }
}

/// Queues a parcel, waiting in line while the mailbox is full, unless the
/// sender is the actor's own handler (see [`handling`](super::handling)).
///
/// Written by hand rather than as an `async fn`, as are [`Tell`] and
/// [`Ask`]: a chain of `async fn`s keeps a copy of the message in each
/// one's state, and a large message then takes several times its size on
/// the sender's stack. This holds it once, packed (boxed if large), from the
/// moment the send starts. Dropped while it waits, it gives up its place in
/// the line (the message is dropped with it).
struct Push<'a, M: Message, S: MessageSink<M> + ?Sized> {
    sink: &'a S,
    parcel: Option<Packed<M>>,
    ticket: Option<u64>,
}

// Nothing in it is pinned: the parcel is moved in and out by value.
impl<M: Message, S: MessageSink<M> + ?Sized> Unpin for Push<'_, M, S> {}

impl<'a, M: Message, S: MessageSink<M> + ?Sized> Push<'a, M, S> {
    fn new(sink: &'a S, packed: Packed<M>) -> Self {
        Push {
            sink,
            parcel: Some(packed),
            ticket: None,
        }
    }

    fn poll_push(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Unqueued<M>>> {
        match self.sink.poll_push(cx, &mut self.parcel, &mut self.ticket) {
            Poll::Ready(pushed) => Poll::Ready(pushed.map_err(Unqueued::Refused)),
            Poll::Pending => match self.parcel.take() {
                // Waiting for room that only this handler's return can make.
                Some(waiting) if handling::is_handling(self.sink.id()) => {
                    Poll::Ready(Err(Unqueued::OwnMailboxFull(waiting)))
                }
                waiting => {
                    self.parcel = waiting;
                    Poll::Pending
                }
            },
        }
    }
}

impl<M: Message, S: MessageSink<M> + ?Sized> Drop for Push<'_, M, S> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.sink.leave_line(ticket);
        }
    }
}

/// The future of a `tell`.
pub(crate) struct Tell<'a, M: Message, S: MessageSink<M> + ?Sized>(Push<'a, M, S>);

impl<M: Message, S: MessageSink<M> + ?Sized> Future for Tell<'_, M, S> {
    type Output = Result<(), SendError<M>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let push = &mut self.0;
        match push.poll_push(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(unqueued)) => {
                let (packed, error) = unqueued.split(push.sink);
                Poll::Ready(Err(returned(packed, error)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

pub(crate) fn tell<M: Message, S: MessageSink<M> + ?Sized>(sink: &S, message: M) -> Tell<'_, M, S> {
    Tell(Push::new(sink, Packed::told(message)))
}

pub(crate) fn try_tell<M: Message, S: MessageSink<M> + ?Sized>(
    sink: &S,
    message: M,
) -> Result<(), SendError<M>> {
    sink.try_push(Packed::told(message))
}

/// The future of an `ask`: the message until the mailbox takes it, then
/// the reply channel. Holds the message once (see [`Push`]).
pub(crate) struct Ask<'a, M: Message, S: MessageSink<M> + ?Sized> {
    push: Push<'a, M, S>,
    answer: ReplyReceiver<M::Reply>,
    /// The message was queued.
    queued: bool,
    /// The message was dropped unhandled: waiting for the actor to say why.
    unanswered: bool,
    /// The first poll checked the sender is not the actor's own handler.
    checked: bool,
}

// Nothing in it is pinned (the receiver is `Unpin`).
impl<M: Message, S: MessageSink<M> + ?Sized> Unpin for Ask<'_, M, S> {}

impl<M: Message, S: MessageSink<M> + ?Sized> Future for Ask<'_, M, S> {
    type Output = Result<M::Reply, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let sink = this.push.sink;
        if !this.checked {
            this.checked = true;
            // The answer would wait for a handler that cannot start until
            // this one, which waits for the answer, returns.
            if handling::is_handling(sink.id()) {
                return Poll::Ready(Err(Error::CallingSelf { actor: sink.id() }));
            }
        }
        if !this.queued {
            match this.push.poll_push(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(unqueued)) => return Poll::Ready(Err(unqueued.split(sink).1)),
                Poll::Ready(Ok(())) => this.queued = true,
            }
        }
        if !this.unanswered {
            match this.answer.poll_packed(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(reply))) => return Poll::Ready(Ok(reply.into_inner())),
                Poll::Ready(Some(Err(reason))) => {
                    return Poll::Ready(Err(Error::Failed {
                        actor: sink.id(),
                        reason,
                    }))
                }
                // The message was dropped unhandled; the actor records why
                // first.
                Poll::Ready(None) => this.unanswered = true,
            }
        }
        sink.poll_unanswered(cx).map(Err)
    }
}

pub(crate) fn ask<M: Message, S: MessageSink<M> + ?Sized>(sink: &S, message: M) -> Ask<'_, M, S> {
    let (reply, answer) = reply::channel();
    Ask {
        push: Push::new(sink, Packed::asked(message, reply)),
        answer,
        queued: false,
        unanswered: false,
        checked: false,
    }
}

/// The future of an `ask_timeout`: an [`Ask`] and its deadline, set at
/// the first poll (boxed, as tokio's timer entry is pinned).
pub(crate) struct AskTimeout<'a, M: Message, S: MessageSink<M> + ?Sized> {
    ask: Ask<'a, M, S>,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    timeout: Duration,
}

impl<M: Message, S: MessageSink<M> + ?Sized> Future for AskTimeout<'_, M, S> {
    type Output = Result<M::Reply, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let timeout = this.timeout;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if let Poll::Ready(answer) = Pin::new(&mut this.ask).poll(cx) {
            return Poll::Ready(answer);
        }
        deadline.as_mut().poll(cx).map(|()| {
            Err(Error::Timeout {
                actor: this.ask.push.sink.id(),
                timeout: this.timeout,
            })
        })
    }
}

pub(crate) fn ask_timeout<M: Message, S: MessageSink<M> + ?Sized>(
    sink: &S,
    message: M,
    timeout: Duration,
) -> AskTimeout<'_, M, S> {
    AskTimeout {
        ask: ask(sink, message),
        deadline: None,
        timeout,
    }
}
