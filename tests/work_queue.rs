//! Work queues (seed scenario 4): items acknowledged by their consumers,
//! `join` when all are, and at-least-once redelivery of an item whose
//! consumer stopped or failed before acknowledging it.
//!
//! The story of `examples/work_queue.rs` (on tokio's paused clock), then each
//! property on its own.

use std::pin::pin;

use actor::prelude::*;
use actor::queue::Queue;
use actor::work_queue::{WorkItem, WorkQueue};
use actor_test_support::{poll_once, quiet_panics_where};

#[allow(dead_code)]
#[path = "../examples/work_queue.rs"]
mod example;

/// Keeps the deliberate panics of these tests and of the example (their
/// messages say "deliberately" or "choked") out of the output; any other
/// panic is reported as usual.
fn quiet_panics() {
    quiet_panics_where(|message| message.contains("choked") || message.contains("deliberately"));
}

#[tokio::test(start_paused = true)]
async fn the_story_producers_join_and_the_bowl_tom_choked_on_is_eaten_by_sam() {
    quiet_panics();
    let config = example::Config::default();
    let report = example::run(config).await.expect("the scenario runs");

    // Every bowl made is acknowledged exactly once.
    assert_eq!(report.made.len(), 20);
    let mut made = report.made.clone();
    let mut eaten: Vec<_> = report.eaten.iter().map(|e| e.bowl.clone()).collect();
    made.sort();
    eaten.sort();
    assert_eq!(made, eaten);

    // Tom failed before acknowledging; his bowl came back and Sam ate it on
    // its second delivery. Nothing else was delivered twice.
    let again: Vec<_> = report.eaten.iter().filter(|e| e.delivery > 1).collect();
    assert_eq!(again.len(), 1, "{report:?}");
    assert_eq!((again[0].by, again[0].delivery), ("Sam", 2));
    let (_, tom) = &report.consumers[1];
    assert!(
        matches!(tom, Err(QueueError::Actor(Error::Failed { .. }))),
        "{tom:?}"
    );
    let (_, sam) = &report.consumers[0];
    let by_tom = report.eaten.iter().filter(|e| e.by == "Tom").count();
    assert_eq!(sam.as_ref().ok(), Some(&(20 - by_tom)));

    // The producers' join() returned only when nothing was waiting or held.
    assert_eq!(report.left_after_join, (0, 0));
}

#[tokio::test]
async fn join_resolves_only_once_every_item_put_is_acknowledged() {
    let queue = WorkQueue::unbounded();
    // Nothing put yet: join returns at once.
    queue.join().await.expect("alive");

    for n in 1..=3 {
        queue.put(n).await.expect("unbounded");
    }
    let mut join = pin!(queue.join());
    assert!(poll_once(join.as_mut()).await.is_pending());

    let items = [
        queue.get().await.expect("item"),
        queue.get().await.expect("item"),
        queue.get().await.expect("item"),
    ];
    let [first, second, third] = items;
    assert_eq!((*first, *second, *third), (1, 2, 3));
    first.done().await.expect("held");
    second.done().await.expect("held");
    // Taken is not enough: one is still held.
    queue.status().await.expect("alive");
    assert!(poll_once(join.as_mut()).await.is_pending());
    assert_eq!(queue.status().await.expect("alive").held, 1);

    third.done().await.expect("held");
    join.await.expect("joined");
    let status = queue.status().await.expect("alive");
    assert_eq!((status.len, status.held), (0, 0));
}

#[tokio::test]
async fn acknowledging_more_than_was_taken_is_an_error() {
    let queue = WorkQueue::unbounded();
    queue.put("job").await.expect("unbounded");
    let item = queue.get().await.expect("item");
    let id = item.id();

    queue
        .task_done(id)
        .await
        .expect("held, so this acknowledges it");
    let not_taken = QueueError::NotTaken {
        queue: queue.id(),
        item: id,
    };
    assert_eq!(queue.task_done(id).await, Err(not_taken.clone()));
    // The lease itself can no longer acknowledge it either...
    assert_eq!(item.done().await, Err(not_taken));
    // ...and nothing came back to the queue.
    let status = queue.status().await.expect("alive");
    assert_eq!((status.len, status.held), (0, 0));
    queue.join().await.expect("joined");
}

