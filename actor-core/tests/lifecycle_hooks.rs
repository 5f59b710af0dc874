//! Lifecycle under supervision: `restarting` runs on the new instance, with
//! the previous run's reason, before its `started`; a failure in `started`
//! (error or panic), in `restarting` or in the factory is a failure like any
//! other, restarted and counted; the restart count is visible on the
//! reference and in the context; `Context::fail` fails the actor on purpose;
//! the stop reason reaches `stopped`, `join` and the supervisor.
//!
//! Mirrors OTP's `supervisor_SUITE` cases on children whose `init` fails
//! (`child_start_failure` style: counted as a restart, escalating past the
//! intensity) and gen_server's `terminate/2` receiving the exit reason.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;

#[derive(Clone, Copy, Debug)]
enum Start {
    Errs,
    Panics,
}

/// What each instance (by number, from 1) of a [`Hooked`] does.
#[derive(Default)]
struct Plan {
    instances: AtomicU32,
    start: Mutex<HashMap<u32, Start>>,
    panic_in_restarting: Mutex<HashSet<u32>>,
}

/// An actor whose hooks log, with its instance number and full reasons.
struct Hooked {
    instance: u32,
    rec: Arc<Recorder>,
    plan: Arc<Plan>,
}

fn hooked(rec: &Arc<Recorder>, plan: &Arc<Plan>) -> impl Fn() -> Hooked + Send + Sync + 'static {
    let (rec, plan) = (rec.clone(), plan.clone());
    move || Hooked {
        instance: plan.instances.fetch_add(1, Ordering::SeqCst) + 1,
        rec: rec.clone(),
        plan: plan.clone(),
    }
}

impl Actor for Hooked {
    async fn restarting(&mut self, ctx: &mut Context<Self>, previous: &StopReason) {
        self.rec.push(format!(
            "restarting#{} (restart {}): {previous}",
            self.instance,
            ctx.restart_count()
        ));
        if self
            .plan
            .panic_in_restarting
            .lock()
            .unwrap()
            .contains(&self.instance)
        {
            panic!("{DELIBERATE}: restarting #{}", self.instance);
        }
    }

    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let plan = self.plan.start.lock().unwrap().get(&self.instance).copied();
        match plan {
            Some(Start::Errs) => {
                self.rec.push(format!("start-error#{}", self.instance));
                Err(format!("instance {} cannot start", self.instance).into())
            }
            Some(Start::Panics) => {
                self.rec.push(format!("start-panic#{}", self.instance));
                panic!("{DELIBERATE}: instance {} panics in started", self.instance)
            }
            None => {
                self.rec.push(format!(
                    "started#{} (restart {})",
                    self.instance,
                    ctx.restart_count()
                ));
                Ok(())
            }
        }
    }

    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        self.rec.push(format!("stopping#{}", self.instance));
    }

    async fn stopped(&mut self, reason: &StopReason) {
        self.rec
            .push(format!("stopped#{}: {reason}", self.instance));
    }
}

impl Handler<Crash> for Hooked {
    async fn handle(&mut self, Crash(why): Crash, _ctx: &mut Context<Self>) {
        panic!("{DELIBERATE}: {why}");
    }
}

impl Handler<FailSelf> for Hooked {
    async fn handle(&mut self, FailSelf(why): FailSelf, ctx: &mut Context<Self>) -> &'static str {
        ctx.fail(why);
        "done"
    }
}

impl Handler<Info> for Hooked {
    async fn handle(&mut self, _: Info, ctx: &mut Context<Self>) -> Whoami {
        Whoami {
            instance: self.instance,
            restart_count: ctx.restart_count(),
            id: ctx.id(),
        }
    }
}

fn supervise(rec: &Arc<Recorder>, plan: &Arc<Plan>, max_restarts: u32) -> ActorRef<Supervisor> {
    spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(max_restarts, Duration::from_secs(10))
            .child(ChildSpec::new("h", hooked(rec, plan))),
    )
}

