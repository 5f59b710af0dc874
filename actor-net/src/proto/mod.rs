//! The protocol between nodes, sans IO: what the bytes of a stream mean,
//! with no sockets, tasks or clocks in sight.
//!
//! Everything here is plain data and synchronous code, in the manner of
//! quinn-proto: the machines are fed the bytes of a stream as they arrive
//! (any chunking), report what they mean as events, and append what is to be
//! sent to a buffer. The quinn-facing modules (`serve`, `forward`, `auth`)
//! only move bytes between QUIC streams and these machines, so that every
//! protocol rule can be tested (and fuzzed) without a network.
//!
//! - [`frame`]: length-prefixed frames with a size limit.
//! - [`wire`]: the postcard messages inside frames, and the format version.
//! - [`handshake`]: the cluster key proof exchanged on a new connection.
//! - [`export`]: the export side of a stream (an `Open`, then requests in,
//!   answers out).
//! - [`caller`]: the calling side of a stream (requests out, answers in).
//! - [`handover`]: the line a parent writes to the stdin of a child process
//!   that is to host an actor.

pub(crate) mod caller;
pub(crate) mod export;
pub(crate) mod frame;
pub(crate) mod handover;
pub(crate) mod handshake;
pub(crate) mod wire;

#[cfg(test)]
mod props;

use std::fmt;

pub(crate) use frame::FrameError;

/// Application close code: the cluster keys differ.
pub(crate) const CLOSE_KEY_MISMATCH: u32 = 0x4b;
/// Application close code: the peer broke the protocol.
pub(crate) const CLOSE_PROTOCOL: u32 = 0x50;
/// Application close code: the wire format versions differ.
pub(crate) const CLOSE_VERSION: u32 = 0x56;
/// Application close code: the node shuts down.
pub(crate) const CLOSE_SHUTDOWN: u32 = 0x53;

/// How a peer broke the protocol of a stream. The driver closes the peer's
/// connection with `CLOSE_PROTOCOL` (0x50) (a peer that does this is broken or
/// hostile, and nothing else it sends can be trusted either).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The framing itself: a frame over the limit, or cut short.
    Frame(FrameError),
    /// A frame that does not decode or comes out of turn.
    Protocol(String),
}

impl Violation {
    pub(crate) fn protocol(reason: impl Into<String>) -> Self {
        Violation::Protocol(reason.into())
    }
}

/// The longest name a peer may send: an export's name, an actor type's or a
/// message type's wire name. Wire names are short; the limit keeps a peer
/// from making this node hold (and log) long strings on its say-so.
pub(crate) const MAX_NAME_LEN: usize = 256;

/// How much of a string a peer sent a log line shows.
const SHOWN: usize = 64;

/// `text`, a string a peer sent, as a log line may show it: its first
/// [`SHOWN`] bytes (cut at a character boundary), and its length if cut.
pub(crate) fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= SHOWN {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}... ({} bytes)", &text[..end], text.len()))
}

/// Refuses a name a peer sent that is over [`MAX_NAME_LEN`].
pub(crate) fn check_name(what: &str, name: &str) -> Result<(), Violation> {
    if name.len() > MAX_NAME_LEN {
        return Err(Violation::protocol(format!(
            "{what} of {} bytes (limit {MAX_NAME_LEN}): {}",
            name.len(),
            shown(name)
        )));
    }
    Ok(())
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Frame(e) => write!(f, "{e}"),
            Violation::Protocol(reason) => f.write_str(reason),
        }
    }
}

impl From<FrameError> for Violation {
    fn from(e: FrameError) -> Self {
        Violation::Frame(e)
    }
}
