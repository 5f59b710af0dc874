//! Catching panics at the edges of an actor.
//!
//! A panic in one actor must not unwind into the runtime or into another
//! actor. Every future an actor runs (hooks, handlers) is polled through
//! [`CatchPanic`], which turns a panic into a value the runtime can act on;
//! lifecycle hooks through [`Hook`], which also gives up on a hook when the
//! actor is told to end at once. User values the runtime drops (the actor
//! itself, messages left unhandled) are dropped through [`drop_caught`] and
//! [`discard`], since a `Drop` can panic too.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::actor::Actor;
use crate::id::ActorId;
use crate::runtime::envelope::Envelope;
use crate::runtime::mailbox::Interrupt;
use crate::runtime::Cell;
use crate::stop::StopReason;

/// Polls a future, turning a panic into an `Err` with the panic's payload.
pub(crate) struct CatchPanic<F>(pub(crate) F);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn std::any::Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning; the inner future is never moved.
        let inner = unsafe { self.map_unchecked_mut(|c| &mut c.0) };
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// How a lifecycle hook ended.
pub(crate) enum Hooked<T> {
    Done(T),
    Panicked(Box<dyn std::any::Any + Send>),
    /// The actor was told to end now (a kill, a linked failure) while the
    /// hook was running; the hook was dropped.
    Killed,
}

/// Runs a lifecycle hook, catching its panic and giving up on it if the actor
/// is killed meanwhile.
pub(crate) struct Hook<'a, F, A: Actor> {
    pub(crate) future: F,
    pub(crate) cell: &'a Cell<A>,
}

impl<F: Future, A: Actor> Future for Hook<'_, F, A> {
    type Output = Hooked<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning; the future is never moved.
        let this = unsafe { self.get_unchecked_mut() };
        if this.cell.mailbox.interrupt() == Interrupt::Now {
            return Poll::Ready(Hooked::Killed);
        }
        // SAFETY: `this` came from a pinned `Hook`, and `future` is pinned
        // structurally: it is never moved out of `this`.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Hooked::Done(output)),
            Err(panic) => Poll::Ready(Hooked::Panicked(panic)),
            Ok(Poll::Pending) if this.cell.mailbox.watch_interrupt(cx) == Interrupt::Now => {
                Poll::Ready(Hooked::Killed)
            }
            Ok(Poll::Pending) => Poll::Pending,
        }
    }
}

/// Drops `value`, turning a panic in its `Drop` into an `Err` with the
/// panic's payload.
pub(crate) fn drop_caught<T>(value: T) -> Result<(), Box<dyn std::any::Any + Send>> {
    catch_unwind(AssertUnwindSafe(move || drop(value)))
}

/// Drops messages that actor `id` will never handle, one at a time: a
/// message whose `Drop` panics is logged, and the others are still dropped
/// (a second panic while the first unwinds would abort the process).
pub(crate) fn discard<A: Actor>(id: ActorId, queued: impl IntoIterator<Item = Envelope<A>>) {
    for envelope in queued {
        let message = envelope.message_name();
        if let Err(panic) = drop_caught(envelope) {
            let place = format!("the Drop of a queued {}", message());
            let failure = StopReason::from_panic(&place, &*panic);
            tracing::error!("actor {id} ({}): {failure}", std::any::type_name::<A>());
        }
    }
}
