//! One-for-one restarts decided in the child's own task: a child of a
//! one-for-one supervisor without backoff restarts itself, without a round
//! trip through its supervisor's task, when the supervisor would have
//! restarted it at once. These tests pin down that the short way gives
//! exactly what the long way gives: the intensity (and its escalation), the
//! restart counts, and a stop from the supervisor that crosses a restart.
//!
//! A child's first end (the run its supervisor waited for) always goes the
//! long way, so each test crashes a child once before the case it checks.

mod common;

use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;
use tokio::time::Instant;

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

async fn crash(r: &ActorRef<Probe>, why: &'static str) {
    expect_failed(r.ask(Crash(why)).await, why);
}

#[tokio::test(start_paused = true)]
async fn a_child_restarts_itself_while_its_supervisor_is_busy() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (a, slow) = (Kit::new("a", &rec), Kit::new("slow", &rec));
    slow.start_delay(secs(10));
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(10, secs(60))
            .child(a.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    crash(&ra, "first").await; // the long way
    assert_eq!(ra.ask(Ping(1)).await, Ok(vec![1]));
    // The supervisor is now busy for 10 s starting another child.
    let starting = tokio::spawn({
        let (sup, spec) = (sup.clone(), slow.spec());
        async move { sup.start_child(spec).await.map(|_| ()) }
    });
    rec.wait_for("starting:slow", 1).await;
    let t0 = Instant::now();
    for round in 2..=4 {
        crash(&ra, "again").await;
        assert_eq!(ra.ask(Ping(round)).await, Ok(vec![round]));
    }
    assert_eq!(t0.elapsed(), Duration::ZERO, "waited for the supervisor");
    assert!(!starting.is_finished());
    assert_eq!(a.instances(), 5);
    assert_eq!(ra.restart_count(), 4);
    starting.await.unwrap().unwrap();
    // The restarts made by the child are the supervisor's too.
    let info = sup.children().await.unwrap();
    assert_eq!(
        info.iter()
            .map(|i| (i.id.as_str(), i.restarts, i.running))
            .collect::<Vec<_>>(),
        [("a", 4, true), ("slow", 0, true)]
    );
    let me = ra.ask(Info).await.unwrap();
    assert_eq!((me.instance, me.restart_count), (5, 4));
    assert_eq!(*a.conf.ctx_restarts.lock().unwrap(), [0, 1, 2, 3, 4]);
    assert_eq!(
        rec.count("restarting:a:failed"),
        4,
        "each run after the first: {:?}",
        rec.all()
    );
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn exceeding_the_intensity_from_the_childs_task_escalates_exactly_as_before() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (a, b) = (Kit::new("a", &rec), Kit::new("b", &rec));
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(2, secs(10))
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
    crash(&rb, "b").await; // restart 1, the long way
    assert_eq!(rb.ask(Ping(1)).await, Ok(vec![1]));
    crash(&rb, "b").await; // restart 2, in b's task
    assert_eq!(rb.ask(Ping(2)).await, Ok(vec![2]));
    rec.take();
    // The third is one too many: b does not restart, its supervisor gives up.
    crash(&rb, "b").await;
    let reason = sup.join().await;
    let text = reason.to_string();
    assert!(reason.is_failure(), "{text}");
    assert!(text.contains("restart intensity exceeded"), "{text}");
    assert!(text.contains("\"b\""), "names the child: {text}");
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:failed",
            "stopping:a",
            "stopped:a:shutdown",
            format!("down:{}:failed", sup.id()).as_str(),
        ]
    );
    assert_eq!((a.instances(), b.instances()), (1, 3));
    assert!(rb.join().await.is_failure());
    assert_eq!(ra.join().await, StopReason::Shutdown);
    let notices = downs(&watcher).await;
    assert_eq!(notices.len(), 1, "escalated exactly once: {notices:?}");
    assert_eq!(notices[0].reason, reason);
}

