//! Monitors and links in every combination.
//!
//! Monitors are one way: the watcher gets a `Down` with the actor's id, the
//! stop reason and the monitor's id, for a normal stop, a failure, a kill or a
//! shutdown; a monitor on an actor that has already ended fires at once;
//! `demonitor` prevents the notice. Links are two way: an abnormal end of
//! either actor ends the other, with a reason naming the linked actor; a
//! normal end does not propagate; an actor that traps exits receives `Exit`
//! messages instead (for normal ends too); `unlink` stops propagation; linking
//! to an actor that has already ended delivers its exit signal at once; a
//! linked failure reaching a supervised child fails it, and it is restarted.
//!
//! Mirrors Erlang's own semantics as tested in OTP's `erts` suites
//! (`process_SUITE`: `link_fun`, `trap_exit_*`, `exit_and_timeout`;
//! `monitor_SUITE`: `case_1`..`case_2a`, `demon_*`, `mon_*`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;

fn probe(rec: &Arc<Recorder>, name: &'static str) -> ActorRef<Probe> {
    spawn(Kit::new(name, rec).build())
}

fn down(id: ActorId, reason: &str) -> String {
    format!("down:{id}:{reason}")
}

fn exit(id: ActorId, reason: &str) -> String {
    format!("exit:{id}:{reason}")
}

/// Links `watcher` to `target` from inside the watcher.
async fn link<T: Watchable + Clone + Send + Sync + 'static>(
    watcher: &ActorRef<Watcher>,
    target: &T,
) {
    let target = target.clone();
    run(watcher, move |_, ctx| ctx.link(&target)).await.unwrap();
}

/// Has `watcher` monitor `target`.
async fn monitor<T: Watchable + Clone + Send + Sync + 'static>(
    watcher: &ActorRef<Watcher>,
    target: &T,
) -> MonitorRef {
    let target = target.clone();
    run(watcher, move |_, ctx| ctx.monitor(&target))
        .await
        .unwrap()
}

async fn trap(watcher: &ActorRef<Watcher>, on: bool) {
    run(watcher, move |_, ctx| ctx.trap_exits(on))
        .await
        .unwrap();
}

/// Fails `watcher` with a panic in a handler.
async fn crash(watcher: &ActorRef<Watcher>, why: &'static str) {
    let failed = run(watcher, move |_, _| -> () { panic!("{DELIBERATE}: {why}") }).await;
    expect_failed(failed, why);
}

fn linked_failure(reason: &StopReason, peer: ActorId, peer_reason: &str) {
    let text = reason.to_string();
    assert!(reason.is_failure(), "{text}");
    assert!(
        text.contains(&format!("linked actor {peer} ended")),
        "names the peer: {text}"
    );
    assert!(
        text.contains(peer_reason),
        "carries the peer's reason: {text}"
    );
}

// ---- monitors ----------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_monitor_reports_a_normal_stop_with_the_actors_id() {
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let p = probe(&rec, "p");
    let mref = monitor(&watcher, &p).await;
    assert_eq!(mref.target(), p.id());
    p.stop();
    rec.wait_for(&down(p.id(), "normal"), 1).await;
    assert_eq!(
        downs(&watcher).await,
        [Down {
            id: p.id(),
            reason: StopReason::Normal,
            monitor: mref.id()
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn a_monitor_reports_a_failure_with_its_reason() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let p = probe(&rec, "p");
    monitor(&watcher, &p).await;
    expect_failed(p.ask(Crash("watched failure")).await, "watched failure");
    let reason = p.join().await;
    rec.wait_for(&down(p.id(), "failed"), 1).await;
    let notices = downs(&watcher).await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].reason, reason);
    assert!(reason.to_string().contains("watched failure"));
    // One way: the watcher is unaffected.
    assert!(watcher.is_alive());
}

