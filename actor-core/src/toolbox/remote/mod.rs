//! The toolbox over the network: the sessions that serve remote handles to
//! an exported [`Queue`](crate::queue::Queue),
//! [`WorkQueue`](crate::work_queue::WorkQueue),
//! [`Event`](crate::sync::Event) or [`Lock`](crate::sync::Lock), and the
//! clients that such a handle holds when its object is on another node.
//!
//! A tool is one handle type wherever its object is: a network layer exports
//! a tool through [`Exportable`](crate::remote::Exportable), and the handle
//! another node looks up is a `Queue<T>` (or `WorkQueue<T>`, `Event`,
//! `Lock`) with the same methods, errors and semantics, reaching the object
//! over the network. Only this module knows what crosses.
//!
//! What a remote handle promises its user (sessions, time limits, one
//! request at a time) is told in [the queue's
//! documentation](crate::queue#on-another-node).

pub(crate) mod event;
pub(crate) mod fifo;
pub(crate) mod lock;
pub(crate) mod queue;
pub(crate) mod work_queue;

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::queue::QueueError;
use super::sync::SyncError;
use super::Patience;
use crate::{ActorId, ActorRef, Error, Handler, Message, StopReason, WireName};

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
    /// A work item's lease that the handle's session does not hold.
    NotTaken {
        item: u64,
    },
    /// Anything else, said in words.
    Other(String),
}

impl From<&Error> for Refused {
    fn from(error: &Error) -> Self {
        match error {
            // A tool's actor that a supervisor will restart is gone for
            // this request all the same.
            Error::Stopped { .. } | Error::Restarting { .. } => Refused::Stopped,
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
    fn refused(refused: Refused, id: ActorId, operation: &'static str, wait: Patience) -> Self;
}

/// A refusal that no tool names, as the kernel's error.
pub(crate) fn other(id: ActorId, operation: &'static str, refused: Refused) -> Error {
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
            QueueError::NotTaken { item, .. } => Refused::NotTaken {
                item: item.as_u64(),
            },
            QueueError::Actor(error) => Refused::from(error),
        }
    }

    fn refused(refused: Refused, id: ActorId, operation: &'static str, wait: Patience) -> Self {
        match refused {
            Refused::Empty => QueueError::Empty { queue: id },
            Refused::Full { capacity } => QueueError::Full {
                queue: id,
                capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
            },
            Refused::Closed => QueueError::Closed { queue: id },
            Refused::NotTaken { item } => QueueError::NotTaken {
                queue: id,
                item: crate::work_queue::WorkId(item),
            },
            Refused::TimedOut => QueueError::Timeout {
                queue: id,
                operation,
                timeout: wait.limit(),
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

    fn refused(refused: Refused, id: ActorId, operation: &'static str, _wait: Patience) -> Self {
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
    wait: Patience,
) -> Result<M::Reply, Error>
where
    A: Handler<M>,
    M: Message,
{
    match wait {
        Patience::Forever => session.ask(message).await,
        Patience::None => session.ask_timeout(message, GRACE).await,
        Patience::Limit(limit) => {
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
    wait: Patience,
) -> Result<R, E> {
    asked?.map_err(|refused| E::refused(refused, id, operation, wait))
}

/// Implements `WireName` (the given name) and `RemoteMessage` for
/// non-generic messages.
macro_rules! wire_names {
    ($($ty:ty => $name:literal),* $(,)?) => {
        $(impl crate::WireName for $ty {
            fn wire_name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
        impl crate::RemoteMessage for $ty {})*
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

/// The most bytes of items one batch answer carries: a batch is taken whole
/// from the queue, and an answer over the frame limit (1 MiB by default)
/// could not be sent, so the session sends what fits this budget (at least
/// one item) and gives the rest back to the front of the queue.
pub(crate) const BATCH_BYTES: usize = 256 * 1024;

/// A remote operation's future, boxed so that a handle can hold its remote
/// client as a trait object (hiding the serde bounds on its items).
pub(crate) type Pending<'a, R> = Pin<Box<dyn Future<Output = R> + Send + 'a>>;
