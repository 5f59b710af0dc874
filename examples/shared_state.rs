//! State shared by many workers, as with Python's `multiprocessing.Manager()`.
//!
//! The Python tutorial makes `dic = Manager().dict({'count': 100})` and
//! starts 100 processes that each run `with lock: dic['count'] -= 1`; the
//! result is `{'count': 0}`, and only because of the `Lock`: `-=` on a proxy
//! is a read and then a write, and two processes can read the same value.
//! Another tutorial has ten processes write into a managed dict and append to a
//! managed list.
//!
//! Here the dict is a `SharedMap` owned by an actor, and the decrement is one
//! message to that actor (`update("count", |c| *c -= 1)`), handled to the end
//! before the next one. 100 actors send theirs at once, with no lock, and the
//! count ends at exactly 0. For contrast, the same 100 actors then do what
//! the lock protected against: read the count in one message and write it
//! back in another. With every read forced to happen before any write (a
//! barrier), 99 of the 100 updates are lost. The example exits with a
//! non-zero status if the atomic count is not 0.
//!
//! Run it with `cargo run --example shared_state`; add `-- --long` for
//! 10,000 actors instead of 100.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actor::prelude::*;
use actor::shared::{SharedList, SharedMap, SharedValue};
use tokio::sync::Barrier;

/// One of the tutorial's processes, holding a handle to the shared dict.
#[derive(Actor)]
struct Worker {
    dic: SharedMap<&'static str, i64>,
}

#[messages]
impl Worker {
    /// The tutorial's `dic['count'] -= 1`, done right: one atomic update. The
    /// reply is the value this worker saw before its decrement.
    #[message]
    async fn decrement(&mut self) -> Result<Option<i64>, SharedError> {
        self.dic
            .update("count", |count| {
                *count -= 1;
                *count + 1
            })
            .await
    }

    /// The same, done wrong: read in one message, write in another. The
    /// barrier makes every worker read before any writes.
    #[message]
    async fn decrement_unsafely(&mut self, barrier: Arc<Barrier>) -> Result<(), SharedError> {
        let count = self.dic.get("count").await?.unwrap_or_default();
        barrier.wait().await;
        self.dic.insert("count", count - 1).await?;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), SharedError> {
    let long = std::env::args().any(|a| a == "--long");
    let workers: i64 = if long { 10_000 } else { 100 };

    // Part 1: the tutorial's dict and its 100 decrements.
    let dic = SharedMap::from_map(HashMap::from([("count", workers)]));
    println!("dic = {:?} (owned by {})", dic.snapshot().await?, dic.id());
    let actors: Vec<_> = (0..workers)
        .map(|_| spawn(Worker { dic: dic.clone() }))
        .collect();
    let started = Instant::now();
    let decrements: Vec<_> = actors
        .iter()
        .map(|actor| {
            let actor = actor.clone();
            tokio::spawn(async move { actor.ask(Decrement).await })
        })
        .collect();
    let mut seen = Vec::with_capacity(decrements.len());
    for decrement in decrements {
        if let Ok(Ok(Ok(Some(before)))) = decrement.await {
            seen.push(before);
        }
    }
    seen.sort_unstable();
    seen.dedup();
    let count = dic.get("count").await?;
    println!(
        "{workers} actors each ran update(\"count\", |c| *c -= 1) at once, no lock: dic = {:?} in {:.2?}",
        dic.snapshot().await?,
        started.elapsed()
    );
    println!(
        "every decrement saw a different count ({} distinct values from {} to {}): none was lost",
        seen.len(),
        seen.first().copied().unwrap_or_default(),
        seen.last().copied().unwrap_or_default()
    );
    if count != Some(0) || seen.len() as i64 != workers {
        eprintln!("WRONG: expected count 0 and {workers} distinct values");
        std::process::exit(1);
    }

    // Part 2: the lost update that the tutorial's lock prevents.
    dic.insert("count", workers).await?;
    let barrier = Arc::new(Barrier::new(actors.len()));
    let unsafe_decrements: Vec<_> = actors
        .iter()
        .map(|actor| {
            let (actor, barrier) = (actor.clone(), barrier.clone());
            tokio::spawn(async move { actor.ask(DecrementUnsafely { barrier }).await })
        })
        .collect();
    for decrement in unsafe_decrements {
        if let Ok(Ok(result)) = decrement.await {
            result?;
        }
    }
    let count = dic.get("count").await?.unwrap_or_default();
    println!(
        "the same {workers} decrements as get() then insert(): count = {count}, so {count} of {workers} updates were lost"
    );
    println!("(a read and a later write are two messages; update() is one)");

    // Part 3: the other tutorial's dict and list, written by ten workers.
    let d = SharedMap::new();
    let l = SharedList::from_vec((0..5).collect());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (d, l) = (d.clone(), l.clone());
            tokio::spawn(async move {
                d.insert("1", "'1'").await?;
                d.insert("2", "2").await?;
                d.insert("0.25", "None").await?;
                l.push(1).await
            })
        })
        .collect();
    for task in tasks {
        if let Ok(result) = task.await {
            result?;
        }
    }
    let mut entries: Vec<_> = d.snapshot().await?.into_iter().collect();
    entries.sort();
    println!("d = {entries:?}");
    println!("l = {:?}", l.snapshot().await?);

    // A shared value: Python's `Manager().Value('i', 0)`.
    let hits = SharedValue::new(0_u64);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let hits = hits.clone();
            tokio::spawn(async move { hits.update(|n| *n += 1).await })
        })
        .collect();
    for task in tasks {
        if let Ok(result) = task.await {
            result?;
        }
    }
    println!(
        "50 tasks each added 1 to a SharedValue: {}",
        hits.get().await?
    );
    Ok(())
}