#[tokio::test(start_paused = true)]
async fn a_monitor_reports_a_kill_and_a_shutdown() {
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let killed = probe(&rec, "killed");
    monitor(&watcher, &killed).await;
    killed.kill();
    rec.wait_for(&down(killed.id(), "killed"), 1).await;

    let kit = Kit::new("child", &rec);
    let sup = spawn(Supervisor::new(Strategy::OneForOne).child(kit.spec()));
    let child = sup.child::<Probe>("child").await.unwrap();
    monitor(&watcher, &child).await;
    sup.stop();
    rec.wait_for(&down(child.id(), "shutdown"), 1).await;
    assert_eq!(downs(&watcher).await.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_monitor_on_an_actor_that_already_ended_fires_at_once() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let failed = probe(&rec, "failed");
    expect_failed(failed.ask(Crash("long gone")).await, "long gone");
    let reason = failed.join().await;
    let normal = probe(&rec, "normal");
    normal.stop();
    normal.join().await;

    let m1 = monitor(&watcher, &failed).await;
    let m2 = monitor(&watcher, &normal).await;
    // Delivered before `monitor` returned: the next ask sees both.
    let notices = downs(&watcher).await;
    assert_eq!(
        notices,
        [
            Down {
                id: failed.id(),
                reason,
                monitor: m1.id()
            },
            Down {
                id: normal.id(),
                reason: StopReason::Normal,
                monitor: m2.id()
            },
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn demonitor_prevents_the_down_notice() {
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let p = probe(&rec, "p");
    let mref = monitor(&watcher, &p).await;
    let removed = {
        let mref = mref.clone();
        run(&watcher, move |_, ctx| ctx.demonitor(&mref))
            .await
            .unwrap()
    };
    assert!(removed, "the monitor had not fired");
    p.stop();
    p.join().await;
    assert_eq!(downs(&watcher).await, vec![], "no Down after demonitor");

    // Demonitoring a monitor that already fired reports so.
    let q = probe(&rec, "q");
    let fired = monitor(&watcher, &q).await;
    q.stop();
    rec.wait_for(&down(q.id(), "normal"), 1).await;
    let removed = run(&watcher, move |_, ctx| ctx.demonitor(&fired))
        .await
        .unwrap();
    assert!(!removed);
}

#[tokio::test(start_paused = true)]
async fn each_monitor_fires_once_with_its_own_id() {
    let rec = Recorder::new();
    let (w1, w2) = (spawn(Watcher::new(&rec)), spawn(Watcher::new(&rec)));
    let p = probe(&rec, "p");
    let a = monitor(&w1, &p).await;
    let b = monitor(&w1, &p).await;
    let c = monitor(&w2, &p).await;
    assert_ne!(a.id(), b.id());
    // A demonitored one among them stays silent.
    let d = monitor(&w2, &p).await;
    let d2 = d.clone();
    assert!(run(&w2, move |_, ctx| ctx.demonitor(&d2)).await.unwrap());
    p.stop();
    p.join().await;
    let ids = |v: Vec<Down>| v.into_iter().map(|d| d.monitor).collect::<Vec<_>>();
    assert_eq!(ids(downs(&w1).await), [a.id(), b.id()]);
    assert_eq!(ids(downs(&w2).await), [c.id()]);
}

#[tokio::test(start_paused = true)]
async fn weak_references_and_recipients_can_be_monitored() {
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let p = probe(&rec, "p");
    let q = probe(&rec, "q");
    monitor(&watcher, &p.downgrade()).await;
    monitor(&watcher, &q.recipient::<Ping>()).await;
    p.stop();
    q.kill();
    rec.wait_for(&down(p.id(), "normal"), 1).await;
    rec.wait_for(&down(q.id(), "killed"), 1).await;
}

#[tokio::test(start_paused = true)]
async fn the_end_of_the_watcher_does_not_touch_the_watched() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let p = probe(&rec, "p");
    monitor(&watcher, &p).await;
    crash(&watcher, "watcher dies").await;
    assert!(watcher.join().await.is_failure());
    assert_eq!(p.ask(Ping(1)).await, Ok(vec![1]));
}

#[tokio::test(start_paused = true)]
async fn a_monitor_on_a_supervised_child_fires_for_the_run_that_ended() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, Duration::from_secs(10))
            .child(kit.spec()),
    );
    let w = sup.child::<Probe>("w").await.unwrap();
    let watcher = spawn(Watcher::new(&rec));
    monitor(&watcher, &w).await;
    expect_failed(w.ask(Crash("first run")).await, "first run");
    rec.wait_for(&down(w.id(), "failed"), 1).await;
    // The child lives on behind the same reference...
    assert_eq!(w.ask(Ping(1)).await, Ok(vec![1]));
    assert!(w.is_alive());
    // ...and that monitor was spent on the run that ended (documented: watch
    // it again). A new monitor sees the next end.
    expect_failed(w.ask(Crash("second run")).await, "second run");
    assert_eq!(w.ask(Ping(2)).await, Ok(vec![2]));
    assert_eq!(downs(&watcher).await.len(), 1);
    monitor(&watcher, &w).await;
    sup.stop();
    rec.wait_for(&down(w.id(), "shutdown"), 1).await;
    assert_eq!(downs(&watcher).await.len(), 2);
}

