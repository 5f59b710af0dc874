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

use std::any::type_name;
use std::future::Future;
use std::sync::Arc;

use tracing::Instrument;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::context::Context;
use crate::id::ActorId;
use crate::registry;
use crate::runtime::mailbox::Interrupt;
use crate::runtime::message_loop::MessageLoop;
use crate::runtime::panic_guard::{discard, drop_caught, CatchPanic, Hook, Hooked};
use crate::runtime::{watchers, Cell};
use crate::stop::StopReason;

/// Whether a run is an unsupervised actor's only one (`()`), or one run of a
/// supervised actor (a [`StartedSignal`]). A type, not a flag, so that the
/// unsupervised actor's task, which every plain actor pays for, carries none of
/// the supervised one's state.
pub(crate) trait RunMode: Send {
    /// The actor may be restarted after this run: keep its mailbox.
    const SUPERVISED: bool;
    /// The `started` hook finished with `outcome`.
    fn started(self, outcome: &Result<(), StopReason>);
}

impl RunMode for () {
    const SUPERVISED: bool = false;
    fn started(self, _: &Result<(), StopReason>) {}
}

pub(crate) fn start<A: Actor>(actor: A, parent: Option<ActorId>) -> ActorRef<A> {
    let cell = new_cell::<A>();
    let context = Context::new(cell.clone(), parent);
    spawn_task(cell.id, run(actor, context));
    ActorRef::adopt(cell)
}

pub(crate) fn new_cell<A: Actor>() -> Arc<Cell<A>> {
    let id = ActorId::next(A::name());
    Arc::new(Cell::new(id, A::mailbox_capacity().limit()))
}

pub(crate) fn spawn_task(id: ActorId, task: impl Future<Output = ()> + Send + 'static) {
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
///
/// The end guard is made outside the block and moved in, so that a task
/// dropped before its first poll (its runtime shut down) ends the actor too.
#[allow(clippy::manual_async_fn)]
fn run<A: Actor>(mut actor: A, mut ctx: Context<A>) -> impl Future<Output = ()> + Send {
    let mut end = EndGuard {
        cell: ctx.cell().clone(),
        ended: false,
    };
    async move {
        let reason = one_run(&mut actor, &mut ctx, &end.cell, ()).await;
        let reason = drop_actor(actor, reason, &end.cell);
        watchers::fire(&*end.cell, &reason, true);
        end.ended = true;
        end.cell.mailbox.terminate();
    }
}

/// One run of an actor; resolves to why it ended.
///
/// An unsupervised actor's run is its last: its mailbox is closed and emptied
/// and its registry entries removed. A supervised one's supervisor decides.
#[allow(clippy::manual_async_fn)]
pub(crate) fn one_run<'a, A: Actor, R: RunMode + 'a>(
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
            let (head, rest) = cell.mailbox.finish(reason.clone());
            discard(cell.id, head.into_iter().chain(rest));
        }
        // The actor in the message itself: without a subscriber that wants
        // debug spans, the `actor` span is not there to say whose line it is.
        if reason.is_failure() {
            tracing::error!("actor {} ({}) failed: {reason}", cell.id, type_name::<A>());
        } else {
            tracing::debug!("actor {} stopping: {reason}", cell.id);
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
            tracing::error!("actor {} ({}): {failure}", cell.id, type_name::<A>());
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
                    tracing::error!("actor {} ({}): {failure}", cell.id, type_name::<A>());
                }
                // Told to end now in `stopping` (say, by a parent whose
                // patience ran out): as in OTP, the run then ends `Killed`.
                Hooked::Killed => return cell.mailbox.interrupt_reason(),
            }
        }
        reason
    }
}

/// Drops an instance whose run ended with `reason`. A panic in its `Drop`
/// (an actor owning a tokio `Runtime`, say) is the run's failure, unless the
/// run had failed already; it is recorded for askers and `join`.
pub(crate) fn drop_actor<A: Actor>(actor: A, reason: StopReason, cell: &Cell<A>) -> StopReason {
    let Err(panic) = drop_caught(actor) else {
        return reason;
    };
    let place = format!("the Drop of {}", type_name::<A>());
    let failure = StopReason::from_panic(&place, &*panic);
    tracing::error!("actor {} ({}) failed: {failure}", cell.id, type_name::<A>());
    if reason.is_failure() {
        return reason;
    }
    cell.mailbox.record_reason(failure.clone());
    failure
}

/// Ends the actor's bookkeeping if its task is dropped before it finished (the
/// runtime shut down): the actor was killed, so nobody awaits it forever, and
/// its monitors and links fire as for a kill (a link left in place would
/// also keep a linked pair alive, each holding the other).
pub(crate) struct EndGuard<A: Actor> {
    pub(crate) cell: Arc<Cell<A>>,
    pub(crate) ended: bool,
}

impl<A: Actor> Drop for EndGuard<A> {
    fn drop(&mut self) {
        if !self.ended {
            let (head, rest) = self.cell.mailbox.finish_unless_recorded(StopReason::Killed);
            discard(self.cell.id, head.into_iter().chain(rest));
            registry::forget(&self.cell);
            let reason = self.cell.mailbox.reason().unwrap_or(StopReason::Killed);
            watchers::fire(&*self.cell, &reason, true);
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
