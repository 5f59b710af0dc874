//! The registry: actors found by name.
//!
//! [`register`] puts an actor under a name; [`lookup`] finds it again, typed.
//! The registry holds a strong reference, so a registered actor stays alive
//! until it stops; its entries vanish when it does. Names are process-wide.

use std::any::Any;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::error::Error;
use crate::id::ActorId;
use crate::runtime::{Cell, Control};

struct Registration {
    id: ActorId,
    type_name: &'static str,
    /// An `ActorRef<A>` for the registered actor's type `A`.
    actor: Box<dyn Any + Send + Sync>,
}

static REGISTRY: LazyLock<DashMap<String, Registration>> = LazyLock::new(DashMap::new);

/// Registers `actor` under `name` until it stops.
///
/// # Errors
/// [`Error::NameTaken`] if a running actor holds the name;
/// [`Error::Stopped`] if `actor` has already stopped.
pub fn register<A: Actor>(name: impl Into<String>, actor: &ActorRef<A>) -> Result<(), Error> {
    let name = name.into();
    let cell = actor.cell();
    cell.registered.store(true, Ordering::SeqCst);
    match REGISTRY.entry(name.clone()) {
        Entry::Occupied(taken) => {
            return Err(Error::NameTaken {
                name,
                holder: taken.get().id,
            })
        }
        Entry::Vacant(free) => {
            free.insert(Registration {
                id: actor.id(),
                type_name: std::any::type_name::<A>(),
                actor: Box::new(actor.clone()),
            });
        }
    }
    // An actor that stopped while we inserted has already cleared its entries;
    // do not leave this one behind.
    if !cell.is_alive() || cell.mailbox.is_closed() {
        unregister_if(&name, actor.id());
        return Err(Error::Stopped { actor: actor.id() });
    }
    Ok(())
}

/// Finds the actor registered under `name`.
///
/// # Errors
/// [`Error::NotRegistered`] if no actor holds the name;
/// [`Error::WrongType`] if the actor there is not an `A`.
pub fn lookup<A: Actor>(name: &str) -> Result<ActorRef<A>, Error> {
    let entry = REGISTRY.get(name).ok_or_else(|| Error::NotRegistered {
        name: name.to_owned(),
    })?;
    entry
        .actor
        .downcast_ref::<ActorRef<A>>()
        .cloned()
        .ok_or_else(|| Error::WrongType {
            name: name.to_owned(),
            expected: std::any::type_name::<A>(),
            found: entry.type_name,
        })
}

/// Removes `name` from the registry; returns whether it was there.
pub fn unregister(name: &str) -> bool {
    REGISTRY.remove(name).is_some()
}

fn unregister_if(name: &str, id: ActorId) {
    REGISTRY.remove_if(name, |_, r| r.id == id);
}

/// Removes every entry of an actor that is stopping.
pub(crate) fn forget<A: Actor>(cell: &Arc<Cell<A>>) {
    if cell.registered.load(Ordering::SeqCst) {
        let id = cell.id();
        // Entries are collected first: dropping one drops an ActorRef, which
        // must not happen while the map is locked.
        let mut removed = Vec::new();
        REGISTRY.retain(|_, r| {
            if r.id == id {
                removed.push(std::mem::replace(&mut r.actor, Box::new(())));
                false
            } else {
                true
            }
        });
        drop(removed);
    }
}
