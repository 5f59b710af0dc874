//! `actor`: an async actor framework for Rust.
//!
//! This is the facade crate: it re-exports the framework's crates so that an
//! application depends on `actor` alone and writes `use actor::prelude::*;`.
//!
//! - `actor-core`, re-exported at the root (`actor::spawn`, `actor::ActorRef`,
//!   `actor::queue`, ...): actors, messages, mailboxes, references, context,
//!   registry, supervision and the toolbox: everything that runs inside one
//!   process. Each item has one path.
//! - `actor-macros`: [`derive(Actor)`](macro@Actor), [`derive(Message)`](macro@Message)
//!   and [`#[messages]`](macro@messages), which write those impls from plain
//!   structs and methods.
//! - `net` (`actor-net`, the `net` feature, on by default): the QUIC
//!   transport: nodes, the cluster key, named exports, and references to
//!   actors in other processes that work like local ones. An application that
//!   stays in one process can turn it off (`default-features = false`) and
//!   build no quinn, rustls or ring.
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
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

pub use actor_core::*;
pub use actor_macros::{messages, Actor, Message};
#[cfg(feature = "net")]
pub use actor_net as net;

/// Everything an application needs: `use actor::prelude::*;`.
pub mod prelude {
    pub use actor_core::prelude::*;
    pub use actor_macros::{messages, Actor, Message};
    #[cfg(feature = "net")]
    pub use actor_net::{ClusterKey, NetError, Node, NodeConfig};
}

/// The README's examples, compiled and run as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
