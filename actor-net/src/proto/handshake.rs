//! The cluster key handshake's messages and checks, sans IO: how two nodes
//! prove to each other that they hold the same [`ClusterKey`], without
//! letting anyone who does not test guesses of it offline.
//!
//! Right after a QUIC connection is up, the dialer opens one stream and both
//! ends run SPAKE2 (a password-authenticated key exchange, the `spake2`
//! crate, symmetric mode) with the cluster key as the password: each sends
//! one message, and both derive the same session key if and only if they
//! hold the same cluster key. Neither message reveals anything to test a
//! guess against: a stranger who wants to try a key must run a handshake per
//! guess, against a live node that rate-limits failures. Each side then
//! proves it derived the session key with an HMAC over keying material
//! exported from this very TLS session, which both ends of one session share
//! and no other session has: a proof is worthless anywhere else, so an
//! eavesdropper cannot replay it and a man in the middle, who necessarily
//! runs two TLS sessions, cannot relay it. The listener proves first, so a
//! dialer that reached the wrong cluster learns it before sending anything
//! that depends on the key.
//!
//! The steps: [`Hello`] (dialer, its SPAKE2 message), [`Challenge`]
//! (listener, its SPAKE2 message and proof), [`Proof`] (dialer),
//! [`Welcome`] (listener). This module builds and checks them given the
//! exporter bytes; `auth` runs them over quinn.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use spake2::{Ed25519Group, Identity, Password, Spake2};

use super::wire::VERSION;

/// The secret every node of a cluster is started with (Python's `authkey`,
/// done right): never sent, and never open to offline guessing.
///
/// Anyone who knows or guesses the key can join the cluster, so make it
/// long and random: [`ClusterKey::random_secret`] makes one to store and
/// give to every node. A node warns at start when its key is shorter than
/// [`ClusterKey::STRONG_LEN`] bytes.
#[derive(Clone)]
pub struct ClusterKey(Arc<[u8]>);

impl ClusterKey {
    /// The fewest bytes of secret a node accepts without a warning.
    pub const STRONG_LEN: usize = 16;

    /// A key from a secret of any length (see [`random_secret`](Self::random_secret)
    /// for a strong one).
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self(Arc::from(secret.as_ref()))
    }

    /// A fresh secret of 32 random bytes, as 64 hexadecimal characters: keep
    /// it (a file, an environment variable, a secret store) and start every
    /// node of the cluster with `ClusterKey::new(&secret)`.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn random_secret() -> String {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random generator works");
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether the secret is shorter than [`STRONG_LEN`](Self::STRONG_LEN).
    pub fn is_weak(&self) -> bool {
        self.0.len() < Self::STRONG_LEN
    }
}

impl fmt::Debug for ClusterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClusterKey(..)")
    }
}

/// Largest handshake message; the real ones are far smaller, and the cap
/// keeps a peer from making this node allocate on its say-so.
pub(crate) const MAX_MESSAGE: u32 = 1024;
/// The close reason for a version mismatch, followed by this node's version,
/// which lets the peer report both versions.
pub(crate) const VERSION_REASON: &str = "wire format version ";
/// Exporter label; fixed by the protocol, so both ends derive the same bytes.
pub(crate) const EXPORTER_LABEL: &[u8] = b"EXPORTER-actor-net-cluster-key";
/// The identity both ends give SPAKE2 (symmetric mode: the same on both).
const SPAKE_IDENTITY: &[u8] = b"actor-net cluster key v2";
/// Distinct labels for the two proofs, so one side's proof can never be
/// reflected back as the other's.
const LISTENER_LABEL: &[u8] = b"actor-net listener";
const DIALER_LABEL: &[u8] = b"actor-net dialer";

pub(crate) type Tag = [u8; 32];
/// Keying material exported from the TLS session.
pub(crate) type Exporter = [u8; 32];

/// Step 1, dialer to listener: who the dialer is, and its SPAKE2 message.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Hello {
    pub version: u16,
    pub listen: Option<SocketAddr>,
    pub pake: Vec<u8>,
}

/// Step 2: the listener's SPAKE2 message, and its proof of the session key.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Challenge {
    pub version: u16,
    pub listen: Option<SocketAddr>,
    pub pake: Vec<u8>,
    pub proof: Tag,
}

/// Step 3: the dialer's proof of the session key.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Proof {
    pub proof: Tag,
}

/// Step 4: the dialer is admitted.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Welcome;

/// Why the handshake failed, as far as the protocol can tell (a lost
/// connection is the driver's business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    Protocol(String),
    /// The peer's version.
    Version(u16),
    KeyMismatch,
}

pub(crate) fn protocol(reason: impl Into<String>) -> Failure {
    Failure::Protocol(reason.into())
}

/// The dialer's half-done exchange, kept between its two messages.
pub(crate) struct Dialing(Spake2<Ed25519Group>);

impl fmt::Debug for Dialing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Dialing(..)")
    }
}

fn start(key: &ClusterKey) -> (Spake2<Ed25519Group>, Vec<u8>) {
    Spake2::<Ed25519Group>::start_symmetric(
        &Password::new(&key.0[..]),
        &Identity::new(SPAKE_IDENTITY),
    )
}

/// The session key, from one's own exchange and the peer's message. A
/// message that is not a SPAKE2 message is a protocol error; a wrong key
/// shows only later, as proofs that do not match.
fn finish(exchange: Spake2<Ed25519Group>, theirs: &[u8]) -> Result<hmac::Key, Failure> {
    let session = exchange
        .finish(theirs)
        .map_err(|e| protocol(format!("the peer's key exchange message is invalid: {e:?}")))?;
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &session))
}

