//! The cluster key handshake over quinn: the stream it runs on, its
//! timeout, and the close codes that tell both ends the same story.
//!
//! The messages and their checks are [`crate::proto::handshake`]'s; this
//! module moves them over the one stream the dialer opens on a fresh
//! connection, and closes the connection as the outcome requires: a wrong key
//! with [`CLOSE_KEY_MISMATCH`], another version with [`CLOSE_VERSION`] (and
//! this node's version in the reason), anything else with
//! [`CLOSE_PROTOCOL`], so that both ends report the same clear error.

use std::net::SocketAddr;
use std::time::Duration;

use quinn::{
    ConnectionError, ReadError, ReadExactError, RecvStream, SendStream, VarInt, WriteError,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::NetError;
use crate::proto::handshake::{self, ClusterKey, Exporter, Proof, Welcome};
use crate::proto::wire::VERSION;
use crate::proto::{CLOSE_KEY_MISMATCH, CLOSE_PROTOCOL, CLOSE_VERSION};

/// What a peer told about itself during the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PeerHello {
    /// The address the peer's node listens on (None for a client-only peer).
    pub(crate) listen: Option<SocketAddr>,
}

/// Why the handshake failed, before it is turned into a [`NetError`] (and
/// the connection closed with the matching code).
#[derive(Debug)]
enum Failure {
    Handshake(handshake::Failure),
    Lost(ConnectionError),
}

impl From<handshake::Failure> for Failure {
    fn from(failure: handshake::Failure) -> Self {
        Failure::Handshake(failure)
    }
}

/// Runs the dialer's side of the handshake on a fresh connection.
pub(crate) async fn authenticate_dialer(
    conn: &quinn::Connection,
    key: &ClusterKey,
    listen: Option<SocketAddr>,
    timeout: Duration,
) -> Result<PeerHello, NetError> {
    bounded(conn, timeout, dial(conn, key, listen)).await
}

/// Runs the listener's side of the handshake on a freshly accepted
/// connection.
pub(crate) async fn authenticate_listener(
    conn: &quinn::Connection,
    key: &ClusterKey,
    listen: Option<SocketAddr>,
    timeout: Duration,
) -> Result<PeerHello, NetError> {
    bounded(conn, timeout, answer(conn, key, listen)).await
}

/// Runs one side of the handshake within `timeout`, so that a peer that
/// stalls cannot hold the connection (and this task) forever.
async fn bounded(
    conn: &quinn::Connection,
    timeout: Duration,
    side: impl std::future::Future<Output = Result<PeerHello, Failure>>,
) -> Result<PeerHello, NetError> {
    let late = || protocol(format!("the handshake did not complete within {timeout:?}"));
    let outcome = tokio::time::timeout(timeout, side).await;
    outcome
        .unwrap_or_else(|_| Err(late()))
        .map_err(|failure| fail(conn, failure))
}

async fn dial(
    conn: &quinn::Connection,
    key: &ClusterKey,
    listen: Option<SocketAddr>,
) -> Result<PeerHello, Failure> {
    let exporter = exporter(conn)?;
    let (dialing, hello) = handshake::hello(key, listen);
    let (mut send, mut recv) = conn.open_bi().await.map_err(Failure::Lost)?;
    write(&mut send, &hello, false).await?;
    let challenge: handshake::Challenge = read(&mut recv, true).await?;
    let proof = handshake::answer_challenge(dialing, &exporter, &challenge)?;
    write(&mut send, &proof, true).await?;
    let Welcome = read(&mut recv, false).await?;
    Ok(PeerHello {
        listen: challenge.listen,
    })
}

async fn answer(
    conn: &quinn::Connection,
    key: &ClusterKey,
    listen: Option<SocketAddr>,
) -> Result<PeerHello, Failure> {
    let exporter = exporter(conn)?;
    let (mut send, mut recv) = conn.accept_bi().await.map_err(Failure::Lost)?;
    let hello: handshake::Hello = read(&mut recv, true).await?;
    let (challenge, session) = handshake::challenge(key, &exporter, &hello, listen)?;
    write(&mut send, &challenge, false).await?;
    let proof: Proof = read(&mut recv, false).await?;
    handshake::check_proof(&session, &exporter, &proof)?;
    write(&mut send, &Welcome, true).await?;
    Ok(PeerHello {
        listen: hello.listen,
    })
}

