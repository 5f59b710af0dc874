//! The exporting side: accepting a peer's streams and delivering what they
//! carry to local actors.
//!
//! Each stream is served by two halves running together. The reader decodes
//! each request and delivers it to the actor's mailbox, waiting while the
//! mailbox is full: the stream then stops being read, QUIC's flow control
//! fills, and the remote sender waits too, so a slow actor slows its senders
//! instead of growing a buffer. The writer sends the answers to asks back in
//! the order the asks came (one actor answers in that order), many per write.
//!
//! Bad input never reaches an actor and never panics: a frame that is too
//! large, a header that does not decode or a message type that was never
//! declared closes the peer's connection (it is broken or hostile); a message
//! body that does not decode, or a type the actor does not accept, is dropped
//! with a log line and an error answer to an ask. Other streams and peers are
//! unaffected either way.

use std::collections::HashMap;
use std::sync::Weak;
use std::task::{Context, Poll, Waker};

use actor_core::remote::deliver;
use actor_core::{ActorRef, WeakActorRef};
use tokio::sync::mpsc;

use crate::auth::CLOSE_PROTOCOL;
use crate::frame::{FrameBuffer, FrameReader};
use crate::node::NodeInner;
use crate::remote_actor::{Accepts, Decoded, Inbound, PendingAnswer, RemoteActor};
use crate::wire::{self, Open, Refusal, Request, Response, WireReason, VERSION};

/// Most message types one stream may declare.
const MAX_DECLARED_TYPES: usize = 1024;
/// Answers waiting to be written, per stream, before the reader waits.
const ANSWERS_IN_FLIGHT: usize = 1024;
/// A writer sends what it gathered once it has this much.
pub(crate) const FLUSH_AT: usize = 64 * 1024;

/// An opened stream, handed to the export that serves it.
pub(crate) struct Stream {
    pub(crate) send: quinn::SendStream,
    pub(crate) recv: quinn::RecvStream,
    pub(crate) frames: FrameReader,
    pub(crate) connection: quinn::Connection,
    pub(crate) max_frame: usize,
}

/// Accepts the streams a peer opens on `connection`, until it closes.
pub(crate) async fn serve_connection(node: Weak<NodeInner>, connection: quinn::Connection) {
    loop {
        match connection.accept_bi().await {
            Ok((send, recv)) => {
                tokio::spawn(open_stream(node.clone(), connection.clone(), send, recv));
            }
            Err(e) => {
                tracing::debug!(peer = %connection.remote_address(), reason = %e, "connection closed");
                return;
            }
        }
    }
}

/// Reads a stream's [`Open`], and serves it or refuses it.
async fn open_stream(
    node: Weak<NodeInner>,
    connection: quinn::Connection,
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) {
    let Some(inner) = node.upgrade() else { return };
    let peer = connection.remote_address();
    let max_frame = inner.config.max_frame_size;
    let mut frames = FrameReader::new(max_frame);
    let first = tokio::time::timeout(inner.config.handshake_timeout, frames.next(&mut recv)).await;
    let open = match first {
        Ok(Ok(Some(frame))) => match postcard::from_bytes::<Open>(&frame) {
            Ok(open) => open,
            Err(e) => {
                return protocol_violation(
                    &connection,
                    &format!("a stream's first frame does not decode: {e}"),
                );
            }
        },
        Ok(Ok(None)) => return,
        Ok(Err(e)) if e.is_violation() => return protocol_violation(&connection, &e.to_string()),
        Ok(Err(_)) => return,
        Err(_) => {
            tracing::warn!(%peer, "closing a stream that did not say what it opens in time");
            let _ = send.reset(CLOSE_PROTOCOL.into());
            return;
        }
    };
    let export = inner.export(&open.name);
    drop(inner);
    let refusal = match &export {
        _ if open.version != VERSION => Some(Refusal::Version { ours: VERSION }),
        None => Some(Refusal::NotExported),
        Some(export) if export.actor_type() != open.actor_type => Some(Refusal::WrongType {
            exported: export.actor_type().to_owned(),
        }),
        Some(_) => None,
    };
    let mut buffer = FrameBuffer::default();
    let response = match refusal {
        Some(refusal) => {
            tracing::info!(%peer, name = %open.name, expected = %open.actor_type, ?refusal, "refused a lookup");
            Response::Refused(refusal)
        }
        None => Response::Opened,
    };
    let opened = matches!(response, Response::Opened);
    if buffer
        .push(max_frame, |out| wire::append(&response, out))
        .is_err()
        || send.write_all(buffer.as_slice()).await.is_err()
    {
        return;
    }
    match export {
        Some(export) if opened => {
            export
                .serve(Stream {
                    send,
                    recv,
                    frames,
                    connection,
                    max_frame,
                })
                .await;
        }
        _ => {
            let _ = send.finish();
        }
    }
}

