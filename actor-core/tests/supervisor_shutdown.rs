//! Starting and stopping children: children start in order, each `started`
//! finishing before the next begins, and stop in reverse order; a child that
//! ignores its shutdown is killed after its shutdown timeout; `BrutalKill`
//! kills at once and `Infinity` waits as long as it takes.
//!
//! Mirrors OTP's `supervisor_SUITE` shutdown cases (`sup_stop_infinity`,
//! `sup_stop_timeout`, `sup_stop_brutal_kill`, `child_shutdown_order`) on
//! tokio's paused clock, so the time a shutdown takes is exact.

mod common;

use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;
use tokio::time::Instant;

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[tokio::test(start_paused = true)]
async fn children_start_one_after_another_and_stop_in_reverse_order() {
    let rec = Recorder::new();
    let kits = [
        Kit::new("a", &rec),
        Kit::new("b", &rec),
        Kit::new("c", &rec),
    ];
    let mut supervisor = Supervisor::new(Strategy::OneForOne);
    for kit in &kits {
        // Each `started` takes a second: the next child must wait for it.
        kit.start_delay(secs(1));
        supervisor = supervisor.child(kit.spec());
    }
    let t0 = Instant::now();
    let sup = spawn(supervisor);
    let c = sup.child::<Probe>("c").await.unwrap();
    assert_eq!(t0.elapsed(), secs(3));
    assert_eq!(
        rec.take(),
        [
            "starting:a",
            "started:a",
            "starting:b",
            "started:b",
            "starting:c",
            "started:c"
        ]
    );
    sup.stop();
    assert_eq!(sup.join().await, StopReason::Normal);
    assert_eq!(
        rec.take(),
        [
            "stopping:c",
            "stopped:c:shutdown",
            "stopping:b",
            "stopped:b:shutdown",
            "stopping:a",
            "stopped:a:shutdown",
        ]
    );
    assert_eq!(c.join().await, StopReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn a_child_busy_past_its_shutdown_timeout_is_killed_after_exactly_that_time() {
    let rec = Recorder::new();
    let (a, b) = (Kit::new("a", &rec), Kit::new("b", &rec));
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .child(a.spec().shutdown(Shutdown::Timeout(secs(2))))
            .child(b.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    // a is stuck in an hour-long handler: it never gets to stop by itself.
    let stuck = ask_later(&ra, Busy(secs(3600)));
    rec.wait_for("busy:a", 1).await;
    rec.take();
    let t0 = Instant::now();
    sup.stop();
    assert_eq!(sup.join().await, StopReason::Normal);
    assert_eq!(t0.elapsed(), secs(2), "killed when its timeout ran out");
    assert_eq!(
        rec.take(),
        ["stopping:b", "stopped:b:shutdown", "stopped:a:killed"],
        "b stopped first; a was killed: no `stopping`, handler never finished"
    );
    assert_eq!(ra.join().await, StopReason::Killed);
    assert!(matches!(
        stuck.await.unwrap(),
        Err(Error::NotHandled {
            reason: StopReason::Killed,
            ..
        })
    ));
}

#[tokio::test(start_paused = true)]
async fn a_child_stuck_in_its_stopping_hook_is_killed_after_its_shutdown_timeout() {
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    a.hang_in_stopping();
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne).child(a.spec().shutdown(Shutdown::Timeout(secs(3)))),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    rec.take();
    let t0 = Instant::now();
    sup.stop();
    sup.join().await;
    assert_eq!(t0.elapsed(), secs(3));
    assert_eq!(rec.take(), ["stopping:a", "stopped:a:killed"]);
    assert_eq!(ra.join().await, StopReason::Killed);
}

#[tokio::test(start_paused = true)]
async fn a_child_that_stops_in_time_is_not_killed() {
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne).child(a.spec().shutdown(Shutdown::Timeout(secs(5)))),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    let busy = ask_later(&ra, Busy(secs(4)));
    rec.wait_for("busy:a", 1).await;
    let t0 = Instant::now();
    sup.stop();
    sup.join().await;
    assert_eq!(t0.elapsed(), secs(4), "it finished its message first");
    assert_eq!(busy.await.unwrap(), Ok(()));
    assert_eq!(ra.join().await, StopReason::Shutdown);
    assert!(rec.all().ends_with(&[
        "idle:a".into(),
        "stopping:a".into(),
        "stopped:a:shutdown".into()
    ]));
}

#[tokio::test(start_paused = true)]
async fn brutal_kill_kills_at_once() {
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup =
        spawn(Supervisor::new(Strategy::OneForOne).child(a.spec().shutdown(Shutdown::BrutalKill)));
    let ra = sup.child::<Probe>("a").await.unwrap();
    let busy = ask_later(&ra, Busy(secs(10)));
    rec.wait_for("busy:a", 1).await;
    rec.take();
    let t0 = Instant::now();
    sup.stop();
    sup.join().await;
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert_eq!(rec.take(), ["stopped:a:killed"]);
    assert_eq!(ra.join().await, StopReason::Killed);
    assert!(busy.await.unwrap().is_err());
}

#[tokio::test(start_paused = true)]
async fn infinity_waits_as_long_as_the_child_takes() {
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup =
        spawn(Supervisor::new(Strategy::OneForOne).child(a.spec().shutdown(Shutdown::Infinity)));
    let ra = sup.child::<Probe>("a").await.unwrap();
    let busy = ask_later(&ra, Busy(secs(300)));
    rec.wait_for("busy:a", 1).await;
    let t0 = Instant::now();
    sup.stop();
    sup.join().await;
    assert_eq!(t0.elapsed(), secs(300));
    assert_eq!(busy.await.unwrap(), Ok(()));
    assert_eq!(ra.join().await, StopReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn killing_the_supervisor_kills_its_children_newest_first() {
    let rec = Recorder::new();
    let kits = [
        Kit::new("a", &rec),
        Kit::new("b", &rec),
        Kit::new("c", &rec),
    ];
    let mut supervisor = Supervisor::new(Strategy::OneForOne);
    for kit in &kits {
        supervisor = supervisor.child(kit.spec());
    }
    let sup = spawn(supervisor);
    let a = sup.child::<Probe>("a").await.unwrap();
    rec.take();
    sup.kill();
    assert_eq!(sup.join().await, StopReason::Killed);
    assert_eq!(
        rec.take(),
        ["stopped:c:killed", "stopped:b:killed", "stopped:a:killed"]
    );
    assert_eq!(a.join().await, StopReason::Killed);
}

#[tokio::test(start_paused = true)]
async fn messages_queued_for_a_child_when_it_is_shut_down_are_answered() {
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(Supervisor::new(Strategy::OneForOne).child(a.spec()));
    let ra = sup.child::<Probe>("a").await.unwrap();
    let busy = make_busy(&ra, &rec, "a").await;
    let queued = queue(&ra, Ping(1)).await;
    sup.stop();
    sup.join().await;
    assert_eq!(busy.await.unwrap(), Ok(()));
    match queued.await.unwrap() {
        Err(Error::NotHandled { actor, reason }) => {
            assert_eq!((actor, reason), (ra.id(), StopReason::Shutdown));
        }
        other => panic!("expected NotHandled(Shutdown), got {other:?}"),
    }
    assert!(a.handled().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_supervisor_whose_references_are_all_dropped_stops_its_children() {
    let rec = Recorder::new();
    let (a, b) = (Kit::new("a", &rec), Kit::new("b", &rec));
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .child(a.spec())
            .child(b.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    rec.take();
    drop(sup);
    // The child's reference does not keep its supervisor alive.
    assert_eq!(ra.join().await, StopReason::Shutdown);
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:shutdown",
            "stopping:a",
            "stopped:a:shutdown"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn stopping_the_supervisor_right_after_a_child_failed_does_not_restart_it() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, secs(10))
            .child(a.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    rec.take();
    let t0 = Instant::now();
    // A client task stops the supervisor as soon as it learns of the failure:
    // the stop is requested while the child's exit waits in the supervisor's
    // mailbox, so the supervisor decides to restart the child and then, at
    // once, stops it.
    let client = tokio::spawn({
        let (ra, sup) = (ra.clone(), sup.clone());
        async move {
            let failed = ra.ask(Crash("just before the stop")).await;
            sup.stop();
            failed
        }
    });
    expect_failed(client.await.unwrap(), "just before");
    assert_eq!(sup.join().await, StopReason::Normal);
    let events = rec.take();
    // Whether or not the restart got in first, the stop must take effect: no
    // waiting for the five-second shutdown timeout, and the child's final
    // run ends with `Shutdown`, not `Killed`.
    assert_eq!(
        t0.elapsed(),
        Duration::ZERO,
        "the shutdown waited for the timeout; events: {events:?}"
    );
    assert_eq!(ra.join().await, StopReason::Shutdown, "events: {events:?}");
}

#[tokio::test(start_paused = true)]
async fn stopping_the_supervisor_while_a_child_waits_out_its_backoff_does_not_restart_it() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, secs(60))
            .backoff(Backoff::exponential(secs(10), secs(60)).jitter(0.0))
            .child(a.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    expect_failed(ra.ask(Crash("then a backoff")).await, "then a backoff");
    // Let the supervisor decide on the restart (a 10 s delay) before stopping it.
    let _ = sup.children().await.unwrap();
    rec.take();
    let t0 = Instant::now();
    sup.stop();
    let stopped = tokio::time::timeout(secs(120), sup.join()).await;
    let events = rec.take();
    assert!(
        stopped.is_ok(),
        "the supervisor never finished stopping; events: {events:?}"
    );
    assert!(
        t0.elapsed() < secs(10),
        "it waited out the backoff ({:?}); events: {events:?}",
        t0.elapsed()
    );
    assert_eq!(
        a.instances(),
        1,
        "restarted during the shutdown: {events:?}"
    );
    assert!(!ra.is_alive());
}
