//! Helpers shared by the integration tests: gates that hold an actor inside a
//! handler until the test lets it go, a way to poll a future exactly once, and
//! a panic hook that keeps deliberate panics out of the test output.
//!
//! Each test file is its own crate and uses only some of these helpers, so
//! unused ones are not an error here.
#![allow(dead_code)]

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Once;
use std::task::Poll;

use tokio::sync::oneshot;

/// Polls `future` once with the calling task's waker and reports what it
/// returned. A `Pending` here proves the operation could not complete *now*;
/// because the real waker is registered, awaiting the future later still works.
pub async fn poll_once<F: Future + ?Sized>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}

/// The actor's side of a gate: a handler awaits [`Gate::pass`] to announce
/// that it is running and then wait until the test opens the gate.
#[derive(Debug)]
pub struct Gate {
    entered: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// The test's side of a gate.
#[derive(Debug)]
pub struct GateKey {
    entered: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

/// A closed gate and its key.
pub fn gate() -> (Gate, GateKey) {
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    (
        Gate {
            entered: entered_tx,
            release: release_rx,
        },
        GateKey {
            entered: entered_rx,
            release: release_tx,
        },
    )
}

impl Gate {
    /// Announces that the handler is inside, then waits until the key opens
    /// the gate (or is dropped).
    pub async fn pass(self) {
        let _ = self.entered.send(());
        let _ = self.release.await;
    }
}

impl GateKey {
    /// Waits until a handler is held at the gate.
    ///
    /// # Panics
    /// If the gate was dropped without being reached (the handler never ran).
    pub async fn entered(&mut self) {
        (&mut self.entered)
            .await
            .expect("the gate was dropped before a handler reached it");
    }

    /// Lets the held handler continue.
    pub fn open(self) {
        let _ = self.release.send(());
    }
}

/// The marker that deliberate panics in these tests start their message with.
pub const DELIBERATE: &str = "deliberate test panic";

/// Installs (once per test binary) a panic hook that stays silent for panics
/// whose message starts with [`DELIBERATE`] and reports every other panic as
/// the default hook would, so real assertion failures still show (even when
/// they quote a deliberate panic's message).
pub fn quiet_deliberate_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("");
            if !text.starts_with(DELIBERATE) {
                default(info);
            }
        }));
    });
}
