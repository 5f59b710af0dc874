//! [`Node`]: one process's place in a cluster.
//!
//! A node owns one QUIC endpoint, which both listens and dials. It keeps one
//! authenticated connection per peer node it reaches, dialed lazily on first
//! use and redialed after a loss; a connection a peer opened to it serves
//! that peer's requests only (the address a peer claims is not proof that
//! it is the node there). On a connection, each remote reference is one
//! bidirectional stream to one export. The node's exports are a table of
//! names to actors ([`Node::export`]) and to handles whose remote users each
//! get a session ([`Node::export_handle`]: the toolbox's queues and locks);
//! [`Node::lookup`] opens a stream to a name on another node and hands back
//! an ordinary [`ActorRef`] whose messages are forwarded on it, and
//! [`Node::lookup_handle`] the same handle type that was exported.

use std::net::SocketAddr;
use std::sync::Arc;

use actor_core::remote::{proxy, Accepts, Exportable, RemoteActor};
use actor_core::{ActorRef, MailboxCapacity};
use tokio::sync::oneshot;

use crate::accept;
use crate::config::NodeConfig;
use crate::error::NetError;
use crate::export::{ActorExport, Exported, Exports, SessionExport};
use crate::forward;
use crate::peers::Peers;
use crate::proto::handshake::ClusterKey;
use crate::proto::CLOSE_SHUTDOWN;
use crate::tls;

/// The least capacity of a remote reference's own mailbox: the messages its
/// task can take at once and send in one write. Larger than a typical
/// actor's mailbox because it is what lets frames coalesce.
const PROXY_CAPACITY: usize = 1024;

/// A node: exports actors under names, and reaches other nodes' exports.
///
/// Cloning is cheap; every clone is the same node. The node runs until
/// [`shutdown`](Self::shutdown) or until its last clone is dropped.
///
/// ```no_run
/// use actor_net::{ClusterKey, Node};
///
/// # async fn run() -> Result<(), actor_net::NetError> {
/// let node = Node::start("127.0.0.1:5000".parse().unwrap(), ClusterKey::new("abc")).await?;
/// println!("listening on {}", node.local_addr());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Node {
    inner: Arc<NodeInner>,
}

/// What the node's clones share. Its tasks hold only the parts they use
/// (the exports, the peers) and the limits, so that the node ends when its
/// last clone is dropped.
struct NodeInner {
    config: NodeConfig,
    local_addr: SocketAddr,
    exports: Arc<Exports>,
    peers: Arc<Peers>,
}

impl Node {
    /// Starts a node on `addr` with the default [`NodeConfig`] and `key`.
    ///
    /// # Errors
    /// As [`NodeConfig::start`].
    pub async fn start(addr: SocketAddr, key: ClusterKey) -> Result<Node, NetError> {
        NodeConfig::new(key).start(addr).await
    }

    async fn start_with(addr: SocketAddr, config: NodeConfig) -> Result<Node, NetError> {
        let (server, client) = tls::configs(&config.tls, config.transport())?;
        let mut endpoint = quinn::Endpoint::server(server, addr)
            .map_err(|source| NetError::Bind { addr, source })?;
        endpoint.set_default_client_config(client);
        let local_addr = endpoint
            .local_addr()
            .map_err(|source| NetError::Bind { addr, source })?;
        let exports = Arc::new(Exports::default());
        let peers = Arc::new(Peers::new(
            endpoint,
            local_addr,
            tls::server_name(&config.tls).to_owned(),
            config.key.clone(),
            config.limits(),
            exports.clone(),
        ));
        tokio::spawn(accept::accept_loop(peers.clone()));
        let inner = Arc::new(NodeInner {
            config,
            local_addr,
            exports,
            peers,
        });
        tracing::info!(addr = %local_addr, "node started");
        if inner.config.key.is_weak() {
            tracing::warn!(
                "the cluster key is shorter than {} bytes: anyone who guesses it can join this cluster; make a strong one with ClusterKey::random_secret()",
                ClusterKey::STRONG_LEN
            );
        }
        Ok(Node { inner })
    }

