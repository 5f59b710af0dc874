//! Queue benchmark (seed scenario 3): 2 producers and 2 consumers move
//! 1,000,000 items through a bounded queue.
//!
//! Run: `cargo bench --bench queue` (add `-- --quick` for a short run).
//!
//! Three ways to move the same items, measured in the same run:
//! - **ours**: [`Queue::bounded`], the queue actor, each `put` and `get` a
//!   message to it;
//! - **baseline**: what one would write with tokio alone, a bounded
//!   `tokio::sync::mpsc::channel` whose receiver the two consumers share
//!   through an `Arc<tokio::sync::Mutex<Receiver>>`;
//! - **Python**: the seeds' `multiprocessing.Queue` with 2 producer and 2
//!   consumer processes, measured at about 320,000 items/s on this machine
//!   (a constant here; it is not rerun).
//!
//! Every item is a `u64`; the consumers sum what they take and the sum is
//! checked, so a broken queue cannot report a figure. Both queues hold
//! [`CAPACITY`] items, so producers also exercise waiting for room. Each
//! configuration runs on a `multi_thread` runtime with 2 workers (the
//! machine's cores) and on a `current_thread` runtime.

#[path = "support/harness.rs"]
mod harness;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actor::queue::Queue;
use tokio::sync::{mpsc, Mutex};

use harness::{median, runtime};

/// Items moved per run.
const ITEMS: u64 = 1_000_000;
/// The capacity of both queues.
const CAPACITY: usize = 1024;
const PRODUCERS: u64 = 2;
const CONSUMERS: usize = 2;
/// The seeds' `multiprocessing.Queue`, 2 producers and 2 consumers, on this
/// machine.
const PYTHON_ITEMS_PER_SEC: f64 = 320_000.0;

/// The sum of `0..items`, what the consumers must add up to.
fn expected_sum(items: u64) -> u64 {
    items * (items - 1) / 2
}

/// Ours: the queue actor.
async fn ours(items: u64) -> Duration {
    let queue = Queue::bounded(CAPACITY);
    let start = Instant::now();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut sum = 0u64;
                while let Ok(item) = queue.get().await {
                    sum += item;
                }
                sum
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = queue.clone();
            tokio::spawn(async move {
                // Producer p puts p, p + PRODUCERS, p + 2 * PRODUCERS, ...
                let mut item = p;
                while item < items {
                    if queue.put(item).await.is_err() {
                        panic!("the queue refused item {item}");
                    }
                    item += PRODUCERS;
                }
            })
        })
        .collect();
    for producer in producers {
        producer.await.expect("producer finished");
    }
    queue.close().await;
    let mut sum = 0;
    for consumer in consumers {
        sum += consumer.await.expect("consumer finished");
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, expected_sum(items), "every item taken exactly once");
    elapsed
}

/// The baseline: a bounded mpsc channel, its receiver shared by the
/// consumers behind an async mutex.
async fn baseline(items: u64) -> Duration {
    let (tx, rx) = mpsc::channel::<u64>(CAPACITY);
    let rx = Arc::new(Mutex::new(rx));
    let start = Instant::now();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut sum = 0u64;
                loop {
                    let next = rx.lock().await.recv().await;
                    match next {
                        Some(item) => sum += item,
                        None => return sum,
                    }
                }
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut item = p;
                while item < items {
                    if tx.send(item).await.is_err() {
                        panic!("the channel refused item {item}");
                    }
                    item += PRODUCERS;
                }
            })
        })
        .collect();
    drop(tx);
    for producer in producers {
        producer.await.expect("producer finished");
    }
    let mut sum = 0;
    for consumer in consumers {
        sum += consumer.await.expect("consumer finished");
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, expected_sum(items), "every item taken exactly once");
    elapsed
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (items, rounds) = if quick { (ITEMS / 10, 1) } else { (ITEMS, 5) };
    println!(
        "queue benchmark: {PRODUCERS} producers, {CONSUMERS} consumers, {items} u64 items, capacity {CAPACITY}; median of {rounds} rounds"
    );
    for multi in [true, false] {
        let flavor = if multi {
            "multi_thread(2)"
        } else {
            "current_thread"
        };
        let rt = runtime(multi);
        let (mut base, mut mine) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            // Each run inside a task, so that on the multi-thread runtime the
            // driver sits on a worker, as application code does.
            let b = rt.block_on(async { tokio::spawn(baseline(items)).await });
            let o = rt.block_on(async { tokio::spawn(ours(items)).await });
            base.push(items as f64 / b.expect("baseline ran").as_secs_f64());
            mine.push(items as f64 / o.expect("ours ran").as_secs_f64());
        }
        let (base, mine) = (median(base), median(mine));
        println!(
            "queue 2p/2c {flavor:<15} ours {mine:>10.0} items/s   tokio mpsc+Arc<Mutex<Receiver>> {base:>10.0} items/s   cost {:.2}x   = {:.1}x Python's multiprocessing.Queue ({PYTHON_ITEMS_PER_SEC:.0} items/s)",
            base / mine,
            mine / PYTHON_ITEMS_PER_SEC
        );
    }
}
