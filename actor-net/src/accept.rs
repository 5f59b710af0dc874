//! Accepting connections: the TLS handshake, then the cluster key proof,
//! then the connection is adopted by [`Peers`] and its streams served.
//!
//! A connection that fails either handshake is refused with a log line (the
//! handshake closes it with the code that says why); the others are
//! unaffected.

use std::sync::Arc;

use crate::auth;
use crate::peers::Peers;

/// Accepts connections until the endpoint closes.
pub(crate) async fn accept_loop(peers: Arc<Peers>) {
    let endpoint = peers.endpoint().clone();
    while let Some(incoming) = endpoint.accept().await {
        tokio::spawn(accept(peers.clone(), incoming));
    }
}

async fn accept(peers: Arc<Peers>, incoming: quinn::Incoming) {
    let peer = incoming.remote_address();
    let connection = match incoming.await {
        Ok(connection) => connection,
        Err(e) => {
            tracing::warn!(%peer, error = %e, "refused a connection: TLS handshake failed");
            return;
        }
    };
    let hello = match auth::authenticate_listener(
        &connection,
        peers.key(),
        Some(peers.local_addr()),
        peers.limits().handshake_timeout,
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
        peers.adopt(listen, &connection);
    }
    tracing::debug!(%peer, "accepted a connection");
    let serve = peers.serve(connection);
    // The connection's streams hold what they need; this task need not
    // keep the peers table alive.
    drop(peers);
    serve.await;
}
