//! The mailbox: a multi-producer, single-consumer queue that an actor reads.
//!
//! A mailbox is bounded unless the actor asks otherwise. A sender that finds it
//! full waits in line: blocked senders are admitted first-come first-served, so a
//! burst of new senders cannot starve one that has been waiting. Messages from one
//! sender stay in the order sent, because a sender waits for each message to be
//! accepted before it can send the next.
//!
//! The queue sits behind one lock: the oldest message in an inline `head` slot,
//! the rest in a `VecDeque`. A mailbox that holds at most one message at a time
//! (an idle actor, or one answering asks one by one) therefore never allocates a
//! buffer. The actor takes everything queued in one step (the head, and the
//! deque swapped for its own empty one), so the lock is taken once per batch on
//! the receiving side, not once per message. `capacity` therefore bounds the
//! messages waiting in the mailbox; the batch the actor is working through is at
//! most one more `capacity`. The actor drops its batch buffer when it goes idle.
//!
//! The same lock also holds the actor's lifecycle flags (closing, killed, the stop
//! reason, who waits for the end), because every one of them has to be decided
//! together with the queue: a message is accepted if and only if the actor will
//! see it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::runtime::watchers::Watchers;
use crate::stop::StopReason;

mod batch;

/// Messages the queue's buffer holds when it is first allocated.
const FIRST_BUFFER: usize = 32;

/// Why a message was not accepted.
pub(crate) enum Refused<T> {
    /// The mailbox is full (only from `try_push`).
    Full(T),
    /// The actor stops or has stopped; it will never see the message.
    Closed(T),
}

/// What the actor finds when it looks into its mailbox.
pub(crate) enum Delivery<T> {
    /// The oldest message; any others were moved into the actor's batch.
    Next(T),
    /// Nothing is queued and nothing can come: every sender is gone or the
    /// mailbox was closed; the reason given to `close`, or `Normal`.
    Drained(StopReason),
    /// The actor was told to stop at once (see [`Interrupt::Now`]).
    Interrupted,
}

/// An instruction to end the actor's current run, checked before every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Interrupt {
    None = 0,
    /// End after the handler in progress; leave the queue for the next run
    /// (a supervisor restarting a sibling).
    AfterHandler = 1,
    /// End now, dropping the handler in progress (a kill, a linked failure).
    Now = 2,
}

/// A sender waiting for room, in arrival order.
struct Waiter {
    ticket: u64,
    waker: Waker,
}

struct State<T> {
    /// The oldest queued message. Invariant: `queue` is empty when `head` is.
    head: Option<T>,
    queue: VecDeque<T>,
    capacity: usize,
    receiver: Option<Waker>,
    receiver_parked: bool,
    /// No message is accepted any more (stop requested, or the actor ended).
    closed: bool,
    /// The actor has finished, hooks included.
    terminated: bool,
    /// What most mailboxes never need, allocated on first use.
    rare: Option<Box<Rare>>,
}

#[derive(Default)]
struct Rare {
    /// Senders waiting for room, in arrival order.
    waiters: VecDeque<Waiter>,
    next_ticket: u64,
    /// Why `close` was called, if it was.
    requested: Option<StopReason>,
    /// Set before any queued or in-flight message is dropped, so an asker that
    /// sees its reply channel close can tell why.
    reason: Option<StopReason>,
    /// Tasks awaiting the actor's end.
    joiners: Vec<Waker>,
    /// Why the actor was interrupted (see [`Interrupt`]).
    interrupt_reason: Option<StopReason>,
    /// Links, monitors and the exit trap (see `link.rs`).
    watchers: Watchers,
}

