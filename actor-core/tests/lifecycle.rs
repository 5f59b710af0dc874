//! Lifecycle hooks: `started` runs before any message (even one sent the
//! moment the actor was spawned), then the handlers one at a time, then
//! `stopping`, then `stopped` with the reason. If `started` fails (returns an
//! error or panics), no handler runs, `stopping` is skipped, `stopped` runs,
//! the actor ends with [`StopReason::Failed`] and askers of queued messages
//! get [`Error::Failed`]. Panics in `stopping` or `stopped` do not lose the
//! actor's end.

use std::pin::pin;

use actor_core::prelude::*;
use actor_test_support::{drain, gate, poll_once, quiet_deliberate_panics, Gate, DELIBERATE};
use tokio::sync::mpsc;

/// How `started` should go.
enum Start {
    Fine,
    /// Waits at the gate first.
    After(Gate),
    Error,
    Panic,
    /// Calls `ctx.stop()`.
    StopAtOnce,
}

/// Reports each hook and handler on a channel.
struct Traced {
    events: mpsc::UnboundedSender<String>,
    start: Option<Start>,
    panic_in_stopping: bool,
    panic_in_stopped: bool,
}

impl Traced {
    fn new(start: Start) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (events, rx) = mpsc::unbounded_channel();
        let traced = Traced {
            events,
            start: Some(start),
            panic_in_stopping: false,
            panic_in_stopped: false,
        };
        (traced, rx)
    }

    fn report(&self, event: impl Into<String>) {
        let _ = self.events.send(event.into());
    }
}

impl Actor for Traced {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.report("started");
        match self.start.take().expect("started runs once") {
            Start::Fine => Ok(()),
            Start::After(gate) => {
                gate.pass().await;
                Ok(())
            }
            Start::Error => Err("no database".into()),
            Start::Panic => panic!("{DELIBERATE}: in started"),
            Start::StopAtOnce => {
                ctx.stop();
                Ok(())
            }
        }
    }

    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        self.report("stopping");
        if self.panic_in_stopping {
            panic!("{DELIBERATE}: in stopping");
        }
    }

    async fn stopped(&mut self, reason: &StopReason) {
        self.report(format!("stopped: {reason}"));
        if self.panic_in_stopped {
            panic!("{DELIBERATE}: in stopped");
        }
    }
}

struct Work(u32);
impl Message for Work {
    type Reply = u32;
}
impl Handler<Work> for Traced {
    async fn handle(&mut self, Work(n): Work, _ctx: &mut Context<Self>) -> u32 {
        self.report(format!("work {n}"));
        // An await inside the handler: the next message still waits for it.
        tokio::task::yield_now().await;
        self.report(format!("work {n} done"));
        n
    }
}

