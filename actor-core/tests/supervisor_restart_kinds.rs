//! Restart kinds: permanent children are always restarted, transient ones only
//! after an abnormal end, temporary ones never (and are then forgotten).
//!
//! Mirrors OTP's `supervisor_SUITE` restart-type cases: `permanent_normal`,
//! `transient_normal`, `temporary_normal`, `permanent_abnormal`,
//! `transient_abnormal`, `temporary_abnormal`, plus the same for a child that
//! is killed (`exit(Pid, kill)`, an abnormal end in OTP).

mod common;

use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;

#[derive(Clone, Copy, Debug)]
enum End {
    /// `Context::stop` from inside: a normal exit.
    StopsItself,
    /// `ActorRef::stop` from outside: a normal exit after the queue.
    StoppedFromOutside,
    /// A panic in a handler.
    Fails,
    /// `Context::fail`: a deliberate failure.
    FailsOnPurpose,
    /// `ActorRef::kill`.
    Killed,
}

impl End {
    async fn apply(self, w: &ActorRef<Probe>) {
        match self {
            End::StopsItself => w.ask(StopSelf).await.unwrap(),
            End::StoppedFromOutside => w.stop(),
            End::Fails => {
                expect_failed(w.ask(Crash("fatal")).await, "fatal");
            }
            End::FailsOnPurpose => assert_eq!(w.ask(FailSelf("on purpose")).await, Ok("done")),
            End::Killed => w.kill(),
        }
    }

    fn reason(self) -> &'static str {
        match self {
            End::StopsItself | End::StoppedFromOutside => "normal",
            End::Fails | End::FailsOnPurpose => "failed",
            End::Killed => "killed",
        }
    }
}

const ENDS: [End; 5] = [
    End::StopsItself,
    End::StoppedFromOutside,
    End::Fails,
    End::FailsOnPurpose,
    End::Killed,
];

/// Runs one child of kind `restart` under a one-for-one supervisor, ends it
/// as `end` says, and checks whether it was restarted.
async fn check(restart: Restart, end: End, restarted: bool) {
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(10, Duration::from_secs(10))
            .child(kit.spec().restart(restart)),
    );
    let w = sup.child::<Probe>("w").await.unwrap();
    assert_eq!(w.ask(Ping(1)).await, Ok(vec![1]));
    end.apply(&w).await;
    let case = format!("{restart:?} child, {end:?}");
    if restarted {
        rec.wait_for("started:w", 2).await;
        assert_eq!(
            rec.all(),
            [
                "started:w".to_string(),
                "stopping:w".into(),
                format!("stopped:w:{}", end.reason()),
                format!("restarting:w:{}", end.reason()),
                "started:w".into(),
            ]
            .iter()
            // A killed run skips `stopping`.
            .filter(|e| !(matches!(end, End::Killed) && *e == "stopping:w"))
            .cloned()
            .collect::<Vec<_>>(),
            "{case}"
        );
        assert!(w.is_alive(), "{case}");
        assert_eq!(
            w.ask(Ping(2)).await,
            Ok(vec![2]),
            "{case}: a fresh instance"
        );
        assert_eq!((kit.instances(), w.restart_count()), (2, 1), "{case}");
        let info = sup.children().await.unwrap();
        assert_eq!(info.len(), 1, "{case}");
        assert_eq!((info[0].restarts, info[0].running), (1, true), "{case}");
    } else {
        let reason = w.join().await;
        assert_eq!(kind(&reason), end.reason(), "{case}");
        assert_eq!(kit.instances(), 1, "{case}");
        assert_eq!(rec.count("started:w"), 1, "{case}");
        assert!(
            matches!(w.ask(Ping(2)).await, Err(Error::Stopped { .. })),
            "{case}"
        );
        // As OTP: a temporary child is deleted when it ends; another one that
        // ended for good stays listed, not running.
        let expected = match restart {
            Restart::Temporary => vec![],
            _ => vec![ChildInfo {
                id: "w".into(),
                actor: w.id(),
                running: false,
                restarts: 0,
            }],
        };
        assert_eq!(sup.children().await.unwrap(), expected, "{case}");
        assert!(
            matches!(
                sup.child::<Probe>("w").await,
                Err(Error::ChildNotFound { .. })
            ),
            "{case}"
        );
        assert!(sup.is_alive(), "{case}: the supervisor carries on");
    }
    sup.stop();
    assert_eq!(sup.join().await, StopReason::Normal, "{case}");
    assert!(!w.is_alive(), "{case}");
}

#[tokio::test(start_paused = true)]
async fn a_permanent_child_is_always_restarted() {
    quiet_deliberate_panics();
    for end in ENDS {
        check(Restart::Permanent, end, true).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_transient_child_is_restarted_only_after_an_abnormal_end() {
    quiet_deliberate_panics();
    for end in ENDS {
        let abnormal = !matches!(end, End::StopsItself | End::StoppedFromOutside);
        check(Restart::Transient, end, abnormal).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_temporary_child_is_never_restarted() {
    quiet_deliberate_panics();
    for end in ENDS {
        check(Restart::Temporary, end, false).await;
    }
}

#[test]
fn restart_kinds_decide_by_reason_as_otp_does() {
    let failed = StopReason::failed("boom");
    let reasons = [
        StopReason::Normal,
        StopReason::Shutdown,
        StopReason::Killed,
        failed,
    ];
    let table = |r: Restart| -> Vec<bool> { reasons.iter().map(|x| r.restarts_after(x)).collect() };
    assert_eq!(table(Restart::Permanent), [true, true, true, true]);
    // OTP: transient children are not restarted after `normal` or `shutdown`.
    assert_eq!(table(Restart::Transient), [false, false, true, true]);
    assert_eq!(table(Restart::Temporary), [false, false, false, false]);
}

#[tokio::test(start_paused = true)]
async fn messages_queued_for_a_child_that_ends_for_good_are_answered_with_its_reason() {
    quiet_deliberate_panics();
    // Transient, normal exit: the queued asks were not handled.
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup =
        spawn(Supervisor::new(Strategy::OneForOne).child(kit.spec().restart(Restart::Transient)));
    let w = sup.child::<Probe>("w").await.unwrap();
    let busy = make_busy(&w, &rec, "w").await;
    let stop = queue(&w, StopSelf).await;
    let queued = queue(&w, Ping(1)).await;
    assert_eq!(busy.await.unwrap(), Ok(()));
    assert_eq!(stop.await.unwrap(), Ok(()));
    match queued.await.unwrap() {
        Err(Error::NotHandled { actor, reason }) => {
            assert_eq!((actor, reason), (w.id(), StopReason::Normal));
        }
        other => panic!("expected NotHandled, got {other:?}"),
    }
    assert_eq!(w.join().await, StopReason::Normal);
    assert!(kit.handled().is_empty());

    // Temporary, failure: the queued asks learn of the failure.
    let kit = Kit::new("t", &rec);
    let t = sup
        .start_child(kit.spec().restart(Restart::Temporary))
        .await
        .unwrap();
    let busy = make_busy(&t, &rec, "t").await;
    let crash = queue(&t, Crash("temporary down")).await;
    let queued = queue(&t, Ping(1)).await;
    assert_eq!(busy.await.unwrap(), Ok(()));
    expect_failed(crash.await.unwrap(), "temporary down");
    expect_failed(queued.await.unwrap(), "temporary down");
    assert!(kit.handled().is_empty());
    sup.stop();
    sup.join().await;
}
