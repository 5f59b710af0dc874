//! Queues (seed scenario 3): producers and consumers through a queue actor.
//!
//! The story of `examples/producer_consumer.rs` (run here on tokio's paused
//! clock, so its naps take no real time), then each property on its own:
//! `put` waits when full and `get` when empty, waiters are served first come
//! first served, timeouts and non-waiting variants, `close` with waiting
//! producers and consumers, and no item lost when a waiting call is dropped;
//! batches (`put_many`, `get_many`).

use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use actor::prelude::*;
use actor::queue::Queue;
use actor_test_support::poll_once;
use tokio::time::Instant;

#[allow(dead_code)]
#[path = "../examples/producer_consumer.rs"]
mod example;

/// The numbers in `name-N` items, for checking the order of one producer's
/// items.
fn numbers_of(items: &[&String], food: &str) -> Vec<usize> {
    items
        .iter()
        .filter_map(|item| item.strip_prefix(food)?.strip_prefix('-')?.parse().ok())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_story_two_producers_two_consumers_and_a_queue_of_ten() {
    let config = example::Config::default();
    let report = example::run(config.clone())
        .await
        .expect("the scenario runs");

    // Counts: 10 items from each producer, all eaten, each exactly once.
    assert_eq!(report.made.len(), 20);
    let mut made: Vec<_> = report.made.iter().map(|(_, item)| item.clone()).collect();
    let mut eaten: Vec<_> = report.eaten.iter().map(|(_, item)| item.clone()).collect();
    made.sort();
    eaten.sort();
    assert_eq!(made, eaten, "every item made is eaten exactly once");

    // Order: the queue is FIFO, so each consumer gets each producer's items
    // in the order they were made.
    for consumer in ["Zhang San", "Li Si"] {
        let own: Vec<_> = report
            .eaten
            .iter()
            .filter(|(by, _)| *by == consumer)
            .map(|(_, item)| item)
            .collect();
        assert!(!own.is_empty(), "{consumer} ate something");
        for food in ["biscuit", "spicy-strip"] {
            let numbers = numbers_of(&own, food);
            assert!(
                numbers.windows(2).all(|w| w[0] < w[1]),
                "{consumer} got {food}s out of order: {numbers:?}"
            );
        }
    }

    // Limits and who waited: the queue never held more than 10; the slower
    // consumers let it fill, so producers had to wait for room; both
    // consumers started on an empty queue and waited.
    assert!(report.longest <= config.capacity, "{report:?}");
    let producer_waits: usize = report.producer_waits.iter().map(|(_, n)| n).sum();
    assert!(producer_waits > 0, "no producer waited: {report:?}");
    assert!(
        report.consumer_waits.iter().all(|(_, n)| *n >= 1),
        "{report:?}"
    );
}

#[tokio::test]
async fn put_waits_while_full_and_waiting_producers_are_admitted_in_arrival_order() {
    let queue = Queue::bounded(2);
    queue.put(1).await.expect("room");
    queue.put(2).await.expect("room");
    assert!(queue.is_full().await.expect("alive"));

    let mut third = pin!(queue.put(3));
    let mut fourth = pin!(queue.put(4));
    assert!(poll_once(third.as_mut()).await.is_pending());
    assert!(poll_once(fourth.as_mut()).await.is_pending());
    let status = queue.status().await.expect("alive");
    assert_eq!((status.len, status.waiting_putters), (2, 2));

    // One item out makes room for exactly one producer: the first to wait.
    assert_eq!(queue.get().await, Ok(1));
    queue.status().await.expect("alive"); // the queue has answered by now
    assert!(matches!(
        poll_once(third.as_mut()).await,
        Poll::Ready(Ok(()))
    ));
    assert!(poll_once(fourth.as_mut()).await.is_pending());

    assert_eq!(queue.get().await, Ok(2));
    assert!(fourth.await.is_ok());
    assert_eq!(queue.get().await, Ok(3));
    assert_eq!(queue.get().await, Ok(4));
    assert!(queue.is_empty().await.expect("alive"));
}

#[tokio::test]
async fn get_waits_while_empty_and_waiting_consumers_are_served_in_arrival_order() {
    let queue = Queue::unbounded();
    let mut first = pin!(queue.get());
    let mut second = pin!(queue.get());
    let mut third = pin!(queue.get());
    // Arrival order is the order in which they reach the queue, not the
    // order in which the futures were made.
    assert!(poll_once(second.as_mut()).await.is_pending());
    assert!(poll_once(first.as_mut()).await.is_pending());
    assert!(poll_once(third.as_mut()).await.is_pending());
    assert_eq!(queue.status().await.expect("alive").waiting_getters, 3);

    for item in ["a", "b", "c"] {
        queue.put(item).await.expect("unbounded");
    }
    assert_eq!(second.await, Ok("a"));
    assert_eq!(first.await, Ok("b"));
    assert_eq!(third.await, Ok("c"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_producers_and_consumers_each_item_once_in_order_per_producer() {
    const PRODUCERS: u32 = 4;
    const ITEMS: u32 = 500;
    let queue = Queue::bounded(5);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = queue.clone();
            tokio::spawn(async move {
                for n in 0..ITEMS {
                    queue.put((p, n)).await.expect("open");
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                while let Ok(item) = queue.get().await {
                    got.push(item);
                }
                got
            })
        })
        .collect();
    for producer in producers {
        producer.await.expect("producer ran");
    }
    queue.close().await;
    let mut all = Vec::new();
    for consumer in consumers {
        let got = consumer.await.expect("consumer ran");
        for p in 0..PRODUCERS {
            let own: Vec<_> = got
                .iter()
                .filter(|(q, _)| *q == p)
                .map(|(_, n)| n)
                .collect();
            assert!(own.windows(2).all(|w| w[0] < w[1]), "out of order");
        }
        all.extend(got);
    }
    all.sort_unstable();
    let expected: Vec<_> = (0..PRODUCERS)
        .flat_map(|p| (0..ITEMS).map(move |n| (p, n)))
        .collect();
    assert_eq!(all, expected, "every item exactly once");
}

#[tokio::test(start_paused = true)]
async fn get_timeout_gives_up_after_the_time_allowed_and_leaves_no_waiter() {
    let queue: Queue<u8> = Queue::unbounded();
    let start = Instant::now();
    let timeout = Duration::from_millis(250);
    match queue.get_timeout(timeout).await {
        Err(QueueError::Timeout {
            queue: id,
            operation,
            timeout: allowed,
        }) => {
            assert_eq!(
                (id, operation, allowed),
                (queue.id(), "get_timeout", timeout)
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(start.elapsed(), timeout);
    assert_eq!(queue.status().await.expect("alive").waiting_getters, 0);
    // An item put later goes to the next consumer, not to the one that left.
    queue.put(9).await.expect("unbounded");
    assert_eq!(queue.try_get().await, Ok(9));
}

#[tokio::test(start_paused = true)]
async fn get_timeout_returns_an_item_that_comes_in_time() {
    let queue = Queue::unbounded();
    let producer = {
        let queue = queue.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(40)).await;
            queue.put("late but in time").await
        })
    };
    let start = Instant::now();
    assert_eq!(
        queue.get_timeout(Duration::from_millis(100)).await,
        Ok("late but in time")
    );
    assert_eq!(start.elapsed(), Duration::from_millis(40));
    producer.await.expect("ran").expect("put");
}

#[tokio::test(start_paused = true)]
async fn put_timeout_hands_the_item_back_and_leaves_the_queue_as_it_was() {
    let queue = Queue::bounded(1);
    queue.put("first").await.expect("room");
    let start = Instant::now();
    let refused = queue
        .put_timeout("second", Duration::from_secs(1))
        .await
        .expect_err("no room came");
    assert!(matches!(
        refused.error,
        QueueError::Timeout {
            operation: "put_timeout",
            ..
        }
    ));
    assert_eq!(refused.message, "second");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    let status = queue.status().await.expect("alive");
    assert_eq!((status.len, status.waiting_putters), (1, 0));
    assert_eq!(queue.get().await, Ok("first"));
    assert!(matches!(
        queue.try_get().await,
        Err(QueueError::Empty { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn put_timeout_succeeds_when_room_comes_in_time() {
    let queue = Queue::bounded(1);
    queue.put(1).await.expect("room");
    let consumer = {
        let queue = queue.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            queue.get().await
        })
    };
    assert!(queue
        .put_timeout(2, Duration::from_millis(100))
        .await
        .is_ok());
    assert_eq!(consumer.await.expect("ran"), Ok(1));
    assert_eq!(queue.get().await, Ok(2));
}

#[tokio::test]
async fn non_waiting_variants_answer_at_once() {
    let queue = Queue::bounded(2);
    assert!(matches!(
        queue.try_get().await,
        Err(QueueError::Empty { .. })
    ));
    assert!(queue.is_empty().await.expect("alive"));
    queue.try_put('a').await.expect("room");
    queue.try_put('b').await.expect("room");
    assert_eq!(queue.len().await, Ok(2));
    assert!(queue.is_full().await.expect("alive"));
    let refused = queue.try_put('c').await.expect_err("full");
    assert_eq!(
        refused.error,
        QueueError::Full {
            queue: queue.id(),
            capacity: 2
        }
    );
    assert_eq!(refused.message, 'c', "the item is handed back");
    assert_eq!(queue.try_get().await, Ok('a'));
    assert_eq!(queue.capacity(), Some(2));
    assert_eq!(Queue::<u8>::unbounded().capacity(), None);
    assert_eq!(Queue::<u8>::bounded(0).capacity(), Some(1));
}

#[tokio::test]
async fn close_wakes_waiting_consumers_with_closed_and_refuses_producers() {
    let queue: Queue<u32> = Queue::bounded(4);
    let mut first = pin!(queue.get());
    let mut second = pin!(queue.get());
    assert!(poll_once(first.as_mut()).await.is_pending());
    assert!(poll_once(second.as_mut()).await.is_pending());

    queue.close().await;
    let closed = QueueError::Closed { queue: queue.id() };
    assert_eq!(first.await, Err(closed.clone()));
    assert_eq!(second.await, Err(closed.clone()));
    let refused = queue.put(7).await.expect_err("closed");
    assert_eq!((refused.error, refused.message), (closed.clone(), 7));
    assert_eq!(queue.try_get().await, Err(closed));
    assert!(queue.status().await.expect("alive").closed);
}

#[tokio::test]
async fn close_refuses_waiting_producers_with_their_items_and_consumers_drain_the_rest() {
    let queue = Queue::bounded(2);
    queue.put("in-1").await.expect("room");
    queue.put("in-2").await.expect("room");
    let mut waiting_a = pin!(queue.put("waiting-a"));
    let mut waiting_b = pin!(queue.put("waiting-b"));
    assert!(poll_once(waiting_a.as_mut()).await.is_pending());
    assert!(poll_once(waiting_b.as_mut()).await.is_pending());

    queue.close().await;
    let closed = QueueError::Closed { queue: queue.id() };
    let a = waiting_a.await.expect_err("refused");
    let b = waiting_b.await.expect_err("refused");
    assert_eq!((a.error, a.message), (closed.clone(), "waiting-a"));
    assert_eq!((b.error, b.message), (closed.clone(), "waiting-b"));

    // What was in before the close is still delivered, then "closed".
    assert_eq!(queue.get().await, Ok("in-1"));
    assert_eq!(queue.get().await, Ok("in-2"));
    assert_eq!(queue.get().await, Err(closed));
}

#[tokio::test]
async fn a_get_dropped_after_the_item_was_sent_puts_it_back_at_the_front() {
    let queue = Queue::unbounded();
    {
        let mut get = pin!(queue.get());
        assert!(poll_once(get.as_mut()).await.is_pending());
        queue.put("precious").await.expect("unbounded");
        queue.put("next").await.expect("unbounded");
        // The queue has sent "precious" to this get; it is dropped unread.
        assert_eq!(queue.status().await.expect("alive").len, 1);
    }
    assert_eq!(queue.get().await, Ok("precious"));
    assert_eq!(queue.get().await, Ok("next"));
}

#[tokio::test]
async fn a_put_dropped_while_waiting_withdraws_its_item() {
    let queue = Queue::bounded(1);
    queue.put(1).await.expect("room");
    {
        let mut put = pin!(queue.put(2));
        assert!(poll_once(put.as_mut()).await.is_pending());
    }
    assert_eq!(queue.get().await, Ok(1));
    queue.put(3).await.expect("room");
    assert_eq!(queue.get().await, Ok(3));
    assert_eq!(queue.len().await, Ok(0));
}

#[tokio::test]
async fn items_with_a_lifetime_cross_spawned_tasks() {
    // `&'static str` items: the handle is `Send` without the actor's
    // `'static` bound getting in the way of a spawned future.
    let queue: Queue<&'static str> = Queue::bounded(1);
    let producer = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.put("url_1").await })
    };
    assert_eq!(queue.get().await, Ok("url_1"));
    producer.await.expect("ran").expect("put");
}

#[tokio::test]
async fn put_many_and_get_many_move_batches_in_order() {
    let queue = Queue::bounded(4);
    let producer = tokio::spawn({
        let queue = queue.clone();
        // Ten items through a queue of four: the batch waits for room.
        async move { queue.put_many(0..10).await }
    });
    let mut got = Vec::new();
    while got.len() < 10 {
        let batch = queue.get_many(3).await.expect("items");
        assert!((1..=3).contains(&batch.len()), "at most max, at least one");
        got.extend(batch);
    }
    producer.await.expect("producer ran").expect("all put");
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    queue.put(10).await.expect("room");
    assert_eq!(queue.get_many(0).await, Ok(vec![10]), "max 0 is taken as 1");
}

#[tokio::test]
async fn put_many_into_a_closed_queue_hands_back_every_item_in_order() {
    let queue = Queue::unbounded();
    queue.close().await;
    let refused = queue.put_many(["a", "b", "c"]).await.expect_err("closed");
    assert_eq!(refused.error, QueueError::Closed { queue: queue.id() });
    assert_eq!(refused.message, ["a", "b", "c"]);
    assert_eq!(
        queue.get_many(5).await,
        Err(QueueError::Closed { queue: queue.id() })
    );
}

#[tokio::test]
async fn a_get_many_dropped_with_its_batch_in_flight_gives_it_all_back_in_order() {
    let queue = Queue::unbounded();
    queue.put_many(["a", "b", "c"]).await.expect("unbounded");
    {
        let mut get = pin!(queue.get_many(10));
        // First poll: the get of the first item is sent.
        assert!(poll_once(get.as_mut()).await.is_pending());
        // The queue's actor has answered it once a later request is answered.
        assert_eq!(queue.len().await, Ok(2));
        // Second poll: "a" is taken, the rest asked for.
        assert!(poll_once(get.as_mut()).await.is_pending());
        assert_eq!(queue.len().await, Ok(0), "the rest is on its way");
        // Dropped here, with "a" in hand and "b", "c" unread.
    }
    assert_eq!(queue.len().await, Ok(3), "all three are back");
    assert_eq!(queue.get_many(10).await, Ok(vec!["a", "b", "c"]));
}
