//! The cluster key handshake's messages and checks, sans IO: how two nodes
//! prove to each other that they hold the same [`ClusterKey`].
//!
//! Right after a QUIC connection is up, the dialer opens one stream and both
//! ends prove they hold the key, without sending it: each answers the other's
//! random nonce with an HMAC over the nonce and keying material exported from
//! this very TLS session. Both ends of one session derive the same exporter
//! and no other session does, so a proof is worthless anywhere else: an
//! eavesdropper cannot replay it and a man in the middle, who necessarily runs
//! two TLS sessions, cannot relay it. The listener proves first, so a dialer
//! that reached the wrong cluster learns it before sending anything that
//! depends on the key.
//!
//! The steps: [`Hello`] (dialer), [`Challenge`] (listener, with its proof),
//! [`Proof`] (dialer), [`Welcome`] (listener). This module builds and checks
//! them given the exporter bytes and the nonces; `auth` runs them over quinn.

use std::fmt;
use std::net::SocketAddr;

use ring::hmac;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::wire::VERSION;

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

/// Largest handshake message; the real ones are far smaller, and the cap
/// keeps a peer from making this node allocate on its say-so.
pub const MAX_MESSAGE: u32 = 1024;
/// The close reason for a version mismatch, followed by this node's version,
/// which lets the peer report both versions.
pub const VERSION_REASON: &str = "wire format version ";
/// Exporter label; fixed by the protocol, so both ends derive the same bytes.
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-actor-net-cluster-key";
/// Distinct labels for the two proofs, so one side's proof can never be
/// reflected back as the other's.
const LISTENER_LABEL: &[u8] = b"actor-net listener";
const DIALER_LABEL: &[u8] = b"actor-net dialer";

pub type Nonce = [u8; 32];
pub type Tag = [u8; 32];
/// Keying material exported from the TLS session.
pub type Exporter = [u8; 32];

/// Step 1, dialer to listener: who the dialer is, and its challenge.
#[derive(Debug, Serialize, Deserialize)]
pub struct Hello {
    pub version: u16,
    pub listen: Option<SocketAddr>,
    pub nonce: Nonce,
}

/// Step 2: the listener's proof for the dialer's nonce, and its challenge.
#[derive(Debug, Serialize, Deserialize)]
pub struct Challenge {
    pub version: u16,
    pub listen: Option<SocketAddr>,
    pub nonce: Nonce,
    pub proof: Tag,
}

/// Step 3: the dialer's proof for the listener's nonce.
#[derive(Debug, Serialize, Deserialize)]
pub struct Proof {
    pub proof: Tag,
}

/// Step 4: the dialer is admitted.
#[derive(Debug, Serialize, Deserialize)]
pub struct Welcome;

/// Why the handshake failed, as far as the protocol can tell (a lost
/// connection is the driver's business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Protocol(String),
    /// The peer's version.
    Version(u16),
    KeyMismatch,
}

pub(crate) fn protocol(reason: impl Into<String>) -> Failure {
    Failure::Protocol(reason.into())
}

/// The dialer's first message.
pub fn hello(listen: Option<SocketAddr>, nonce: Nonce) -> Hello {
    Hello {
        version: VERSION,
        listen,
        nonce,
    }
}

/// The listener's answer to `hello`: its proof, and its own challenge
/// `nonce`.
pub fn challenge(
    key: &ClusterKey,
    exporter: &Exporter,
    hello: &Hello,
    listen: Option<SocketAddr>,
    nonce: Nonce,
) -> Challenge {
    Challenge {
        version: VERSION,
        listen,
        nonce,
        proof: sign(key, &message(LISTENER_LABEL, exporter, &hello.nonce)),
    }
}

/// The dialer checks the listener's proof for its `nonce`, and proves the
/// key in turn.
pub fn answer_challenge(
    key: &ClusterKey,
    exporter: &Exporter,
    nonce: &Nonce,
    challenge: &Challenge,
) -> Result<Proof, Failure> {
    verify(
        key,
        &message(LISTENER_LABEL, exporter, nonce),
        &challenge.proof,
    )?;
    Ok(Proof {
        proof: sign(key, &message(DIALER_LABEL, exporter, &challenge.nonce)),
    })
}

/// The listener checks the dialer's proof for its `nonce`.
pub fn check_proof(
    key: &ClusterKey,
    exporter: &Exporter,
    nonce: &Nonce,
    proof: &Proof,
) -> Result<(), Failure> {
    verify(key, &message(DIALER_LABEL, exporter, nonce), &proof.proof)
}

fn message(label: &[u8], exporter: &Exporter, nonce: &Nonce) -> Vec<u8> {
    // Exporter and nonce have fixed lengths, so the concatenation is
    // unambiguous.
    [label, exporter, nonce].concat()
}

fn sign(key: &ClusterKey, message: &[u8]) -> Tag {
    let mut tag = [0; 32];
    tag.copy_from_slice(hmac::sign(&key.0, message).as_ref());
    tag
}

