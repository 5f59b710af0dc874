//! Actor identity.
//!
//! Every actor gets an [`ActorId`] when it is spawned: a number unique within the
//! process, plus the actor's name for logs and error messages. Ids are never
//! reused, so an id seen in an old log line or a down notice names exactly one
//! actor.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The identity of one actor: unique in this process, never reused.
///
/// It displays as `Name#17`. Two ids are equal when their numbers are; the name
/// is carried only to make logs and errors readable.
#[derive(Clone, Copy)]
pub struct ActorId {
    seq: u64,
    name: &'static str,
}

impl ActorId {
    /// A fresh id for an actor called `name`.
    pub(crate) fn next(name: &'static str) -> Self {
        ActorId {
            seq: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name,
        }
    }

    /// The number that makes this id unique in the process.
    pub fn as_u64(&self) -> u64 {
        self.seq
    }

    /// The actor's name, as given by [`Actor::name`](crate::Actor::name).
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl PartialEq for ActorId {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}

impl Eq for ActorId {}

impl Hash for ActorId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.seq.hash(state);
    }
}

impl PartialOrd for ActorId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ActorId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.seq.cmp(&other.seq)
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.name, self.seq)
    }
}

impl fmt::Debug for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_display_with_name() {
        let a = ActorId::next("Counter");
        let b = ActorId::next("Counter");
        assert_ne!(a, b);
        assert!(b.as_u64() > a.as_u64());
        assert_eq!(a.to_string(), format!("Counter#{}", a.as_u64()));
    }
}
