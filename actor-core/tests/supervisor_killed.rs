//! A supervisor cut short: killed in the middle of a group restart, or asked
//! to stop a child that never finishes its `stopped` hook. Either way its
//! shutdown ends: it never waits for an exit that cannot come, nor past a
//! child's shutdown timeout once that child was killed.
//!
//! On tokio's paused clock, with [`soon`] as the safety net: a hang makes the
//! test fail at once instead of running for ever.

mod common;

use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;
use tokio::time::Instant;

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A one-for-all supervisor of `a` and `b`, where `b` waits as long as it
/// takes to stop (`Infinity`).
fn group(a: &Kit, b: &Kit) -> Supervisor {
    Supervisor::new(Strategy::OneForAll)
        .intensity(5, secs(60))
        .child(a.spec())
        .child(b.spec().shutdown(Shutdown::Infinity))
}

/// Puts `b` in an hour-long handler and crashes `a`: when this returns, the
/// supervisor is stuck ending `b`'s run, inside its handling of `a`'s exit.
async fn crash_a_while_b_is_busy(
    sup: &ActorRef<Supervisor>,
    rec: &Recorder,
) -> [ActorRef<Probe>; 2] {
    let ra = sup.child::<Probe>("a").await.unwrap();
    let rb = sup.child::<Probe>("b").await.unwrap();
    let before = rec.count("stopped:a:failed");
    let _busy = ask_later(&rb, Busy(secs(3600)));
    rec.wait_for("busy:b", rec.count("busy:b") + 1).await;
    let _crash = ask_later(&ra, Crash("a fails while b is busy"));
    rec.wait_for("stopped:a:failed", before + 1).await;
    [ra, rb]
}

#[tokio::test(start_paused = true)]
async fn a_one_for_all_supervisor_killed_during_a_group_restart_ends() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let (a, b) = (Kit::new("a", &rec), Kit::new("b", &rec));
    let sup = spawn(group(&a, &b));
    let [ra, rb] = crash_a_while_b_is_busy(&sup, &rec).await;
    sup.kill();
    assert_eq!(soon(sup.join()).await, StopReason::Killed);
    assert_eq!(soon(rb.join()).await, StopReason::Killed);
    assert!(!ra.is_alive());
    // Neither child came back once its supervisor was gone.
    assert_eq!((a.instances(), b.instances()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn terminating_a_child_supervisor_during_its_group_restart_returns() {
    quiet_deliberate_panics();
    for shutdown in [Shutdown::Timeout(secs(2)), Shutdown::BrutalKill] {
        let rec = Recorder::new();
        let (a, b) = (Kit::new("a", &rec), Kit::new("b", &rec));
        let inner = group(&a, &b);
        let outer = spawn(
            Supervisor::new(Strategy::OneForOne)
                .child(ChildSpec::new("inner", move || inner.clone()).shutdown(shutdown)),
        );
        let sup = outer.child::<Supervisor>("inner").await.unwrap();
        let [ra, rb] = crash_a_while_b_is_busy(&sup, &rec).await;
        let t0 = Instant::now();
        let terminated = soon(outer.terminate_child("inner")).await;
        assert_eq!(terminated, Ok(()), "{shutdown:?}");
        let patience = match shutdown {
            Shutdown::Timeout(t) => t,
            _ => Duration::ZERO,
        };
        assert_eq!(t0.elapsed(), patience, "{shutdown:?}: killed when due");
        assert_eq!(soon(sup.join()).await, StopReason::Killed, "{shutdown:?}");
        assert_eq!(soon(rb.join()).await, StopReason::Killed, "{shutdown:?}");
        assert!(!ra.is_alive(), "{shutdown:?}");
        assert_eq!(outer.children().await.unwrap(), vec![], "{shutdown:?}");
        outer.stop();
        assert_eq!(soon(outer.join()).await, StopReason::Normal);
    }
}

/// An actor whose `stopped` hook never returns.
struct Stuck;

impl Actor for Stuck {
    async fn stopped(&mut self, _reason: &StopReason) {
        std::future::pending::<()>().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_child_whose_stopped_hook_never_returns_is_abandoned_after_its_timeout() {
    let rec = Recorder::new();
    let a = Kit::new("a", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .child(a.spec())
            .child(ChildSpec::new("stuck", || Stuck).shutdown(Shutdown::Timeout(secs(2)))),
    );
    let stuck = sup.child::<Stuck>("stuck").await.unwrap();
    rec.take();
    let t0 = Instant::now();
    sup.stop();
    assert_eq!(soon(sup.join()).await, StopReason::Normal);
    // Two seconds to stop, two more to end once killed; then it is left.
    assert_eq!(t0.elapsed(), secs(4));
    assert_eq!(rec.take(), ["stopping:a", "stopped:a:shutdown"]);
    assert!(stuck.is_alive(), "abandoned, still in its `stopped` hook");
}

#[tokio::test(start_paused = true)]
async fn a_killed_supervisor_abandons_a_child_stuck_in_stopped_after_its_timeout() {
    let sup = spawn(
        Supervisor::new(Strategy::OneForAll)
            .child(ChildSpec::new("stuck", || Stuck).shutdown(Shutdown::Timeout(secs(2)))),
    );
    let _stuck = sup.child::<Stuck>("stuck").await.unwrap();
    let t0 = Instant::now();
    sup.kill();
    assert_eq!(soon(sup.join()).await, StopReason::Killed);
    assert_eq!(t0.elapsed(), secs(2), "killed at once, then two seconds");
}

#[tokio::test(start_paused = true)]
async fn terminate_child_returns_when_the_child_is_stuck_in_stopped() {
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::new("stuck", || Stuck).shutdown(Shutdown::Timeout(secs(1)))),
    );
    let t0 = Instant::now();
    assert_eq!(soon(sup.terminate_child("stuck")).await, Ok(()));
    assert_eq!(t0.elapsed(), secs(2));
    assert_eq!(sup.children().await.unwrap(), vec![]);
    sup.stop();
    assert_eq!(soon(sup.join()).await, StopReason::Normal);
}

/// A plain parent (no supervisor) of one [`Stuck`] child.
struct Parent;

impl Actor for Parent {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        ctx.spawn(Stuck);
        Ok(())
    }
}

/// Answered once the parent has started (and spawned its child).
struct Ready;
impl Message for Ready {
    type Reply = ();
}
impl Handler<Ready> for Parent {
    async fn handle(&mut self, _: Ready, _ctx: &mut Context<Self>) {}
}

#[tokio::test(start_paused = true)]
async fn a_parent_abandons_a_child_stuck_in_stopped_after_its_shutdown_timeout() {
    for kill in [false, true] {
        let parent = spawn(Parent);
        parent.ask(Ready).await.unwrap();
        let t0 = Instant::now();
        if kill {
            parent.kill();
        } else {
            parent.stop();
        }
        let reason = soon(parent.join()).await;
        assert_eq!(kind(&reason), if kill { "killed" } else { "normal" });
        // Told to stop, then killed, each bounded by the timeout.
        assert_eq!(t0.elapsed(), CHILD_SHUTDOWN_TIMEOUT * 2, "kill: {kill}");
    }
}
