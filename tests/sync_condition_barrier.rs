//! Scenario 8 of the seeds, the rest of the toolbox: `Condition` and
//! `Barrier` as actors.
//!
//! The seeds list `Condition` and `Barrier` among the tools a `Manager`
//! shares between processes. The condition's story here is consumers waiting
//! for items a producer adds: they wake in the order they started waiting,
//! `notify(1)` wakes exactly one, and every consumer holds the lock again when
//! its wait returns. The barrier's story is parties meeting round after round:
//! nobody passes until all have arrived, exactly one is the leader, and a
//! party that times out breaks the barrier for everyone rather than leaving
//! them waiting for ever.

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor::prelude::*;
use actor::sync::{Barrier, BarrierWaitResult, Condition, Lock};
use actor_test_support::{poll_once, soon};
use tokio::sync::oneshot;
use tokio::time::Instant;

// ---------------------------------------------------------------- Condition

type Items = Arc<Mutex<VecDeque<u32>>>;
type Taken = Arc<Mutex<Vec<(usize, u32)>>>;

/// A consumer: takes the lock, says so, waits until there is an item, takes
/// it and writes down who took what.
struct Consumer {
    n: usize,
}
impl Actor for Consumer {}

struct Consume {
    cond: Condition,
    items: Items,
    taken: Taken,
    holding: oneshot::Sender<()>,
}
impl Message for Consume {
    type Reply = Result<(), SyncError>;
}

