//! What a node exports under a name, and the table of its exports: one actor
//! that every remote reference shares ([`ActorExport`]), or a fresh actor per
//! remote reference ([`SessionExport`]).
//!
//! A session is how the toolbox crosses the network: each remote handle to a
//! queue or a lock gets an actor of its own on the exporting node, which holds
//! what that handle holds (a lease on a work item, a lock's guard). When the
//! handle's node dies, its stream closes, the session actor ends, and what it
//! held is dropped, exactly as when a local holder dies: the work item goes
//! back to the queue, the lock is released.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use actor_core::ActorRef;

use crate::error::NetError;
use crate::serve::{serve_actor, Owner};
use crate::stream::Accepted;
use actor_core::remote::accepts::{Accepts, RemoteActor};

/// The exports of a node, by name. Shared by the node (which adds and
/// removes) and the tasks that accept streams (which look up).
#[derive(Default)]
pub(crate) struct Exports {
    by_name: Mutex<HashMap<String, Arc<dyn Exported>>>,
}

impl Exports {
    pub(crate) fn insert(&self, name: String, export: Arc<dyn Exported>) -> Result<(), NetError> {
        let mut exports = lock(&self.by_name);
        if exports.contains_key(&name) {
            return Err(NetError::NameTaken { name });
        }
        exports.insert(name, export);
        Ok(())
    }

    pub(crate) fn remove(&self, name: &str) -> bool {
        lock(&self.by_name).remove(name).is_some()
    }

    pub(crate) fn get(&self, name: &str) -> Option<Arc<dyn Exported>> {
        lock(&self.by_name).get(name).cloned()
    }

    pub(crate) fn clear(&self) {
        // Dropped outside the lock: an export's actor may take its time.
        let all = std::mem::take(&mut *lock(&self.by_name));
        drop(all);
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked:
/// every critical section here is a single map operation.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An export, whatever its actor type.
pub(crate) trait Exported: Send + Sync + 'static {
    /// The wire name of the actor type behind it.
    fn actor_type(&self) -> &str;

    /// Serves one opened stream until it ends.
    fn serve(&self, stream: Accepted) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// One actor, shared by every remote reference.
pub(crate) struct ActorExport<A: RemoteActor> {
    actor: ActorRef<A>,
    accepts: Arc<Accepts<A>>,
    actor_type: String,
}

impl<A: RemoteActor> ActorExport<A> {
    pub(crate) fn new(actor: ActorRef<A>) -> Self {
        ActorExport {
            actor,
            accepts: Arc::new(Accepts::of()),
            actor_type: A::wire_name().into_owned(),
        }
    }
}

impl<A: RemoteActor> Exported for ActorExport<A> {
    fn actor_type(&self) -> &str {
        &self.actor_type
    }

    fn serve(&self, stream: Accepted) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(serve_actor(
            self.actor.clone(),
            Owner::Shared,
            self.accepts.clone(),
            stream,
        ))
    }
}

/// A fresh actor per remote reference, made by a factory; it ends with the
/// stream (its last reference is the stream's).
pub(crate) struct SessionExport<A: RemoteActor> {
    make: Box<dyn Fn() -> ActorRef<A> + Send + Sync>,
    accepts: Arc<Accepts<A>>,
    actor_type: String,
}

impl<A: RemoteActor> SessionExport<A> {
    pub(crate) fn new(make: impl Fn() -> ActorRef<A> + Send + Sync + 'static) -> Self {
        SessionExport {
            make: Box::new(make),
            accepts: Arc::new(Accepts::of()),
            actor_type: A::wire_name().into_owned(),
        }
    }
}

impl<A: RemoteActor> Exported for SessionExport<A> {
    fn actor_type(&self) -> &str {
        &self.actor_type
    }

    fn serve(&self, stream: Accepted) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(serve_actor(
            (self.make)(),
            Owner::Stream,
            self.accepts.clone(),
            stream,
        ))
    }
}
