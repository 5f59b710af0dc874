//! The queue actor, the door through which handles reach it, and the client
//! side of its protocol.
//!
//! [`QueueActor`] owns a [`Buffer`] and handles one message per operation.
//! Every handler returns at once: a request that has to wait is parked in the
//! buffer with its oneshot reply channel and answered later, so one slow
//! consumer never holds up the queue. Its mailbox is unbounded on purpose:
//! each caller has at most one request in flight (it awaits the answer), so
//! the mailbox holds at most one message per caller, and backpressure is the
//! queue's own capacity, not the mailbox's.
//!
//! Handles reach the actor through [`Door`], a trait object over its
//! `ActorRef`, rather than through the typed `ActorRef` itself. Two reasons:
//! another implementation (a proxy to a queue in another process) can stand
//! behind the same handle, and a handle's `Send` does not depend on the
//! actor's `T: 'static` bound, which rustc cannot prove inside a spawned
//! future when `T` has a lifetime (`Queue<&'static str>` would otherwise be
//! unusable in `tokio::spawn`: "implementation of `Send` is not general
//! enough").
//!
//! [`Client`] is the handles' shared half: it sends a request, awaits the
//! answer, cancels a timed-out wait by ticket (and still collects the answer,
//! so an item sent just before the cancel is not lost), and gives back an
//! item that reached a `get` whose caller stopped waiting.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::buffer::{Buffer, Counts, Getter, Got, Ledger, Placed, Putter, Refusal, Wait};
use super::WorkId;
use crate::spawn;
use crate::toolbox::Patience;
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::{Actor, MailboxCapacity};
use crate::{Handler, Message};

/// The actor that owns one queue.
pub(crate) struct QueueActor<T, L> {
    buffer: Buffer<T, L>,
}

impl<T: Send + 'static, L: Ledger<T>> Actor for QueueActor<T, L> {
    fn name() -> &'static str {
        L::NAME
    }

    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }
}

/// Offers an item; answered through the putter's channel.
struct Put<T>(Putter<T>);
/// Asks for an item; answered through the getter's channel.
struct Get<T>(Getter<T>);
/// Takes up to this many items that are there now; answered with them.
struct TakeReady<T>(usize, oneshot::Sender<Vec<T>>);
/// Gives up the wait with this ticket.
struct Cancel(u64);
/// An item handed out comes back.
struct GiveBack<T>(T);
/// Closes the queue; answered once closed.
struct Close(oneshot::Sender<()>);
/// Reads the counters.
struct Status(oneshot::Sender<Counts>);
/// Acknowledges a held item; answered whether it was held.
struct Acknowledge(WorkId, oneshot::Sender<bool>);
/// Answered once no item is queued or held.
struct Join(oneshot::Sender<()>);

/// Every request is told, not asked: answers travel on the request's own
/// channel, so that a request can be answered later than it is handled.
macro_rules! told {
    ($($message:ty),* $(,)?) => {
        $(impl<T: Send + 'static> Message for $message {
            type Reply = ();
        })*
    };
}

told!(Put<T>, Get<T>, GiveBack<T>, TakeReady<T>);

macro_rules! told_plain {
    ($($message:ty),* $(,)?) => {
        $(impl Message for $message {
            type Reply = ();
        })*
    };
}

told_plain!(Cancel, Close, Status, Acknowledge, Join);

impl<T: Send + 'static, L: Ledger<T>> Handler<Put<T>> for QueueActor<T, L> {
    async fn handle(&mut self, Put(putter): Put<T>, _ctx: &mut Context<Self>) {
        self.buffer.put(putter);
    }
}

impl<T: Send + 'static, L: Ledger<T>> Handler<Get<T>> for QueueActor<T, L> {
    async fn handle(&mut self, Get(getter): Get<T>, _ctx: &mut Context<Self>) {
        self.buffer.get(getter);
    }
}

