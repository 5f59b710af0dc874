//! Serving one accepted stream to one actor: the quinn loop around the
//! export side's protocol machine ([`crate::proto::export::Serving`]).
//!
//! Each stream is served by two halves running together. The reader feeds
//! each chunk to the machine, decodes the messages it reports and delivers
//! them to the actor's mailbox in order, a chunk's messages as one batch,
//! waiting while the mailbox is full:
//! the stream then stops being read, QUIC's flow control fills, and the
//! remote sender waits too, so a slow actor slows its senders instead of
//! growing a buffer. The writer sends the answers to asks back in the order
//! the asks came (one actor answers in that order), many per write.
//!
//! Bad input never reaches an actor and never panics: what the machine calls
//! a violation closes the peer's connection (it is broken or hostile); a
//! message body that does not decode, or a type the actor does not accept, is
//! dropped with a log line and an error answer to an ask. Other streams and
//! peers are unaffected either way.

use std::task::{Context, Poll, Waker};

use actor_core::remote::proxy::{deliver_batch, Batch};
use actor_core::{ActorRef, StopReason, WeakActorRef};
use tokio::sync::mpsc;

use crate::proto::export::{Answers, Event};
use crate::proto::frame::FrameBuffer;
use crate::proto::wire::WireReason;
use crate::stream::{protocol_violation, read_chunk, Accepted, FLUSH_AT};
use actor_core::remote::accepts::{Accepts, Decoded, Inbound, PendingAnswer, RemoteActor};

/// Answers waiting to be written, per stream, before the reader waits.
const ANSWERS_IN_FLIGHT: usize = 1024;

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
    stream: Accepted,
) {
    let Accepted {
        send,
        recv,
        connection,
        opened,
        rest,
        max_frame,
    } = stream;
    let (answers, queued) = mpsc::channel(ANSWERS_IN_FLIGHT);
    let watch = actor.downgrade();
    let reader = async {
        read_requests(
            actor.clone(),
            &accepts,
            recv,
            opened,
            rest,
            &connection,
            answers,
        )
        .await;
        if owner == Owner::Stream {
            actor.kill();
        }
    };
    let writer = write_responses(send, queued, &watch, &connection, Answers { max_frame });
    tokio::join!(reader, writer);
}

async fn read_requests<A: RemoteActor>(
    actor: ActorRef<A>,
    accepts: &Accepts<A>,
    mut recv: quinn::RecvStream,
    opened: crate::proto::export::Opened,
    rest: bytes::Bytes,
    connection: &quinn::Connection,
    answers: mpsc::Sender<Outgoing>,
) {
    let peer = connection.remote_address();
    let mut machine = opened.serve::<Inbound<A>>();
    let mut resolve = |name: &str| accepts.inbound(name);
    // What one chunk brings, each in order: the messages, delivered to the
    // actor in batches (one mailbox lock and one wake-up per batch, not per
    // message), and the answers the writer is to send, each with the number
    // of the chunk's messages that came before it.
    let mut messages = Batch::<A>::default();
    let mut outgoing: Vec<(usize, Outgoing)> = Vec::new();
    let mut next = Some(rest);
    loop {
        let chunk = match next.take() {
            Some(chunk) => chunk,
            None => match read_chunk(&mut recv).await {
                Ok(Some(chunk)) => chunk,
                // The remote reference was dropped (mid-frame: a violation).
                Ok(None) => {
                    if let Err(violation) = machine.finish() {
                        protocol_violation(connection, &violation.to_string());
                    }
                    return;
                }
                Err(_) => return,
            },
        };
        let fed = machine.feed(&chunk, &mut resolve, &mut |event| {
            act::<A>(event, &peer, &mut messages, &mut outgoing);
        });
        if !hand_over(&actor, &answers, &mut messages, &mut outgoing).await {
            // The actor ended (the writer tells the peer), or the writer did.
            return;
        }
        // What came before a violation was delivered, as it arrived.
        if let Err(violation) = fed {
            return protocol_violation(connection, &violation.to_string());
        }
    }
}

