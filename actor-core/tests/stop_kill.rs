//! Stopping versus killing. `stop` refuses new messages, handles every queued
//! one, runs `stopping` and `stopped`, and ends with [`StopReason::Normal`].
//! `kill` interrupts a handler that is blocked forever, drops the queued
//! messages unhandled (their askers get [`Error::NotHandled`] with reason
//! `Killed`), skips `stopping`, runs `stopped`, and ends with
//! [`StopReason::Killed`]. `Context::stop` ends the actor after the current
//! handler without handling the queue. `kill` also interrupts an actor that
//! is waiting in its `started` or `stopping` hook, which then ends `Killed`.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actor_core::prelude::*;
use actor_test_support::{drain, gate, poll_once, Gate, GateKey};
use tokio::sync::{mpsc, oneshot};

/// Reports everything that happens to it on a channel, as text.
struct Worker {
    events: mpsc::UnboundedSender<String>,
}

impl Actor for Worker {
    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        let _ = self.events.send("stopping".into());
    }

    async fn stopped(&mut self, reason: &StopReason) {
        let _ = self.events.send(format!("stopped: {reason}"));
    }
}

/// A job; counts its drops so that unhandled jobs can be counted too.
struct Job {
    n: u32,
    drops: Arc<AtomicUsize>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

impl Message for Job {
    type Reply = u32;
}

impl Handler<Job> for Worker {
    async fn handle(&mut self, job: Job, _ctx: &mut Context<Self>) -> u32 {
        let _ = self.events.send(format!("job {}", job.n));
        job.n
    }
}

/// Holds the actor in its handler until the gate opens.
struct Hold(Gate);
impl Message for Hold {
    type Reply = ();
}
impl Handler<Hold> for Worker {
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        gate.pass().await;
    }
}

/// Reports on drop: shows that an interrupted handler's future was dropped.
struct DropSignal(Option<oneshot::Sender<()>>);
impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(signal) = self.0.take() {
            let _ = signal.send(());
        }
    }
}

/// Announces itself, then never completes.
struct Stuck {
    entered: oneshot::Sender<()>,
    dropped: DropSignal,
}
impl Message for Stuck {
    type Reply = ();
}
impl Handler<Stuck> for Worker {
    async fn handle(&mut self, stuck: Stuck, _ctx: &mut Context<Self>) {
        let Stuck { entered, dropped } = stuck;
        let _ = entered.send(());
        let _guard = dropped;
        std::future::pending::<()>().await;
        let _ = self.events.send("the stuck handler completed".into());
    }
}

/// Stops the actor from inside, then replies.
struct StopYourself;
impl Message for StopYourself {
    type Reply = &'static str;
}
impl Handler<StopYourself> for Worker {
    async fn handle(&mut self, _: StopYourself, ctx: &mut Context<Self>) -> &'static str {
        ctx.stop();
        let _ = self.events.send("stop requested".into());
        "stopping after this"
    }
}

fn worker() -> (ActorRef<Worker>, mpsc::UnboundedReceiver<String>) {
    let (events, rx) = mpsc::unbounded_channel();
    (spawn(Worker { events }), rx)
}

fn job(n: u32, drops: &Arc<AtomicUsize>) -> Job {
    Job {
        n,
        drops: drops.clone(),
    }
}

async fn held_worker() -> (ActorRef<Worker>, mpsc::UnboundedReceiver<String>, GateKey) {
    let (worker, events) = worker();
    let (gate, mut key) = gate();
    worker.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    (worker, events, key)
}

#[tokio::test]
async fn stop_handles_every_queued_message_then_ends_normally() {
    let (worker, mut events, key) = held_worker().await;
    let drops = Arc::new(AtomicUsize::new(0));
    for n in 0..10 {
        worker.tell(job(n, &drops)).await.unwrap();
    }
    let mut asked = pin!(worker.ask(job(10, &drops)));
    assert!(poll_once(asked.as_mut()).await.is_pending());

    worker.stop();
    let refused = worker.try_tell(job(99, &drops)).expect_err("stopping");
    assert_eq!(refused.error, Error::Stopped { actor: worker.id() });
    drop(refused);

    key.open();
    assert_eq!(asked.await, Ok(10), "a queued ask is answered");
    assert_eq!(worker.join().await, StopReason::Normal);

    let mut expected: Vec<String> = (0..=10).map(|n| format!("job {n}")).collect();
    expected.push("stopping".into());
    expected.push("stopped: normal".into());
    assert_eq!(drain(&mut events), expected);
}

