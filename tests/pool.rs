//! Seed scenario 2: a pool of workers. Five tasks on four workers: four run
//! at once and the fifth starts only after one of them finished; results come
//! back through handles, in input order from `map` and in completion order
//! from `map_unordered`; a callback runs on the submitter's side before the
//! handle is ready, and `submit_notify` makes the submitting actor's handler
//! the callback; `close` refuses new tasks (handing them back) and `join`
//! waits for the rest; `terminate` fails pending and running handles; a task
//! that panics fails only its own handle, and its worker is restarted; a
//! dropped pool still finishes what it was given.

use std::collections::BTreeSet;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor::pool::{current_worker, Pool, TaskDone, TaskHandle, TaskId};
use actor::prelude::*;
use actor_test_support::{poll_once, quiet_deliberate_panics, DELIBERATE};
use tokio::sync::{mpsc, oneshot};

/// What tasks report, in the order it happened.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, event: String) {
        self.0.lock().expect("log poisoned").push(event);
    }

    fn events(&self) -> Vec<String> {
        self.0.lock().expect("log poisoned").clone()
    }

    fn position(&self, event: &str) -> usize {
        self.events()
            .iter()
            .position(|e| e == event)
            .unwrap_or_else(|| panic!("{event:?} not in the log {:?}", self.events()))
    }
}