/// Closes the connection of a peer that broke the protocol, and says why in
/// the log and in the close frame.
pub(crate) fn protocol_violation(connection: &quinn::Connection, reason: &str) {
    tracing::warn!(peer = %connection.remote_address(), %reason, "closing the connection of a peer that broke the protocol");
    let mut reason = reason.as_bytes();
    reason = &reason[..reason.len().min(256)];
    connection.close(CLOSE_PROTOCOL.into(), reason);
}

/// What the reader hands the writer, in order.
enum Outgoing {
    /// The answer to ask `id`, once the actor gives it.
    Answer { id: u64, answer: PendingAnswer },
    /// Ask `id` failed before reaching the actor.
    Failed { id: u64, reason: String },
    /// Type `ty` is not accepted.
    Unknown { ty: u32, name: String },
}

/// Whether the actor behind a stream is shared, or the stream's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Shared by every stream to the export: it outlives this one.
    Shared,
    /// Made for this stream (a session): it is killed when the stream ends,
    /// so that a handler waiting on behalf of a peer that is gone (a `get`,
    /// a `lock`) is dropped at once and gives back what it was taking.
    Stream,
}

/// Serves a stream to `actor` until either side ends it.
pub(crate) async fn serve_actor<A: RemoteActor>(
    actor: ActorRef<A>,
    owner: Owner,
    accepts: std::sync::Arc<Accepts<A>>,
    stream: Stream,
) {
    let Stream {
        send,
        recv,
        frames,
        connection,
        max_frame,
    } = stream;
    let (answers, queued) = mpsc::channel(ANSWERS_IN_FLIGHT);
    let watch = actor.downgrade();
    let reader = async {
        read_requests(actor.clone(), accepts, recv, frames, &connection, answers).await;
        if owner == Owner::Stream {
            actor.kill();
        }
    };
    let writer = write_responses(send, queued, &watch, &connection, max_frame);
    tokio::join!(reader, writer);
}

