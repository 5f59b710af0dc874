//! Sections 12 to 14: the toolbox. `run_blocking` keeps CPU-heavy work off
//! the actors' threads, a pool runs at most four tasks at once (Python's
//! `multiprocessing.Pool(4)`), and the traffic light is an `Event` (Python's
//! `threading.Event`) set and cleared by a light actor.

use std::time::{Duration, Instant};

use actor::prelude::*;

use crate::local::{Counter, Inc};
use crate::section;

/// Keeps one CPU busy for `how_long`, counting loop turns.
fn busy_work(how_long: Duration) -> u64 {
    let until = Instant::now() + how_long;
    let mut turns = 0;
    while Instant::now() < until {
        turns += 1;
    }
    turns
}

pub(crate) async fn blocking_work() -> Result<(), Error> {
    section("run_blocking: CPU-heavy work off the actors' threads");
    let started = Instant::now();
    println!("a 150 ms CPU-bound job goes to the blocking pool");
    let heavy = tokio::spawn(run_blocking(|| busy_work(Duration::from_millis(150))));
    // While the job runs, actors keep being served.
    let counter = spawn(Counter::default());
    let count = counter.ask(Inc { by: 1 }).await?;
    println!(
        "meanwhile a counter answered ask(Inc {{ by: 1 }}) -> {count} at {:.1?} (job still running: {})",
        started.elapsed(),
        !heavy.is_finished()
    );
    let turns = heavy.await.expect("the task panicked")?;
    println!(
        "the job finished after {:.0?} ({turns} loop turns)",
        started.elapsed()
    );
    match run_blocking(|| -> u64 { panic!("bad input") }).await {
        Err(e @ Error::BlockingFailed { .. }) => println!("a panicking job -> {e}"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}

/// Python's `Pool(4)` with five tasks: the fifth waits for a free worker.
pub(crate) async fn pool() -> Result<(), PoolError> {
    section("A pool of 4 workers: five tasks, the fifth waits for a free one");
    let pool = actor::pool::Pool::new(4);
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for task in 0..5u64 {
        // Tasks 0-3 take 100-130 ms; task 4 is short but must wait its turn.
        let millis = if task == 4 { 10 } else { 100 + 10 * task };
        let handle = pool
            .submit(move || {
                let started = t0.elapsed();
                std::thread::sleep(Duration::from_millis(millis));
                (started, t0.elapsed())
            })
            .map_err(PoolError::from)?;
        handles.push(handle);
    }
    for (task, handle) in handles.into_iter().enumerate() {
        let (started, ended) = handle.result().await?;
        println!(
            "  task {task} ran from {:>3} ms to {:>3} ms",
            started.as_millis(),
            ended.as_millis()
        );
    }
    let squares = pool.map(1..=6u64, |n| n * n).await?;
    println!("map(1..=6, n*n) -> {squares:?} (in input order)");
    pool.close();
    pool.join().await?;
    println!("close() then join(): every task has run, the pool refuses new ones");
    Ok(())
}

/// The traffic light of `examples/traffic_light.rs`, run for one short
/// cycle: a light actor drives an `Event`, three car actors wait on it.
pub(crate) async fn traffic_light() -> Result<(), Error> {
    use crate::traffic_light::{self, Colour, Config, Happening};
    section("The traffic light: a light actor drives an Event; cars wait on red");
    let report = traffic_light::run(Config {
        tick: Duration::from_millis(10),
        cycles: 1,
        cars: 3,
    })
    .await?;
    let mut moves = [0u32; 3];
    let mut on_red = 0;
    for happening in &report.log {
        match happening {
            Happening::Light { colour, at, .. } => {
                println!("  {:>4} ms: light turns {colour:?}", at.as_millis())
            }
            Happening::Moved { car, colour, .. } => {
                moves[*car] += 1;
                if *colour == Colour::Red {
                    on_red += 1;
                }
            }
            _ => {}
        }
    }
    println!("cars moved {moves:?} times over one cycle; moves on red: {on_red}");
    Ok(())
}
