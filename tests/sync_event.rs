//! Scenario 9's tool: `threading.Event`'s `set` / `clear` / `is_set` / `wait`
//! as an actor.
//!
//! "If the flag is set, the wait method doesn't do anything. If the flag is
//! cleared, wait will block until it becomes set again. Any number of threads
//! may wait for the same event." These tests check each sentence, with car
//! actors as the waiters, and the timeout that Python's `wait(timeout)` has.

use std::pin::pin;
use std::time::Duration;

use actor::prelude::*;
use actor::sync::Event;
use actor_test_support::{poll_once, soon};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// A car that waits for green when told to, and says when it went.
struct Car;
impl Actor for Car {}

struct WaitForGreen {
    green: Event,
    waiting: oneshot::Sender<()>,
}
impl Message for WaitForGreen {
    type Reply = Result<(), SyncError>;
}

impl Handler<WaitForGreen> for Car {
    async fn handle(&mut self, msg: WaitForGreen, _: &mut Context<Self>) -> Result<(), SyncError> {
        let wait = msg.green.wait();
        let mut wait = pin!(wait);
        // The first poll queues the wait at the event; only then say so.
        if let std::task::Poll::Ready(done) = poll_once(wait.as_mut()).await {
            return done;
        }
        let _ = msg.waiting.send(());
        wait.await
    }
}

#[tokio::test(start_paused = true)]
async fn every_waiting_car_goes_when_the_event_is_set() {
    let green = Event::new();
    let mut cars = Vec::new();
    for _ in 0..5 {
        let car = spawn(Car);
        let (waiting, queued) = oneshot::channel();
        let ask = {
            let (car, green) = (car.clone(), green.clone());
            tokio::spawn(async move { car.ask(WaitForGreen { green, waiting }).await })
        };
        soon(queued).await.expect("the car waits");
        cars.push(ask);
    }
    for car in &cars {
        assert!(!car.is_finished(), "no car goes while the event is clear");
    }
    green.set().await.expect("event alive");
    for car in cars {
        soon(car)
            .await
            .expect("task")
            .expect("ask")
            .expect("went on green");
    }
}

#[tokio::test(start_paused = true)]
async fn wait_returns_at_once_while_set_and_waits_again_after_clear() {
    let event = Event::new();
    assert!(!event.is_set().await.expect("alive"), "starts cleared");

    event.set().await.expect("alive");
    assert!(event.is_set().await.expect("alive"));
    soon(event.wait()).await.expect("set: does not wait");
    soon(event.wait()).await.expect("still set");

    event.clear().await.expect("alive");
    assert!(!event.is_set().await.expect("alive"));
    let mut waiting = pin!(event.wait());
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    // A cleared event stays cleared: clearing again wakes nobody.
    event.clear().await.expect("alive");
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    event.set().await.expect("alive");
    soon(waiting).await.expect("woken by set");
}

#[tokio::test(start_paused = true)]
async fn a_waiter_woken_by_set_wakes_even_if_the_event_is_cleared_right_after() {
    let event = Event::new();
    let mut waiting = pin!(event.wait());
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    event.set().await.expect("alive");
    event.clear().await.expect("alive");
    soon(waiting).await.expect("the set woke it");
}

#[tokio::test(start_paused = true)]
async fn wait_timeout_gives_up_after_the_timeout_and_reports_a_set_before_it() {
    let event = Event::new();
    let started = Instant::now();
    let set = event
        .wait_timeout(Duration::from_secs(2))
        .await
        .expect("alive");
    assert!(!set, "timed out");
    assert_eq!(started.elapsed(), Duration::from_secs(2));

    // Set one second into a two-second wait: true, after one second.
    let setter = {
        let event = event.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            event.set().await
        })
    };
    let started = Instant::now();
    let set = event
        .wait_timeout(Duration::from_secs(2))
        .await
        .expect("alive");
    assert!(set);
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    setter.await.expect("setter").expect("alive");
}
