//! The local runtime of the `actor` framework.
//!
//! An actor is a value that owns its state and handles messages one at a time
//! from its mailbox. This crate defines actors ([`Actor`]), messages
//! ([`Message`], [`Handler`]), references to running actors ([`ActorRef`],
//! [`WeakActorRef`], [`Recipient`]), what an actor sees of itself while it runs
//! ([`Context`]), a registry of actors by name, supervisors
//! ([`Supervisor`]), links and monitors ([`link`]), and the classic
//! concurrency toolbox built from actors: [`queue`], [`work_queue`],
//! [`pipe`], [`pool`], [`shared`] state, [`sync`] primitives and [`port`]s to
//! external programs.
//!
//! ```
//! use actor_core::{spawn, Actor, Context, Handler, Message};
//!
//! struct Counter { count: u64 }
//! impl Actor for Counter {}
//!
//! struct Add(u64);
//! impl Message for Add { type Reply = u64; }
//!
//! impl Handler<Add> for Counter {
//!     async fn handle(&mut self, Add(n): Add, _ctx: &mut Context<Self>) -> u64 {
//!         self.count += n;
//!         self.count
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::Error> {
//! let counter = spawn(Counter { count: 0 });
//! counter.tell(Add(2)).await?;
//! assert_eq!(counter.ask(Add(3)).await?, 5);
//! # Ok(()) }
//! ```
//!
//! Semantics in brief: messages from one sender arrive in the order sent;
//! mailboxes are bounded (`tell` waits when full, `try_tell` fails); a panic
//! fails only the actor it happens in, and whoever awaited a reply from it gets
//! a typed [`Error`]. `docs/design.md` in the repository has the full story.

#![deny(unsafe_code, unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod actor;
mod actor_ref;
mod blocking;
mod context;
mod error;
mod id;
pub mod link;
mod message;
mod recipient;
mod registry;
pub mod remote;
mod runtime;
mod spawn;
mod stop;
mod supervisor;
mod timer;
mod toolbox;

pub use actor::{Actor, BoxError, MailboxCapacity, DEFAULT_MAILBOX_CAPACITY};
pub use actor_ref::{ActorRef, WeakActorRef};
pub use blocking::run_blocking;
pub use context::{Context, CHILD_SHUTDOWN_TIMEOUT};
pub use error::{Error, SendError};
pub use id::ActorId;
pub use link::{AnyActorRef, Down, Exit, MonitorId, MonitorRef, Watchable};
pub use message::{Handler, Message};
pub use recipient::Recipient;
pub use registry::{lookup, register, unregister};
#[doc(hidden)]
pub use remote::__private;
pub use remote::{RemoteMessage, WireName};
pub use spawn::spawn;
pub use stop::StopReason;
pub use supervisor::{
    Backoff, ChildInfo, ChildSpec, Intensity, Restart, Shutdown, Strategy, Supervisor,
};
pub use timer::TimerHandle;
pub use toolbox::{pipe, pool, port, queue, shared, sync, work_queue};

/// Everything an application needs: `use actor_core::prelude::*;`.
pub mod prelude {
    pub use crate::pipe::{pipe, pipe_duplex, PipeEnd, PipeError, PipeReceiver, PipeSender};
    pub use crate::pool::{Pool, PoolError, TaskHandle};
    pub use crate::port::{Port, PortError};
    pub use crate::queue::{Queue, QueueError};
    pub use crate::remote::{Accepts, RemoteActor};
    pub use crate::shared::{SharedError, SharedList, SharedMap, SharedValue};
    pub use crate::sync::{Barrier, Condition, Event, Lock, Permit, RLock, Semaphore, SyncError};
    pub use crate::work_queue::{WorkItem, WorkQueue};
    pub use crate::{
        lookup, register, run_blocking, spawn, unregister, Actor, ActorId, ActorRef, Backoff,
        BoxError, ChildSpec, Context, Down, Error, Exit, Handler, MailboxCapacity, Message,
        MonitorRef, Recipient, Restart, SendError, Shutdown, StopReason, Strategy, Supervisor,
        TimerHandle, WeakActorRef,
    };
}
