//! Scenario 8 of the seeds, semaphores: `BoundedSemaphore(5)` with 20
//! workers, as actors.
//!
//! The first test runs the `semaphore` example itself on tokio's paused
//! clock and checks its story: all 20 workers ran, never more than 5 at once,
//! in waves of 5, and the extra release at the end was refused. The others
//! check what the story rests on: first come first served (skipping waiters
//! that gave up), a bounded semaphore refusing a release past its bound while
//! a plain one accepts it, a timed-out acquire not losing a permit, and a
//! permit coming back when the actor holding it panics.

#[allow(dead_code)]
#[path = "../examples/semaphore.rs"]
mod semaphore_example;

use std::pin::pin;
use std::time::Duration;

use actor::prelude::*;
use actor::sync::Semaphore;
use actor_test_support::{gate, poll_once, quiet_deliberate_panics, soon, Gate, DELIBERATE};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn twenty_workers_run_at_most_five_at_a_time_and_all_finish() {
    let work = Duration::from_secs(1); // the seed's time.sleep(1)
    let started = Instant::now();
    let report = soon(semaphore_example::run(semaphore_example::Config {
        workers: 20,
        permits: 5,
        work,
    }))
    .await
    .expect("the scenario runs");

    assert_eq!(report.max_running, 5, "five at a time, never more");
    let mut ran = report.order.clone();
    ran.sort_unstable();
    assert_eq!(ran, (0..20).collect::<Vec<_>>(), "each of the 20 ran once");
    // Four waves of five, one second each: the others did wait.
    assert_eq!(started.elapsed(), work * 4);
    assert_eq!(report.available_after, 5, "every permit came back");
    assert!(matches!(
        report.extra_release,
        Err(SyncError::SemaphoreOverReleased { bound: 5, .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn waiters_get_permits_in_the_order_they_asked_skipping_those_that_gave_up() {
    let semaphore = Semaphore::new(2);
    let a = semaphore.acquire().await.expect("free permit");
    let b = semaphore.acquire().await.expect("free permit");

    let mut first = pin!(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    let mut third = pin!(semaphore.acquire());
    assert!(poll_once(first.as_mut()).await.is_pending());
    assert!(poll_once(second.as_mut()).await.is_pending());
    assert!(poll_once(third.as_mut()).await.is_pending());
    assert_eq!(semaphore.waiting().await.expect("alive"), 3);
    assert_eq!(semaphore.available().await.expect("alive"), 0);

    drop(second); // gave up
    drop(a);
    let first_permit = soon(first).await.expect("first in line");
    assert!(poll_once(third.as_mut()).await.is_pending());
    drop(b);
    let third_permit = soon(third).await.expect("third: the second was skipped");
    assert_eq!(semaphore.waiting().await.expect("alive"), 0);
    drop((first_permit, third_permit));
    assert_eq!(semaphore.available().await.expect("alive"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_bounded_semaphore_refuses_a_release_past_its_bound() {
    let bounded = Semaphore::bounded(2);
    assert_eq!(bounded.bound(), Some(2));
    let err = bounded.release().await.expect_err("already at the bound");
    assert_eq!(
        err,
        SyncError::SemaphoreOverReleased {
            semaphore: bounded.id(),
            bound: 2
        }
    );
    assert_eq!(bounded.available().await.expect("alive"), 2, "unchanged");

    // Python style: acquire, release, release once too often.
    bounded.acquire().await.expect("free").forget();
    assert_eq!(bounded.available().await.expect("alive"), 1);
    bounded.release().await.expect("gives back what was taken");
    assert!(bounded.release().await.is_err());
    assert_eq!(bounded.available().await.expect("alive"), 2);

    // A plain semaphore counts up, as Python's `Semaphore` does.
    let plain = Semaphore::new(2);
    assert_eq!(plain.bound(), None);
    plain.release().await.expect("no bound");
    assert_eq!(plain.available().await.expect("alive"), 3);
}

#[tokio::test(start_paused = true)]
async fn an_acquire_that_times_out_takes_no_permit() {
    let semaphore = Semaphore::bounded(1);
    let held = semaphore.acquire().await.expect("free");
    assert!(semaphore.try_acquire().await.expect("alive").is_none());

    let started = Instant::now();
    let late = semaphore
        .acquire_timeout(Duration::from_secs(5))
        .await
        .expect("alive");
    assert!(late.is_none());
    assert_eq!(started.elapsed(), Duration::from_secs(5));

    drop(held);
    assert_eq!(
        semaphore.available().await.expect("alive"),
        1,
        "the permit came back to the semaphore, not to the waiter that left"
    );
    assert!(semaphore.try_acquire().await.expect("alive").is_some());
}

/// An actor that takes a permit and panics at the gate.
struct Crasher;
impl Actor for Crasher {}

struct TakeAndPanic(Semaphore, Gate);
impl Message for TakeAndPanic {
    type Reply = ();
}

impl Handler<TakeAndPanic> for Crasher {
    async fn handle(&mut self, TakeAndPanic(semaphore, gate): TakeAndPanic, _: &mut Context<Self>) {
        let _permit = semaphore.acquire().await.expect("semaphore alive");
        gate.pass().await;
        panic!("{DELIBERATE}: a worker panics holding a permit");
    }
}

#[tokio::test(start_paused = true)]
async fn a_permit_comes_back_when_its_holder_panics() {
    quiet_deliberate_panics();
    let semaphore = Semaphore::bounded(1);
    let crasher = spawn(Crasher);
    let (gate, mut key) = gate();
    crasher
        .tell(TakeAndPanic(semaphore.clone(), gate))
        .await
        .expect("crasher alive");
    key.entered().await;
    let mut waiter = pin!(semaphore.acquire());
    assert!(
        poll_once(waiter.as_mut()).await.is_pending(),
        "the only permit is held"
    );

    key.open();
    assert!(crasher.join().await.is_failure());
    let got = tokio::time::timeout(Duration::from_secs(60), waiter).await;
    assert!(
        matches!(got, Ok(Ok(_))),
        "the waiter got the crashed worker's permit"
    );
}
