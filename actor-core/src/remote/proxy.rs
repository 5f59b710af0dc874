//! Proxies: mailboxes with no actor behind them, emptied by other code.
//!
//! A network layer makes a remote actor look local by handing out an ordinary
//! [`ActorRef<A>`](crate::ActorRef) whose mailbox is drained not by an `A`
//! but by a [`Proxy<A>`], which forwards each message elsewhere. Everything a
//! reference does then works unchanged: `tell` waits while the proxy's mailbox
//! is full (backpressure), messages from one sender stay in order, `ask`
//! awaits a reply the proxy delivers, recipients, monitors and links see the
//! proxy's end as the actor's end.
//!
//! Messages travel type-erased, as [`Sealed`]; the proxy opens one by the type
//! it expects ([`Sealed::open`]), and answers an ask through its [`ReplyTo`].
//! In the other direction, [`deliver`] puts a sealed message, built from a
//! decoded value, into a real actor's mailbox, and [`deliver_batch`] puts
//! many at once (what a network reader decoded from one chunk).

use std::any::TypeId;
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::actor::{Actor, MailboxCapacity};
use crate::actor_ref::ActorRef;
use crate::error::Error;
use crate::id::ActorId;
use crate::message::{Handler, Message};
use crate::registry;
use crate::runtime::envelope::{Envelope, Parcel};
use crate::runtime::mailbox::Delivery;
use crate::runtime::reply::{self, ReplyReceiver, ReplySender};
use crate::runtime::watchers;
use crate::runtime::Cell;
use crate::stop::StopReason;

/// A message for actor `A` whose type only it knows, with the reply channel
/// when it was asked.
pub struct Sealed<A: Actor> {
    envelope: Envelope<A>,
}

impl<A: Actor> Sealed<A> {
    /// Seals `message`, with `reply` for an ask.
    pub fn new<M: Message>(message: M, reply: Option<ReplyTo<M>>) -> Self
    where
        A: Handler<M>,
    {
        Sealed {
            envelope: Envelope::seal(Parcel {
                message,
                reply: reply.map(|r| r.sender),
            }),
        }
    }

    /// Seals `message` as a process host feeds it to the actor it hosts,
    /// under sequence number `number`: when its handler starts and when it
    /// finishes, the number is stored in the process's progress record
    /// ([`record_progress_in`](super::record_progress_in)), which the
    /// parent process reads if this one dies. A fed message opens only in
    /// the actor: [`open`](Self::open) hands it back unopened.
    pub fn fed<M: Message>(message: M, reply: Option<ReplyTo<M>>, number: u64) -> Self
    where
        A: Handler<M>,
    {
        Sealed {
            envelope: Envelope::seal_fed(
                Parcel {
                    message,
                    reply: reply.map(|r| r.sender),
                },
                number,
            ),
        }
    }

    /// The message's type.
    pub fn message_type(&self) -> TypeId {
        self.envelope.message_type()
    }

    /// The message type's Rust name, for logs.
    pub fn message_name(&self) -> &'static str {
        (self.envelope.message_name())()
    }

    /// Whether the message was asked: opening it gives a [`ReplyTo`].
    pub fn is_ask(&self) -> bool {
        self.envelope.is_asked()
    }

    /// Drops the message unhandled; if it was asked, the asker gets
    /// [`Error::Failed`] with `reason`. (Merely dropping it would leave the
    /// asker of a proxy waiting for the proxy's end to learn why.)
    pub fn reject(self, reason: StopReason) {
        self.envelope.reject(reason);
    }

    /// Opens the message as an `M`, or hands it back if it is another type.
    ///
    /// # Errors
    /// The sealed message itself, when its type is not `M`, or when it was
    /// sealed with [`fed`](Self::fed).
    pub fn open<M: Message>(self) -> Result<(M, Option<ReplyTo<M>>), Self>
    where
        A: Handler<M>,
    {
        let parcel = self
            .envelope
            .unseal::<M>()
            .map_err(|envelope| Sealed { envelope })?;
        Ok((
            parcel.message,
            parcel.reply.map(|sender| ReplyTo { sender }),
        ))
    }
}

impl<A: Actor> fmt::Debug for Sealed<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("message", &self.message_name())
            .field("ask", &self.is_ask())
            .finish()
    }
}

/// Where the answer to an asked `M` goes.
///
/// Dropping it unanswered tells the asker the message was not handled.
pub struct ReplyTo<M: Message> {
    sender: ReplySender<M::Reply>,
}

