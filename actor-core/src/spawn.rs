//! Spawning actors, and the task that runs each one.
//!
//! An actor runs as one tokio task. A *run* of the actor is: `started` (after
//! `restarting`, when a supervisor replaces an instance that ended), its
//! messages one at a time ([`MessageLoop`]), `stopping`, its children and timers, `stopped`,
//! and finally its links and monitors fire. An unsupervised actor has one run;
//! a supervised one has a run per (re)start, all on the same mailbox, so its
//! references and its queued messages outlive each restart. A panic anywhere is
//! caught at the task's edge and becomes the run's [`StopReason::Failed`];
//! nothing outside the actor is affected.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::oneshot;
use tracing::Instrument;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::catch::{CatchPanic, Hook, Hooked};
use crate::cell::Cell;
use crate::context::Context;
use crate::id::ActorId;
use crate::link;
use crate::mailbox::Interrupt;
use crate::message_loop::MessageLoop;
use crate::registry;
use crate::stop::StopReason;
use crate::supervisor::{ChildLink, Decision};

/// Tells a supervisor that a run's `started` hook finished, and how.
pub(crate) type StartedSignal = oneshot::Sender<Result<(), StopReason>>;

/// Whether a run is an unsupervised actor's only one (`()`), or one run of a
/// supervised actor (a [`StartedSignal`]). A type, not a flag, so that the
/// unsupervised actor's task, which every plain actor pays for, carries none of
/// the supervised one's state.
trait RunMode: Send {
    /// The actor may be restarted after this run: keep its mailbox.
    const SUPERVISED: bool;
    /// The `started` hook finished with `outcome`.
    fn started(self, outcome: &Result<(), StopReason>);
}

impl RunMode for () {
    const SUPERVISED: bool = false;
    fn started(self, _: &Result<(), StopReason>) {}
}

impl RunMode for Option<StartedSignal> {
    const SUPERVISED: bool = true;
    fn started(self, outcome: &Result<(), StopReason>) {
        if let Some(signal) = self {
            let _ = signal.send(outcome.clone());
        }
    }
}

/// Builds a fresh actor for each (re)start of a supervised child.
pub(crate) type Factory<A> = Arc<dyn Fn() -> A + Send + Sync>;

/// Spawns an actor with no parent on the current tokio runtime and returns a
/// reference to it. The actor runs until it stops itself, is stopped or killed,
/// fails, or the last strong reference to it is dropped.
///
/// ```
/// use actor_core::{spawn, Actor};
///
/// struct Idle;
/// impl Actor for Idle {}
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let idle = spawn(Idle);
/// idle.stop();
/// assert_eq!(idle.join().await, actor_core::StopReason::Normal);
/// # }
/// ```
///
/// # Panics
/// When called outside a tokio runtime, like `tokio::spawn`.
pub fn spawn<A: Actor>(actor: A) -> ActorRef<A> {
    start(actor, None)
}

pub(crate) fn start<A: Actor>(actor: A, parent: Option<ActorId>) -> ActorRef<A> {
    let cell = new_cell::<A>();
    let context = Context::new(cell.clone(), parent);
    spawn_task(cell.id, run(actor, context));
    ActorRef::adopt(cell)
}

/// Starts a supervised child: a task that runs `factory`'s actors one after
/// another, reporting each run's end through `link` and waiting for the
/// supervisor's decision. `started` fires when the first run has started.
pub(crate) fn start_supervised<A: Actor>(
    factory: Factory<A>,
    parent: ActorId,
    link: ChildLink,
    started: StartedSignal,
) -> ActorRef<A> {
    let cell = new_cell::<A>();
    spawn_task(
        cell.id,
        run_supervised(factory, cell.clone(), parent, link, started),
    );
    ActorRef::adopt(cell)
}

fn new_cell<A: Actor>() -> Arc<Cell<A>> {
    let id = ActorId::next(A::name());
    Arc::new(Cell::new(id, A::mailbox_capacity().limit()))
}

fn spawn_task(id: ActorId, task: impl Future<Output = ()> + Send + 'static) {
    let span = tracing::debug_span!("actor", actor = %id);
    // An instrumented task carries its span; without a subscriber that is
    // forty bytes per actor for nothing.
    if span.is_disabled() {
        tokio::spawn(task);
    } else {
        tokio::spawn(task.instrument(span));
    }
}

/// The life of an unsupervised actor: one run.
///
/// An `async move` block rather than an `async fn`: the block keeps `actor` and
/// `ctx` in one place, where an `async fn` would store its arguments twice
/// (rust-lang/rust#62958), and every byte here is paid by every actor.
#[allow(clippy::manual_async_fn)]
fn run<A: Actor>(mut actor: A, mut ctx: Context<A>) -> impl Future<Output = ()> + Send {
    async move {
        let mut end = EndGuard {
            cell: ctx.cell().clone(),
            ended: false,
        };
        let reason = one_run(&mut actor, &mut ctx, &end.cell, ()).await;
        link::fire(&*end.cell, &reason, true);
        end.ended = true;
        end.cell.mailbox.terminate();
    }
}