#[tokio::test(start_paused = true)]
async fn restarts_a_child_made_itself_count_toward_its_siblings_intensity() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (a, b) = (Kit::new("a", &rec), Kit::new("b", &rec));
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(2, secs(10))
            .child(a.spec())
            .child(b.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    let rb = sup.child::<Probe>("b").await.unwrap();
    crash(&ra, "a").await; // the supervisor's restart
    assert_eq!(ra.ask(Ping(1)).await, Ok(vec![1]));
    crash(&ra, "a").await; // a's own
    assert_eq!(ra.ask(Ping(2)).await, Ok(vec![2]));
    // b's first end goes to the supervisor, which finds the window full.
    crash(&rb, "b").await;
    let text = sup.join().await.to_string();
    assert!(text.contains("restart intensity exceeded"), "{text}");
    assert!(text.contains("\"b\""), "names the child: {text}");
    assert_eq!((a.instances(), b.instances()), (3, 1));
    assert_eq!(ra.join().await, StopReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn a_stop_from_the_supervisor_right_after_a_child_restarted_itself_is_kept() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, secs(10))
            .child(a.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    crash(&ra, "first").await;
    assert_eq!(ra.ask(Ping(1)).await, Ok(vec![1]));
    rec.take();
    let t0 = Instant::now();
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
    assert_eq!(t0.elapsed(), Duration::ZERO, "waited: {events:?}");
    assert_eq!(ra.join().await, StopReason::Shutdown, "events: {events:?}");
    assert_eq!(a.instances(), 3, "{events:?}");
    assert_eq!(
        events,
        [
            "stopping:a",
            "stopped:a:failed",
            "restarting:a:failed",
            "started:a",
            "stopping:a",
            "stopped:a:shutdown"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_child_failing_after_its_supervisor_was_told_to_stop_is_not_restarted() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, secs(10))
            .child(a.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    crash(&ra, "first").await;
    assert_eq!(ra.ask(Ping(1)).await, Ok(vec![1]));
    // Queued, then the supervisor is told to stop before the child runs.
    ra.try_tell(Crash("after the stop")).unwrap();
    sup.stop();
    assert_eq!(sup.join().await, StopReason::Normal);
    assert_eq!(a.instances(), 2, "restarted during the shutdown");
    assert!(ra.join().await.is_failure());
}

#[tokio::test(start_paused = true)]
async fn terminating_a_child_that_restarts_itself_stops_it_for_good() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, secs(10))
            .child(a.spec()),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    crash(&ra, "first").await;
    assert_eq!(ra.ask(Ping(1)).await, Ok(vec![1]));
    let t0 = Instant::now();
    ra.try_tell(Crash("while terminated")).unwrap();
    // Sent before the child runs: the supervisor handles it after the child
    // restarted itself.
    let terminated = tokio::spawn({
        let sup = sup.clone();
        async move { sup.terminate_child("a").await }
    });
    terminated.await.unwrap().unwrap();
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert_eq!(ra.join().await, StopReason::Shutdown);
    assert_eq!(a.instances(), 3);
    assert!(sup.children().await.unwrap().is_empty());
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_transient_child_restarts_itself_after_failures_only() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, secs(10))
            .child(a.spec().restart(Restart::Transient)),
    );
    let ra = sup.child::<Probe>("a").await.unwrap();
    crash(&ra, "first").await;
    crash(&ra, "second").await;
    assert_eq!(ra.ask(Ping(1)).await, Ok(vec![1]));
    assert_eq!(a.instances(), 3);
    // A normal end is not restarted, by the child or by its supervisor.
    ra.ask(StopSelf).await.unwrap();
    assert_eq!(ra.join().await, StopReason::Normal);
    let info = sup.children().await.unwrap();
    assert_eq!((info[0].restarts, info[0].running), (2, false));
    assert_eq!(a.instances(), 3);
    sup.stop();
    sup.join().await;
}

/// Real threads: a terminate racing a child's restart of itself. Whichever
/// gets the supervisor's lock first, the child ends for good, once, and
/// the terminate returns without waiting for a timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminate_racing_a_childs_own_restart_always_ends_it() {
    quiet_deliberate_panics();
    for round in 0..200 {
        let rec = Recorder::new();
        let a = Kit::new("a", &rec);
        let sup = spawn(
            Supervisor::new(Strategy::OneForOne)
                .intensity(u32::MAX, secs(10))
                .child(a.spec()),
        );
        let ra = sup.child::<Probe>("a").await.unwrap();
        crash(&ra, "first").await;
        ra.try_tell(Crash("racing")).unwrap();
        let ended = within(
            "the terminate",
            tokio::time::timeout(secs(2), sup.terminate_child("a")),
        )
        .await;
        assert_eq!(ended.map_err(|_| round), Ok(Ok(())));
        let reason = ra.join().await;
        assert!(
            reason == StopReason::Shutdown || reason.is_failure(),
            "round {round}: {reason}"
        );
        assert!(a.instances() <= 3, "round {round}: {:?}", rec.all());
        assert!(!ra.is_alive());
        sup.stop();
        sup.join().await;
    }
}
