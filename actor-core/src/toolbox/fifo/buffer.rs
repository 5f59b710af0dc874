//! The state a queue actor owns: the items, the consumers waiting for one, the
//! producers waiting for room, and the bookkeeping that decides who is served.
//!
//! [`Buffer`] is plain data driven by one actor's handlers: nothing here
//! awaits, so a waiting `get` or `put` never blocks the actor. A waiter is a
//! oneshot sender parked in a FIFO line, answered when an item or room
//! appears. Waiters whose caller gave up (the receiver was dropped) are
//! skipped when their turn comes.
//!
//! The same buffer serves [`Queue`](super::Queue) and
//! [`WorkQueue`](crate::work_queue::WorkQueue); a [`Ledger`] is the difference:
//! the work queue's ledger numbers items, records who holds them, and keeps the
//! queue open for consumers while a held item may still come back.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::oneshot;

use super::WorkId;

/// Why a get or put did not succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Nothing to take now (a non-waiting get).
    Empty,
    /// No room now (a non-waiting put).
    Full,
    /// The queue is closed (and, for a get, nothing is left).
    Closed,
    /// The caller's time limit ran out.
    TimedOut,
    /// The queue's actor ended (its runtime shut down).
    Stopped,
}

/// What a getter is answered with.
pub(crate) type Got<T> = Result<T, Refusal>;
/// What a putter is answered with: the item comes back with any refusal.
pub(crate) type Placed<T> = Result<(), (Refusal, T)>;

/// How long a get or put may wait, packed in one word so that a `Put` of a
/// small item fits an envelope without a box: `NO`, `FOREVER`, or a ticket by
/// which a caller with a time limit cancels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wait(u64);

static NEXT_TICKET: AtomicU64 = AtomicU64::new(1);

impl Wait {
    /// Answer at once.
    pub(crate) const NO: Wait = Wait(0);
    /// Wait as long as it takes.
    pub(crate) const FOREVER: Wait = Wait(u64::MAX);

    /// Wait until served or cancelled with [`Wait::ticket`]'s value. Tickets
    /// are unique in the process, so a cancel can never hit another waiter.
    pub(crate) fn cancellable() -> Wait {
        Wait(NEXT_TICKET.fetch_add(1, Ordering::Relaxed))
    }

    /// The ticket to cancel with.
    pub(crate) fn ticket(self) -> u64 {
        self.0
    }
}

/// What sets one kind of queue apart: told about every item that enters,
/// leaves to a consumer, or comes back.
pub(crate) trait Ledger<T>: Send + 'static {
    /// The queue actor's name, as its id shows it.
    const NAME: &'static str;

    /// `item` is admitted into the queue by a put.
    fn admitted(&mut self, item: &mut T);
    /// `item` is being handed to a consumer.
    fn taken(&mut self, item: &mut T);
    /// Undoes [`taken`](Self::taken): the consumer was gone before it got it.
    fn untaken(&mut self, item: &mut T);
    /// `item` was given back after being handed out; `false` drops it (its
    /// work queue item was acknowledged meanwhile).
    fn returned(&mut self, item: &mut T) -> bool;
    /// How many items handed out may still come back. While any may, a closed
    /// and empty queue keeps its consumers waiting rather than telling them
    /// it is finished.
    fn outstanding(&self) -> usize;
    /// The consumer of item `id` acknowledged it; `false` if the item is not
    /// held (a plain queue holds none).
    fn acknowledge(&mut self, id: WorkId) -> bool {
        let _ = id;
        false
    }
}

/// The ledger of a plain queue: an item handed out is gone for good.
pub(crate) struct Plain;

impl<T> Ledger<T> for Plain {
    const NAME: &'static str = "Queue";
    fn admitted(&mut self, _: &mut T) {}
    fn taken(&mut self, _: &mut T) {}
    fn untaken(&mut self, _: &mut T) {}
    fn returned(&mut self, _: &mut T) -> bool {
        true
    }
    fn outstanding(&self) -> usize {
        0
    }
}