impl<T: Send + 'static, L: Ledger<T>> Handler<TakeReady<T>> for QueueActor<T, L> {
    async fn handle(&mut self, TakeReady(max, reply): TakeReady<T>, _ctx: &mut Context<Self>) {
        let taken = self.buffer.take_ready(max);
        if let Err(unsent) = reply.send(taken) {
            self.buffer.untake(unsent);
        }
    }
}

impl<T: Send + 'static, L: Ledger<T>> Handler<Cancel> for QueueActor<T, L> {
    async fn handle(&mut self, Cancel(ticket): Cancel, _ctx: &mut Context<Self>) {
        self.buffer.cancel(ticket);
    }
}

impl<T: Send + 'static, L: Ledger<T>> Handler<GiveBack<T>> for QueueActor<T, L> {
    async fn handle(&mut self, GiveBack(item): GiveBack<T>, _ctx: &mut Context<Self>) {
        self.buffer.give_back(item);
    }
}

impl<T: Send + 'static, L: Ledger<T>> Handler<Close> for QueueActor<T, L> {
    async fn handle(&mut self, Close(done): Close, _ctx: &mut Context<Self>) {
        self.buffer.close();
        let _ = done.send(());
    }
}

impl<T: Send + 'static, L: Ledger<T>> Handler<Status> for QueueActor<T, L> {
    async fn handle(&mut self, Status(reply): Status, _ctx: &mut Context<Self>) {
        let _ = reply.send(self.buffer.counts());
    }
}

impl<T: Send + 'static, L: Ledger<T>> Handler<Acknowledge> for QueueActor<T, L> {
    async fn handle(&mut self, Acknowledge(id, reply): Acknowledge, _ctx: &mut Context<Self>) {
        let _ = reply.send(self.buffer.acknowledge(id));
    }
}

impl<T: Send + 'static, L: Ledger<T>> Handler<Join> for QueueActor<T, L> {
    async fn handle(&mut self, Join(joiner): Join, _ctx: &mut Context<Self>) {
        self.buffer.join(joiner);
    }
}

/// How a handle reaches its queue: one method per request, each delivering
/// it without waiting. A request that cannot be delivered (the queue's actor
/// ended) is dropped, which answers it: a putter with its item and
/// [`Refusal::Stopped`], any other with a closed channel.
pub(crate) trait Door<T>: Send + Sync {
    fn id(&self) -> ActorId;
    fn put(&self, putter: Putter<T>);
    fn get(&self, getter: Getter<T>);
    fn take_ready(&self, max: usize, reply: oneshot::Sender<Vec<T>>);
    fn cancel(&self, ticket: u64);
    fn give_back(&self, item: T);
    fn close(&self, done: oneshot::Sender<()>);
    fn status(&self, reply: oneshot::Sender<Counts>);
    fn acknowledge(&self, id: WorkId, reply: oneshot::Sender<bool>);
    fn join(&self, joiner: oneshot::Sender<()>);
}

// The mailbox is unbounded, so `try_tell` is refused only when the actor has
// ended; the refused message is dropped, which answers it (see `Door`).
impl<T: Send + 'static, L: Ledger<T>> Door<T> for ActorRef<QueueActor<T, L>> {
    fn id(&self) -> ActorId {
        ActorRef::id(self)
    }
    fn put(&self, putter: Putter<T>) {
        let _ = self.try_tell(Put(putter));
    }
    fn get(&self, getter: Getter<T>) {
        let _ = self.try_tell(Get(getter));
    }
    fn take_ready(&self, max: usize, reply: oneshot::Sender<Vec<T>>) {
        let _ = self.try_tell(TakeReady(max, reply));
    }
    fn cancel(&self, ticket: u64) {
        let _ = self.try_tell(Cancel(ticket));
    }
    fn give_back(&self, item: T) {
        let _ = self.try_tell(GiveBack(item));
    }
    fn close(&self, done: oneshot::Sender<()>) {
        let _ = self.try_tell(Close(done));
    }
    fn status(&self, reply: oneshot::Sender<Counts>) {
        let _ = self.try_tell(Status(reply));
    }
    fn acknowledge(&self, id: WorkId, reply: oneshot::Sender<bool>) {
        let _ = self.try_tell(Acknowledge(id, reply));
    }
    fn join(&self, joiner: oneshot::Sender<()>) {
        let _ = self.try_tell(Join(joiner));
    }
}