/// Closes the connection as `failure` requires and says what happened.
fn fail(conn: &quinn::Connection, failure: Failure) -> NetError {
    let addr = conn.remote_address();
    let close = |code: u32, reason: &[u8]| conn.close(VarInt::from_u32(code), reason);
    let version = |theirs| NetError::Version {
        addr,
        ours: VERSION,
        theirs,
    };
    let mismatch = || {
        tracing::warn!(peer = %addr, "node {addr} holds a different cluster key; connection refused");
        NetError::ClusterKeyMismatch { addr }
    };
    let broken = |reason| NetError::Protocol { addr, reason };
    match failure {
        Failure::Handshake(handshake::Failure::KeyMismatch) => {
            close(CLOSE_KEY_MISMATCH, b"cluster key mismatch");
            mismatch()
        }
        Failure::Handshake(handshake::Failure::Version(theirs)) => {
            let reason = handshake::version_reason();
            close(CLOSE_VERSION, reason.as_bytes());
            version(theirs)
        }
        Failure::Handshake(handshake::Failure::Protocol(reason)) => {
            close(CLOSE_PROTOCOL, b"protocol error");
            broken(reason)
        }
        // The peer closed first: its close code says why, so that a wrong key
        // or version is reported as such at this end too.
        Failure::Lost(ConnectionError::ApplicationClosed(closed)) => {
            let theirs = handshake::parse_version_reason(&closed.reason);
            match (closed.error_code.into_inner(), theirs) {
                (code, _) if code == u64::from(CLOSE_KEY_MISMATCH) => mismatch(),
                (code, Some(theirs)) if code == u64::from(CLOSE_VERSION) => version(theirs),
                (code, _) if code == u64::from(CLOSE_PROTOCOL) => {
                    broken("the node refused this node's handshake as a protocol error".into())
                }
                _ => NetError::ConnectionLost {
                    addr,
                    reason: format!("closed during the cluster key handshake: {closed}"),
                },
            }
        }
        Failure::Lost(e) => NetError::ConnectionLost {
            addr,
            reason: format!("during the cluster key handshake: {e}"),
        },
    }
}

/// Keying material unique to this TLS session, the same at both ends.
fn exporter(conn: &quinn::Connection) -> Result<Exporter, Failure> {
    let mut out = [0; 32];
    conn.export_keying_material(&mut out, handshake::EXPORTER_LABEL, b"")
        .map_err(|_| protocol("the TLS session exports no keying material"))?;
    Ok(out)
}

/// Writes one message; the `last` one also finishes the stream.
async fn write<T: Serialize>(send: &mut SendStream, msg: &T, last: bool) -> Result<(), Failure> {
    let frame = handshake::encode(msg)?;
    let failed = |e| protocol(format!("the handshake stream failed: {e}"));
    send.write_all(&frame).await.map_err(|e| match e {
        WriteError::ConnectionLost(e) => Failure::Lost(e),
        e => failed(e.to_string()),
    })?;
    if last {
        send.finish().map_err(|e| failed(e.to_string()))?;
    }
    Ok(())
}

/// Reads one message (see [`handshake::decode`] for `versioned`).
async fn read<T: DeserializeOwned>(recv: &mut RecvStream, versioned: bool) -> Result<T, Failure> {
    let mut len = [0; 4];
    recv.read_exact(&mut len).await.map_err(read_failure)?;
    let mut body = vec![0; handshake::body_len(len)?];
    recv.read_exact(&mut body).await.map_err(read_failure)?;
    Ok(handshake::decode(&body, versioned)?)
}

fn read_failure(e: ReadExactError) -> Failure {
    match e {
        ReadExactError::ReadError(ReadError::ConnectionLost(e)) => Failure::Lost(e),
        ReadExactError::FinishedEarly(_) => {
            protocol("the handshake stream ended in the middle of a message")
        }
        ReadExactError::ReadError(e) => protocol(format!("the handshake stream failed: {e}")),
    }
}