/// How many tasks run now, and the most that ever ran at once.
#[derive(Clone, Default)]
struct Concurrency {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

impl Concurrency {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

/// A closure task that announces its start, blocks its thread until
/// released (as the seed's `time.sleep`), and returns `n * n`.
fn gated_task(
    n: u64,
    log: &Log,
    concurrency: &Concurrency,
    started: &mpsc::UnboundedSender<u64>,
) -> (impl FnOnce() -> u64 + Send + 'static, oneshot::Sender<()>) {
    let (release, released) = oneshot::channel::<()>();
    let (log, concurrency, started) = (log.clone(), concurrency.clone(), started.clone());
    let task = move || {
        concurrency.enter();
        log.push(format!("start {n}"));
        let _ = started.send(n);
        // Released, or the test dropped the sender: either way, finish.
        let _ = released.blocking_recv();
        log.push(format!("end {n}"));
        concurrency.leave();
        n * n
    };
    (task, release)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_tasks_on_four_workers_the_fifth_waits_for_a_free_worker() -> Result<(), PoolError> {
    let pool = Pool::new(4);
    let (log, concurrency) = (Log::default(), Concurrency::default());
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let mut handles = Vec::new();
    let mut releases = Vec::new();
    for n in 0..5 {
        let (task, release) = gated_task(n, &log, &concurrency, &started_tx);
        handles.push(pool.submit(task)?);
        releases.push(Some(release));
    }

    // The first four start at once (in whatever order their threads run).
    let mut first = BTreeSet::new();
    for _ in 0..4 {
        first.insert(started.recv().await.expect("a task started"));
    }
    assert_eq!(first, BTreeSet::from([0, 1, 2, 3]));
    // The fifth waits: the pool holds it, with every worker busy.
    let stats = pool.stats().await?;
    assert_eq!((stats.running, stats.queued), (4, 1));
    assert!(started.try_recv().is_err(), "task 4 started too early");
    assert!(!handles[4].is_ready());

    // Task 2 finishes; its worker takes task 4.
    releases[2].take().expect("not released yet").send(()).ok();
    assert_eq!(started.recv().await, Some(4));
    assert!(log.position("end 2") < log.position("start 4"));
    for release in releases.iter_mut().filter_map(Option::take) {
        let _ = release.send(());
    }

    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await?);
    }
    assert_eq!(results, vec![0, 1, 4, 9, 16]);
    assert_eq!(
        concurrency.max(),
        4,
        "at most four ran at once, and four did"
    );
    pool.close();
    pool.join().await?;
    let stats = pool.stats().await?;
    assert_eq!((stats.completed, stats.failed, stats.running), (5, 0, 0));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_returns_input_order_map_unordered_completion_order() -> Result<(), PoolError> {
    let pool = Pool::new(4);
    // Each item's task waits for its own release, so the test decides the
    // order in which they finish: 3, 2, 1, 0.
    let releases: Vec<_> = (0..4).map(|_| oneshot::channel::<()>()).collect();
    let (senders, receivers): (Vec<_>, Vec<_>) = releases.into_iter().unzip();
    let (done_tx, mut done) = mpsc::unbounded_channel();
    let gated = move |(n, released): (u64, oneshot::Receiver<()>)| {
        let _ = released.blocking_recv();
        let _ = done_tx.send(n);
        n * 10
    };

    let mapping = {
        let pool = pool.clone();
        let gated = gated.clone();
        let items: Vec<_> = (0..4).zip(receivers).collect();
        tokio::spawn(async move { pool.map(items, gated).await })
    };
    for (n, release) in senders.into_iter().enumerate().rev() {
        release.send(()).ok();
        assert_eq!(done.recv().await, Some(n as u64));
    }
    let mapped = mapping.await.expect("map task")?;
    assert_eq!(mapped, vec![0, 10, 20, 30], "map keeps input order");

    let (senders, receivers): (Vec<_>, Vec<_>) = (0..4).map(|_| oneshot::channel::<()>()).unzip();
    let mut unordered = pool.map_unordered((0..4).zip(receivers), gated)?;
    assert_eq!(unordered.remaining(), 4);
    let mut order = Vec::new();
    for (n, release) in senders.into_iter().enumerate().rev() {
        release.send(()).ok();
        let (index, result) = unordered.next().await.expect("a result");
        assert_eq!(result?, n as u64 * 10);
        order.push(index);
    }
    assert_eq!(
        order,
        vec![3, 2, 1, 0],
        "map_unordered yields as they finish"
    );
    assert!(unordered.next().await.is_none());
    Ok(())
}

#[tokio::test]
async fn apply_and_futures_run_on_workers() -> Result<(), PoolError> {
    let pool = Pool::new(2);
    let outside = current_worker();
    let on_closure = pool.apply(current_worker).await?;
    let on_future = pool.submit_future(async { current_worker() })?.await?;
    assert_eq!(outside, None);
    assert!(on_closure.is_some_and(|w| w.name() == "PoolWorker"));
    assert!(on_future.is_some_and(|w| w.name() == "PoolWorker"));
    assert_eq!(pool.apply(|| 6 * 7).await?, 42);
    Ok(())
}

#[tokio::test]
async fn a_callback_runs_on_the_submitting_side_before_the_handle_is_ready() -> Result<(), PoolError>
{
    quiet_deliberate_panics();
    let pool = Pool::new(2);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = |seen: &Arc<Mutex<Vec<String>>>| {
        let seen = seen.clone();
        move |result: &Result<u32, PoolError>| {
            // Not on a worker: the pool's delivery runs it.
            assert_eq!(current_worker(), None);
            let text = match result {
                Ok(v) => format!("ok {v}"),
                Err(PoolError::TaskFailed { .. }) => "task failed".to_owned(),
                Err(e) => format!("other error {e}"),
            };
            seen.lock().expect("poisoned").push(text);
        }
    };
    let ok = pool.submit_with_callback(|| 7, record(&seen))?;
    ok.wait().await;
    assert_eq!(*seen.lock().expect("poisoned"), vec!["ok 7"]);
    assert_eq!(ok.is_successful(), Some(true));
    assert_eq!(ok.await?, 7, "the value is still the handle's");

    let failing = pool.submit_with_callback(|| -> u32 { panic!("{DELIBERATE}") }, record(&seen))?;
    failing.wait().await;
    assert_eq!(seen.lock().expect("poisoned")[1], "task failed");
    assert_eq!(failing.is_successful(), Some(false));
    Ok(())
}

/// An actor that submits tasks and is told their outcomes: its handler for
/// `TaskDone` is the callback, run by the submitter itself.
struct Submitter {
    pool: Pool,
    results: Vec<(TaskId, u64)>,
    ran_on: Vec<Option<ActorId>>,
}

impl Actor for Submitter {}

struct SubmitSquares(u64);
impl Message for SubmitSquares {
    type Reply = Result<Vec<TaskId>, PoolError>;
}
impl Handler<SubmitSquares> for Submitter {
    async fn handle(
        &mut self,
        SubmitSquares(count): SubmitSquares,
        ctx: &mut Context<Self>,
    ) -> Result<Vec<TaskId>, PoolError> {
        let me = ctx.actor_ref().recipient::<TaskDone<u64>>();
        (0..count)
            .map(|n| {
                self.pool
                    .submit_notify(move || n * n, me.clone())
                    .map_err(PoolError::from)
            })
            .collect()
    }
}

impl Handler<TaskDone<u64>> for Submitter {
    async fn handle(&mut self, done: TaskDone<u64>, _ctx: &mut Context<Self>) {
        self.ran_on.push(current_worker());
        if let Ok(value) = done.result {
            self.results.push((done.task, value));
        }
    }
}

struct Results;
impl Message for Results {
    type Reply = (Vec<(TaskId, u64)>, Vec<Option<ActorId>>);
}
impl Handler<Results> for Submitter {
    async fn handle(
        &mut self,
        _: Results,
        _ctx: &mut Context<Self>,
    ) -> (Vec<(TaskId, u64)>, Vec<Option<ActorId>>) {
        (self.results.clone(), self.ran_on.clone())
    }
}

#[tokio::test]
async fn submit_notify_makes_the_submitting_actors_handler_the_callback() -> Result<(), PoolError> {
    let pool = Pool::new(3);
    let submitter = spawn(Submitter {
        pool: pool.clone(),
        results: Vec::new(),
        ran_on: Vec::new(),
    });
    let ids = submitter.ask(SubmitSquares(5)).await??;
    pool.close();
    // Every TaskDone is in the submitter's mailbox once join returns, ahead
    // of the question below.
    pool.join().await?;
    let (mut results, ran_on) = submitter.ask(Results).await?;
    results.sort();
    let expected: Vec<_> = ids.into_iter().zip([0, 1, 4, 9, 16]).collect();
    assert_eq!(results, expected);
    assert_eq!(ran_on, vec![None; 5], "the callbacks ran in the submitter");
    Ok(())
}

#[tokio::test]
async fn close_refuses_new_tasks_and_join_waits_for_the_submitted_ones() -> Result<(), PoolError> {
    let pool = Pool::new(2);
    assert!(matches!(
        pool.join().await,
        Err(PoolError::NotClosed { pool: id }) if id == pool.id()
    ));
    let (release, released) = oneshot::channel::<()>();
    let held = pool.submit(move || released.blocking_recv().is_ok())?;
    let quick: Vec<TaskHandle<u32>> = (0..4)
        .map(|n| pool.submit(move || n))
        .collect::<Result<_, _>>()?;

    pool.close();
    assert!(pool.is_closed());
    let refused = pool.submit(|| 99).expect_err("a closed pool refuses tasks");
    assert!(matches!(refused.error, PoolError::Closed { .. }));
    assert_eq!((refused.message)(), 99, "the task is handed back");

    // The held task keeps join waiting.
    let mut joining = pin!(pool.join());
    assert!(poll_once(joining.as_mut()).await.is_pending());
    assert!(!held.is_ready());
    release.send(()).ok();
    joining.await?;
    assert!(held.is_ready());
    assert!(held.await?);
    for (n, handle) in (0..4).zip(quick) {
        assert!(handle.is_ready(), "join returned before task {n} was done");
        assert_eq!(handle.await?, n);
    }
    Ok(())
}

/// Sends on `dropped` when the future it lives in is dropped.
struct DropSignal(Option<oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(signal) = self.0.take() {
            let _ = signal.send(());
        }
    }
}

#[tokio::test]
async fn terminate_fails_pending_and_running_handles_at_once() -> Result<(), PoolError> {
    let pool = Pool::new(2);
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let mut dropped = Vec::new();
    let mut running = Vec::new();
    for n in 0..2 {
        let (signal, on_drop) = oneshot::channel();
        dropped.push(on_drop);
        let started_tx = started_tx.clone();
        running.push(pool.submit_future(async move {
            let _guard = DropSignal(Some(signal));
            let _ = started_tx.send(n);
            std::future::pending::<u32>().await
        })?);
    }
    let queued: Vec<_> = (0..3)
        .map(|n| pool.submit(move || n))
        .collect::<Result<_, _>>()?;
    started.recv().await;
    started.recv().await;

    pool.terminate().await;
    for on_drop in dropped {
        on_drop.await.expect("the running future was dropped");
    }
    for handle in running.into_iter().chain(queued) {
        let task = handle.id();
        assert!(
            matches!(handle.await, Err(PoolError::Terminated { task: t, .. }) if t == task),
            "task {task} should have failed with PoolTerminated"
        );
    }
    assert!(pool.is_closed());
    let refused = pool.submit(|| 1).expect_err("terminated");
    assert!(matches!(refused.error, PoolError::Closed { .. }));
    assert!(pool.stats().await.is_err(), "the pool has ended");
    pool.join().await?;
    Ok(())
}

#[tokio::test]
async fn a_panicking_task_fails_only_its_handle_and_its_worker_is_restarted(
) -> Result<(), PoolError> {
    quiet_deliberate_panics();
    // One worker: the task queued behind the panicking one can only run on
    // the restarted worker.
    let pool = Pool::new(1);
    let doomed = pool.submit(|| -> u32 { panic!("{DELIBERATE}: bad input") })?;
    let next = pool.submit(current_worker)?;
    let Err(PoolError::TaskFailed {
        task,
        worker,
        reason,
        ..
    }) = doomed.result().await
    else {
        panic!("the panicking task should report TaskFailed");
    };
    assert_eq!(task.as_u64(), 1);
    assert!(reason.to_string().contains("bad input"), "{reason}");
    assert_eq!(next.await?, Some(worker), "the same worker, restarted");
    let stats = pool.stats().await?;
    assert_eq!((stats.completed, stats.failed), (1, 1));
    assert_eq!(pool.apply(|| 5).await?, 5);
    Ok(())
}

#[tokio::test]
async fn a_dropped_pool_still_finishes_what_it_was_given() -> Result<(), PoolError> {
    let pool = Pool::new(1);
    let (release, released) = oneshot::channel::<()>();
    let first = pool.submit(move || released.blocking_recv().is_ok())?;
    let second = pool.submit(|| 2)?;
    drop(pool);
    release.send(()).ok();
    assert!(first.await?);
    assert_eq!(second.await?, 2);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_handle_can_be_polled_and_waited_on_with_a_time_limit() -> Result<(), PoolError> {
    let pool = Pool::new(1);
    let slow = pool.submit_future(async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        "done"
    })?;
    assert!(!slow.is_ready());
    assert_eq!(slow.is_successful(), None);
    assert!(!slow.wait_timeout(Duration::from_secs(1)).await);
    assert!(!slow.is_ready(), "still usable after a timeout");
    assert!(slow.wait_timeout(Duration::from_secs(20)).await);
    assert_eq!(slow.is_successful(), Some(true));
    assert_eq!(slow.await?, "done");
    Ok(())
}
