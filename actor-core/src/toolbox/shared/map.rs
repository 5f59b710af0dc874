//! [`SharedMap`]: a map owned by an actor (Python's `Manager().dict()`).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::marker::PhantomData;

use super::SharedError;
use super::{ask, guarded, Clear, Collection, Len, Owner, Snapshot, State, Update};
use crate::spawn;
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::{Handler, Message};

/// What a [`SharedMap`]'s keys must be: `Eq + Hash + Send + 'static`. It is
/// implemented for every such type.
pub trait MapKey: Eq + Hash + Send + 'static {}
impl<K: Eq + Hash + Send + 'static> MapKey for K {}

impl<K: MapKey, V: Send + 'static> State for HashMap<K, V> {
    const NAME: &'static str = "SharedMap";
}

impl<K: MapKey, V: Send + 'static> Collection for HashMap<K, V> {
    fn size(&self) -> usize {
        self.len()
    }

    fn clear(&mut self) {
        HashMap::clear(self);
    }
}

/// A map owned by an actor, used through this handle from any task or actor.
/// Cloning the handle is cheap; every clone reaches the same map.
///
/// Each method is one atomic step. [`update`](Self::update) changes one
/// entry in place (the Python tutorial's `dic['count'] -= 1`, without its lock);
/// [`update_all`](Self::update_all) runs any closure on the whole map.
///
/// ```
/// use actor_core::shared::SharedMap;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::shared::SharedError> {
/// let d = SharedMap::new();
/// d.insert("1", "1".to_string()).await?;
/// assert_eq!(d.get("1").await?, Some("1".to_string()));
/// assert_eq!(d.update("2", |v| v.push('!')).await?, None); // no such key
/// # Ok(()) }
/// ```
pub struct SharedMap<K: MapKey, V: Send + 'static> {
    owner: ActorRef<Owner<HashMap<K, V>>>,
}

impl<K: MapKey, V: Send + 'static> SharedMap<K, V> {
    /// Spawns an actor that owns an empty map, and returns a handle to it.
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub fn new() -> Self {
        SharedMap::from_map(HashMap::new())
    }

    /// Spawns an actor that owns `map`, and returns a handle to it.
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub fn from_map(map: HashMap<K, V>) -> Self {
        SharedMap {
            owner: spawn(Owner { state: map }),
        }
    }

    /// The owner's id.
    pub fn id(&self) -> ActorId {
        self.owner.id()
    }

    /// Sets `key` to `value`; returns the value it replaces, if any.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `K`'s `Hash` or `Eq` panicked.
    pub fn insert(
        &self,
        key: K,
        value: V,
    ) -> impl Future<Output = Result<Option<V>, SharedError>> + Send + '_ {
        ask(&self.owner, Insert(key, value))
    }

    /// Removes `key`; returns its value, if it had one.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `K`'s `Hash` or `Eq` panicked.
    pub fn remove(
        &self,
        key: K,
    ) -> impl Future<Output = Result<Option<V>, SharedError>> + Send + '_ {
        ask(&self.owner, Remove(key, PhantomData))
    }

    /// Whether `key` has a value.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `K`'s `Hash` or `Eq` panicked.
    pub fn contains_key(
        &self,
        key: K,
    ) -> impl Future<Output = Result<bool, SharedError>> + Send + '_ {
        ask(&self.owner, ContainsKey(key))
    }

    /// How many entries there are.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn len(&self) -> impl Future<Output = Result<usize, SharedError>> + Send + '_ {
        ask(&self.owner, Len)
    }

    /// Whether the map is empty.
    ///
    /// # Errors
    /// Only if the runtime is shutting down (see [the module](super)).
    pub fn is_empty(&self) -> impl Future<Output = Result<bool, SharedError>> + Send + '_ {
        let len = self.len();
        async move { Ok(len.await? == 0) }
    }

    /// Removes every entry.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if dropping an entry panicked.
    pub fn clear(&self) -> impl Future<Output = Result<(), SharedError>> + Send + '_ {
        ask(&self.owner, Clear)
    }

    /// Runs `f` on the value of `key` inside the owner, with nothing else in
    /// between, and returns what `f` returns; `None` (without calling `f`) if
    /// `key` has no value. An atomic read-modify-write of one entry.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `f` (or `K`'s `Hash` or `Eq`)
    /// panicked; the value keeps what `f` changed before the panic.
    pub fn update<R, F>(
        &self,
        key: K,
        f: F,
    ) -> impl Future<Output = Result<Option<R>, SharedError>> + Send + '_
    where
        F: FnOnce(&mut V) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.update_all(move |map| map.get_mut(&key).map(f))
    }

    /// Like [`update`](Self::update), but first inserts `default` if `key`
    /// has no value, so `f` always runs.
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub fn update_or_insert<R, F>(
        &self,
        key: K,
        default: V,
        f: F,
    ) -> impl Future<Output = Result<R, SharedError>> + Send + '_
    where
        F: FnOnce(&mut V) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.update_all(move |map| f(map.entry(key).or_insert(default)))
    }

    /// Runs `f` on the whole map inside the owner, with nothing else in
    /// between, and returns what `f` returns: for changes to several entries
    /// that must happen together.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `f` panicked; the map keeps what `f`
    /// changed before the panic.
    pub fn update_all<R, F>(&self, f: F) -> impl Future<Output = Result<R, SharedError>> + Send + '_
    where
        F: FnOnce(&mut HashMap<K, V>) -> R + Send + 'static,
        R: Send + 'static,
    {
        ask(&self.owner, Update(Box::new(f)))
    }
}