#[tokio::test(start_paused = true)]
async fn restarting_runs_on_the_new_instance_with_the_previous_reason_before_started() {
    quiet_deliberate_panics();
    let (rec, plan) = (Recorder::new(), Arc::default());
    let sup = supervise(&rec, &plan, 10);
    let h = sup.child::<Hooked>("h").await.unwrap();
    // The first start is not a restart.
    assert_eq!(rec.take(), ["started#1 (restart 0)"]);

    let failure = expect_failed(h.ask(Crash("first failure")).await, "first failure");
    assert_eq!(h.ask(Info).await.unwrap().instance, 2);
    assert_eq!(
        rec.take(),
        [
            "stopping#1".to_string(),
            format!("stopped#1: {failure}"),
            format!("restarting#2 (restart 1): {failure}"),
            "started#2 (restart 1)".into(),
        ]
    );

    // A kill: `stopping` skipped, the reason is `killed`. (A killed child's
    // mailbox refuses messages until its next run starts: wait for it.)
    h.kill();
    rec.wait_for("started#3 (restart 2)", 1).await;
    assert_eq!(h.ask(Info).await.unwrap().instance, 3);
    assert_eq!(
        rec.take(),
        [
            "stopped#2: killed",
            "restarting#3 (restart 2): killed",
            "started#3 (restart 2)"
        ]
    );
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn an_error_or_a_panic_in_started_is_a_failure_that_is_restarted() {
    quiet_deliberate_panics();
    let (rec, plan) = (Recorder::new(), Arc::new(Plan::default()));
    plan.start
        .lock()
        .unwrap()
        .extend([(2, Start::Errs), (3, Start::Panics)]);
    let sup = supervise(&rec, &plan, 10);
    let h = sup.child::<Hooked>("h").await.unwrap();
    rec.take();
    expect_failed(h.ask(Crash("go")).await, "go");
    // Queued while instances 2 and 3 fail to start: handled by instance 4.
    let me = h.ask(Info).await.unwrap();
    assert_eq!((me.instance, me.restart_count), (4, 3));
    let events = rec.take();
    let expected_prefixes = [
        "stopping#1",
        "stopped#1: failed: ",
        "restarting#2 (restart 1): failed: ",
        "start-error#2",
        // `stopping` is skipped for a run that never started, `stopped` runs.
        "stopped#2: failed: started returned an error: instance 2 cannot start",
        "restarting#3 (restart 2): failed: started returned an error: instance 2 cannot start",
        "start-panic#3",
        "stopped#3: failed: panicked in started: ",
        "restarting#4 (restart 3): failed: panicked in started: ",
        "started#4 (restart 3)",
    ];
    assert_eq!(events.len(), expected_prefixes.len(), "{events:#?}");
    for (event, prefix) in events.iter().zip(expected_prefixes) {
        assert!(
            event.starts_with(prefix),
            "{event:?} should start with {prefix:?}"
        );
    }
    assert_eq!(sup.children().await.unwrap()[0].restarts, 3);
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn failures_in_started_count_toward_the_intensity() {
    quiet_deliberate_panics();
    let (rec, plan) = (Recorder::new(), Arc::new(Plan::default()));
    plan.start.lock().unwrap().insert(2, Start::Errs);
    let sup = supervise(&rec, &plan, 1);
    let h = sup.child::<Hooked>("h").await.unwrap();
    expect_failed(h.ask(Crash("go")).await, "go");
    // Restart 1 is allowed, its `started` fails, restart 2 is one too many.
    let reason = sup.join().await;
    assert!(
        reason.to_string().contains("restart intensity exceeded"),
        "{reason}"
    );
    assert!(
        reason.to_string().contains("instance 2 cannot start"),
        "{reason}"
    );
    assert_eq!(plan.instances.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_restarting_fails_that_run_which_is_restarted_again() {
    quiet_deliberate_panics();
    let (rec, plan) = (Recorder::new(), Arc::new(Plan::default()));
    plan.panic_in_restarting.lock().unwrap().insert(2);
    let sup = supervise(&rec, &plan, 10);
    let h = sup.child::<Hooked>("h").await.unwrap();
    rec.take();
    expect_failed(h.ask(Crash("go")).await, "go");
    assert_eq!(h.ask(Info).await.unwrap().instance, 3);
    let events = rec.take();
    assert!(
        events[2].starts_with("restarting#2 (restart 1): failed: "),
        "{events:#?}"
    );
    assert!(
        events[3].starts_with("stopped#2: failed: panicked in restarting: "),
        "instance 2's `stopped` runs, as after a failing `started`: {events:#?}"
    );
    assert!(
        events[4].starts_with("restarting#3 (restart 2): failed: panicked in restarting: "),
        "instance 3 learns why instance 2 failed: {events:#?}"
    );
    assert_eq!(events[5], "started#3 (restart 2)");
    assert_eq!(events.len(), 6, "{events:#?}");
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_restarting_is_reported_to_stopped_like_a_failing_started() {
    quiet_deliberate_panics();
    let (rec, plan) = (Recorder::new(), Arc::new(Plan::default()));
    plan.panic_in_restarting.lock().unwrap().insert(2);
    let sup = supervise(&rec, &plan, 10);
    let h = sup.child::<Hooked>("h").await.unwrap();
    expect_failed(h.ask(Crash("go")).await, "go");
    assert_eq!(h.ask(Info).await.unwrap().instance, 3);
    let events = rec.all();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("stopped#2: failed: panicked in restarting")),
        "instance 2's `stopped` hook never ran: {events:#?}"
    );
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn a_factory_that_panics_on_a_restart_is_a_failure_too() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    kit.conf.fail_factory.lock().unwrap().insert(2);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(10, Duration::from_secs(10))
            .child(kit.spec()),
    );
    let w = sup.child::<Probe>("w").await.unwrap();
    expect_failed(w.ask(Crash("go")).await, "go");
    assert_eq!(w.ask(Info).await.unwrap().instance, 3);
    assert_eq!(w.restart_count(), 2);
    let events = rec.all();
    assert!(events.contains(&"restarting:w:failed".to_string()));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn the_restart_count_is_visible_on_the_reference_and_in_the_context() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(10, Duration::from_secs(10))
            .child(kit.spec()),
    );
    let w = sup.child::<Probe>("w").await.unwrap();
    for n in 0..3 {
        let me = w.ask(Info).await.unwrap();
        assert_eq!((me.restart_count, w.restart_count()), (n, n));
        assert_eq!(me.id, w.id(), "same identity on every run");
        assert_eq!(sup.children().await.unwrap()[0].restarts, n);
        expect_failed(w.ask(Crash("again")).await, "again");
    }
    assert_eq!(w.ask(Info).await.unwrap().restart_count, 3);
    assert_eq!(*kit.conf.ctx_restarts.lock().unwrap(), [0, 1, 2, 3]);
    // An actor that is not supervised is never restarted.
    let plain = spawn(kit.build());
    assert_eq!(plain.ask(Info).await.unwrap().restart_count, 0);
    assert_eq!(plain.restart_count(), 0);
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn fail_ends_the_actor_with_the_given_reason() {
    let (rec, plan) = (Recorder::new(), Arc::new(Plan::default()));
    // Unsupervised: the reason is final; `stopping` runs (the handler ended).
    let h = spawn(hooked(&rec, &plan)());
    assert_eq!(h.ask(FailSelf("gave up on purpose")).await, Ok("done"));
    let reason = h.join().await;
    assert_eq!(reason, StopReason::failed("gave up on purpose"));
    assert!(reason.is_failure());
    assert_eq!(
        rec.take(),
        [
            "started#1 (restart 0)",
            "stopping#1",
            "stopped#1: failed: gave up on purpose"
        ]
    );

    // Supervised, even transient: a failure, so restarted, and the next
    // instance is told exactly why.
    let plan = Arc::new(Plan::default());
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::new("h", hooked(&rec, &plan)).restart(Restart::Transient)),
    );
    let h = sup.child::<Hooked>("h").await.unwrap();
    assert_eq!(h.ask(FailSelf("gave up on purpose")).await, Ok("done"));
    assert_eq!(h.ask(Info).await.unwrap().instance, 2);
    assert!(rec
        .all()
        .contains(&"restarting#2 (restart 1): failed: gave up on purpose".to_string()));
    sup.stop();
    sup.join().await;
}

#[tokio::test(start_paused = true)]
async fn the_stop_reason_reaches_stopped_join_and_monitors_alike() {
    quiet_deliberate_panics();
    let rec = Recorder::new();
    let plan = Arc::new(Plan::default());
    let watcher = spawn(Watcher::new(&rec));
    let h = spawn(hooked(&rec, &plan)());
    let target = h.clone();
    run(&watcher, move |_, ctx| ctx.monitor(&target))
        .await
        .unwrap();
    let failure = expect_failed(h.ask(Crash("observable")).await, "observable");
    assert_eq!(h.join().await, failure);
    assert!(rec.all().contains(&format!("stopped#1: {failure}")));
    rec.wait_for(&format!("down:{}:failed", h.id()), 1).await;
    assert_eq!(downs(&watcher).await[0].reason, failure);
}