// ---- links -------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_failure_ends_the_linked_actor_whichever_end_fails() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    // The probe fails: the watcher that linked to it ends.
    let watcher = spawn(Watcher::new(&rec));
    let p = probe(&rec, "p");
    link(&watcher, &p).await;
    expect_failed(p.ask(Crash("probe fails")).await, "probe fails");
    linked_failure(&watcher.join().await, p.id(), "probe fails");

    // The watcher that made the link fails: the probe ends, at once (no
    // `stopping`, as an Erlang process killed by an exit signal).
    let watcher = spawn(Watcher::new(&rec));
    let q = probe(&rec, "q");
    link(&watcher, &q).await;
    rec.take();
    crash(&watcher, "watcher fails").await;
    linked_failure(&q.join().await, watcher.id(), "watcher fails");
    assert_eq!(rec.take(), ["watcher-stopped:failed", "stopped:q:failed"]);
}

#[tokio::test(start_paused = true)]
async fn a_kill_propagates_through_a_link() {
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let p = probe(&rec, "p");
    link(&watcher, &p).await;
    p.kill();
    linked_failure(&watcher.join().await, p.id(), "killed");

    let watcher = spawn(Watcher::new(&rec));
    let q = probe(&rec, "q");
    link(&watcher, &q).await;
    watcher.kill();
    linked_failure(&q.join().await, watcher.id(), "killed");
}

#[tokio::test(start_paused = true)]
async fn a_normal_end_does_not_propagate() {
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let p = probe(&rec, "p");
    link(&watcher, &p).await;
    p.ask(StopSelf).await.unwrap();
    assert_eq!(p.join().await, StopReason::Normal);
    assert!(
        run(&watcher, |_, _| ()).await.is_ok(),
        "the watcher lives on"
    );
    assert!(watcher.is_alive());

    let q = probe(&rec, "q");
    link(&watcher, &q).await;
    watcher.stop();
    assert_eq!(watcher.join().await, StopReason::Normal);
    assert_eq!(q.ask(Ping(1)).await, Ok(vec![1]), "the probe lives on");
}

#[tokio::test(start_paused = true)]
async fn an_actor_that_traps_exits_receives_them_as_messages() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    trap(&watcher, true).await;
    let (failed, normal, killed) = (probe(&rec, "f"), probe(&rec, "n"), probe(&rec, "k"));
    for p in [&failed, &normal, &killed] {
        link(&watcher, p).await;
    }
    expect_failed(failed.ask(Crash("trapped")).await, "trapped");
    normal.stop();
    killed.kill();
    rec.wait_for(&exit(failed.id(), "failed"), 1).await;
    rec.wait_for(&exit(normal.id(), "normal"), 1).await;
    rec.wait_for(&exit(killed.id(), "killed"), 1).await;
    let got = exits(&watcher).await;
    assert_eq!(got.len(), 3);
    let of_failed = got.iter().find(|e| e.id == failed.id()).unwrap();
    assert_eq!(of_failed.reason, failed.join().await);
    assert!(watcher.is_alive(), "trapping keeps it alive");

    // Trapping turned off: the next linked failure ends it.
    trap(&watcher, false).await;
    let last = probe(&rec, "last");
    link(&watcher, &last).await;
    expect_failed(last.ask(Crash("untrapped")).await, "untrapped");
    linked_failure(&watcher.join().await, last.id(), "untrapped");
}

#[tokio::test(start_paused = true)]
async fn unlink_stops_propagation_in_both_directions() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    let (p, q) = (probe(&rec, "p"), probe(&rec, "q"));
    link(&watcher, &p).await;
    link(&watcher, &q).await;
    let (p2, q2) = (p.clone(), q.clone());
    run(&watcher, move |_, ctx| {
        ctx.unlink(&p2);
        ctx.unlink(&q2);
    })
    .await
    .unwrap();
    // The other end's failure no longer reaches the watcher...
    expect_failed(p.ask(Crash("after unlink")).await, "after unlink");
    p.join().await;
    assert!(run(&watcher, |_, _| ()).await.is_ok());
    // ...and the watcher's failure no longer reaches the other end.
    crash(&watcher, "watcher fails").await;
    watcher.join().await;
    assert_eq!(q.ask(Ping(1)).await, Ok(vec![1]));
}

