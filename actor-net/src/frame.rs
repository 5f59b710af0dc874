//! Frames: how messages are cut out of a QUIC stream.
//!
//! A stream carries frames, each a 4-byte little-endian length and that many
//! bytes of body. Every frame has a size limit, checked on both sides: a
//! writer refuses to produce a frame over the limit, and a reader refuses the
//! length before it buffers a single byte of the body, so a peer cannot make
//! a node allocate more than the limit. Writers append many frames to one
//! buffer and send it with one write: that is what makes a remote mailbox
//! fast (one `write_all` per frame costs ten times more, see BENCHMARKS.md).

use bytes::{Buf, BytesMut};

/// The default limit on one frame's body: 1 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 1 << 20;

/// Bytes of the length prefix.
const PREFIX: usize = 4;

/// How much a reader asks the stream for at once.
const READ_CHUNK: usize = 64 * 1024;

/// Why a stream's frames could not be read.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// A frame announced more bytes than the limit.
    TooLarge { len: usize, max: usize },
    /// The stream ended in the middle of a frame.
    Truncated,
    /// The stream failed (reset, or its connection was lost).
    Read(quinn::ReadError),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::TooLarge { len, max } => {
                write!(f, "a frame of {len} bytes exceeds the limit of {max}")
            }
            FrameError::Truncated => f.write_str("the stream ended in the middle of a frame"),
            FrameError::Read(e) => write!(f, "{e}"),
        }
    }
}

impl FrameError {
    /// Whether the peer broke the protocol (rather than the stream failing).
    pub(crate) fn is_violation(&self) -> bool {
        !matches!(self, FrameError::Read(_))
    }
}

/// Appends frames to a buffer that is written to a stream in one go.
#[derive(Debug, Default)]
pub(crate) struct FrameBuffer {
    bytes: Vec<u8>,
}

impl FrameBuffer {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        FrameBuffer {
            bytes: Vec::with_capacity(capacity),
        }
    }

    /// Appends one frame whose body `write` produces. If `write` fails or
    /// the body exceeds `max`, the buffer is left as it was.
    pub(crate) fn push<E>(
        &mut self,
        max: usize,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), PushError<E>> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&[0; PREFIX]);
        if let Err(e) = write(&mut self.bytes) {
            self.bytes.truncate(start);
            return Err(PushError::Body(e));
        }
        let len = self.bytes.len() - start - PREFIX;
        if len > max {
            self.bytes.truncate(start);
            return Err(PushError::TooLarge { len, max });
        }
        // `len <= max`, and a limit is a `usize` well under 4 GiB in practice;
        // `Limits` caps it at `u32::MAX`.
        let prefix = u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes();
        self.bytes[start..start + PREFIX].copy_from_slice(&prefix);
        Ok(())
    }

    /// The frames appended so far.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
    }
}

/// Why a frame could not be appended.
#[derive(Debug)]
pub(crate) enum PushError<E> {
    /// Writing the body failed.
    Body(E),
    /// The body is over the limit.
    TooLarge { len: usize, max: usize },
}

impl<E: std::fmt::Display> std::fmt::Display for PushError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushError::Body(e) => write!(f, "{e}"),
            PushError::TooLarge { len, max } => write!(
                f,
                "it encodes to {len} bytes, over the frame limit of {max}; raise `NodeConfig::max_frame_size` on both nodes or send smaller messages"
            ),
        }
    }
}

/// Reads frames from a stream, buffering what arrived of the next one.
#[derive(Debug)]
pub(crate) struct FrameReader {
    buffer: BytesMut,
    max: usize,
}

impl FrameReader {
    pub(crate) fn new(max: usize) -> Self {
        FrameReader {
            buffer: BytesMut::new(),
            max,
        }
    }

    /// The next frame's body; `None` when the stream ended cleanly between
    /// frames.
    pub(crate) async fn next(
        &mut self,
        stream: &mut quinn::RecvStream,
    ) -> Result<Option<BytesMut>, FrameError> {
        loop {
            if let Some(frame) = self.take()? {
                return Ok(Some(frame));
            }
            match stream
                .read_chunk(READ_CHUNK, true)
                .await
                .map_err(FrameError::Read)?
            {
                Some(chunk) => self.buffer.extend_from_slice(&chunk.bytes),
                None if self.buffer.is_empty() => return Ok(None),
                None => return Err(FrameError::Truncated),
            }
        }
    }

    /// A complete frame from the buffer, if there is one.
    fn take(&mut self) -> Result<Option<BytesMut>, FrameError> {
        if self.buffer.len() < PREFIX {
            return Ok(None);
        }
        let mut prefix = [0; PREFIX];
        prefix.copy_from_slice(&self.buffer[..PREFIX]);
        let len = u32::from_le_bytes(prefix) as usize;
        if len > self.max {
            return Err(FrameError::TooLarge { len, max: self.max });
        }
        if self.buffer.len() < PREFIX + len {
            self.buffer.reserve(PREFIX + len - self.buffer.len());
            return Ok(None);
        }
        self.buffer.advance(PREFIX);
        Ok(Some(self.buffer.split_to(len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader_over(bytes: &[u8], max: usize) -> FrameReader {
        let mut reader = FrameReader::new(max);
        reader.buffer.extend_from_slice(bytes);
        reader
    }

    #[test]
    fn frames_round_trip_through_one_buffer() {
        let mut buffer = FrameBuffer::default();
        for body in [&b"one"[..], b"", b"three"] {
            buffer
                .push::<()>(16, |out| {
                    out.extend_from_slice(body);
                    Ok(())
                })
                .expect("under the limit");
        }
        let mut reader = reader_over(buffer.as_slice(), 16);
        let bodies: Vec<_> = std::iter::from_fn(|| reader.take().expect("well formed"))
            .map(|b| b.to_vec())
            .collect();
        assert_eq!(bodies, [b"one".to_vec(), vec![], b"three".to_vec()]);
    }

    #[test]
    fn a_writer_refuses_a_frame_over_the_limit_and_keeps_the_rest() {
        let mut buffer = FrameBuffer::default();
        buffer
            .push::<()>(4, |out| {
                out.extend_from_slice(b"ok");
                Ok(())
            })
            .expect("under the limit");
        let refused = buffer.push::<()>(4, |out| {
            out.extend_from_slice(b"too long");
            Ok(())
        });
        assert!(matches!(
            refused,
            Err(PushError::TooLarge { len: 8, max: 4 })
        ));
        assert_eq!(buffer.as_slice(), &[2, 0, 0, 0, b'o', b'k']);
    }

    #[test]
    fn a_reader_refuses_an_oversized_length_before_buffering_the_body() {
        let mut reader = reader_over(&u32::MAX.to_le_bytes(), 1024);
        assert!(matches!(
            reader.take(),
            Err(FrameError::TooLarge { max: 1024, .. })
        ));
        assert!(reader.buffer.capacity() < 1024);
    }

    #[test]
    fn a_partial_frame_waits_for_the_rest() {
        let mut reader = reader_over(&[5, 0, 0, 0, b'a', b'b'], 16);
        assert!(reader.take().expect("well formed so far").is_none());
        reader.buffer.extend_from_slice(b"cde");
        assert_eq!(
            &reader.take().expect("complete").expect("a frame")[..],
            b"abcde"
        );
    }
}