#[tokio::test]
async fn a_lease_dropped_without_done_goes_back_to_the_front_and_is_delivered_again() {
    let queue = WorkQueue::unbounded();
    queue.put("a").await.expect("unbounded");
    queue.put("b").await.expect("unbounded");

    let a = queue.get().await.expect("item");
    assert_eq!((*a, a.deliveries()), ("a", 1));
    let id = a.id();
    drop(a);

    let again = queue.get().await.expect("item");
    assert_eq!((*again, again.id(), again.deliveries()), ("a", id, 2));
    again.done().await.expect("held");
    let b = queue.get().await.expect("item");
    assert_eq!((*b, b.deliveries()), ("b", 1));
    b.release(); // the explicit form of dropping it
    let b = queue.get().await.expect("item");
    assert_eq!((*b, b.deliveries()), ("b", 2));
    b.done().await.expect("held");
    queue.join().await.expect("joined");
}

/// A consumer actor for the failure tests: each `Work` takes items until
/// the queue is closed and acknowledges them, logging each on `log`; it
/// panics in the middle of its `fail_on`-th item, before acknowledging it,
/// after reporting the item on `failed`.
#[derive(Actor)]
struct Worker {
    name: &'static str,
    queue: WorkQueue<u32>,
    log: Queue<(&'static str, u32, u32)>,
    failed: Queue<u32>,
    fail_on: Option<usize>,
    taken: usize,
    /// A lease kept in the actor's state (see `Hold`).
    held: Option<WorkItem<u32>>,
}

#[messages]
impl Worker {
    #[message]
    async fn work(&mut self) -> Result<(), QueueError> {
        loop {
            let item = match self.queue.get().await {
                Ok(item) => item,
                Err(QueueError::Closed { .. }) => return Ok(()),
                Err(other) => return Err(other),
            };
            self.taken += 1;
            tokio::task::yield_now().await; // "processing"
            if self.fail_on == Some(self.taken) {
                self.failed.put(*item).await.map_err(|e| e.error)?;
                panic!(
                    "{} deliberately fails in the middle of item {}",
                    self.name, *item
                );
            }
            let entry = (self.name, *item, item.deliveries());
            item.done().await?;
            self.log.put(entry).await.map_err(|e| e.error)?;
        }
    }

