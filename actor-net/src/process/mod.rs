//! Process-hosted actors: an actor in a child process, behind an ordinary
//! reference in its parent.
//!
//! Only an OS process isolates an infinite loop, a segfault, an `abort()`
//! or an out-of-memory kill. [`spawn_process`] starts a child that hosts an
//! actor and returns an `ActorRef` to it; the child is this program itself,
//! re-executed, whose `main` calls [`init`] first (or a dedicated host
//! binary, [`ProcessOptions::program`]). The messages stay in the parent
//! until the child has handled them (the *feed*), and the child records in
//! shared memory which one it is handling (a *progress record*), so that
//! when it dies the parent knows exactly which: a message is never handled
//! twice. The child dies with its parent (on Linux, at once).
//!
//! A child that exits ends its reference, with the reason that names the
//! exit: the actor's own failure (a panic in a handler), an exit status, or
//! the signal that killed it (`killed by signal 9 (SIGKILL)`). The ask in
//! progress fails with that reason, and so does every message still
//! waiting. Supervised restarts, in which the next child takes over the
//! waiting messages in order, are not there yet.
//!
//! ```no_run
//! use std::borrow::Cow;
//! use actor_core::prelude::*;
//! use actor_core::remote::{Accepts, RemoteActor};
//! use actor_core::{RemoteMessage, WireName};
//! use actor_net::process::{self, Hosted, ProcessOptions};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Square(u64);
//! impl Message for Square { type Reply = u64; }
//! impl WireName for Square { fn wire_name() -> Cow<'static, str> { "app.square".into() } }
//! impl RemoteMessage for Square {}
//!
//! struct Worker;
//! impl Actor for Worker {}
//! impl WireName for Worker { fn wire_name() -> Cow<'static, str> { "app.worker".into() } }
//! impl RemoteActor for Worker {
//!     fn accepts(messages: &mut Accepts<Self>) { messages.accept::<Square>(); }
//! }
//! impl Handler<Square> for Worker {
//!     async fn handle(&mut self, Square(n): Square, _: &mut Context<Self>) -> u64 { n * n }
//! }
//! impl Hosted for Worker {
//!     type Args = ();
//!     fn start(_: ()) -> Self { Worker }
//! }
//!
//! fn main() {
//!     // In the child, this hosts the worker and never returns.
//!     process::init(|hosts| { hosts.host::<Worker>(); });
//!     let runtime = tokio::runtime::Runtime::new().expect("a runtime");
//!     runtime.block_on(async {
//!         let worker = process::spawn_process::<Worker>(&(), ProcessOptions::new())
//!             .await
//!             .expect("the child starts");
//!         assert_eq!(worker.ask(Square(7)).await, Ok(49));
//!     });
//! }
//! ```

mod feed;
mod host;
mod output;
// `progress` and `orphan` are the only modules of the crate allowed
// `unsafe`: they call `mmap`, `prctl` and their kin through `libc`, each
// block with its `// SAFETY:` comment.
#[allow(unsafe_code)]
pub(crate) mod orphan;
#[allow(unsafe_code)]
pub(crate) mod progress;
mod spawn;

pub use host::{init, Hosted, Hosts};
pub use output::{Output, OutputLine, Stream, MAX_LINE};
pub use spawn::{spawn_process, ProcessError, ProcessOptions};

/// The environment variable that makes a process a host ([`init`]). It
/// carries no secret: the hand-over comes on stdin.
const MARKER: &str = "ACTOR_PROCESS_HOST";
