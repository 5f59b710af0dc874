//! The export side of a stream, sans IO: reading the caller's [`Open`], then
//! its requests, and encoding the answers.
//!
//! Two machines, one per phase. [`Opening`] is fed bytes until the first
//! frame, the [`Open`]; the driver looks up the export it names and calls
//! [`Opening::answer`], which applies the rules (version first, then the
//! name, then the actor type), appends `Opened` or `Refused` and, if opened,
//! gives the [`Serving`] machine. That one is fed the requests and reports
//! each as an [`Event`].
//!
//! The rules it enforces: names are at most [`MAX_NAME_LEN`](super::MAX_NAME_LEN)
//! bytes; a message type is declared once, by a number under
//! [`MAX_DECLARED_TYPES`], before its first message; a header that does not
//! decode, a type declared twice or never declared, and any framing error,
//! are [`Violation`]s: the peer is broken or hostile and its connection is
//! closed. A type the actor does not accept is not a violation: it is
//! reported once ([`Event::Unknown`]), and its messages are dropped
//! ([`Event::Rejected`]; an ask gets an error answer), and the stream goes on.
//!
//! The answers go out in the order the asks came (one actor answers in that
//! order), encoded by [`Answers`]; the driver keeps that order.

use super::frame::{FrameBuffer, FrameDecoder};
use super::wire::{self, Open, Refusal, Request, Response, WireReason, VERSION};
use super::Violation;

/// Most message types one stream may declare; type numbers are below it.
pub const MAX_DECLARED_TYPES: usize = 1024;

/// Before the stream's first frame.
#[derive(Debug)]
pub struct Opening {
    frames: FrameDecoder,
}

impl Opening {
    /// A stream's export side before its first frame, accepting frames of
    /// at most `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Opening {
            frames: FrameDecoder::new(max_frame),
        }
    }

    /// Feeds bytes until the [`Open`]: how many bytes of `chunk` were used
    /// (the rest, if any, is the requests that follow, for [`Serving`]),
    /// and the `Open` once it is complete.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(usize, Option<Open>), Violation> {
        let mut rest = chunk;
        let open = match self.frames.next(&mut rest)? {
            None => None,
            Some(frame) => {
                let open = postcard::from_bytes::<Open>(frame).map_err(|e| {
                    Violation::protocol(format!("a stream's first frame does not decode: {e}"))
                })?;
                super::check_name("an export name", &open.name)?;
                super::check_name("an actor type name", &open.actor_type)?;
                Some(open)
            }
        };
        Ok((chunk.len() - rest.len(), open))
    }

    /// Bytes held of a split first frame.
    pub fn buffered(&self) -> usize {
        self.frames.buffered()
    }

    /// The stream ended before its `Open`.
    pub fn finish(&self) -> Result<(), Violation> {
        Ok(self.frames.finish()?)
    }

    /// Answers `open`, given the actor type exported under its name (or
    /// `None`): appends `Opened` or `Refused` to `out` and gives the
    /// serving machine, or the refusal (the stream then ends).
    pub fn answer(
        self,
        open: &Open,
        exported: Option<&str>,
        out: &mut FrameBuffer,
    ) -> Result<Opened, Refusal> {
        let refusal = match exported {
            _ if open.version != VERSION => Some(Refusal::Version { ours: VERSION }),
            None => Some(Refusal::NotExported),
            Some(exported) if exported != open.actor_type => Some(Refusal::WrongType {
                exported: exported.to_owned(),
            }),
            Some(_) => None,
        };
        let max = self.frames.max();
        let response = match &refusal {
            Some(refusal) => Response::Refused(refusal.clone()),
            None => Response::Opened,
        };
        // An answer this small fits any frame limit a node could run with;
        // should it not, the stream ends without one either way.
        let _ = out.push(max, |out| wire::append(&response, out));
        match refusal {
            Some(refusal) => Err(refusal),
            None => Ok(Opened {
                frames: self.frames,
            }),
        }
    }
}

/// A stream whose `Open` was answered `Opened`: what it needs to serve,
/// before the actor type (and so the resolved `D`) is known.
#[derive(Debug)]
pub struct Opened {
    frames: FrameDecoder,
}

impl Opened {
    /// The machine for the requests.
    pub fn serve<D: Copy>(self) -> Serving<D> {
        Serving {
            frames: self.frames,
            types: Vec::new(),
            closed: false,
        }
    }
}

/// What a declared type number stands for.
#[derive(Clone, Copy, Debug)]
enum Slot<D> {
    Undeclared,
    /// A type the actor accepts, resolved to `D` (how to decode it).
    Accepted(D),
    /// A type the actor does not accept.
    Unknown,
}

/// What a request means, for the driver.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a, D> {
    /// A message for the actor, of type `ty`, which resolved to `decode`;
    /// an ask if `ask_id` is given. `payload` is the message's postcard.
    Deliver {
        /// The message's type number on this stream.
        ty: u32,
        /// The ask's id; `None` for a tell.
        ask_id: Option<u64>,
        /// What the type's declaration resolved to.
        decode: D,
        /// The message, in postcard.
        payload: &'a [u8],
    },
    /// Type `ty` was declared as `name`, which the actor does not accept:
    /// the driver answers [`Answers::unknown`] (in order with the others).
    Unknown {
        /// The type number declared.
        ty: u32,
        /// The name it was declared as.
        name: &'a str,
    },
    /// A message of a type the actor does not accept, dropped: an ask gets
    /// an error answer.
    Rejected {
        /// The message's type number.
        ty: u32,
        /// The ask's id; `None` for a tell.
        ask_id: Option<u64>,
    },
}