    /// Takes one item and keeps its lease in the actor's state.
    #[message]
    async fn hold(&mut self) -> Result<u32, QueueError> {
        let item = self.queue.get().await?;
        let value = *item;
        self.held = Some(item);
        Ok(value)
    }
}

fn worker(
    name: &'static str,
    queue: &WorkQueue<u32>,
    log: &Queue<(&'static str, u32, u32)>,
    fail_on: Option<usize>,
) -> ActorRef<Worker> {
    spawn(Worker {
        name,
        queue: queue.clone(),
        log: log.clone(),
        failed: Queue::unbounded(),
        fail_on,
        taken: 0,
        held: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_whose_consumer_panics_mid_item_is_redelivered_none_lost_none_acknowledged_twice() {
    quiet_panics();
    const ITEMS: u32 = 200;
    let queue = WorkQueue::bounded(8);
    let log = Queue::unbounded();
    let failed = Queue::unbounded();
    let failing = spawn(Worker {
        name: "fails-on-its-2nd",
        queue: queue.clone(),
        log: log.clone(),
        failed: failed.clone(),
        fail_on: Some(2),
        taken: 0,
        held: None,
    });
    let workers = [
        worker("steady-1", &queue, &log, None),
        failing,
        worker("steady-2", &queue, &log, None),
    ];
    let runs: Vec<_> = workers
        .iter()
        .map(|w| {
            let w = w.clone();
            tokio::spawn(async move { w.ask(Work).await })
        })
        .collect();
    for n in 0..ITEMS {
        queue.put(n).await.expect("open");
    }
    queue.join().await.expect("every item acknowledged");
    queue.close().await;

    let mut outcomes = Vec::new();
    // (The failing worker's ask fails with its panic; the others end when
    // the queue is closed and nothing is held.)
    for run in runs {
        outcomes.push(run.await.expect("ask task ran"));
    }
    assert!(matches!(outcomes[0], Ok(Ok(()))), "{outcomes:?}");
    assert!(
        matches!(&outcomes[1], Err(Error::Failed { .. })),
        "{outcomes:?}"
    );
    assert!(matches!(outcomes[2], Ok(Ok(()))), "{outcomes:?}");

    log.close().await;
    let mut acknowledged = Vec::new();
    while let Ok(entry) = log.get().await {
        acknowledged.push(entry);
    }
    let mut items: Vec<_> = acknowledged.iter().map(|(_, n, _)| *n).collect();
    items.sort_unstable();
    assert_eq!(
        items,
        (0..ITEMS).collect::<Vec<_>>(),
        "each item acknowledged once"
    );
    let failed_on = failed
        .try_get()
        .await
        .expect("the failing worker reported its item");
    let redelivered = acknowledged.iter().find(|(_, n, _)| *n == failed_on);
    assert!(
        matches!(redelivered, Some((by, _, 2)) if by.starts_with("steady")),
        "item {failed_on} was delivered again to a steady worker: {redelivered:?}"
    );
    assert!(acknowledged
        .iter()
        .all(|(_, n, d)| *n == failed_on || *d == 1));
}

#[tokio::test]
async fn an_item_held_by_a_consumer_that_is_killed_or_stopped_is_redelivered() {
    let queue = WorkQueue::unbounded();
    let log = Queue::unbounded();
    queue.put(1).await.expect("unbounded");
    queue.put(2).await.expect("unbounded");

    let killed = worker("killed", &queue, &log, None);
    assert_eq!(killed.ask(Hold).await, Ok(Ok(1)));
    let stopped = worker("stopped", &queue, &log, None);
    assert_eq!(stopped.ask(Hold).await, Ok(Ok(2)));
    assert_eq!(queue.status().await.expect("alive").held, 2);

    killed.kill();
    let first = queue.get().await.expect("item 1 comes back");
    assert_eq!((*first, first.deliveries()), (1, 2));
    stopped.stop();
    let second = queue.get().await.expect("item 2 comes back");
    assert_eq!((*second, second.deliveries()), (2, 2));
    first.done().await.expect("held");
    second.done().await.expect("held");
    queue.join().await.expect("joined");
}

#[tokio::test]
async fn a_closed_work_queue_keeps_consumers_waiting_while_an_item_may_come_back() {
    let queue = WorkQueue::unbounded();
    queue.put("a").await.expect("unbounded");
    queue.put("b").await.expect("unbounded");
    let a = queue.get().await.expect("item");
    let b = queue.get().await.expect("item");
    queue.close().await;
    assert!(queue.put("c").await.is_err(), "closed to producers");

    let mut waiting = pin!(queue.get());
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    // "b" fails: it comes back, and the waiting consumer gets it.
    drop(b);
    let b = waiting.await.expect("b is delivered again");
    assert_eq!((*b, b.deliveries()), ("b", 2));

    let mut waiting = pin!(queue.get());
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    a.done().await.expect("held");
    queue.status().await.expect("alive");
    assert!(
        poll_once(waiting.as_mut()).await.is_pending(),
        "b is still held"
    );
    b.done().await.expect("held");
    assert_eq!(
        waiting.await.err(),
        Some(QueueError::Closed { queue: queue.id() })
    );
}

#[tokio::test(start_paused = true)]
async fn timeouts_and_non_waiting_variants_leave_nothing_held() {
    let queue: WorkQueue<u8> = WorkQueue::bounded(1);
    assert!(matches!(
        queue.try_get().await,
        Err(QueueError::Empty { .. })
    ));
    assert!(matches!(
        queue
            .get_timeout(std::time::Duration::from_millis(10))
            .await,
        Err(QueueError::Timeout { .. })
    ));
    queue.put(1).await.expect("room");
    let full = queue.try_put(2).await.expect_err("full");
    assert_eq!(full.message, 2);
    let timed_out = queue
        .put_timeout(3, std::time::Duration::from_millis(10))
        .await
        .expect_err("full");
    assert_eq!(timed_out.message, 3);
    let status = queue.status().await.expect("alive");
    assert_eq!((status.len, status.held, status.waiting_getters), (1, 0, 0));
    assert!(queue.is_full().await.expect("alive"));
}

#[tokio::test]
async fn get_many_leases_each_item_of_the_batch() {
    let queue = WorkQueue::unbounded();
    queue.put_many(["a", "b", "c"]).await.expect("unbounded");
    let mut batch = queue.get_many(5).await.expect("items");
    assert_eq!(
        batch.iter().map(|item| **item).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(queue.status().await.expect("alive").held, 3);
    let dropped = batch.remove(1);
    drop(dropped); // given back, delivered again
    for item in batch {
        item.done().await.expect("acknowledged");
    }
    let again = queue.get().await.expect("redelivered");
    assert_eq!((*again, again.deliveries()), ("b", 2));
    again.done().await.expect("acknowledged");
    queue.join().await.expect("all acknowledged");
}
