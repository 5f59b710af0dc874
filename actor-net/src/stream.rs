//! What both ends of a stream share over quinn: reading it in chunks for a
//! protocol machine, how much to gather per write, and closing the
//! connection of a peer that broke the protocol.

use bytes::Bytes;

use crate::proto::CLOSE_PROTOCOL;

/// How much a reader asks the stream for at once.
const READ_CHUNK: usize = 64 * 1024;
/// A writer sends what it gathered once it has this much.
pub(crate) const FLUSH_AT: usize = 64 * 1024;

/// The next chunk of `recv`, in order; `None` at its clean end.
pub(crate) async fn read_chunk(
    recv: &mut quinn::RecvStream,
) -> Result<Option<Bytes>, quinn::ReadError> {
    Ok(recv
        .read_chunk(READ_CHUNK, true)
        .await?
        .map(|chunk| chunk.bytes))
}

/// Closes the connection of a peer that broke the protocol, and says why in
/// the log and in the close frame.
pub(crate) fn protocol_violation(connection: &quinn::Connection, reason: &str) {
    tracing::warn!(peer = %connection.remote_address(), %reason, "closing the connection of a peer that broke the protocol");
    let mut reason = reason.as_bytes();
    reason = &reason[..reason.len().min(256)];
    connection.close(CLOSE_PROTOCOL.into(), reason);
}

/// A stream a peer opened to an export and that export accepted: handed to
/// the export, which serves it.
pub(crate) struct Accepted {
    pub(crate) send: quinn::SendStream,
    pub(crate) recv: quinn::RecvStream,
    pub(crate) connection: quinn::Connection,
    /// The protocol state after the `Open`.
    pub(crate) opened: crate::proto::export::Opened,
    /// What arrived after the `Open` in its chunk: the first requests.
    pub(crate) rest: Bytes,
    pub(crate) max_frame: usize,
}
