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
//! use actor_core::remote::{Accepts, RemoteActor};
//! use actor_net::{ClusterKey, Node};
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
//! # Toolbox objects
//!
//! A queue, work queue, event or lock is exported with
//! [`Node::export_handle`] and looked up with [`Node::lookup_handle`], which
//! hands back the same type (`Queue<T>`, `Lock`, ...) working over the
//! network; each remote handle gets a session of its own on the exporting
//! node. The crate knows no tool: anything
//! [`Exportable`](actor_core::remote::Exportable) crosses this way.
//!
//! # Remote references
//!
//! [`Node::lookup`] returns an ordinary [`ActorRef`](actor_core::ActorRef).
//! Its messages go, in the order each sender sent them, over one QUIC stream
//! per reference, coalesced into large writes. What the network changes:
//!
//! - **Only listed messages cross.** A message type crosses if the actor lists
//!   it in [`RemoteActor::accepts`](actor_core::remote::RemoteActor::accepts);
//!   any other is dropped at the sender with an error log, and an ask of it
//!   fails at once.
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
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

// The modules, top to bottom; each imports only modules below it (no
// cycle, no return trip), and tasks take handles (`Arc<Peers>`,
// `Arc<Exports>`) and `Limits`, never the node:
//
//   node      the public face: owns config, exports, peers
//               -> accept, peers, export, forward, config, tls
//   accept    accepting connections (TLS, cluster key)  -> admission, peers, auth
//   admission which incoming connections are taken on: handshake, total
//             and per-address limits                    -> config
//   forward   the task behind a remote reference
//               -> peers, stream, proto::caller, config
//   peers     one authenticated connection per peer reached: dial, reuse
//               -> incoming, auth, export (the table), config
//   incoming  a connection's streams: read each Open, hand it to its export
//               -> export, stream, proto::export, config
//   export    the export table: one actor, or a session per stream
//               -> serve, stream
//   serve     the quinn loop serving one stream to one actor
//               -> stream, proto::export
//   stream    what both ends of a stream share: chunked reads, violations
//               -> proto
//   auth      the cluster key handshake over quinn  -> proto::handshake
//   config, tls, error                -> proto (or nothing)
//   proto     the protocol, sans IO: frame, wire, handshake, handover,
//             export, caller
//               -> nothing else of the crate
//   process   process-hosted actors, above nodes: the parent's feed and
//             start, the child's host, the progress record, orphans
//               -> node, config, proto (handover, wire)
mod accept;
mod admission;
mod auth;
mod config;
mod error;
mod export;
mod forward;
mod incoming;
mod node;
mod peers;
#[cfg(unix)]
pub mod process;
mod proto;
mod serve;
mod stream;
mod tls;

pub use config::{NodeConfig, PRE_AUTH_RECEIVE_WINDOW};
pub use error::NetError;
pub use node::Node;
pub use proto::frame::DEFAULT_MAX_FRAME_SIZE;
pub use proto::handshake::ClusterKey;
pub use tls::{CaTls, Tls};

/// Items for tests and benchmarks that play a raw QUIC peer against a node;
/// not part of the supported API.
#[doc(hidden)]
pub mod __testing {
    /// The client certificate verifier of [`Tls::SelfSigned`](crate::Tls):
    /// accepts any server certificate, checks the handshake signature.
    pub use crate::tls::AnyCertificate;

    /// The TLS configuration of a client that completes TLS with any node
    /// (any certificate, the nodes' ALPN) and then proves nothing: what a
    /// stranger on the network has, for tests and benches that play one.
    pub fn stranger_tls() -> rustls::ClientConfig {
        crate::tls::stranger()
    }

    /// How many peers `node`'s table holds an entry for, live or not: what
    /// a node that forgets no peer would grow.
    pub fn peer_entries(node: &crate::Node) -> usize {
        node.peer_entries()
    }

    /// The OS layer under process-hosted actors, for the tests that run it
    /// in real child processes.
    #[cfg(unix)]
    pub mod process {
        pub use crate::process::orphan::{die_with_parent, OrphanError, PARENT_GONE_STATUS};
        pub use crate::process::progress::{
            default_dir, ProgressError, ProgressFile, ProgressRecord, RECORD_LEN,
        };
    }

    /// The export side's protocol machines, sans IO (for the fuzz target).
    pub mod export {
        pub use crate::proto::export::{
            Answers, Event, Opened, Opening, Serving, MAX_DECLARED_TYPES,
        };
        pub use crate::proto::frame::FrameBuffer;
        pub use crate::proto::wire::{Open, Refusal};
        pub use crate::proto::Violation;
    }
}
