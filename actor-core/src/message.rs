//! Messages and the handlers that receive them.
//!
//! A message is any `Send + 'static` type that names its reply type by
//! implementing [`Message`]. An actor receives it by implementing
//! [`Handler<M>`] for it, once per message type: an actor can handle many.

use std::future::Future;

use crate::actor::Actor;
use crate::context::Context;

/// A message: a value sent to an actor, answered with a `Reply`.
///
/// ```
/// use actor_core::Message;
///
/// struct Deposit(u64);
/// impl Message for Deposit {
///     type Reply = u64; // the new balance
/// }
/// ```
///
/// # Large messages and replies
///
/// A message of up to three machine words, or a reply of up to six, costs
/// no allocation. A larger one is boxed once, when the send starts (a
/// reply: when the handler returns it), and then moves as a pointer: the
/// runtime keeps at most one copy of it on a stack at a time. An actor
/// that answers an inline 512 KiB message with an inline 1 MiB reply runs
/// on a 1.1 MiB stack (tokio's default is 2 MiB; a hand-written `mpsc` and
/// `oneshot` server needs 4.1 MiB; see `BENCHMARKS.md`). The copies your
/// own code makes remain: a value built on the stack is there at least once
/// where it is built, and the asker above needs 2.1 MiB, nearly all of it
/// for its own copies of the message and the reply. For messages of
/// hundreds of kilobytes, prefer a `Vec` or a `Box` inside the message to
/// an inline array.
pub trait Message: Send + 'static {
    /// What the handler returns. `()` for messages that are only told.
    type Reply: Send + 'static;
}

/// Handling of message `M` by an actor.
///
/// The handler has exclusive access to the actor's state: messages are handled
/// one at a time, in mailbox order. Write it as an `async fn`:
///
/// ```
/// use actor_core::{Actor, Context, Handler, Message};
///
/// struct Account { balance: u64 }
/// impl Actor for Account {}
///
/// struct Deposit(u64);
/// impl Message for Deposit { type Reply = u64; }
///
/// impl Handler<Deposit> for Account {
///     async fn handle(&mut self, msg: Deposit, _ctx: &mut Context<Self>) -> u64 {
///         self.balance += msg.0;
///         self.balance
///     }
/// }
/// ```
///
/// A panic in a handler fails this actor only; see [`Actor`] for the lifecycle.
/// A handler that must run blocking or CPU-heavy code should hand it to
/// [`run_blocking`](crate::run_blocking) so that other actors keep running.
pub trait Handler<M: Message>: Actor {
    /// Handles one message and produces its reply.
    fn handle(&mut self, msg: M, ctx: &mut Context<Self>) -> impl Future<Output = M::Reply> + Send;
}