fn verify(key: &ClusterKey, message: &[u8], tag: &Tag) -> Result<(), Failure> {
    // Constant time, so the comparison leaks nothing about the right tag.
    hmac::verify(&key.0, message, tag).map_err(|_| Failure::KeyMismatch)
}

/// One message as a frame: its length, then its postcard body.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, Failure> {
    let body = postcard::to_stdvec(msg)
        .map_err(|e| protocol(format!("could not encode a handshake message: {e}")))?;
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    Ok([&len.to_le_bytes()[..], &body].concat())
}

/// The body length a message's prefix announces, if within the cap.
pub fn body_len(prefix: [u8; 4]) -> Result<usize, Failure> {
    let len = u32::from_le_bytes(prefix);
    if len > MAX_MESSAGE {
        return Err(protocol(format!(
            "a {len}-byte handshake message (limit {MAX_MESSAGE})"
        )));
    }
    // Under MAX_MESSAGE, so it fits.
    Ok(usize::try_from(len).unwrap_or(usize::MAX))
}

/// Decodes one message's body; `versioned` ones start with the version,
/// which is checked alone first, so that a peer of another version is
/// reported as such even when the rest of its message has another shape.
pub fn decode<T: DeserializeOwned>(body: &[u8], versioned: bool) -> Result<T, Failure> {
    let undecodable = |e| protocol(format!("a handshake message does not decode: {e}"));
    if versioned {
        let (theirs, _) = postcard::take_from_bytes::<u16>(body).map_err(undecodable)?;
        if theirs != VERSION {
            return Err(Failure::Version(theirs));
        }
    }
    match postcard::take_from_bytes(body) {
        Ok((msg, [])) => Ok(msg),
        Ok(_) => Err(protocol("trailing bytes after a handshake message")),
        Err(e) => Err(undecodable(e)),
    }
}

/// The close reason that tells a peer this node's version.
pub fn version_reason() -> String {
    format!("{VERSION_REASON}{VERSION}")
}

/// The peer's version, from the close reason it sent.
pub fn parse_version_reason(reason: &[u8]) -> Option<u16> {
    std::str::from_utf8(reason)
        .ok()?
        .strip_prefix(VERSION_REASON)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const E1: Exporter = [1; 32];
    const E2: Exporter = [2; 32];

    /// Both sides' messages in order, with keys `dialer` and `listener`
    /// and exporters `de` and `le`: the dialer's and the listener's verdict.
    fn run(
        dialer: &ClusterKey,
        listener: &ClusterKey,
        de: &Exporter,
        le: &Exporter,
    ) -> (Result<(), Failure>, Result<(), Failure>) {
        let (dn, ln) = ([3; 32], [4; 32]);
        let hello: Hello =
            decode(&encode(&hello(None, dn)).expect("encodes")[4..], true).expect("decodes");
        let challenge = challenge(listener, le, &hello, None, ln);
        let proof = match answer_challenge(dialer, de, &dn, &challenge) {
            Ok(proof) => proof,
            Err(e) => return (Err(e), Ok(())),
        };
        (Ok(()), check_proof(listener, le, &ln, &proof))
    }

    #[test]
    fn same_key_and_session_admits_both_sides() {
        let key = ClusterKey::new("k");
        assert_eq!(run(&key, &key, &E1, &E1), (Ok(()), Ok(())));
        assert_eq!(
            format!("{key:?}"),
            "ClusterKey(..)",
            "Debug hides the secret"
        );
    }

    #[test]
    fn another_key_or_session_is_a_mismatch() {
        let (one, two) = (ClusterKey::new("one"), ClusterKey::new("two"));
        assert_eq!(run(&one, &two, &E1, &E1).0, Err(Failure::KeyMismatch));
        // A relayed proof: each side of a man in the middle has its own session.
        assert_eq!(run(&one, &one, &E1, &E2).0, Err(Failure::KeyMismatch));
    }

    #[test]
    fn proofs_are_bound_to_session_and_side() {
        let (key, nonce) = (ClusterKey::new("same key"), [7; 32]);
        let proof = sign(&key, &message(LISTENER_LABEL, &E1, &nonce));
        assert_ne!(proof, sign(&key, &message(LISTENER_LABEL, &E2, &nonce)));
        assert_ne!(proof, sign(&key, &message(DIALER_LABEL, &E1, &nonce)));
    }

    #[test]
    fn bad_messages_are_refused() {
        assert!(matches!(body_len([0xff; 4]), Err(Failure::Protocol(_))));
        assert_eq!(body_len([4, 0, 0, 0]), Ok(4));
        // Another version, whatever follows.
        assert_eq!(
            decode::<Hello>(&[99, 0xff, 0xff], true).map(drop),
            Err(Failure::Version(99))
        );
        assert!(matches!(
            decode::<Hello>(&[VERSION as u8, 0xff, 0xff], true),
            Err(Failure::Protocol(_))
        ));
        assert!(matches!(
            decode::<Welcome>(&[0], false),
            Err(Failure::Protocol(why)) if why.contains("trailing")
        ));
        assert_eq!(
            parse_version_reason(version_reason().as_bytes()),
            Some(VERSION)
        );
        assert_eq!(parse_version_reason(b"protocol error"), None);
    }
}