/// After the `Open`: the requests of an open stream.
#[derive(Debug)]
pub struct Serving<D> {
    frames: FrameDecoder,
    /// Indexed by type number; grown as types are declared.
    types: Vec<Slot<D>>,
    closed: bool,
}

impl<D: Copy> Serving<D> {
    /// Feeds the bytes that arrived, in order, each request reported to
    /// `sink` as it is cut: `resolve` says what a declared name stands for
    /// (`None`: not accepted). Stops at the first violation; the stream is
    /// then dead, and later bytes are ignored.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        resolve: &mut impl FnMut(&str) -> Option<D>,
        sink: &mut impl FnMut(Event<'_, D>),
    ) -> Result<(), Violation> {
        if self.closed {
            return Ok(());
        }
        let fed = self.feed_open(chunk, resolve, sink);
        self.closed = fed.is_err();
        fed
    }

    fn feed_open(
        &mut self,
        mut chunk: &[u8],
        resolve: &mut impl FnMut(&str) -> Option<D>,
        sink: &mut impl FnMut(Event<'_, D>),
    ) -> Result<(), Violation> {
        while let Some(frame) = self.frames.next(&mut chunk)? {
            let (request, payload) = match wire::take_small_tell(frame) {
                Some(told) => told,
                None => postcard::take_from_bytes::<Request>(frame).map_err(|e| {
                    Violation::protocol(format!("a request header does not decode: {e}"))
                })?,
            };
            let (ty, ask_id) = match request {
                Request::Declare { ty, name } => {
                    super::check_name("a declared message type name", name)?;
                    let slot = declare(&mut self.types, ty)?;
                    *slot = match resolve(name) {
                        Some(decode) => Slot::Accepted(decode),
                        None => {
                            sink(Event::Unknown { ty, name });
                            Slot::Unknown
                        }
                    };
                    continue;
                }
                Request::Tell { ty } => (ty, None),
                Request::Ask { ty, id } => (ty, Some(id)),
            };
            let slot = usize::try_from(ty)
                .ok()
                .and_then(|i| self.types.get(i).copied());
            match slot {
                Some(Slot::Accepted(decode)) => sink(Event::Deliver {
                    ty,
                    ask_id,
                    decode,
                    payload,
                }),
                Some(Slot::Unknown) => sink(Event::Rejected { ty, ask_id }),
                Some(Slot::Undeclared) | None => {
                    return Err(Violation::protocol(format!(
                        "message type {ty} was never declared"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The stream ended (the remote reference was dropped): a violation if
    /// it ended in the middle of a frame.
    pub fn finish(&self) -> Result<(), Violation> {
        Ok(self.frames.finish()?)
    }

    /// Bytes held of a request split across chunks.
    pub fn buffered(&self) -> usize {
        self.frames.buffered()
    }

    /// Memory held for split requests.
    pub fn capacity(&self) -> usize {
        self.frames.capacity()
    }
}

/// The slot type `ty` is declared in: refused if out of range or taken.
fn declare<D>(types: &mut Vec<Slot<D>>, ty: u32) -> Result<&mut Slot<D>, Violation> {
    let index = usize::try_from(ty)
        .ok()
        .filter(|&i| i < MAX_DECLARED_TYPES)
        .ok_or_else(|| {
            Violation::protocol(format!(
                "message type number {ty} is over the limit of {MAX_DECLARED_TYPES} types on one stream"
            ))
        })?;
    if types.len() <= index {
        types.resize_with(index + 1, || Slot::Undeclared);
    }
    let slot = &mut types[index];
    if !matches!(slot, Slot::Undeclared) {
        return Err(Violation::protocol(format!(
            "message type {ty} was declared twice"
        )));
    }
    Ok(slot)
}

/// Encodes the answers of an export, in the order the driver gives them.
#[derive(Clone, Copy, Debug)]
pub struct Answers {
    /// The largest frame an answer may take.
    pub max_frame: usize,
}

impl Answers {
    /// The reply to ask `id`: `reply` is its postcard. A reply over the
    /// frame limit is answered with an error instead.
    pub fn reply(&self, out: &mut FrameBuffer, id: u64, reply: &[u8]) {
        let pushed = out.push(self.max_frame, |out| {
            wire::append(&Response::Reply { id }, out)?;
            out.extend_from_slice(reply);
            Ok::<_, postcard::Error>(())
        });
        if let Err(e) = pushed {
            let reason = WireReason::Failed(format!("the reply could not be sent: {e}"));
            self.failed(out, id, &reason);
        }
    }

    /// Ask `id` failed, for `reason`.
    pub fn failed(&self, out: &mut FrameBuffer, id: u64, reason: &WireReason) {
        let failed = Response::Failed {
            id,
            reason: reason.clone(),
        };
        // A reason too long for a frame leaves the ask unanswered, to be
        // failed by the caller when the stream ends.
        let _ = out.push(self.max_frame, |out| wire::append(&failed, out));
    }

    /// Type `ty`, declared as `name`, is not accepted.
    pub fn unknown(&self, out: &mut FrameBuffer, ty: u32, name: &str) {
        let unknown = Response::Unknown { ty, name };
        // `name` came in a frame of the same limit, so this fits.
        let _ = out.push(self.max_frame, |out| wire::append(&unknown, out));
    }

    /// The actor ended, for `reason`: the last frame of the stream.
    pub fn ended(&self, out: &mut FrameBuffer, reason: &WireReason) -> bool {
        let ended = Response::Ended {
            reason: reason.clone(),
        };
        out.push(self.max_frame, |out| wire::append(&ended, out))
            .is_ok()
    }
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