/// A consumer waiting for an item.
pub(crate) struct Getter<T> {
    pub(crate) wait: Wait,
    pub(crate) reply: oneshot::Sender<Got<T>>,
}

/// A producer's item, waiting for room (or, as a message, on its way to the
/// queue).
///
/// Whoever drops a putter without answering it answers it with
/// [`Refusal::Stopped`] and the item: a put hands its item back however it
/// fails, even when the queue's actor ends with the put still in its mailbox.
pub(crate) struct Putter<T> {
    pub(crate) wait: Wait,
    parcel: Option<(T, oneshot::Sender<Placed<T>>)>,
}

impl<T> Putter<T> {
    pub(crate) fn new(item: T, wait: Wait, reply: oneshot::Sender<Placed<T>>) -> Self {
        Putter {
            wait,
            parcel: Some((item, reply)),
        }
    }

    /// Whether the producer stopped waiting for the answer.
    fn abandoned(&self) -> bool {
        self.parcel
            .as_ref()
            .is_none_or(|(_, reply)| reply.is_closed())
    }

    /// Takes the item and the reply channel out; the putter is spent.
    fn open(mut self) -> Option<(T, oneshot::Sender<Placed<T>>)> {
        self.parcel.take()
    }

    fn refuse(self, why: Refusal) {
        if let Some((item, reply)) = self.open() {
            let _ = reply.send(Err((why, item)));
        }
    }
}

impl<T> Drop for Putter<T> {
    fn drop(&mut self) {
        if let Some((item, reply)) = self.parcel.take() {
            let _ = reply.send(Err((Refusal::Stopped, item)));
        }
    }
}

/// A snapshot of a queue's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) len: usize,
    pub(crate) closed: bool,
    pub(crate) waiting_getters: usize,
    pub(crate) waiting_putters: usize,
    pub(crate) outstanding: usize,
}

/// The items and the waiting lines of one queue.
pub(crate) struct Buffer<T, L> {
    items: VecDeque<T>,
    /// `usize::MAX` when unbounded.
    capacity: usize,
    getters: VecDeque<Getter<T>>,
    putters: VecDeque<Putter<T>>,
    closed: bool,
    /// Waiting for the queue to be empty with nothing held (`join`).
    joiners: Vec<oneshot::Sender<()>>,
    pub(crate) ledger: L,
}

impl<T, L: Ledger<T>> Buffer<T, L> {
    pub(crate) fn new(capacity: Option<usize>, ledger: L) -> Self {
        Buffer {
            items: VecDeque::new(),
            capacity: capacity.unwrap_or(usize::MAX),
            getters: VecDeque::new(),
            putters: VecDeque::new(),
            closed: false,
            joiners: Vec::new(),
            ledger,
        }
    }

    fn has_room(&self) -> bool {
        self.items.len() < self.capacity
    }

    /// Closed, empty, and nothing handed out can come back: consumers are
    /// told the queue is finished.
    fn exhausted(&self) -> bool {
        self.closed && self.finished()
    }

    /// A producer offers an item.
    pub(crate) fn put(&mut self, putter: Putter<T>) {
        if putter.abandoned() {
            // Its producer stopped waiting (a dropped `put` future): the item
            // is withdrawn, as it was never acknowledged.
            return;
        }
        if self.closed {
            putter.refuse(Refusal::Closed);
        } else if putter.wait == Wait::NO && (!self.has_room() || !self.putters.is_empty()) {
            putter.refuse(Refusal::Full);
        } else {
            self.putters.push_back(putter);
            self.serve();
        }
    }

    /// A consumer asks for an item.
    pub(crate) fn get(&mut self, getter: Getter<T>) {
        if getter.reply.is_closed() {
            return;
        }
        if getter.wait == Wait::NO && self.items.is_empty() {
            let why = if self.exhausted() {
                Refusal::Closed
            } else {
                Refusal::Empty
            };
            let _ = getter.reply.send(Err(why));
        } else if self.exhausted() {
            let _ = getter.reply.send(Err(Refusal::Closed));
        } else {
            self.getters.push_back(getter);
            self.serve();
        }
    }