async fn read_requests<A: RemoteActor>(
    actor: ActorRef<A>,
    accepts: std::sync::Arc<Accepts<A>>,
    mut recv: quinn::RecvStream,
    mut frames: FrameReader,
    connection: &quinn::Connection,
    answers: mpsc::Sender<Outgoing>,
) {
    let peer = connection.remote_address();
    let mut types: HashMap<u32, Option<Inbound<A>>> = HashMap::new();
    loop {
        let frame = match frames.next(&mut recv).await {
            Ok(Some(frame)) => frame,
            // The remote reference was dropped.
            Ok(None) => return,
            Err(e) if e.is_violation() => return protocol_violation(connection, &e.to_string()),
            Err(_) => return,
        };
        let (request, payload) = match postcard::take_from_bytes::<Request>(&frame) {
            Ok(decoded) => decoded,
            Err(e) => {
                return protocol_violation(
                    connection,
                    &format!("a request header does not decode: {e}"),
                );
            }
        };
        let (ty, id) = match request {
            Request::Declare { ty, name } => {
                if types.len() >= MAX_DECLARED_TYPES {
                    return protocol_violation(
                        connection,
                        "too many message types declared on one stream",
                    );
                }
                let decode = accepts.inbound(name);
                types.insert(ty, decode);
                if decode.is_none() {
                    tracing::warn!(%peer, message = name, actor = %A::wire_name(), "a peer sends a message type this actor does not accept from the network; its messages are dropped");
                    let unknown = Outgoing::Unknown {
                        ty,
                        name: name.to_owned(),
                    };
                    if answers.send(unknown).await.is_err() {
                        return;
                    }
                }
                continue;
            }
            Request::Tell { ty } => (ty, None),
            Request::Ask { ty, id } => (ty, Some(id)),
        };
        let decoded = match types.get(&ty) {
            None => {
                return protocol_violation(
                    connection,
                    &format!("message type {ty} was never declared"),
                );
            }
            Some(None) => Err(format!(
                "{} does not accept this message type",
                A::wire_name()
            )),
            Some(Some(decode)) => decode(payload, id.is_some())
                .map_err(|e| format!("a message for {} does not decode: {e}", A::wire_name())),
        };
        match decoded {
            Ok(Decoded { sealed, answer }) => {
                if let (Some(id), Some(answer)) = (id, answer) {
                    if answers.send(Outgoing::Answer { id, answer }).await.is_err() {
                        return;
                    }
                }
                if deliver(&actor, sealed).await.is_err() {
                    // The actor ended; the writer tells the peer.
                    return;
                }
            }
            Err(reason) => {
                tracing::warn!(%peer, %reason, "dropped a message from a peer");
                if let Some(id) = id {
                    if answers.send(Outgoing::Failed { id, reason }).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// An answer ready to be written.
enum Written {
    Reply { id: u64, bytes: Vec<u8> },
    Failed { id: u64, reason: WireReason },
    Unknown { ty: u32, name: String },
}

impl Outgoing {
    /// The answer if it needs no waiting, or the ask still to be answered.
    fn split(self) -> Result<Written, (u64, PendingAnswer)> {
        match self {
            Outgoing::Answer { id, answer } => Err((id, answer)),
            Outgoing::Failed { id, reason } => Ok(Written::Failed {
                id,
                reason: WireReason::Failed(reason),
            }),
            Outgoing::Unknown { ty, name } => Ok(Written::Unknown { ty, name }),
        }
    }

    /// The answer, waiting for the actor if need be.
    async fn resolve(self) -> Written {
        match self.split() {
            Ok(done) => done,
            Err((id, answer)) => written(id, answer.await),
        }
    }

    /// The answer if it is there already; `Err(self)` if the actor has not
    /// given it yet.
    fn ready(self) -> Result<Written, Self> {
        let (id, mut answer) = match self.split() {
            Ok(done) => return Ok(done),
            Err(pending) => pending,
        };
        let mut cx = Context::from_waker(Waker::noop());
        match answer.as_mut().poll(&mut cx) {
            Poll::Ready(answer) => Ok(written(id, answer)),
            Poll::Pending => Err(Outgoing::Answer { id, answer }),
        }
    }
}

fn written(id: u64, answer: Result<Vec<u8>, WireReason>) -> Written {
    match answer {
        Ok(bytes) => Written::Reply { id, bytes },
        Err(reason) => Written::Failed { id, reason },
    }
}

/// Appends one answer's frame.
fn push_written(buffer: &mut FrameBuffer, max_frame: usize, item: Written) {
    let pushed = match &item {
        Written::Reply { id, bytes } => buffer.push(max_frame, |out| {
            wire::append(&Response::Reply { id: *id }, out)?;
            out.extend_from_slice(bytes);
            Ok::<_, postcard::Error>(())
        }),
        Written::Failed { id, reason } => buffer.push(max_frame, |out| {
            wire::append(
                &Response::Failed {
                    id: *id,
                    reason: reason.clone(),
                },
                out,
            )
        }),
        Written::Unknown { ty, name } => buffer.push(max_frame, |out| {
            wire::append(&Response::Unknown { ty: *ty, name }, out)
        }),
    };
    if let (Err(e), Written::Reply { id, .. }) = (pushed, item) {
        let reason = WireReason::Failed(format!("the reply could not be sent: {e}"));
        push_written(buffer, max_frame, Written::Failed { id, reason });
    }
}

/// Writes answers in order, many per write, then `Ended` if the actor ended.
async fn write_responses<A: RemoteActor>(
    mut send: quinn::SendStream,
    mut queued: mpsc::Receiver<Outgoing>,
    watch: &WeakActorRef<A>,
    connection: &quinn::Connection,
    max_frame: usize,
) {
    let mut buffer = FrameBuffer::default();
    let ended = watch.join();
    tokio::pin!(ended);
    let mut end = None;
    let mut next: Option<Outgoing> = None;
    loop {
        let item = match next.take() {
            Some(item) => item,
            None => tokio::select! {
                biased;
                item = queued.recv() => match item {
                    Some(item) => item,
                    None => break,
                },
                reason = &mut ended, if end.is_none() => {
                    // Answer what was asked (the actor dropped it), then say so.
                    end = Some(reason);
                    queued.close();
                    continue;
                }
            },
        };
        // An answer may be long in coming; a peer that is gone no longer
        // waits for it, and neither does this task.
        let done = tokio::select! {
            done = item.resolve() => done,
            _ = connection.closed() => return,
        };
        push_written(&mut buffer, max_frame, done);
        while buffer.len() < FLUSH_AT {
            match queued.try_recv().map(Outgoing::ready) {
                Ok(Ok(done)) => push_written(&mut buffer, max_frame, done),
                Ok(Err(waiting)) => {
                    next = Some(waiting);
                    break;
                }
                Err(_) => break,
            }
        }
        if send.write_all(buffer.as_slice()).await.is_err() {
            return;
        }
        buffer.clear();
    }
    if let Some(reason) = end {
        let ended = Response::Ended {
            reason: WireReason::from(&reason),
        };
        if buffer
            .push(max_frame, |out| wire::append(&ended, out))
            .is_ok()
        {
            let _ = send.write_all(buffer.as_slice()).await;
        }
    }
    let _ = send.finish();
}
