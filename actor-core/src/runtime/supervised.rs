//! The supervised-run protocol: a supervised child's task, and the line
//! between it and its supervisor.
//!
//! A supervised child is one task that runs one instance after another on the
//! same mailbox. When a run ends, its task puts the exit in the
//! child's [`ExitSlot`], tells the supervisor, and waits for a [`Decision`]. The
//! slot, not the supervisor's mailbox, carries the exit, so that a supervisor
//! busy restarting siblings (one-for-all) can wait for their exits directly,
//! without handling its own messages in between. A notice that arrives after
//! its exit was taken that way finds the slot empty and is ignored.
//!
//! The common case skips that round trip: a one-for-one supervisor without
//! backoff gives each child a [`RestartHere`], its share of the supervisor's
//! restart bookkeeping behind the supervisor's lock, and a child whose run
//! ended and must be restarted (by its restart kind, within the intensity,
//! its supervisor neither stopping nor stopping it) counts the restart and
//! reopens its own mailbox under that lock, then starts its next run at once.
//! Whatever else happens goes the long way, to the supervisor's task.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use crate::actor::Actor;
use crate::actor_ref::{ActorRef, WeakActorRef};
use crate::context::Context;
use crate::id::ActorId;
use crate::message::{Handler, Message};
use crate::registry;
use crate::runtime::actor_cell::Restartable;
use crate::runtime::mailbox::Interrupt;
use crate::runtime::panic_guard::{self, CatchPanic, Hook, Hooked};
use crate::runtime::task::{self, one_run, EndGuard, RunMode};
use crate::runtime::{self, watchers, Cell, Control};
use crate::stop::StopReason;
use crate::supervisor::Restart;

/// Tells the supervisor that a child's run ended; its exit waits in the
/// child's [`ExitSlot`].
pub(crate) struct ChildExited {
    pub(crate) key: u64,
}

impl Message for ChildExited {
    type Reply = ();
}

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
    state: Mutex<SlotState>,
    posted: Notify,
}

#[derive(Default)]
struct SlotState {
    exit: Option<ChildExit>,
    /// The supervisor gave up waiting for this child (see
    /// [`ExitSlot::abandon`]): an exit posted from now on is for nobody.
    abandoned: bool,
}

impl ExitSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Leaves `exit` for the supervisor; hands it back if the supervisor
    /// abandoned the child.
    fn put(&self, exit: ChildExit) -> Result<(), ChildExit> {
        let mut state = self.lock();
        if state.abandoned {
            return Err(exit);
        }
        state.exit = Some(exit);
        drop(state);
        self.posted.notify_one();
        Ok(())
    }

    /// The exit waiting here, if any.
    pub(crate) fn take(&self) -> Option<ChildExit> {
        self.lock().exit.take()
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

    /// Waits for the child's next exit, or for its task to end without one:
    /// a child whose exit was taken and then dropped undecided (by a
    /// supervisor killed while it restarted a group) stops without posting
    /// another, and waiting for the slot alone would never end.
    pub(crate) async fn wait_or_end(&self, child: &dyn Control) -> Option<ChildExit> {
        tokio::select! {
            biased;
            exit = self.wait() => Some(exit),
            _ = runtime::join(child) => self.take(),
        }
    }

    /// The supervisor will not wait for this child any more (it did not end
    /// within its shutdown time after being killed): its task, if it ever
    /// gets to report, stops for good instead of waiting for a decision.
    pub(crate) fn abandon(&self) {
        let left = {
            let mut state = self.lock();
            state.abandoned = true;
            state.exit.take()
        };
        if let Some(exit) = left {
            exit.stop();
        }
    }
}

/// A child's share of its supervisor's restart bookkeeping, with which its
/// own task decides a restart (one-for-one, no backoff).
pub(crate) trait RestartHere: Send + Sync {
    /// Whether the child may start its next run now, after a run that ended
    /// with `reason`. If so, the restart has been counted (the supervisor's
    /// intensity window, the child's restart count) and `reopen` has run, all
    /// under the supervisor's lock: a stop the supervisor sends the child
    /// after that lock applies to the next run, one it sent before makes this
    /// false.
    fn restart_here(&self, reason: &StopReason, reopen: &mut dyn FnMut()) -> bool;
}