/// The buffer's side of a caller's patience: how its request waits there.
fn waiting(patience: Patience) -> Wait {
    match patience {
        Patience::None => Wait::NO,
        Patience::Forever => Wait::FOREVER,
        Patience::Limit(_) => Wait::cancellable(),
    }
}

/// The handles' side of the queue protocol: the door to the queue's actor,
/// and the queue's capacity.
pub(crate) struct Client<T> {
    door: Arc<dyn Door<T>>,
    capacity: Option<usize>,
}

impl<T> Clone for Client<T> {
    fn clone(&self) -> Self {
        Client {
            door: self.door.clone(),
            capacity: self.capacity,
        }
    }
}

impl<T: Send + 'static> Client<T> {
    /// Spawns a queue's actor. A capacity of 0 is treated as 1.
    pub(crate) fn spawn<L: Ledger<T>>(capacity: Option<usize>, ledger: L) -> Self {
        let capacity = capacity.map(|c| c.max(1));
        let actor = spawn(QueueActor {
            buffer: Buffer::new(capacity, ledger),
        });
        Client {
            door: Arc::new(actor),
            capacity,
        }
    }
}

// No bounds on `T` from here on: see the module documentation on `Send`.
impl<T> Client<T> {
    pub(crate) fn door(&self) -> &Arc<dyn Door<T>> {
        &self.door
    }

    pub(crate) fn id(&self) -> ActorId {
        self.door.id()
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    /// Puts `item`, waiting for room as `patience` allows; the item comes
    /// back with any refusal.
    pub(crate) async fn put(&self, item: T, patience: Patience) -> Placed<T> {
        let wait = waiting(patience);
        let (reply, mut answer) = oneshot::channel();
        self.door.put(Putter::new(item, wait, reply));
        if let Patience::Limit(limit) = patience {
            if let Ok(answered) = tokio::time::timeout(limit, &mut answer).await {
                return settle(answered);
            }
            // The wait is cancelled; the answer still comes: the item back,
            // or the success that beat the cancel.
            self.door.cancel(wait.ticket());
        }
        settle(answer.await)
    }

    /// Gets an item, waiting as `patience` allows.
    pub(crate) async fn get(&self, patience: Patience) -> Got<T> {
        let wait = waiting(patience);
        let (reply, answer) = oneshot::channel();
        self.door.get(Getter { wait, reply });
        let mut claim = Claim {
            answer: Some(answer),
            door: &*self.door,
        };
        if let Patience::Limit(limit) = patience {
            if let Ok(answered) = tokio::time::timeout(limit, claim.answer()).await {
                return answered;
            }
            self.door.cancel(wait.ticket());
        }
        claim.answer().await
    }

    /// Puts `items` in order, each waiting for room as long as it takes, all
    /// sent before the first answer is awaited (so the queue's actor admits
    /// them in one run rather than one per round trip). Returns the first
    /// refusal with every item that was not put, in order.
    pub(crate) async fn put_all(&self, items: Vec<T>) -> Result<(), (Refusal, Vec<T>)> {
        let answers: Vec<_> = items
            .into_iter()
            .map(|item| {
                let (reply, answer) = oneshot::channel();
                self.door.put(Putter::new(item, Wait::FOREVER, reply));
                answer
            })
            .collect();
        let mut refused: Option<(Refusal, Vec<T>)> = None;
        for answer in answers {
            if let Err((why, item)) = settle(answer.await) {
                refused
                    .get_or_insert_with(|| (why, Vec::new()))
                    .1
                    .push(item);
            }
        }
        refused.map_or(Ok(()), Err)
    }

    /// Takes one item, waiting as `patience` allows, then up to `max - 1`
    /// more that are there at once. Cancel-safe as [`get`](Self::get) is:
    /// if the future is dropped, the items it took go back to the front.
    pub(crate) async fn get_batch(&self, patience: Patience, max: usize) -> Got<Vec<T>> {
        let first = self.get(patience).await?;
        let mut batch = Batch {
            items: vec![first],
            more: None,
            door: &*self.door,
        };
        if max > 1 {
            let (reply, more) = oneshot::channel();
            self.door.take_ready(max - 1, reply);
            let more = batch.more.insert(more);
            if let Ok(more) = more.await {
                batch.items.extend(more);
            }
            batch.more = None;
        }
        Ok(std::mem::take(&mut batch.items))
    }

    /// Closes the queue; returns once the actor has done so (or has ended,
    /// which closes it as far as anyone can tell).
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        self.door.close(done);
        let _ = closed.await;
    }

