//! 20 workers, at most 5 at a time, as with Python's
//! `threading.BoundedSemaphore(5)`.
//!
//! The Python tutorial starts 20 threads that each do
//! `semaphore.acquire(); time.sleep(1); print(...); semaphore.release()` on a
//! `threading.BoundedSemaphore(5)`: "a toilet with 5 stalls, the others wait
//! until someone comes out". Here the workers are actors, and the semaphore
//! is one too ([`Semaphore::bounded`]): each worker asks it for a permit, works
//! while holding it, and gives it back by dropping it, so a worker that fails
//! halfway cannot keep its stall. The waiters are served in the order they
//! asked.
//!
//! The example counts how many workers hold a permit at once and prints the
//! highest count seen: 5, never more, and all 20 ran. It then shows what the
//! *bounded* semaphore is for: one `release()` too many is refused with a
//! typed error instead of silently letting a sixth worker in later. It exits
//! with a non-zero status if any of this does not hold.
//!
//! Run it with `cargo run --example semaphore`; `-- --work-ms 1000` works as
//! long as the tutorial's `time.sleep(1)`, and `--workers N` / `--permits N`
//! change the numbers.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actor::prelude::*;
use actor::sync::Semaphore;
use tokio::time::Instant;

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// How many workers (the tutorial: 20).
    pub workers: usize,
    /// How many may work at once (the tutorial: `BoundedSemaphore(5)`).
    pub permits: usize,
    /// How long each works while holding its permit (the tutorial: 1 s).
    pub work: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            workers: 20,
            permits: 5,
            work: Duration::from_millis(100),
        }
    }
}

/// What happened.
#[derive(Debug)]
pub struct Report {
    /// Every worker that finished, in the order it got its permit.
    pub order: Vec<usize>,
    /// The most workers seen holding a permit at the same time.
    pub max_running: usize,
    /// Permits free at the end (all of them, if every permit came back).
    pub available_after: usize,
    /// What the extra `release()` at the end returned.
    pub extra_release: Result<(), SyncError>,
}

/// Counts the workers inside; shared by the workers, read at the end. One
/// lock around the count and the printing keeps the printed counts in order.
#[derive(Default)]
struct Gauge {
    inside: Mutex<Inside>,
}

#[derive(Default)]
struct Inside {
    running: usize,
    max_running: usize,
    order: Vec<usize>,
}

impl Gauge {
    fn inside(&self) -> MutexGuard<'_, Inside> {
        // Each update is complete before anything can panic, so a poisoned
        // lock still holds good numbers.
        self.inside
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn enter(&self, n: usize, start: Instant) {
        let mut inside = self.inside();
        inside.running += 1;
        inside.max_running = inside.max_running.max(inside.running);
        inside.order.push(n);
        println!(
            "[{:>5}ms] worker {n:>2} got a permit and runs ({} running)",
            start.elapsed().as_millis(),
            inside.running
        );
    }

    fn leave(&self) {
        self.inside().running -= 1;
    }
}

/// One of the tutorial's threads, as an actor.
#[derive(Actor)]
struct Worker {
    n: usize,
    semaphore: Semaphore,
    gauge: Arc<Gauge>,
    work: Duration,
    start: Instant,
}

#[messages]
impl Worker {
    /// The tutorial's `run(n)`: take a permit, work, give it back.
    #[message]
    async fn run(&mut self) -> Result<(), SyncError> {
        let permit = self.semaphore.acquire().await?;
        self.gauge.enter(self.n, self.start);
        tokio::time::sleep(self.work).await;
        self.gauge.leave();
        // Dropping the permit gives it back, here or on any early return.
        drop(permit);
        Ok(())
    }
}

/// Runs the scenario and reports what happened.
pub async fn run(config: Config) -> Result<Report, SyncError> {
    let semaphore = Semaphore::bounded(config.permits);
    let gauge = Arc::new(Gauge::default());
    let start = Instant::now();
    println!(
        "{} workers, a bounded semaphore of {} permits ({}), {:?} of work each",
        config.workers,
        config.permits,
        semaphore.id(),
        config.work
    );

    let mut runs = Vec::with_capacity(config.workers);
    for n in 0..config.workers {
        let worker = spawn(Worker {
            n,
            semaphore: semaphore.clone(),
            gauge: gauge.clone(),
            work: config.work,
            start,
        });
        // Each ask runs in its own task, so the 20 wait at the same time.
        runs.push(tokio::spawn(async move { worker.ask(Run).await }));
    }
    for run in runs {
        // The outer `?` is the ask (the worker failed or stopped), the inner
        // one the worker's own result (the semaphore is gone).
        run.await.expect("an ask task panicked")??;
    }

    let (order, max_running) = {
        let inside = gauge.inside();
        (inside.order.clone(), inside.max_running)
    };
    let available_after = semaphore.available().await?;
    println!(
        "[{:>5}ms] all {} workers done; at most {max_running} ran at once; {available_after} permits free",
        start.elapsed().as_millis(),
        order.len()
    );

    // The bounded part of `BoundedSemaphore`: every permit is back, so one more
    // release can only be a bug. It is refused and the count stays put.
    let extra_release = semaphore.release().await;
    match &extra_release {
        Ok(()) => println!("an extra release() was accepted"),
        Err(e) => println!("an extra release() is refused: {e}"),
    }
    Ok(Report {
        order,
        max_running,
        available_after,
        extra_release,
    })
}

/// Reads `--workers N`, `--permits N` and `--work-ms N`.
fn parse_args() -> Result<Config, String> {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} takes a number, not {value:?}"))?;
        match flag.as_str() {
            "--workers" => config.workers = number as usize,
            "--permits" => config.permits = number as usize,
            "--work-ms" => config.work = Duration::from_millis(number),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), SyncError> {
    let config = match parse_args() {
        Ok(config) => config,
        Err(problem) => {
            eprintln!("{problem}\nusage: semaphore [--workers N] [--permits N] [--work-ms N]");
            std::process::exit(2);
        }
    };
    let report = run(config.clone()).await?;
    let all_ran = report.order.len() == config.workers;
    let limit_held = report.max_running <= config.permits;
    let refused = matches!(
        report.extra_release,
        Err(SyncError::SemaphoreOverReleased { .. })
    );
    if !(all_ran && limit_held && refused && report.available_after == config.permits) {
        eprintln!("WRONG: {report:?}");
        std::process::exit(1);
    }
    println!(
        "never more than {} at once, all {} ran, no permit lost",
        config.permits, config.workers
    );
    Ok(())
}
