//! Frames: how messages are cut out of a stream.
//!
//! A stream carries frames, each a 4-byte little-endian length and that many
//! bytes of body. Every frame has a size limit, checked on both sides: a
//! writer refuses to produce a frame over the limit ([`FrameBuffer::push`]),
//! and a reader refuses the length before it buffers a single byte of the
//! body ([`FrameDecoder`]), so a peer cannot make a node allocate more than
//! the limit. Writers append many frames to one buffer and send it with one
//! write: that is what makes a remote mailbox fast (one `write_all` per frame
//! costs ten times more, see BENCHMARKS.md).
//!
//! The decoder reads frames in place from the chunk a stream handed over,
//! and copies only a frame that straddles two chunks: on the tell path most
//! frames are small and whole in their chunk, and copying each chunk into a
//! buffer before cutting it was a third of the exporting side's time.

use std::fmt;

/// The default limit on one frame's body: 1 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 1 << 20;

/// Bytes of the length prefix.
pub(crate) const PREFIX: usize = 4;

/// A straddling frame's buffer is given back after use if it grew beyond
/// this, so that one large frame does not pin its memory for the stream's
/// life.
const RETAIN: usize = 64 * 1024;

/// Why a stream's frames could not be read: the peer broke the framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A frame announced more bytes than the limit.
    TooLarge { len: usize, max: usize },
    /// The stream ended in the middle of a frame.
    Truncated,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { len, max } => {
                write!(f, "a frame of {len} bytes exceeds the limit of {max}")
            }
            FrameError::Truncated => f.write_str("the stream ended in the middle of a frame"),
        }
    }
}

/// Appends frames to a buffer that is written to a stream in one go.
#[derive(Debug, Default)]
pub struct FrameBuffer {
    bytes: Vec<u8>,
}

impl FrameBuffer {
    /// An empty buffer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        FrameBuffer {
            bytes: Vec::with_capacity(capacity),
        }
    }

    /// Appends one frame whose body `write` produces. If `write` fails or
    /// the body exceeds `max`, the buffer is left as it was.
    pub fn push<E>(
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
        // `len <= max`, and `NodeConfig` caps the limit at `u32::MAX`.
        let prefix = u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes();
        self.bytes[start..start + PREFIX].copy_from_slice(&prefix);
        Ok(())
    }

    /// The frames appended so far.
    /// The frames, as bytes to write.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// How many bytes the frames take.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether it holds no frame.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Drops the frames, keeping the memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
    }
}

/// Why a frame could not be appended.
#[derive(Debug, PartialEq, Eq)]
pub enum PushError<E> {
    /// Writing the body failed.
    Body(E),
    /// The body is over the limit.
    TooLarge { len: usize, max: usize },
}

impl<E: fmt::Display> fmt::Display for PushError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Body(e) => write!(f, "{e}"),
            PushError::TooLarge { len, max } => write!(
                f,
                "it encodes to {len} bytes, over the frame limit of {max}; raise `NodeConfig::max_frame_size` on both nodes or send smaller messages"
            ),
        }
    }
}

/// Cuts frames out of a stream's chunks, keeping what arrived of a frame
/// that continues in the next chunk (never more than one frame's worth).
#[derive(Debug)]
pub(crate) struct FrameDecoder {
    /// The start of a frame split across chunks, prefix included.
    partial: Vec<u8>,
    /// `partial` holds a whole frame, handed out by the last `next`.
    complete: bool,
    max: usize,
}

impl FrameDecoder {
    pub(crate) fn new(max: usize) -> Self {
        FrameDecoder {
            partial: Vec::new(),
            complete: false,
            max,
        }
    }

    /// The frame limit.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Bytes held of a frame split across chunks: at most the prefix and
    /// the frame limit.
    pub(crate) fn buffered(&self) -> usize {
        if self.complete {
            0
        } else {
            self.partial.len()
        }
    }

    /// The memory held for split frames.
    pub(crate) fn capacity(&self) -> usize {
        self.partial.capacity()
    }

