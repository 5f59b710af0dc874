//! The line between a supervisor and one child's task.
//!
//! When a run of a supervised child ends, its task puts the exit in the
//! child's [`ExitSlot`], tells the supervisor, and waits for a [`Decision`]. The
//! slot, not the supervisor's mailbox, carries the exit, so that a supervisor
//! busy restarting siblings (one-for-all) can wait for their exits directly,
//! without handling its own messages in between. A notice that arrives after
//! its exit was taken that way finds the slot empty and is ignored.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use crate::actor_ref::WeakActorRef;
use crate::spawn::StartedSignal;
use crate::stop::StopReason;
use crate::supervisor::{ChildExited, Supervisor};

/// What the supervisor tells a child whose run ended.
pub(crate) enum Decision {
    /// Start a new run after `delay`; report through `started` (when the
    /// supervisor waits for it) once its `started` hook has finished.
    Restart {
        delay: Duration,
        started: Option<StartedSignal>,
    },
    /// End for good.
    Stop,
}

/// A run's end, waiting for the supervisor's decision.
pub(crate) struct ChildExit {
    pub(crate) reason: StopReason,
    pub(crate) decide: oneshot::Sender<Decision>,
}

impl ChildExit {
    pub(crate) fn stop(self) {
        let _ = self.decide.send(Decision::Stop);
    }
}

/// Where a child's task leaves its exit for the supervisor.
#[derive(Default)]
pub(crate) struct ExitSlot {
    exit: Mutex<Option<ChildExit>>,
    posted: Notify,
}

impl ExitSlot {
    fn put(&self, exit: ChildExit) {
        *self.exit.lock().unwrap_or_else(PoisonError::into_inner) = Some(exit);
        self.posted.notify_one();
    }

    /// The exit waiting here, if any.
    pub(crate) fn take(&self) -> Option<ChildExit> {
        self.exit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Waits for the child's next exit.
    pub(crate) async fn wait(&self) -> ChildExit {
        loop {
            let posted = self.posted.notified();
            if let Some(exit) = self.take() {
                return exit;
            }
            posted.await;
        }
    }
}

/// A supervised child's end of the line.
pub(crate) struct ChildLink {
    pub(crate) slot: std::sync::Arc<ExitSlot>,
    pub(crate) key: u64,
    pub(crate) supervisor: WeakActorRef<Supervisor>,
}

impl ChildLink {
    /// Reports that a run ended and waits for the supervisor's decision. A
    /// supervisor that is gone means stop.
    pub(crate) async fn exited(&self, reason: StopReason) -> Decision {
        let (decide, decision) = oneshot::channel();
        self.slot.put(ChildExit { reason, decide });
        if let Some(supervisor) = self.supervisor.upgrade() {
            // A supervisor that refuses the notice is stopping; it collects
            // the exit from the slot as it stops its children.
            let _ = supervisor.tell(ChildExited { key: self.key }).await;
        }
        decision.await.unwrap_or(Decision::Stop)
    }
}