/// The dialer's first message, and what it keeps for the second.
pub(crate) fn hello(key: &ClusterKey, listen: Option<SocketAddr>) -> (Dialing, Hello) {
    let (exchange, pake) = start(key);
    let hello = Hello {
        version: VERSION,
        listen,
        pake,
    };
    (Dialing(exchange), hello)
}

/// The listener's answer to `hello`: its own SPAKE2 message and its proof;
/// and the session key, to check the dialer's proof with.
pub(crate) fn challenge(
    key: &ClusterKey,
    exporter: &Exporter,
    hello: &Hello,
    listen: Option<SocketAddr>,
) -> Result<(Challenge, SessionKey), Failure> {
    let (exchange, pake) = start(key);
    let session = finish(exchange, &hello.pake)?;
    let challenge = Challenge {
        version: VERSION,
        listen,
        pake,
        proof: sign(&session, &message(LISTENER_LABEL, exporter)),
    };
    Ok((challenge, SessionKey(session)))
}

/// The session key a listener checks the dialer's proof with.
pub(crate) struct SessionKey(hmac::Key);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

/// The dialer checks the listener's proof, and proves the session key in
/// turn.
pub(crate) fn answer_challenge(
    dialing: Dialing,
    exporter: &Exporter,
    challenge: &Challenge,
) -> Result<Proof, Failure> {
    let session = finish(dialing.0, &challenge.pake)?;
    verify(
        &session,
        &message(LISTENER_LABEL, exporter),
        &challenge.proof,
    )?;
    Ok(Proof {
        proof: sign(&session, &message(DIALER_LABEL, exporter)),
    })
}

/// The listener checks the dialer's proof.
pub(crate) fn check_proof(
    session: &SessionKey,
    exporter: &Exporter,
    proof: &Proof,
) -> Result<(), Failure> {
    verify(&session.0, &message(DIALER_LABEL, exporter), &proof.proof)
}

fn message(label: &[u8], exporter: &Exporter) -> Vec<u8> {
    // The exporter has a fixed length, so the concatenation is unambiguous.
    [label, exporter].concat()
}

fn sign(key: &hmac::Key, message: &[u8]) -> Tag {
    let mut tag = [0; 32];
    tag.copy_from_slice(hmac::sign(key, message).as_ref());
    tag
}

fn verify(key: &hmac::Key, message: &[u8], tag: &Tag) -> Result<(), Failure> {
    // Constant time, so the comparison leaks nothing about the right tag.
    hmac::verify(key, message, tag).map_err(|_| Failure::KeyMismatch)
}

/// One message as a frame: its length, then its postcard body.
pub(crate) fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, Failure> {
    let body = postcard::to_stdvec(msg)
        .map_err(|e| protocol(format!("could not encode a handshake message: {e}")))?;
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    Ok([&len.to_le_bytes()[..], &body].concat())
}

/// The body length a message's prefix announces, if within the cap.
pub(crate) fn body_len(prefix: [u8; 4]) -> Result<usize, Failure> {
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
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], versioned: bool) -> Result<T, Failure> {
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
pub(crate) fn version_reason() -> String {
    format!("{VERSION_REASON}{VERSION}")
}

/// The peer's version, from the close reason it sent.
pub(crate) fn parse_version_reason(reason: &[u8]) -> Option<u16> {
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
        let (dialing, hello) = hello(dialer, None);
        let hello: Hello = decode(&encode(&hello).expect("encodes")[4..], true).expect("decodes");
        let (challenge, session) = challenge(listener, le, &hello, None).expect("a challenge");
        let proof = match answer_challenge(dialing, de, &challenge) {
            Ok(proof) => proof,
            Err(e) => return (Err(e), Ok(())),
        };
        (Ok(()), check_proof(&session, le, &proof))
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
    fn a_dialer_that_forges_the_listeners_proof_is_refused() {
        let key = ClusterKey::new("same key");
        let (dialing, hello) = hello(&key, None);
        let (mut challenge, _) = challenge(&key, &E1, &hello, None).expect("a challenge");
        challenge.proof[0] ^= 1;
        assert_eq!(
            answer_challenge(dialing, &E1, &challenge).map(drop),
            Err(Failure::KeyMismatch)
        );
    }

    #[test]
    fn the_listener_gives_a_stranger_nothing_fixed_to_test_guesses_against() {
        // The same hello answered twice: the listener's messages and proofs
        // differ each time (a fresh secret per exchange), and its proof
        // depends on the session key, which a stranger that did not run
        // SPAKE2 with the right key cannot derive. With the earlier HMAC
        // handshake, the proof for a nonce the stranger chose was fixed by
        // the key alone: one connection gave an offline oracle.
        let key = ClusterKey::new("abc");
        let (_, hello) = hello(&ClusterKey::new("a guess"), None);
        let (first, _) = challenge(&key, &E1, &hello, None).expect("a challenge");
        let (second, _) = challenge(&key, &E1, &hello, None).expect("a challenge");
        assert_ne!(first.pake, second.pake);
        assert_ne!(first.proof, second.proof);
    }

    #[test]
    fn a_message_that_is_not_a_key_exchange_is_a_protocol_error() {
        let key = ClusterKey::new("k");
        let hello = Hello {
            version: VERSION,
            listen: None,
            pake: vec![0; 3],
        };
        assert!(matches!(
            challenge(&key, &E1, &hello, None).map(drop),
            Err(Failure::Protocol(_))
        ));
    }

    #[test]
    fn keys_say_when_they_are_weak_and_random_ones_are_strong() {
        assert!(ClusterKey::new("abc").is_weak());
        let secret = ClusterKey::random_secret();
        assert_eq!(secret.len(), 64);
        assert_ne!(secret, ClusterKey::random_secret());
        assert!(!ClusterKey::new(&secret).is_weak());
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