impl<M: Message> ReplyTo<M> {
    /// A reply channel and the [`Answer`] that receives what is sent on it.
    pub fn channel() -> (Self, Answer<M>) {
        let (sender, receiver) = reply::channel();
        (ReplyTo { sender }, Answer { receiver })
    }

    /// Sends the reply. The asker may have stopped waiting; that is not an error.
    pub fn send(self, reply: M::Reply) {
        self.sender.send(reply);
    }

    /// Tells the asker that its message failed, and why: it gets
    /// [`Error::Failed`] with `reason`.
    pub fn fail(self, reason: StopReason) {
        self.sender.fail(reason);
    }

    /// Whether the asker stopped waiting.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

impl<M: Message> fmt::Debug for ReplyTo<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The receiving end of a [`ReplyTo`]: resolves to the reply, to the reason
/// the handler failed, or to `None` when the message was dropped unanswered.
pub struct Answer<M: Message> {
    receiver: ReplyReceiver<M::Reply>,
}

impl<M: Message> Answer<M> {
    /// The answer if it is already there, without waiting; `Err(self)` if not.
    ///
    /// # Errors
    /// The answer itself, still pending.
    pub fn try_take(self) -> Result<Option<Result<M::Reply, StopReason>>, Self> {
        self.receiver
            .try_take()
            .map_err(|receiver| Answer { receiver })
    }
}

impl<M: Message> Future for Answer<M> {
    type Output = Option<Result<M::Reply, StopReason>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.receiver).poll(cx)
    }
}

impl<M: Message> fmt::Debug for Answer<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Answer")
    }
}

/// Puts a sealed message into `to`'s mailbox, waiting while it is full.
///
/// # Errors
/// [`Error::Stopped`] if the actor accepts no more messages; the message is
/// dropped, so an asker learns it was not handled.
pub async fn deliver<A: Actor>(to: &ActorRef<A>, sealed: Sealed<A>) -> Result<(), Error> {
    let cell = to.cell();
    let mut envelope = Some(sealed.envelope);
    let mut place = LineGuard { cell, ticket: None };
    poll_fn(|cx| cell.mailbox.poll_push(cx, &mut envelope, &mut place.ticket))
        .await
        .map_err(|_| Error::Stopped { actor: cell.id })
}

/// Messages for one actor, delivered together by [`deliver_batch`].
pub struct Batch<A: Actor> {
    envelopes: VecDeque<Envelope<A>>,
}

impl<A: Actor> Batch<A> {
    /// Adds a message after those already in the batch.
    pub fn push(&mut self, sealed: Sealed<A>) {
        self.envelopes.push_back(sealed.envelope);
    }

    /// How many messages are waiting to be delivered.
    pub fn len(&self) -> usize {
        self.envelopes.len()
    }

    /// Whether no message is waiting.
    pub fn is_empty(&self) -> bool {
        self.envelopes.is_empty()
    }

    /// Moves the first `n` messages (all of them if fewer), in order, to
    /// the end of `into`.
    pub fn move_front(&mut self, n: usize, into: &mut Batch<A>) {
        let n = n.min(self.envelopes.len());
        into.envelopes.extend(self.envelopes.drain(..n));
    }
}

impl<A: Actor> Default for Batch<A> {
    fn default() -> Self {
        Batch {
            envelopes: VecDeque::new(),
        }
    }
}

impl<A: Actor> fmt::Debug for Batch<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch").field("len", &self.len()).finish()
    }
}

/// Puts every message of `batch` into `to`'s mailbox, in order, waiting
/// while it is full, as [`deliver`] does for one. Cheaper than delivering
/// them one by one: each step takes the mailbox's lock once and wakes the
/// actor at most once, however many messages it moves.
///
/// If the future is dropped, what was not delivered stays in `batch`.
///
/// # Errors
/// [`Error::Stopped`] if the actor accepts no more messages; those not
/// delivered stay in `batch` (dropping them tells their askers that they
/// were not handled).
pub async fn deliver_batch<A: Actor>(to: &ActorRef<A>, batch: &mut Batch<A>) -> Result<(), Error> {
    let cell = to.cell();
    let mut place = LineGuard { cell, ticket: None };
    poll_fn(|cx| {
        cell.mailbox
            .poll_push_batch(cx, &mut batch.envelopes, &mut place.ticket)
    })
    .await
    .map_err(|()| Error::Stopped { actor: cell.id })
}

/// A place in a full mailbox's line, given up if [`deliver`] or
/// [`deliver_batch`] is cancelled.
struct LineGuard<'a, A: Actor> {
    cell: &'a Cell<A>,
    ticket: Option<u64>,
}