    /// Takes up to `max` items that are there now, without waiting: the rest
    /// of a batch whose first item a get took. Room made admits waiting
    /// putters.
    pub(crate) fn take_ready(&mut self, max: usize) -> Vec<T> {
        let count = max.min(self.items.len());
        let mut taken: Vec<T> = self.items.drain(..count).collect();
        for item in &mut taken {
            self.ledger.taken(item);
        }
        self.serve();
        taken
    }

    /// Items taken by [`take_ready`](Self::take_ready) that never reached
    /// their caller (it stopped waiting): back to the front, in their order,
    /// as if never taken.
    pub(crate) fn untake(&mut self, items: Vec<T>) {
        for mut item in items.into_iter().rev() {
            self.ledger.untaken(&mut item);
            self.items.push_front(item);
        }
        self.serve();
    }

    /// A caller with a time limit gave up on the waiter with this ticket. If
    /// it is still waiting, it is answered [`Refusal::TimedOut`] (a putter
    /// with its item); if it was served meanwhile, nothing happens.
    pub(crate) fn cancel(&mut self, ticket: u64) {
        if let Some(at) = self.getters.iter().position(|g| g.wait.ticket() == ticket) {
            if let Some(getter) = self.getters.remove(at) {
                let _ = getter.reply.send(Err(Refusal::TimedOut));
            }
        } else if let Some(at) = self.putters.iter().position(|p| p.wait.ticket() == ticket) {
            if let Some(putter) = self.putters.remove(at) {
                putter.refuse(Refusal::TimedOut);
            }
        }
    }

    /// An item handed out comes back: it goes to the front, to be served
    /// next. It may exceed the capacity for a while: an item is never refused
    /// on its way back.
    pub(crate) fn give_back(&mut self, mut item: T) {
        if self.ledger.returned(&mut item) {
            self.items.push_front(item);
        }
        self.serve();
    }

