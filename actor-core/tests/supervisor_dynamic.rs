//! Dynamic supervision: children added and removed at run time with
//! `start_child`, `terminate_child` and listed by `children()`; and a thousand
//! children under one supervisor restarting concurrently without losing or
//! duplicating a message.
//!
//! Mirrors OTP's `supervisor_SUITE` dynamic-children cases (`start_child`,
//! `terminate_delete_child`, `which_children`, `count_children`,
//! `simple_one_for_one_scale_many_temporary_children`) and the many-children
//! restart storms of `supervisor_SUITE:mnesia_restart`-style tests.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;
use tokio::task::JoinSet;

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn ids(info: &[ChildInfo]) -> Vec<&str> {
    info.iter().map(|i| i.id.as_str()).collect()
}

#[tokio::test(start_paused = true)]
async fn children_are_started_listed_and_terminated_at_run_time() {
    let rec = Recorder::new();
    let sup = spawn(Supervisor::new(Strategy::OneForOne));
    assert_eq!(sup.children().await.unwrap(), vec![]);
    let (a, b, c) = (
        Kit::new("a", &rec),
        Kit::new("b", &rec),
        Kit::new("c", &rec),
    );
    let ra = sup.start_child(a.spec()).await.unwrap();
    // `start_child` returns once the child's `started` has finished.
    assert_eq!(rec.take(), ["started:a"]);
    let rb = sup.start_child(b.spec()).await.unwrap();
    let rc = sup.start_child(c.spec()).await.unwrap();
    let info = sup.children().await.unwrap();
    assert_eq!(ids(&info), ["a", "b", "c"]);
    assert_eq!(
        info.iter().map(|i| i.actor).collect::<Vec<_>>(),
        [ra.id(), rb.id(), rc.id()]
    );
    assert!(info.iter().all(|i| i.running && i.restarts == 0));
    assert_eq!(sup.child::<Probe>("b").await.unwrap(), rb);
    rec.take();

    // Ids are unique; the second spec is not even built.
    let dup = Kit::new("b", &rec);
    match sup.start_child(dup.spec()).await {
        Err(Error::DuplicateChild { supervisor, child }) => {
            assert_eq!((supervisor, child.as_str()), (sup.id(), "b"));
        }
        other => panic!("expected DuplicateChild, got {other:?}"),
    }
    assert_eq!(dup.instances(), 0);

    // The wrong type is refused by name.
    assert!(matches!(
        sup.child::<Supervisor>("a").await,
        Err(Error::WrongType { .. })
    ));

    // Terminating stops the child (shutdown) and forgets it.
    sup.terminate_child("b").await.unwrap();
    assert_eq!(rb.join().await, StopReason::Shutdown);
    assert_eq!(rec.take(), ["stopping:b", "stopped:b:shutdown"]);
    assert_eq!(ids(&sup.children().await.unwrap()), ["a", "c"]);
    assert!(matches!(
        sup.terminate_child("b").await,
        Err(Error::ChildNotFound { .. })
    ));
    assert!(matches!(
        sup.child::<Probe>("b").await,
        Err(Error::ChildNotFound { .. })
    ));

    // The id is free again; the newcomer is last in line.
    let rb2 = sup.start_child(b.spec()).await.unwrap();
    assert_ne!(rb2.id(), rb.id());
    assert_eq!(ids(&sup.children().await.unwrap()), ["a", "c", "b"]);
    rec.take();
    sup.stop();
    sup.join().await;
    assert_eq!(
        rec.take(),
        [
            "stopping:b",
            "stopped:b:shutdown",
            "stopping:c",
            "stopped:c:shutdown",
            "stopping:a",
            "stopped:a:shutdown",
        ]
    );
    assert!(!ra.is_alive() && !rc.is_alive() && !rb2.is_alive());
}

#[tokio::test(start_paused = true)]
async fn a_child_that_fails_to_start_is_reported_and_not_added() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(Supervisor::new(Strategy::OneForOne).child(a.spec()));
    let ra = sup.child::<Probe>("a").await.unwrap();

    let bad = Kit::new("bad", &rec);
    bad.fail_start_of(&[1]);
    match sup.start_child(bad.spec()).await {
        Err(Error::StartFailed { reason, .. }) => {
            assert!(reason.to_string().contains("refused to start"), "{reason}");
        }
        other => panic!("expected StartFailed, got {other:?}"),
    }
    let broken = Kit::new("broken", &rec);
    broken.conf.fail_factory.lock().unwrap().insert(1);
    match sup.start_child(broken.spec()).await {
        Err(Error::StartFailed { reason, .. }) => {
            assert!(reason.to_string().contains("factory"), "{reason}");
        }
        other => panic!("expected StartFailed, got {other:?}"),
    }
    assert_eq!(ids(&sup.children().await.unwrap()), ["a"]);
    assert_eq!(bad.instances(), 1, "not retried");
    // Failing to add a child is not a restart: the supervisor and its other
    // children are untouched.
    assert_eq!(ra.ask(Ping(1)).await, Ok(vec![1]));
    assert_eq!(a.instances(), 1);
    assert!(sup.is_alive());
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_supervisor_whose_initial_child_fails_to_start_fails_after_stopping_the_others() {
    // OTP: `start_link` returns `{error, {shutdown, ...}}` after terminating
    // the children already started, in reverse order.
    let rec = Recorder::new();
    let (a, b, c, d) = (
        Kit::new("a", &rec),
        Kit::new("b", &rec),
        Kit::new("c", &rec),
        Kit::new("d", &rec),
    );
    c.fail_start_of(&[1]);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .child(a.spec())
            .child(b.spec())
            .child(c.spec())
            .child(d.spec()),
    );
    let reason = sup.join().await;
    assert!(reason.is_failure(), "{reason}");
    assert!(reason.to_string().contains("refused to start"), "{reason}");
    assert_eq!(
        rec.take(),
        [
            "started:a",
            "started:b",
            "start-failed:c",
            "stopped:c:failed",
            "stopping:b",
            "stopped:b:shutdown",
            "stopping:a",
            "stopped:a:shutdown",
        ]
    );
    assert_eq!(
        d.instances(),
        0,
        "children after the failing one never start"
    );
}