    /// The address the node listens on (with the port picked, if 0 was given).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Exports `actor` under `name`: other nodes can now look it up with
    /// [`lookup`](Self::lookup). The export holds a strong reference, so the
    /// actor keeps running while exported.
    ///
    /// # Errors
    /// [`NetError::NameTaken`] if something is already exported under `name`.
    pub fn export<A: RemoteActor>(
        &self,
        name: impl Into<String>,
        actor: ActorRef<A>,
    ) -> Result<(), NetError> {
        self.export_dyn(name.into(), Arc::new(ActorExport::new(actor)))
    }

    /// Exports a fresh actor per remote reference: each lookup of `name`
    /// from another node gets its own session actor made by `make`, which
    /// ends when that reference's stream ends.
    ///
    /// Lookups are the ordinary [`lookup`](Self::lookup). The session actor
    /// is killed when its stream ends (the reference was dropped, its node
    /// died or lost the connection): a handler waiting on behalf of a peer
    /// that is gone is dropped at once, with whatever it held. That is what
    /// a session is for: state that belongs to one remote holder, such as a
    /// lock's guard or a lease on a work item, given back when the holder
    /// goes away. A reference that reconnects after a loss gets a fresh
    /// session. Clones of one reference share its session.
    ///
    /// ```no_run
    /// # use std::borrow::Cow;
    /// # use actor_core::{spawn, Actor, WireName};
    /// # use actor_core::remote::{Accepts, RemoteActor};
    /// # use actor_net::Node;
    /// # struct Session;
    /// # impl Actor for Session {}
    /// # impl WireName for Session { fn wire_name() -> Cow<'static, str> { "app.session".into() } }
    /// # impl RemoteActor for Session { fn accepts(_: &mut Accepts<Self>) {} }
    /// # fn run(node: &Node) -> Result<(), actor_net::NetError> {
    /// node.export_sessions("sessions", || spawn(Session))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`NetError::NameTaken`] if something is already exported under `name`.
    pub fn export_sessions<A: RemoteActor>(
        &self,
        name: impl Into<String>,
        make: impl Fn() -> ActorRef<A> + Send + Sync + 'static,
    ) -> Result<(), NetError> {
        self.export_dyn(name.into(), Arc::new(SessionExport::new(make)))
    }

    /// Exports `handle` under `name`, serving each remote handle to it with
    /// a session of its own ([`export_sessions`](Self::export_sessions)
    /// with the handle's [`Exportable::session`]). Other nodes reach it with
    /// [`lookup_handle`](Self::lookup_handle), and get the same type: a
    /// `Queue<T>` for a queue, a `Lock` for a lock.
    ///
    /// ```no_run
    /// # use actor_core::queue::Queue;
    /// # use actor_net::Node;
    /// # async fn run(server: &Node, client: &Node) -> Result<(), Box<dyn std::error::Error>> {
    /// server.export_handle("jobs", Queue::<u64>::bounded(100))?;
    ///
    /// // On another node:
    /// let jobs: Queue<u64> = client.lookup_handle(server.local_addr(), "jobs").await?;
    /// jobs.put(7).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`NetError::NameTaken`] if something is already exported under `name`.
    pub fn export_handle<H: Exportable>(
        &self,
        name: impl Into<String>,
        handle: H,
    ) -> Result<(), NetError> {
        self.export_sessions(name, move || handle.session())
    }

    fn export_dyn(&self, name: String, export: Arc<dyn Exported>) -> Result<(), NetError> {
        self.inner.exports.insert(name, export)
    }

    /// Removes the export `name`; false if there was none. Streams already
    /// open to it keep working; new lookups fail with [`NetError::NotExported`].
    pub fn unexport(&self, name: &str) -> bool {
        self.inner.exports.remove(name)
    }

