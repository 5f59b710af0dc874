//! The QUIC transport of the `actor` framework: nodes, the cluster key, named
//! exports and remote references.
//!
//! A [`Node`] is one process's place in a cluster: a QUIC endpoint (quinn,
//! rustls) that exports actors under names and reaches other nodes' exports.
//! Every node of a cluster is started with the same [`ClusterKey`]; two nodes
//! prove to each other that they hold it before anything else crosses, and a
//! node with another key is refused on both sides.
//!
//! ```no_run
//! # use std::borrow::Cow;
//! # use actor_core::{spawn, Actor, Context, Handler, Message, RemoteMessage, WireName};
//! use actor_net::{Accepts, ClusterKey, Node, RemoteActor};
//! # struct Counter(u64);
//! # impl Actor for Counter {}
//! # impl WireName for Counter { fn wire_name() -> Cow<'static, str> { "app.counter".into() } }
//! # #[derive(serde::Serialize, serde::Deserialize)] struct Add(u64);
//! # impl Message for Add { type Reply = u64; }
//! # impl WireName for Add { fn wire_name() -> Cow<'static, str> { "app.add".into() } }
//! # impl RemoteMessage for Add {}
//! # impl Handler<Add> for Counter {
//! #     async fn handle(&mut self, Add(n): Add, _: &mut Context<Self>) -> u64 { self.0 += n; self.0 }
//! # }
//! impl RemoteActor for Counter {
//!     fn accepts(messages: &mut Accepts<Self>) {
//!         messages.accept::<Add>();
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // In one process:
//! let key = ClusterKey::new("abc");
//! let server = Node::start("127.0.0.1:5000".parse()?, key.clone()).await?;
//! server.export("counter", spawn(Counter(0)))?;
//!
//! // In another (or the same):
//! let client = Node::start("127.0.0.1:0".parse()?, key).await?;
//! let counter = client.lookup::<Counter>(server.local_addr(), "counter").await?;
//! counter.tell(Add(2)).await?;
//! assert_eq!(counter.ask(Add(3)).await?, 5);
//! # Ok(()) }
//! ```
//!
//! # Remote references
//!
//! [`Node::lookup`] returns an ordinary [`ActorRef`](actor_core::ActorRef).
//! Its messages go, in the order each sender sent them, over one QUIC stream
//! per reference, coalesced into large writes. What the network changes:
//!
//! - **Only listed messages cross.** A message type crosses if the actor lists
//!   it in [`RemoteActor::accepts`]; any other is dropped at the sender with
//!   an error log, and an ask of it fails at once.
//! - **Backpressure crosses.** `tell` waits while the remote actor is behind:
//!   its mailbox, the stream's flow-control window and the reference's own
//!   bounded mailbox fill in turn; memory stays flat.
//! - **Failures are typed and bounded.** An ask whose connection is lost fails
//!   with [`actor_core::Error::Failed`] naming the node; `ask_timeout` bounds
//!   an ask to a node that does not answer. A lost connection also fires the
//!   reference's monitors and links, with that reason, and the node
//!   reconnects (capped exponential backoff) and reopens the same name: a
//!   reference names an export, so after the remote node restarts and exports
//!   the name again, messages reach the new actor. Tells caught in the break
//!   may be lost, as in Erlang; asks tell you.
//! - **The remote actor's end is the reference's end**: when it stops, the
//!   reference ends with the same reason, and its monitors fire.
//! - **`stop` and `kill` end the reference**, not the remote actor (whose
//!   lifecycle belongs to its own node).
//!
//! # Wire format and bad input
//!
//! Frames are length-prefixed postcard with a size limit
//! ([`NodeConfig::max_frame_size`]) and a format version; message types are
//! known by their stable [`WireName`](actor_core::WireName). Input that does
//! not decode, exceeds the limit or names an unknown message type gets an
//! error answer or closes that peer's connection, is logged, and never
//! panics or stalls the node; other peers are unaffected.
//!
//! # Security
//!
//! With [`Tls::SelfSigned`] (the default) the cluster key is what
//! authenticates: each side proves it holds the key by an HMAC over a
//! challenge bound to the TLS session (exporter keying material), so a proof
//! is useless on any other connection; proofs are compared in constant time,
//! and 0-RTT is off. [`Tls::Ca`] adds mutual TLS with certificates from the
//! application's own CA, for production.

#![deny(unsafe_code)]

mod auth;
mod config;
mod error;
mod export;
mod forward;
mod frame;
mod node;
mod remote_actor;
mod serve;
mod tls;
pub mod toolbox;
mod wire;

pub use auth::ClusterKey;
pub use config::NodeConfig;
pub use error::NetError;
pub use frame::DEFAULT_MAX_FRAME_SIZE;
pub use node::Node;
pub use remote_actor::{Accepts, RemoteActor};
pub use tls::{CaTls, Tls};

/// Items for tests and benchmarks that play a raw QUIC peer against a node;
/// not part of the supported API.
#[doc(hidden)]
pub mod __testing {
    /// The client certificate verifier of [`Tls::SelfSigned`](crate::Tls):
    /// accepts any server certificate, checks the handshake signature.
    pub use crate::tls::AnyCertificate;
}
pub use toolbox::{
    RemoteEvent, RemoteLock, RemoteLockGuard, RemoteQueue, RemoteWorkItem, RemoteWorkQueue,
};
