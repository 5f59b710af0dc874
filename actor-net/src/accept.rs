//! Accepting connections: the source address proved by a QUIC Retry,
//! admission (see `admission`), the TLS handshake, then the cluster key
//! proof, both within the handshake timeout; then the connection gets what
//! an authenticated peer is allowed, and its streams are served.
//!
//! An accepted connection only serves the peer's streams to this node's
//! exports. It is never used to reach the peer's exports, even though the
//! peer says where it listens: that is a claim, and a key holder could claim
//! another node's address to receive the lookups meant for it. To reach a
//! node, this node dials its address itself ([`Peers`]).
//!
//! A connection that fails either handshake is refused with a log line (the
//! handshake closes it with the code that says why); the others are
//! unaffected.

use std::sync::Arc;

use crate::admission::{Admission, Ticket};
use crate::auth;
use crate::error::NetError;
use crate::peers::Peers;

/// Accepts connections until the endpoint closes.
pub(crate) async fn accept_loop(peers: Arc<Peers>) {
    let endpoint = peers.endpoint().clone();
    let admission = Admission::new(&peers.limits());
    while let Some(incoming) = endpoint.accept().await {
        let peer = incoming.remote_address();
        // Every source proves its address first: a Retry costs no state
        // here, and only a source that receives it can come back, so a flood
        // of Initials from spoofed addresses never reaches a handshake.
        if !incoming.remote_address_validated() {
            if let Err(e) = incoming.retry() {
                e.into_incoming().refuse();
            }
            continue;
        }
        match admission.admit(peer.ip()) {
            Ok(ticket) => {
                tokio::spawn(accept(peers.clone(), incoming, ticket));
            }
            Err(turned) => {
                tracing::warn!(%peer, reason = %turned, "refused a connection");
                incoming.refuse();
            }
        }
    }
}

async fn accept(peers: Arc<Peers>, incoming: quinn::Incoming, mut ticket: Ticket) {
    let peer = incoming.remote_address();
    let limits = peers.limits();
    let handshakes = async {
        let connection = incoming.await.map_err(|e| {
            tracing::warn!(%peer, error = %e, "refused a connection: TLS handshake failed");
        })?;
        // The key proof has a bound of its own; the TLS handshake's is the
        // one below, shared with it.
        let hello = auth::authenticate_listener(
            &connection,
            peers.key(),
            Some(peers.local_addr()),
            limits.handshake_timeout,
        )
        .await
        .map_err(|e| {
            if matches!(e, NetError::ClusterKeyMismatch { .. }) {
                ticket.key_refused();
            }
            tracing::warn!(%peer, error = %e, "refused a connection");
        })?;
        Ok::<_, ()>((connection, hello))
    };
    let Ok(Ok((connection, _hello))) = tokio::time::timeout(limits.handshake_timeout, handshakes)
        .await
        .map_err(|_| {
            tracing::warn!(%peer, timeout = ?limits.handshake_timeout, "refused a connection: its handshakes did not complete in time");
        })
    else {
        // Dropping an unfinished `Connecting` abandons it.
        return;
    };
    ticket.handshake_done();
    limits.authenticated(&connection);
    tracing::debug!(%peer, "accepted a connection");
    let serve = peers.serve(connection);
    // The connection's streams hold what they need; this task need not
    // keep the peers table alive.
    drop(peers);
    serve.await;
    drop(ticket);
}
