//! How a supervisor ends its children's runs: within each one's shutdown
//! time, killing it when that runs out, and never waiting for ever on a child
//! it was given a timeout for.

use std::sync::Arc;

use super::{Restart, Shutdown, Supervisor};
use crate::runtime;
use crate::runtime::mailbox::Interrupt;
use crate::runtime::supervised::{ChildExit, ExitSlot};
use crate::stop::StopReason;

impl Supervisor {
    /// Ends child `j`'s current run and returns its exit (`None` if it is
    /// not running, or ended without one). With [`Interrupt::AfterHandler`]
    /// the child finishes the message in hand, within its shutdown time, and
    /// is killed after that; with [`Interrupt::Now`] (or
    /// [`Shutdown::BrutalKill`]) it is killed.
    ///
    /// A kill takes effect at the child's next await, and its `stopped` hook
    /// still runs. With [`Shutdown::Timeout`], a killed child that has not
    /// ended within that time again (its `stopped` hook never returns) is
    /// abandoned: logged, and no longer waited for.
    pub(super) async fn end_run(&mut self, j: usize, level: Interrupt) -> Option<ChildExit> {
        let child = &self.children[j];
        let started = child.started.as_ref()?;
        let (control, actor) = (started.control.clone(), started.type_name);
        // Before looking at the slot: from here the child reports any end.
        child.gate.disable();
        if let Some(exit) = child.slot.take() {
            return Some(exit);
        }
        let slot = child.slot.clone();
        let patience = match child.spec.shutdown {
            Shutdown::Timeout(t) if !t.is_zero() => Some(t),
            _ => None,
        };
        let graceful = level != Interrupt::Now && child.spec.shutdown != Shutdown::BrutalKill;
        if graceful && (patience.is_some() || child.spec.shutdown == Shutdown::Infinity) {
            control.interrupt(Interrupt::AfterHandler, StopReason::Shutdown);
            let Some(patience) = patience else {
                return slot.wait_or_end(&*control).await;
            };
            if let Ok(ended) = tokio::time::timeout(patience, slot.wait_or_end(&*control)).await {
                return ended;
            }
            tracing::warn!(
                "child {:?}, actor {} ({actor}), did not stop within {patience:?}; killing it",
                child.spec.id,
                control.id(),
            );
        }
        control.interrupt(Interrupt::Now, StopReason::Killed);
        let Some(patience) = patience else {
            return slot.wait_or_end(&*control).await;
        };
        if let Ok(ended) = tokio::time::timeout(patience, slot.wait_or_end(&*control)).await {
            return ended;
        }
        tracing::error!(
            "child {:?}, actor {} ({actor}), did not end within {patience:?} of being killed \
             (its `stopped` hook does not return); abandoning it",
            child.spec.id,
            control.id(),
        );
        self.abandon(j);
        None
    }

    /// Stops waiting for child `j`, whose task does not end: it counts as
    /// ended for good, and a later start of it gets a fresh slot.
    fn abandon(&mut self, j: usize) {
        let child = &mut self.children[j];
        child.slot.abandon();
        child.slot = Arc::new(ExitSlot::default());
        child.started = None;
    }

    /// Stops child `j` for good (if running) and waits for its end.
    pub(super) async fn shut_down(&mut self, j: usize, level: Interrupt) {
        let Some(control) = self.children[j].started.as_ref().map(|s| s.control.clone()) else {
            return;
        };
        // The stop below must reach the run after any restart the child makes
        // of itself, and no restart after it.
        self.children[j].gate.disable();
        // No new messages: they could only be dropped.
        control.ends_for_good();
        control.stop_with(StopReason::Shutdown);
        if let Some(exit) = self.end_run(j, level).await {
            exit.stop();
        }
        // Not when it was abandoned: its task does not end.
        if self.children[j].started.take().is_some() {
            runtime::join(&*control).await;
        }
    }

    /// Stops every child, newest first.
    pub(super) async fn shut_down_all(&mut self) {
        self.gate.close();
        for j in (0..self.children.len()).rev() {
            self.shut_down(j, Interrupt::AfterHandler).await;
        }
    }

    /// A child ended for good: wait for its task, then forget a temporary
    /// one (others stay listed, as in OTP, until terminated).
    pub(super) async fn retire(&mut self, j: usize) {
        if let Some(started) = self.children[j].started.take() {
            runtime::join(&*started.control).await;
        }
        if self.children[j].spec.restart == Restart::Temporary {
            self.children.remove(j);
        }
    }
}