impl<T> State<T> {
    fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.queue.len()
    }

    fn room(&self) -> usize {
        self.capacity - self.len().min(self.capacity)
    }

    /// Queues `item`; returns the actor's waker if it has to be woken (which
    /// the caller does after releasing the lock, so that the woken actor does
    /// not find it still held).
    #[must_use]
    fn push(&mut self, item: T) -> Option<Waker> {
        if self.head.is_none() {
            self.head = Some(item);
        } else {
            if self.queue.capacity() == 0 {
                // One allocation for a burst, instead of growing 4, 8, 16...
                self.queue.reserve(FIRST_BUFFER.min(self.capacity));
            }
            self.queue.push_back(item);
        }
        self.receiver_to_wake()
    }

    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    fn has_waiters(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| !r.waiters.is_empty())
    }

    fn place_in_line(&self, ticket: Option<u64>) -> Option<usize> {
        let rare = self.rare.as_ref()?;
        let ticket = ticket?;
        rare.waiters.iter().position(|w| w.ticket == ticket)
    }

    /// Keeps a sender waiting for room in the line: refreshes the waker of
    /// its `place`, or gives it a place at the back (and its `ticket`).
    fn wait_in_line(&mut self, place: Option<usize>, cx: &Context<'_>, ticket: &mut Option<u64>) {
        let rare = self.rare();
        match place {
            Some(p) => {
                if !rare.waiters[p].waker.will_wake(cx.waker()) {
                    rare.waiters[p].waker = cx.waker().clone();
                }
            }
            None => {
                let t = rare.next_ticket;
                rare.next_ticket += 1;
                rare.waiters.push_back(Waiter {
                    ticket: t,
                    waker: cx.waker().clone(),
                });
                *ticket = Some(t);
            }
        }
    }

    fn line_len(&self) -> usize {
        self.rare.as_ref().map_or(0, |r| r.waiters.len())
    }

    fn leave_line_at(&mut self, place: usize) {
        if let Some(rare) = &mut self.rare {
            rare.waiters.remove(place);
        }
    }

    /// The wakers of the waiters that now fit, in line order.
    fn waiters_to_wake(&self) -> Vec<Waker> {
        match &self.rare {
            Some(rare) => rare
                .waiters
                .iter()
                .take(self.room())
                .map(|w| w.waker.clone())
                .collect(),
            None => Vec::new(),
        }
    }

    fn all_waiters(&self) -> Vec<Waker> {
        match &self.rare {
            Some(rare) => rare.waiters.iter().map(|w| w.waker.clone()).collect(),
            None => Vec::new(),
        }
    }

    #[must_use]
    fn receiver_to_wake(&mut self) -> Option<Waker> {
        if self.receiver_parked {
            self.receiver_parked = false;
            self.receiver.take()
        } else {
            None
        }
    }
}

fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

/// The shared half of a mailbox, owned jointly by the actor and its references.
pub(crate) struct Mailbox<T> {
    state: Mutex<State<T>>,
    /// Strong references (`ActorRef`, `Recipient`). When it reaches zero the
    /// actor finishes its queue and stops. A `u32` keeps every actor's cell
    /// one allocation size class smaller.
    senders: AtomicU32,
    /// An [`Interrupt`]; read without the lock before every message.
    interrupt: AtomicU8,
}

impl<T> Mailbox<T> {
    /// A mailbox holding at most `capacity` waiting messages (`usize::MAX` for
    /// unbounded), with one strong sender counted.
    pub(crate) fn new(capacity: usize) -> Self {
        Mailbox {
            state: Mutex::new(State {
                head: None,
                queue: VecDeque::new(),
                capacity,
                receiver: None,
                receiver_parked: false,
                closed: false,
                terminated: false,
                rare: None,
            }),
            senders: AtomicU32::new(1),
            interrupt: AtomicU8::new(Interrupt::None as u8),
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
        if self.senders.fetch_add(1, Ordering::Relaxed) == u32::MAX {
            // Wrapping would let the actor stop under live references; four
            // billion references to one actor can only be a leak.
            std::process::abort();
        }
    }

    /// Adds a strong sender unless none is left (upgrading a weak reference).
    pub(crate) fn try_add_sender(&self) -> bool {
        self.senders
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |n| {
                (n != 0).then_some(n + 1)
            })
            .is_ok()
    }

    /// Whether some strong reference is left.
    pub(crate) fn has_senders(&self) -> bool {
        self.senders.load(Ordering::Acquire) != 0
    }

