//! The cluster key handshake: how two nodes prove to each other that they
//! belong to the same cluster.
//!
//! Every node of a cluster is started with the same [`ClusterKey`]. Right
//! after a QUIC connection is up, the dialer opens one stream and both ends
//! prove they hold the key, without sending it: each answers the other's
//! random nonce with an HMAC over the nonce and keying material exported from
//! this very TLS session. Both ends of one session derive the same exporter
//! and no other session does, so a proof is worthless anywhere else: an
//! eavesdropper cannot replay it and a man in the middle, who necessarily runs
//! two TLS sessions, cannot relay it. The listener proves first, so a dialer
//! that reached the wrong cluster learns it before sending anything that
//! depends on the key. A wrong key closes the connection with
//! [`CLOSE_KEY_MISMATCH`], so that both ends report the same clear error.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use quinn::{ConnectionError, ReadError, ReadExactError, RecvStream, SendStream, VarInt, WriteError};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::NetError;

/// The secret every node of a cluster is started with (Python's `authkey`,
/// done right): never sent, only proven.
#[derive(Clone)]
pub struct ClusterKey(hmac::Key);

impl ClusterKey {
    /// A key from a secret of any length; use at least 32 random bytes, since
    /// anyone who guesses it can join the cluster.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref()))
    }
}

impl fmt::Debug for ClusterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClusterKey(..)")
    }
}

/// What a peer told about itself during the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PeerHello {
    /// The address the peer's node listens on (None for a client-only peer).
    pub(crate) listen: Option<SocketAddr>,
}

/// Wire format version, checked here.
pub(crate) const VERSION: u16 = 1;

/// Application close code: the cluster keys differ.
pub(crate) const CLOSE_KEY_MISMATCH: u32 = 0x4b;
/// Application close code: the peer broke the protocol.
pub(crate) const CLOSE_PROTOCOL: u32 = 0x50;
/// Application close code: the wire format versions differ.
pub(crate) const CLOSE_VERSION: u32 = 0x56;
/// Application close code: the node shuts down.
pub(crate) const CLOSE_SHUTDOWN: u32 = 0x53;

/// Largest handshake message; the real ones are far smaller, and the cap
/// keeps a peer from making this node allocate on its say-so.
const MAX_MESSAGE: u32 = 1024;
/// The close reason for a version mismatch, followed by this node's version,
/// which lets the peer report both versions.
const VERSION_REASON: &str = "wire format version ";
/// Exporter label; fixed by the protocol, so both ends derive the same bytes.
const EXPORTER_LABEL: &[u8] = b"EXPORTER-actor-net-cluster-key";
/// Distinct labels for the two proofs, so one side's proof can never be
/// reflected back as the other's.
const LISTENER_LABEL: &[u8] = b"actor-net listener";
const DIALER_LABEL: &[u8] = b"actor-net dialer";

type Nonce = [u8; 32];
type Tag = [u8; 32];

#[derive(Serialize, Deserialize)]
struct Hello {
    version: u16,
    listen: Option<SocketAddr>,
    nonce: Nonce,
}

#[derive(Serialize, Deserialize)]
struct Challenge {
    version: u16,
    listen: Option<SocketAddr>,
    nonce: Nonce,
    proof: Tag,
}

#[derive(Serialize, Deserialize)]
struct Proof {
    proof: Tag,
}

#[derive(Serialize, Deserialize)]
struct Welcome;

/// Why the handshake failed, before it is turned into a [`NetError`] (and
/// the connection closed with the matching code).
#[derive(Debug)]
enum Failure {
    Protocol(String),
    /// The peer's version.
    Version(u16),
    KeyMismatch,
    Lost(ConnectionError),
    TimedOut(Duration),
}

/// Runs the dialer's side of the handshake on a fresh connection.
pub(crate) async fn authenticate_dialer(
    conn: &quinn::Connection,
    key: &ClusterKey,
    listen: Option<SocketAddr>,
    timeout: Duration,
) -> Result<PeerHello, NetError> {
    let run = tokio::time::timeout(timeout, dial(conn, key, listen));
    let outcome = run.await.unwrap_or(Err(Failure::TimedOut(timeout)));
    outcome.map_err(|failure| fail(conn, failure))
}

