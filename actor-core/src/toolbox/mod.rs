//! The classic concurrency toolbox, built from actors: queues, work queues,
//! pipes, pools, shared state, synchronisation primitives and ports to
//! external programs.
//!
//! Each tool's state is owned by one actor and reached through a cheap,
//! cloneable handle. The toolbox sits strictly above the kernel: it uses only
//! the crate's public API (the items re-exported at the crate root and the
//! `link` module), never the runtime's internals, so that what it does an
//! application could do too. `actor-core/tests/toolbox_layering.rs` checks
//! its imports.
//!
//! Three of its modules share one engine: [`fifo`] is the FIFO owned by an
//! actor, with first-come first-served waiting lines, that [`queue`],
//! [`work_queue`] and [`pipe`] are built on.

mod fifo;
mod patience;
pub mod pipe;
pub mod pool;
pub mod port;
pub mod queue;
mod remote;
pub mod shared;
pub mod sync;
pub mod work_queue;

pub(crate) use patience::Patience;

#[cfg(test)]
mod props;
