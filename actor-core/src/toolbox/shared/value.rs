//! [`SharedValue`]: one value owned by an actor (Python's `Manager().Value`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use super::SharedError;
use super::{ask, Owner, Snapshot, State, Update};
use crate::spawn;
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::{Handler, Message};

/// The state of a [`SharedValue`]'s owner.
#[derive(Clone)]
pub(crate) struct Cell<T>(T);

impl<T: Send + 'static> State for Cell<T> {
    const NAME: &'static str = "SharedValue";
}

/// A value owned by an actor, used through this handle from any task or
/// actor. Cloning the handle is cheap; every clone reaches the same value.
///
/// ```
/// use actor_core::shared::SharedValue;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::shared::SharedError> {
/// let hits = SharedValue::new(0_u64);
/// let previous = hits.update(|n| { *n += 1; *n - 1 }).await?;
/// assert_eq!((previous, hits.get().await?), (0, 1));
/// # Ok(()) }
/// ```
pub struct SharedValue<T: Send + 'static> {
    owner: ActorRef<Owner<Cell<T>>>,
}

impl<T: Send + 'static> SharedValue<T> {
    /// Spawns an actor that owns `initial`, and returns a handle to it.
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub fn new(initial: T) -> Self {
        SharedValue {
            owner: spawn(Owner {
                state: Cell(initial),
            }),
        }
    }

    /// The owner's id.
    pub fn id(&self) -> ActorId {
        self.owner.id()
    }

    /// Replaces the value and returns the previous one.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn set(&self, value: T) -> impl Future<Output = Result<T, SharedError>> + Send + '_ {
        ask(&self.owner, Set(value))
    }

    /// Runs `f` on the value inside the owner, with nothing else in between,
    /// and returns what `f` returns: an atomic read-modify-write.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `f` panicked (the value keeps what
    /// `f` changed before the panic).
    pub fn update<R, F>(&self, f: F) -> impl Future<Output = Result<R, SharedError>> + Send + '_
    where
        F: FnOnce(&mut T) -> R + Send + 'static,
        R: Send + 'static,
    {
        let update = Update(Box::new(move |cell: &mut Cell<T>| f(&mut cell.0)));
        ask(&self.owner, update)
    }
}

impl<T: Clone + Send + 'static> SharedValue<T> {
    /// A copy of the value.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `T::clone` panicked.
    pub fn get(&self) -> impl Future<Output = Result<T, SharedError>> + Send + '_ {
        let snapshot = ask(&self.owner, Snapshot::<Cell<T>>(PhantomData));
        async move { snapshot.await.map(|cell| cell.0) }
    }
}

impl<T: Send + 'static> Clone for SharedValue<T> {
    fn clone(&self) -> Self {
        SharedValue {
            owner: self.owner.clone(),
        }
    }
}

impl<T: Send + 'static> fmt::Debug for SharedValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedValue").field(&self.id()).finish()
    }
}

/// Replaces the value.
struct Set<T>(T);

impl<T: Send + 'static> Message for Set<T> {
    type Reply = Result<T, SharedError>;
}

impl<T: Send + 'static> Handler<Set<T>> for Owner<Cell<T>> {
    async fn handle(
        &mut self,
        Set(value): Set<T>,
        _ctx: &mut Context<Self>,
    ) -> Result<T, SharedError> {
        Ok(std::mem::replace(&mut self.state.0, value))
    }
}
