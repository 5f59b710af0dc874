//! Restart strategies: each one restarts exactly the right children, in the
//! right order, and leaves the others alone.
//!
//! Mirrors OTP's `supervisor_SUITE` strategy tests (`one_for_one`,
//! `one_for_all`, `rest_for_one`, and the temporary-bystander cases): the
//! children that the strategy takes down are stopped newest first, then
//! started again oldest first; the child that failed is not stopped twice;
//! children outside the group keep their state; temporary children taken down
//! with a group are not restarted. Every event comes from the children's own
//! hooks, through a shared ordered log.

mod common;

use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;

fn sup(strategy: Strategy, kits: &[&Kit]) -> ActorRef<Supervisor> {
    let mut supervisor = Supervisor::new(strategy).intensity(10, Duration::from_secs(10));
    for kit in kits {
        supervisor = supervisor.child(kit.spec());
    }
    spawn(supervisor)
}

async fn child(sup: &ActorRef<Supervisor>, id: &str) -> ActorRef<Probe> {
    sup.child::<Probe>(id).await.unwrap()
}

fn kits(rec: &std::sync::Arc<Recorder>, names: &[&'static str]) -> Vec<Kit> {
    names.iter().map(|n| Kit::new(n, rec)).collect()
}

#[tokio::test(start_paused = true)]
async fn one_for_one_restarts_only_the_child_that_failed() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let k = kits(&rec, &["a", "b", "c"]);
    let sup = sup(Strategy::OneForOne, &[&k[0], &k[1], &k[2]]);
    let (a, b, c) = (
        child(&sup, "a").await,
        child(&sup, "b").await,
        child(&sup, "c").await,
    );
    assert_eq!(rec.take(), ["started:a", "started:b", "started:c"]);
    let ids_before: Vec<ActorId> = sup
        .children()
        .await
        .unwrap()
        .iter()
        .map(|i| i.actor)
        .collect();
    a.ask(Ping(1)).await.unwrap();
    b.ask(Ping(1)).await.unwrap();
    c.ask(Ping(1)).await.unwrap();

    expect_failed(b.ask(Crash("b goes down")).await, "b goes down");
    // Queued behind the crash: handled by b's next instance, which starts empty.
    assert_eq!(b.ask(Ping(2)).await, Ok(vec![2]));
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:failed",
            "restarting:b:failed",
            "started:b"
        ]
    );
    // The siblings were not touched: same instance, same state.
    assert_eq!(a.ask(Ping(2)).await, Ok(vec![1, 2]));
    assert_eq!(c.ask(Ping(2)).await, Ok(vec![1, 2]));
    assert_eq!(
        (k[0].instances(), k[1].instances(), k[2].instances()),
        (1, 2, 1)
    );
    let info = sup.children().await.unwrap();
    let restarts: Vec<u32> = info.iter().map(|i| i.restarts).collect();
    assert_eq!(restarts, [0, 1, 0]);
    let ids_after: Vec<ActorId> = info.iter().map(|i| i.actor).collect();
    assert_eq!(
        ids_before, ids_after,
        "a restart keeps the child's identity"
    );
    assert_eq!(
        (a.restart_count(), b.restart_count(), c.restart_count()),
        (0, 1, 0)
    );
    sup.stop();
    assert_eq!(sup.join().await, StopReason::Normal);
}

