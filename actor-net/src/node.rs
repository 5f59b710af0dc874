//! [`Node`]: one process's place in a cluster.
//!
//! A node owns one QUIC endpoint, which both listens and dials. It keeps one
//! authenticated connection per peer node, opened lazily on first use and
//! reopened after a loss; a connection a peer opened to us serves our
//! requests to that peer too. On a connection, each remote reference is one
//! bidirectional stream to one export. The node's exports are a table of
//! names to actors ([`Node::export`]); [`Node::lookup`] opens a stream to a
//! name on another node and hands back an ordinary [`ActorRef`] whose
//! messages are forwarded on it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};

use actor_core::remote::proxy;
use actor_core::{ActorRef, MailboxCapacity};
use tokio::sync::oneshot;

use crate::auth::{self, ClusterKey};
use crate::config::NodeConfig;
use crate::error::NetError;
use crate::export::{ActorExport, Exported};
use crate::forward;
use crate::remote_actor::{Accepts, RemoteActor};
use crate::serve;
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

/// What the node's clones and tasks share.
pub(crate) struct NodeInner {
    pub(crate) config: NodeConfig,
    endpoint: quinn::Endpoint,
    local_addr: SocketAddr,
    server_name: String,
    exports: Mutex<HashMap<String, Arc<dyn Exported>>>,
    peers: Mutex<HashMap<SocketAddr, Arc<tokio::sync::Mutex<Option<quinn::Connection>>>>>,
}

impl Node {
    /// Starts a node on `addr` with the default [`NodeConfig`] and `key`.
    ///
    /// # Errors
    /// As [`NodeConfig::start`].
    pub async fn start(addr: SocketAddr, key: ClusterKey) -> Result<Node, NetError> {
        NodeConfig::new(key).start(addr).await
    }

