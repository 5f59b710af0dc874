//! [`NetError`]: everything that can go wrong between nodes, each variant
//! saying what happened and what to do about it.

use std::net::SocketAddr;

/// An error of the network layer.
///
/// Errors of the actors themselves (a remote handler failed, a remote mailbox
/// is closed, an ask timed out) are the core's [`actor_core::Error`], exactly
/// as for a local actor; `NetError` is about nodes, connections and the wire.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The node could not open its UDP socket.
    #[error("could not bind a node to {addr}: {source}; pick a free port, or port 0 for any")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The TLS configuration was refused (a certificate or key that does not
    /// parse or does not match).
    #[error("invalid TLS configuration: {reason}; check the certificate chain, the private key and the CA roots")]
    Tls {
        /// What was wrong.
        reason: String,
    },
    /// No connection could be made to a node.
    #[error("could not connect to node {addr}: {reason}; check that it runs and listens on that address")]
    Connect {
        /// The node's address.
        addr: SocketAddr,
        /// What failed.
        reason: String,
    },
    /// The peer does not hold this node's cluster key (or this node does not
    /// hold the peer's): the connection was refused and nothing was sent.
    #[error("node {addr} refused the connection: the cluster keys differ; start both nodes with the same key")]
    ClusterKeyMismatch {
        /// The peer's address.
        addr: SocketAddr,
    },
    /// The peer broke the protocol: a frame that does not decode, is too
    /// large, or comes out of turn. Its connection or stream was closed.
    #[error("protocol error with node {addr}: {reason}; both nodes must run compatible versions of actor-net")]
    Protocol {
        /// The peer's address.
        addr: SocketAddr,
        /// What was wrong.
        reason: String,
    },
    /// The peer speaks another version of the wire format.
    #[error("node {addr} speaks wire format version {theirs}, this node speaks {ours}; upgrade the older node")]
    Version {
        /// The peer's address.
        addr: SocketAddr,
        /// This node's version.
        ours: u16,
        /// The peer's version.
        theirs: u16,
    },
    /// The connection to a node was lost, or the node closed it.
    #[error("connection to node {addr} lost: {reason}; it is reconnected on the next use")]
    ConnectionLost {
        /// The peer's address.
        addr: SocketAddr,
        /// Why, as far as known.
        reason: String,
    },
    /// Nothing is exported under that name on that node.
    #[error("node {addr} exports nothing named {name:?}; check the name, or export it first")]
    NotExported {
        /// The node's address.
        addr: SocketAddr,
        /// The name looked up.
        name: String,
    },
    /// Something is exported under that name, but of another type.
    #[error("node {addr} exports {name:?} as a {exported}, not a {expected}; look it up with the exported type")]
    WrongType {
        /// The node's address.
        addr: SocketAddr,
        /// The name looked up.
        name: String,
        /// The wire name of the exported type.
        exported: String,
        /// The wire name of the type asked for.
        expected: String,
    },
    /// This node already exports something under that name.
    #[error("the name {name:?} is already exported by this node; unexport it first or pick another name")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// The node was shut down.
    #[error("the node was shut down; start a new one")]
    NodeClosed,
}