impl<K: MapKey, V: Clone + Send + 'static> SharedMap<K, V> {
    /// A copy of the value of `key`, if it has one.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if `V::clone`, or `K`'s `Hash` or `Eq`,
    /// panicked.
    pub fn get(&self, key: K) -> impl Future<Output = Result<Option<V>, SharedError>> + Send + '_ {
        ask(&self.owner, Get(key, PhantomData))
    }
}

impl<K: MapKey + Clone, V: Clone + Send + 'static> SharedMap<K, V> {
    /// A copy of the whole map.
    ///
    /// # Errors
    /// [`SharedError::Panicked`] if a `clone` panicked.
    pub fn snapshot(&self) -> impl Future<Output = Result<HashMap<K, V>, SharedError>> + Send + '_ {
        ask(&self.owner, Snapshot::<HashMap<K, V>>(PhantomData))
    }
}

impl<K: MapKey, V: Send + 'static> Default for SharedMap<K, V> {
    /// An empty map (spawns its owner: call inside a tokio runtime).
    fn default() -> Self {
        SharedMap::new()
    }
}

impl<K: MapKey, V: Send + 'static> Clone for SharedMap<K, V> {
    fn clone(&self) -> Self {
        SharedMap {
            owner: self.owner.clone(),
        }
    }
}

impl<K: MapKey, V: Send + 'static> fmt::Debug for SharedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedMap").field(&self.id()).finish()
    }
}

/// Sets a key's value.
struct Insert<K, V>(K, V);

impl<K: MapKey, V: Send + 'static> Message for Insert<K, V> {
    type Reply = Result<Option<V>, SharedError>;
}

impl<K: MapKey, V: Send + 'static> Handler<Insert<K, V>> for Owner<HashMap<K, V>> {
    async fn handle(
        &mut self,
        Insert(key, value): Insert<K, V>,
        ctx: &mut Context<Self>,
    ) -> Result<Option<V>, SharedError> {
        guarded(ctx.id(), || self.state.insert(key, value))
    }
}

/// Removes a key.
struct Remove<K, V>(K, PhantomData<fn() -> V>);

impl<K: MapKey, V: Send + 'static> Message for Remove<K, V> {
    type Reply = Result<Option<V>, SharedError>;
}

impl<K: MapKey, V: Send + 'static> Handler<Remove<K, V>> for Owner<HashMap<K, V>> {
    async fn handle(
        &mut self,
        Remove(key, _): Remove<K, V>,
        ctx: &mut Context<Self>,
    ) -> Result<Option<V>, SharedError> {
        guarded(ctx.id(), || self.state.remove(&key))
    }
}

/// Whether a key has a value.
struct ContainsKey<K>(K);

impl<K: MapKey> Message for ContainsKey<K> {
    type Reply = Result<bool, SharedError>;
}

impl<K: MapKey, V: Send + 'static> Handler<ContainsKey<K>> for Owner<HashMap<K, V>> {
    async fn handle(
        &mut self,
        ContainsKey(key): ContainsKey<K>,
        ctx: &mut Context<Self>,
    ) -> Result<bool, SharedError> {
        guarded(ctx.id(), || self.state.contains_key(&key))
    }
}

/// Copies a key's value.
struct Get<K, V>(K, PhantomData<fn() -> V>);

impl<K: MapKey, V: Clone + Send + 'static> Message for Get<K, V> {
    type Reply = Result<Option<V>, SharedError>;
}

impl<K: MapKey, V: Clone + Send + 'static> Handler<Get<K, V>> for Owner<HashMap<K, V>> {
    async fn handle(
        &mut self,
        Get(key, _): Get<K, V>,
        ctx: &mut Context<Self>,
    ) -> Result<Option<V>, SharedError> {
        guarded(ctx.id(), || self.state.get(&key).cloned())
    }
}