impl Handler<Consume> for Consumer {
    async fn handle(&mut self, msg: Consume, _: &mut Context<Self>) -> Result<(), SyncError> {
        let guard = msg.cond.lock().await?;
        let _ = msg.holding.send(());
        let has_item = || !msg.items.lock().expect("items").is_empty();
        let guard = msg.cond.wait_for(guard, has_item).await?;
        assert!(
            msg.cond.as_lock().is_locked().await?,
            "a wait returns holding the lock"
        );
        let item = msg.items.lock().expect("items").pop_front();
        if let Some(item) = item {
            msg.taken.lock().expect("taken").push((self.n, item));
        }
        drop(guard);
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn consumers_wake_in_the_order_they_waited_and_notify_one_wakes_one() {
    let cond = Condition::new();
    let items = Items::default();
    let taken = Taken::default();
    let mut consumers = Vec::new();
    for n in 0..3 {
        let consumer = spawn(Consumer { n });
        let (holding, held) = oneshot::channel();
        let msg = Consume {
            cond: cond.clone(),
            items: items.clone(),
            taken: taken.clone(),
            holding,
        };
        consumers.push(tokio::spawn(async move { consumer.ask(msg).await }));
        soon(held).await.expect("the consumer holds the lock");
        // The consumer joins the condition's line before it lets the lock
        // go, so once the test has the lock, the consumer is in line.
        drop(soon(cond.lock()).await.expect("lock alive"));
        assert_eq!(cond.waiting().await.expect("alive"), n + 1);
    }

    // notify(1) with one item: the first consumer, and only it, goes.
    let guard = soon(cond.lock()).await.expect("alive");
    items.lock().expect("items").push_back(10);
    assert_eq!(cond.notify(&guard, 1).await.expect("alive"), 1);
    drop(guard);
    let first = consumers.remove(0);
    soon(first)
        .await
        .expect("task")
        .expect("ask")
        .expect("consumer 0");
    assert_eq!(
        cond.waiting().await.expect("alive"),
        2,
        "the others still wait"
    );

    // Two more items, notify_all: the other two, in the order they waited.
    let guard = soon(cond.lock()).await.expect("alive");
    items.lock().expect("items").extend([20, 30]);
    assert_eq!(cond.notify_all(&guard).await.expect("alive"), 2);
    drop(guard);
    for consumer in consumers {
        soon(consumer)
            .await
            .expect("task")
            .expect("ask")
            .expect("consumer");
    }
    assert_eq!(*taken.lock().expect("taken"), [(0, 10), (1, 20), (2, 30)]);
    assert_eq!(cond.waiting().await.expect("alive"), 0);
}

#[tokio::test(start_paused = true)]
async fn wait_timeout_returns_holding_the_lock_and_says_whether_it_was_notified() {
    let cond = Condition::new();
    let guard = soon(cond.lock()).await.expect("alive");
    let started = Instant::now();
    let (guard, notified) = soon(cond.wait_timeout(guard, Duration::from_secs(2)))
        .await
        .expect("alive");
    assert!(!notified, "nobody notified");
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(guard.lock_id(), cond.as_lock().id());
    assert!(cond.as_lock().is_locked().await.expect("alive"));
    assert_eq!(cond.waiting().await.expect("alive"), 0, "it left the line");

    let notifier = {
        let cond = cond.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let guard = cond.lock().await?;
            cond.notify_all(&guard).await
        })
    };
    let started = Instant::now();
    let (guard, notified) = soon(cond.wait_timeout(guard, Duration::from_secs(5)))
        .await
        .expect("alive");
    assert!(notified);
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    drop(guard);
    assert_eq!(notifier.await.expect("notifier").expect("alive"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_guard_of_another_lock_is_refused_and_handed_back() {
    let shared = Lock::new();
    let not_empty = Condition::with_lock(shared.clone());
    let not_full = Condition::with_lock(shared.clone());
    let other = Lock::new();

    let foreign = other.lock().await.expect("alive");
    let refused = not_empty.wait(foreign).await.expect_err("wrong lock");
    assert_eq!(
        refused.error,
        SyncError::WrongLock {
            condition: not_empty.id(),
            expected: shared.id(),
            found: other.id()
        }
    );
    let foreign = refused.into_guard().expect("handed back, still held");
    assert!(other.is_locked().await.expect("alive"));
    assert!(matches!(
        not_full.notify_all(&foreign).await,
        Err(SyncError::WrongLock { .. })
    ));

    // Both conditions accept the shared lock's guard.
    let guard = soon(not_full.lock()).await.expect("alive");
    assert_eq!(not_empty.notify_all(&guard).await.expect("alive"), 0);
    assert_eq!(not_full.notify(&guard, 1).await.expect("alive"), 0);
}

// ---------------------------------------------------------------- Barrier

/// A party that meets the others at the barrier.
struct Party;
impl Actor for Party {}

struct Meet(Barrier);
impl Message for Meet {
    type Reply = Result<BarrierWaitResult, SyncError>;
}

impl Handler<Meet> for Party {
    async fn handle(
        &mut self,
        Meet(barrier): Meet,
        _: &mut Context<Self>,
    ) -> Result<BarrierWaitResult, SyncError> {
        barrier.wait().await
    }
}

#[tokio::test(start_paused = true)]
async fn nobody_passes_until_all_arrive_and_the_barrier_serves_round_after_round() {
    let barrier = Barrier::new(3);
    assert_eq!(barrier.parties(), 3);

    // Round 0: two arrive and wait; the third lets all through.
    let mut first = pin!(barrier.wait());
    let mut second = pin!(barrier.wait());
    assert!(poll_once(first.as_mut()).await.is_pending());
    assert!(poll_once(second.as_mut()).await.is_pending());
    assert_eq!(barrier.waiting().await.expect("alive"), 2);
    assert!(
        poll_once(first.as_mut()).await.is_pending(),
        "two of three: wait"
    );
    let third = soon(barrier.wait()).await.expect("the last one through");
    let first = soon(first).await.expect("through");
    let second = soon(second).await.expect("through");
    assert_eq!(
        [first.index(), second.index(), third.index()],
        [0, 1, 2],
        "arrival order"
    );
    assert_eq!(
        [first.is_leader(), second.is_leader(), third.is_leader()],
        [false, false, true],
        "the last to arrive leads"
    );
    assert!([first, second, third].iter().all(|r| r.generation() == 0));

    // Rounds 1 and 2: three party actors, twice.
    let parties: Vec<_> = (0..3).map(|_| spawn(Party)).collect();
    for round in 1..=2 {
        let meets: Vec<_> = parties
            .iter()
            .map(|party| {
                let (party, barrier) = (party.clone(), barrier.clone());
                tokio::spawn(async move { party.ask(Meet(barrier)).await })
            })
            .collect();
        let mut indices = Vec::new();
        let mut leaders = 0;
        for meet in meets {
            let passed = soon(meet)
                .await
                .expect("task")
                .expect("ask")
                .expect("through");
            assert_eq!(passed.generation(), round);
            indices.push(passed.index());
            leaders += usize::from(passed.is_leader());
        }
        indices.sort_unstable();
        assert_eq!(indices, [0, 1, 2]);
        assert_eq!(leaders, 1, "exactly one leader per round");
    }
}

#[tokio::test(start_paused = true)]
async fn a_party_that_times_out_breaks_the_barrier_until_reset() {
    let barrier = Barrier::new(3);
    let mut patient = pin!(barrier.wait());
    assert!(poll_once(patient.as_mut()).await.is_pending());

    let started = Instant::now();
    let impatient = soon(barrier.wait_timeout(Duration::from_secs(1))).await;
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    let broken = SyncError::BarrierBroken {
        barrier: barrier.id(),
    };
    assert_eq!(impatient, Err(broken.clone()));
    assert_eq!(
        soon(patient).await,
        Err(broken.clone()),
        "the others are released too"
    );
    assert!(barrier.is_broken().await.expect("alive"));
    assert_eq!(
        soon(barrier.wait()).await,
        Err(broken),
        "broken until reset"
    );

    barrier.reset().await.expect("alive");
    assert!(!barrier.is_broken().await.expect("alive"));
    let parties: Vec<_> = (0..3)
        .map(|_| {
            let barrier = barrier.clone();
            tokio::spawn(async move { barrier.wait().await })
        })
        .collect();
    for party in parties {
        soon(party)
            .await
            .expect("task")
            .expect("usable again after reset");
    }
}

#[tokio::test(start_paused = true)]
async fn a_party_that_gives_up_withdraws_and_abort_releases_the_waiting() {
    let barrier = Barrier::new(2);
    let mut quitter = Box::pin(barrier.wait());
    assert!(poll_once(quitter.as_mut()).await.is_pending());
    drop(quitter);

    let mut stayer = pin!(barrier.wait());
    assert!(
        poll_once(stayer.as_mut()).await.is_pending(),
        "the party that gave up does not count"
    );
    assert_eq!(barrier.waiting().await.expect("alive"), 1);
    barrier.abort().await.expect("alive");
    assert_eq!(
        soon(stayer).await,
        Err(SyncError::BarrierBroken {
            barrier: barrier.id()
        })
    );
}