/// A supervised child's end of the line to its supervisor `S`.
pub(crate) struct ChildLink<S: Handler<ChildExited>> {
    pub(crate) slot: Arc<ExitSlot>,
    pub(crate) key: u64,
    pub(crate) supervisor: WeakActorRef<S>,
    /// Set when the child may decide its own restarts.
    pub(crate) here: Option<Arc<dyn RestartHere>>,
}

impl<S: Handler<ChildExited>> ChildLink<S> {
    /// Restarts the child in its own task if it may (see [`RestartHere`]):
    /// true when the restart is counted and the mailbox reopened. A supervisor
    /// that is gone, stopping or interrupted decides itself, as it would have
    /// refused or never handled the notice.
    fn restart_here<A: Actor>(&self, reason: &StopReason, cell: &Cell<A>) -> bool {
        let Some(here) = &self.here else {
            return false;
        };
        let Some(supervisor) = self.supervisor.upgrade() else {
            return false;
        };
        let mailbox = &supervisor.cell().mailbox;
        if mailbox.interrupt() != Interrupt::None || mailbox.is_closed() {
            return false;
        }
        here.restart_here(reason, &mut || cell.mailbox.reopen())
    }

    /// Reports that a run ended and waits for the supervisor's decision. A
    /// supervisor that is gone, that dropped the exit undecided, or that
    /// abandoned this child means stop.
    pub(crate) async fn exited(&self, reason: StopReason) -> Decision {
        let (decide, decision) = oneshot::channel();
        if self.slot.put(ChildExit { reason, decide }).is_err() {
            return Decision::Stop;
        }
        if let Some(supervisor) = self.supervisor.upgrade() {
            // A supervisor that refuses the notice is stopping; it collects
            // the exit from the slot as it stops its children.
            let _ = supervisor.tell(ChildExited { key: self.key }).await;
        }
        decision.await.unwrap_or(Decision::Stop)
    }
}

/// Tells a supervisor that a run's `started` hook finished, and how.
pub(crate) type StartedSignal = oneshot::Sender<Result<(), StopReason>>;

/// Builds a fresh actor for each (re)start of a supervised child.
pub(crate) type Factory<A> = Arc<dyn Fn() -> A + Send + Sync>;

impl RunMode for Option<StartedSignal> {
    const SUPERVISED: bool = true;
    fn started(self, outcome: &Result<(), StopReason>) {
        if let Some(signal) = self {
            let _ = signal.send(outcome.clone());
        }
    }
}

/// Starts a supervised child: a task that runs `factory`'s actors one after
/// another, reporting each run's end through `link` and waiting for the
/// supervisor's decision. `started` fires when the first run has started.
pub(crate) fn start_supervised<A: Actor, S: Handler<ChildExited>>(
    factory: Factory<A>,
    restart: Restart,
    parent: ActorId,
    link: ChildLink<S>,
    started: StartedSignal,
) -> ActorRef<A> {
    let cell = task::new_cell::<A>();
    cell.set_restartable(match restart {
        Restart::Permanent => Restartable::Always,
        Restart::Transient => Restartable::Abnormal,
        Restart::Temporary => Restartable::Never,
    });
    task::spawn_task(
        cell.id,
        run_supervised(factory, cell.clone(), parent, link, started),
    );
    ActorRef::adopt(cell)
}