    /// The next whole frame's body, taken from `chunk` (which is advanced
    /// past what was used) or from what earlier chunks left; `None` once
    /// `chunk` is used up without completing a frame.
    pub(crate) fn next<'s, 'c: 's>(
        &'s mut self,
        chunk: &mut &'c [u8],
    ) -> Result<Option<&'s [u8]>, FrameError> {
        if self.complete {
            self.complete = false;
            self.partial.clear();
            if self.partial.capacity() > RETAIN {
                self.partial = Vec::new();
            }
        }
        if self.partial.is_empty() {
            // The common case: a whole frame in the chunk, read in place.
            if let Some(len) = self.length(chunk)? {
                if let Some(body) = chunk.get(PREFIX..PREFIX + len) {
                    *chunk = &chunk[PREFIX + len..];
                    return Ok(Some(body));
                }
            }
        }
        // A frame split across chunks: gather it, the prefix first.
        if self.partial.len() < PREFIX {
            let take = (PREFIX - self.partial.len()).min(chunk.len());
            self.partial.extend_from_slice(&chunk[..take]);
            *chunk = &chunk[take..];
        }
        let Some(len) = self.length(&self.partial)? else {
            return Ok(None);
        };
        // Checked against the limit already. The buffer grows with the bytes
        // that arrive (doubling, so a big frame is not copied often), never
        // ahead of them on the peer's say-so, and never past the frame.
        let whole = PREFIX + len;
        let take = (whole - self.partial.len()).min(chunk.len());
        let need = self.partial.len() + take;
        if need > self.partial.capacity() {
            let grown = (self.partial.capacity() * 2).clamp(need, whole);
            self.partial.reserve_exact(grown - self.partial.len());
        }
        self.partial.extend_from_slice(&chunk[..take]);
        *chunk = &chunk[take..];
        if self.partial.len() < PREFIX + len {
            return Ok(None);
        }
        self.complete = true;
        Ok(Some(&self.partial[PREFIX..]))
    }

    /// The stream ended: an error if it ended in the middle of a frame.
    pub(crate) fn finish(&self) -> Result<(), FrameError> {
        if self.buffered() == 0 {
            Ok(())
        } else {
            Err(FrameError::Truncated)
        }
    }

    /// The length announced by the prefix at the start of `bytes`, once
    /// the prefix is all there; refused if over the limit.
    fn length(&self, bytes: &[u8]) -> Result<Option<usize>, FrameError> {
        let Some(prefix) = bytes.first_chunk::<PREFIX>() else {
            return Ok(None);
        };
        // A u32 always fits a usize on the platforms quinn supports; one
        // that did not would be over any limit.
        let len = usize::try_from(u32::from_le_bytes(*prefix)).unwrap_or(usize::MAX);
        if len > self.max {
            return Err(FrameError::TooLarge { len, max: self.max });
        }
        Ok(Some(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame `decoder` cuts from `chunks`, fed one after the other.
    pub(crate) fn frames(
        decoder: &mut FrameDecoder,
        chunks: &[&[u8]],
    ) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut out = Vec::new();
        for chunk in chunks {
            let mut chunk = *chunk;
            while let Some(frame) = decoder.next(&mut chunk)? {
                out.push(frame.to_vec());
            }
            assert!(chunk.is_empty(), "a chunk is used up");
        }
        Ok(out)
    }

    fn buffer_of(bodies: &[&[u8]], max: usize) -> FrameBuffer {
        let mut buffer = FrameBuffer::default();
        for body in bodies {
            buffer
                .push::<()>(max, |out| {
                    out.extend_from_slice(body);
                    Ok(())
                })
                .expect("under the limit");
        }
        buffer
    }

    #[test]
    fn memory_for_a_split_frame_grows_with_the_bytes_that_arrive() {
        // A prefix announcing a 1 MiB frame, then 10 bytes of it: what is
        // held follows what arrived, not what was announced (2,000 such
        // streams used to reserve 2 GB).
        let mut decoder = FrameDecoder::new(1 << 20);
        let first = [&(1u32 << 20).to_le_bytes()[..], &[7; 10]].concat();
        let mut chunk = &first[..];
        assert_eq!(decoder.next(&mut chunk), Ok(None));
        assert_eq!(decoder.buffered(), PREFIX + 10);
        assert!(
            decoder.capacity() < 4096,
            "{} bytes held for 14 that arrived",
            decoder.capacity()
        );
    }

    #[test]
    fn frames_round_trip_through_one_buffer() {
        let buffer = buffer_of(&[b"one", b"", b"three"], 16);
        let bodies = frames(&mut FrameDecoder::new(16), &[buffer.as_slice()]).expect("well formed");
        assert_eq!(bodies, [b"one".to_vec(), vec![], b"three".to_vec()]);
    }

    #[test]
    fn a_writer_refuses_a_frame_over_the_limit_and_keeps_the_rest() {
        let mut buffer = buffer_of(&[b"ok"], 4);
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
        let mut decoder = FrameDecoder::new(1024);
        let refused = frames(&mut decoder, &[&u32::MAX.to_le_bytes()]);
        assert!(matches!(
            refused,
            Err(FrameError::TooLarge { max: 1024, .. })
        ));
        // Also when the prefix itself comes in two pieces.
        let mut decoder = FrameDecoder::new(1024);
        let refused = frames(&mut decoder, &[&[0xff, 0xff], &[0xff, 0xff, 1, 2]]);
        assert!(matches!(refused, Err(FrameError::TooLarge { .. })));
        assert!(decoder.capacity() < 1024);
    }

    #[test]
    fn a_frame_split_anywhere_waits_for_the_rest() {
        let buffer = buffer_of(&[b"abcde", b"fg"], 16);
        let bytes = buffer.as_slice();
        for cut in 0..=bytes.len() {
            let mut decoder = FrameDecoder::new(16);
            let (one, two) = bytes.split_at(cut);
            let bodies = frames(&mut decoder, &[one, two]).expect("well formed");
            assert_eq!(bodies, [b"abcde".to_vec(), b"fg".to_vec()], "cut at {cut}");
            assert_eq!(decoder.finish(), Ok(()));
        }
    }

    #[test]
    fn a_stream_ending_inside_a_frame_is_truncated() {
        let mut decoder = FrameDecoder::new(16);
        frames(&mut decoder, &[&[5, 0, 0, 0, b'a']]).expect("well formed so far");
        assert_eq!(decoder.buffered(), 5);
        assert_eq!(decoder.finish(), Err(FrameError::Truncated));
        let mut decoder = FrameDecoder::new(16);
        frames(&mut decoder, &[&[5, 0]]).expect("a prefix cut short");
        assert_eq!(decoder.finish(), Err(FrameError::Truncated));
    }
}
