//! The toolbox over the network: queues, work queues, events and locks that
//! one node exports and others use as they use the local ones.
//!
//! A node exports a local [`Queue`](actor_core::queue::Queue),
//! [`WorkQueue`](actor_core::work_queue::WorkQueue),
//! [`Event`](actor_core::sync::Event) or [`Lock`](actor_core::sync::Lock)
//! under a name ([`Node::export_queue`](crate::Node::export_queue), ...);
//! another node looks it up ([`Node::lookup_queue`](crate::Node::lookup_queue),
//! ...) and gets a handle with the same methods, the same errors and the same
//! semantics: [`RemoteQueue`], [`RemoteWorkQueue`], [`RemoteEvent`],
//! [`RemoteLock`].
//!
//! # Sessions
//!
//! Each looked-up handle is a *session*: the exporting node gives it an actor
//! of its own, holding a clone of the local handle and whatever the remote
//! handle holds — the leases on the work items it took, the guard of the lock
//! it acquired. The session lives exactly as long as the handle's stream:
//! when the remote handle is dropped, or its node dies or shuts down (the
//! connection closes, or times out after the exporting node's
//! [`idle_timeout`](crate::NodeConfig::idle_timeout)), the session ends and
//! drops what it held, as a local holder that dies would: its work items go
//! back to their queue and are delivered again, its lock is released. A
//! request that was waiting on the dead handle's behalf (a `get`, a `lock`)
//! is withdrawn, so it takes nothing that nobody would receive. A handle
//! whose connection was lost reconnects to a fresh session, holding nothing:
//! acknowledging a work item taken before fails (it was given back), and
//! dropping a lock guard from before does nothing.
//!
//! Time limits (`get_timeout`, `lock_timeout`, ...) are enforced by the
//! exporting node, where the waiting happens, and bounded on the calling side
//! too, at the limit plus a few seconds of grace: a request to a node that
//! is gone fails rather than waits for it to come back. Network failures
//! surface as the errors of a remote ask ([`Error::Failed`] naming the node,
//! [`Error::Timeout`], or [`Error::Stopped`]). Errors name the queue (or lock) by the [`ActorId`] of
//! the handle's reference, which is what this process knows it by.
//!
//! # One request at a time per handle
//!
//! A session serves its handle's requests one at a time, in order, and clones
//! of a handle share its session. So a request that waits (a `get` on an
//! empty queue, a `wait` on a clear event, a `lock` of a held lock) holds up
//! the requests sent after it through the same handle — including a `done`
//! or a guard's release. Give each task that waits its own handle: look the
//! object up again (a lookup is one stream, cheap on an open connection).
//!
//! Cancelling a waiting request on the calling side (dropping its future, in
//! a `select!` or under `tokio::time::timeout`) does not reach the exporting
//! node: the request goes on waiting there, and what it takes is lost (a
//! queue item) or held until the handle is dropped (a work item). A
//! cancelled `lock` is released as soon as it is granted. Use the
//! `*_timeout` variants, which the exporting node enforces, or drop the
//! handle with the future.

mod common;
mod event;
mod lock;
mod queue;
mod work_queue;

pub use event::RemoteEvent;
pub use lock::{RemoteLock, RemoteLockGuard};
pub use queue::RemoteQueue;
pub use work_queue::{RemoteWorkItem, RemoteWorkQueue};

use std::borrow::Cow;
use std::time::Duration;

use actor_core::queue::QueueError;
use actor_core::sync::SyncError;
use actor_core::{ActorId, ActorRef, Error, Handler, Message, StopReason, WireName};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How long a request may wait on the exporting node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Wait {
    /// Not at all (`try_*`).
    None,
    /// As long as it takes.
    Forever,
    /// At most this long (`*_timeout`).
    Limit(Duration),
}

/// Why the exporting node refused a request: the local error, without the
/// ids that only mean something there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Refused {
    Empty,
    Full {
        capacity: u64,
    },
    Closed,
    TimedOut,
    Stopped,
    /// Anything else, said in words.
    Other(String),
}

impl From<&Error> for Refused {
    fn from(error: &Error) -> Self {
        match error {
            Error::Stopped { .. } => Refused::Stopped,
            other => Refused::Other(other.to_string()),
        }
    }
}

/// A tool's own error, as the two sides of a request see it: the exporting
/// node flattens it into a [`Refused`], the calling node rebuilds it.
pub(crate) trait ToolError: From<Error> + Sized {
    /// What the exporting node sends back for this error.
    fn to_refused(&self) -> Refused;

