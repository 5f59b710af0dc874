//! Timer handles.
//!
//! [`Context::send_after`](crate::Context::send_after) and
//! [`Context::send_interval`](crate::Context::send_interval) return a
//! [`TimerHandle`]. Timers end with their actor; the handle ends them sooner.

use tokio::task::AbortHandle;

/// Cancels a timer started from a [`Context`](crate::Context). Dropping the
/// handle does not cancel the timer.
#[derive(Debug, Clone)]
pub struct TimerHandle {
    abort: AbortHandle,
}

impl TimerHandle {
    pub(crate) fn new(abort: AbortHandle) -> Self {
        TimerHandle { abort }
    }

    /// Cancels the timer: no further message is sent. A message already handed
    /// to the mailbox stays there.
    pub fn cancel(&self) {
        self.abort.abort();
    }

    /// Whether the timer may still send a message. Right after
    /// [`cancel`](Self::cancel), or after its actor stopped, this can stay
    /// `true` until the runtime has run the cancellation; no message is sent
    /// meanwhile all the same.
    pub fn is_active(&self) -> bool {
        !self.abort.is_finished()
    }
}
