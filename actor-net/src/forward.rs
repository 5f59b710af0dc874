//! The calling side: the task behind each remote reference.
//!
//! [`Node::lookup`](crate::Node::lookup) makes a proxy reference and spawns
//! [`forward`], which opens a stream to the export and then moves the proxy's
//! messages onto it: it takes every message queued (one lock for the lot),
//! encodes them into one buffer and sends it with one write. While the stream
//! is slow to drain, it takes nothing, so the proxy's bounded mailbox fills
//! and senders wait: backpressure crosses the network. Answers to asks come
//! back on the same stream, in order, matched by id.
//!
//! When the connection is lost, the asks in flight fail, the reference's
//! monitors and links fire with the reason, and the task reconnects with a
//! capped exponential backoff and reopens the same name; messages sent
//! meanwhile wait in the mailbox. When the remote actor ends, or the
//! reference is dropped, the task ends.

use std::any::TypeId;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::remote::{Proxy, Sealed};
use actor_core::StopReason;
use bytes::Bytes;
use tokio::sync::oneshot;

use crate::config::Limits;
use crate::error::NetError;
use crate::peers::Peers;
use crate::proto::caller::{Asks, Event, Requests, Responses};
use crate::proto::frame::{FrameBuffer, PushError};
use crate::proto::wire::{Refusal, VERSION};
use crate::proto::Violation;
use crate::stream::{protocol_violation, read_chunk, FLUSH_AT};
use actor_core::remote::accepts::{Accepts, Encoding, Outbound, PendingReply, RemoteActor};

/// What a remote reference points at.
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    pub(crate) name: String,
    pub(crate) actor_type: String,
}

/// How a stream's session ended.
enum SessionEnd {
    /// Every reference was dropped (or the proxy stopped or killed).
    Closed,
    /// The remote actor ended.
    Ended(StopReason),
    /// The connection or the stream was lost.
    Lost(String),
}

/// A stream opened to an export.
struct OpenStream {
    send: quinn::SendStream,
    recv: quinn::RecvStream,
    requests: Requests,
    responses: Responses,
    /// What arrived after the answer to the `Open`, in its chunk.
    rest: Bytes,
    connection: quinn::Connection,
}

/// Forwards `proxy`'s messages to `target` for as long as the reference
/// lives. `opened` learns how the first attempt went: a failed first
/// attempt ends the reference.
pub(crate) async fn forward<A: RemoteActor>(
    peers: Arc<Peers>,
    limits: Limits,
    target: Target,
    mut proxy: Proxy<A>,
    accepts: Arc<Accepts<A>>,
    opened: oneshot::Sender<Result<(), NetError>>,
) {
    let mut first = Some(opened);
    let mut delay: Option<Duration> = None;
    loop {
        if peers.is_closed() {
            return proxy.finish(StopReason::failed("the local node was shut down"));
        }
        let (min, max) = (limits.reconnect_min, limits.reconnect_max);
        let attempt = open(&peers, limits, &target).await;
        let stream = match attempt {
            Ok(stream) => stream,
            Err(error) => {
                if let Some(first) = first.take() {
                    proxy.finish(StopReason::failed(&error));
                    let _ = first.send(Err(error));
                    return;
                }
                if matches!(error, NetError::NodeClosed) {
                    return proxy.finish(StopReason::failed(&error));
                }
                let wait = delay.map_or(min, |d| (d * 2).min(max));
                delay = Some(wait);
                tracing::debug!(node = %target.addr, name = %target.name, %error, ?wait, "reconnecting");
                tokio::time::sleep(wait).await;
                if proxy.is_closed() {
                    let reason = proxy.end_requested();
                    return proxy.finish(reason);
                }
                continue;
            }
        };
        delay = None;
        if let Some(first) = first.take() {
            let _ = first.send(Ok(()));
        }
        match session(&mut proxy, &accepts, stream, &target).await {
            SessionEnd::Closed => {
                let reason = proxy.end_requested();
                return proxy.finish(reason);
            }
            SessionEnd::Ended(reason) => return proxy.finish(reason),
            SessionEnd::Lost(reason) => {
                tracing::warn!(node = %target.addr, name = %target.name, %reason, "lost the connection to a remote actor; reconnecting");
                proxy.interrupted(&lost(&target, &reason));
            }
        }
    }
}

/// The reason given to asks and monitors when the connection is lost.
fn lost(target: &Target, reason: &str) -> StopReason {
    StopReason::failed(format_args!(
        "connection to node {} lost ({reason}); it is being reopened",
        target.addr
    ))
}