#[tokio::test(start_paused = true)]
async fn one_for_all_stops_the_others_newest_first_and_restarts_all_in_order() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let k = kits(&rec, &["a", "b", "c"]);
    let sup = sup(Strategy::OneForAll, &[&k[0], &k[1], &k[2]]);
    let (a, b, c) = (
        child(&sup, "a").await,
        child(&sup, "b").await,
        child(&sup, "c").await,
    );
    a.ask(Ping(1)).await.unwrap();
    c.ask(Ping(1)).await.unwrap();
    rec.take();

    expect_failed(b.ask(Crash("b goes down")).await, "b goes down");
    rec.wait_for("started:c", 2).await;
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:failed",
            "stopping:c",
            "stopped:c:shutdown",
            "stopping:a",
            "stopped:a:shutdown",
            "restarting:a:shutdown",
            "started:a",
            "restarting:b:failed",
            "started:b",
            "restarting:c:shutdown",
            "started:c",
        ]
    );
    // Every child is a fresh instance behind the same reference.
    assert_eq!(a.ask(Ping(2)).await, Ok(vec![2]));
    assert_eq!(c.ask(Ping(2)).await, Ok(vec![2]));
    assert_eq!(
        (k[0].instances(), k[1].instances(), k[2].instances()),
        (2, 2, 2)
    );
    assert_eq!(
        (a.restart_count(), b.restart_count(), c.restart_count()),
        (1, 1, 1)
    );
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn rest_for_one_restarts_the_failed_child_and_those_started_after_it() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let k = kits(&rec, &["a", "b", "c", "d"]);
    let sup = sup(Strategy::RestForOne, &[&k[0], &k[1], &k[2], &k[3]]);
    let a = child(&sup, "a").await;
    let b = child(&sup, "b").await;
    let d = child(&sup, "d").await;
    a.ask(Ping(1)).await.unwrap();
    rec.take();

    // A middle child: it and the ones after it.
    expect_failed(b.ask(Crash("b goes down")).await, "b goes down");
    rec.wait_for("started:d", 2).await;
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:failed",
            "stopping:d",
            "stopped:d:shutdown",
            "stopping:c",
            "stopped:c:shutdown",
            "restarting:b:failed",
            "started:b",
            "restarting:c:shutdown",
            "started:c",
            "restarting:d:shutdown",
            "started:d",
        ]
    );
    assert_eq!(a.ask(Ping(2)).await, Ok(vec![1, 2]), "a was left alone");

    // The last child: only itself.
    expect_failed(d.ask(Crash("d goes down")).await, "d goes down");
    rec.wait_for("started:d", 3).await;
    assert_eq!(
        rec.take(),
        [
            "stopping:d",
            "stopped:d:failed",
            "restarting:d:failed",
            "started:d"
        ]
    );

    // The first child: everyone.
    expect_failed(a.ask(Crash("a goes down")).await, "a goes down");
    rec.wait_for("started:d", 4).await;
    assert_eq!(
        rec.take(),
        [
            "stopping:a",
            "stopped:a:failed",
            "stopping:d",
            "stopped:d:shutdown",
            "stopping:c",
            "stopped:c:shutdown",
            "stopping:b",
            "stopped:b:shutdown",
            "restarting:a:failed",
            "started:a",
            "restarting:b:shutdown",
            "started:b",
            "restarting:c:shutdown",
            "started:c",
            "restarting:d:shutdown",
            "started:d",
        ]
    );
    let restarts: Vec<u32> = sup
        .children()
        .await
        .unwrap()
        .iter()
        .map(|i| i.restarts)
        .collect();
    assert_eq!(restarts, [1, 2, 2, 3]);
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_sibling_taken_down_by_one_for_all_finishes_the_message_in_hand_first() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let k = kits(&rec, &["a", "b"]);
    let sup = sup(Strategy::OneForAll, &[&k[0], &k[1]]);
    let (a, b) = (child(&sup, "a").await, child(&sup, "b").await);
    rec.take();
    // a is inside a one-second handler when b fails.
    let busy = tokio::spawn({
        let a = a.clone();
        async move { a.ask(Busy(Duration::from_secs(1))).await }
    });
    rec.wait_for("busy:a", 1).await;
    expect_failed(b.ask(Crash("b goes down")).await, "b goes down");
    rec.wait_for("started:b", 2).await;
    assert_eq!(
        busy.await.unwrap(),
        Ok(()),
        "a's message was handled to the end"
    );
    assert_eq!(
        rec.take(),
        [
            "busy:a",
            "stopping:b",
            "stopped:b:failed",
            "idle:a",
            "stopping:a",
            "stopped:a:shutdown",
            "restarting:a:shutdown",
            "started:a",
            "restarting:b:failed",
            "started:b",
        ]
    );
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_temporary_child_taken_down_by_one_for_all_is_not_restarted() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let k = kits(&rec, &["a", "t", "b"]);
    let sup = spawn(
        Supervisor::new(Strategy::OneForAll)
            .intensity(10, Duration::from_secs(10))
            .child(k[0].spec())
            .child(k[1].spec().restart(Restart::Temporary))
            .child(k[2].spec()),
    );
    let t = child(&sup, "t").await;
    let b = child(&sup, "b").await;
    rec.take();
    expect_failed(b.ask(Crash("b goes down")).await, "b goes down");
    rec.wait_for("started:b", 2).await;
    assert_eq!(t.join().await, StopReason::Shutdown);
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:failed",
            "stopping:t",
            "stopped:t:shutdown",
            "stopping:a",
            "stopped:a:shutdown",
            "restarting:a:shutdown",
            "started:a",
            "restarting:b:failed",
            "started:b",
        ]
    );
    assert_eq!(k[1].instances(), 1);
    let ids: Vec<String> = sup
        .children()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, ["a", "b"], "the temporary child is gone");
    assert!(matches!(
        sup.child::<Probe>("t").await,
        Err(Error::ChildNotFound { .. })
    ));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_child_that_is_not_restarted_takes_no_sibling_down() {
    // A transient child's normal exit and a temporary child's failure are not
    // restarts, so one-for-all and rest-for-one leave the siblings running
    // (OTP: no restart, no group).
    quiet_deliberate_panics();
    for strategy in [Strategy::OneForAll, Strategy::RestForOne] {
        for (restart, end) in [
            (Restart::Transient, "normal"),
            (Restart::Temporary, "failed"),
        ] {
            let case = format!("{strategy:?}, {restart:?} child ends {end}");
            let rec = Recorder::new();
            let k = kits(&rec, &["a", "b"]);
            let sup = spawn(
                Supervisor::new(strategy)
                    .child(k[0].spec().restart(restart))
                    .child(k[1].spec()),
            );
            let a = child(&sup, "a").await;
            let b = child(&sup, "b").await;
            b.ask(Ping(1)).await.unwrap();
            rec.take();
            if end == "normal" {
                a.ask(StopSelf).await.unwrap();
            } else {
                expect_failed(a.ask(Crash("temporary")).await, "temporary");
            }
            assert_eq!(kind(&a.join().await), end, "{case}");
            assert_eq!(b.ask(Ping(2)).await, Ok(vec![1, 2]), "{case}");
            assert_eq!(
                rec.take(),
                ["stopping:a".to_string(), format!("stopped:a:{end}")],
                "{case}"
            );
            assert_eq!(k[1].instances(), 1, "{case}");
            sup.stop();
            sup.join().await;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_sibling_stuck_past_its_shutdown_timeout_is_killed_then_restarted() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let k = kits(&rec, &["a", "b"]);
    let sup = spawn(
        Supervisor::new(Strategy::OneForAll)
            .intensity(10, Duration::from_secs(10))
            .child(
                k[0].spec()
                    .shutdown(Shutdown::Timeout(Duration::from_secs(2))),
            )
            .child(k[1].spec()),
    );
    let (a, b) = (child(&sup, "a").await, child(&sup, "b").await);
    let stuck = ask_later(&a, Busy(Duration::from_secs(3600)));
    rec.wait_for("busy:a", 1).await;
    rec.take();
    let t0 = tokio::time::Instant::now();
    expect_failed(b.ask(Crash("b goes down")).await, "b goes down");
    rec.wait_for("started:b", 2).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(2));
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:failed",
            "stopped:a:killed",
            "restarting:a:killed",
            "started:a",
            "restarting:b:failed",
            "started:b",
        ]
    );
    assert!(matches!(
        stuck.await.unwrap(),
        Err(Error::NotHandled {
            reason: StopReason::Killed,
            ..
        })
    ));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn one_for_all_starts_again_a_transient_child_that_had_ended_normally() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let k = kits(&rec, &["a", "b"]);
    let sup = spawn(
        Supervisor::new(Strategy::OneForAll)
            .intensity(10, Duration::from_secs(10))
            .child(k[0].spec().restart(Restart::Transient))
            .child(k[1].spec()),
    );
    let a = child(&sup, "a").await;
    let b = child(&sup, "b").await;
    a.ask(StopSelf).await.unwrap();
    a.join().await;
    expect_failed(b.ask(Crash("b goes down")).await, "b goes down");
    rec.wait_for("started:b", 2).await;
    assert_eq!(k[0].instances(), 2, "events: {:?}", rec.all());
    sup.stop();
    sup.join().await;
}