/// The life of a supervised actor: runs until its supervisor says stop.
/// The end guard is made outside the block, as in `task::run`.
#[allow(clippy::manual_async_fn)]
fn run_supervised<A: Actor, S: Handler<ChildExited>>(
    factory: Factory<A>,
    cell: Arc<Cell<A>>,
    parent: ActorId,
    link: ChildLink<S>,
    started: StartedSignal,
) -> impl Future<Output = ()> + Send {
    let mut end = EndGuard { cell, ended: false };
    async move {
        // Told when a run's `started` hook has finished; `None` when the
        // supervisor does not wait for it.
        let mut started = Some(started);
        let mut previous: Option<StopReason> = None;
        // Set when the actor is told to stop while it waits to be restarted:
        // it reports that instead of starting a new instance.
        let mut stopped_early: Option<StopReason> = None;
        loop {
            // A run its supervisor waits for (its first, or one of a group)
            // reports its end to the supervisor.
            let awaited = started.is_some();
            let reason = match stopped_early.take() {
                Some(reason) => {
                    if let Some(started) = started.take() {
                        let _ = started.send(Err(reason.clone()));
                    }
                    reason
                }
                None => {
                    let previous = previous.as_ref();
                    supervised_run(&factory, &end.cell, parent, previous, started.take()).await
                }
            };
            watchers::fire(&*end.cell, &reason, false);
            let decision = if !awaited && link.restart_here(&reason, &end.cell) {
                Decision::Restart {
                    delay: Duration::ZERO,
                    started: None,
                }
            } else {
                link.exited(reason.clone()).await
            };
            match decision {
                // The supervisor reopened the mailbox before deciding, so that
                // a stop it sends from now on applies to the next run.
                Decision::Restart {
                    delay,
                    started: ack,
                } => {
                    if !wait_to_restart(&end.cell, delay).await {
                        stopped_early = Some(end.cell.mailbox.interrupt_reason());
                    } else {
                        end.cell.restarts.fetch_add(1, Ordering::Relaxed);
                        tracing::info!("actor {} restarting after: {reason}", end.cell.id);
                    }
                    previous = Some(reason);
                    started = ack;
                }
                Decision::Stop => {
                    end.cell.set_restartable(Restartable::Never);
                    let (head, rest) = end.cell.mailbox.finish(reason.clone());
                    panic_guard::discard(end.cell.id, head.into_iter().chain(rest));
                    registry::forget(&end.cell);
                    watchers::fire(&*end.cell, &reason, true);
                    end.ended = true;
                    end.cell.mailbox.terminate();
                    return;
                }
            }
        }
    }
}

/// One run of a supervised actor: a fresh instance from `factory`, its
/// `restarting` hook when it replaces one that ended, then [`one_run`].
async fn supervised_run<A: Actor>(
    factory: &Factory<A>,
    cell: &Arc<Cell<A>>,
    parent: ActorId,
    previous: Option<&StopReason>,
    started: Option<StartedSignal>,
) -> StopReason {
    let signal = |started: Option<StartedSignal>, failure: &StopReason| {
        if let Some(started) = started {
            let _ = started.send(Err(failure.clone()));
        }
    };
    let mut actor = match catch_unwind(AssertUnwindSafe(|| factory())) {
        Ok(actor) => actor,
        Err(panic) => {
            let failure = StopReason::from_panic("the child's factory", &*panic);
            signal(started, &failure);
            return failure;
        }
    };
    let mut ctx = Context::new(cell.clone(), Some(parent));
    if let Err(failure) = restarting(&mut actor, &mut ctx, cell, previous).await {
        // As after a failing `started`: no message, no `stopping`, but `stopped`.
        signal(started, &failure);
        cell.mailbox.record_reason(failure.clone());
        if let Err(panic) = CatchPanic(actor.stopped(&failure)).await {
            let failure = StopReason::from_panic("stopped", &*panic);
            let actor = std::any::type_name::<A>();
            tracing::error!("actor {} ({actor}): {failure}", cell.id);
        }
        return task::drop_actor(actor, failure, cell);
    }
    let reason = one_run(&mut actor, &mut ctx, cell, started).await;
    task::drop_actor(actor, reason, cell)
}

/// Waits `delay` before a restart; false if the actor was told to stop
/// meanwhile (its supervisor is stopping it, or it was killed).
async fn wait_to_restart<A: Actor>(cell: &Cell<A>, delay: std::time::Duration) -> bool {
    let mut sleep = std::pin::pin!(tokio::time::sleep(delay));
    std::future::poll_fn(|cx| {
        if cell.mailbox.watch_interrupt(cx) != Interrupt::None {
            return std::task::Poll::Ready(false);
        }
        if delay.is_zero() {
            return std::task::Poll::Ready(true);
        }
        sleep.as_mut().poll(cx).map(|()| true)
    })
    .await
}

/// Runs `restarting` on a new instance that replaces one that ended.
async fn restarting<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    cell: &Cell<A>,
    previous: Option<&StopReason>,
) -> Result<(), StopReason> {
    let Some(previous) = previous else {
        return Ok(());
    };
    let hook = Hook {
        future: actor.restarting(ctx, previous),
        cell,
    };
    match hook.await {
        Hooked::Done(()) => Ok(()),
        Hooked::Panicked(panic) => Err(StopReason::from_panic("restarting", &*panic)),
        Hooked::Killed => Err(cell.mailbox.interrupt_reason()),
    }
}
