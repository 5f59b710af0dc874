//! [`Exportable`]: a handle whose object other processes use through a
//! handle of the same type.

use std::future::Future;

use super::RemoteActor;
use crate::{ActorRef, Error};

/// A handle that can stand for its object in another process, served there
/// by one session actor per remote handle.
///
/// An exported actor is shared: every remote reference reaches the one
/// actor. A tool of the toolbox (a [`Queue`](crate::queue::Queue), a
/// [`WorkQueue`](crate::work_queue::WorkQueue), an
/// [`Event`](crate::sync::Event), a [`Lock`](crate::sync::Lock)) is
/// exported differently: each remote handle gets a *session* of its own on
/// the exporting side, an actor that holds what that handle holds (the work
/// items it took, the lock it acquired) and gives it back when the handle's
/// connection ends. This trait is the contract between such a handle and a
/// network layer, which knows neither the tool nor its session type: the
/// exporting side makes a session per remote handle
/// ([`session`](Exportable::session)), the other side turns the reference
/// it looked up into a handle ([`from_session`](Exportable::from_session)).
pub trait Exportable: Sized + Send + Sync + 'static {
    /// The actor that serves one remote handle on the exporting side.
    type Session: RemoteActor;

    /// A new session for one remote handle (called on the exporting side,
    /// once per handle that looks the object up).
    fn session(&self) -> ActorRef<Self::Session>;

    /// The handle that reaches the object through `session`, a reference to
    /// a session in another process. It may ask the session what the handle
    /// needs to know up front (a queue's capacity).
    ///
    /// # Errors
    /// Those of a remote ask, if that first exchange fails.
    fn from_session(
        session: ActorRef<Self::Session>,
    ) -> impl Future<Output = Result<Self, Error>> + Send;
}
