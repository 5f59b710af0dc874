//! Logs of what happened, for asserting on order: a channel drained at once
//! ([`drain`]), or a [`Recorder`] that can also be awaited until an event
//! shows up, instead of sleeping. [`kind`] gives a stop reason a short name
//! for such logs.

use std::sync::{Arc, Mutex};

use actor_core::StopReason;
use tokio::sync::{mpsc, Notify};

use crate::timing::PATIENCE;

/// Everything already sent on `events`, in order, without waiting for more.
pub fn drain<T>(events: &mut mpsc::UnboundedReceiver<T>) -> Vec<T> {
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    seen
}

/// A short name for a stop reason, for event logs: `"normal"`, `"shutdown"`,
/// `"killed"`, `"failed"`, or `"other"`.
pub fn kind(reason: &StopReason) -> &'static str {
    match reason {
        StopReason::Normal => "normal",
        StopReason::Shutdown => "shutdown",
        StopReason::Killed => "killed",
        StopReason::Failed(_) => "failed",
        _ => "other",
    }
}

/// An ordered, shared log of events that can be awaited.
///
/// [`Recorder::take`] returns the events since the previous `take`;
/// [`Recorder::count`] and [`Recorder::wait_for`] count over the whole history.
#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Log>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct Log {
    history: Vec<String>,
    /// Where the next `take` starts.
    taken: usize,
}

impl Recorder {
    /// A new, empty log.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Appends an event.
    pub fn push(&self, event: impl Into<String>) {
        self.events.lock().unwrap().history.push(event.into());
        self.changed.notify_waiters();
    }

    /// Every event so far.
    pub fn all(&self) -> Vec<String> {
        self.events.lock().unwrap().history.clone()
    }

    /// The events logged since the previous `take`.
    pub fn take(&self) -> Vec<String> {
        let mut log = self.events.lock().unwrap();
        let start = log.taken;
        log.taken = log.history.len();
        log.history[start..].to_vec()
    }

    /// How many times `event` was logged.
    pub fn count(&self, event: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .history
            .iter()
            .filter(|e| *e == event)
            .count()
    }

    /// Waits until `event` has been logged at least `n` times.
    ///
    /// # Panics
    /// After [`PATIENCE`] without it, listing the events so far.
    pub async fn wait_for(&self, event: &str, n: usize) {
        let waited = tokio::time::timeout(PATIENCE, async {
            loop {
                let notified = self.changed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.count(event) >= n {
                    return;
                }
                notified.await;
            }
        })
        .await;
        if waited.is_err() {
            panic!(
                "timed out waiting for {n} x {event:?}; events: {:?}",
                self.all()
            );
        }
    }
}
