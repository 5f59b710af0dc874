//! A pool of workers, as with Python's `multiprocessing.Pool`.
//!
//! The Python tutorial creates `Pool(4)`, submits five `long_time_task`s with
//! `apply_async`, then `close()`s and `join()`s the pool. Its output shows
//! tasks 0 to 3 starting at once and task 4 waiting until one of them has
//! finished: the pool runs at most four at a time, by design. The other tutorials
//! add `apply` (submit and wait), `AsyncResult.get()`, `map`, a `callback`
//! run in the main process, and `terminate()`.
//!
//! Here the pool is a dispatcher actor and four worker actors under a
//! supervisor. Part 1 is the tutorial's story, with timestamps: task 4 starts
//! only when a worker is free. Part 2 shows the rest of the toolbox: `apply`,
//! handles, `map`, a callback run on the submitting side (not on a worker), a
//! panicking task that fails alone while its worker is restarted, and
//! `terminate`. The example exits with a non-zero status if task 4 did not
//! wait.
//!
//! Run it with `cargo run --example pool`; add `-- --long` for the tutorial's
//! timings (each task sleeps up to 3 s instead of up to 0.6 s).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actor::pool::{current_worker, Pool};
use actor::prelude::*;

/// Each task's sleep, as a fraction of the longest (the tutorial draws
/// `random.random() * 3` seconds; fixed here so that every run tells the same
/// story).
const SLEEPS: [f64; 5] = [0.9, 0.5, 0.7, 1.0, 0.4];

/// When each task started and ended, as seconds since the start.
type Timeline = Arc<Mutex<Vec<(u32, &'static str, f64)>>>;

/// Seconds since `t0`, for printing.
fn since(t0: Instant) -> f64 {
    t0.elapsed().as_secs_f64()
}

/// The worker running the caller, for printing (the tutorial prints its pid).
fn worker() -> String {
    current_worker().map_or_else(
        || "the submitting side (no worker)".to_owned(),
        |w| w.to_string(),
    )
}

/// The tutorial's `long_time_task(name)`: a closure, so it runs on a thread of
/// the blocking pool and may sleep like Python's `time.sleep`.
fn long_time_task(
    name: u32,
    seconds: f64,
    t0: Instant,
    timeline: Timeline,
) -> impl FnOnce() -> u32 + Send + 'static {
    move || {
        let start = since(t0);
        println!("[{start:5.2}s] run task {name} on {}", worker());
        std::thread::sleep(Duration::from_secs_f64(seconds));
        let end = since(t0);
        println!("[{end:5.2}s] task {name} runs {:.2} seconds", end - start);
        if let Ok(mut timeline) = timeline.lock() {
            timeline.push((name, "start", start));
            timeline.push((name, "end", end));
        }
        name
    }
}

#[tokio::main]
async fn main() -> Result<(), PoolError> {
    let long = std::env::args().any(|a| a == "--long");
    let longest = if long { 3.0 } else { 0.6 };

    // Part 1: five tasks on four workers.
    let t0 = Instant::now();
    let pool = Pool::new(4);
    println!("parent: {} with {} workers", pool.id(), pool.size());
    let timeline = Timeline::default();
    for (name, fraction) in (0..).zip(SLEEPS) {
        // `submit` is `apply_async`: it returns a handle at once. This part
        // does not need the handles: `join` below waits for every task.
        pool.submit(long_time_task(
            name,
            fraction * longest,
            t0,
            timeline.clone(),
        ))?;
    }
    println!("waiting for all tasks to be done...");
    pool.close();
    pool.join().await?;
    println!("all tasks done.");

    // The story, checked: task 4 started only after some task had ended.
    let timeline = timeline.lock().map(|t| t.clone()).unwrap_or_default();
    let at = |name, what| {
        timeline
            .iter()
            .find(|(n, w, _)| *n == name && *w == what)
            .map(|(_, _, t)| *t)
    };
    let first_end = timeline
        .iter()
        .filter(|(n, w, _)| *n < 4 && *w == "end")
        .map(|(n, _, t)| (*t, *n))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match (at(4, "start"), first_end) {
        (Some(start), Some((end, name))) if start >= end => println!(
            "task 4 started at {start:.2}s, after task {name} ended at {end:.2}s: it waited for a free worker"
        ),
        other => {
            eprintln!("WRONG: task 4 did not wait for a free worker: {other:?}");
            std::process::exit(1);
        }
    }

    // Part 2: the rest of the toolbox.
    println!();
    let pool = Pool::new(3);
    let square = |n: u64| {
        std::thread::sleep(Duration::from_millis(20));
        n * n
    };

    // `apply`: submit and wait, as the tutorial's synchronous `p.apply(work, (i,))`.
    let nine = pool.apply(move || square(3)).await?;
    println!("apply(work, 3) = {nine}");

    // `apply_async` and `get`: submit all, then collect through the handles.
    let handles = (0..5)
        .map(|n| pool.submit(move || square(n)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut squares = Vec::new();
    for handle in handles {
        squares.push(handle.await?);
    }
    println!("apply_async x 5, then get() each: {squares:?}");

    // `map`: the same, in one call, results in input order.
    println!("map(work, 0..5) = {:?}", pool.map(0..5, square).await?);

    // A callback: run on the submitting side when the task is done, as the
    // tutorial's `callback=call` runs in the main process, not in the pool.
    let urls = [
        "http://www.baidu.com",
        "http://www.sina.com",
        "http://www.qq.com",
    ];
    let mut fetches = Vec::new();
    for url in urls {
        let fetch = move || {
            println!("--> {url} fetched on {}", worker());
            url.len()
        };
        let callback = move |result: &Result<usize, PoolError>| match result {
            Ok(len) => println!("callback: {url} ({len} bytes) handled on {}", worker()),
            Err(e) => println!("callback: {url} failed: {e}"),
        };
        fetches.push(pool.submit_with_callback(fetch, callback)?);
    }
    for fetch in fetches {
        fetch.await?;
    }

    // A task that panics fails alone; the supervisor restarts its worker.
    // (A short panic report instead of the default one with its backtrace
    // hint: the panic is expected.)
    std::panic::set_hook(Box::new(|info| eprintln!("(a task panicked: {info})")));
    let doomed = pool.submit(|| -> u64 { panic!("bad input") })?;
    let fine = pool.submit(move || square(7))?;
    match doomed.await {
        Err(PoolError::TaskFailed { worker, .. }) => {
            println!("a panicking task failed alone (its worker {worker} was restarted)")
        }
        other => println!("UNEXPECTED: {other:?}"),
    }
    println!("the task next to it: {}", fine.await?);
    let stats = pool.stats().await?;
    println!(
        "stats: {} completed, {} failed, {} workers",
        stats.completed, stats.failed, stats.size
    );

    // `terminate`: stop now; what was not finished reports it.
    let stuck = (0..4)
        .map(|_| pool.submit_future(std::future::pending::<()>()))
        .collect::<Result<Vec<_>, _>>()?;
    pool.terminate().await;
    let terminated = {
        let mut count = 0;
        for handle in stuck {
            if matches!(handle.await, Err(PoolError::Terminated { .. })) {
                count += 1;
            }
        }
        count
    };
    println!("terminate(): {terminated} unfinished tasks reported PoolTerminated");
    Ok(())
}
