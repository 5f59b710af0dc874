//! Restart intensity and backoff: at most R restarts within T; the restart
//! that would exceed it is not made, the supervisor stops its children and
//! fails, exactly once. Backoff delays restarts exponentially (capped,
//! jittered) and the delayed restarts count toward the same intensity.
//!
//! Mirrors OTP's `supervisor_SUITE` intensity checks (the `MaxR`/`MaxT` cases
//! of `one_for_one`, `one_for_all`, `rest_for_one`, and
//! `restart_intensity` with a sliding window), on tokio's paused clock so that
//! every time in these tests is exact.

mod common;

use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;
use tokio::time::{advance, Instant};

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn intensity_failure(reason: &StopReason, child: &str) {
    let text = reason.to_string();
    assert!(reason.is_failure(), "{text}");
    assert!(text.contains("restart intensity exceeded"), "{text}");
    assert!(
        text.contains(&format!("{child:?}")),
        "names the child: {text}"
    );
}

#[tokio::test(start_paused = true)]
async fn exceeding_the_intensity_stops_the_children_and_fails_the_supervisor_once() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (a, b, c) = (
        Kit::new("a", &rec),
        Kit::new("b", &rec),
        Kit::new("c", &rec),
    );
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(2, secs(10))
            .child(a.spec())
            .child(b.spec())
            .child(c.spec()),
    );
    let watcher = spawn(Watcher::new(&rec));
    let watched = sup.clone();
    run(&watcher, move |_, ctx| ctx.monitor(&watched))
        .await
        .unwrap();
    let refs = [
        sup.child::<Probe>("a").await.unwrap(),
        sup.child::<Probe>("b").await.unwrap(),
        sup.child::<Probe>("c").await.unwrap(),
    ];
    // Two restarts are allowed...
    for round in 1..=2 {
        expect_failed(refs[1].ask(Crash("b again")).await, "b again");
        assert_eq!(refs[1].ask(Ping(round)).await, Ok(vec![round]));
    }
    rec.take();
    // ...the third is not.
    expect_failed(refs[1].ask(Crash("b again")).await, "b again");
    let reason = sup.join().await;
    intensity_failure(&reason, "b");
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:failed",
            "stopping:c",
            "stopped:c:shutdown",
            "stopping:a",
            "stopped:a:shutdown",
            format!("down:{}:failed", sup.id()).as_str(),
        ]
    );
    assert_eq!((a.instances(), b.instances(), c.instances()), (1, 3, 1));
    assert!(refs.iter().all(|r| !r.is_alive()));
    assert!(refs[1].join().await.is_failure());
    assert_eq!(refs[0].join().await, StopReason::Shutdown);
    let notices = downs(&watcher).await;
    assert_eq!(notices.len(), 1, "escalated exactly once: {notices:?}");
    assert_eq!(notices[0].reason, reason);
}

#[tokio::test(start_paused = true)]
async fn children_failing_together_past_the_limit_fail_the_supervisor_once() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (a, b) = (Kit::new("a", &rec), Kit::new("b", &rec));
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(0, secs(10))
            .child(a.spec())
            .child(b.spec()),
    );
    let watcher = spawn(Watcher::new(&rec));
    let watched = sup.clone();
    run(&watcher, move |_, ctx| ctx.monitor(&watched))
        .await
        .unwrap();
    let ra = sup.child::<Probe>("a").await.unwrap();
    let rb = sup.child::<Probe>("b").await.unwrap();
    ra.try_tell(Crash("a")).unwrap();
    rb.try_tell(Crash("b")).unwrap();
    intensity_failure(&sup.join().await, "a");
    assert_eq!((a.instances(), b.instances()), (1, 1), "no restart at all");
    assert_eq!(downs(&watcher).await.len(), 1);
    assert_eq!(
        rec.count("restarting:a:failed") + rec.count("restarting:b:failed"),
        0
    );
}

#[tokio::test(start_paused = true)]
async fn the_window_slides_old_restarts_stop_counting() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let w = Kit::new("w", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(2, secs(10))
            .child(w.spec()),
    );
    let r = sup.child::<Probe>("w").await.unwrap();
    let crash = || async {
        expect_failed(r.ask(Crash("w")).await, "w");
    };
    crash().await; // t = 0: restart 1
    advance(secs(1)).await;
    crash().await; // t = 1: restart 2
    advance(ms(9_500)).await;
    // t = 10.5: the restart at t = 0 has left the window.
    crash().await;
    rec.wait_for("started:w", 4).await;
    assert!(sup.is_alive());
    advance(ms(100)).await;
    // t = 10.6: restarts at 1 and 10.5 are in the window; a third is too many.
    crash().await;
    intensity_failure(&sup.join().await, "w");
    assert_eq!(w.instances(), 4);
}

