//! Helpers shared by the integration tests of the `actor` workspace: the
//! facade's tests under `tests/` and the kernel's under `actor-core/tests/`.
//!
//! - [`panics`]: keep deliberate panics out of the test output.
//! - [`gates`]: hold an actor inside a handler until the test lets it go.
//! - [`polling`]: poll a future exactly once, to prove it cannot finish now.
//! - [`timing`]: await with a bound, so that a broken test fails instead of
//!   hanging.
//! - [`events`]: logs of what happened, to assert on order and to await.
//! - [`replies`]: asking from a task of its own, and checking a failure.
//! - [`large`]: a 512 KiB message and its 1 MiB reply, for stack checks.
//! - [`processes`]: whether another process still runs.
//!
//! Everything is re-exported at the root, so a test writes
//! `use actor_test_support::{gate, poll_once};`.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

pub mod events;
pub mod gates;
pub mod large;
pub mod panics;
pub mod polling;
pub mod processes;
pub mod replies;
pub mod timing;

pub use events::{drain, kind, Recorder};
pub use gates::{gate, Gate, GateKey};
pub use panics::{quiet_deliberate_panics, quiet_panics_where, DELIBERATE};
pub use polling::poll_once;
pub use processes::process_gone;
pub use replies::{ask_later, expect_failed, queue};
pub use timing::{soon, within, PATIENCE};