/// Opens a stream to the export and reads its answer.
async fn open(peers: &Peers, limits: Limits, target: &Target) -> Result<OpenStream, NetError> {
    let addr = target.addr;
    let connection = peers.connection(addr).await?;
    let lost = |e: &dyn std::fmt::Display| NetError::ConnectionLost {
        addr,
        reason: e.to_string(),
    };
    let protocol = |reason: String| NetError::Protocol { addr, reason };
    let (mut send, mut recv) = connection.open_bi().await.map_err(|e| lost(&e))?;
    let requests = Requests::new(limits.max_frame);
    let mut buffer = FrameBuffer::default();
    requests
        .open(&mut buffer, &target.name, &target.actor_type)
        .map_err(|e| protocol(format!("the lookup does not fit a frame: {e}")))?;
    send.write_all(buffer.as_slice())
        .await
        .map_err(|e| lost(&e))?;
    let mut responses = Responses::new(limits.max_frame);
    let answer = tokio::time::timeout(limits.handshake_timeout, async {
        let mut answer = None;
        loop {
            let Some(chunk) = read_chunk(&mut recv).await.map_err(|e| lost(&e))? else {
                return Err(match responses.finish() {
                    Ok(()) => lost(&"the node closed the stream"),
                    Err(e) => lost(&e),
                });
            };
            let used = responses
                .feed(&chunk, &mut |event| match event {
                    Event::Opened => answer = Some(Ok(())),
                    Event::Refused(refusal) => answer = Some(Err(refusal)),
                    // Feeding stops at the answer to the `Open`.
                    _ => {}
                })
                .map_err(|violation| match violation {
                    Violation::Frame(e) => lost(&e),
                    Violation::Protocol(reason) => protocol(reason),
                })?;
            if let Some(answer) = answer {
                return Ok((answer, chunk.slice(used..)));
            }
        }
    })
    .await
    .map_err(|_| lost(&"the node did not answer the lookup in time"))?;
    match answer? {
        (Ok(()), rest) => Ok(OpenStream {
            send,
            recv,
            requests,
            responses,
            rest,
            connection,
        }),
        (Err(Refusal::NotExported), _) => Err(NetError::NotExported {
            addr,
            name: target.name.clone(),
        }),
        (Err(Refusal::WrongType { exported }), _) => Err(NetError::WrongType {
            addr,
            name: target.name.clone(),
            exported,
            expected: target.actor_type.clone(),
        }),
        (Err(Refusal::Version { ours }), _) => Err(NetError::Version {
            addr,
            ours: VERSION,
            theirs: ours,
        }),
    }
}

/// Asks written and not yet answered, in the order written.
type InFlight = Mutex<Asks<PendingReply>>;

/// Moves messages onto one open stream, and answers back, until it ends.
async fn session<A: RemoteActor>(
    proxy: &mut Proxy<A>,
    accepts: &Accepts<A>,
    stream: OpenStream,
    target: &Target,
) -> SessionEnd {
    let OpenStream {
        mut send,
        mut recv,
        requests,
        mut responses,
        rest,
        connection,
    } = stream;
    let in_flight: InFlight = Mutex::new(Asks::default());
    let writer = async {
        let mut encoder = Encoder {
            accepts,
            buffer: FrameBuffer::with_capacity(FLUSH_AT * 2),
            requests,
            asked: Vec::new(),
            last: None,
        };
        loop {
            let Some(first) = proxy.recv().await else {
                let _ = send.finish();
                return SessionEnd::Closed;
            };
            encoder.encode(first);
            while encoder.buffer.len() < FLUSH_AT {
                match proxy.try_recv() {
                    Some(next) => encoder.encode(next),
                    None => break,
                }
            }
            // One lock for the batch's asks, taken before the write: an
            // answer can only come after its ask went out.
            if !encoder.asked.is_empty() {
                let mut in_flight = lock(&in_flight);
                for (id, reply) in encoder.asked.drain(..) {
                    in_flight.push(id, reply);
                }
            }
            if encoder.buffer.is_empty() {
                continue;
            }
            if let Err(e) = send.write_all(encoder.buffer.as_slice()).await {
                return SessionEnd::Lost(e.to_string());
            }
            encoder.buffer.clear();
        }
    };
    let reader = async {
        let mut next = Some(rest);
        loop {
            let chunk = match next.take() {
                Some(chunk) => chunk,
                None => match read_chunk(&mut recv).await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => {
                        return match responses.finish() {
                            Ok(()) => SessionEnd::Lost("the remote node closed the stream".into()),
                            Err(violation) => broken(&connection, violation),
                        };
                    }
                    Err(e) => return SessionEnd::Lost(e.to_string()),
                },
            };
            let mut ended = None;
            let fed = responses.feed(&chunk, &mut |event| match event {
                Event::Answer { id, result } => {
                    complete(&in_flight, id, result.map_err(StopReason::from));
                }
                Event::Unknown { name, .. } => {
                    tracing::error!(node = %target.addr, export = %target.name, message = name, "the remote actor does not accept this message type from the network; its messages are dropped");
                }
                Event::Ended(reason) => ended = Some(reason),
                // Only the first frame, read by `open`.
                Event::Opened | Event::Refused(_) => {}
            });
            if let Some(reason) = ended {
                return SessionEnd::Ended(reason.into());
            }
            if let Err(violation) = fed {
                return broken(&connection, violation);
            }
        }
    };
    let end = tokio::select! {
        end = writer => end,
        end = reader => end,
    };
    let reason = match &end {
        SessionEnd::Closed => proxy.end_requested(),
        SessionEnd::Ended(reason) => reason.clone(),
        SessionEnd::Lost(reason) => lost(target, reason),
    };
    let unanswered: Vec<_> = lock(&in_flight).drain().collect();
    for reply in unanswered {
        reply(Err(reason.clone()));
    }
    end
}

