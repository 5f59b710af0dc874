//! One authenticated connection per peer node that this node reaches:
//! dialed on first use, reused while it lives, dialed again after a loss.
//! A connection a peer opened to this node is not among them (see
//! `accept`): the address a peer claims is never trusted for outgoing
//! traffic.
//!
//! Every connection this node dials also carries the peer's streams to this
//! node's exports, so [`Peers`] hands each one to `incoming` once it is
//! authenticated.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::auth;
use crate::config::Limits;
use crate::error::NetError;
use crate::export::Exports;
use crate::incoming;
use crate::proto::handshake::ClusterKey;
use crate::proto::CLOSE_SHUTDOWN;

/// The slot of one peer: its connection, if any; locked while dialing so
/// that concurrent first uses dial once.
type Slot = Arc<tokio::sync::Mutex<Option<quinn::Connection>>>;

/// The connections to peer nodes, by the address each listens on.
pub(crate) struct Peers {
    endpoint: quinn::Endpoint,
    local_addr: SocketAddr,
    server_name: String,
    key: ClusterKey,
    limits: Limits,
    /// Where a dialed connection's incoming streams go.
    exports: Arc<Exports>,
    slots: Mutex<HashMap<SocketAddr, Slot>>,
    /// The node was dropped: references stop reconnecting.
    closed: AtomicBool,
}

impl Peers {
    pub(crate) fn new(
        endpoint: quinn::Endpoint,
        local_addr: SocketAddr,
        server_name: String,
        key: ClusterKey,
        limits: Limits,
        exports: Arc<Exports>,
    ) -> Self {
        Peers {
            endpoint,
            local_addr,
            server_name,
            key,
            limits,
            exports,
            slots: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn endpoint(&self) -> &quinn::Endpoint {
        &self.endpoint
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub(crate) fn key(&self) -> &ClusterKey {
        &self.key
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Closes every connection for good: the node is gone.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.endpoint
            .close(CLOSE_SHUTDOWN.into(), b"node shut down");
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// The authenticated connection to the node at `addr`, dialing it if
    /// there is none yet or the last one was lost.
    pub(crate) async fn connection(&self, addr: SocketAddr) -> Result<quinn::Connection, NetError> {
        let slot = self.slot(addr);
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

    async fn dial(&self, addr: SocketAddr) -> Result<quinn::Connection, NetError> {
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
            &self.key,
            Some(self.local_addr),
            self.limits.handshake_timeout,
        )
        .await?;
        self.limits.authenticated(&connection);
        tracing::debug!(peer = %addr, "connected");
        tokio::spawn(self.serve(connection.clone()));
        Ok(connection)
    }

    /// The peers this node holds a live connection to, by the address each
    /// listens on.
    pub(crate) fn connected(&self) -> Vec<SocketAddr> {
        let slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut connected: Vec<SocketAddr> = slots
            .iter()
            .filter(|(_, slot)| {
                slot.try_lock()
                    .is_ok_and(|c| c.as_ref().is_some_and(|c| c.close_reason().is_none()))
            })
            .map(|(addr, _)| *addr)
            .collect();
        connected.sort_unstable();
        connected
    }

    /// How many peers the table holds an entry for, live or not.
    pub(crate) fn entries(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Serves the peer's streams on an authenticated `connection`, until
    /// it closes.
    pub(crate) fn serve(
        &self,
        connection: quinn::Connection,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        incoming::serve_connection(self.exports.clone(), self.limits, connection)
    }

    fn slot(&self, addr: SocketAddr) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.entry(addr).or_default().clone()
    }
}
