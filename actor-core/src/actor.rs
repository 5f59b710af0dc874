//! The [`Actor`] trait: state plus lifecycle.
//!
//! An actor is a value that owns its state and is reached only through its
//! mailbox. The runtime calls its hooks in this order: [`Actor::started`] once,
//! then a [`Handler`](crate::Handler) call per message, one at a time, then
//! [`Actor::stopping`] (unless it was killed or `started` failed), then
//! [`Actor::stopped`] with the reason. Hooks are plain `async fn`s in the impl;
//! no attribute macro is needed.

use std::future::Future;

use crate::context::Context;
use crate::stop::StopReason;

/// An error a lifecycle hook can return: any error type, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How many messages an actor's mailbox holds before `tell` waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailboxCapacity {
    /// At most this many messages wait; senders wait (or `try_tell` fails) beyond.
    /// A capacity of 0 is treated as 1.
    Bounded(usize),
    /// No limit. Memory grows as fast as senders outpace the actor: opt in only
    /// when senders are known to be slower.
    Unbounded,
}

impl MailboxCapacity {
    /// The bound as a number, `usize::MAX` for unbounded.
    pub(crate) fn limit(self) -> usize {
        match self {
            MailboxCapacity::Bounded(n) => n.max(1),
            MailboxCapacity::Unbounded => usize::MAX,
        }
    }
}

/// The default mailbox capacity.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 64;

/// An actor: state that handles messages one at a time.
///
/// Every method has a default; the smallest actor is `impl Actor for T {}`.
///
/// ```
/// use actor_core::{Actor, Context, BoxError};
///
/// struct Greeter { greeted: u32 }
///
/// impl Actor for Greeter {
///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
///         println!("{} is up", ctx.id());
///         Ok(())
///     }
/// }
/// ```
pub trait Actor: Sized + Send + 'static {
    /// A short name for logs, ids and errors. Defaults to the type's name
    /// without its module path.
    fn name() -> &'static str {
        short_type_name::<Self>()
    }

    /// The mailbox capacity. Defaults to
    /// [`Bounded(64)`](MailboxCapacity::Bounded).
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(DEFAULT_MAILBOX_CAPACITY)
    }

    /// Runs once before the first message. An error or a panic here fails the
    /// actor: no message is handled, `stopping` is skipped, and `stopped`
    /// receives [`StopReason::Failed`].
    fn started(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), BoxError>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Runs on a supervised actor's new instance before `started`, when it
    /// replaces an instance that ended; `previous` is why that one ended. A
    /// panic here fails the run like a failing `started`.
    fn restarting(
        &mut self,
        ctx: &mut Context<Self>,
        previous: &StopReason,
    ) -> impl Future<Output = ()> + Send {
        let _ = (ctx, previous);
        async {}
    }

    /// Runs once after the last message is handled, when the actor stops
    /// normally, fails in a handler, or is shut down. Children are still
    /// running at this point. It is skipped when the actor is killed.
    fn stopping(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// Runs last, after the children and timers have stopped, with the reason
    /// the actor stopped. Awaiting [`ActorRef::join`](crate::ActorRef::join)
    /// returns after this hook.
    fn stopped(&mut self, reason: &StopReason) -> impl Future<Output = ()> + Send {
        let _ = reason;
        async {}
    }
}

/// `path::to::Type<path::Arg>` becomes `Type<Arg>`.
fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let head_end = full.find('<').unwrap_or(full.len());
    let start = full[..head_end].rfind("::").map_or(0, |i| i + 2);
    &full[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;
    #[allow(dead_code)]
    struct Wrapper<T>(T);

    #[test]
    fn names_drop_the_module_path() {
        assert_eq!(short_type_name::<Plain>(), "Plain");
        assert!(short_type_name::<Wrapper<Plain>>().starts_with("Wrapper<"));
    }

    #[test]
    fn capacity_zero_means_one() {
        assert_eq!(MailboxCapacity::Bounded(0).limit(), 1);
        assert_eq!(MailboxCapacity::Unbounded.limit(), usize::MAX);
    }
}