    /// Closes the queue without waiting (for `Drop`).
    pub(crate) fn close_now(&self) {
        let (done, _) = oneshot::channel();
        self.door.close(done);
    }

    /// The queue's counters, or `None` if its actor ended.
    pub(crate) async fn counts(&self) -> Option<Counts> {
        let (reply, counts) = oneshot::channel();
        self.door.status(reply);
        counts.await.ok()
    }
}

/// A put's answer. The channel always carries one: every path that drops a
/// [`Putter`] unanswered answers it with its item (see its `Drop`), and a
/// queue's actor ending drops its putters and its mailbox.
fn settle<T>(answered: Result<Placed<T>, oneshot::error::RecvError>) -> Placed<T> {
    match answered {
        Ok(placed) => placed,
        // Unreachable by construction; were it reached, the item would be
        // gone with the actor and there would be nothing to hand back.
        Err(_) => unreachable!("a queue answers every put, with the item when it refuses"),
    }
}

/// The caller's end of a get: if it is dropped after the queue sent an item
/// but before the caller took it (the `get` future was cancelled), the item
/// goes back to the front of the queue instead of being lost.
struct Claim<'a, T> {
    answer: Option<oneshot::Receiver<Got<T>>>,
    door: &'a dyn Door<T>,
}

impl<T> Claim<'_, T> {
    async fn answer(&mut self) -> Got<T> {
        let Some(answer) = self.answer.as_mut() else {
            return Err(Refusal::Stopped);
        };
        let got = answer.await.unwrap_or(Err(Refusal::Stopped));
        self.answer = None;
        got
    }
}

/// The caller's end of a batch get: what it took, and the rest on its way;
/// dropped before the caller has them (the future was cancelled), it gives
/// them all back to the front, in their order.
struct Batch<'a, T> {
    items: Vec<T>,
    more: Option<oneshot::Receiver<Vec<T>>>,
    door: &'a dyn Door<T>,
}

impl<T> Drop for Batch<'_, T> {
    fn drop(&mut self) {
        let mut items = std::mem::take(&mut self.items);
        if let Some(mut more) = self.more.take() {
            more.close();
            if let Ok(more) = more.try_recv() {
                items.extend(more);
            }
        }
        // Each goes to the front: the last first, so that the first ends
        // up first.
        for item in items.into_iter().rev() {
            self.door.give_back(item);
        }
    }
}

impl<T> Drop for Claim<'_, T> {
    fn drop(&mut self) {
        if let Some(mut answer) = self.answer.take() {
            // No item can arrive after `close`; one that arrived before is
            // taken here and returned.
            answer.close();
            if let Ok(Ok(item)) = answer.try_recv() {
                self.door.give_back(item);
            }
        }
    }
}
