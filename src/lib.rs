//! `actor`: an async actor framework for Rust.
//!
//! This is the facade crate: it re-exports the framework's crates so that an
//! application depends on `actor` alone and writes `use actor::prelude::*;`.
//!
//! - [`core`] (`actor-core`): actors, messages, mailboxes, references, context,
//!   registry: everything that runs inside one process.
//! - `actor-macros`: [`derive(Actor)`](macro@Actor), [`derive(Message)`](macro@Message)
//!   and [`#[messages]`](macro@messages), which write those impls from plain
//!   structs and methods.
//! - [`net`] (`actor-net`): the QUIC transport: nodes, the cluster key, named
//!   exports, and references to actors in other processes that work like
//!   local ones.
//!
//! ```
//! use actor::prelude::*;
//!
//! struct Echo;
//! impl Actor for Echo {}
//!
//! struct Shout(String);
//! impl Message for Shout { type Reply = String; }
//!
//! impl Handler<Shout> for Echo {
//!     async fn handle(&mut self, Shout(s): Shout, _ctx: &mut Context<Self>) -> String {
//!         s.to_uppercase()
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Error> {
//! let echo = spawn(Echo);
//! assert_eq!(echo.ask(Shout("hi".into())).await?, "HI");
//! # Ok(()) }
//! ```

#![deny(unsafe_code)]

pub use actor_core as core;
pub use actor_core::*;
pub use actor_macros::{messages, Actor, Message};
pub use actor_net as net;

/// Everything an application needs: `use actor::prelude::*;`.
pub mod prelude {
    pub use actor_core::prelude::*;
    pub use actor_macros::{messages, Actor, Message};
    pub use actor_net::{Accepts, ClusterKey, NetError, Node, NodeConfig, RemoteActor};
}

/// The README's examples, compiled and run as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