#[tokio::test]
async fn kill_interrupts_a_blocked_handler_and_drops_the_queue_unhandled() {
    let (worker, mut events) = worker();
    let (entered, entered_rx) = oneshot::channel();
    let (dropped, dropped_rx) = oneshot::channel();
    let mut stuck = pin!(worker.ask(Stuck {
        entered,
        dropped: DropSignal(Some(dropped)),
    }));
    assert!(poll_once(stuck.as_mut()).await.is_pending());
    entered_rx.await.unwrap();

    let drops = Arc::new(AtomicUsize::new(0));
    for n in 0..5 {
        worker.tell(job(n, &drops)).await.unwrap();
    }
    let mut asked_a = pin!(worker.ask(job(5, &drops)));
    let mut asked_b = pin!(worker.ask(job(6, &drops)));
    assert!(poll_once(asked_a.as_mut()).await.is_pending());
    assert!(poll_once(asked_b.as_mut()).await.is_pending());

    worker.kill();
    assert_eq!(worker.join().await, StopReason::Killed);
    dropped_rx
        .await
        .expect("the interrupted handler's future was dropped");

    let not_handled = Err(Error::NotHandled {
        actor: worker.id(),
        reason: StopReason::Killed,
    });
    assert_eq!(
        stuck.await,
        not_handled,
        "the asker of the interrupted message"
    );
    assert_eq!(asked_a.await, not_handled.clone().map(|()| 0));
    assert_eq!(asked_b.await, not_handled.map(|()| 0));

    assert_eq!(
        drain(&mut events),
        vec!["stopped: killed".to_owned()],
        "no job handled, `stopping` skipped, `stopped` run"
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        7,
        "all 7 queued jobs were dropped (once each) without being handled"
    );
}

#[tokio::test]
async fn kill_of_an_idle_actor_ends_it_with_killed() {
    let (worker, mut events) = worker();
    assert_eq!(worker.ask(job(1, &Arc::default())).await, Ok(1));
    worker.kill();
    assert_eq!(worker.join().await, StopReason::Killed);
    assert!(!worker.is_alive());
    assert_eq!(
        drain(&mut events),
        vec!["job 1".to_owned(), "stopped: killed".to_owned()]
    );
}

#[tokio::test]
async fn kill_after_stop_drops_what_stop_would_have_handled() {
    let (worker, mut events, key) = held_worker().await;
    let drops = Arc::new(AtomicUsize::new(0));
    for n in 0..3 {
        worker.tell(job(n, &drops)).await.unwrap();
    }
    worker.stop();
    worker.kill();
    drop(key); // the held handler may continue; it is dropped anyway
    assert_eq!(worker.join().await, StopReason::Killed);
    assert_eq!(drain(&mut events), vec!["stopped: killed".to_owned()]);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn stopping_or_killing_an_ended_actor_changes_nothing() {
    let (worker, _events) = worker();
    worker.stop();
    worker.stop();
    assert_eq!(worker.join().await, StopReason::Normal);
    worker.kill();
    worker.stop();
    assert_eq!(worker.join().await, StopReason::Normal);
}

#[tokio::test]
async fn every_joiner_learns_the_same_reason() {
    let (worker, _events, key) = held_worker().await;
    let joiners: Vec<_> = (0..10)
        .map(|_| {
            let worker = worker.clone();
            tokio::spawn(async move { worker.join().await })
        })
        .collect();
    worker.kill();
    drop(key);
    for joiner in joiners {
        assert_eq!(joiner.await.unwrap(), StopReason::Killed);
    }
}

#[tokio::test]
async fn context_stop_ends_the_actor_after_the_current_handler_leaving_the_queue() {
    let (worker, mut events, key) = held_worker().await;
    let drops = Arc::new(AtomicUsize::new(0));
    let mut stop_yourself = pin!(worker.ask(StopYourself));
    let mut queued = pin!(worker.ask(job(1, &drops)));
    assert!(poll_once(stop_yourself.as_mut()).await.is_pending());
    assert!(poll_once(queued.as_mut()).await.is_pending());
    worker.tell(job(2, &drops)).await.unwrap();

    key.open();
    assert_eq!(stop_yourself.await, Ok("stopping after this"));
    assert_eq!(
        queued.await,
        Err(Error::NotHandled {
            actor: worker.id(),
            reason: StopReason::Normal
        })
    );
    assert_eq!(worker.join().await, StopReason::Normal);
    assert_eq!(
        drain(&mut events),
        vec!["stop requested", "stopping", "stopped: normal"]
    );
    assert_eq!(drops.load(Ordering::SeqCst), 2, "both queued jobs dropped");
}

/// An actor whose `started` or `stopping` hook waits for a gate that the test
/// never opens.
struct HangsInHook {
    in_started: Option<Gate>,
    in_stopping: Option<Gate>,
}

impl Actor for HangsInHook {
    async fn started(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        if let Some(gate) = self.in_started.take() {
            gate.pass().await;
        }
        Ok(())
    }

    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        if let Some(gate) = self.in_stopping.take() {
            gate.pass().await;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn kill_interrupts_an_actor_waiting_in_started() {
    let (gate, mut key) = gate();
    let actor = spawn(HangsInHook {
        in_started: Some(gate),
        in_stopping: None,
    });
    key.entered().await;
    actor.kill();
    // Under the paused clock, a join that can never finish makes the timeout
    // fire at once rather than hanging the test.
    let reason = tokio::time::timeout(Duration::from_secs(3600), actor.join()).await;
    assert_eq!(reason, Ok(StopReason::Killed));
    drop(key);
}

#[tokio::test(start_paused = true)]
async fn kill_interrupts_an_actor_waiting_in_stopping() {
    let (gate, mut key) = gate();
    let actor = spawn(HangsInHook {
        in_started: None,
        in_stopping: Some(gate),
    });
    actor.stop();
    key.entered().await;
    actor.kill();
    let reason = tokio::time::timeout(Duration::from_secs(3600), actor.join()).await;
    assert_eq!(reason, Ok(StopReason::Killed));
    drop(key);
}
