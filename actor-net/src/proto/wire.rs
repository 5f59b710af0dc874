//! The wire format: what the frames of a stream say, in postcard.
//!
//! A node reaches a remote actor through one bidirectional stream per remote
//! reference. The stream's first frame is an [`Open`] naming the export and the
//! type the caller expects; the answer is [`Response::Opened`] or
//! [`Response::Refused`]. Then the caller sends [`Request`]s and the export
//! answers with [`Response`]s, in order.
//!
//! A message's frame is a small header followed directly by the message
//! itself, both postcard: `Tell { ty }` + the value. `ty` is a number the
//! sender gave the message type's wire name once, with a `Declare`, so
//! that a small message costs a few bytes of header rather than its name.
//! The format version is checked when two nodes connect (`auth`), and again in
//! every [`Open`].

use actor_core::StopReason;
use serde::{Deserialize, Serialize};

/// The version of this wire format. Nodes of different versions refuse
/// each other with a clear error rather than misread each other. Version 2:
/// the cluster key handshake is a password-authenticated key exchange.
pub(crate) const VERSION: u16 = 2;

/// The first frame of a stream: which export, expected as which type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Open {
    /// The caller's wire format version.
    pub version: u16,
    /// The name the export is looked up by.
    pub name: String,
    /// The wire name of the actor type the caller expects.
    pub actor_type: String,
}

/// Why an export refused a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Nothing is exported under that name.
    NotExported,
    /// The export is of another actor type.
    WrongType {
        /// The exported actor type's wire name.
        exported: String,
    },
    /// The caller speaks another wire format version.
    Version {
        /// The exporting node's version.
        ours: u16,
    },
}

/// A frame from a remote reference to the export it opened.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Request<'a> {
    /// From now on, `ty` stands for the message type named `name`.
    Declare { ty: u32, name: &'a str },
    /// A told message of type `ty` follows.
    Tell { ty: u32 },
    /// An asked message of type `ty` follows; its answer carries `id`.
    Ask { ty: u32, id: u64 },
}

/// A frame from an export back to the remote reference.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Response<'a> {
    /// The stream is open: requests are delivered.
    Opened,
    /// The stream is refused, and closed.
    Refused(Refusal),
    /// The reply to ask `id` follows.
    Reply { id: u64 },
    /// Ask `id` failed.
    Failed { id: u64, reason: WireReason },
    /// The actor does not accept messages of type `ty` from the network:
    /// messages of that type are dropped (asks fail).
    Unknown { ty: u32, name: &'a str },
    /// The actor ended; the stream closes after this frame.
    Ended { reason: WireReason },
}

/// A [`StopReason`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireReason {
    Normal,
    Shutdown,
    Killed,
    Failed(String),
    ExitStatus(i32),
    Signal(i32),
}

impl From<&StopReason> for WireReason {
    fn from(reason: &StopReason) -> Self {
        match reason {
            StopReason::Normal => WireReason::Normal,
            StopReason::Shutdown => WireReason::Shutdown,
            StopReason::Killed => WireReason::Killed,
            StopReason::ExitStatus(code) => WireReason::ExitStatus(*code),
            StopReason::Signal(number) => WireReason::Signal(*number),
            StopReason::Failed(text) => WireReason::Failed(text.to_string()),
            // A reason added to the core later travels as its description.
            other => WireReason::Failed(other.to_string()),
        }
    }
}

impl From<WireReason> for StopReason {
    fn from(reason: WireReason) -> Self {
        match reason {
            WireReason::Normal => StopReason::Normal,
            WireReason::Shutdown => StopReason::Shutdown,
            WireReason::Killed => StopReason::Killed,
            WireReason::ExitStatus(code) => StopReason::ExitStatus(code),
            WireReason::Signal(number) => StopReason::Signal(number),
            WireReason::Failed(text) => StopReason::failed(text),
        }
    }
}

pub(crate) use actor_core::remote::accepts::append;

/// Appends the header of a told (`ask: None`) or asked message of type
/// `ty`: the bytes `append` gives for [`Request::Tell`] or
/// [`Request::Ask`], written by hand because a remote reference writes one
/// per message and serde's path costs more than the message itself.
pub(crate) fn append_message_header(ty: u32, ask: Option<u64>, out: &mut Vec<u8>) {
    // Postcard writes an enum's variant index, then its fields, as varints.
    match ask {
        None => {
            out.push(1);
            append_varint(u64::from(ty), out);
        }
        Some(id) => {
            out.push(2);
            append_varint(u64::from(ty), out);
            append_varint(id, out);
        }
    }
}

/// The header of a tell of a type numbered below 128 (one byte each for
/// the variant and the number: the usual frame) and the payload after it,
/// read without serde; `None` for anything else, which postcard reads.
#[inline]
pub(crate) fn take_small_tell(frame: &[u8]) -> Option<(Request<'_>, &[u8])> {
    match frame {
        [1, ty, payload @ ..] if *ty < 0x80 => {
            Some((Request::Tell { ty: u32::from(*ty) }, payload))
        }
        _ => None,
    }
}

/// Postcard's unsigned varint: seven bits a byte, low bits first.
#[inline]
fn append_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tell_header_is_two_bytes_for_the_first_types() {
        let mut out = Vec::new();
        append(&Request::Tell { ty: 3 }, &mut out).expect("encodes");
        assert_eq!(out.len(), 2);
        let (decoded, rest) = postcard::take_from_bytes::<Request>(&out).expect("decodes");
        assert!(matches!(decoded, Request::Tell { ty: 3 }));
        assert!(rest.is_empty());
    }

    #[test]
    fn a_hand_written_message_header_is_postcards() {
        let numbers = [
            0,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        for &ty in &numbers {
            let ty = u32::try_from(ty).unwrap_or(u32::MAX);
            for ask in std::iter::once(None).chain(numbers.iter().map(|&id| Some(id))) {
                let mut ours = Vec::new();
                append_message_header(ty, ask, &mut ours);
                let header = match ask {
                    None => Request::Tell { ty },
                    Some(id) => Request::Ask { ty, id },
                };
                let mut theirs = Vec::new();
                append(&header, &mut theirs).expect("encodes");
                assert_eq!(ours, theirs, "{header:?}");
            }
        }
    }

    #[test]
    fn a_small_tell_reads_as_postcard_reads_it() {
        for frame in [
            &[1u8, 0][..],
            &[1, 5, 9, 9],
            &[1, 0x7f, 1],
            &[1, 0x80, 1, 7],
            &[1],
            &[2, 3, 4, 5],
            &[0, 1, 1, b'a'],
            &[9, 9],
        ] {
            let ours = take_small_tell(frame);
            let theirs = postcard::take_from_bytes::<Request>(frame).ok();
            match ours {
                Some(told) => assert_eq!(Some(told), theirs, "{frame:?}"),
                // Left to postcard: anything but a one-byte tell.
                None => assert!(!matches!(theirs, Some((Request::Tell { ty }, _)) if ty < 0x80)),
            }
        }
    }

    #[test]
    fn stop_reasons_survive_the_wire() {
        for reason in [
            StopReason::Normal,
            StopReason::Shutdown,
            StopReason::Killed,
            StopReason::ExitStatus(3),
            StopReason::Signal(9),
            StopReason::failed("boom"),
        ] {
            assert_eq!(StopReason::from(WireReason::from(&reason)), reason);
        }
    }
}
