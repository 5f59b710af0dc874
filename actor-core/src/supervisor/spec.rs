//! Child specifications: what a supervisor starts, and how it treats each child.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::id::ActorId;
use crate::runtime::supervised::{self, ChildLink, Factory, StartedSignal};
use crate::runtime::Control;
use crate::stop::StopReason;
use crate::supervisor::Supervisor;

/// When a child that ended is restarted (OTP's `restart`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// Always restarted.
    Permanent,
    /// Restarted only after a failure: not after ending with
    /// [`StopReason::Normal`] or [`StopReason::Shutdown`].
    Transient,
    /// Never restarted; removed from the supervisor when it ends.
    Temporary,
}

impl Restart {
    /// Whether a child that ended with `reason` is restarted.
    pub fn restarts_after(self, reason: &StopReason) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => !matches!(reason, StopReason::Normal | StopReason::Shutdown),
            Restart::Temporary => false,
        }
    }
}

/// How a supervisor stops a child (OTP's `shutdown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// Ask it to stop after the message in hand; kill it if it has not ended
    /// within this time. A killed child that still has not ended within this
    /// time again (its `stopped` hook never returns) is abandoned with an
    /// error logged: the supervisor goes on without it, and its task is left
    /// to end, if ever, on its own.
    Timeout(Duration),
    /// Ask it to stop after the message in hand and wait as long as it takes
    /// (OTP's `infinity`, meant for children that are supervisors).
    Infinity,
    /// Kill it at once. A kill takes effect at the child's next await (see
    /// [`ActorRef::kill`](crate::ActorRef::kill)); the supervisor waits for
    /// its `stopped` hook, however long it takes.
    BrutalKill,
}

impl Default for Shutdown {
    /// Five seconds, OTP's default for workers.
    fn default() -> Self {
        Shutdown::Timeout(Duration::from_secs(5))
    }
}

/// What a supervisor needs to start, restart and stop one child.
///
/// ```
/// use actor_core::{Actor, ChildSpec, Restart, Shutdown};
/// use std::time::Duration;
///
/// struct Worker { jobs: u32 }
/// impl Actor for Worker {}
///
/// let spec = ChildSpec::new("worker", || Worker { jobs: 0 })
///     .restart(Restart::Transient)
///     .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
/// assert_eq!(spec.id(), "worker");
/// ```
pub struct ChildSpec<A: Actor> {
    id: String,
    factory: Factory<A>,
    restart: Restart,
    shutdown: Shutdown,
}

impl<A: Actor> ChildSpec<A> {
    /// A permanent child called `id` (unique within its supervisor), built
    /// afresh by `factory` at every (re)start. Its shutdown is the default
    /// timeout, or [`Shutdown::Infinity`] when the child is itself a
    /// [`Supervisor`](crate::Supervisor) (as OTP's defaults: a supervisor
    /// takes the time its own children need).
    pub fn new(id: impl Into<String>, factory: impl Fn() -> A + Send + Sync + 'static) -> Self {
        let is_supervisor = TypeId::of::<A>() == TypeId::of::<crate::Supervisor>();
        ChildSpec {
            id: id.into(),
            factory: Arc::new(factory),
            restart: Restart::Permanent,
            shutdown: if is_supervisor {
                Shutdown::Infinity
            } else {
                Shutdown::default()
            },
        }
    }

    /// Sets when the child is restarted.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets how the child is stopped.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// The child's id within its supervisor.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl<A: Actor> Clone for ChildSpec<A> {
    fn clone(&self) -> Self {
        ChildSpec {
            id: self.id.clone(),
            factory: self.factory.clone(),
            restart: self.restart,
            shutdown: self.shutdown,
        }
    }
}

impl<A: Actor> fmt::Debug for ChildSpec<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("actor", &A::name())
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .finish()
    }
}

/// A started child, as the supervisor keeps it.
pub(crate) struct StartedChild {
    pub(crate) control: Arc<dyn Control>,
    /// An `ActorRef<A>`, for typed lookups by id.
    pub(crate) actor_ref: Box<dyn Any + Send + Sync>,
    pub(crate) type_name: &'static str,
}

type Starter = dyn Fn(ActorId, ChildLink<Supervisor>, StartedSignal) -> StartedChild + Send + Sync;

/// A child specification with the actor type erased.
#[derive(Clone)]
pub(crate) struct AnySpec {
    pub(crate) id: String,
    pub(crate) restart: Restart,
    pub(crate) shutdown: Shutdown,
    pub(crate) start: Arc<Starter>,
}

impl<A: Actor> From<ChildSpec<A>> for AnySpec {
    fn from(spec: ChildSpec<A>) -> Self {
        let factory = spec.factory;
        let restart = spec.restart;
        AnySpec {
            id: spec.id,
            restart: spec.restart,
            shutdown: spec.shutdown,
            start: Arc::new(move |parent, link, started| {
                let actor: ActorRef<A> =
                    supervised::start_supervised(factory.clone(), restart, parent, link, started);
                StartedChild {
                    control: actor.cell().clone(),
                    actor_ref: Box::new(actor),
                    type_name: std::any::type_name::<A>(),
                }
            }),
        }
    }
}
