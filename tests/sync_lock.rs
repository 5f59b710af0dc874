//! Scenario 8 of the seeds, locks: `Lock` and `RLock` as actors.
//!
//! The seed decrements a shared `num` from 100 threads under a `Lock` and
//! nests `RLock` acquisitions in `run3` → `run1` / `run2`. These tests tell
//! both stories with actors, then check what the seed only hopes for: that
//! waiters are served in the order they asked, that a holder which panics,
//! is killed or leaks its guard does not leave the lock locked, that a stale
//! guard cannot unlock someone else's hold, and that a re-entrant lock refuses
//! a release by anyone but its owner.

use std::pin::pin;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use actor::prelude::*;
use actor::sync::{Lock, LockGuard, Owner, OwnerId, RLock};
use actor_test_support::{gate, poll_once, quiet_deliberate_panics, soon, Gate, DELIBERATE};
use tokio::sync::oneshot;
use tokio::time::Instant;

// ---------------------------------------------------------------- the seed

/// One of the seed's 100 threads: `lock.acquire(); num -= 1; lock.release()`,
/// with a pause between the read and the write that would lose updates if
/// two workers were inside at once.
struct Decrementer {
    lock: Lock,
    num: Arc<AtomicI64>,
    inside: Arc<AtomicUsize>,
    most_inside: Arc<AtomicUsize>,
}

impl Actor for Decrementer {}

struct Decrement;
impl Message for Decrement {
    type Reply = Result<(), SyncError>;
}

