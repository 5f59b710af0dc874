//! Links and monitors: learning that another actor has ended.
//!
//! A **monitor** is one-way: the watcher receives a [`Down`] message when the
//! watched actor's run ends, with its id and stop reason. Monitoring an actor
//! that has already ended delivers `Down` at once.
//!
//! A **link** is two-way: when either actor's run ends abnormally (any reason
//! but [`StopReason::Normal`]), the other receives an exit signal. An actor
//! that traps exits ([`Context::trap_exits`](crate::Context::trap_exits))
//! receives it as an [`Exit`] message (for every reason, normal too); any other
//! actor ends at once with a reason that names the linked actor.
//!
//! Both fire when a *run* of the actor ends, as Erlang's fire when a process
//! exits. A supervised actor that is restarted keeps its references and its
//! mailbox, but its links and monitors were spent on the run that ended: watch
//! it again if needed (`ActorRef::is_alive` tells whether it was restarted).
//!
//! An actor whose tokio runtime shuts down under it (its task dropped
//! before it ended, whether it had started running or not) has been
//! killed: `join` returns [`StopReason::Killed`], and its monitors and links
//! fire with that reason, as for [`ActorRef::kill`], so an actor on another
//! runtime learns of it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::actor::Actor;
use crate::actor_ref::{ActorRef, WeakActorRef};
use crate::id::ActorId;
use crate::message::{Handler, Message};
use crate::recipient::Recipient;
use crate::runtime::watchers::Notify;
use crate::runtime::Control;
use crate::stop::StopReason;

/// Sent to a watcher when an actor it monitors has ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Down {
    /// The actor that ended.
    pub id: ActorId,
    /// Why it ended.
    pub reason: StopReason,
    /// The monitor that fired.
    pub monitor: MonitorId,
}

impl Message for Down {
    type Reply = ();
}

/// Sent to an actor that traps exits when an actor linked to it has ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    /// The linked actor that ended.
    pub id: ActorId,
    /// Why it ended.
    pub reason: StopReason,
}

impl Message for Exit {
    type Reply = ();
}

/// Identifies one monitor, to tell its [`Down`] apart or to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MonitorId(u64);

static NEXT_MONITOR: AtomicU64 = AtomicU64::new(1);

/// A monitor that can be cancelled with [`Context::demonitor`](crate::Context::demonitor).
#[derive(Clone)]
pub struct MonitorRef {
    pub(crate) id: MonitorId,
    pub(crate) target: Arc<dyn Control>,
}

impl MonitorRef {
    /// This monitor's id, as found in its [`Down`].
    pub fn id(&self) -> MonitorId {
        self.id
    }

    /// The watched actor.
    pub fn target(&self) -> ActorId {
        self.target.id()
    }
}

impl fmt::Debug for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorRef")
            .field("id", &self.id)
            .field("target", &self.target())
            .finish()
    }
}

/// A reference to an actor that can be monitored or linked to:
/// [`ActorRef`], [`WeakActorRef`], [`Recipient`] or [`AnyActorRef`].
pub trait Watchable: sealed::Sealed {
    /// An untyped reference to the same actor, for its lifecycle only.
    fn any_ref(&self) -> AnyActorRef {
        AnyActorRef {
            control: self.control(),
        }
    }
}

/// A reference to an actor of any type, for its lifecycle only: its id,
/// whether it runs, how it ended. It can be monitored and linked to (it is
/// [`Watchable`]), which is what code that keeps track of actors it knows
/// nothing about needs (a lock watching whoever holds it, say). It carries
/// no messages and, like a [`WeakActorRef`], does not keep the actor running.
///
/// ```
/// use actor_core::{spawn, Actor, StopReason, Watchable};
///
/// struct Idle;
/// impl Actor for Idle {}
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let idle = spawn(Idle);
/// let any = idle.any_ref();
/// assert_eq!(any.id(), idle.id());
/// idle.stop();
/// assert_eq!(any.join().await, StopReason::Normal);
/// assert!(!any.is_alive());
/// # }
/// ```
#[derive(Clone)]
pub struct AnyActorRef {
    control: Arc<dyn Control>,
}

