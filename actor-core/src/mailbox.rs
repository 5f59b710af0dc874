//! The mailbox: a multi-producer, single-consumer queue that an actor reads.
//!
//! A mailbox is bounded unless the actor asks otherwise. A sender that finds it
//! full waits in line: blocked senders are admitted first-come first-served, so a
//! burst of new senders cannot starve one that has been waiting. Messages from one
//! sender stay in the order sent, because a sender waits for each message to be
//! accepted before it can send the next.
//!
//! The queue is a `VecDeque` behind one lock. It allocates nothing until the first
//! message arrives, which keeps an idle actor small. The actor takes everything
//! queued in one step (it swaps its empty buffer for the full one), so the lock is
//! taken once per batch on the receiving side, not once per message. `capacity`
//! therefore bounds the messages waiting in the mailbox; the batch the actor is
//! working through is at most one more `capacity`.
//!
//! The same lock also holds the actor's lifecycle flags (closing, killed, the stop
//! reason, who waits for the end), because every one of them has to be decided
//! together with the queue: a message is accepted if and only if the actor will
//! see it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::stop::StopReason;

/// Why a message was not accepted.
pub(crate) enum Refused<T> {
    /// The mailbox is full (only from `try_push`).
    Full(T),
    /// The actor stops or has stopped; it will never see the message.
    Closed(T),
}

/// What the actor finds when it looks into its mailbox.
pub(crate) enum Delivery {
    /// Messages were moved into the actor's batch.
    Batch,
    /// Nothing is queued and nothing can come: every sender is gone or the
    /// mailbox was closed; the reason given to `close`, or `Normal`.
    Drained(StopReason),
    /// `kill` was called.
    Killed,
}

/// A sender waiting for room, in arrival order.
struct Waiter {
    ticket: u64,
    waker: Waker,
}

struct State<T> {
    queue: VecDeque<T>,
    capacity: usize,
    waiters: VecDeque<Waiter>,
    next_ticket: u64,
    receiver: Option<Waker>,
    receiver_parked: bool,
    /// No message is accepted any more (stop requested, or the actor ended).
    closed: bool,
    /// Why `close` was called, if it was.
    requested: Option<StopReason>,
    /// Set before any queued or in-flight message is dropped, so an asker that
    /// sees its reply channel close can tell why.
    reason: Option<StopReason>,
    /// The actor has finished, hooks included.
    terminated: bool,
    joiners: Vec<Waker>,
}

/// The shared half of a mailbox, owned jointly by the actor and its references.
pub(crate) struct Mailbox<T> {
    state: Mutex<State<T>>,
    /// Strong references (`ActorRef`, `Recipient`). When it reaches zero the
    /// actor finishes its queue and stops.
    senders: AtomicUsize,
    /// Set by `kill`; read without the lock before every message.
    killed: AtomicBool,
}

impl<T> Mailbox<T> {
    /// A mailbox holding at most `capacity` waiting messages (`usize::MAX` for
    /// unbounded), with one strong sender counted.
    pub(crate) fn new(capacity: usize) -> Self {
        Mailbox {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                capacity,
                waiters: VecDeque::new(),
                next_ticket: 0,
                receiver: None,
                receiver_parked: false,
                closed: false,
                requested: None,
                reason: None,
                terminated: false,
                joiners: Vec::new(),
            }),
            senders: AtomicUsize::new(1),
            killed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing user-supplied runs under this lock except waking wakers; a
        // poisoned lock still holds consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The bound, or `usize::MAX` when unbounded.
    pub(crate) fn capacity(&self) -> usize {
        self.lock().capacity
    }

