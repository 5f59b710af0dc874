//! The calling side of a stream, sans IO: the requests a remote reference
//! sends, and the answers it reads back.
//!
//! Three parts, because a remote reference's task writes and reads at once:
//!
//! - [`Requests`] encodes: the [`Open`] first, then each message's frame,
//!   declaring its type's number the first time, and numbering asks in
//!   order.
//! - [`Responses`] is fed the export's bytes: first the answer to the `Open`
//!   (`Opened` or a refusal), then answers, each an [`Event`]. A frame that
//!   does not decode or comes out of turn is a [`Violation`].
//! - [`Asks`] pairs answers with the asks written, in order: the export
//!   answers in the order the asks came, so an answer to a later ask means
//!   the ones before it will never be answered.

use std::collections::VecDeque;

use super::frame::{FrameBuffer, FrameDecoder, PushError};
use super::wire::{self, Open, Refusal, Request, Response, WireReason, VERSION};
use super::Violation;

/// Encodes a stream's requests.
#[derive(Debug)]
pub(crate) struct Requests {
    /// Which type numbers this stream has declared.
    declared: Vec<bool>,
    next_id: u64,
    max_frame: usize,
}

impl Requests {
    pub(crate) fn new(max_frame: usize) -> Self {
        Requests {
            declared: Vec::new(),
            next_id: 0,
            max_frame,
        }
    }

    /// Appends the stream's first frame: open `name`, expected as the actor
    /// type `actor_type`.
    pub(crate) fn open(
        &self,
        out: &mut FrameBuffer,
        name: &str,
        actor_type: &str,
    ) -> Result<(), PushError<postcard::Error>> {
        let open = Open {
            version: VERSION,
            name: name.to_owned(),
            actor_type: actor_type.to_owned(),
        };
        out.push(self.max_frame, |out| wire::append(&open, out))
    }

    /// Appends the declaration of type number `ty` as `name`, unless it was
    /// declared already.
    pub(crate) fn declare(
        &mut self,
        out: &mut FrameBuffer,
        ty: u32,
        name: &str,
    ) -> Result<(), PushError<postcard::Error>> {
        let index = usize::try_from(ty).unwrap_or(usize::MAX);
        if self.declared.get(index).copied().unwrap_or(false) {
            return Ok(());
        }
        out.push(self.max_frame, |out| {
            wire::append(&Request::Declare { ty, name }, out)
        })?;
        if self.declared.len() <= index {
            self.declared.resize(index + 1, false);
        }
        self.declared[index] = true;
        Ok(())
    }

    /// Appends a message of the declared type `ty`, its body written by
    /// `body`: a tell, or an ask, which gets the next id (an ask that is not
    /// appended uses none). Gives what `body` returned, whenever it ran to
    /// the end (also when the frame then came out over the limit: it may
    /// hold an ask to fail), and the outcome: the ask's id, or the error.
    pub(crate) fn message<R, E: From<postcard::Error>>(
        &mut self,
        out: &mut FrameBuffer,
        ty: u32,
        ask: bool,
        body: impl FnOnce(&mut Vec<u8>) -> Result<R, E>,
    ) -> (Option<R>, Result<Option<u64>, PushError<E>>) {
        debug_assert!(
            self.declared
                .get(usize::try_from(ty).unwrap_or(usize::MAX))
                .copied()
                .unwrap_or(false),
            "type {ty} sent before it was declared"
        );
        let id = ask.then_some(self.next_id);
        let mut made = None;
        let pushed = out.push(self.max_frame, |out| {
            wire::append_message_header(ty, id, out);
            made = Some(body(out)?);
            Ok(())
        });
        if pushed.is_ok() && id.is_some() {
            self.next_id += 1;
        }
        (made, pushed.map(|()| id))
    }
}

