//! The restart gate: what a supervisor shares with its one-for-one children
//! so that a child can decide its own restart in its own task, without a
//! round trip through the supervisor (see `docs/design.md`, "Restarts decided
//! in the child's own task").

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;

use super::intensity::RestartLog;
use super::{Intensity, Restart};
use crate::runtime::supervised::RestartHere;
use crate::stop::StopReason;

/// What a supervisor shares with the tasks of its children so that a
/// one-for-one child can decide its own restart (see [`ChildGate`]).
#[derive(Default)]
pub(super) struct Gate {
    pub(super) state: Mutex<GateState>,
}

#[derive(Default)]
pub(super) struct GateState {
    /// Children may restart themselves: one-for-one, no backoff, the
    /// supervisor has started and is not stopping. Never reopened.
    pub(super) open: bool,
    pub(super) intensity: Intensity,
    /// Every restart within the window, made here or by a child.
    pub(super) log: RestartLog,
}

impl Gate {
    pub(super) fn lock(&self) -> MutexGuard<'_, GateState> {
        // Nothing here panics while holding it; poisoned data is consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// From now on every restart is the supervisor's to decide.
    pub(super) fn close(&self) {
        self.lock().open = false;
    }
}

/// One child's view of its supervisor's [`Gate`], held by the child's task.
///
/// A restart decided here is exactly the one the supervisor would have made
/// (same restart kind rule, same intensity window, no delay), made under the
/// gate's lock, which the supervisor takes before it stops or escalates, so
/// that the two never cross: either the child restarted first and the stop
/// reaches its next run, or the supervisor came first and the child reports
/// its end the long way.
pub(super) struct ChildGate {
    pub(super) gate: Arc<Gate>,
    pub(super) restart: Restart,
    /// Cleared (under the gate's lock) when the supervisor stops this child.
    pub(super) enabled: AtomicBool,
    /// Restarts of this child, by either side.
    pub(super) restarts: AtomicU32,
}

impl ChildGate {
    pub(super) fn new(gate: &Arc<Gate>, restart: Restart) -> Arc<Self> {
        Arc::new(ChildGate {
            gate: gate.clone(),
            restart,
            enabled: AtomicBool::new(true),
            restarts: AtomicU32::new(0),
        })
    }

    /// The supervisor decides this child's end from now on.
    pub(super) fn disable(&self) {
        let _state = self.gate.lock();
        self.enabled.store(false, Ordering::Relaxed);
    }

    pub(super) fn count(&self) -> u32 {
        self.restarts.load(Ordering::Relaxed)
    }

    pub(super) fn add_restart(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }
}

impl RestartHere for ChildGate {
    fn restart_here(&self, reason: &StopReason, reopen: &mut dyn FnMut()) -> bool {
        if !self.restart.restarts_after(reason) {
            return false;
        }
        let mut state = self.gate.lock();
        if !state.open || !self.enabled.load(Ordering::Relaxed) {
            return false;
        }
        let intensity = state.intensity;
        // Past the intensity: the supervisor finds it so too, and escalates.
        if !state.log.allow(intensity, Instant::now()) {
            return false;
        }
        self.add_restart();
        reopen();
        true
    }
}
