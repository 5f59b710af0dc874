//! Pins the auto traits of every public handle, as tokio's
//! `tests/async_send_sync.rs` does: a change that makes a handle lose `Send`
//! or `Sync` (a raw pointer, an `Rc`, a `Cell` in a field), or that makes a
//! future returned by the send path stop being `Send`, fails to compile here.
//!
//! Everything below is checked at compile time; the one test only makes sure
//! the file is built and run.

#![allow(dead_code)]

use std::time::Duration;

use actor_core::pipe::{PipeEnd, PipeReceiver, PipeSender};
use actor_core::pool::{Pool, TaskHandle};
use actor_core::port::Port;
use actor_core::queue::Queue;
use actor_core::shared::{SharedList, SharedMap, SharedValue};
use actor_core::sync::{Barrier, Condition, Event, Lock, LockGuard, Permit, RLock, Semaphore};
use actor_core::work_queue::{WorkItem, WorkQueue};
use actor_core::{
    Actor, ActorId, ActorRef, ChildSpec, Context, Error, Handler, Message, MonitorRef, Recipient,
    SendError, StopReason, Supervisor, TimerHandle, WeakActorRef,
};

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}
fn assert_send_sync<T: Send + Sync>() {}
fn assert_unpin<T: Unpin>() {}
fn assert_value_send<T: Send>(_: &T) {}

/// Fails to compile if `T: Send` (the call is then ambiguous): a negative
/// assertion, for a handle that must stay on its thread.
trait AmbiguousIfSend<A> {
    fn some_item() {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

/// Fails to compile if `T: Sync`.
trait AmbiguousIfSync<A> {
    fn some_item() {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

macro_rules! assert_not_send {
    ($t:ty) => {
        let _ = <$t as AmbiguousIfSend<_>>::some_item;
    };
}

macro_rules! assert_not_sync {
    ($t:ty) => {
        let _ = <$t as AmbiguousIfSync<_>>::some_item;
    };
}

struct Echo;
impl Actor for Echo {}

struct Ping(u32);
impl Message for Ping {
    type Reply = u32;
}

impl Handler<Ping> for Echo {
    async fn handle(&mut self, Ping(n): Ping, _ctx: &mut Context<Self>) -> u32 {
        n
    }
}

/// A message that is `Send` but not `Sync`: what a handle holding messages of
/// it must still be (`Message` asks only for `Send`).
struct Unshared(std::cell::Cell<u32>);
impl Message for Unshared {
    type Reply = ();
}

/// The kernel: references, the actor's context, supervision, errors.
fn kernel<A: Actor, M: Message>() {
    assert_send_sync::<ActorRef<A>>();
    assert_send_sync::<WeakActorRef<A>>();
    assert_send_sync::<Recipient<M>>();
    assert_send_sync::<Context<A>>();
    assert_send_sync::<ChildSpec<A>>();
    assert_send_sync::<MonitorRef>();
    assert_send_sync::<TimerHandle>();
    assert_send_sync::<Supervisor>();
    assert_send_sync::<StopReason>();
    assert_send_sync::<Error>();
    assert_send_sync::<ActorId>();
    // `SendError<M>` gives the message back: as `Send` and `Sync` as `M`.
    assert_send::<SendError<M>>();

    assert_unpin::<ActorRef<A>>();
    assert_unpin::<Recipient<M>>();
    assert_unpin::<Context<A>>();
}

fn kernel_with_a_message_that_is_not_sync() {
    kernel::<Echo, Unshared>();
    assert_send::<SendError<Unshared>>();
    assert_not_sync!(SendError<Unshared>);
    assert_send_sync::<SendError<Ping>>();
}

/// The futures of the send path are `Send`: an actor's handler, or any task on
/// a multi-threaded runtime, can await them.
fn send_path_futures(actor: &ActorRef<Echo>, weak: &WeakActorRef<Echo>, to: &Recipient<Ping>) {
    assert_value_send(&actor.tell(Ping(1)));
    assert_value_send(&actor.ask(Ping(1)));
    assert_value_send(&actor.ask_timeout(Ping(1), Duration::from_secs(1)));
    assert_value_send(&actor.join());
    assert_value_send(&weak.join());
    assert_value_send(&to.tell(Ping(1)));
    assert_value_send(&to.ask(Ping(1)));
    assert_value_send(&to.ask_timeout(Ping(1), Duration::from_secs(1)));
    assert_value_send(&to.join());
}

/// The same for any actor and message type, not only the ones above.
fn send_path_futures_generic<A: Handler<M>, M: Message>(actor: &ActorRef<A>, message: M) {
    assert_value_send(&actor.tell(message));
}

fn send_path_futures_ask<A: Handler<M>, M: Message>(actor: &ActorRef<A>, message: M) {
    assert_value_send(&actor.ask(message));
}

/// The toolbox handles, for any element type the toolbox accepts.
fn toolbox<T: Send + 'static>() {
    assert_send_sync::<Queue<T>>();
    assert_send_sync::<WorkQueue<T>>();
    assert_send::<WorkItem<T>>();
    assert_send::<PipeSender<T>>();
    assert_send::<PipeReceiver<T>>();
    assert_send::<PipeEnd<T>>();
    assert_send::<TaskHandle<T>>();
    assert_send_sync::<SharedList<T>>();
    assert_send_sync::<SharedValue<T>>();
}

fn toolbox_with_sync_elements<T: Send + Sync + 'static>() {
    assert_sync::<WorkItem<T>>();
    assert_sync::<PipeSender<T>>();
    assert_sync::<PipeReceiver<T>>();
    assert_sync::<PipeEnd<T>>();
    assert_sync::<TaskHandle<T>>();
}

fn toolbox_untyped() {
    assert_send_sync::<SharedMap<String, u32>>();
    assert_send_sync::<SharedMap<u64, std::cell::Cell<u32>>>();
    assert_send_sync::<Pool>();
    assert_send_sync::<Lock>();
    assert_send_sync::<LockGuard>();
    assert_send_sync::<RLock>();
    assert_send_sync::<Semaphore>();
    assert_send_sync::<Permit>();
    assert_send_sync::<Event>();
    assert_send_sync::<Condition>();
    assert_send_sync::<Barrier>();
    assert_send_sync::<Port>();
}

fn instances() {
    kernel::<Echo, Ping>();
    kernel_with_a_message_that_is_not_sync();
    toolbox::<u32>();
    toolbox::<std::cell::Cell<u32>>();
    toolbox_with_sync_elements::<String>();
    toolbox_untyped();
    // The negative assertions work (`Rc` is neither).
    assert_not_send!(std::rc::Rc<u32>);
    assert_not_sync!(std::rc::Rc<u32>);
}

#[test]
fn every_public_handle_is_send_and_sync_as_pinned() {
    instances();
}