#[tokio::test(start_paused = true)]
async fn an_intensity_of_zero_allows_no_restart() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let w = Kit::new("w", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(0, secs(10))
            .child(w.spec()),
    );
    let r = sup.child::<Probe>("w").await.unwrap();
    expect_failed(r.ask(Crash("w")).await, "w");
    intensity_failure(&sup.join().await, "w");
    assert_eq!(w.instances(), 1);
}

#[tokio::test(start_paused = true)]
async fn ends_that_are_not_restarted_do_not_count() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (tr, te, p) = (
        Kit::new("tr", &rec),
        Kit::new("te", &rec),
        Kit::new("p", &rec),
    );
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(0, secs(10))
            .child(tr.spec().restart(Restart::Transient))
            .child(te.spec().restart(Restart::Temporary))
            .child(p.spec()),
    );
    let rtr = sup.child::<Probe>("tr").await.unwrap();
    let rte = sup.child::<Probe>("te").await.unwrap();
    let rp = sup.child::<Probe>("p").await.unwrap();
    rtr.ask(StopSelf).await.unwrap();
    assert_eq!(rtr.join().await, StopReason::Normal);
    expect_failed(rte.ask(Crash("temporary")).await, "temporary");
    assert!(rte.join().await.is_failure());
    // Neither was a restart: the supervisor carries on with zero allowed.
    assert_eq!(rp.ask(Ping(1)).await, Ok(vec![1]));
    assert!(sup.is_alive());
    // The first real restart is one too many.
    expect_failed(rp.ask(Crash("permanent")).await, "permanent");
    intensity_failure(&sup.join().await, "p");
}

#[tokio::test(start_paused = true)]
async fn the_default_intensity_is_otps_one_restart_in_five_seconds() {
    quiet_deliberate_panics();
    assert_eq!(
        Intensity::default(),
        Intensity {
            max_restarts: 1,
            period: secs(5)
        }
    );
    let rec = Recorder::new();
    let w = Kit::new("w", &rec);
    let sup = spawn(Supervisor::new(Strategy::OneForOne).child(w.spec()));
    let r = sup.child::<Probe>("w").await.unwrap();
    expect_failed(r.ask(Crash("1")).await, "1");
    advance(secs(6)).await;
    expect_failed(r.ask(Crash("2")).await, "2");
    rec.wait_for("started:w", 3).await;
    assert!(sup.is_alive(), "one restart per five seconds is allowed");
    advance(secs(4)).await;
    expect_failed(r.ask(Crash("3")).await, "3");
    intensity_failure(&sup.join().await, "w");
}

#[tokio::test(start_paused = true)]
async fn a_group_restart_counts_once() {
    quiet_deliberate_panics();
    for strategy in [Strategy::OneForAll, Strategy::RestForOne] {
        let rec = Recorder::new();
        let kits = [
            Kit::new("a", &rec),
            Kit::new("b", &rec),
            Kit::new("c", &rec),
        ];
        let sup = spawn(
            Supervisor::new(strategy)
                .intensity(1, secs(10))
                .child(kits[0].spec())
                .child(kits[1].spec())
                .child(kits[2].spec()),
        );
        let a = sup.child::<Probe>("a").await.unwrap();
        expect_failed(a.ask(Crash("a")).await, "a");
        rec.wait_for("started:c", 2).await;
        assert!(
            sup.is_alive(),
            "{strategy:?}: three children restarted, one restart"
        );
        expect_failed(a.ask(Crash("a")).await, "a");
        intensity_failure(&sup.join().await, "a");
        assert_eq!(kits.map(|k| k.instances()), [2, 2, 2], "{strategy:?}");
    }
}

/// A supervisor with one child whose instances 2..=`failing + 1` fail in
/// `started`, restarted with `backoff`.
fn backoff_sup(kit: &Kit, backoff: Backoff, failing: u32, max: u32) -> ActorRef<Supervisor> {
    kit.fail_start_of(&(2..=failing + 1).collect::<Vec<_>>());
    spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(max, secs(600))
            .backoff(backoff)
            .child(kit.spec()),
    )
}