impl AnyActorRef {
    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.control.id()
    }

    /// Whether the actor is running (a supervised actor between two runs
    /// counts as running).
    pub fn is_alive(&self) -> bool {
        self.control.is_alive()
    }

    /// Waits for the actor to end for good, and returns why it ended.
    pub async fn join(&self) -> StopReason {
        crate::runtime::join(&*self.control).await
    }
}

impl fmt::Debug for AnyActorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnyActorRef").field(&self.id()).finish()
    }
}

// `Control` is crate-private, and so is this trait in practice: the module is
// private, so no one outside can name `Sealed` or call `control`.
#[allow(private_interfaces)]
pub(crate) mod sealed {
    use super::*;

    /// What makes a reference watchable; out of reach outside this crate.
    pub trait Sealed {
        fn control(&self) -> Arc<dyn Control>;
    }

    impl<A: Actor> Sealed for ActorRef<A> {
        fn control(&self) -> Arc<dyn Control> {
            self.cell().clone()
        }
    }

    impl<A: Actor> Sealed for WeakActorRef<A> {
        fn control(&self) -> Arc<dyn Control> {
            self.cell().clone()
        }
    }

    impl Sealed for AnyActorRef {
        fn control(&self) -> Arc<dyn Control> {
            self.control.clone()
        }
    }

    impl<M: Message> Sealed for Recipient<M> {
        fn control(&self) -> Arc<dyn Control> {
            Recipient::control(self)
        }
    }
}

impl<A: Actor> Watchable for ActorRef<A> {}
impl<A: Actor> Watchable for WeakActorRef<A> {}
impl<M: Message> Watchable for Recipient<M> {}
impl Watchable for AnyActorRef {}

/// A notifier that delivers `Down` to `watcher`, waiting for room if its
/// mailbox is full (a down notice must not be lost).
pub(crate) fn down_notifier<W: Handler<Down>>(watcher: WeakActorRef<W>) -> Notify<Down> {
    Box::new(move |down: Down| deliver(watcher, down))
}

/// A trap that delivers `Exit` to `actor`.
pub(crate) fn exit_trap<A: Handler<Exit>>(
    actor: WeakActorRef<A>,
) -> Arc<dyn Fn(Exit) + Send + Sync> {
    Arc::new(move |exit: Exit| deliver(actor.clone(), exit))
}

fn deliver<A: Handler<M>, M: Message>(to: WeakActorRef<A>, message: M) {
    let Some(to) = to.upgrade() else { return };
    if let Err(refused) = to.try_tell(message) {
        if matches!(refused.error, crate::Error::MailboxFull { .. }) {
            let message = refused.message;
            tokio::spawn(async move {
                let _ = to.tell(message).await;
            });
        }
    }
}

/// Creates a monitor of `target` that calls `notify`; fires at once if the
/// target has already ended.
pub(crate) fn monitor(target: Arc<dyn Control>, notify: Notify<Down>) -> MonitorRef {
    let id = MonitorId(NEXT_MONITOR.fetch_add(1, Ordering::Relaxed));
    if let Err(notify) = target.add_monitor(id, notify) {
        notify(Down {
            id: target.id(),
            reason: target.recorded_reason().unwrap_or(StopReason::Normal),
            monitor: id,
        });
    }
    MonitorRef { id, target }
}

/// Links two actors; if `peer` has already ended, `me` gets its exit signal.
pub(crate) fn link(me: Arc<dyn Control>, peer: Arc<dyn Control>) {
    if me.id() == peer.id() {
        return;
    }
    if peer.add_link(me.clone()) {
        me.add_link(peer);
    } else {
        let reason = peer.recorded_reason().unwrap_or(StopReason::Normal);
        me.exit_signal(peer.id(), reason);
    }
}

/// Removes a link in both directions.
pub(crate) fn unlink(me: &dyn Control, peer: &dyn Control) {
    me.remove_link(peer.id());
    peer.remove_link(me.id());
}
