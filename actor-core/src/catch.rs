//! Catching panics at the edges of an actor.
//!
//! A panic in one actor must not unwind into the runtime or into another
//! actor. Every future an actor runs (hooks, handlers) is polled through
//! [`CatchPanic`], which turns a panic into a value the runtime can act on.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

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
