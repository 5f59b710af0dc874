//! The engine under [`Queue`](crate::queue::Queue),
//! [`WorkQueue`](crate::work_queue::WorkQueue) and the
//! [pipe](crate::pipe): a FIFO owned by an actor, with first-come
//! first-served lines of waiting getters and putters ([`buffer`]), and the
//! client that reaches it ([`actor`]). A [`Ledger`] is what differs between
//! the three: a plain queue forgets an item once taken, a work queue leases
//! it until acknowledged.

mod actor;
mod buffer;

use std::fmt;

pub(crate) use actor::{Client, Door};
pub(crate) use buffer::{Counts, Ledger, Plain, Refusal};

/// The number a work queue gives an item when it admits it; unique within
/// that queue, and kept when the item is delivered again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkId(pub(crate) u64);

impl WorkId {
    /// The number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for WorkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
