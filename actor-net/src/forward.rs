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

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use actor_core::remote::{Proxy, Sealed};
use actor_core::StopReason;
use tokio::sync::oneshot;

use crate::error::NetError;
use crate::frame::{FrameBuffer, FrameReader, PushError};
use crate::node::{lock, NodeInner};
use crate::remote_actor::{Accepts, Encoding, PendingReply, RemoteActor};
use crate::serve::{protocol_violation, FLUSH_AT};
use crate::wire::{self, Open, Refusal, Request, Response, VERSION};

/// What a remote reference points at.
pub(crate) struct Target {
    pub(crate) node: Weak<NodeInner>,
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
    frames: FrameReader,
    connection: quinn::Connection,
}

/// Forwards `proxy`'s messages to `target` for as long as the reference
/// lives. `opened` learns how the first attempt went: a failed first
/// attempt ends the reference.
pub(crate) async fn forward<A: RemoteActor>(
    target: Target,
    mut proxy: Proxy<A>,
    accepts: Arc<Accepts<A>>,
    opened: oneshot::Sender<Result<(), NetError>>,
) {
    let mut first = Some(opened);
    let mut delay: Option<Duration> = None;
    loop {
        let Some(node) = target.node.upgrade() else {
            return proxy.finish(StopReason::failed("the local node was shut down"));
        };
        let (min, max, max_frame) = (
            node.config.reconnect_min,
            node.config.reconnect_max,
            node.config.max_frame_size,
        );
        let attempt = open(&node, &target).await;
        drop(node);
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
        match session(&mut proxy, &accepts, stream, max_frame, &target).await {
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
async fn open(node: &Arc<NodeInner>, target: &Target) -> Result<OpenStream, NetError> {
    let addr = target.addr;
    let max_frame = node.config.max_frame_size;
    let connection = node.connection(addr).await?;
    let lost = |e: &dyn std::fmt::Display| NetError::ConnectionLost {
        addr,
        reason: e.to_string(),
    };
    let (mut send, mut recv) = connection.open_bi().await.map_err(|e| lost(&e))?;
    let mut buffer = FrameBuffer::default();
    let request = Open {
        version: VERSION,
        name: target.name.clone(),
        actor_type: target.actor_type.clone(),
    };
    buffer
        .push(max_frame, |out| wire::append(&request, out))
        .map_err(|e| NetError::Protocol {
            addr,
            reason: format!("the lookup does not fit a frame: {e}"),
        })?;
    send.write_all(buffer.as_slice())
        .await
        .map_err(|e| lost(&e))?;
    let mut frames = FrameReader::new(max_frame);
    let answer = tokio::time::timeout(node.config.handshake_timeout, frames.next(&mut recv))
        .await
        .map_err(|_| lost(&"the node did not answer the lookup in time"))?;
    let frame = match answer {
        Ok(Some(frame)) => frame,
        Ok(None) => return Err(lost(&"the node closed the stream")),
        Err(e) => return Err(lost(&e)),
    };
    let protocol = |reason: String| NetError::Protocol { addr, reason };
    match postcard::from_bytes::<Response>(&frame) {
        Ok(Response::Opened) => Ok(OpenStream {
            send,
            recv,
            frames,
            connection,
        }),
        Ok(Response::Refused(Refusal::NotExported)) => Err(NetError::NotExported {
            addr,
            name: target.name.clone(),
        }),
        Ok(Response::Refused(Refusal::WrongType { exported })) => Err(NetError::WrongType {
            addr,
            name: target.name.clone(),
            exported,
            expected: target.actor_type.clone(),
        }),
        Ok(Response::Refused(Refusal::Version { ours })) => Err(NetError::Version {
            addr,
            ours: VERSION,
            theirs: ours,
        }),
        Ok(other) => Err(protocol(format!(
            "expected an answer to a lookup, got {other:?}"
        ))),
        Err(e) => Err(protocol(format!(
            "the answer to a lookup does not decode: {e}"
        ))),
    }
}

/// Asks written and not yet answered, in the order written.
type InFlight = Mutex<VecDeque<(u64, PendingReply)>>;

/// Moves messages onto one open stream, and answers back, until it ends.
async fn session<A: RemoteActor>(
    proxy: &mut Proxy<A>,
    accepts: &Accepts<A>,
    stream: OpenStream,
    max_frame: usize,
    target: &Target,
) -> SessionEnd {
    let OpenStream {
        mut send,
        mut recv,
        mut frames,
        connection,
    } = stream;
    let in_flight: InFlight = Mutex::new(VecDeque::new());
    let writer = async {
        let mut encoder = Encoder {
            accepts,
            buffer: FrameBuffer::with_capacity(FLUSH_AT * 2),
            declared: vec![false; accepts.len()],
            next_id: 0,
            max_frame,
        };
        loop {
            let Some(first) = proxy.recv().await else {
                let _ = send.finish();
                return SessionEnd::Closed;
            };
            encoder.encode(first, &in_flight);
            while encoder.buffer.len() < FLUSH_AT {
                match proxy.try_recv() {
                    Some(next) => encoder.encode(next, &in_flight),
                    None => break,
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
        loop {
            let frame = match frames.next(&mut recv).await {
                Ok(Some(frame)) => frame,
                Ok(None) => return SessionEnd::Lost("the remote node closed the stream".into()),
                Err(e) => {
                    if e.is_violation() {
                        protocol_violation(&connection, &e.to_string());
                    }
                    return SessionEnd::Lost(e.to_string());
                }
            };
            let (response, payload) = match postcard::take_from_bytes::<Response>(&frame) {
                Ok(decoded) => decoded,
                Err(e) => {
                    let reason = format!("an answer does not decode: {e}");
                    protocol_violation(&connection, &reason);
                    return SessionEnd::Lost(reason);
                }
            };
            match response {
                Response::Reply { id } => complete(&in_flight, id, Ok(payload)),
                Response::Failed { id, reason } => complete(&in_flight, id, Err(reason.into())),
                Response::Unknown { name, .. } => {
                    tracing::error!(node = %target.addr, export = %target.name, message = name, "the remote actor does not accept this message type from the network; its messages are dropped");
                }
                Response::Ended { reason } => return SessionEnd::Ended(reason.into()),
                Response::Opened | Response::Refused(_) => {
                    let reason = "an export answered a lookup twice".to_owned();
                    protocol_violation(&connection, &reason);
                    return SessionEnd::Lost(reason);
                }
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
    let unanswered = std::mem::take(&mut *lock(&in_flight));
    for (_, reply) in unanswered {
        reply(Err(reason.clone()));
    }
    end
}

/// Completes ask `id`. Answers come in order; an ask skipped before it
/// cannot be answered any more.
fn complete(in_flight: &InFlight, id: u64, answer: Result<&[u8], StopReason>) {
    let mut skipped = Vec::new();
    let found = {
        let mut in_flight = lock(in_flight);
        loop {
            match in_flight.pop_front() {
                Some((first, reply)) if first == id => break Some(reply),
                Some((first, reply)) if first < id => skipped.push(reply),
                Some(later) => {
                    in_flight.push_front(later);
                    break None;
                }
                None => break None,
            }
        }
    };
    for reply in skipped {
        reply(Err(StopReason::failed(
            "the remote node answered a later ask first",
        )));
    }
    if let Some(reply) = found {
        reply(answer);
    }
}

/// Encodes a stream's outgoing messages into one buffer.
struct Encoder<'a, A: RemoteActor> {
    accepts: &'a Accepts<A>,
    buffer: FrameBuffer,
    /// Which type numbers this stream has declared.
    declared: Vec<bool>,
    next_id: u64,
    max_frame: usize,
}

impl<A: RemoteActor> Encoder<'_, A> {
    /// Appends one message's frame (and its type's declaration, the first
    /// time). A message that cannot go is dropped with an error log; an ask
    /// fails with the reason.
    fn encode(&mut self, sealed: Sealed<A>, in_flight: &InFlight) {
        let Some(outbound) = self.accepts.outbound(sealed.message_type()) else {
            let reason = format!(
                "{} is not a message {} accepts from the network; list it in `RemoteActor::accepts`",
                sealed.message_name(),
                A::wire_name()
            );
            tracing::error!(%reason, "dropped a message to a remote actor");
            return sealed.reject(StopReason::failed(reason));
        };
        let ty = outbound.ty;
        let seen = &mut self.declared[ty as usize];
        if !*seen {
            let declare = Request::Declare {
                ty,
                name: &outbound.name,
            };
            if self
                .buffer
                .push(self.max_frame, |out| wire::append(&declare, out))
                .is_err()
            {
                return sealed.reject(StopReason::failed(
                    "the message type's name does not fit a frame",
                ));
            }
            *seen = true;
        }
        let id = self.next_id;
        let header = if sealed.is_ask() {
            Request::Ask { ty, id }
        } else {
            Request::Tell { ty }
        };
        let mut reply = None;
        let pushed = self.buffer.push(self.max_frame, |out| {
            wire::append(&header, out).map_err(|e| Encoding(e.to_string()))?;
            reply = (outbound.encode)(sealed, out)?;
            Ok(())
        });
        match pushed {
            Ok(()) => {
                if let Some(reply) = reply {
                    self.next_id += 1;
                    lock(in_flight).push_back((id, reply));
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
}