impl Handler<Decrement> for Decrementer {
    async fn handle(&mut self, _: Decrement, _ctx: &mut Context<Self>) -> Result<(), SyncError> {
        let guard = self.lock.lock().await?;
        let now_inside = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_inside.fetch_max(now_inside, Ordering::SeqCst);
        let read = self.num.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.num.store(read - 1, Ordering::SeqCst);
        self.inside.fetch_sub(1, Ordering::SeqCst);
        drop(guard);
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_hundred_actors_decrement_under_the_lock_and_reach_zero() {
    let lock = Lock::new();
    let num = Arc::new(AtomicI64::new(100));
    let inside = Arc::new(AtomicUsize::new(0));
    let most_inside = Arc::new(AtomicUsize::new(0));
    let mut asks = Vec::new();
    for _ in 0..100 {
        let worker = spawn(Decrementer {
            lock: lock.clone(),
            num: num.clone(),
            inside: inside.clone(),
            most_inside: most_inside.clone(),
        });
        asks.push(tokio::spawn(async move { worker.ask(Decrement).await }));
    }
    for ask in asks {
        soon(ask)
            .await
            .expect("ask task")
            .expect("ask")
            .expect("lock");
    }
    assert_eq!(num.load(Ordering::SeqCst), 0, "no update was lost");
    assert_eq!(
        most_inside.load(Ordering::SeqCst),
        1,
        "never two inside at once"
    );
    assert!(!lock.is_locked().await.expect("lock alive"));
}

// ---------------------------------------------------------------- fairness

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_the_order_they_asked_skipping_those_that_gave_up() {
    let lock = Lock::new();
    let holder = lock.lock().await.expect("free lock");

    // Each first poll sends the request and then waits: the requests reach
    // the lock in this order.
    let mut first = pin!(lock.lock());
    let mut second = Box::pin(lock.lock());
    let mut third = pin!(lock.lock());
    assert!(poll_once(first.as_mut()).await.is_pending());
    assert!(poll_once(second.as_mut()).await.is_pending());
    assert!(poll_once(third.as_mut()).await.is_pending());
    drop(second); // gives up its place

    drop(holder);
    let first_guard = soon(first).await.expect("first waiter");
    assert!(
        poll_once(third.as_mut()).await.is_pending(),
        "the third waits while the first holds the lock"
    );
    drop(first_guard);
    let third_guard = soon(third)
        .await
        .expect("third waiter: the second was skipped");
    assert!(lock.is_locked().await.expect("lock alive"));
    drop(third_guard);
    assert!(!lock.is_locked().await.expect("lock alive"));
}

#[tokio::test(start_paused = true)]
async fn try_lock_and_lock_timeout_do_not_wait_past_their_limit() {
    let lock = Lock::new();
    let holder = lock.try_lock().await.expect("alive").expect("free lock");
    assert!(lock.try_lock().await.expect("alive").is_none());

    let started = Instant::now();
    let timed_out = lock
        .lock_timeout(Duration::from_secs(3))
        .await
        .expect("alive");
    assert!(timed_out.is_none());
    assert_eq!(started.elapsed(), Duration::from_secs(3));

    // The waiter that timed out is not given the lock later.
    drop(holder);
    assert!(!lock.is_locked().await.expect("alive"));
    let got = lock
        .lock_timeout(Duration::from_secs(3))
        .await
        .expect("alive");
    assert!(got.is_some(), "a free lock is taken at once");
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

// ---------------------------------------------------------------- holders that die

/// An actor that takes a lock in a handler and then waits at a gate: the test
/// decides whether it then panics or is killed.
struct Holder;
impl Actor for Holder {}

struct HoldAtGate {
    lock: Lock,
    gate: Gate,
    panic_after: bool,
}
impl Message for HoldAtGate {
    type Reply = ();
}

impl Handler<HoldAtGate> for Holder {
    async fn handle(&mut self, msg: HoldAtGate, _ctx: &mut Context<Self>) {
        let _guard = msg.lock.lock().await.expect("lock alive");
        msg.gate.pass().await;
        if msg.panic_after {
            panic!("{DELIBERATE}: the holder panics while holding the lock");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_lock_is_released_when_its_holder_panics_and_the_waiter_gets_it() {
    quiet_deliberate_panics();
    let lock = Lock::new();
    let holder = spawn(Holder);
    let (gate, mut key) = gate();
    holder
        .tell(HoldAtGate {
            lock: lock.clone(),
            gate,
            panic_after: true,
        })
        .await
        .expect("holder alive");
    key.entered().await;
    assert!(lock.is_locked().await.expect("alive"));

    let mut waiter = pin!(lock.lock());
    assert!(
        poll_once(waiter.as_mut()).await.is_pending(),
        "held: the waiter waits"
    );

    key.open();
    assert!(holder.join().await.is_failure(), "the holder panicked");
    let got = tokio::time::timeout(Duration::from_secs(60), waiter).await;
    assert!(
        matches!(got, Ok(Ok(_))),
        "the panicking holder's guard released the lock to the waiter"
    );
}

#[tokio::test(start_paused = true)]
async fn the_lock_is_released_when_its_holder_is_killed() {
    let lock = Lock::new();
    let holder = spawn(Holder);
    let (gate, mut key) = gate();
    holder
        .tell(HoldAtGate {
            lock: lock.clone(),
            gate,
            panic_after: false,
        })
        .await
        .expect("holder alive");
    key.entered().await;
    let mut waiter = pin!(lock.lock());
    assert!(poll_once(waiter.as_mut()).await.is_pending());

    holder.kill(); // the handler, guard and all, is dropped
    assert_eq!(holder.join().await, StopReason::Killed);
    let got = tokio::time::timeout(Duration::from_secs(60), waiter).await;
    assert!(
        matches!(got, Ok(Ok(_))),
        "the killed holder's lock went to the waiter"
    );
    drop(key);
}

/// An actor that takes the lock and leaks the guard, then stops.
struct Leaker {
    watched: bool,
}
impl Actor for Leaker {}

struct LeakAndStop(Lock);
impl Message for LeakAndStop {
    type Reply = ();
}

impl Handler<LeakAndStop> for Leaker {
    async fn handle(&mut self, LeakAndStop(lock): LeakAndStop, ctx: &mut Context<Self>) {
        let guard = if self.watched {
            lock.lock_for(&ctx.weak_ref()).await
        } else {
            lock.lock().await
        };
        std::mem::forget(guard.expect("lock alive"));
        ctx.stop();
    }
}

#[tokio::test(start_paused = true)]
async fn lock_for_releases_a_leaked_guard_when_the_holder_ends_and_lock_does_not() {
    // Watched: the lock learns that its holder ended and releases itself.
    let lock = Lock::new();
    let leaker = spawn(Leaker { watched: true });
    soon(leaker.ask(LeakAndStop(lock.clone())))
        .await
        .expect("leaker");
    assert_eq!(leaker.join().await, StopReason::Normal);
    let got = lock
        .lock_timeout(Duration::from_secs(60))
        .await
        .expect("alive");
    assert!(got.is_some(), "released when the watched holder ended");

    // Not watched: a leaked guard keeps the lock, which is what `lock_for`
    // is for.
    let lock = Lock::new();
    let leaker = spawn(Leaker { watched: false });
    soon(leaker.ask(LeakAndStop(lock.clone())))
        .await
        .expect("leaker");
    assert_eq!(leaker.join().await, StopReason::Normal);
    let got = lock
        .lock_timeout(Duration::from_secs(60))
        .await
        .expect("alive");
    assert!(got.is_none(), "an unwatched leaked guard keeps the lock");
}

/// An actor that takes the lock watched, hands its guard out, and stops.
struct GuardSender;
impl Actor for GuardSender {}

struct LockAndSend(Lock, oneshot::Sender<LockGuard>);
impl Message for LockAndSend {
    type Reply = ();
}

impl Handler<LockAndSend> for GuardSender {
    async fn handle(&mut self, LockAndSend(lock, out): LockAndSend, ctx: &mut Context<Self>) {
        let guard = lock.lock_for(&ctx.weak_ref()).await.expect("lock alive");
        let _ = out.send(guard);
        ctx.stop();
    }
}

#[tokio::test(start_paused = true)]
async fn a_stale_guard_does_not_unlock_a_later_hold() {
    let lock = Lock::new();
    let sender = spawn(GuardSender);
    let (out, stale) = oneshot::channel();
    sender
        .tell(LockAndSend(lock.clone(), out))
        .await
        .expect("sender alive");
    let stale = soon(stale).await.expect("the guard");
    sender.join().await;
    // The holder ended: its hold was released and the lock is ours now.
    let mine = lock
        .lock_timeout(Duration::from_secs(60))
        .await
        .expect("alive")
        .expect("released when its holder ended");
    drop(stale); // its release names a hold that is over
    assert!(lock.is_locked().await.expect("alive"), "still ours");
    assert_eq!(mine.lock_id(), lock.id());
    drop(mine);
    assert!(!lock.is_locked().await.expect("alive"));
}

// ---------------------------------------------------------------- RLock: the seed's run3

/// One of the seed's 10 threads running `run3`: acquire, then `run1` and
/// `run2`, each of which acquires the same lock again.
struct Nested {
    lock: RLock,
    num: Arc<AtomicI64>,
    num2: Arc<AtomicI64>,
}
impl Actor for Nested {}

struct Run3;
impl Message for Run3 {
    type Reply = Result<(usize, usize), SyncError>;
}

impl Nested {
    /// Returns the depth at which it ran.
    async fn run(&self, me: OwnerId, counter: &AtomicI64) -> Result<usize, SyncError> {
        self.lock.acquire(me).await?;
        let depth = match self.lock.holder().await? {
            Some((holder, depth)) if holder == me => depth,
            _ => 0,
        };
        let read = counter.load(Ordering::SeqCst);
        tokio::task::yield_now().await;
        counter.store(read + 1, Ordering::SeqCst);
        self.lock.release(me).await?;
        Ok(depth)
    }
}

impl Handler<Run3> for Nested {
    async fn handle(
        &mut self,
        _: Run3,
        ctx: &mut Context<Self>,
    ) -> Result<(usize, usize), SyncError> {
        let me = OwnerId::Actor(ctx.id());
        self.lock.acquire(me).await?;
        let depth1 = self.run(me, &self.num).await?;
        let depth2 = self.run(me, &self.num2).await?;
        self.lock.release(me).await?;
        Ok((depth1, depth2))
    }
}

#[tokio::test(start_paused = true)]
async fn ten_actors_nest_the_re_entrant_lock_as_in_run3() {
    let lock = RLock::new();
    let num = Arc::new(AtomicI64::new(0));
    let num2 = Arc::new(AtomicI64::new(0));
    let mut asks = Vec::new();
    for _ in 0..10 {
        let worker = spawn(Nested {
            lock: lock.clone(),
            num: num.clone(),
            num2: num2.clone(),
        });
        asks.push(tokio::spawn(async move { worker.ask(Run3).await }));
    }
    for ask in asks {
        let depths = soon(ask).await.expect("task").expect("ask").expect("lock");
        assert_eq!(depths, (2, 2), "run1 and run2 re-entered the held lock");
    }
    assert_eq!(num.load(Ordering::SeqCst), 10);
    assert_eq!(num2.load(Ordering::SeqCst), 10);
    assert_eq!(
        lock.holder().await.expect("alive"),
        None,
        "all levels released"
    );
}

#[tokio::test(start_paused = true)]
async fn only_the_owner_may_release_a_re_entrant_lock() {
    let lock = RLock::new();
    let me = Owner::task();
    let other = Owner::task();

    let err = lock.release(&me).await.expect_err("nothing to release");
    assert_eq!(
        err,
        SyncError::LockNotHeld {
            lock: lock.id(),
            caller: me.id()
        }
    );

    lock.acquire(&me).await.expect("free");
    soon(lock.acquire(&me)).await.expect("re-entry");
    assert_eq!(lock.holder().await.expect("alive"), Some((me.id(), 2)));

    let err = lock.release(&other).await.expect_err("not the owner");
    assert_eq!(
        err,
        SyncError::NotLockOwner {
            lock: lock.id(),
            caller: other.id(),
            holder: me.id()
        }
    );
    assert_eq!(
        lock.holder().await.expect("alive"),
        Some((me.id(), 2)),
        "a refused release changes nothing"
    );
    assert!(!lock.try_acquire(&other).await.expect("alive"));

    lock.release(&me).await.expect("level 2");
    lock.release(&me).await.expect("level 1");
    assert!(lock.try_acquire(&other).await.expect("alive"), "free again");
}

#[tokio::test(start_paused = true)]
async fn re_entrant_guards_release_one_level_each_and_waiters_are_served_in_order() {
    let lock = RLock::new();
    let (me, second, third) = (Owner::task(), Owner::task(), Owner::task());
    let outer = lock.lock(&me).await.expect("free");
    let inner = soon(lock.lock(&me)).await.expect("re-entry does not wait");
    assert_eq!(lock.holder().await.expect("alive"), Some((me.id(), 2)));

    let mut second_waits = pin!(lock.lock(&second));
    let mut third_waits = pin!(lock.lock(&third));
    assert!(poll_once(second_waits.as_mut()).await.is_pending());
    assert!(poll_once(third_waits.as_mut()).await.is_pending());

    drop(inner);
    assert_eq!(lock.holder().await.expect("alive"), Some((me.id(), 1)));
    assert!(poll_once(second_waits.as_mut()).await.is_pending());
    drop(outer);
    let second_guard = soon(second_waits).await.expect("second in line");
    assert_eq!(second_guard.owner(), second.id());
    assert!(matches!(
        poll_once(third_waits.as_mut()).await,
        Poll::Pending
    ));
    drop(second_guard);
    let third_guard = soon(third_waits).await.expect("third in line");
    assert_eq!(third_guard.owner(), third.id());
}

/// An actor that takes two levels without guards (Python style) and then
/// stops without releasing them.
struct Forgetful {
    watched: bool,
}
impl Actor for Forgetful {}

struct AcquireTwiceAndStop(RLock);
impl Message for AcquireTwiceAndStop {
    type Reply = ();
}

impl Handler<AcquireTwiceAndStop> for Forgetful {
    async fn handle(
        &mut self,
        AcquireTwiceAndStop(lock): AcquireTwiceAndStop,
        ctx: &mut Context<Self>,
    ) {
        let me = if self.watched {
            Owner::of(ctx)
        } else {
            Owner::from(ctx.id())
        };
        lock.acquire(&me).await.expect("free");
        lock.acquire(&me).await.expect("re-entry");
        ctx.stop();
    }
}

#[tokio::test(start_paused = true)]
async fn a_watched_owner_that_ends_holding_levels_releases_them_all() {
    let lock = RLock::new();
    let owner = spawn(Forgetful { watched: true });
    soon(owner.ask(AcquireTwiceAndStop(lock.clone())))
        .await
        .expect("owner");
    owner.join().await;
    let next = Owner::task();
    assert!(
        lock.acquire_timeout(&next, Duration::from_secs(60))
            .await
            .expect("alive"),
        "released when the watched owner ended"
    );

    let lock = RLock::new();
    let owner = spawn(Forgetful { watched: false });
    soon(owner.ask(AcquireTwiceAndStop(lock.clone())))
        .await
        .expect("owner");
    owner.join().await;
    assert_eq!(
        lock.holder().await.expect("alive"),
        Some((OwnerId::Actor(owner.id()), 2)),
        "an unwatched owner's levels stay held"
    );
}
