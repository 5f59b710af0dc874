//! Spawning actors, and the task that runs each one.
//!
//! An actor runs as one tokio task: `started`, then its messages one at a time,
//! then `stopping`, its children and timers, and `stopped`. A panic anywhere in
//! it is caught at the task's edge and becomes the actor's
//! [`StopReason::Failed`]; nothing outside the actor is affected.
//!
//! The message loop is a hand-written future rather than an `async` block
//! because it keeps the handler future in the actor's [`HandlerSlot`] and polls
//! it there, which is what makes a message cost no allocation.

use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use tracing::Instrument;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::catch::CatchPanic;
use crate::cell::Cell;
use crate::context::Context;
use crate::envelope::Envelope;
use crate::id::ActorId;
use crate::mailbox::Delivery;
use crate::registry;
use crate::slot::HandlerSlot;
use crate::stop::StopReason;

/// How many messages an actor handles before it lets other tasks on its
/// thread run.
const MESSAGES_PER_TURN: u32 = 128;

/// Spawns an actor with no parent on the current tokio runtime and returns a
/// reference to it. The actor runs until it stops itself, is stopped or killed,
/// fails, or the last strong reference to it is dropped.
///
/// ```
/// use actor_core::{spawn, Actor};
///
/// struct Idle;
/// impl Actor for Idle {}
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let idle = spawn(Idle);
/// idle.stop();
/// assert_eq!(idle.join().await, actor_core::StopReason::Normal);
/// # }
/// ```
///
/// # Panics
/// When called outside a tokio runtime, like `tokio::spawn`.
pub fn spawn<A: Actor>(actor: A) -> ActorRef<A> {
    start(actor, None)
}

pub(crate) fn start<A: Actor>(actor: A, parent: Option<ActorId>) -> ActorRef<A> {
    let id = ActorId::next(A::name());
    let cell = Arc::new(Cell::new(id, A::mailbox_capacity().limit()));
    let context = Context::new(cell.clone(), parent);
    let span = tracing::debug_span!("actor", actor = %id);
    // An instrumented task carries its span; without a subscriber that is
    // forty bytes per actor for nothing.
    if span.is_disabled() {
        tokio::spawn(run(actor, context));
    } else {
        tokio::spawn(run(actor, context).instrument(span));
    }
    ActorRef::adopt(cell)
}

/// The whole life of one actor.
///
/// An `async move` block rather than an `async fn`: the block keeps `actor` and
/// `ctx` in one place, where an `async fn` would store its arguments twice
/// (rust-lang/rust#62958), and every byte here is paid by every actor.
#[allow(clippy::manual_async_fn)]
fn run<A: Actor>(mut actor: A, mut ctx: Context<A>) -> impl Future<Output = ()> + Send {
    async move {
        let mut end = EndGuard {
            cell: ctx.cell().clone(),
            ended: false,
        };
        let reason = live(&mut actor, &mut ctx, &end.cell).await;
        // Record the reason before anything still queued is dropped, so that
        // askers see why their message went unanswered.
        drop(end.cell.mailbox.finish(reason.clone()));
        if reason.is_failure() {
            tracing::error!(%reason, "actor failed");
        } else {
            tracing::debug!(%reason, "actor stopping");
        }
        if ctx.has_dependents() {
            // Boxed: most actors have no children or timers, and this future
            // (with its shutdown timeout) would otherwise enlarge every actor.
            let killed = end.cell.mailbox.is_killed();
            Box::pin(ctx.shut_down_dependents(killed)).await;
        }
        registry::forget(&end.cell);
        if let Err(panic) = CatchPanic(actor.stopped(&reason)).await {
            let failure = StopReason::from_panic("stopped", &*panic);
            tracing::error!(%failure, "the stopped hook panicked");
        }
        end.ended = true;
        end.cell.mailbox.terminate();
    }
}

/// `started`, the messages, and `stopping`; resolves to the stop reason.
/// (An `async` block for the reason given at [`run`].)
#[allow(clippy::manual_async_fn)]
fn live<'a, A: Actor>(
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    cell: &'a Cell<A>,
) -> impl Future<Output = StopReason> + Send + 'a {
    async move {
        match (Hook {
            future: actor.started(ctx),
            cell,
        })
        .await
        {
            Hooked::Done(Ok(())) => {}
            Hooked::Done(Err(error)) => {
                return StopReason::failed(format_args!("started returned an error: {error}"))
            }
            Hooked::Panicked(panic) => return StopReason::from_panic("started", &*panic),
            Hooked::Killed => return StopReason::Killed,
        }
        let reason = MessageLoop::new(actor, ctx, cell).await;
        if reason != StopReason::Killed {
            let stopping = Hook {
                future: actor.stopping(ctx),
                cell,
            };
            match stopping.await {
                Hooked::Done(()) => {}
                Hooked::Panicked(panic) => {
                    let failure = StopReason::from_panic("stopping", &*panic);
                    tracing::error!(%failure, "the stopping hook panicked");
                }
                // Killed in `stopping` (say, by a parent whose patience ran
                // out): as in OTP, the actor's end is then `Killed`.
                Hooked::Killed => return StopReason::Killed,
            }
        }
        reason
    }
}

