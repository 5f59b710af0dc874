//! Supervisors: actors that start, watch and restart other actors, as OTP's
//! `supervisor` does.
//!
//! A [`Supervisor`] is built from [`ChildSpec`]s and a [`Strategy`], and spawned
//! like any actor. It starts its children in order (each one's `started` hook
//! completes before the next starts) and stops them in reverse order. When a
//! child's run ends, its [`Restart`] kind says whether it is restarted, and the
//! strategy says which children restart with it. More than
//! [`Intensity::max_restarts`] restarts within [`Intensity::period`] make the
//! supervisor stop its children and fail, so that its own supervisor decides.
//! Supervisors are actors, so they supervise supervisors: trees of any depth.
//!
//! A child keeps its [`ActorRef`](crate::ActorRef) and its mailbox across
//! restarts: a client's reference keeps working, and messages queued for the
//! child are handled by its next instance. The message being handled when it failed is dropped; its
//! asker gets [`Error::Failed`] naming the failure.
//!
//! Differences from OTP, on purpose:
//! - a stopped child's queued messages are kept for its next run (OTP's die
//!   with the process);
//! - links and monitors fire for each run that ends (OTP's for each process,
//!   and a restart there is a new process);
//! - `terminate_child` also deletes the child (OTP's `terminate_child` then
//!   `delete_child`);
//! - a supervisor that exceeds its restart intensity fails (OTP's exits with
//!   `shutdown`), so that its own supervisor restarts it even when transient;
//! - children can be added to any supervisor at run time
//!   ([`ActorRef::start_child`](crate::ActorRef::start_child)); a supervisor
//!   without initial children is OTP's dynamic supervisor.

mod api;
mod gate;
mod intensity;
mod shutdown;
mod spec;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::actor::{Actor, BoxError, MailboxCapacity};
use crate::context::Context;
use crate::error::Error;
use crate::id::ActorId;
use crate::message::Handler;
use crate::runtime;
use crate::runtime::mailbox::Interrupt;
use crate::stop::StopReason;

use crate::runtime::supervised::{
    ChildExit, ChildExited, ChildLink, Decision, ExitSlot, RestartHere,
};
use gate::{ChildGate, Gate};
use intensity::Jitter;
pub use intensity::{Backoff, Intensity};
use spec::{AnySpec, StartedChild};
pub use spec::{ChildSpec, Restart, Shutdown};

/// Which children restart when one of them has to (OTP's strategies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Only the child that ended.
    OneForOne,
    /// Every child: the others are stopped (newest first), then all are
    /// started again in order.
    OneForAll,
    /// The child that ended and those started after it.
    RestForOne,
}

/// What a supervisor reports about one child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildInfo {
    /// The child's id within the supervisor.
    pub id: String,
    /// The child actor.
    pub actor: ActorId,
    /// Whether it is running (false once it ended for good).
    pub running: bool,
    /// How many times it was restarted.
    pub restarts: u32,
}

/// A supervisor actor. Build it, then [`spawn`](crate::spawn) it (or make it a
/// child of another supervisor with [`ChildSpec::new`], since `Supervisor` is
/// `Clone`: each clone starts from the same specifications).
///
/// ```
/// use actor_core::{spawn, Actor, ChildSpec, Strategy, Supervisor};
/// use std::time::Duration;
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::Error> {
/// let supervisor = spawn(
///     Supervisor::new(Strategy::OneForOne)
///         .intensity(3, Duration::from_secs(5))
///         .child(ChildSpec::new("a", || Worker))
///         .child(ChildSpec::new("b", || Worker)),
/// );
/// let a = supervisor.child::<Worker>("a").await?;
/// assert!(a.is_alive());
/// supervisor.stop();
/// supervisor.join().await;
/// assert!(!a.is_alive());
/// # Ok(()) }
/// ```
pub struct Supervisor {
    strategy: Strategy,
    intensity: Intensity,
    backoff: Option<Backoff>,
    specs: Vec<AnySpec>,
    children: Vec<Child>,
    /// The restart intensity window, shared with the children that restart
    /// themselves.
    gate: Arc<Gate>,
    next_key: u64,
    jitter: Jitter,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("strategy", &self.strategy)
            .field("intensity", &self.intensity)
            .field("backoff", &self.backoff)
            .field("specs", &self.specs.len())
            .field("children", &self.children.len())
            .finish_non_exhaustive()
    }
}

/// One child, as its supervisor tracks it.
struct Child {
    spec: AnySpec,
    key: u64,
    slot: Arc<ExitSlot>,
    /// Its restart count, and its share of the intensity window.
    gate: Arc<ChildGate>,
    /// The running child; `None` once it ended for good.
    started: Option<StartedChild>,
    /// The child actor, or the last one if it ended for good.
    actor: ActorId,
    /// Restarts in a row without a healthy run in between, for backoff.
    in_a_row: u32,
    /// When its current run was (re)started.
    since: Instant,
}

