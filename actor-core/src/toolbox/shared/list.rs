//! [`SharedList`]: a list owned by an actor (Python's `Manager().list()`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use super::SharedError;
use super::{ask, guarded, Clear, Collection, Len, Owner, Snapshot, State, Update};
use crate::spawn;
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::{Handler, Message};

impl<T: Send + 'static> State for Vec<T> {
    const NAME: &'static str = "SharedList";
}

impl<T: Send + 'static> Collection for Vec<T> {
    fn size(&self) -> usize {
        self.len()
    }

    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// A list owned by an actor, used through this handle from any task or
/// actor. Cloning the handle is cheap; every clone reaches the same list.
///
/// Each method is one atomic step; for several steps that must not be
/// interleaved with other tasks' (take the last item only if the list is
/// long enough, say), use [`update`](Self::update).
///
/// ```
/// use actor_core::shared::SharedList;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::shared::SharedError> {
/// let l = SharedList::from_vec((0..5).collect());
/// l.push(1).await?;
/// assert_eq!(l.snapshot().await?, vec![0, 1, 2, 3, 4, 1]);
/// # Ok(()) }
/// ```
pub struct SharedList<T: Send + 'static> {
    owner: ActorRef<Owner<Vec<T>>>,
}

impl<T: Send + 'static> SharedList<T> {
    /// Spawns an actor that owns an empty list, and returns a handle to it.
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub fn new() -> Self {
        SharedList::from_vec(Vec::new())
    }

    /// Spawns an actor that owns `items`, and returns a handle to it.
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub fn from_vec(items: Vec<T>) -> Self {
        SharedList {
            owner: spawn(Owner { state: items }),
        }
    }

    /// The owner's id.
    pub fn id(&self) -> ActorId {
        self.owner.id()
    }

    /// Appends an item.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn push(&self, item: T) -> impl Future<Output = Result<(), SharedError>> + Send + '_ {
        ask(&self.owner, Push(item))
    }

    /// Appends the items, together: no other task's item comes between them.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn extend(
        &self,
        items: impl IntoIterator<Item = T>,
    ) -> impl Future<Output = Result<(), SharedError>> + Send + '_ {
        ask(&self.owner, Extend(items.into_iter().collect()))
    }

    /// Removes and returns the last item, if any.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn pop(&self) -> impl Future<Output = Result<Option<T>, SharedError>> + Send + '_ {
        ask(&self.owner, Pop(PhantomData))
    }

    /// Removes and returns the item at `index`, shifting the later ones
    /// down; `None` if `index` is out of range.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn remove(
        &self,
        index: usize,
    ) -> impl Future<Output = Result<Option<T>, SharedError>> + Send + '_ {
        ask(&self.owner, Remove(index, PhantomData))
    }

    /// How many items there are.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn len(&self) -> impl Future<Output = Result<usize, SharedError>> + Send + '_ {
        ask(&self.owner, Len)
    }

    /// Whether the list is empty.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn is_empty(&self) -> impl Future<Output = Result<bool, SharedError>> + Send + '_ {
        let len = self.len();
        async move { Ok(len.await? == 0) }
    }

    /// Removes every item.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if dropping an item panicked.
    pub fn clear(&self) -> impl Future<Output = Result<(), SharedError>> + Send + '_ {
        ask(&self.owner, Clear)
    }

    /// Runs `f` on the list inside the owner, with nothing else in between,
    /// and returns what `f` returns: an atomic read-modify-write.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `f` panicked (the list keeps what
    /// `f` changed before the panic).
    pub fn update<R, F>(&self, f: F) -> impl Future<Output = Result<R, SharedError>> + Send + '_
    where
        F: FnOnce(&mut Vec<T>) -> R + Send + 'static,
        R: Send + 'static,
    {
        ask(&self.owner, Update(Box::new(f)))
    }
}

impl<T: Clone + Send + 'static> SharedList<T> {
    /// A copy of the item at `index`; `None` if out of range.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `T::clone` panicked.
    pub fn get(
        &self,
        index: usize,
    ) -> impl Future<Output = Result<Option<T>, SharedError>> + Send + '_ {
        ask(&self.owner, Get(index, PhantomData))
    }

    /// A copy of the whole list.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `T::clone` panicked.
    pub fn snapshot(&self) -> impl Future<Output = Result<Vec<T>, SharedError>> + Send + '_ {
        ask(&self.owner, Snapshot::<Vec<T>>(PhantomData))
    }
}

impl<T: Send + 'static> Default for SharedList<T> {
    /// An empty list (spawns its owner: call inside a tokio runtime).
    fn default() -> Self {
        SharedList::new()
    }
}

impl<T: Send + 'static> Clone for SharedList<T> {
    fn clone(&self) -> Self {
        SharedList {
            owner: self.owner.clone(),
        }
    }
}

impl<T: Send + 'static> fmt::Debug for SharedList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedList").field(&self.id()).finish()
    }
}

/// Appends an item.
struct Push<T>(T);

impl<T: Send + 'static> Message for Push<T> {
    type Reply = Result<(), SharedError>;
}

impl<T: Send + 'static> Handler<Push<T>> for Owner<Vec<T>> {
    async fn handle(
        &mut self,
        Push(item): Push<T>,
        _ctx: &mut Context<Self>,
    ) -> Result<(), SharedError> {
        self.state.push(item);
        Ok(())
    }
}

/// Appends items.
struct Extend<T>(Vec<T>);

impl<T: Send + 'static> Message for Extend<T> {
    type Reply = Result<(), SharedError>;
}

impl<T: Send + 'static> Handler<Extend<T>> for Owner<Vec<T>> {
    async fn handle(
        &mut self,
        Extend(items): Extend<T>,
        _ctx: &mut Context<Self>,
    ) -> Result<(), SharedError> {
        self.state.extend(items);
        Ok(())
    }
}

/// Removes the last item.
struct Pop<T>(PhantomData<fn() -> T>);

impl<T: Send + 'static> Message for Pop<T> {
    type Reply = Result<Option<T>, SharedError>;
}

impl<T: Send + 'static> Handler<Pop<T>> for Owner<Vec<T>> {
    async fn handle(
        &mut self,
        _: Pop<T>,
        _ctx: &mut Context<Self>,
    ) -> Result<Option<T>, SharedError> {
        Ok(self.state.pop())
    }
}

/// Removes the item at an index.
struct Remove<T>(usize, PhantomData<fn() -> T>);

impl<T: Send + 'static> Message for Remove<T> {
    type Reply = Result<Option<T>, SharedError>;
}

impl<T: Send + 'static> Handler<Remove<T>> for Owner<Vec<T>> {
    async fn handle(
        &mut self,
        Remove(index, _): Remove<T>,
        _ctx: &mut Context<Self>,
    ) -> Result<Option<T>, SharedError> {
        Ok((index < self.state.len()).then(|| self.state.remove(index)))
    }
}

/// Copies the item at an index.
struct Get<T>(usize, PhantomData<fn() -> T>);

impl<T: Clone + Send + 'static> Message for Get<T> {
    type Reply = Result<Option<T>, SharedError>;
}

impl<T: Clone + Send + 'static> Handler<Get<T>> for Owner<Vec<T>> {
    async fn handle(
        &mut self,
        Get(index, _): Get<T>,
        ctx: &mut Context<Self>,
    ) -> Result<Option<T>, SharedError> {
        guarded(ctx.id(), || self.state.get(index).cloned())
    }
}
