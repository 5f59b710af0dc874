//! Timers, on tokio's paused clock: `send_after` delivers once, after the delay
//! and not before; `send_interval` ticks once per period, the first one a
//! period after it started; `TimerHandle::cancel` stops a timer; and timers end
//! when their actor stops.
//!
//! With the clock paused, time moves only when the test advances it or when
//! every task is idle (then it jumps to the next timer), so the instants
//! observed are exact and the tests do not depend on the machine's speed.

use std::time::Duration;

use actor_core::prelude::*;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Starts timers on request and reports each tick with the time it arrived.
struct Clockwork {
    ticks: mpsc::UnboundedSender<(u32, Instant)>,
    handled: u32,
}

impl Actor for Clockwork {}

/// A timer's message, carrying which timer sent it.
#[derive(Clone, Copy)]
struct Tick(u32);
impl Message for Tick {
    type Reply = ();
}
impl Handler<Tick> for Clockwork {
    async fn handle(&mut self, Tick(timer): Tick, _ctx: &mut Context<Self>) {
        self.handled += 1;
        let _ = self.ticks.send((timer, Instant::now()));
    }
}

/// Starts `send_after(Tick(id), delay)`; replies with the handle and the
/// instant the timer started.
struct After {
    id: u32,
    delay: Duration,
}
impl Message for After {
    type Reply = (TimerHandle, Instant);
}
impl Handler<After> for Clockwork {
    async fn handle(&mut self, msg: After, ctx: &mut Context<Self>) -> (TimerHandle, Instant) {
        (ctx.send_after(Tick(msg.id), msg.delay), Instant::now())
    }
}

/// Starts `send_interval(Tick(id), period)`; replies like [`After`].
struct Every {
    id: u32,
    period: Duration,
}
impl Message for Every {
    type Reply = (TimerHandle, Instant);
}
impl Handler<Every> for Clockwork {
    async fn handle(&mut self, msg: Every, ctx: &mut Context<Self>) -> (TimerHandle, Instant) {
        (ctx.send_interval(Tick(msg.id), msg.period), Instant::now())
    }
}

/// How many ticks the actor has handled.
struct Handled;
impl Message for Handled {
    type Reply = u32;
}
impl Handler<Handled> for Clockwork {
    async fn handle(&mut self, _: Handled, _ctx: &mut Context<Self>) -> u32 {
        self.handled
    }
}

fn clockwork() -> (ActorRef<Clockwork>, mpsc::UnboundedReceiver<(u32, Instant)>) {
    let (ticks, rx) = mpsc::unbounded_channel();
    (spawn(Clockwork { ticks, handled: 0 }), rx)
}

const MS: Duration = Duration::from_millis(1);

#[tokio::test(start_paused = true)]
async fn send_after_delivers_once_after_the_delay_and_not_before() {
    let (actor, mut ticks) = clockwork();
    let delay = 100 * MS;
    let (timer, started) = actor.ask(After { id: 1, delay }).await.unwrap();
    assert!(timer.is_active());

    // Just short of the delay: nothing has arrived. The ask behind the advance
    // is a round trip through the actor, so a tick sent by then is handled.
    tokio::time::advance(delay - MS).await;
    assert_eq!(actor.ask(Handled).await, Ok(0), "fired early");
    assert!(ticks.try_recv().is_err());

    let (timer_id, arrived) = ticks.recv().await.unwrap();
    assert_eq!(timer_id, 1);
    let waited = arrived - started;
    assert!(
        waited >= delay,
        "delivered after {waited:?}, before {delay:?}"
    );

    // Once only: long after, still one tick, and the timer has finished.
    tokio::time::sleep(10 * delay).await;
    assert_eq!(actor.ask(Handled).await, Ok(1));
    assert!(ticks.try_recv().is_err());
    assert!(!timer.is_active());
}

#[tokio::test(start_paused = true)]
async fn send_interval_ticks_once_per_period() {
    let (actor, mut ticks) = clockwork();
    let period = 10 * MS;
    let (timer, started) = actor.ask(Every { id: 2, period }).await.unwrap();

    // Ten periods and a half: ten ticks, the first one period after the start.
    tokio::time::sleep_until(started + period * 10 + period / 2).await;
    assert_eq!(actor.ask(Handled).await, Ok(10));
    let mut previous = started;
    for k in 1..=10 {
        let (timer_id, arrived) = ticks.try_recv().expect("ten ticks");
        assert_eq!(timer_id, 2);
        assert!(
            arrived - previous >= period,
            "tick {k} came {:?} after the previous one",
            arrived - previous
        );
        assert!(arrived >= started + period * k);
        previous = arrived;
    }
    assert!(ticks.try_recv().is_err(), "more than ten ticks");
    assert!(timer.is_active());
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_interval_stops_ticking() {
    let (actor, mut ticks) = clockwork();
    let period = 10 * MS;
    let (timer, started) = actor.ask(Every { id: 3, period }).await.unwrap();
    tokio::time::sleep_until(started + period * 3 + period / 2).await;
    assert_eq!(actor.ask(Handled).await, Ok(3));

    timer.cancel();
    tokio::time::sleep(period * 20).await;
    assert_eq!(actor.ask(Handled).await, Ok(3), "ticked after cancel");
    assert!(!timer.is_active());
    for _ in 0..3 {
        ticks.try_recv().unwrap();
    }
    assert!(ticks.try_recv().is_err());
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_send_after_never_delivers() {
    let (actor, mut ticks) = clockwork();
    let (timer, _) = actor
        .ask(After {
            id: 4,
            delay: 50 * MS,
        })
        .await
        .unwrap();
    timer.cancel();
    tokio::time::sleep(500 * MS).await;
    assert_eq!(actor.ask(Handled).await, Ok(0));
    assert!(ticks.try_recv().is_err());
    assert!(!timer.is_active());
}

#[tokio::test(start_paused = true)]
async fn timers_end_when_their_actor_stops() {
    let (actor, mut ticks) = clockwork();
    let period = 10 * MS;
    let (interval, started) = actor.ask(Every { id: 5, period }).await.unwrap();
    let (after, _) = actor
        .ask(After {
            id: 6,
            delay: Duration::from_secs(3600),
        })
        .await
        .unwrap();
    tokio::time::sleep_until(started + period * 2 + period / 2).await;
    assert_eq!(actor.ask(Handled).await, Ok(2));

    actor.stop();
    assert_eq!(actor.join().await, StopReason::Normal);
    // Let the runtime process the timers' cancellation: a short sleep on the
    // paused clock completes only after every task that can run has run.
    tokio::time::sleep(MS).await;
    assert!(!interval.is_active(), "the interval outlived its actor");
    assert!(
        !after.is_active(),
        "the hour-long timer still waits although its actor stopped"
    );

    tokio::time::sleep(period * 10).await;
    let mut seen = 0;
    while ticks.try_recv().is_ok() {
        seen += 1;
    }
    assert_eq!(seen, 2, "ticks arrived after the actor stopped");
}

#[tokio::test(start_paused = true)]
async fn a_pending_timer_does_not_keep_its_actor_alive() {
    let (actor, mut ticks) = clockwork();
    let (after, _) = actor
        .ask(After {
            id: 7,
            delay: 100 * MS,
        })
        .await
        .unwrap();
    let weak = actor.downgrade();
    drop(actor);
    // Without strong references the actor stops at once; its timer goes too.
    tokio::time::sleep(MS).await;
    assert!(weak.upgrade().is_none());
    assert!(!weak.is_alive());
    assert!(!after.is_active());
    tokio::time::sleep(200 * MS).await;
    assert!(ticks.try_recv().is_err());
}