impl Supervisor {
    /// A supervisor with no children yet, the default intensity (OTP's: one
    /// restart within five seconds) and no backoff.
    pub fn new(strategy: Strategy) -> Self {
        Supervisor {
            strategy,
            intensity: Intensity::default(),
            backoff: None,
            specs: Vec::new(),
            children: Vec::new(),
            gate: Arc::default(),
            next_key: 0,
            jitter: Jitter::seeded(0x9E37_79B9_7F4A_7C15),
        }
    }

    /// Allows at most `max_restarts` restarts within `period`.
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.intensity = Intensity {
            max_restarts,
            period,
        };
        self
    }

    /// Delays restarts of children that keep failing.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Adds a child, started after the ones added before it.
    pub fn child<A: Actor>(mut self, spec: ChildSpec<A>) -> Self {
        self.specs.push(spec.into());
        self
    }

    /// The child's share of the gate, if children may restart themselves
    /// under this supervisor: one-for-one (a group restart is the
    /// supervisor's to make), without backoff (a delayed restart too).
    fn here(&self, gate: &Arc<ChildGate>) -> Option<Arc<dyn RestartHere>> {
        let eligible = self.strategy == Strategy::OneForOne && self.backoff.is_none();
        eligible.then(|| gate.clone() as Arc<dyn RestartHere>)
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| c.spec.id == id)
    }

    /// Starts a child and waits until its `started` hook has finished.
    async fn start(&mut self, spec: AnySpec, ctx: &mut Context<Self>) -> Result<usize, Error> {
        if self.position(&spec.id).is_some() {
            return Err(Error::DuplicateChild {
                supervisor: ctx.id(),
                child: spec.id,
            });
        }
        self.next_key += 1;
        let key = self.next_key;
        let slot = Arc::new(ExitSlot::default());
        let gate = ChildGate::new(&self.gate, spec.restart);
        let (child, started) = launch(&spec, key, &slot, self.here(&gate), ctx);
        let actor = child.control.id();
        // A dropped signal means the child's task was dropped (the runtime is
        // shutting down); treat it as killed.
        let outcome = started.await.unwrap_or(Err(StopReason::Killed));
        if let Err(reason) = outcome {
            // As in OTP, a child that fails to start is not added.
            slot.wait().await.stop();
            runtime::join(&*child.control).await;
            return Err(Error::StartFailed { actor, reason });
        }
        tracing::debug!(child = %spec.id, %actor, "child started");
        self.children.push(Child {
            spec,
            key,
            slot,
            gate,
            started: Some(child),
            actor,
            in_a_row: 0,
            since: Instant::now(),
        });
        Ok(self.children.len() - 1)
    }

    /// A child's run ended: restart it (and its group) or let it go.
    async fn on_exit(&mut self, i: usize, exit: ChildExit, ctx: &mut Context<Self>) {
        let child = &self.children[i];
        tracing::info!(
            "supervisor {}: child {:?} ended: {}",
            ctx.id(),
            child.spec.id,
            exit.reason
        );
        if !child.spec.restart.restarts_after(&exit.reason) {
            exit.stop();
            self.retire(i).await;
            return;
        }
        let now = Instant::now();
        let allowed = {
            let mut gate = self.gate.lock();
            let allowed = gate.log.allow(self.intensity, now);
            // Giving up: no child restarts itself any more.
            gate.open &= allowed;
            allowed
        };
        if !allowed {
            let failure = format!(
                "restart intensity exceeded: more than {} restarts within {:?} (child {:?} ended: {})",
                self.intensity.max_restarts, self.intensity.period, child.spec.id, exit.reason
            );
            tracing::error!("supervisor {} gives up: {failure}", ctx.id());
            exit.stop();
            self.retire(i).await;
            self.shut_down_all().await;
            ctx.fail(failure);
            return;
        }
        if self.strategy == Strategy::OneForOne {
            // The common case, without the group bookkeeping below.
            self.restart(i, exit, now, false).await;
            return;
        }
        let group = match self.strategy {
            Strategy::RestForOne => i..self.children.len(),
            _ => 0..self.children.len(),
        };
        let mut exits = vec![(i, exit)];
        for j in group.clone().rev() {
            if j != i {
                if let Some(exit) = self.end_run(j, Interrupt::AfterHandler).await {
                    exits.push((j, exit));
                }
            }
        }
        exits.sort_by_key(|(j, _)| *j);
        let mut exits = exits.into_iter().peekable();
        let mut retired = Vec::new();
        // Restarted in order, as they were started: each one's `started`
        // finishes before the next begins.
        for j in group {
            match exits.next_if(|(k, _)| *k == j) {
                Some((_, exit)) if self.children[j].spec.restart == Restart::Temporary => {
                    exit.stop();
                    retired.push(j);
                }
                Some((_, exit)) => self.restart(j, exit, now, true).await,
                // Ended for good earlier (a transient child that stopped
                // normally): OTP starts it again with the rest of the group.
                None if self.children[j].spec.restart != Restart::Temporary => {
                    self.revive(j, ctx).await;
                }
                None => {}
            }
        }
        for j in retired.into_iter().rev() {
            self.retire(j).await;
        }
    }

    /// Restarts child `j`, after its backoff delay if any. With `in_order`,
    /// waits until its `started` hook has finished; a failure there comes
    /// back as an exit and is handled like any other.
    async fn restart(&mut self, j: usize, exit: ChildExit, now: Instant, in_order: bool) {
        let child = &mut self.children[j];
        let healthy = self
            .backoff
            .is_some_and(|b| now.duration_since(child.since) > b.max);
        child.in_a_row = if healthy { 1 } else { child.in_a_row + 1 };
        let delay = match self.backoff {
            Some(backoff) => backoff.delay(child.in_a_row, self.jitter.unit()),
            None => Duration::ZERO,
        };
        child.gate.add_restart();
        child.since = now + delay;
        tracing::info!("restarting child {:?} after {delay:?}", child.spec.id);
        // Reopened here, before the decision, so that a stop sent to the
        // child from now on (this supervisor stopping, say) is not undone.
        if let Some(started) = &child.started {
            started.control.reopen();
        }
        let (signal, started) = match in_order {
            true => {
                let (signal, started) = oneshot::channel();
                (Some(signal), Some(started))
            }
            false => (None, None),
        };
        let _ = exit.decide.send(Decision::Restart {
            delay,
            started: signal,
        });
        if let Some(started) = started {
            let _ = started.await;
        }
    }

    /// Starts child `j` again after it ended for good, as a new actor, and
    /// waits until its `started` hook has finished (a failure there comes
    /// back as an exit).
    async fn revive(&mut self, j: usize, ctx: &mut Context<Self>) {
        let child = &self.children[j];
        let here = self.here(&child.gate);
        let (started_child, started) = launch(&child.spec, child.key, &child.slot, here, ctx);
        let child = &mut self.children[j];
        child.actor = started_child.control.id();
        child.started = Some(started_child);
        child.gate.add_restart();
        child.since = Instant::now();
        let _ = started.await;
    }
}