/// Runs the listener's side of the handshake on a freshly accepted
/// connection.
pub(crate) async fn authenticate_listener(
    conn: &quinn::Connection,
    key: &ClusterKey,
    listen: Option<SocketAddr>,
    timeout: Duration,
) -> Result<PeerHello, NetError> {
    let run = tokio::time::timeout(timeout, answer(conn, key, listen));
    let outcome = run.await.unwrap_or(Err(Failure::TimedOut(timeout)));
    outcome.map_err(|failure| fail(conn, failure))
}

async fn dial(
    conn: &quinn::Connection,
    key: &ClusterKey,
    listen: Option<SocketAddr>,
) -> Result<PeerHello, Failure> {
    let exporter = exporter(conn)?;
    let nonce = nonce()?;
    let (mut send, mut recv) = conn.open_bi().await.map_err(Failure::Lost)?;
    let hello = Hello {
        version: VERSION,
        listen,
        nonce,
    };
    write(&mut send, &hello).await?;
    let frame = read_frame(&mut recv).await?;
    check_version(&frame)?;
    let challenge: Challenge = decode(&frame)?;
    verify(key, LISTENER_LABEL, &exporter, &nonce, &challenge.proof)?;
    let proof = sign(key, DIALER_LABEL, &exporter, &challenge.nonce);
    write(&mut send, &Proof { proof }).await?;
    finish(&mut send)?;
    let Welcome = decode(&read_frame(&mut recv).await?)?;
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
    let frame = read_frame(&mut recv).await?;
    check_version(&frame)?;
    let hello: Hello = decode(&frame)?;
    let nonce = nonce()?;
    let challenge = Challenge {
        version: VERSION,
        listen,
        nonce,
        proof: sign(key, LISTENER_LABEL, &exporter, &hello.nonce),
    };
    write(&mut send, &challenge).await?;
    let Proof { proof } = decode(&read_frame(&mut recv).await?)?;
    verify(key, DIALER_LABEL, &exporter, &nonce, &proof)?;
    write(&mut send, &Welcome).await?;
    finish(&mut send)?;
    Ok(PeerHello {
        listen: hello.listen,
    })
}

