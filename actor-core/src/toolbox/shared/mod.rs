//! Shared state: Python's `Manager().dict()`, `.list()`
//! and `.Value()`, made of actors.
//!
//! A [`SharedMap`], [`SharedList`] or [`SharedValue`] is a cheap, clonable
//! handle to an actor that owns the data. Every operation is a message to
//! that actor, handled one at a time, so each one is atomic, including a
//! read-modify-write given as a closure (`update`). Python needs a `Lock`
//! around `dic['count'] -= 1` so that 100 processes end at exactly 0; here
//! the decrement is one message, and nothing else can run in the middle of
//! it:
//!
//! ```
//! use actor_core::shared::SharedMap;
//!
//! # #[tokio::main] async fn main() -> Result<(), actor_core::shared::SharedError> {
//! let dic = SharedMap::new();
//! dic.insert("count", 100).await?;
//! let tasks: Vec<_> = (0..100)
//!     .map(|_| {
//!         let dic = dic.clone();
//!         tokio::spawn(async move { dic.update("count", |count| *count -= 1).await })
//!     })
//!     .collect();
//! for task in tasks {
//!     task.await.expect("no panic")?;
//! }
//! assert_eq!(dic.get("count").await?, Some(0));
//! # Ok(()) }
//! ```
//!
//! What is still possible, and still wrong, is a read followed by a separate
//! write (`get`, then `insert` of the value computed from it): another
//! update can come in between. Use `update` for anything that depends on the
//! current value.
//!
//! The owner stops once every handle is dropped. A panic inside an operation
//! (in an update closure, or in a `Clone`, `Hash` or `Eq` implementation of
//! the stored types) is caught: the caller gets
//! [`SharedError::Panicked`], and the owner goes on serving the others.
//! So the operations fail only if the runtime is shutting down.

mod error;
mod list;
mod map;
mod value;

use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::Actor;
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::StopReason;
use crate::{Handler, Message};

pub use error::SharedError;
pub use list::SharedList;
pub use map::{MapKey, SharedMap};
pub use value::SharedValue;

/// State an [`Owner`] can hold.
pub(crate) trait State: Send + 'static {
    /// The owner's actor name, as it appears in ids and errors.
    const NAME: &'static str;
}

/// State with a size: a list or a map.
pub(crate) trait Collection: State {
    fn size(&self) -> usize;
    fn clear(&mut self);
}

/// The actor that owns one piece of shared state.
pub(crate) struct Owner<S> {
    pub(crate) state: S,
}

impl<S: State> Actor for Owner<S> {
    fn name() -> &'static str {
        S::NAME
    }
}

/// Runs `op` on the owner's state; a panic becomes the caller's error rather
/// than the owner's failure.
pub(crate) fn guarded<R>(owner: ActorId, op: impl FnOnce() -> R) -> Result<R, SharedError> {
    catch_unwind(AssertUnwindSafe(op)).map_err(|panic| SharedError::Panicked {
        owner,
        reason: StopReason::from_panic("a shared-state operation", &*panic),
    })
}

/// Runs a closure on the whole state: the atomic read-modify-write.
pub(crate) struct Update<S, R>(pub(crate) Box<dyn FnOnce(&mut S) -> R + Send>);

impl<S: State, R: Send + 'static> Message for Update<S, R> {
    type Reply = Result<R, SharedError>;
}

impl<S: State, R: Send + 'static> Handler<Update<S, R>> for Owner<S> {
    async fn handle(
        &mut self,
        Update(f): Update<S, R>,
        ctx: &mut Context<Self>,
    ) -> Result<R, SharedError> {
        guarded(ctx.id(), || f(&mut self.state))
    }
}

/// A copy of the whole state.
pub(crate) struct Snapshot<S>(pub(crate) PhantomData<fn() -> S>);

impl<S: State + Clone> Message for Snapshot<S> {
    type Reply = Result<S, SharedError>;
}

impl<S: State + Clone> Handler<Snapshot<S>> for Owner<S> {
    async fn handle(&mut self, _: Snapshot<S>, ctx: &mut Context<Self>) -> Result<S, SharedError> {
        guarded(ctx.id(), || self.state.clone())
    }
}

/// How many entries or items there are.
pub(crate) struct Len;

impl Message for Len {
    type Reply = Result<usize, SharedError>;
}

impl<S: Collection> Handler<Len> for Owner<S> {
    async fn handle(&mut self, _: Len, _ctx: &mut Context<Self>) -> Result<usize, SharedError> {
        Ok(self.state.size())
    }
}

/// Removes every entry or item.
pub(crate) struct Clear;

impl Message for Clear {
    type Reply = Result<(), SharedError>;
}

impl<S: Collection> Handler<Clear> for Owner<S> {
    async fn handle(&mut self, _: Clear, ctx: &mut Context<Self>) -> Result<(), SharedError> {
        // Dropping the items runs their `Drop`, which may panic.
        guarded(ctx.id(), || self.state.clear())
    }
}

/// Asks `owner` to run an operation, and flattens the reply: the ask's own
/// error (the runtime is shutting down) or the operation's.
///
/// The handles' methods return this future rather than being `async fn`s so
/// that it is proven `Send` here, once, for any state type: an `async fn`
/// leaves the proof to each caller, where rustc fails on keys such as
/// `&'static str` ("implementation of `Send` is not general enough").
#[allow(clippy::manual_async_fn)] // the `+ Send` is the point
pub(crate) fn ask<S, M, R>(
    owner: &ActorRef<Owner<S>>,
    message: M,
) -> impl Future<Output = Result<R, SharedError>> + Send + '_
where
    S: State,
    M: Message<Reply = Result<R, SharedError>>,
    Owner<S>: Handler<M>,
    R: Send + 'static,
{
    async move { owner.ask(message).await? }
}