    /// A reference to the actor exported as `name` by the node at `addr`.
    ///
    /// The reference is an ordinary [`ActorRef`], used exactly like a local
    /// one: `tell` (waiting while the remote side is behind, so memory stays
    /// flat), `ask` and `ask_timeout`, recipients, monitors and links. What
    /// differs is what the network adds, each documented in the crate
    /// documentation: only the messages the actor lists in
    /// [`RemoteActor::accepts`] cross; a lost connection fails the asks in
    /// flight, fires monitors and links with the reason, and is reopened
    /// (to the same name) on its own; `stop` and `kill` end the reference,
    /// not the remote actor.
    ///
    /// # Errors
    /// [`NetError::NotExported`], [`NetError::WrongType`], or the errors of
    /// connecting ([`NetError::Connect`], [`NetError::ClusterKeyMismatch`], ...).
    pub async fn lookup<A: RemoteActor>(
        &self,
        addr: SocketAddr,
        name: &str,
    ) -> Result<ActorRef<A>, NetError> {
        let (reference, proxy) = proxy::<A>(match A::mailbox_capacity() {
            MailboxCapacity::Bounded(n) => MailboxCapacity::Bounded(n.max(PROXY_CAPACITY)),
            other => other,
        });
        let (opened, first) = oneshot::channel();
        let target = forward::Target {
            addr,
            name: name.to_owned(),
            actor_type: A::wire_name().into_owned(),
        };
        tokio::spawn(forward::forward(
            self.inner.peers.clone(),
            self.inner.config.limits(),
            target,
            proxy,
            Arc::new(Accepts::<A>::of()),
            opened,
        ));
        match first.await {
            Ok(Ok(())) => Ok(reference),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(NetError::NodeClosed),
        }
    }

    /// A handle to what the node at `addr` exported as `name` with
    /// [`export_handle`](Self::export_handle): a `Queue<T>`, `WorkQueue<T>`,
    /// `Event` or `Lock` that works as a local one, over the network. Its
    /// session on the exporting node holds what it holds (work items it
    /// took, a lock it acquired) and gives it back when this handle's
    /// connection ends; see [`Exportable`].
    ///
    /// # Errors
    /// As [`lookup`](Self::lookup), with [`NetError::WrongType`] if the
    /// export is another tool or holds another item type (by its wire name);
    /// [`NetError::ConnectionLost`] if the first exchange with the session
    /// fails.
    pub async fn lookup_handle<H: Exportable>(
        &self,
        addr: SocketAddr,
        name: &str,
    ) -> Result<H, NetError> {
        let session = self.lookup::<H::Session>(addr, name).await?;
        H::from_session(session)
            .await
            .map_err(|error| NetError::ConnectionLost {
                addr,
                reason: error.to_string(),
            })
    }

    /// The nodes this node has a live connection to for its own requests,
    /// by address (sorted): those it dialed. Nodes that dialed this one are
    /// not listed; a connection being dialed is not either.
    pub fn peers(&self) -> Vec<SocketAddr> {
        self.inner.peers.connected()
    }

    /// See [`__testing::peer_entries`](crate::__testing::peer_entries).
    pub(crate) fn peer_entries(&self) -> usize {
        self.inner.peers.entries()
    }

    /// Connects to the node at `addr` now and proves the cluster key, rather
    /// than on first use: to learn early that a peer is down or has another
    /// key.
    ///
    /// # Errors
    /// [`NetError::Connect`], [`NetError::ClusterKeyMismatch`],
    /// [`NetError::Version`], [`NetError::Protocol`].
    pub async fn connect(&self, addr: SocketAddr) -> Result<(), NetError> {
        self.inner.peers.connection(addr).await.map(drop)
    }

    /// Closes every connection and stops listening. Remote references held
    /// here end with a failure; other nodes see this node's connection close
    /// at once.
    pub async fn shutdown(&self) {
        self.inner.exports.clear();
        let endpoint = self.inner.peers.endpoint();
        endpoint.close(CLOSE_SHUTDOWN.into(), b"node shut down");
        endpoint.wait_idle().await;
        tracing::info!(addr = %self.inner.local_addr, "node shut down");
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("addr", &self.inner.local_addr)
            .finish_non_exhaustive()
    }
}

impl Drop for NodeInner {
    fn drop(&mut self) {
        self.exports.clear();
        self.peers.close();
    }
}

impl NodeConfig {
    /// Starts a node listening on `addr` (port 0 picks a free port).
    ///
    /// # Errors
    /// [`NetError::Bind`] if the address is taken or not local;
    /// [`NetError::Tls`] if the TLS configuration is invalid.
    pub async fn start(self, addr: SocketAddr) -> Result<Node, NetError> {
        Node::start_with(addr, self).await
    }
}