/// Closes the connection as `failure` requires and says what happened.
fn fail(conn: &quinn::Connection, failure: Failure) -> NetError {
    let addr = conn.remote_address();
    let close = |code: u32, reason: &[u8]| conn.close(VarInt::from_u32(code), reason);
    let mismatch = || {
        tracing::warn!(peer = %addr, "node {addr} holds a different cluster key; connection refused");
        NetError::ClusterKeyMismatch { addr }
    };
    match failure {
        Failure::KeyMismatch => {
            close(CLOSE_KEY_MISMATCH, b"cluster key mismatch");
            mismatch()
        }
        Failure::Version(theirs) => {
            close(CLOSE_VERSION, format!("{VERSION_REASON}{VERSION}").as_bytes());
            NetError::Version {
                addr,
                ours: VERSION,
                theirs,
            }
        }
        Failure::Protocol(reason) => {
            close(CLOSE_PROTOCOL, b"protocol error");
            NetError::Protocol { addr, reason }
        }
        Failure::TimedOut(timeout) => {
            close(CLOSE_PROTOCOL, b"handshake timed out");
            let reason = format!("the cluster key handshake did not complete within {timeout:?}");
            NetError::Protocol { addr, reason }
        }
        Failure::Lost(ConnectionError::ApplicationClosed(closed)) => {
            let theirs = std::str::from_utf8(&closed.reason)
                .ok()
                .and_then(|r| r.strip_prefix(VERSION_REASON))
                .and_then(|v| v.parse().ok());
            match (closed.error_code.into_inner(), theirs) {
                (code, _) if code == u64::from(CLOSE_KEY_MISMATCH) => mismatch(),
                (code, Some(theirs)) if code == u64::from(CLOSE_VERSION) => NetError::Version {
                    addr,
                    ours: VERSION,
                    theirs,
                },
                (code, _) if code == u64::from(CLOSE_PROTOCOL) => NetError::Protocol {
                    addr,
                    reason: "the node refused this node's handshake as a protocol error".into(),
                },
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
fn exporter(conn: &quinn::Connection) -> Result<[u8; 32], Failure> {
    let mut out = [0; 32];
    conn.export_keying_material(&mut out, EXPORTER_LABEL, b"")
        .map_err(|_| Failure::Protocol("the TLS session exports no keying material".into()))?;
    Ok(out)
}

fn nonce() -> Result<Nonce, Failure> {
    let mut nonce = [0; 32];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| Failure::Protocol("the system random generator failed".into()))?;
    Ok(nonce)
}

fn message(label: &[u8], exporter: &[u8; 32], nonce: &Nonce) -> Vec<u8> {
    // Exporter and nonce have fixed lengths, so the concatenation is
    // unambiguous.
    [label, exporter, nonce].concat()
}

fn sign(key: &ClusterKey, label: &[u8], exporter: &[u8; 32], nonce: &Nonce) -> Tag {
    let mut tag = [0; 32];
    tag.copy_from_slice(hmac::sign(&key.0, &message(label, exporter, nonce)).as_ref());
    tag
}

fn verify(
    key: &ClusterKey,
    label: &[u8],
    exporter: &[u8; 32],
    nonce: &Nonce,
    tag: &Tag,
) -> Result<(), Failure> {
    // Constant time, so the comparison leaks nothing about the right tag.
    hmac::verify(&key.0, &message(label, exporter, nonce), tag).map_err(|_| Failure::KeyMismatch)
}

async fn write<T: Serialize>(send: &mut SendStream, msg: &T) -> Result<(), Failure> {
    let body = postcard::to_stdvec(msg)
        .map_err(|e| Failure::Protocol(format!("could not encode a handshake message: {e}")))?;
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let frame = [&len.to_le_bytes()[..], &body].concat();
    send.write_all(&frame).await.map_err(|e| match e {
        WriteError::ConnectionLost(e) => Failure::Lost(e),
        e => Failure::Protocol(format!("the handshake stream failed: {e}")),
    })
}

fn finish(send: &mut SendStream) -> Result<(), Failure> {
    send.finish()
        .map_err(|e| Failure::Protocol(format!("the handshake stream failed: {e}")))
}

async fn read_frame(recv: &mut RecvStream) -> Result<Vec<u8>, Failure> {
    let mut len = [0; 4];
    recv.read_exact(&mut len).await.map_err(read_failure)?;
    let len = u32::from_le_bytes(len);
    if len > MAX_MESSAGE {
        let reason = format!("a handshake message of {len} bytes (the limit is {MAX_MESSAGE})");
        return Err(Failure::Protocol(reason));
    }
    let mut body = vec![0; len as usize];
    recv.read_exact(&mut body).await.map_err(read_failure)?;
    Ok(body)
}

fn read_failure(e: ReadExactError) -> Failure {
    match e {
        ReadExactError::ReadError(ReadError::ConnectionLost(e)) => Failure::Lost(e),
        ReadExactError::FinishedEarly(_) => {
            Failure::Protocol("the handshake stream ended in the middle of a message".into())
        }
        ReadExactError::ReadError(e) => Failure::Protocol(format!("the handshake stream failed: {e}")),
    }
}

/// Looks at the version alone first, so that a peer of another version is
/// reported as such even when the rest of its message has another shape.
fn check_version(frame: &[u8]) -> Result<(), Failure> {
    let (theirs, _) = postcard::take_from_bytes::<u16>(frame)
        .map_err(|e| Failure::Protocol(format!("a handshake message does not decode: {e}")))?;
    if theirs == VERSION {
        Ok(())
    } else {
        Err(Failure::Version(theirs))
    }
}

fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T, Failure> {
    match postcard::take_from_bytes(frame) {
        Ok((msg, [])) => Ok(msg),
        Ok(_) => Err(Failure::Protocol("trailing bytes after a handshake message".into())),
        Err(e) => Err(Failure::Protocol(format!("a handshake message does not decode: {e}"))),
    }
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
        (server, client, c.expect("dialer side"), s.expect("listener side"))
    }

    fn addr(port: u16) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    #[test]
    fn debug_hides_the_secret() {
        assert_eq!(format!("{:?}", ClusterKey::new("hunter2")), "ClusterKey(..)");
    }

    #[tokio::test]
    async fn same_key_admits_both_sides() {
        let (_server, _client, c, s) = pair().await;
        let key = ClusterKey::new("the secret");
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
        let (dialer, listener) = tokio::join!(
            authenticate_dialer(&c, &ClusterKey::new("one"), None, TIMEOUT),
            authenticate_listener(&s, &ClusterKey::new("two"), addr(2222), TIMEOUT),
        );
        assert!(matches!(dialer, Err(NetError::ClusterKeyMismatch { .. })), "{dialer:?}");
        assert!(matches!(listener, Err(NetError::ClusterKeyMismatch { .. })), "{listener:?}");
    }

    /// Sends `bytes` on a fresh stream and returns the listener's verdict.
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

    #[tokio::test]
    async fn garbage_is_a_protocol_error() {
        let mut wrong_shape = vec![3, 0, 0, 0];
        wrong_shape.extend([VERSION as u8, 0xff, 0xff]);
        for bytes in [&b"GET / HTTP/1.1\r\n\r\n"[..], &[5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff], &wrong_shape] {
            let (verdict, c) = listener_after(bytes).await;
            assert!(matches!(verdict, Err(NetError::Protocol { .. })), "{verdict:?}");
            let expected = VarInt::from_u32(CLOSE_PROTOCOL);
            assert!(
                matches!(c.close_reason(), Some(ConnectionError::ApplicationClosed(a)) if a.error_code == expected)
            );
        }
    }

    #[tokio::test]
    async fn another_version_is_reported_as_such() {
        let hello = Hello {
            version: 99,
            listen: None,
            nonce: [0; 32],
        };
        let body = postcard::to_stdvec(&hello).expect("encode");
        let frame = [&(body.len() as u32).to_le_bytes()[..], &body].concat();
        let (verdict, c) = listener_after(&frame).await;
        assert!(matches!(verdict, Err(NetError::Version { ours: VERSION, theirs: 99, .. })), "{verdict:?}");
        // The peer learns our version from the close reason.
        let failure = Failure::Lost(c.close_reason().expect("closed"));
        assert!(matches!(fail(&c, failure), NetError::Version { theirs: VERSION, .. }));
    }

    #[tokio::test]
    async fn silence_times_out() {
        let (_server, _client, _c, s) = pair().await;
        let started = std::time::Instant::now();
        let timeout = Duration::from_millis(300);
        let verdict = authenticate_listener(&s, &ClusterKey::new("k"), None, timeout).await;
        assert!(matches!(verdict, Err(NetError::Protocol { .. })), "{verdict:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn proofs_are_bound_to_the_session() {
        let (_s1, _c1, c1, s1) = pair().await;
        let (_s2, _c2, c2, s2) = pair().await;
        let (e1, e2) = (exporter(&c1).expect("e1"), exporter(&c2).expect("e2"));
        assert_eq!(e1, exporter(&s1).expect("both ends agree"));
        assert_eq!(e2, exporter(&s2).expect("both ends agree"));
        assert_ne!(e1, e2);
        let key = ClusterKey::new("same key");
        let nonce = [7; 32];
        assert_ne!(
            sign(&key, LISTENER_LABEL, &e1, &nonce),
            sign(&key, LISTENER_LABEL, &e2, &nonce)
        );
        assert_ne!(
            sign(&key, LISTENER_LABEL, &e1, &nonce),
            sign(&key, DIALER_LABEL, &e1, &nonce)
        );
    }
}