    /// Adds a strong sender (an `ActorRef` or `Recipient` was cloned).
    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds a strong sender unless none is left (upgrading a weak reference).
    pub(crate) fn try_add_sender(&self) -> bool {
        self.senders
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |n| {
                (n != 0).then_some(n + 1)
            })
            .is_ok()
    }

    /// Removes a strong sender; the last one wakes the actor so that it can stop.
    pub(crate) fn remove_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut state = self.lock();
            wake_receiver(&mut state);
        }
    }

    /// Queues `item` if there is room and nobody is waiting ahead of it.
    pub(crate) fn try_push(&self, item: T) -> Result<(), Refused<T>> {
        let mut state = self.lock();
        if state.closed {
            return Err(Refused::Closed(item));
        }
        if state.queue.len() >= state.capacity || !state.waiters.is_empty() {
            return Err(Refused::Full(item));
        }
        state.queue.push_back(item);
        wake_receiver(&mut state);
        Ok(())
    }

    /// Queues the item in `item`, or registers the caller in line and leaves
    /// the item where it is. `Err` hands the item back: the mailbox is closed.
    ///
    /// `ticket` is the caller's place in line; it must be passed again on the
    /// next poll and released with [`Mailbox::leave_line`] if the caller gives up.
    pub(crate) fn poll_push(
        &self,
        cx: &mut Context<'_>,
        item: &mut Option<T>,
        ticket: &mut Option<u64>,
    ) -> Poll<Result<(), T>> {
        let mut state = self.lock();
        let place = match *ticket {
            Some(t) => state.waiters.iter().position(|w| w.ticket == t),
            None => None,
        };
        if state.closed {
            if let Some(p) = place {
                state.waiters.remove(p);
            }
            *ticket = None;
            return match item.take() {
                Some(item) => Poll::Ready(Err(item)),
                None => Poll::Ready(Ok(())),
            };
        }
        let room = state.capacity - state.queue.len().min(state.capacity);
        if place.unwrap_or(state.waiters.len()) < room {
            if let Some(p) = place {
                state.waiters.remove(p);
            }
            *ticket = None;
            if let Some(item) = item.take() {
                state.queue.push_back(item);
                wake_receiver(&mut state);
            }
            return Poll::Ready(Ok(()));
        }
        match place {
            Some(p) => {
                if !state.waiters[p].waker.will_wake(cx.waker()) {
                    state.waiters[p].waker = cx.waker().clone();
                }
            }
            None => {
                let t = state.next_ticket;
                state.next_ticket += 1;
                state.waiters.push_back(Waiter {
                    ticket: t,
                    waker: cx.waker().clone(),
                });
                *ticket = Some(t);
            }
        }
        Poll::Pending
    }

    /// Gives up a place in line (a waiting send was cancelled).
    pub(crate) fn leave_line(&self, ticket: u64) {
        let mut state = self.lock();
        remove_waiter(&mut state, ticket);
        // The one who left may have been woken for a slot; pass it on.
        wake_waiters(&state);
    }

    /// Moves everything queued into `batch` (which must be empty), or reports
    /// that the actor should stop, or parks the actor until something happens.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>, batch: &mut VecDeque<T>) -> Poll<Delivery> {
        let mut state = self.lock();
        if self.is_killed() {
            return Poll::Ready(Delivery::Killed);
        }
        if !state.queue.is_empty() {
            std::mem::swap(&mut state.queue, batch);
            wake_waiters(&state);
            return Poll::Ready(Delivery::Batch);
        }
        if state.closed || self.senders.load(Ordering::Acquire) == 0 {
            state.closed = true;
            let reason = state.requested.clone().unwrap_or(StopReason::Normal);
            return Poll::Ready(Delivery::Drained(reason));
        }
        match &state.receiver {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.receiver = Some(cx.waker().clone()),
        }
        state.receiver_parked = true;
        Poll::Pending
    }

    /// Whether `kill` was called. Cheap: no lock.
    pub(crate) fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Remembers the actor's waker so that a kill interrupts a handler that is
    /// waiting on something else; returns whether `kill` was already called.
    pub(crate) fn watch_kill(&self, cx: &mut Context<'_>) -> bool {
        let mut state = self.lock();
        match &state.receiver {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.receiver = Some(cx.waker().clone()),
        }
        self.is_killed()
    }

    /// Refuses new messages; the actor handles what is queued, then stops with
    /// `reason` (the first reason given wins).
    pub(crate) fn close(&self, reason: StopReason) {
        let mut state = self.lock();
        state.closed = true;
        if state.requested.is_none() {
            state.requested = Some(reason);
        }
        wake_receiver(&mut state);
        wake_waiters_all(&state);
    }

    /// Refuses new messages and interrupts the actor at once.
    pub(crate) fn kill(&self) {
        let mut state = self.lock();
        state.closed = true;
        self.killed.store(true, Ordering::Release);
        if let Some(w) = &state.receiver {
            w.wake_by_ref();
        }
        wake_waiters_all(&state);
    }

    /// Records why the actor stops and closes the mailbox; the first reason
    /// recorded wins. Returns what was still queued, to be dropped by the caller
    /// outside the lock (dropping a message may run user code).
    pub(crate) fn finish(&self, reason: StopReason) -> VecDeque<T> {
        let mut state = self.lock();
        state.closed = true;
        if state.reason.is_none() {
            state.reason = Some(reason);
        }
        wake_waiters_all(&state);
        std::mem::take(&mut state.queue)
    }

    /// The reason recorded by [`Mailbox::finish`].
    pub(crate) fn reason(&self) -> Option<StopReason> {
        self.lock().reason.clone()
    }

    /// Marks the actor as ended and wakes everyone awaiting it.
    pub(crate) fn terminate(&self) {
        let joiners = {
            let mut state = self.lock();
            state.terminated = true;
            std::mem::take(&mut state.joiners)
        };
        for waker in joiners {
            waker.wake();
        }
    }

    /// The stop reason once the actor has ended.
    pub(crate) fn poll_terminated(&self, cx: &mut Context<'_>) -> Poll<StopReason> {
        let mut state = self.lock();
        if state.terminated {
            return Poll::Ready(state.reason.clone().unwrap_or(StopReason::Normal));
        }
        if !state.joiners.iter().any(|w| w.will_wake(cx.waker())) {
            state.joiners.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Whether the actor has not ended yet.
    pub(crate) fn is_alive(&self) -> bool {
        !self.lock().terminated
    }
}

fn wake_receiver<T>(state: &mut State<T>) {
    if state.receiver_parked {
        state.receiver_parked = false;
        if let Some(w) = &state.receiver {
            w.wake_by_ref();
        }
    }
}

/// Wakes the waiters that now fit, in line order.
fn wake_waiters<T>(state: &State<T>) {
    let room = state.capacity - state.queue.len().min(state.capacity);
    for waiter in state.waiters.iter().take(room) {
        waiter.waker.wake_by_ref();
    }
}

fn wake_waiters_all<T>(state: &State<T>) {
    for waiter in &state.waiters {
        waiter.waker.wake_by_ref();
    }
}

fn remove_waiter<T>(state: &mut State<T>, ticket: u64) {
    if let Some(p) = state.waiters.iter().position(|w| w.ticket == ticket) {
        state.waiters.remove(p);
    }
}
