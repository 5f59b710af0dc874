//! Supervision trees: supervisors supervise supervisors. A tree starts depth
//! first and stops in exactly the reverse order; a child supervisor that
//! exceeds its intensity fails once, and its parent restarts it, and with it
//! the whole subtree; escalation climbs as far as intensities make it.
//!
//! Mirrors OTP's `supervisor_SUITE` tree cases (`tree`,
//! `one_for_one_escalation`, `one_for_all_escalation`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;
use tokio::time::Instant;

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// ```text
/// top (strategy, top_intensity)
///  ├─ w1
///  ├─ mid (one-for-one, 1 restart in 10 s)
///  │   ├─ w2
///  │   └─ w3 (shutdown timeout: 10 s)
///  └─ w4
/// ```
struct Tree {
    rec: Arc<Recorder>,
    w: [Kit; 4],
    top: ActorRef<Supervisor>,
}

impl Tree {
    fn spawn(strategy: Strategy, top_intensity: u32) -> Tree {
        let rec = Recorder::new();
        let w = [
            Kit::new("w1", &rec),
            Kit::new("w2", &rec),
            Kit::new("w3", &rec),
            Kit::new("w4", &rec),
        ];
        let mid = Supervisor::new(Strategy::OneForOne)
            .intensity(1, secs(10))
            .child(w[1].spec())
            .child(w[2].spec().shutdown(Shutdown::Timeout(secs(10))));
        let top = spawn(
            Supervisor::new(strategy)
                .intensity(top_intensity, secs(10))
                .child(w[0].spec())
                .child(ChildSpec::new("mid", move || mid.clone()).shutdown(Shutdown::Infinity))
                .child(w[3].spec()),
        );
        Tree { rec, w, top }
    }

    async fn mid(&self) -> ActorRef<Supervisor> {
        self.top.child::<Supervisor>("mid").await.unwrap()
    }

    async fn worker(&self, i: usize) -> ActorRef<Probe> {
        let name = self.w[i].name;
        match i {
            1 | 2 => self.mid().await.child::<Probe>(name).await.unwrap(),
            _ => self.top.child::<Probe>(name).await.unwrap(),
        }
    }

    /// Crashes w2 twice: the second restart exceeds mid's intensity.
    async fn exceed_mid(&self) {
        let w2 = self.worker(1).await;
        expect_failed(w2.ask(Crash("w2 first")).await, "w2 first");
        assert_eq!(w2.ask(Ping(1)).await, Ok(vec![1]));
        expect_failed(w2.ask(Crash("w2 second")).await, "w2 second");
    }

    fn instances(&self) -> [u32; 4] {
        [0, 1, 2, 3].map(|i| self.w[i].instances())
    }
}