/// Closes the connection of an export that broke the protocol.
fn broken(connection: &quinn::Connection, violation: Violation) -> SessionEnd {
    let reason = violation.to_string();
    protocol_violation(connection, &reason);
    SessionEnd::Lost(reason)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Completes ask `id`. Answers come in order; an ask skipped before it
/// cannot be answered any more.
fn complete(in_flight: &InFlight, id: u64, answer: Result<&[u8], StopReason>) {
    let completed = lock(in_flight).complete(id);
    for reply in completed.skipped {
        reply(Err(StopReason::failed(
            "the remote node answered a later ask first",
        )));
    }
    if let Some(reply) = completed.answered {
        reply(answer);
    }
}

/// Encodes a stream's outgoing messages into one buffer.
struct Encoder<'a, A: RemoteActor> {
    accepts: &'a Accepts<A>,
    buffer: FrameBuffer,
    requests: Requests,
    /// The asks of the batch being encoded, for the in-flight table.
    asked: Vec<(u64, PendingReply)>,
    /// The type of the last message encoded and how it goes, declared: a
    /// run of one type (the usual case) then needs no table lookup.
    last: Option<(TypeId, &'a Outbound<A>)>,
}

impl<'a, A: RemoteActor> Encoder<'a, A> {
    /// Appends one message's frame (and its type's declaration, the first
    /// time). A message that cannot go is dropped with an error log; an ask
    /// fails with the reason.
    fn encode(&mut self, sealed: Sealed<A>) {
        let message_type = sealed.message_type();
        let outbound = match self.last {
            Some((last, outbound)) if last == message_type => outbound,
            _ => match self.declare(&sealed) {
                Ok(outbound) => {
                    self.last = Some((message_type, outbound));
                    outbound
                }
                Err(reason) => return sealed.reject(reason),
            },
        };
        let ty = outbound.ty;
        let ask = sealed.is_ask();
        let (reply, pushed) = self.requests.message(&mut self.buffer, ty, ask, |out| {
            (outbound.encode)(sealed, out)
        });
        let reply = reply.flatten();
        match pushed {
            Ok(id) => {
                if let (Some(id), Some(reply)) = (id, reply) {
                    self.asked.push((id, reply));
                }
            }
            Err(PushError::Body(Encoding(reason))) => {
                tracing::error!(%reason, "dropped a message to a remote actor");
            }
            Err(too_large) => {
                let reason = format!("{} not sent: {too_large}", outbound.name);
                tracing::error!(%reason, "dropped a message to a remote actor");
                if let Some(reply) = reply {
                    reply(Err(StopReason::failed(reason)));
                }
            }
        }
    }

    /// How a message of `sealed`'s type goes, its type declared on this
    /// stream the first time; why not, if it cannot go.
    fn declare(&mut self, sealed: &Sealed<A>) -> Result<&'a Outbound<A>, StopReason> {
        let accepts: &'a Accepts<A> = self.accepts;
        let Some(outbound) = accepts.outbound(sealed.message_type()) else {
            let reason = format!(
                "{} is not a message {} accepts from the network; list it in `RemoteActor::accepts`",
                sealed.message_name(),
                A::wire_name()
            );
            tracing::error!(%reason, "dropped a message to a remote actor");
            return Err(StopReason::failed(reason));
        };
        if self
            .requests
            .declare(&mut self.buffer, outbound.ty, &outbound.name)
            .is_err()
        {
            return Err(StopReason::failed(
                "the message type's name does not fit a frame",
            ));
        }
        Ok(outbound)
    }
}