#[tokio::test]
async fn hooks_run_in_order_started_handlers_stopping_stopped() {
    let (traced, mut events) = Traced::new(Start::Fine);
    let actor = spawn(traced);
    actor.tell(Work(1)).await.unwrap();
    actor.tell(Work(2)).await.unwrap();
    actor.stop();
    assert_eq!(actor.join().await, StopReason::Normal);
    assert_eq!(
        drain(&mut events),
        [
            "started",
            "work 1",
            "work 1 done",
            "work 2",
            "work 2 done",
            "stopping",
            "stopped: normal"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_message_is_handled_before_started_completes() {
    let (gate, mut key) = gate();
    let (traced, mut events) = Traced::new(Start::After(gate));
    let actor = spawn(traced);
    key.entered().await;
    // Sent while `started` is still running: accepted, but not handled yet.
    let mut asked = pin!(actor.ask(Work(1)));
    assert!(poll_once(asked.as_mut()).await.is_pending());
    assert_eq!(drain(&mut events), ["started"]);

    key.open();
    assert_eq!(asked.await, Ok(1));
    assert_eq!(drain(&mut events), ["work 1", "work 1 done"]);
}

#[tokio::test]
async fn started_returning_an_error_fails_the_actor_before_any_message() {
    let (traced, mut events) = Traced::new(Start::Error);
    let actor = spawn(traced);
    // Queued before `started` runs (the test has not yielded yet).
    let mut asked = pin!(actor.ask(Work(1)));
    assert!(poll_once(asked.as_mut()).await.is_pending());
    actor.try_tell(Work(2)).unwrap();

    let reason = actor.join().await;
    assert_eq!(
        reason,
        StopReason::Failed("started returned an error: no database".into())
    );
    assert_eq!(
        asked.await,
        Err(Error::Failed {
            actor: actor.id(),
            reason: reason.clone()
        })
    );
    assert_eq!(
        drain(&mut events),
        ["started".to_owned(), format!("stopped: {reason}")],
        "no handler ran and `stopping` was skipped"
    );
}

#[tokio::test]
async fn started_panicking_fails_the_actor_before_any_message() {
    quiet_deliberate_panics();
    let (traced, mut events) = Traced::new(Start::Panic);
    let actor = spawn(traced);
    let mut asked = pin!(actor.ask(Work(1)));
    assert!(poll_once(asked.as_mut()).await.is_pending());

    let reason = actor.join().await;
    let StopReason::Failed(text) = &reason else {
        panic!("expected a failure, got {reason:?}");
    };
    assert!(text.starts_with("panicked in started"), "{text}");
    assert!(text.contains("in started"), "{text}");
    assert!(matches!(asked.await, Err(Error::Failed { .. })));
    assert_eq!(
        drain(&mut events),
        ["started".to_owned(), format!("stopped: {reason}")]
    );
}

#[tokio::test]
async fn stopping_in_started_handles_no_message() {
    let (traced, mut events) = Traced::new(Start::StopAtOnce);
    let actor = spawn(traced);
    let mut asked = pin!(actor.ask(Work(1)));
    assert!(poll_once(asked.as_mut()).await.is_pending());

    assert_eq!(actor.join().await, StopReason::Normal);
    assert_eq!(
        asked.await,
        Err(Error::NotHandled {
            actor: actor.id(),
            reason: StopReason::Normal
        })
    );
    assert_eq!(
        drain(&mut events),
        ["started", "stopping", "stopped: normal"]
    );
}

#[tokio::test]
async fn a_panic_in_stopping_still_runs_stopped_and_keeps_the_reason() {
    quiet_deliberate_panics();
    let (mut traced, mut events) = Traced::new(Start::Fine);
    traced.panic_in_stopping = true;
    let actor = spawn(traced);
    actor.stop();
    assert_eq!(actor.join().await, StopReason::Normal);
    assert_eq!(
        drain(&mut events),
        ["started", "stopping", "stopped: normal"]
    );
}

#[tokio::test]
async fn a_panic_in_stopped_still_lets_join_return() {
    quiet_deliberate_panics();
    let (mut traced, mut events) = Traced::new(Start::Fine);
    traced.panic_in_stopped = true;
    let actor = spawn(traced);
    assert_eq!(actor.ask(Work(5)).await, Ok(5));
    actor.stop();
    assert_eq!(actor.join().await, StopReason::Normal);
    assert!(!actor.is_alive());
    assert_eq!(
        drain(&mut events),
        [
            "started",
            "work 5",
            "work 5 done",
            "stopping",
            "stopped: normal"
        ]
    );
}

#[test]
fn the_stop_reason_displays_readably() {
    assert_eq!(StopReason::Normal.to_string(), "normal");
    assert_eq!(StopReason::Shutdown.to_string(), "shutdown");
    assert_eq!(StopReason::Killed.to_string(), "killed");
    assert_eq!(StopReason::failed("oops").to_string(), "failed: oops");
    assert!(StopReason::failed("oops").is_failure());
    assert!(!StopReason::Killed.is_failure());
}