/// How a lifecycle hook ended.
enum Hooked<T> {
    Done(T),
    Panicked(Box<dyn std::any::Any + Send>),
    /// `kill` was called while the hook was running; it was dropped.
    Killed,
}

/// Runs a lifecycle hook, catching its panic and giving up on it if the actor
/// is killed meanwhile.
struct Hook<'a, F, A: Actor> {
    future: F,
    cell: &'a Cell<A>,
}

impl<F: Future, A: Actor> Future for Hook<'_, F, A> {
    type Output = Hooked<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning; the future is never moved.
        let this = unsafe { self.get_unchecked_mut() };
        if this.cell.mailbox.is_killed() {
            return Poll::Ready(Hooked::Killed);
        }
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Hooked::Done(output)),
            Err(panic) => Poll::Ready(Hooked::Panicked(panic)),
            Ok(Poll::Pending) if this.cell.mailbox.watch_kill(cx) => Poll::Ready(Hooked::Killed),
            Ok(Poll::Pending) => Poll::Pending,
        }
    }
}

/// Ends the actor's bookkeeping if its task is dropped before it finished (the
/// runtime shut down), so that nobody awaits it forever.
struct EndGuard<A: Actor> {
    cell: Arc<Cell<A>>,
    ended: bool,
}

impl<A: Actor> Drop for EndGuard<A> {
    fn drop(&mut self) {
        if !self.ended {
            drop(self.cell.mailbox.finish_unless_recorded(StopReason::Killed));
            registry::forget(&self.cell);
            self.cell.mailbox.terminate();
        }
    }
}

/// Takes messages from the mailbox and handles them, one at a time, until the
/// actor stops. Resolves to the stop reason.
struct MessageLoop<'a, A: Actor> {
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
unsafe impl<A: Actor> Send for MessageLoop<'_, A> {}

impl<'a, A: Actor> MessageLoop<'a, A> {
    fn new(actor: &'a mut A, ctx: &'a mut Context<A>, cell: &'a Cell<A>) -> Self {
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

    /// Stops handling: records `reason` where askers can read it, then drops
    /// the message in hand and everything queued.
    fn end(&mut self, reason: StopReason) -> StopReason {
        let queued = self.cell.mailbox.finish(reason.clone());
        // Dropping a half-run handler runs user destructors, which may panic.
        if catch_unwind(AssertUnwindSafe(|| self.slot.clear())).is_err() {
            tracing::error!("dropping an interrupted handler panicked");
        }
        drop(queued);
        self.batch.clear();
        reason
    }

    fn handle_next(&mut self, cx: &mut TaskContext<'_>) -> Poll<StopReason> {
        let mut turn = MESSAGES_PER_TURN;
        loop {
            if self.cell.mailbox.is_killed() {
                return Poll::Ready(self.end(StopReason::Killed));
            }
            if !self.slot.is_empty() {
                let polled = catch_unwind(AssertUnwindSafe(|| self.slot.poll(cx)));
                match polled {
                    Ok(Poll::Ready(Ok(()))) => {}
                    Ok(Poll::Ready(Err(failure))) => return Poll::Ready(self.end(failure)),
                    Ok(Poll::Pending) => {
                        if self.cell.mailbox.watch_kill(cx) {
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
                turn -= 1;
                if turn == 0 {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            // SAFETY: the slot is empty, so nothing else borrows the context.
            if unsafe { (*self.ctx).stop_requested() } {
                return Poll::Ready(self.end(StopReason::Normal));
            }
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
                    Poll::Ready(Delivery::Killed) => {
                        return Poll::Ready(self.end(StopReason::Killed))
                    }
                },
            };
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

impl<A: Actor> Future for MessageLoop<'_, A> {
    type Output = StopReason;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<StopReason> {
        self.get_mut().handle_next(cx)
    }
}

impl<A: Actor> Drop for MessageLoop<'_, A> {
    fn drop(&mut self) {
        // The handler future borrows the actor: it must go first.
        self.slot.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tiny(#[allow(dead_code)] u64);
    impl Actor for Tiny {}

    /// Every actor pays for its task's future. Tokio allocates a task as the
    /// future plus about 112 bytes, in steps of 128: at 272 bytes or less, an
    /// actor's task takes 384 bytes, which is what keeps an idle actor under
    /// 800 bytes in all (see BENCHMARKS.md). This fails when a change grows it.
    #[tokio::test]
    async fn a_minimal_actor_task_fits_in_384_bytes() {
        let cell = Arc::new(Cell::<Tiny>::new(ActorId::next("Tiny"), 64));
        let task = run(Tiny(1), Context::new(cell, None));
        assert!(
            std::mem::size_of_val(&task) <= 272,
            "the actor task future grew to {} bytes",
            std::mem::size_of_val(&task)
        );
    }
}
