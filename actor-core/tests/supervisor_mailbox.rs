//! A reference and a mailbox outlive restarts: messages queued for a child
//! when it fails are handled, in order, by its next instance; the message it
//! failed on is dropped and its asker is told why.
//!
//! OTP has no direct counterpart (a restarted Erlang child is a new process
//! with an empty mailbox, and clients find it again by name); this is the
//! issue's own rule, checked against what a client holding the reference sees.

mod common;

use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;

fn one_for_one(kit: &Kit) -> ActorRef<Supervisor> {
    spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(10, Duration::from_secs(10))
            .child(kit.spec()),
    )
}

#[tokio::test(start_paused = true)]
async fn messages_queued_behind_the_fatal_one_are_handled_in_order_by_the_next_instance() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = one_for_one(&kit);
    let w = sup.child::<Probe>("w").await.unwrap();
    let busy = make_busy(&w, &rec, "w").await;
    let first = queue(&w, Ping(1)).await;
    let fatal = queue(&w, Crash("the fatal message")).await;
    let mut after = Vec::new();
    for n in 2..=10 {
        after.push(queue(&w, Ping(n)).await);
    }
    assert_eq!(busy.await.unwrap(), Ok(()));

    assert_eq!(first.await.unwrap(), Ok(vec![1]));
    match fatal.await.unwrap() {
        Err(Error::Failed { actor, reason }) => {
            assert_eq!(actor, w.id());
            let text = reason.to_string();
            assert!(text.contains("the fatal message"), "{text}");
            assert!(
                text.contains("Crash"),
                "the reason names the message: {text}"
            );
        }
        other => panic!("expected Error::Failed, got {other:?}"),
    }
    for (i, reply) in after.into_iter().enumerate() {
        // The new instance starts empty and sees 2, 3, ... in order.
        let expected: Vec<u32> = (2..=i as u32 + 2).collect();
        assert_eq!(reply.await.unwrap(), Ok(expected));
    }
    assert_eq!(kit.handled(), (1..=10).collect::<Vec<_>>());
    assert_eq!((kit.instances(), w.restart_count()), (2, 1));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn told_messages_survive_a_restart_too() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = one_for_one(&kit);
    let w = sup.child::<Probe>("w").await.unwrap();
    let busy = make_busy(&w, &rec, "w").await;
    w.try_tell(Ping(1)).unwrap();
    w.try_tell(Crash("told and fatal")).unwrap();
    for n in 2..=5 {
        w.try_tell(Ping(n)).unwrap();
    }
    assert_eq!(busy.await.unwrap(), Ok(()));
    assert_eq!(w.ask(Ping(6)).await, Ok(vec![2, 3, 4, 5, 6]));
    assert_eq!(kit.handled(), [1, 2, 3, 4, 5, 6]);
    assert_eq!(w.restart_count(), 1);
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn several_failures_in_one_queue_each_cost_one_restart_and_nothing_else() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = one_for_one(&kit);
    let w = sup.child::<Probe>("w").await.unwrap();
    let busy = make_busy(&w, &rec, "w").await;
    let p1 = queue(&w, Ping(1)).await;
    let c1 = queue(&w, Crash("first")).await;
    let p2 = queue(&w, Ping(2)).await;
    let c2 = queue(&w, Crash("second")).await;
    let p3 = queue(&w, Ping(3)).await;
    busy.await.unwrap().unwrap();
    assert_eq!(p1.await.unwrap(), Ok(vec![1]));
    expect_failed(c1.await.unwrap(), "first");
    assert_eq!(p2.await.unwrap(), Ok(vec![2]));
    expect_failed(c2.await.unwrap(), "second");
    assert_eq!(p3.await.unwrap(), Ok(vec![3]));
    assert_eq!(kit.handled(), [1, 2, 3]);
    assert_eq!((kit.instances(), w.restart_count()), (3, 2));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_message_sent_while_the_child_waits_to_restart_is_handled_by_the_new_instance() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(10, Duration::from_secs(60))
            .backoff(
                Backoff::exponential(Duration::from_secs(2), Duration::from_secs(10)).jitter(0.0),
            )
            .child(kit.spec()),
    );
    let w = sup.child::<Probe>("w").await.unwrap();
    expect_failed(w.ask(Crash("down")).await, "down");
    rec.wait_for("stopped:w:failed", 1).await;
    let sent = tokio::time::Instant::now();
    // Between runs: the reference is alive and the mailbox accepts.
    assert!(w.is_alive());
    assert_eq!(w.ask(Ping(7)).await, Ok(vec![7]));
    assert_eq!(
        sent.elapsed(),
        Duration::from_secs(2),
        "handled after the backoff"
    );
    assert_eq!(rec.count("started:w"), 2);
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_deliberate_failure_answers_its_own_message_and_keeps_the_rest() {
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = one_for_one(&kit);
    let w = sup.child::<Probe>("w").await.unwrap();
    let busy = make_busy(&w, &rec, "w").await;
    let fail = queue(&w, FailSelf("gave up")).await;
    let next = queue(&w, Ping(1)).await;
    busy.await.unwrap().unwrap();
    // `Context::fail` ends the run after the handler returned its reply.
    assert_eq!(fail.await.unwrap(), Ok("done"));
    assert_eq!(next.await.unwrap(), Ok(vec![1]));
    assert_eq!(kit.instances(), 2);
    assert!(rec.all().contains(&"restarting:w:failed".to_string()));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn killing_a_supervised_child_drops_the_message_in_hand_and_keeps_the_queue() {
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = one_for_one(&kit);
    let w = sup.child::<Probe>("w").await.unwrap();
    let busy = make_busy(&w, &rec, "w").await;
    let queued = queue(&w, Ping(1)).await;
    w.kill();
    match busy.await.unwrap() {
        Err(Error::NotHandled { actor, reason }) => {
            assert_eq!((actor, reason), (w.id(), StopReason::Killed));
        }
        other => panic!("expected NotHandled(Killed), got {other:?}"),
    }
    assert_eq!(queued.await.unwrap(), Ok(vec![1]));
    assert_eq!(rec.count("idle:w"), 0, "the busy handler never finished");
    assert_eq!((kit.instances(), w.restart_count()), (2, 1));
    sup.stop();
    sup.join().await;
}
