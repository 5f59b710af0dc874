//! The hand-over: what a parent process gives the child it starts to host
//! an actor, as one line on the child's stdin.
//!
//! Not the command line and not the environment: both are visible in
//! `/proc` to other processes of the same user, and the hand-over holds the
//! one-time key that admits the child to its parent. The line is
//! `actor-handover 1 ` followed by the hex of the postcard-encoded
//! [`Handover`], and a newline. The child reads at most
//! [`MAX_HANDOVER_LEN`] bytes of it, and checks what it can before it acts
//! on it: the parent is on loopback, the key is a strong one, the names are
//! of wire length.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::MAX_NAME_LEN;

/// What starts every hand-over line, with the format's version.
const PREFIX: &str = "actor-handover 1 ";

/// The longest hand-over line a child reads, newline included: room for
/// an actor's arguments of up to about 512 KiB (hex doubles them).
pub(crate) const MAX_HANDOVER_LEN: usize = 1024 * 1024 + 4096;

/// The shortest one-time key accepted: what `ClusterKey::random_secret()`
/// makes is longer.
const MIN_KEY_LEN: usize = 32;

/// What a child needs to host an actor for its parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Handover {
    /// The parent's process id: the child dies with it (`PR_SET_PDEATHSIG`,
    /// checked against `getppid()` to close the race with its exit).
    pub(crate) parent_pid: u32,
    /// The loopback node the parent started for this child, to dial.
    pub(crate) parent: SocketAddr,
    /// The one-time key that node admits, used as its cluster key.
    pub(crate) key: String,
    /// The child's id, which prefixes its output in the parent's.
    pub(crate) child: u64,
    /// The wire name of the actor type to host.
    pub(crate) actor: String,
    /// The actor's arguments, in postcard.
    pub(crate) args: Vec<u8>,
    /// The progress record the parent made for this child.
    pub(crate) progress: PathBuf,
}

/// Why a hand-over line was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum HandoverError {
    /// Stdin ended, or failed, before a whole line came.
    #[error("the hand-over line did not arrive whole ({reason}); a process-hosted child must be started by its parent, which writes it to the child's stdin")]
    Truncated {
        /// What ended the read.
        reason: String,
    },
    /// The line is longer than [`MAX_HANDOVER_LEN`].
    #[error("the hand-over line is longer than {MAX_HANDOVER_LEN} bytes; keep an actor's arguments under 512 KiB")]
    TooLong,
    /// The line is not a hand-over of this version.
    #[error("stdin does not start with a hand-over of version 1; start the child with the same build of the program as its parent")]
    NotAHandover,
    /// The line does not decode.
    #[error("the hand-over does not decode ({reason}); start the child with the same build of the program as its parent")]
    Malformed {
        /// What did not decode.
        reason: String,
    },
    /// It decodes, but a field is out of bounds.
    #[error("the hand-over is refused: {reason}")]
    Refused {
        /// Which check failed.
        reason: String,
    },
}

impl Handover {
    /// The line that hands this over, newline included.
    pub(crate) fn to_line(&self) -> String {
        let bytes = postcard::to_stdvec(self).expect("a hand-over always serialises");
        let mut line = String::with_capacity(PREFIX.len() + 2 * bytes.len() + 1);
        line.push_str(PREFIX);
        for byte in bytes {
            line.push(hex_digit(byte >> 4));
            line.push(hex_digit(byte & 0x0f));
        }
        line.push('\n');
        line
    }

    /// Reads one hand-over line from `input` (the child's stdin), never
    /// more than [`MAX_HANDOVER_LEN`] bytes, and checks it.
    ///
    /// # Errors
    /// A [`HandoverError`] saying what was wrong with the line.
    pub(crate) fn read(input: impl BufRead) -> Result<Handover, HandoverError> {
        let mut line = Vec::new();
        let limit = u64::try_from(MAX_HANDOVER_LEN).unwrap_or(u64::MAX);
        input
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(|e| HandoverError::Truncated {
                reason: e.to_string(),
            })?;
        if line.last() != Some(&b'\n') {
            return Err(if line.len() >= MAX_HANDOVER_LEN {
                HandoverError::TooLong
            } else {
                HandoverError::Truncated {
                    reason: format!("stdin ended after {} bytes", line.len()),
                }
            });
        }
        line.pop();
        Self::parse(&line)
    }

