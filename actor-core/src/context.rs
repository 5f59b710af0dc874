//! [`Context`]: what an actor knows about itself while it runs.
//!
//! Every hook and handler receives the actor's context. Through it the actor
//! reaches its own id and reference, its parent's id, the children whose
//! lifetime is tied to its own, timers that deliver messages to itself, and a
//! way to stop itself.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::actor::Actor;
use crate::actor_ref::{ActorRef, WeakActorRef};
use crate::id::ActorId;
use crate::link::{self, Down, Exit, MonitorRef, Watchable};
use crate::message::{Handler, Message};
use crate::runtime::mailbox::Interrupt;
use crate::runtime::{self, Cell, Control};
use crate::stop::StopReason;
use crate::timer::TimerHandle;

/// How long a parent waits for each child to stop before killing it.
pub const CHILD_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The running actor's view of itself.
pub struct Context<A: Actor> {
    cell: Arc<Cell<A>>,
    parent: Option<ActorId>,
    /// Children and timers, allocated on first use: most actors have neither.
    dependents: Option<Box<Dependents>>,
}

impl<A: Actor> std::fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.cell.id)
            .field("parent", &self.parent)
            .field("children", &self.children().len())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Dependents {
    children: Vec<Child>,
    timers: Vec<AbortHandle>,
}

/// A parent's strong reference to a child: the child lives at least as long
/// as its parent, unless it stops by itself.
struct Child(Arc<dyn Control>);

impl Drop for Child {
    fn drop(&mut self) {
        self.0.remove_sender();
    }
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(cell: Arc<Cell<A>>, parent: Option<ActorId>) -> Self {
        Context {
            cell,
            parent,
            dependents: None,
        }
    }

    /// This actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// The id of the actor that spawned this one with [`Context::spawn`], or
    /// `None` for an actor spawned with [`spawn`](crate::spawn).
    pub fn parent(&self) -> Option<ActorId> {
        self.parent
    }

    /// A strong reference to this actor. Holding it in the actor's own state
    /// keeps the actor alive until it stops itself; prefer
    /// [`weak_ref`](Self::weak_ref) there.
    pub fn actor_ref(&self) -> ActorRef<A> {
        ActorRef::new_strong(&self.cell)
    }

    /// A weak reference to this actor.
    pub fn weak_ref(&self) -> WeakActorRef<A> {
        WeakActorRef::new(&self.cell)
    }

    /// Spawns a child actor. The child's [`Context::parent`] is this actor.
    ///
    /// The parent holds a strong reference to the child, so the child runs
    /// until it stops by itself, fails, or its parent stops, even if every
    /// other reference to it is dropped. When this actor stops, it stops its
    /// children first, newest first, each with [`StopReason::Shutdown`]
    /// (killing any that takes longer than [`CHILD_SHUTDOWN_TIMEOUT`]); when it
    /// is killed, its children are killed. A killed child that has not ended
    /// within that time again (its `stopped` hook does not return) is
    /// abandoned with an error logged, and the parent goes on stopping.
    pub fn spawn<C: Actor>(&mut self, child: C) -> ActorRef<C> {
        let parent = self.id();
        let children = &mut self.dependents().children;
        children.retain(|c| c.0.is_alive());
        let child = crate::runtime::task::start(child, Some(parent));
        child.cell().add_sender();
        children.push(Child(child.cell().clone()));
        child
    }

    /// The ids of the children that are still running, oldest first.
    pub fn children(&self) -> Vec<ActorId> {
        self.dependents
            .iter()
            .flat_map(|d| &d.children)
            .filter(|c| c.0.is_alive())
            .map(|c| c.0.id())
            .collect()
    }

    /// Delivers `message` to this actor after `delay`. The timer holds no
    /// strong reference, is cancelled when the actor stops, and can be
    /// cancelled with the returned handle.
    pub fn send_after<M: Message>(&mut self, message: M, delay: Duration) -> TimerHandle
    where
        A: Handler<M>,
    {
        let me = self.weak_ref();
        self.start_timer(async move {
            tokio::time::sleep(delay).await;
            if let Some(me) = me.upgrade() {
                let _ = me.tell(message).await;
            }
        })
    }