#[tokio::test(start_paused = true)]
async fn a_tree_starts_depth_first_and_stops_in_reverse() {
    let tree = Tree::spawn(Strategy::OneForOne, 5);
    let w2 = tree.worker(1).await;
    assert_eq!(
        tree.rec.take(),
        ["started:w1", "started:w2", "started:w3", "started:w4"]
    );
    tree.top.stop();
    assert_eq!(tree.top.join().await, StopReason::Normal);
    assert_eq!(
        tree.rec.take(),
        [
            "stopping:w4",
            "stopped:w4:shutdown",
            "stopping:w3",
            "stopped:w3:shutdown",
            "stopping:w2",
            "stopped:w2:shutdown",
            "stopping:w1",
            "stopped:w1:shutdown",
        ]
    );
    assert_eq!(w2.join().await, StopReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn a_child_supervisor_past_its_intensity_is_restarted_once_with_its_whole_subtree() {
    quiet_deliberate_panics();
    let tree = Tree::spawn(Strategy::OneForOne, 5);
    let mid = tree.mid().await;
    let (w1, old_w2, old_w3) = (
        tree.worker(0).await,
        tree.worker(1).await,
        tree.worker(2).await,
    );
    w1.ask(Ping(1)).await.unwrap();
    let watcher = spawn(Watcher::new(&tree.rec));
    let watched = mid.clone();
    run(&watcher, move |_, ctx| ctx.monitor(&watched))
        .await
        .unwrap();
    tree.rec.take();

    tree.exceed_mid().await;
    tree.rec.wait_for("started:w3", 2).await;
    assert_eq!(
        tree.rec.take(),
        [
            // w2's first failure: restarted by mid.
            "stopping:w2".to_string(),
            "stopped:w2:failed".into(),
            "restarting:w2:failed".into(),
            "started:w2".into(),
            // Its second: mid gives up, stops w3 and fails...
            "stopping:w2".into(),
            "stopped:w2:failed".into(),
            "stopping:w3".into(),
            "stopped:w3:shutdown".into(),
            format!("down:{}:failed", mid.id()),
            // ...and top restarts mid, which starts a fresh subtree.
            "started:w2".into(),
            "started:w3".into(),
        ]
    );
    let notices = downs(&watcher).await;
    assert_eq!(notices.len(), 1, "escalated exactly once");
    assert!(notices[0]
        .reason
        .to_string()
        .contains("restart intensity exceeded"));
    // mid keeps its reference; its subtree is new.
    assert_eq!(tree.mid().await.id(), mid.id());
    assert_eq!(mid.restart_count(), 1);
    let info = tree.top.children().await.unwrap();
    let restarts: Vec<(String, u32)> = info.into_iter().map(|i| (i.id, i.restarts)).collect();
    assert_eq!(
        restarts,
        [("w1".into(), 0), ("mid".into(), 1), ("w4".into(), 0)]
    );
    assert_eq!(tree.instances(), [1, 3, 2, 1]);
    assert!(old_w2.join().await.is_failure());
    assert_eq!(old_w3.join().await, StopReason::Shutdown);
    let new_w2 = tree.worker(1).await;
    assert_ne!(new_w2.id(), old_w2.id());
    assert_eq!(new_w2.ask(Ping(5)).await, Ok(vec![5]));
    // The siblings under top were left alone (one-for-one).
    assert_eq!(w1.ask(Ping(2)).await, Ok(vec![1, 2]));
    tree.top.stop();
    tree.top.join().await;
}

#[tokio::test(start_paused = true)]
async fn under_one_for_all_an_escalation_restarts_the_child_supervisors_siblings_too() {
    quiet_deliberate_panics();
    let tree = Tree::spawn(Strategy::OneForAll, 5);
    let _ = tree.worker(0).await;
    tree.exceed_mid().await;
    tree.rec.wait_for("started:w4", 2).await;
    let events = tree.rec.take();
    let after_mid_failed = &events[events
        .iter()
        .position(|e| e == "stopped:w3:shutdown")
        .unwrap()
        + 1..];
    assert_eq!(
        after_mid_failed,
        [
            "stopping:w4",
            "stopped:w4:shutdown",
            "stopping:w1",
            "stopped:w1:shutdown",
            "restarting:w1:shutdown",
            "started:w1",
            "started:w2",
            "started:w3",
            "restarting:w4:shutdown",
            "started:w4",
        ]
    );
    assert_eq!(tree.instances(), [2, 3, 2, 2]);
    tree.top.stop();
    tree.top.join().await;
}

#[tokio::test(start_paused = true)]
async fn escalation_reaches_the_root_when_every_level_gives_up() {
    quiet_deliberate_panics();
    let tree = Tree::spawn(Strategy::OneForOne, 0);
    let (w1, w4) = (tree.worker(0).await, tree.worker(3).await);
    tree.rec.take();
    tree.exceed_mid().await;
    let reason = tree.top.join().await;
    assert!(
        reason.to_string().contains("restart intensity exceeded"),
        "{reason}"
    );
    assert!(reason.to_string().contains("\"mid\""), "{reason}");
    let events = tree.rec.take();
    let after_mid_failed = &events[events
        .iter()
        .position(|e| e == "stopped:w3:shutdown")
        .unwrap()
        + 1..];
    assert_eq!(
        after_mid_failed,
        [
            "stopping:w4",
            "stopped:w4:shutdown",
            "stopping:w1",
            "stopped:w1:shutdown"
        ]
    );
    assert!(!w1.is_alive() && !w4.is_alive());
    assert_eq!(
        tree.instances(),
        [1, 2, 1, 1],
        "nothing restarted at the top"
    );
}

/// A chain of `depth` supervisors, each the only child of the one above, with
/// `leaf` at the bottom. Only the root allows restarts.
fn chain(depth: usize, leaf: &Kit) -> Supervisor {
    let mut level = Supervisor::new(Strategy::OneForOne)
        .intensity(0, secs(10))
        .child(leaf.spec());
    for _ in 1..depth {
        let below = level.clone();
        level = Supervisor::new(Strategy::OneForOne)
            .intensity(0, secs(10))
            .child(ChildSpec::new("below", move || below.clone()).shutdown(Shutdown::Infinity));
    }
    let below = level;
    Supervisor::new(Strategy::OneForOne)
        .intensity(3, secs(10))
        .child(ChildSpec::new("below", move || below.clone()).shutdown(Shutdown::Infinity))
}

#[tokio::test(start_paused = true)]
async fn a_leaf_failure_climbs_a_deep_tree_to_the_first_level_that_restarts() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let leaf = Kit::new("leaf", &rec);
    let root = spawn(chain(6, &leaf));
    // Walk down to the leaf.
    let mut level = root.child::<Supervisor>("below").await.unwrap();
    let first = level.clone();
    for _ in 1..6 {
        level = level.child::<Supervisor>("below").await.unwrap();
    }
    let leaf_ref = level.child::<Probe>("leaf").await.unwrap();
    expect_failed(leaf_ref.ask(Crash("deep")).await, "deep");
    rec.wait_for("started:leaf", 2).await;
    assert_eq!(leaf.instances(), 2);
    assert_eq!(
        first.restart_count(),
        1,
        "the root restarted its child once"
    );
    assert!(root.is_alive());
    assert!(leaf_ref.join().await.is_failure());
    root.stop();
    assert_eq!(root.join().await, StopReason::Normal);
    assert_eq!(rec.count("stopped:leaf:shutdown"), 1);
}

#[tokio::test(start_paused = true)]
async fn terminating_a_child_supervisor_stops_its_subtree_in_reverse_order() {
    let tree = Tree::spawn(Strategy::OneForOne, 5);
    let mid = tree.mid().await;
    tree.rec.take();
    tree.top.terminate_child("mid").await.unwrap();
    assert_eq!(mid.join().await, StopReason::Shutdown);
    assert_eq!(
        tree.rec.take(),
        [
            "stopping:w3",
            "stopped:w3:shutdown",
            "stopping:w2",
            "stopped:w2:shutdown"
        ]
    );
    let ids: Vec<String> = tree
        .top
        .children()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, ["w1", "w4"]);
    tree.top.stop();
    tree.top.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_child_supervisor_with_infinite_shutdown_lets_its_subtree_take_its_time() {
    // The subtree's worker needs eight seconds to finish its message and has
    // ten to do so; its supervisor (shutdown: infinity, OTP's default for
    // supervisor children) waits for it rather than being killed.
    let tree = Tree::spawn(Strategy::OneForOne, 5);
    let w3 = tree.worker(2).await;
    let busy = ask_later(&w3, Busy(secs(8)));
    tree.rec.wait_for("busy:w3", 1).await;
    let t0 = Instant::now();
    tree.top.stop();
    tree.top.join().await;
    assert_eq!(t0.elapsed(), secs(8));
    assert_eq!(busy.await.unwrap(), Ok(()));
    assert_eq!(w3.join().await, StopReason::Shutdown);
}

#[tokio::test(start_paused = true)]
async fn a_child_supervisor_waits_for_its_subtree_by_default_as_in_otp() {
    let rec = Recorder::new();
    let w = Kit::new("w", &rec);
    let mid =
        Supervisor::new(Strategy::OneForOne).child(w.spec().shutdown(Shutdown::Timeout(secs(10))));
    // No shutdown given for the supervisor child: OTP's default is infinity.
    let top = spawn(
        Supervisor::new(Strategy::OneForOne).child(ChildSpec::new("mid", move || mid.clone())),
    );
    let mid = top.child::<Supervisor>("mid").await.unwrap();
    let rw = mid.child::<Probe>("w").await.unwrap();
    let busy = ask_later(&rw, Busy(secs(8)));
    rec.wait_for("busy:w", 1).await;
    let t0 = Instant::now();
    top.stop();
    top.join().await;
    assert_eq!(t0.elapsed(), secs(8));
    assert_eq!(busy.await.unwrap(), Ok(()));
    assert_eq!(rw.join().await, StopReason::Shutdown);
}