    /// Parses a hand-over line without its newline, and checks it.
    fn parse(line: &[u8]) -> Result<Handover, HandoverError> {
        let hex = line
            .strip_prefix(PREFIX.as_bytes())
            .ok_or(HandoverError::NotAHandover)?;
        let bytes = from_hex(hex).ok_or_else(|| HandoverError::Malformed {
            reason: "not hex".into(),
        })?;
        let handover: Handover =
            postcard::from_bytes(&bytes).map_err(|e| HandoverError::Malformed {
                reason: e.to_string(),
            })?;
        handover.check()?;
        Ok(handover)
    }

    fn check(&self) -> Result<(), HandoverError> {
        let refuse = |reason: String| Err(HandoverError::Refused { reason });
        if !self.parent.ip().is_loopback() {
            return refuse(format!(
                "the parent's address {} is not on loopback, and a child dials only its own machine",
                self.parent
            ));
        }
        if self.key.len() < MIN_KEY_LEN {
            return refuse(format!(
                "a one-time key of {} bytes is too short (at least {MIN_KEY_LEN})",
                self.key.len()
            ));
        }
        if self.actor.is_empty() || self.actor.len() > MAX_NAME_LEN {
            return refuse(format!(
                "an actor type name of {} bytes (1 to {MAX_NAME_LEN})",
                self.actor.len()
            ));
        }
        Ok(())
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble)])
}

fn from_hex(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    hex.chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Read;

    fn handover() -> Handover {
        Handover {
            parent_pid: 4242,
            parent: "127.0.0.1:40001".parse().expect("an address"),
            key: "k".repeat(MIN_KEY_LEN),
            child: 7,
            actor: "app.worker".into(),
            args: vec![1, 2, 3, 0xff],
            progress: "/dev/shm/actor-progress-abc".into(),
        }
    }

    #[test]
    fn a_hand_over_reads_back_as_written_and_nothing_after_its_line() {
        let sent = handover();
        let mut input = sent.to_line().into_bytes();
        input.extend_from_slice(b"what the child reads next\n");
        let mut reader = &input[..];
        assert_eq!(Handover::read(&mut reader), Ok(sent));
        assert_eq!(reader, b"what the child reads next\n");
    }

    #[test]
    fn a_line_that_is_not_a_whole_hand_over_is_refused() {
        let line = handover().to_line();
        let cut = &line.as_bytes()[..line.len() - 1];
        assert!(matches!(
            Handover::read(cut),
            Err(HandoverError::Truncated { .. })
        ));
        assert_eq!(
            Handover::read(&b"hello\n"[..]),
            Err(HandoverError::NotAHandover)
        );
        assert!(matches!(
            Handover::read(format!("{PREFIX}0g\n").as_bytes()),
            Err(HandoverError::Malformed { .. })
        ));
        assert!(matches!(
            Handover::read(format!("{PREFIX}abc\n").as_bytes()),
            Err(HandoverError::Malformed { .. })
        ));
        assert!(matches!(
            Handover::read(format!("{PREFIX}00\n").as_bytes()),
            Err(HandoverError::Malformed { .. })
        ));
    }

    #[test]
    fn an_endless_line_is_refused_after_the_limit() {
        // Reads through a counting reader: the child stops at the limit.
        struct Endless(usize);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                buf.fill(b'a');
                self.0 += buf.len();
                Ok(buf.len())
            }
        }
        let mut source = Endless(0);
        let reader = std::io::BufReader::new(&mut source);
        assert_eq!(Handover::read(reader), Err(HandoverError::TooLong));
        assert!(
            source.0 <= MAX_HANDOVER_LEN + 8192,
            "read {} bytes",
            source.0
        );
    }

    #[test]
    fn a_hand_over_out_of_bounds_is_refused() {
        let refused = |h: Handover| {
            matches!(
                Handover::read(h.to_line().as_bytes()),
                Err(HandoverError::Refused { .. })
            )
        };
        let mut far = handover();
        far.parent = "192.0.2.1:40001".parse().expect("an address");
        assert!(refused(far));
        let mut weak = handover();
        weak.key = "abc".into();
        assert!(refused(weak));
        let mut unnamed = handover();
        unnamed.actor = String::new();
        assert!(refused(unnamed));
        let mut long = handover();
        long.actor = "x".repeat(MAX_NAME_LEN + 1);
        assert!(refused(long));
    }

    proptest! {
        /// Whatever arrives on stdin, reading it returns, without a panic.
        #[test]
        fn any_input_is_read_or_refused(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Handover::read(&input[..]);
            let mut line = PREFIX.as_bytes().to_vec();
            line.extend(input.iter().map(|b| b"0123456789abcdef"[usize::from(b % 16)]));
            line.push(b'\n');
            let _ = Handover::read(&line[..]);
        }
    }
}