#[tokio::test(start_paused = true)]
async fn dynamic_children_are_restarted_according_to_their_kind() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let static_child = Kit::new("s", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(10, secs(10))
            .child(static_child.spec()),
    );
    let (p, t) = (Kit::new("p", &rec), Kit::new("t", &rec));
    let rp = sup.start_child(p.spec()).await.unwrap();
    let rt = sup
        .start_child(t.spec().restart(Restart::Temporary))
        .await
        .unwrap();
    assert_eq!(ids(&sup.children().await.unwrap()), ["s", "p", "t"]);
    expect_failed(rp.ask(Crash("p")).await, "p");
    assert_eq!(rp.ask(Ping(1)).await, Ok(vec![1]));
    expect_failed(rt.ask(Crash("t")).await, "t");
    assert!(rt.join().await.is_failure());
    let info = sup.children().await.unwrap();
    assert_eq!(ids(&info), ["s", "p"]);
    assert_eq!(info[1].restarts, 1);
    assert_eq!((p.instances(), t.instances()), (2, 1));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn terminating_a_child_that_waits_out_its_backoff_does_not_restart_it() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, secs(60))
            .backoff(Backoff::exponential(secs(10), secs(60)).jitter(0.0)),
    );
    let ra = sup.start_child(a.spec()).await.unwrap();
    expect_failed(ra.ask(Crash("then a backoff")).await, "then a backoff");
    let terminated = tokio::time::timeout(secs(120), sup.terminate_child("a")).await;
    let events = rec.all();
    assert!(
        matches!(terminated, Ok(Ok(()))),
        "terminate_child never returned: {terminated:?}; events: {events:?}"
    );
    assert_eq!(a.instances(), 1, "restarted while terminated: {events:?}");
    assert!(!ra.is_alive());
    sup.stop();
    sup.join().await;
}

/// A child of the big supervisor: records each message it handles, fails on
/// the fatal ones.
struct Counter {
    handled: Arc<Mutex<HashMap<u64, u32>>>,
}
impl Actor for Counter {}

struct Work {
    id: u64,
    fatal: bool,
}
impl Message for Work {
    type Reply = u64;
}
impl Handler<Work> for Counter {
    async fn handle(&mut self, Work { id, fatal }: Work, _ctx: &mut Context<Self>) -> u64 {
        if fatal {
            panic!("{DELIBERATE}: fatal message {id}");
        }
        *self.handled.lock().unwrap().entry(id).or_insert(0) += 1;
        // Give the scheduler a chance to interleave children.
        tokio::task::yield_now().await;
        id
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_children_restarting_at_once_lose_and_duplicate_nothing() {
    quiet_deliberate_panics();
    const CHILDREN: u64 = 1_000;
    const PER_CHILD: u64 = 10;
    // Messages 3 and 7 of each child are fatal: two restarts per child.
    let fatal = |k: u64| k == 3 || k == 7;
    let handled = Arc::new(Mutex::new(HashMap::new()));
    let sup = spawn(Supervisor::new(Strategy::OneForOne).intensity(1_000_000, secs(3600)));
    let mut children = Vec::new();
    for c in 0..CHILDREN {
        let handled = handled.clone();
        let spec = ChildSpec::new(format!("c{c}"), move || Counter {
            handled: handled.clone(),
        });
        children.push(sup.start_child(spec).await.unwrap());
    }

    // Every message is asked from a task of its own, all at once: most
    // arrive while their child is failing or restarting.
    let mut asks = JoinSet::new();
    for (c, child) in children.iter().enumerate() {
        for k in 0..PER_CHILD {
            let child = child.clone();
            let id = c as u64 * PER_CHILD + k;
            let fatal = fatal(k);
            asks.spawn(async move { (id, fatal, child.id(), child.ask(Work { id, fatal }).await) });
        }
    }
    let mut acknowledged = 0;
    while let Some(joined) = asks.join_next().await {
        let (id, fatal, actor, reply) = joined.unwrap();
        if fatal {
            match reply {
                Err(Error::Failed { actor: who, reason }) => {
                    assert_eq!(who, actor);
                    assert!(
                        reason.to_string().contains(&format!("fatal message {id}")),
                        "the asker of {id} was told of another failure: {reason}"
                    );
                }
                other => panic!("fatal message {id}: expected Error::Failed, got {other:?}"),
            }
        } else {
            assert_eq!(reply, Ok(id), "message {id}");
            acknowledged += 1;
        }
    }

    let handled = handled.lock().unwrap().clone();
    assert_eq!(acknowledged, CHILDREN * (PER_CHILD - 2));
    assert_eq!(
        handled.len() as u64,
        acknowledged,
        "a message was lost or a fatal one counted"
    );
    for (id, times) in &handled {
        assert_eq!(*times, 1, "message {id} was handled {times} times");
        assert!(!fatal(id % PER_CHILD), "fatal message {id} was counted");
    }
    let info = sup.children().await.unwrap();
    assert_eq!(info.len() as u64, CHILDREN);
    assert!(
        info.iter().all(|i| i.running && i.restarts == 2),
        "each child restarted twice"
    );
    assert!(children.iter().all(|c| c.restart_count() == 2));
    sup.stop();
    assert_eq!(sup.join().await, StopReason::Normal);
    assert!(children.iter().all(|c| !c.is_alive()));
}
