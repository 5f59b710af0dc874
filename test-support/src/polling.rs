//! Polling a future exactly once: a `Pending` proves that an operation cannot
//! complete *now* (a full mailbox, a held lock, an empty queue), without
//! sleeping and hoping.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

/// Polls `future` once with the calling task's waker and reports what it
/// returned. A `Pending` here proves the operation could not complete *now*;
/// because the real waker is registered, awaiting the future later still works.
pub async fn poll_once<F: Future + ?Sized>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}