fn protocol(reason: impl Into<String>) -> Failure {
    Failure::Handshake(handshake::protocol(reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::tests::{connect, endpoints};
    use crate::tls::{server_name, Tls};
    use quinn::{Connection, Endpoint};

    const TIMEOUT: Duration = Duration::from_secs(5);

    async fn pair() -> (Endpoint, Endpoint, Connection, Connection) {
        let (server, client) = endpoints(&Tls::SelfSigned, &Tls::SelfSigned);
        let (c, s) = connect(&server, &client, server_name(&Tls::SelfSigned)).await;
        (server, client, c.expect("dialer"), s.expect("listener"))
    }

    fn addr(port: u16) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// The name of the error variant, for terse assertions.
    fn error(outcome: &Result<PeerHello, NetError>) -> &'static str {
        match outcome {
            Ok(_) => "no error",
            Err(NetError::ClusterKeyMismatch { .. }) => "ClusterKeyMismatch",
            Err(NetError::Protocol { .. }) => "Protocol",
            Err(NetError::Version { .. }) => "Version",
            Err(_) => "another error",
        }
    }

    #[tokio::test]
    async fn same_key_admits_both_sides() {
        let (_server, _client, c, s) = pair().await;
        let key = ClusterKey::new("the secret");
        assert_eq!(
            format!("{key:?}"),
            "ClusterKey(..)",
            "Debug hides the secret"
        );
        let (dialer, listener) = tokio::join!(
            authenticate_dialer(&c, &key, addr(1111), TIMEOUT),
            authenticate_listener(&s, &key, addr(2222), TIMEOUT),
        );
        assert_eq!(dialer.expect("dialer").listen, addr(2222));
        assert_eq!(listener.expect("listener").listen, addr(1111));
        assert!(c.close_reason().is_none(), "the connection stays open");
    }

    #[tokio::test]
    async fn different_keys_fail_on_both_sides() {
        let (_server, _client, c, s) = pair().await;
        let (one, two) = (ClusterKey::new("one"), ClusterKey::new("two"));
        let (dialer, listener) = tokio::join!(
            authenticate_dialer(&c, &one, None, TIMEOUT),
            authenticate_listener(&s, &two, addr(2222), TIMEOUT),
        );
        assert_eq!(error(&dialer), "ClusterKeyMismatch", "{dialer:?}");
        assert_eq!(error(&listener), "ClusterKeyMismatch", "{listener:?}");
    }

    /// Sends `bytes` on a fresh stream; the listener's verdict, and the close
    /// code the sender saw.
    async fn listener_after(bytes: &[u8]) -> (Result<PeerHello, NetError>, Connection) {
        let (_server, _client, c, s) = pair().await;
        let key = ClusterKey::new("k");
        let peer = async {
            let (mut send, _recv) = c.open_bi().await.expect("stream");
            send.write_all(bytes).await.expect("write");
            // Wait for the verdict without ending the stream ourselves.
            c.closed().await
        };
        let (verdict, _) = tokio::join!(authenticate_listener(&s, &key, None, TIMEOUT), peer);
        (verdict, c)
    }

    fn close_code(c: &Connection) -> Option<u64> {
        match c.close_reason() {
            Some(ConnectionError::ApplicationClosed(a)) => Some(a.error_code.into_inner()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn garbage_is_a_protocol_error() {
        let huge = b"GET / HTTP/1.1\r\n\r\n";
        let undecodable = [5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff];
        let wrong_shape = [3, 0, 0, 0, VERSION as u8, 0xff, 0xff];
        for bytes in [&huge[..], &undecodable, &wrong_shape] {
            let (verdict, c) = listener_after(bytes).await;
            assert_eq!(error(&verdict), "Protocol", "{verdict:?}");
            assert_eq!(close_code(&c), Some(CLOSE_PROTOCOL.into()));
        }
    }

    #[tokio::test]
    async fn another_version_is_reported_as_such() {
        // A future version whose Hello has another shape after the version.
        let frame = [4, 0, 0, 0, 99, 0xff, 0xff, 0xff];
        let (verdict, c) = listener_after(&frame).await;
        let Err(NetError::Version { theirs, .. }) = verdict else {
            panic!("{verdict:?}")
        };
        assert_eq!(theirs, 99);
        assert_eq!(close_code(&c), Some(CLOSE_VERSION.into()));
        // The peer learns this node's version from the close reason.
        let seen = fail(&c, Failure::Lost(c.close_reason().expect("closed")));
        assert!(
            matches!(
                seen,
                NetError::Version {
                    theirs: VERSION,
                    ..
                }
            ),
            "{seen:?}"
        );
    }

    #[tokio::test]
    async fn silence_times_out() {
        let (_server, _client, _c, s) = pair().await;
        let started = std::time::Instant::now();
        let timeout = Duration::from_millis(300);
        let verdict = authenticate_listener(&s, &ClusterKey::new("k"), None, timeout).await;
        assert_eq!(error(&verdict), "Protocol", "{verdict:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn exporters_are_bound_to_the_session() {
        let (_s1, _c1, c1, s1) = pair().await;
        let (_s2, _c2, c2, s2) = pair().await;
        let (e1, e2) = (exporter(&c1).expect("e1"), exporter(&c2).expect("e2"));
        assert_eq!(e1, exporter(&s1).expect("both ends agree"));
        assert_eq!(e2, exporter(&s2).expect("both ends agree"));
        assert_ne!(e1, e2);
    }
}