    /// Delivers a clone of `message` to this actor every `period`, the first
    /// one `period` from now. A tick is delayed, not doubled, when the actor is
    /// behind. Stops when the actor stops or the handle is cancelled.
    pub fn send_interval<M: Message + Clone>(&mut self, message: M, period: Duration) -> TimerHandle
    where
        A: Handler<M>,
    {
        let me = self.weak_ref();
        self.start_timer(async move {
            let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(me) = me.upgrade() else { return };
                if me.tell(message.clone()).await.is_err() {
                    return;
                }
            }
        })
    }

    fn start_timer(
        &mut self,
        timer: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> TimerHandle {
        let timers = &mut self.dependents().timers;
        timers.retain(|t| !t.is_finished());
        let abort = tokio::spawn(timer).abort_handle();
        timers.push(abort.clone());
        TimerHandle::new(abort)
    }

    /// Stops this actor once the current handler returns. Messages still in
    /// the mailbox are not handled (their askers get
    /// [`Error::NotHandled`](crate::Error::NotHandled)); the stop reason is
    /// [`StopReason::Normal`].
    pub fn stop(&mut self) {
        self.end_after_handler(StopReason::Normal);
    }

    /// Fails this actor once the current handler returns, with `description`
    /// as its [`StopReason::Failed`]: like a panic, but deliberate. Its
    /// supervisor (if any) treats it as any failure.
    pub fn fail(&mut self, description: impl std::fmt::Display) {
        self.end_after_handler(StopReason::failed(description));
    }

    /// Stops this actor once the current handler returns, with `reason`:
    /// what [`stop`](Self::stop) (with [`StopReason::Normal`]) and
    /// [`fail`](Self::fail) (with [`StopReason::Failed`]) do, for any reason.
    /// An actor that stands for something outside it (a port stands for a
    /// program) ends with what became of that thing, such as
    /// [`StopReason::ExitStatus`]. A supervisor treats the reason as it treats
    /// any: [`StopReason::is_failure`] decides whether a transient child is
    /// restarted.
    pub fn stop_with(&mut self, reason: StopReason) {
        self.end_after_handler(reason);
    }

    fn end_after_handler(&self, reason: StopReason) {
        self.cell.mailbox.raise(Interrupt::AfterHandler, reason);
    }

    /// How many times this actor has been restarted by its supervisor.
    pub fn restart_count(&self) -> u32 {
        self.cell.restarts.load(Ordering::Relaxed)
    }

    /// Watches `target`: when its run ends, this actor receives a [`Down`]
    /// with its id and stop reason. If it has already ended, `Down` comes at
    /// once. See [`link`](crate::link) for how this relates to restarts.
    pub fn monitor(&mut self, target: &impl Watchable) -> MonitorRef
    where
        A: Handler<Down>,
    {
        link::monitor(target.control(), link::down_notifier(self.weak_ref()))
    }

    /// Cancels a monitor; returns whether it had not fired yet.
    pub fn demonitor(&mut self, monitor: &MonitorRef) -> bool {
        monitor.target.remove_monitor(monitor.id)
    }

    /// Links this actor and `target`: when either one's run ends abnormally,
    /// the other receives an exit signal (see [`link`](crate::link)). Linking
    /// to an actor that has already ended delivers its exit signal at once.
    pub fn link(&mut self, target: &impl Watchable) {
        link::link(self.cell.clone(), target.control());
    }

    /// Removes the link with `target`, in both directions.
    pub fn unlink(&mut self, target: &impl Watchable) {
        link::unlink(&*self.cell, &*target.control());
    }

    /// With `true`, exit signals from linked actors arrive as [`Exit`]
    /// messages instead of ending this actor; with `false`, they end it again.
    /// Lasts for this run of the actor.
    pub fn trap_exits(&mut self, trap: bool)
    where
        A: Handler<Exit>,
    {
        let trap = trap.then(|| link::exit_trap(self.weak_ref()));
        self.cell.mailbox.with_watchers(|w| w.set_trap(trap));
    }

    pub(crate) fn cell(&self) -> &Arc<Cell<A>> {
        &self.cell
    }

    fn dependents(&mut self) -> &mut Dependents {
        self.dependents.get_or_insert_with(Box::default)
    }

    /// Whether there are children or timers to stop.
    pub(crate) fn has_dependents(&self) -> bool {
        self.dependents.is_some()
    }

    /// Stops the children (newest first) and the timers.
    pub(crate) async fn shut_down_dependents(&mut self, killed: bool) {
        let Some(mut dependents) = self.dependents.take() else {
            return;
        };
        for timer in dependents.timers.drain(..) {
            timer.abort();
        }
        while let Some(entry) = dependents.children.pop() {
            // The child is told why it must stop before the parent's
            // reference goes (with `entry`, at the end of this iteration);
            // otherwise it could see its last reference dropped and stop as
            // `Normal` instead.
            let child = &entry.0;
            if killed {
                child.kill();
            } else {
                child.stop_with(StopReason::Shutdown);
            }
            let ended = |child| tokio::time::timeout(CHILD_SHUTDOWN_TIMEOUT, runtime::join(child));
            if ended(&**child).await.is_ok() {
                continue;
            }
            tracing::warn!(
                "child {} did not stop within {CHILD_SHUTDOWN_TIMEOUT:?}; killing it",
                child.id()
            );
            child.kill();
            // A kill takes effect at an await, and `stopped` still runs: one
            // that never returns must not hold the parent for ever.
            if ended(&**child).await.is_err() {
                tracing::error!(
                    "child {} did not end within {CHILD_SHUTDOWN_TIMEOUT:?} of being killed \
                     (its `stopped` hook does not return); abandoning it",
                    child.id()
                );
            }
        }
    }
}