    /// Removes a strong sender; the last one wakes the actor so that it can stop.
    pub(crate) fn remove_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            let receiver = self.lock().receiver_to_wake();
            wake_all(receiver);
        }
    }

    /// Queues `item` if there is room and nobody is waiting ahead of it.
    pub(crate) fn try_push(&self, item: T) -> Result<(), Refused<T>> {
        let mut state = self.lock();
        if state.closed {
            return Err(Refused::Closed(item));
        }
        if state.room() == 0 || state.has_waiters() {
            return Err(Refused::Full(item));
        }
        let receiver = state.push(item);
        drop(state);
        wake_all(receiver);
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
        let place = state.place_in_line(*ticket);
        if state.closed || place.unwrap_or(state.line_len()) < state.room() {
            if let Some(p) = place {
                state.leave_line_at(p);
            }
            *ticket = None;
            return match item.take() {
                Some(item) if state.closed => Poll::Ready(Err(item)),
                Some(item) => {
                    let receiver = state.push(item);
                    drop(state);
                    wake_all(receiver);
                    Poll::Ready(Ok(()))
                }
                None => Poll::Ready(Ok(())),
            };
        }
        state.wait_in_line(place, cx, ticket);
        Poll::Pending
    }

    /// Gives up a place in line (a waiting send was cancelled).
    pub(crate) fn leave_line(&self, ticket: u64) {
        let mut state = self.lock();
        if let Some(p) = state.place_in_line(Some(ticket)) {
            state.leave_line_at(p);
        }
        // The one who left may have been woken for a slot; pass it on.
        let waiters = state.waiters_to_wake();
        drop(state);
        wake_all(waiters);
    }

    /// Takes the oldest message and moves the rest into `batch` (which must be
    /// empty), or reports that the actor should stop, or parks the actor until
    /// something happens.
    pub(crate) fn poll_take(
        &self,
        cx: &mut Context<'_>,
        batch: &mut VecDeque<T>,
    ) -> Poll<Delivery<T>> {
        let mut state = self.lock();
        if self.interrupt() == Interrupt::Now {
            return Poll::Ready(Delivery::Interrupted);
        }
        if let Some(first) = state.head.take() {
            if !state.queue.is_empty() {
                std::mem::swap(&mut state.queue, batch);
            }
            if state.has_waiters() {
                let waiters = state.waiters_to_wake();
                drop(state);
                wake_all(waiters);
            }
            return Poll::Ready(Delivery::Next(first));
        }
        if state.closed || self.senders.load(Ordering::Acquire) == 0 {
            state.closed = true;
            let requested = state.rare.as_ref().and_then(|r| r.requested.clone());
            return Poll::Ready(Delivery::Drained(requested.unwrap_or(StopReason::Normal)));
        }
        match &state.receiver {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.receiver = Some(cx.waker().clone()),
        }
        state.receiver_parked = true;
        let buffered = state.queue.capacity() != 0;
        if buffered || batch.capacity() != 0 {
            if state.has_waiters() {
                // Not idle: a sender waits for room (it was woken when this
                // batch was taken, and has not run yet). Keep a buffer for
                // what it brings, the actor's own (now empty) if need be, so
                // that under backpressure the two buffers change hands
                // instead of being freed and allocated again at every batch.
                if !buffered {
                    std::mem::swap(&mut state.queue, batch);
                }
            } else if buffered {
                // An idle actor keeps no buffer; the next burst allocates
                // one again.
                state.queue = VecDeque::new();
            }
        }
        Poll::Pending
    }

    /// The pending interrupt. Cheap: no lock.
    pub(crate) fn interrupt(&self) -> Interrupt {
        match self.interrupt.load(Ordering::Acquire) {
            0 => Interrupt::None,
            1 => Interrupt::AfterHandler,
            _ => Interrupt::Now,
        }
    }

    /// Why the actor was interrupted.
    pub(crate) fn interrupt_reason(&self) -> StopReason {
        let state = self.lock();
        let reason = state.rare.as_ref().and_then(|r| r.interrupt_reason.clone());
        reason.unwrap_or(StopReason::Killed)
    }

    /// Remembers the actor's waker so that an interrupt reaches a handler
    /// (or a restart delay) that is waiting on something else; returns the
    /// pending interrupt.
    pub(crate) fn watch_interrupt(&self, cx: &mut Context<'_>) -> Interrupt {
        let mut state = self.lock();
        match &state.receiver {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.receiver = Some(cx.waker().clone()),
        }
        self.interrupt()
    }

    /// Tells the actor to end its current run (`level`) with `reason`. A
    /// stronger interrupt replaces a weaker one; an equal one keeps the first
    /// reason.
    pub(crate) fn raise(&self, level: Interrupt, reason: StopReason) {
        let mut state = self.lock();
        if level <= self.interrupt() {
            return;
        }
        state.rare().interrupt_reason = Some(reason);
        self.interrupt.store(level as u8, Ordering::Release);
        // Woken even when not parked: its handler may be waiting elsewhere.
        let receiver = state.receiver.take();
        drop(state);
        wake_all(receiver);
    }

    /// Opens the mailbox again for the actor's next run (after a restart):
    /// no interrupt, no stop requested, messages accepted.
    pub(crate) fn reopen(&self) {
        let mut state = self.lock();
        state.closed = false;
        if let Some(rare) = &mut state.rare {
            rare.requested = None;
            rare.interrupt_reason = None;
        }
        self.interrupt
            .store(Interrupt::None as u8, Ordering::Release);
    }

    /// Puts messages the actor had taken but not handled back at the front
    /// of the queue, in order, for its next run.
    pub(crate) fn requeue_front(&self, batch: &mut VecDeque<T>) {
        if batch.is_empty() {
            return;
        }
        let mut state = self.lock();
        let state = &mut *state;
        let rest = std::mem::take(&mut state.queue);
        batch.extend(state.head.take());
        batch.extend(rest);
        state.head = batch.pop_front();
        std::mem::swap(&mut state.queue, batch);
    }

    /// Runs `f` on the actor's links and monitors, under the lock. `f` must
    /// not call back into this mailbox.
    pub(crate) fn with_watchers<R>(&self, f: impl FnOnce(&mut Watchers) -> R) -> R {
        f(&mut self.lock().rare().watchers)
    }

    /// Whether the mailbox refuses messages.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Refuses new messages; the actor handles what is queued, then stops with
    /// `reason` (the first reason given wins).
    pub(crate) fn close(&self, reason: StopReason) {
        let mut state = self.lock();
        state.closed = true;
        state.rare().requested.get_or_insert(reason);
        let receiver = state.receiver_to_wake();
        let waiters = state.all_waiters();
        drop(state);
        wake_all(receiver.into_iter().chain(waiters));
    }

    /// Refuses new messages and interrupts the actor at once.
    pub(crate) fn kill(&self) {
        let waiters = {
            let mut state = self.lock();
            state.closed = true;
            state.all_waiters()
        };
        wake_all(waiters);
        self.raise(Interrupt::Now, StopReason::Killed);
    }

    /// Records why the actor stops (replacing a reason recorded earlier, as
    /// when a kill interrupts `stopping`) and closes the mailbox. Returns what
    /// was still queued, to be dropped by the caller outside the lock
    /// (dropping a message may run user code).
    pub(crate) fn finish(&self, reason: StopReason) -> (Option<T>, VecDeque<T>) {
        self.finish_with(Some(reason))
    }

    /// Like [`Mailbox::finish`], keeping a reason recorded earlier if any:
    /// for a task dropped mid-way, whose reason may already be known.
    pub(crate) fn finish_unless_recorded(&self, reason: StopReason) -> (Option<T>, VecDeque<T>) {
        let recorded = self.reason().is_some();
        self.finish_with((!recorded).then_some(reason))
    }

    fn finish_with(&self, reason: Option<StopReason>) -> (Option<T>, VecDeque<T>) {
        let mut state = self.lock();
        state.closed = true;
        let rare = state.rare();
        if let Some(reason) = reason {
            rare.reason = Some(reason);
        }
        // Joiners include askers waiting to learn why their reply will not
        // come (see `poll_reason`); they re-register if they want the end.
        let joiners = std::mem::take(&mut rare.joiners);
        let waiters = state.all_waiters();
        let queued = (state.head.take(), std::mem::take(&mut state.queue));
        drop(state);
        wake_all(waiters.into_iter().chain(joiners));
        queued
    }

    /// Records why the actor's run ended without closing the mailbox (it will
    /// be restarted, or decided about): askers of a dropped message read it.
    pub(crate) fn record_reason(&self, reason: StopReason) {
        let joiners = {
            let mut state = self.lock();
            let rare = state.rare();
            rare.reason = Some(reason);
            std::mem::take(&mut rare.joiners)
        };
        wake_all(joiners);
    }

    /// The reason recorded by [`Mailbox::finish`] or [`Mailbox::record_reason`].
    pub(crate) fn reason(&self) -> Option<StopReason> {
        self.lock().rare.as_ref().and_then(|r| r.reason.clone())
    }

    /// The reason recorded by [`Mailbox::finish`], once it is recorded.
    ///
    /// A handler that panics drops its reply channel while unwinding, a moment
    /// before the actor records the failure; an asker that saw the channel
    /// close waits here for that moment instead of guessing.
    pub(crate) fn poll_reason(&self, cx: &mut Context<'_>) -> Poll<StopReason> {
        let mut state = self.lock();
        if let Some(reason) = state.rare.as_ref().and_then(|r| r.reason.clone()) {
            return Poll::Ready(reason);
        }
        let joiners = &mut state.rare().joiners;
        if !joiners.iter().any(|w| w.will_wake(cx.waker())) {
            joiners.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Marks the actor as ended and wakes everyone awaiting it.
    pub(crate) fn terminate(&self) {
        let joiners = {
            let mut state = self.lock();
            state.terminated = true;
            state.rare.as_mut().map(|r| std::mem::take(&mut r.joiners))
        };
        for waker in joiners.into_iter().flatten() {
            waker.wake();
        }
    }

    /// The stop reason once the actor has ended.
    pub(crate) fn poll_terminated(&self, cx: &mut Context<'_>) -> Poll<StopReason> {
        let mut state = self.lock();
        if state.terminated {
            let reason = state.rare.as_ref().and_then(|r| r.reason.clone());
            return Poll::Ready(reason.unwrap_or(StopReason::Normal));
        }
        let joiners = &mut state.rare().joiners;
        if !joiners.iter().any(|w| w.will_wake(cx.waker())) {
            joiners.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Whether the actor has not ended yet.
    pub(crate) fn is_alive(&self) -> bool {
        !self.lock().terminated
    }
}