/// What the export said, for the driver.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// The stream is open. The first frame only.
    Opened,
    /// The export refused the stream. The first frame only.
    Refused(Refusal),
    /// The answer to ask `id`: its reply's postcard, or why it failed.
    Answer {
        id: u64,
        result: Result<&'a [u8], WireReason>,
    },
    /// The actor does not accept the type declared as `ty`, `name`.
    Unknown { ty: u32, name: &'a str },
    /// The actor ended; nothing follows.
    Ended(WireReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the answer to the `Open`.
    Opening,
    Open,
    /// Refused, ended, or broken: nothing more is read.
    Done,
}

/// Reads a stream's answers.
#[derive(Debug)]
pub(crate) struct Responses {
    frames: FrameDecoder,
    phase: Phase,
}

impl Responses {
    pub(crate) fn new(max_frame: usize) -> Self {
        Responses {
            frames: FrameDecoder::new(max_frame),
            phase: Phase::Opening,
        }
    }

    /// Feeds the bytes that arrived, each frame reported to `sink`. Gives
    /// how many bytes were used: all of them, except that feeding stops
    /// after the answer to the `Open` (so the driver can finish opening
    /// before the answers that follow) and after `Ended`.
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        sink: &mut impl FnMut(Event<'_>),
    ) -> Result<usize, Violation> {
        let mut rest = chunk;
        let fed = self.feed_frames(&mut rest, sink);
        if fed.is_err() {
            self.phase = Phase::Done;
        }
        fed.map(|()| chunk.len() - rest.len())
    }

    fn feed_frames(
        &mut self,
        rest: &mut &[u8],
        sink: &mut impl FnMut(Event<'_>),
    ) -> Result<(), Violation> {
        while self.phase != Phase::Done {
            let opening = self.phase == Phase::Opening;
            let Some(frame) = self.frames.next(rest)? else {
                return Ok(());
            };
            let decoded = postcard::take_from_bytes::<Response>(frame);
            let (response, payload) = decoded.map_err(|e| {
                Violation::protocol(if opening {
                    format!("the answer to a lookup does not decode: {e}")
                } else {
                    format!("an answer does not decode: {e}")
                })
            })?;
            match (opening, response) {
                (true, Response::Opened) => {
                    self.phase = Phase::Open;
                    sink(Event::Opened);
                    return Ok(());
                }
                (true, Response::Refused(refusal)) => {
                    self.phase = Phase::Done;
                    sink(Event::Refused(refusal));
                }
                (true, other) => {
                    return Err(Violation::protocol(format!(
                        "expected an answer to a lookup, got {other:?}"
                    )));
                }
                (false, Response::Reply { id }) => sink(Event::Answer {
                    id,
                    result: Ok(payload),
                }),
                (false, Response::Failed { id, reason }) => sink(Event::Answer {
                    id,
                    result: Err(reason),
                }),
                (false, Response::Unknown { ty, name }) => sink(Event::Unknown { ty, name }),
                (false, Response::Ended { reason }) => {
                    self.phase = Phase::Done;
                    sink(Event::Ended(reason));
                }
                (false, Response::Opened | Response::Refused(_)) => {
                    return Err(Violation::protocol("an export answered a lookup twice"));
                }
            }
        }
        Ok(())
    }

    /// The stream ended: a violation if in the middle of a frame.
    pub(crate) fn finish(&self) -> Result<(), Violation> {
        Ok(self.frames.finish()?)
    }

    /// Bytes held of an answer split across chunks.
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        self.frames.buffered()
    }

    /// Memory held for split answers.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.frames.capacity()
    }
}

/// The asks written and not yet answered, in the order written, each with
/// what the driver completes it with (`T`).
#[derive(Debug)]
pub(crate) struct Asks<T> {
    waiting: VecDeque<(u64, T)>,
}

impl<T> Default for Asks<T> {
    fn default() -> Self {
        Asks {
            waiting: VecDeque::new(),
        }
    }
}

/// What an answer completes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Completed<T> {
    /// Asks before the answered one: they will never be answered.
    pub skipped: Vec<T>,
    /// The answered ask; `None` for an answer to no waiting ask.
    pub answered: Option<T>,
}

impl<T> Asks<T> {
    /// Ask `id` was written. Ids are given in increasing order.
    pub(crate) fn push(&mut self, id: u64, ask: T) {
        self.waiting.push_back((id, ask));
    }

    /// The answer to ask `id` came.
    pub(crate) fn complete(&mut self, id: u64) -> Completed<T> {
        let mut skipped = Vec::new();
        let answered = loop {
            match self.waiting.pop_front() {
                Some((first, ask)) if first == id => break Some(ask),
                Some((first, ask)) if first < id => skipped.push(ask),
                Some(later) => {
                    self.waiting.push_front(later);
                    break None;
                }
                None => break None,
            }
        };
        Completed { skipped, answered }
    }

    /// Every ask still waiting, in order: the stream ended.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.waiting.drain(..).map(|(_, ask)| ask)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
#[path = "caller_tests.rs"]
mod tests;