#[tokio::test(start_paused = true)]
async fn linking_to_an_actor_that_already_ended_delivers_its_exit_at_once() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let failed = probe(&rec, "f");
    expect_failed(failed.ask(Crash("dead already")).await, "dead already");
    let failed_reason = failed.join().await;
    let normal = probe(&rec, "n");
    normal.stop();
    normal.join().await;

    // Not trapping: a dead failed actor ends the linker; a normal one doesn't.
    let w = spawn(Watcher::new(&rec));
    link(&w, &normal).await;
    assert!(run(&w, |_, _| ()).await.is_ok());
    link(&w, &failed).await;
    linked_failure(&w.join().await, failed.id(), "dead already");

    // Trapping: both arrive as Exit messages, at once.
    let t = spawn(Watcher::new(&rec));
    trap(&t, true).await;
    link(&t, &failed).await;
    link(&t, &normal).await;
    let got = exits(&t).await;
    assert_eq!(
        got,
        [
            Exit {
                id: failed.id(),
                reason: failed_reason
            },
            Exit {
                id: normal.id(),
                reason: StopReason::Normal
            },
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_link_and_a_monitor_on_the_same_actor_both_fire() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let watcher = spawn(Watcher::new(&rec));
    trap(&watcher, true).await;
    let p = probe(&rec, "p");
    link(&watcher, &p).await;
    let mref = monitor(&watcher, &p).await;
    expect_failed(p.ask(Crash("both")).await, "both");
    let reason = p.join().await;
    rec.wait_for(&down(p.id(), "failed"), 1).await;
    rec.wait_for(&exit(p.id(), "failed"), 1).await;
    assert_eq!(
        exits(&watcher).await,
        [Exit {
            id: p.id(),
            reason: reason.clone()
        }]
    );
    assert_eq!(
        downs(&watcher).await,
        [Down {
            id: p.id(),
            reason,
            monitor: mref.id()
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failure_travels_along_a_chain_of_links() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (w1, w2) = (spawn(Watcher::new(&rec)), spawn(Watcher::new(&rec)));
    let p = probe(&rec, "p");
    link(&w1, &w2).await;
    link(&w2, &p).await;
    expect_failed(
        p.ask(Crash("start of the chain")).await,
        "start of the chain",
    );
    linked_failure(&w2.join().await, p.id(), "start of the chain");
    linked_failure(&w1.join().await, w2.id(), "start of the chain");
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_propagates_as_shutdown_unless_trapped() {
    // OTP: a linked process that does not trap exits dies with reason
    // `shutdown` when its peer is shut down; a trapping one gets the message.
    let rec = Recorder::new();
    let kit = Kit::new("child", &rec);
    let sup = spawn(Supervisor::new(Strategy::OneForOne).child(kit.spec()));
    let child = sup.child::<Probe>("child").await.unwrap();
    let (plain, trapping) = (spawn(Watcher::new(&rec)), spawn(Watcher::new(&rec)));
    trap(&trapping, true).await;
    link(&plain, &child).await;
    link(&trapping, &child).await;
    sup.terminate_child("child").await.unwrap();
    assert_eq!(plain.join().await, StopReason::Shutdown);
    rec.wait_for(&exit(child.id(), "shutdown"), 1).await;
    assert!(trapping.is_alive());
}

#[tokio::test(start_paused = true)]
async fn a_linked_failure_fails_a_supervised_child_which_is_then_restarted() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let factory_rec = rec.clone();
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, Duration::from_secs(10))
            .child(ChildSpec::new("w", move || Watcher::new(&factory_rec))),
    );
    let w = sup.child::<Watcher>("w").await.unwrap();
    let outsider = probe(&rec, "outsider");
    link(&w, &outsider).await;
    expect_failed(
        outsider.ask(Crash("outsider fails")).await,
        "outsider fails",
    );
    rec.wait_for("watcher-stopped:failed", 1).await;
    // Restarted behind the same reference, and working.
    assert!(run(&w, |_, ctx| ctx.restart_count()).await == Ok(1));
    assert_eq!(w.restart_count(), 1);
    assert_eq!(sup.children().await.unwrap()[0].restarts, 1);

    // The other way: the supervised child's failure ends a linked outsider,
    // and the child is restarted again.
    let other = probe(&rec, "other");
    link(&w, &other).await;
    crash(&w, "supervised child fails").await;
    linked_failure(&other.join().await, w.id(), "supervised child fails");
    assert!(run(&w, |_, _| ()).await.is_ok());
    assert_eq!(w.restart_count(), 2);
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn trapping_exits_lasts_for_one_run_of_a_supervised_child() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let factory_rec = rec.clone();
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, Duration::from_secs(10))
            .child(ChildSpec::new("w", move || Watcher::new(&factory_rec))),
    );
    let w = sup.child::<Watcher>("w").await.unwrap();
    trap(&w, true).await;
    crash(&w, "restart me").await;
    // The new run does not trap: a linked failure ends it.
    let p = probe(&rec, "p");
    link(&w, &p).await;
    expect_failed(p.ask(Crash("not trapped")).await, "not trapped");
    rec.wait_for("watcher-stopped:failed", 2).await;
    assert_eq!(rec.count(&exit(p.id(), "failed")), 0);
    assert!(run(&w, |_, _| ()).await.is_ok());
    assert_eq!(w.restart_count(), 2);
    sup.stop();
    sup.join().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_placed_while_the_target_is_ending_reports_the_real_reason() {
    // The target has many monitors, so firing its notices takes a while; a
    // second watcher keeps monitoring it meanwhile, from another thread. Every
    // Down it receives must carry the failure: the target never ended
    // normally.
    quiet_deliberate_panics();
    let rec = Recorder::new();
    for round in 0..5 {
        let (many, late) = (spawn(Watcher::new(&rec)), spawn(Watcher::new(&rec)));
        let p = probe(&rec, "p");
        for _ in 0..2_000 {
            monitor(&many, &p).await;
        }
        let keep_watching = tokio::spawn({
            let p = p.clone();
            async move {
                while p.is_alive() {
                    monitor(&late, &p).await;
                }
                downs(&late).await
            }
        });
        tokio::task::yield_now().await;
        expect_failed(p.ask(Crash("ending")).await, "ending");
        let notices = keep_watching.await.unwrap();
        let wrong: Vec<&Down> = notices.iter().filter(|d| !d.reason.is_failure()).collect();
        assert!(
            wrong.is_empty(),
            "round {round}: {} of {} Down notices say {:?} for an actor that failed",
            wrong.len(),
            notices.len(),
            wrong[0].reason
        );
    }
}

/// Actors whose runtime shuts down under them (their tasks dropped, never
/// ended) have been killed: their monitors hear it and their links fire, as
/// for a kill, whether they had started running or not yet been polled
/// (before, neither fired, a linked pair kept each other alive, and
/// `join` on an actor never polled waited forever).
#[test]
fn actors_whose_runtime_shuts_down_tell_their_monitors_and_links() {
    let doomed = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let rec = Recorder::new();
    let (running, unpolled) = doomed.block_on(async {
        let running = probe(&rec, "running");
        running.ask(Ping(1)).await.expect("it runs");
        (running, probe(&rec, "unpolled"))
    });
    let main = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    main.block_on(async move {
        let watcher = spawn(Watcher::new(&rec));
        trap(&watcher, true).await;
        let mut monitors = Vec::new();
        for p in [&running, &unpolled] {
            monitors.push(monitor(&watcher, p).await.id());
            link(&watcher, p).await;
        }
        doomed.shutdown_background();
        let ends = async {
            for p in [&running, &unpolled] {
                assert_eq!(p.join().await, StopReason::Killed);
                rec.wait_for(&down(p.id(), "killed"), 1).await;
                rec.wait_for(&exit(p.id(), "killed"), 1).await;
            }
        };
        within("both ends, and their monitors and links", ends).await;
        let got = downs(&watcher).await;
        assert_eq!(got.len(), 2, "{got:?}");
        for (p, &monitor) in [&running, &unpolled].into_iter().zip(&monitors) {
            let expected = Down {
                id: p.id(),
                reason: StopReason::Killed,
                monitor,
            };
            assert!(got.contains(&expected), "{expected:?} in {got:?}");
        }
        assert_eq!(exits(&watcher).await.len(), 2);
        assert!(watcher.is_alive(), "trapped exits do not end the watcher");
    });
}
