//! Panics in user `Drop` code stay contained: an actor whose value panics
//! when dropped (say, one that owns a tokio `Runtime`) fails like any actor
//! that panics, and is restarted by its supervisor; a queued message whose
//! `Drop` panics when the actor is killed or fails does not cost the actor
//! its `stopped` hook, nor its monitors their notice.
//!
//! On tokio's paused clock; every wait is bounded ([`soon`],
//! [`Recorder::wait_for`]), so a regression fails instead of hanging.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use actor_core::*;
use actor_test_support::*;
use common::{run, Watcher};

/// Panics when dropped, unless it is dropped while unwinding already.
struct Bomb {
    rec: Arc<Recorder>,
    instance: u32,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.rec.push(format!("dropped:{}", self.instance));
        if !std::thread::panicking() {
            panic!("{DELIBERATE}: dropping bomb #{}", self.instance);
        }
    }
}

impl Actor for Bomb {
    async fn started(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.rec.push(format!("started:{}", self.instance));
        Ok(())
    }

    async fn stopped(&mut self, reason: &StopReason) {
        self.rec.push(format!("stopped:{}", kind(reason)));
    }
}

struct Instance;
impl Message for Instance {
    type Reply = u32;
}
impl Handler<Instance> for Bomb {
    async fn handle(&mut self, _: Instance, _ctx: &mut Context<Self>) -> u32 {
        self.instance
    }
}

/// A fresh bomb per call, numbered from 1.
fn bombs(rec: &Arc<Recorder>) -> impl Fn() -> Bomb + Send + Sync + 'static {
    let rec = rec.clone();
    let made = Arc::new(AtomicU32::new(0));
    move || Bomb {
        rec: rec.clone(),
        instance: made.fetch_add(1, Ordering::SeqCst) + 1,
    }
}

/// Has a new watcher monitor `target`; it records `down:ID:KIND`.
async fn watch<A: Actor>(rec: &Arc<Recorder>, target: &ActorRef<A>) -> ActorRef<Watcher> {
    let watcher = spawn(Watcher::new(rec));
    let target = target.clone();
    run(&watcher, move |_, ctx| drop(ctx.monitor(&target)))
        .await
        .unwrap();
    watcher
}

#[tokio::test(start_paused = true)]
async fn a_supervised_actor_that_panics_when_dropped_is_restarted() {
    quiet_deliberate_panics();
    for restart in [Restart::Permanent, Restart::Transient] {
        let rec = Recorder::new();
        let sup = spawn(
            Supervisor::new(Strategy::OneForOne)
                .child(ChildSpec::new("bomb", bombs(&rec)).restart(restart)),
        );
        let bomb = sup.child::<Bomb>("bomb").await.unwrap();
        bomb.stop();
        // A normal stop, then a panic in `Drop`: a failure, so even a
        // transient child comes back.
        rec.wait_for("started:2", 1).await;
        assert_eq!(bomb.ask(Instance).await, Ok(2), "{restart:?}");
        assert_eq!(bomb.restart_count(), 1, "{restart:?}");
        assert_eq!(sup.children().await.unwrap()[0].restarts, 1, "{restart:?}");
        sup.stop();
        assert_eq!(soon(sup.join()).await, StopReason::Normal, "{restart:?}");
        assert!(!bomb.is_alive(), "{restart:?}");
        assert_eq!(rec.count("dropped:2"), 1, "{restart:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_actor_that_panics_when_dropped_ends_failed() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let bomb = spawn(bombs(&rec)());
    let watcher = watch(&rec, &bomb).await;
    bomb.stop();
    let reason = soon(bomb.join()).await;
    assert_eq!(kind(&reason), "failed", "{reason}");
    assert!(reason.to_string().contains("dropping bomb #1"), "{reason}");
    rec.wait_for(&format!("down:{}:failed", bomb.id()), 1).await;
    assert_eq!(
        rec.count("stopped:normal"),
        1,
        "`stopped` ran before the drop"
    );
    watcher.stop();
}

/// Panics when dropped; sent to a [`Holder`] and left queued.
struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{DELIBERATE}: dropping a grenade");
        }
    }
}

impl Message for Grenade {
    type Reply = ();
}

/// Holds messages back while a handler waits at a gate.
struct Holder {
    rec: Arc<Recorder>,
}

impl Actor for Holder {
    async fn stopped(&mut self, reason: &StopReason) {
        self.rec.push(format!("stopped:{}", kind(reason)));
    }
}

impl Handler<Grenade> for Holder {
    async fn handle(&mut self, _: Grenade, _ctx: &mut Context<Self>) {}
}

struct Hold(Gate);
impl Message for Hold {
    type Reply = ();
}
impl Handler<Hold> for Holder {
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        gate.pass().await;
    }
}

struct Explode;
impl Message for Explode {
    type Reply = ();
}
impl Handler<Explode> for Holder {
    async fn handle(&mut self, _: Explode, _ctx: &mut Context<Self>) {
        panic!("{DELIBERATE}: the holder fails");
    }
}

/// A holder in a handler with a grenade queued (behind an `Explode` if
/// `explode`).
async fn holding_a_grenade(rec: &Arc<Recorder>, explode: bool) -> (ActorRef<Holder>, GateKey) {
    let holder = spawn(Holder { rec: rec.clone() });
    let (gate, mut key) = gate();
    holder.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    if explode {
        holder.tell(Explode).await.unwrap();
    }
    holder.tell(Grenade).await.unwrap();
    (holder, key)
}

#[tokio::test(start_paused = true)]
async fn a_killed_actor_whose_queued_message_panics_when_dropped_still_ends_properly() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (holder, _key) = holding_a_grenade(&rec, false).await;
    let watcher = watch(&rec, &holder).await;
    holder.kill();
    assert_eq!(soon(holder.join()).await, StopReason::Killed);
    rec.wait_for(&format!("down:{}:killed", holder.id()), 1)
        .await;
    assert_eq!(rec.count("stopped:killed"), 1, "`stopped` ran");
    watcher.stop();
}

#[tokio::test(start_paused = true)]
async fn a_failed_actor_whose_queued_message_panics_when_dropped_still_ends_properly() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (holder, key) = holding_a_grenade(&rec, true).await;
    let watcher = watch(&rec, &holder).await;
    key.open();
    assert_eq!(kind(&soon(holder.join()).await), "failed");
    rec.wait_for(&format!("down:{}:failed", holder.id()), 1)
        .await;
    assert_eq!(rec.count("stopped:failed"), 1, "`stopped` ran");
    watcher.stop();
}

#[tokio::test(start_paused = true)]
async fn a_supervised_actor_whose_queued_message_panics_when_dropped_is_terminated() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne).child(ChildSpec::new("h", {
            let rec = rec.clone();
            move || Holder { rec: rec.clone() }
        })),
    );
    let holder = sup.child::<Holder>("h").await.unwrap();
    let (gate, mut key) = gate();
    holder.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    holder.tell(Grenade).await.unwrap();
    let watcher = watch(&rec, &holder).await;
    let terminated = tokio::spawn({
        let sup = sup.clone();
        async move { sup.terminate_child("h").await }
    });
    // Killed after its shutdown time: the grenade is dropped unhandled.
    assert_eq!(soon(terminated).await.unwrap(), Ok(()));
    assert_eq!(soon(holder.join()).await, StopReason::Killed);
    rec.wait_for(&format!("down:{}:killed", holder.id()), 1)
        .await;
    assert_eq!(rec.count("stopped:killed"), 1);
    sup.stop();
    assert_eq!(soon(sup.join()).await, StopReason::Normal);
    watcher.stop();
    drop(key);
}