fn gaps(times: &[Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_the_delay_up_to_its_cap() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let w = Kit::new("w", &rec);
    let backoff = Backoff::exponential(ms(100), secs(1)).jitter(0.0);
    let sup = backoff_sup(&w, backoff, 5, 10);
    let r = sup.child::<Probe>("w").await.unwrap();
    expect_failed(r.ask(Crash("w")).await, "w");
    // Instances 2..=6 fail to start; 7 starts.
    rec.wait_for("started:w", 2).await;
    assert_eq!(w.instances(), 7);
    assert_eq!(
        gaps(&w.started_at()),
        [ms(100), ms(200), ms(400), ms(800), secs(1), secs(1)]
    );
    assert_eq!(rec.count("start-failed:w"), 5);
    assert_eq!(r.restart_count(), 6);

    // A run that lasted longer than the cap was healthy: back to the start.
    advance(secs(2)).await;
    let failed_at = Instant::now();
    expect_failed(r.ask(Crash("w")).await, "w");
    rec.wait_for("started:w", 3).await;
    assert_eq!(*w.started_at().last().unwrap() - failed_at, ms(100));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn delayed_restarts_count_toward_the_intensity() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let w = Kit::new("w", &rec);
    let backoff = Backoff::exponential(secs(1), secs(10)).jitter(0.0);
    // Every restart fails to start; three restarts are allowed.
    let sup = backoff_sup(&w, backoff, 100, 3);
    let r = sup.child::<Probe>("w").await.unwrap();
    let t0 = Instant::now();
    expect_failed(r.ask(Crash("w")).await, "w");
    intensity_failure(&sup.join().await, "w");
    // Restarts after 1, 2 and 4 seconds; the fourth failure (at 7 s) escalates.
    assert_eq!(w.instances(), 4);
    assert_eq!(gaps(&w.started_at()), [secs(1), secs(2), secs(4)]);
    assert_eq!(t0.elapsed(), secs(7));
}

#[tokio::test(start_paused = true)]
async fn jitter_spreads_children_that_fail_together() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let kits: Vec<Kit> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|n| Kit::new(n, &rec))
        .collect();
    let mut supervisor = Supervisor::new(Strategy::OneForOne)
        .intensity(10, secs(60))
        .backoff(Backoff::exponential(secs(1), secs(10)).jitter(0.5));
    for kit in &kits {
        supervisor = supervisor.child(kit.spec());
    }
    let sup = spawn(supervisor);
    let mut refs = Vec::new();
    for kit in &kits {
        refs.push(sup.child::<Probe>(kit.name).await.unwrap());
    }
    let t0 = Instant::now();
    for r in &refs {
        r.try_tell(Crash("together")).unwrap();
    }
    for kit in &kits {
        rec.wait_for(&format!("started:{}", kit.name), 2).await;
    }
    let delays: Vec<Duration> = kits.iter().map(|k| k.started_at()[1] - t0).collect();
    for d in &delays {
        // Jitter only shortens, by at most half.
        assert!(*d >= ms(500) && *d <= secs(1), "{delays:?}");
    }
    let mut distinct = delays.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() > 1, "not in lockstep: {delays:?}");
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn escalating_while_another_child_restarts_stops_it_at_once() {
    // a and b fail together; one restart is allowed. a's exit is handled
    // first: restart decided. b's exceeds the intensity: the supervisor stops
    // every child, a included, and fails. a must be stopped like any child
    // (`Shutdown`, at once), not killed after its shutdown timeout.
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (a, b) = (Kit::new("a", &rec), Kit::new("b", &rec));
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(1, secs(10))
            .child(a.spec())
            .child(b.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    let rb = sup.child::<Probe>("b").await.unwrap();
    let t0 = Instant::now();
    ra.try_tell(Crash("a")).unwrap();
    rb.try_tell(Crash("b")).unwrap();
    intensity_failure(&sup.join().await, "b");
    let events = rec.all();
    assert_eq!(
        t0.elapsed(),
        Duration::ZERO,
        "escalation was delayed: {events:?}"
    );
    assert_eq!(ra.join().await, StopReason::Shutdown, "{events:?}");
}