    /// Refuses every waiting and future put; consumers take what is left,
    /// then are told the queue is closed.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        for putter in self.putters.drain(..) {
            putter.refuse(Refusal::Closed);
        }
        self.serve();
    }

    /// Item `id` was acknowledged; `false` if it is not held.
    pub(crate) fn acknowledge(&mut self, id: WorkId) -> bool {
        if !self.ledger.acknowledge(id) {
            return false;
        }
        // One fewer item held: a closed queue may now be finished, and the
        // joiners may be done waiting.
        self.serve();
        if self.finished() {
            for joiner in self.joiners.drain(..) {
                let _ = joiner.send(());
            }
        }
        true
    }

    /// `joiner` is answered once no item is queued or held: at once if none
    /// is, else when the last one is acknowledged.
    pub(crate) fn join(&mut self, joiner: oneshot::Sender<()>) {
        if self.finished() {
            let _ = joiner.send(());
        } else {
            self.joiners.retain(|j| !j.is_closed());
            self.joiners.push(joiner);
        }
    }

    /// No item is queued or held.
    fn finished(&self) -> bool {
        self.items.is_empty() && self.ledger.outstanding() == 0
    }

    pub(crate) fn counts(&self) -> Counts {
        Counts {
            len: self.items.len(),
            closed: self.closed,
            waiting_getters: self.getters.iter().filter(|g| !g.reply.is_closed()).count(),
            waiting_putters: self.putters.iter().filter(|p| !p.abandoned()).count(),
            outstanding: self.ledger.outstanding(),
        }
    }

    /// Admits waiting putters while there is room and hands items to waiting
    /// getters, first come first served, until neither can proceed; then, if
    /// the queue is finished, tells the remaining getters so.
    fn serve(&mut self) {
        loop {
            while self.has_room() {
                let Some(putter) = self.putters.pop_front() else {
                    break;
                };
                if putter.abandoned() {
                    continue;
                }
                if let Some((mut item, reply)) = putter.open() {
                    self.ledger.admitted(&mut item);
                    self.items.push_back(item);
                    let _ = reply.send(Ok(()));
                }
            }
            let mut handed_out = false;
            while !self.items.is_empty() {
                let Some(getter) = self.getters.pop_front() else {
                    break;
                };
                if getter.reply.is_closed() {
                    continue;
                }
                let Some(mut item) = self.items.pop_front() else {
                    break;
                };
                self.ledger.taken(&mut item);
                match getter.reply.send(Ok(item)) {
                    Ok(()) => handed_out = true,
                    // The getter gave up between the check and the send.
                    Err(unsent) => {
                        if let Ok(mut item) = unsent {
                            self.ledger.untaken(&mut item);
                            self.items.push_front(item);
                        }
                    }
                }
            }
            // Handing items out made room: admit the next putters, if any.
            if !handed_out || self.putters.is_empty() {
                break;
            }
        }
        if self.exhausted() {
            for getter in self.getters.drain(..) {
                let _ = getter.reply.send(Err(Refusal::Closed));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(
        buffer: &mut Buffer<u32, Plain>,
        item: u32,
        wait: Wait,
    ) -> oneshot::Receiver<Placed<u32>> {
        let (tx, rx) = oneshot::channel();
        buffer.put(Putter::new(item, wait, tx));
        rx
    }

    fn get(buffer: &mut Buffer<u32, Plain>, wait: Wait) -> oneshot::Receiver<Got<u32>> {
        let (tx, rx) = oneshot::channel();
        buffer.get(Getter { wait, reply: tx });
        rx
    }

    #[test]
    fn waiting_getters_are_served_in_arrival_order() {
        let mut buffer = Buffer::new(Some(2), Plain);
        let mut first = get(&mut buffer, Wait::FOREVER);
        let mut second = get(&mut buffer, Wait::FOREVER);
        let _one = put(&mut buffer, 1, Wait::FOREVER);
        let _two = put(&mut buffer, 2, Wait::FOREVER);
        assert_eq!(first.try_recv(), Ok(Ok(1)));
        assert_eq!(second.try_recv(), Ok(Ok(2)));
    }

    #[test]
    fn a_dropped_putter_hands_its_item_back() {
        let (tx, mut rx) = oneshot::channel();
        drop(Putter::new(7u32, Wait::FOREVER, tx));
        assert_eq!(rx.try_recv(), Ok(Err((Refusal::Stopped, 7))));
    }

    #[test]
    fn take_ready_takes_what_is_there_and_admits_waiting_putters() {
        let mut buffer = Buffer::new(Some(2), Plain);
        let _one = put(&mut buffer, 1, Wait::FOREVER);
        let _two = put(&mut buffer, 2, Wait::FOREVER);
        let mut three = put(&mut buffer, 3, Wait::FOREVER);
        assert!(three.try_recv().is_err(), "waits for room");
        assert_eq!(buffer.take_ready(5), [1, 2]);
        assert_eq!(three.try_recv(), Ok(Ok(())), "admitted into the room made");
        assert_eq!(buffer.take_ready(0), Vec::<u32>::new());
        buffer.untake(vec![1, 2]);
        assert_eq!(
            buffer.take_ready(3),
            [1, 2, 3],
            "untaken items are first again"
        );
    }

    #[test]
    fn abandoned_getters_are_skipped() {
        let mut buffer = Buffer::new(None, Plain);
        drop(get(&mut buffer, Wait::FOREVER));
        let mut live = get(&mut buffer, Wait::FOREVER);
        let _five = put(&mut buffer, 5, Wait::NO);
        assert_eq!(live.try_recv(), Ok(Ok(5)));
        assert_eq!(buffer.counts().len, 0);
    }
}
