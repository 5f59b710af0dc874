//! A peer's streams on an authenticated connection: each one's [`Open`] is
//! read, answered, and the stream handed to the export it names.
//!
//! A stream whose first frame does not come in time is reset; one whose
//! first frame breaks the protocol closes the connection; a refused one
//! (another version, no such export, another actor type) is answered and
//! finished, and the connection goes on.
//!
//! [`Open`]: crate::proto::wire::Open

use std::sync::Arc;

use crate::config::Limits;
use crate::export::Exports;
use crate::proto::export::Opening;
use crate::proto::frame::FrameBuffer;
use crate::proto::{Violation, CLOSE_PROTOCOL};
use crate::stream::{protocol_violation, read_chunk, Accepted};

/// Accepts the streams a peer opens on `connection`, until it closes.
pub(crate) async fn serve_connection(
    exports: Arc<Exports>,
    limits: Limits,
    connection: quinn::Connection,
) {
    loop {
        match connection.accept_bi().await {
            Ok((send, recv)) => {
                tokio::spawn(open_stream(
                    exports.clone(),
                    limits,
                    connection.clone(),
                    send,
                    recv,
                ));
            }
            Err(e) => {
                tracing::debug!(peer = %connection.remote_address(), reason = %e, "connection closed");
                return;
            }
        }
    }
}

/// Reads a stream's `Open`, and serves it or refuses it.
async fn open_stream(
    exports: Arc<Exports>,
    limits: Limits,
    connection: quinn::Connection,
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) {
    let peer = connection.remote_address();
    let mut opening = Opening::new(limits.max_frame);
    let first = tokio::time::timeout(limits.handshake_timeout, async {
        loop {
            let Some(chunk) = read_chunk(&mut recv).await? else {
                return Ok::<_, quinn::ReadError>(opening.finish().map(|()| None));
            };
            match opening.feed(&chunk) {
                Ok((_, None)) => continue,
                Ok((used, Some(open))) => return Ok(Ok(Some((open, chunk.slice(used..))))),
                Err(violation) => return Ok(Err(violation)),
            }
        }
    })
    .await;
    let (open, rest) = match first {
        Ok(Ok(Ok(Some(opened)))) => opened,
        // Closed before saying anything: nothing to answer.
        Ok(Ok(Ok(None))) => return,
        Ok(Ok(Err(violation))) => return violated(&connection, &violation),
        // The stream or its connection failed: nobody to answer.
        Ok(Err(_)) => return,
        Err(_) => {
            tracing::warn!(%peer, "closing a stream that did not say what it opens in time");
            let _ = send.reset(CLOSE_PROTOCOL.into());
            return;
        }
    };
    let export = exports.get(&open.name);
    let mut buffer = FrameBuffer::default();
    let answered = opening.answer(&open, export.as_ref().map(|e| e.actor_type()), &mut buffer);
    if let Err(refusal) = &answered {
        tracing::info!(%peer, name = %crate::proto::shown(&open.name), expected = %crate::proto::shown(&open.actor_type), ?refusal, "refused a lookup");
    }
    if buffer.is_empty() || send.write_all(buffer.as_slice()).await.is_err() {
        return;
    }
    match (export, answered) {
        (Some(export), Ok(opened)) => {
            export
                .serve(Accepted {
                    send,
                    recv,
                    connection,
                    opened,
                    rest,
                    max_frame: limits.max_frame,
                })
                .await;
        }
        _ => {
            let _ = send.finish();
        }
    }
}

fn violated(connection: &quinn::Connection, violation: &Violation) {
    protocol_violation(connection, &violation.to_string());
}