impl<A: Actor> Drop for LineGuard<'_, A> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            self.cell.mailbox.leave_line(ticket);
        }
    }
}

/// A new reference to an `A` that is not here, and the [`Proxy`] that takes
/// the messages sent to it. See the [module documentation](mod@crate::remote::proxy).
pub fn proxy<A: Actor>(capacity: MailboxCapacity) -> (ActorRef<A>, Proxy<A>) {
    let cell = Arc::new(Cell::new(ActorId::next(A::name()), capacity.limit()));
    let proxy = Proxy {
        cell: cell.clone(),
        batch: VecDeque::new(),
        ended: false,
    };
    (ActorRef::adopt(cell), proxy)
}

/// Takes the messages sent to a reference made by [`proxy`]. Dropping it ends
/// the reference, as [`Proxy::finish`] with [`StopReason::Normal`] does.
pub struct Proxy<A: Actor> {
    cell: Arc<Cell<A>>,
    /// Messages taken from the mailbox in one lock, not yet handed out.
    batch: VecDeque<Envelope<A>>,
    ended: bool,
}

impl<A: Actor> Proxy<A> {
    /// The id its references report.
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// A new strong reference, or `None` once the last one was dropped or the
    /// reference was stopped (the proxy then only drains what is queued).
    pub fn reference(&self) -> Option<ActorRef<A>> {
        (!self.cell.mailbox.is_closed() && self.cell.mailbox.try_add_sender())
            .then(|| ActorRef::adopt(self.cell.clone()))
    }

    /// Whether no message can come any more: every reference is gone, or one
    /// was used to stop or kill the proxy. Queued messages may remain.
    pub fn is_closed(&self) -> bool {
        self.cell.mailbox.is_closed() || !self.cell.mailbox.has_senders()
    }

    /// The next message, in the order sent; `None` once no more can come:
    /// every reference is gone, or one was used to `stop` (after what was
    /// queued) or `kill` (at once) the proxy.
    pub async fn recv(&mut self) -> Option<Sealed<A>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next message if one is queued now.
    pub fn try_recv(&mut self) -> Option<Sealed<A>> {
        match self.poll_recv(&mut Context::from_waker(std::task::Waker::noop())) {
            Poll::Ready(sealed) => sealed,
            Poll::Pending => None,
        }
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Sealed<A>>> {
        if let Some(envelope) = self.batch.pop_front() {
            return Poll::Ready(Some(Sealed { envelope }));
        }
        self.cell
            .mailbox
            .poll_take(cx, &mut self.batch)
            .map(|delivery| match delivery {
                Delivery::Next(envelope) => Some(Sealed { envelope }),
                Delivery::Drained(_) | Delivery::Interrupted => None,
            })
    }

    /// Why the proxy was asked to end, once [`recv`](Self::recv) returned
    /// `None`: `Killed`, or the reason given to `stop`, or `Normal`.
    pub fn end_requested(&self) -> StopReason {
        match self.cell.mailbox.interrupt() {
            crate::runtime::mailbox::Interrupt::Now => self.cell.mailbox.interrupt_reason(),
            _ => StopReason::Normal,
        }
    }

    /// Ends the current *run* of what the proxy stands for without ending the
    /// reference: its monitors fire with `reason` (and are removed, as after
    /// any run), links carry `reason` as an exit signal, and the reference
    /// keeps accepting messages. A network layer calls this when it loses the
    /// connection to the actor and means to reconnect.
    pub fn interrupted(&self, reason: &StopReason) {
        watchers::fire(&*self.cell, reason, false);
    }

    /// Ends the reference for good with `reason`: queued messages are dropped
    /// (their askers get [`Error::NotHandled`] or [`Error::Failed`] with
    /// `reason`), later sends fail with [`Error::Stopped`], monitors and links
    /// fire, and `join` returns `reason`.
    pub fn finish(mut self, reason: StopReason) {
        self.end(reason);
    }

    fn end(&mut self, reason: StopReason) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let queued = self.cell.mailbox.finish(reason.clone());
        drop(queued);
        drop(std::mem::take(&mut self.batch));
        registry::forget(&self.cell);
        watchers::fire(&*self.cell, &reason, true);
        self.cell.mailbox.terminate();
    }
}

impl<A: Actor> Drop for Proxy<A> {
    fn drop(&mut self) {
        self.end(StopReason::Normal);
    }
}

impl<A: Actor> fmt::Debug for Proxy<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Proxy").field(&self.id()).finish()
    }
}