/// Hands the writer a chunk's answers and the actor its messages; `false`
/// once either is gone.
///
/// In the order a message-by-message reader would: an answer is handed
/// over once the messages before it are delivered, and before its own
/// message. So if the actor ends, the asks it was given are answered (a
/// dropped one as not handled) and no later one is; and when the writer is
/// full, every answer it holds is to a message the actor has, so the reader
/// can wait for it.
async fn hand_over<A: RemoteActor>(
    actor: &ActorRef<A>,
    answers: &mpsc::Sender<Outgoing>,
    messages: &mut Batch<A>,
    outgoing: &mut Vec<(usize, Outgoing)>,
) -> bool {
    let mut delivered = 0;
    let mut first = Batch::default();
    for (before, item) in outgoing.drain(..) {
        if before > delivered {
            messages.move_front(before - delivered, &mut first);
            if deliver_batch(actor, &mut first).await.is_err() {
                return false;
            }
            delivered = before;
        }
        if answers.send(item).await.is_err() {
            return false;
        }
    }
    deliver_batch(actor, messages).await.is_ok()
}

/// What the reader does about one event of the machine: a message for the
/// actor, and an answer for the writer if there is one.
fn act<A: RemoteActor>(
    event: Event<'_, Inbound<A>>,
    peer: &std::net::SocketAddr,
    messages: &mut Batch<A>,
    outgoing: &mut Vec<(usize, Outgoing)>,
) {
    let before = messages.len();
    match event {
        Event::Deliver {
            ask_id,
            decode,
            payload,
            ..
        } => match decode(payload, ask_id.is_some(), None) {
            Ok(Decoded { sealed, answer }) => {
                if let Some((id, answer)) = ask_id.zip(answer) {
                    outgoing.push((before, Outgoing::Answer { id, answer }));
                }
                messages.push(sealed);
            }
            Err(e) => {
                let reason = format!("a message for {} does not decode: {e}", A::wire_name());
                tracing::warn!(%peer, %reason, "dropped a message from a peer");
                if let Some(id) = ask_id {
                    outgoing.push((before, Outgoing::Failed { id, reason }));
                }
            }
        },
        Event::Unknown { ty, name } => {
            tracing::warn!(%peer, message = %crate::proto::shown(name), actor = %A::wire_name(), "a peer sends a message type this actor does not accept from the network; its messages are dropped");
            let unknown = Outgoing::Unknown {
                ty,
                name: name.to_owned(),
            };
            outgoing.push((before, unknown));
        }
        Event::Rejected { ask_id, .. } => {
            let reason = format!("{} does not accept this message type", A::wire_name());
            tracing::warn!(%peer, %reason, "dropped a message from a peer");
            if let Some(id) = ask_id {
                outgoing.push((before, Outgoing::Failed { id, reason }));
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

fn written(id: u64, answer: Result<Vec<u8>, StopReason>) -> Written {
    match answer {
        Ok(bytes) => Written::Reply { id, bytes },
        Err(reason) => Written::Failed {
            id,
            reason: WireReason::from(&reason),
        },
    }
}

/// Appends one answer's frame.
fn push_written(buffer: &mut FrameBuffer, answers: Answers, item: Written) {
    match item {
        Written::Reply { id, bytes } => answers.reply(buffer, id, &bytes),
        Written::Failed { id, reason } => answers.failed(buffer, id, &reason),
        Written::Unknown { ty, name } => answers.unknown(buffer, ty, &name),
    }
}

/// Writes answers in order, many per write, then `Ended` if the actor ended.
async fn write_responses<A: RemoteActor>(
    mut send: quinn::SendStream,
    mut queued: mpsc::Receiver<Outgoing>,
    watch: &WeakActorRef<A>,
    connection: &quinn::Connection,
    answers: Answers,
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
        push_written(&mut buffer, answers, done);
        while buffer.len() < FLUSH_AT {
            match queued.try_recv().map(Outgoing::ready) {
                Ok(Ok(done)) => push_written(&mut buffer, answers, done),
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
        if answers.ended(&mut buffer, &WireReason::from(&reason)) {
            let _ = send.write_all(buffer.as_slice()).await;
        }
    }
    let _ = send.finish();
}