    /// The error a local handle would have returned, naming the object by
    /// `id` (the handle's reference).
    fn refused(refused: Refused, id: ActorId, operation: &'static str, wait: Wait) -> Self;
}

/// A refusal that no tool names, as the kernel's error.
fn other(id: ActorId, operation: &'static str, refused: Refused) -> Error {
    let reason = match refused {
        Refused::Stopped => return Error::Stopped { actor: id },
        Refused::Other(reason) => reason,
        unexpected => format!("{unexpected:?}"),
    };
    Error::Failed {
        actor: id,
        reason: StopReason::failed(format_args!("`{operation}` was refused: {reason}")),
    }
}

impl ToolError for QueueError {
    fn to_refused(&self) -> Refused {
        match self {
            QueueError::Empty { .. } => Refused::Empty,
            QueueError::Full { capacity, .. } => Refused::Full {
                capacity: u64::try_from(*capacity).unwrap_or(u64::MAX),
            },
            QueueError::Closed { .. } => Refused::Closed,
            QueueError::Timeout { .. } => Refused::TimedOut,
            QueueError::Actor(error) => Refused::from(error),
            other => Refused::Other(other.to_string()),
        }
    }

    fn refused(refused: Refused, id: ActorId, operation: &'static str, wait: Wait) -> Self {
        match refused {
            Refused::Empty => QueueError::Empty { queue: id },
            Refused::Full { capacity } => QueueError::Full {
                queue: id,
                capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
            },
            Refused::Closed => QueueError::Closed { queue: id },
            Refused::TimedOut => QueueError::Timeout {
                queue: id,
                operation,
                timeout: match wait {
                    Wait::Limit(limit) => limit,
                    Wait::None | Wait::Forever => Duration::ZERO,
                },
            },
            refused => other(id, operation, refused).into(),
        }
    }
}

impl ToolError for SyncError {
    fn to_refused(&self) -> Refused {
        match self {
            SyncError::Actor(error) => Refused::from(error),
            other => Refused::Other(other.to_string()),
        }
    }

    fn refused(refused: Refused, id: ActorId, operation: &'static str, _wait: Wait) -> Self {
        other(id, operation, refused).into()
    }
}

/// How long past its own limit a request's answer may take before the
/// exporting node counts as unreachable. The limit itself is kept on the
/// exporting node; this bound is what keeps a caller from waiting on a node
/// that is gone (its reference would otherwise wait for the reconnect).
pub(crate) const GRACE: Duration = Duration::from_secs(5);

/// Asks a session, bounded by `wait`'s limit plus [`GRACE`] (a request that
/// waits `Forever` is bounded only by the connection: its node's loss fails it).
pub(crate) async fn request<A, M>(
    session: &ActorRef<A>,
    message: M,
    wait: Wait,
) -> Result<M::Reply, Error>
where
    A: Handler<M>,
    M: Message,
{
    match wait {
        Wait::Forever => session.ask(message).await,
        Wait::None => session.ask_timeout(message, GRACE).await,
        Wait::Limit(limit) => {
            session
                .ask_timeout(message, limit.saturating_add(GRACE))
                .await
        }
    }
}

/// The answer of a session to a request, flattened into the tool's error.
pub(crate) fn answer<R, E: ToolError>(
    asked: Result<Result<R, Refused>, Error>,
    id: ActorId,
    operation: &'static str,
    wait: Wait,
) -> Result<R, E> {
    asked?.map_err(|refused| E::refused(refused, id, operation, wait))
}

/// Implements `WireName` (the given name) and `RemoteMessage` for
/// non-generic messages.
macro_rules! wire_names {
    ($($ty:ty => $name:literal),* $(,)?) => {
        $(impl actor_core::WireName for $ty {
            fn wire_name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
        impl actor_core::RemoteMessage for $ty {})*
    };
}
pub(crate) use wire_names;

/// `head<T>`, from `T`'s wire name: the name of a generic session or message.
pub(crate) fn generic_name<T: WireName>(head: &str) -> Cow<'static, str> {
    Cow::Owned(format!("{head}<{}>", T::wire_name()))
}

/// Encodes an item that crosses inside a message as bytes, so that the
/// sender keeps the item itself (to hand it back if the request fails).
pub(crate) fn encode<T: Serialize>(item: &T) -> Result<Vec<u8>, String> {
    postcard::to_stdvec(item).map_err(|e| format!("the item does not serialise: {e}"))
}

/// Decodes an item that crossed as bytes.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Refused> {
    postcard::from_bytes(bytes)
        .map_err(|e| Refused::Other(format!("the item does not decode: {e}")))
}
