//! The message loop: an actor's mailbox drained into its handlers.
//!
//! A [`MessageLoop`] takes messages from the mailbox and handles them one at a
//! time until the actor's run ends, then resolves to the reason. It is a
//! hand-written future rather than an `async` block because it keeps the
//! handler future in the actor's [`HandlerSlot`] and polls it there, which is
//! what makes a message cost no allocation. Before each message it checks for
//! an [`Interrupt`] (a kill, a linked failure, a supervisor's restart).

use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::actor::Actor;
use crate::context::Context;
use crate::runtime::envelope::Envelope;
use crate::runtime::handler_slot::HandlerSlot;
use crate::runtime::handling;
use crate::runtime::mailbox::{Delivery, Interrupt};
use crate::runtime::panic_guard::discard;
use crate::runtime::Cell;
use crate::stop::StopReason;

/// Takes messages from the mailbox and handles them, one at a time, until the
/// actor stops. Resolves to the stop reason.
pub(crate) struct MessageLoop<'a, A: Actor, const KEEP_MAILBOX: bool> {
    // The actor and its context are reached through raw pointers taken once,
    // because the handler future in `slot` borrows them between polls.
    actor: *mut A,
    ctx: *mut Context<A>,
    cell: &'a Cell<A>,
    batch: VecDeque<Envelope<A>>,
    slot: HandlerSlot,
    /// The name of the message being handled, for the panic message.
    message: fn() -> &'static str,
    _borrows: PhantomData<&'a mut (A, Context<A>)>,
}

// SAFETY: the raw pointers stand for the `&'a mut` borrows in `_borrows`; A and
// Context<A> are Send, and so is everything else here.
unsafe impl<A: Actor, const KEEP_MAILBOX: bool> Send for MessageLoop<'_, A, KEEP_MAILBOX> {}

/// `KEEP_MAILBOX`: the actor may be restarted, so its mailbox's contents are
/// left for its next run (a type parameter, not a field: every byte of this
/// struct is in every actor's task).
impl<'a, A: Actor, const KEEP_MAILBOX: bool> MessageLoop<'a, A, KEEP_MAILBOX> {
    pub(crate) fn new(actor: &'a mut A, ctx: &'a mut Context<A>, cell: &'a Cell<A>) -> Self {
        MessageLoop {
            actor,
            ctx,
            cell,
            batch: VecDeque::new(),
            slot: HandlerSlot::new(),
            message: || "",
            _borrows: PhantomData,
        }
    }

    /// Stops handling. Records `reason` where askers can read it, then drops
    /// the message in hand. What is queued is dropped too, unless the actor
    /// may be restarted: then it goes back to the mailbox for the next run.
    fn end(&mut self, reason: StopReason) -> StopReason {
        let queued = if KEEP_MAILBOX {
            self.cell.mailbox.record_reason(reason.clone());
            self.cell.mailbox.requeue_front(&mut self.batch);
            None
        } else {
            Some(self.cell.mailbox.finish(reason.clone()))
        };
        // Dropping a half-run handler, or a message, runs user destructors,
        // which may panic.
        self.clear_slot();
        if let Some((head, rest)) = queued {
            discard(self.cell.id, head.into_iter().chain(rest));
        }
        discard(self.cell.id, self.batch.drain(..));
        reason
    }

    fn clear_slot(&mut self) {
        if catch_unwind(AssertUnwindSafe(|| self.slot.clear())).is_err() {
            tracing::error!(
                "actor {} ({}): dropping an interrupted handler of {} panicked",
                self.cell.id,
                std::any::type_name::<A>(),
                (self.message)()
            );
        }
    }

    fn handle_next(&mut self, cx: &mut TaskContext<'_>) -> Poll<StopReason> {
        loop {
            match self.cell.mailbox.interrupt() {
                Interrupt::None => {}
                Interrupt::AfterHandler if !self.slot.is_empty() => {}
                Interrupt::AfterHandler | Interrupt::Now => {
                    let reason = self.cell.mailbox.interrupt_reason();
                    return Poll::Ready(self.end(reason));
                }
            }
            if !self.slot.is_empty() {
                let id = self.cell.id;
                let polled = catch_unwind(AssertUnwindSafe(|| {
                    handling::as_handler_of(id, || self.slot.poll(cx))
                }));
                match polled {
                    Ok(Poll::Ready(Ok(()))) => {}
                    Ok(Poll::Ready(Err(failure))) => return Poll::Ready(self.end(failure)),
                    Ok(Poll::Pending) => {
                        if self.cell.mailbox.watch_interrupt(cx) == Interrupt::Now {
                            continue;
                        }
                        return Poll::Pending;
                    }
                    // Handlers catch their own panics; this one came from
                    // somewhere the handler does not cover (a destructor).
                    Err(panic) => {
                        let place = format!("the handler of {}", (self.message)());
                        return Poll::Ready(self.end(StopReason::from_panic(&place, &*panic)));
                    }
                }
                // Back to the top: an interrupt raised by this handler (say,
                // `ctx.stop()`) takes effect before the next message.
                continue;
            }
            // Each message spends a unit of tokio's cooperative budget, as a
            // tokio channel's receive does: an actor with a full mailbox lets
            // the other tasks on its thread run, and is rescheduled the way
            // tokio reschedules its own receivers (which keeps a busy pair of
            // tasks on one worker instead of inviting the other to steal).
            let Poll::Ready(budget) = tokio::task::coop::poll_proceed(cx) else {
                return Poll::Pending;
            };
            let envelope = match self.batch.pop_front() {
                Some(envelope) => envelope,
                None => match self.cell.mailbox.poll_take(cx, &mut self.batch) {
                    Poll::Pending => {
                        // Going idle: keep no buffer (see the mailbox).
                        if self.batch.capacity() != 0 {
                            self.batch = VecDeque::new();
                        }
                        return Poll::Pending;
                    }
                    Poll::Ready(Delivery::Next(envelope)) => envelope,
                    Poll::Ready(Delivery::Drained(reason)) => return Poll::Ready(self.end(reason)),
                    Poll::Ready(Delivery::Interrupted) => continue,
                },
            };
            budget.made_progress();
            self.message = envelope.message_name();
            let (actor, ctx) = (self.actor, self.ctx);
            let slot = &mut self.slot;
            // SAFETY: the actor and context outlive this loop ('a), do not move,
            // and are not touched again until the slot is empty.
            let opened = catch_unwind(AssertUnwindSafe(|| unsafe {
                envelope.open(actor, ctx, slot)
            }));
            if let Err(panic) = opened {
                let place = format!("the handler of {}", (self.message)());
                return Poll::Ready(self.end(StopReason::from_panic(&place, &*panic)));
            }
        }
    }
}

impl<A: Actor, const KEEP_MAILBOX: bool> Future for MessageLoop<'_, A, KEEP_MAILBOX> {
    type Output = StopReason;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<StopReason> {
        self.get_mut().handle_next(cx)
    }
}

impl<A: Actor, const KEEP_MAILBOX: bool> Drop for MessageLoop<'_, A, KEEP_MAILBOX> {
    fn drop(&mut self) {
        // The handler future borrows the actor: it must go first.
        self.clear_slot();
        discard(self.cell.id, self.batch.drain(..));
    }
}