    pub(crate) async fn start_with(addr: SocketAddr, config: NodeConfig) -> Result<Node, NetError> {
        let (server, client) = tls::configs(&config.tls, config.transport())?;
        let mut endpoint = quinn::Endpoint::server(server, addr)
            .map_err(|source| NetError::Bind { addr, source })?;
        endpoint.set_default_client_config(client);
        let local_addr = endpoint
            .local_addr()
            .map_err(|source| NetError::Bind { addr, source })?;
        let inner = Arc::new(NodeInner {
            server_name: tls::server_name(&config.tls).to_owned(),
            config,
            endpoint: endpoint.clone(),
            local_addr,
            exports: Mutex::new(HashMap::new()),
            peers: Mutex::new(HashMap::new()),
        });
        tokio::spawn(accept_loop(endpoint, Arc::downgrade(&inner)));
        tracing::info!(addr = %local_addr, "node started");
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

    pub(crate) fn export_dyn(
        &self,
        name: String,
        export: Arc<dyn Exported>,
    ) -> Result<(), NetError> {
        let mut exports = lock(&self.inner.exports);
        if exports.contains_key(&name) {
            return Err(NetError::NameTaken { name });
        }
        exports.insert(name, export);
        Ok(())
    }

    /// Removes the export `name`; false if there was none. Streams already
    /// open to it keep working; new lookups fail with [`NetError::NotExported`].
    pub fn unexport(&self, name: &str) -> bool {
        let removed = lock(&self.inner.exports).remove(name);
        removed.is_some()
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
            node: Arc::downgrade(&self.inner),
            addr,
            name: name.to_owned(),
            actor_type: A::wire_name().into_owned(),
        };
        tokio::spawn(forward::forward(
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

    /// Connects to the node at `addr` now and proves the cluster key, rather
    /// than on first use: to learn early that a peer is down or has another
    /// key.
    ///
    /// # Errors
    /// [`NetError::Connect`], [`NetError::ClusterKeyMismatch`],
    /// [`NetError::Version`], [`NetError::Protocol`].
    pub async fn connect(&self, addr: SocketAddr) -> Result<(), NetError> {
        self.inner.connection(addr).await.map(drop)
    }

    /// Closes every connection and stops listening. Remote references held
    /// here end with a failure; other nodes see this node's connection close
    /// at once.
    pub async fn shutdown(&self) {
        lock(&self.inner.exports).clear();
        self.inner
            .endpoint
            .close(auth::CLOSE_SHUTDOWN.into(), b"node shut down");
        self.inner.endpoint.wait_idle().await;
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
        self.endpoint
            .close(auth::CLOSE_SHUTDOWN.into(), b"node shut down");
    }
}

impl NodeInner {
    pub(crate) fn export(&self, name: &str) -> Option<Arc<dyn Exported>> {
        lock(&self.exports).get(name).cloned()
    }

    /// The authenticated connection to the node at `addr`, dialing it if
    /// there is none yet or the last one was lost.
    pub(crate) async fn connection(
        self: &Arc<Self>,
        addr: SocketAddr,
    ) -> Result<quinn::Connection, NetError> {
        let slot = lock(&self.peers).entry(addr).or_default().clone();
        let mut current = slot.lock().await;
        if let Some(connection) = &*current {
            if connection.close_reason().is_none() {
                return Ok(connection.clone());
            }
        }
        let connection = self.dial(addr).await?;
        *current = Some(connection.clone());
        Ok(connection)
    }

    async fn dial(self: &Arc<Self>, addr: SocketAddr) -> Result<quinn::Connection, NetError> {
        let connecting = self
            .endpoint
            .connect(addr, &self.server_name)
            .map_err(|e| match e {
                quinn::ConnectError::EndpointStopping => NetError::NodeClosed,
                other => NetError::Connect {
                    addr,
                    reason: other.to_string(),
                },
            })?;
        let connection = connecting.await.map_err(|e| NetError::Connect {
            addr,
            reason: e.to_string(),
        })?;
        auth::authenticate_dialer(
            &connection,
            &self.config.key,
            Some(self.local_addr),
            self.config.handshake_timeout,
        )
        .await?;
        tracing::debug!(peer = %addr, "connected");
        tokio::spawn(serve::serve_connection(
            Arc::downgrade(self),
            connection.clone(),
        ));
        Ok(connection)
    }

    /// Keeps a connection a peer opened, to reach that peer's exports
    /// through it, unless a live one is already kept.
    fn adopt(&self, listen: SocketAddr, connection: &quinn::Connection) {
        let slot = lock(&self.peers).entry(listen).or_default().clone();
        if let Ok(mut current) = slot.try_lock() {
            if current.as_ref().is_none_or(|c| c.close_reason().is_some()) {
                *current = Some(connection.clone());
            }
        };
    }
}

/// Accepts connections until the endpoint closes.
async fn accept_loop(endpoint: quinn::Endpoint, node: Weak<NodeInner>) {
    while let Some(incoming) = endpoint.accept().await {
        let node = node.clone();
        tokio::spawn(async move {
            let peer = incoming.remote_address();
            let connection = match incoming.await {
                Ok(connection) => connection,
                Err(e) => {
                    tracing::warn!(%peer, error = %e, "refused a connection: TLS handshake failed");
                    return;
                }
            };
            let Some(inner) = node.upgrade() else { return };
            let hello = match auth::authenticate_listener(
                &connection,
                &inner.config.key,
                Some(inner.local_addr),
                inner.config.handshake_timeout,
            )
            .await
            {
                Ok(hello) => hello,
                Err(e) => {
                    tracing::warn!(%peer, error = %e, "refused a connection");
                    return;
                }
            };
            if let Some(listen) = hello.listen {
                inner.adopt(listen, &connection);
            }
            drop(inner);
            tracing::debug!(%peer, "accepted a connection");
            serve::serve_connection(node, connection).await;
        });
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked:
/// every critical section here is a single map operation.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