/// The life of a supervised actor: runs until its supervisor says stop.
#[allow(clippy::manual_async_fn)]
fn run_supervised<A: Actor>(
    factory: Factory<A>,
    cell: Arc<Cell<A>>,
    parent: ActorId,
    link: ChildLink,
    started: StartedSignal,
) -> impl Future<Output = ()> + Send {
    async move {
        let mut end = EndGuard { cell, ended: false };
        // Told when a run's `started` hook has finished; `None` when the
        // supervisor does not wait for it.
        let mut started = Some(started);
        let mut previous: Option<StopReason> = None;
        // Set when the actor is told to stop while it waits to be restarted:
        // it reports that instead of starting a new instance.
        let mut stopped_early: Option<StopReason> = None;
        loop {
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
            link::fire(&*end.cell, &reason, false);
            match link.exited(reason.clone()).await {
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
                        tracing::info!(%reason, "restarting");
                    }
                    previous = Some(reason);
                    started = ack;
                }
                Decision::Stop => {
                    drop(end.cell.mailbox.finish(reason.clone()));
                    registry::forget(&end.cell);
                    link::fire(&*end.cell, &reason, true);
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
            tracing::error!(%failure, "the stopped hook panicked");
        }
        return failure;
    }
    one_run(&mut actor, &mut ctx, cell, started).await
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

/// One run of an actor; resolves to why it ended.
///
/// An unsupervised actor's run is its last: its mailbox is closed and emptied
/// and its registry entries removed. A supervised one's supervisor decides.
#[allow(clippy::manual_async_fn)]
fn one_run<'a, A: Actor, R: RunMode + 'a>(
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    cell: &'a Arc<Cell<A>>,
    mode: R,
) -> impl Future<Output = StopReason> + Send + 'a {
    async move {
        let last_run = !R::SUPERVISED;
        let reason = live(actor, ctx, cell, mode).await;
        if last_run {
            // Record the reason before anything still queued is dropped, so
            // that askers see why their message went unanswered.
            drop(cell.mailbox.finish(reason.clone()));
        }
        if reason.is_failure() {
            tracing::error!(%reason, "actor failed");
        } else {
            tracing::debug!(%reason, "actor stopping");
        }
        if ctx.has_dependents() {
            // Boxed: most actors have no children or timers, and this future
            // (with its shutdown timeout) would otherwise enlarge every actor.
            let killed = cell.mailbox.interrupt() == Interrupt::Now;
            Box::pin(ctx.shut_down_dependents(killed)).await;
        }
        if last_run {
            registry::forget(cell);
        }
        if let Err(panic) = CatchPanic(actor.stopped(&reason)).await {
            let failure = StopReason::from_panic("stopped", &*panic);
            tracing::error!(%failure, "the stopped hook panicked");
        }
        reason
    }
}

/// `started`, the messages, and `stopping`; resolves to the reason the run
/// ends.
#[allow(clippy::manual_async_fn)]
fn live<'a, A: Actor, R: RunMode + 'a>(
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    cell: &'a Cell<A>,
    mode: R,
) -> impl Future<Output = StopReason> + Send + 'a {
    async move {
        let keep_mailbox = R::SUPERVISED;
        {
            let outcome = Hook {
                future: actor.started(ctx),
                cell,
            };
            let start = match outcome.await {
                Hooked::Done(Ok(())) => Ok(()),
                Hooked::Done(Err(error)) => Err(StopReason::failed(format_args!(
                    "started returned an error: {error}"
                ))),
                Hooked::Panicked(panic) => Err(StopReason::from_panic("started", &*panic)),
                Hooked::Killed => Err(cell.mailbox.interrupt_reason()),
            };
            mode.started(&start);
            if let Err(failure) = start {
                if keep_mailbox {
                    cell.mailbox.record_reason(failure.clone());
                }
                return failure;
            }
        }
        let reason = if R::SUPERVISED {
            MessageLoop::<A, true>::new(actor, ctx, cell).await
        } else {
            MessageLoop::<A, false>::new(actor, ctx, cell).await
        };
        if cell.mailbox.interrupt() != Interrupt::Now {
            let stopping = Hook {
                future: actor.stopping(ctx),
                cell,
            };
            match stopping.await {
                Hooked::Done(()) => {}
                Hooked::Panicked(panic) => {
                    let failure = StopReason::from_panic("stopping", &*panic);
                    tracing::error!(%failure, "the stopping hook panicked");
                }
                // Told to end now in `stopping` (say, by a parent whose
                // patience ran out): as in OTP, the run then ends `Killed`.
                Hooked::Killed => return cell.mailbox.interrupt_reason(),
            }
        }
        reason
    }
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

/// Ends the actor's bookkeeping if its task is dropped before it finished (the
/// runtime shut down), so that nobody awaits it forever.
struct EndGuard<A: Actor> {
    cell: Arc<Cell<A>>,
    ended: bool,
}

impl<A: Actor> Drop for EndGuard<A> {
    fn drop(&mut self) {
        if !self.ended {
            drop(self.cell.mailbox.finish_unless_recorded(StopReason::Killed));
            registry::forget(&self.cell);
            self.cell.mailbox.terminate();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tiny(#[allow(dead_code)] u64);
    impl Actor for Tiny {}

    /// Every actor pays for its task's future. Tokio allocates a task as the
    /// future plus about 112 bytes, in steps of 128: at 272 bytes or less, an
    /// actor's task takes 384 bytes, which is what keeps an idle actor under
    /// 800 bytes in all (see BENCHMARKS.md). This fails when a change grows it.
    #[tokio::test]
    async fn a_minimal_actor_task_fits_in_384_bytes() {
        let cell = Arc::new(Cell::<Tiny>::new(ActorId::next("Tiny"), 64));
        let task = run(Tiny(1), Context::new(cell, None));
        assert!(
            std::mem::size_of_val(&task) <= 272,
            "the actor task future grew to {} bytes",
            std::mem::size_of_val(&task)
        );
    }
}