/// Spawns the task of a child, reporting through `slot` (and restarting
/// itself through `here`, if given); the receiver fires when its first run's
/// `started` hook has finished.
fn launch(
    spec: &AnySpec,
    key: u64,
    slot: &Arc<ExitSlot>,
    here: Option<Arc<dyn RestartHere>>,
    ctx: &mut Context<Supervisor>,
) -> (StartedChild, oneshot::Receiver<Result<(), StopReason>>) {
    let link = ChildLink {
        slot: slot.clone(),
        key,
        supervisor: ctx.weak_ref(),
        here,
    };
    let (signal, started) = oneshot::channel();
    ((spec.start)(ctx.id(), link, signal), started)
}

impl Clone for Supervisor {
    /// A supervisor with the same configuration and children specifications,
    /// not yet started.
    fn clone(&self) -> Self {
        let mut clone = Supervisor::new(self.strategy);
        clone.intensity = self.intensity;
        clone.backoff = self.backoff;
        clone.specs = self.specs.clone();
        clone
    }
}

impl Actor for Supervisor {
    /// Unbounded: a child reporting its end must never wait for room.
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }

    /// Starts the children in order. If one fails to start, the ones started
    /// are stopped and the supervisor fails (as in OTP).
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.jitter = Jitter::seeded(ctx.id().as_u64().wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for spec in self.specs.clone() {
            if let Err(error) = self.start(spec, ctx).await {
                self.shut_down_all().await;
                return Err(error.into());
            }
        }
        // Until now a child's end waited for this hook to finish, as a
        // message does; from now on a child may restart itself.
        let mut gate = self.gate.lock();
        gate.intensity = self.intensity;
        gate.open = true;
        Ok(())
    }

    /// Stops the children, newest first, each within its shutdown time.
    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        self.shut_down_all().await;
    }

    /// Kills whatever children are left (when the supervisor itself was
    /// killed, `stopping` did not run).
    async fn stopped(&mut self, _reason: &StopReason) {
        self.gate.close();
        for j in (0..self.children.len()).rev() {
            self.shut_down(j, Interrupt::Now).await;
        }
    }
}

impl Handler<ChildExited> for Supervisor {
    async fn handle(&mut self, ChildExited { key }: ChildExited, ctx: &mut Context<Self>) {
        let Some(i) = self.children.iter().position(|c| c.key == key) else {
            return;
        };
        // Empty when the exit was already taken while restarting a group.
        if let Some(exit) = self.children[i].slot.take() {
            self.on_exit(i, exit, ctx).await;
        }
    }
}
