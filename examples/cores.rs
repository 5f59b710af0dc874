//! CPU-bound work that uses every core, without starving anyone: what
//! Python needs processes for, because of the GIL.
//!
//! The Python tutorial starts `cpu_count()` busy threads and sees one core in
//! use: the GIL lets one thread run Python code at a time, so CPU-bound work
//! needs separate processes (each with its own interpreter, and data pickled
//! between them). Here actors share one process and one runtime whose worker
//! threads run on every core, so neither the processes nor the pickling are
//! needed.
//!
//! There is one rule: a handler that computes for a long time without awaiting
//! holds a runtime worker thread, and with one such handler per core no other
//! actor would get a turn. So each `Cruncher` hands its job to
//! [`run_blocking`], which runs it on tokio's blocking thread pool and awaits the
//! result. The cruncher still handles its own messages one at a time, but the
//! worker threads stay free: a `Ping` actor keeps answering while every core is
//! busy, and the example reports how many pings were answered and the worst
//! reply time.
//!
//! Each cruncher also keeps its own tally (jobs, primes found, time spent) in
//! its own fields: the per-thread state that Python keeps in a
//! `threading.local()` is simply the actor's state here, reached
//! through `self` in every handler, never passed around and never shared.
//!
//! Run it with `cargo run --release --example cores` (debug works too; the job
//! size is calibrated to this machine so either takes a few seconds). The
//! speed-up approaches the number of cores only when they are idle: other
//! work on the machine (a build, say) lowers it.

use std::time::{Duration, Instant};

use actor::prelude::*;

/// Where the ranges of numbers to test start: large enough that testing one
/// number is real work, so that ranges of equal width cost about the same.
const BASE: u64 = 1_000_000_000;

/// How long doing every job one after another should take, about.
const SEQUENTIAL_TARGET: Duration = Duration::from_millis(1_500);

/// Whether `n` is prime, by trial division: deliberately plain CPU work.
fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

/// How many primes lie in `from..to`.
fn primes_in(from: u64, to: u64) -> u64 {
    (from..to).map(|n| u64::from(is_prime(n))).sum()
}

/// A width of range that takes about `target` to scan on this machine in this
/// build, so the example neither crawls in debug nor blinks in release.
fn calibrate(target: Duration) -> u64 {
    let mut width = 1_000;
    loop {
        let started = Instant::now();
        std::hint::black_box(primes_in(BASE, BASE + width));
        let took = started.elapsed();
        if took >= Duration::from_millis(40) {
            let scale = target.as_secs_f64() / took.as_secs_f64();
            return ((width as f64 * scale) as u64).max(1_000);
        }
        width *= 2;
    }
}

// ---------------------------------------------------------------------------
// The cruncher: one CPU-bound job at a time, off the runtime's worker threads.

/// Counts primes. Its fields are its own (what `threading.local()` was for): no thread-local, no
/// lock, no tally passed from function to function.
#[derive(Actor, Default)]
struct Cruncher {
    jobs_done: u32,
    primes_found: u64,
    busy: Duration,
}

/// The cruncher's messages: `CountPrimes { from, to }` and `Tally`, made from
/// the methods by `#[messages]`.
#[messages]
impl Cruncher {
    /// Counts the primes in `from..to`.
    #[message]
    async fn count_primes(&mut self, from: u64, to: u64) -> Result<u64, Error> {
        let started = Instant::now();
        // Computing here directly would hold this runtime thread for the
        // whole job. `run_blocking` moves the job to the blocking pool; this
        // actor waits for it (its messages stay in order) and the runtime
        // thread goes on running other actors.
        let primes = run_blocking(move || primes_in(from, to)).await?;
        self.jobs_done += 1;
        self.primes_found += primes;
        self.busy += started.elapsed();
        Ok(primes)
    }

    /// The cruncher's tally: jobs done, primes found, time spent.
    #[message]
    fn tally(&self) -> (u32, u64, Duration) {
        (self.jobs_done, self.primes_found, self.busy)
    }
}

// ---------------------------------------------------------------------------
// The ping actor: must keep answering while the crunchers work.

/// Answers pings, and counts them.
#[derive(Actor, Default)]
struct Pong {
    answered: u64,
}

#[messages]
impl Pong {
    /// Are you there? The reply is how many pings were answered so far.
    #[message]
    fn ping(&mut self) -> u64 {
        self.answered += 1;
        self.answered
    }
}

/// Pings every millisecond until `done` fires; returns how many pings were
/// answered and the slowest reply.
async fn keep_pinging(
    pong: ActorRef<Pong>,
    mut done: tokio::sync::oneshot::Receiver<()>,
) -> Result<(u64, Duration), Error> {
    let (mut answered, mut worst) = (0, Duration::ZERO);
    loop {
        tokio::select! {
            _ = &mut done => return Ok((answered, worst)),
            () = tokio::time::sleep(Duration::from_millis(1)) => {}
        }
        let sent = Instant::now();
        pong.ask(Ping).await?;
        worst = worst.max(sent.elapsed());
        answered += 1;
    }
}

// ---------------------------------------------------------------------------

/// The jobs: one range per core, of equal width, one after another.
fn jobs(count: usize, width: u64) -> Vec<(u64, u64)> {
    (0..count as u64)
        .map(|i| (BASE + i * width, BASE + (i + 1) * width))
        .collect()
}

async fn run(cores: usize) -> Result<(), Error> {
    let width = calibrate(SEQUENTIAL_TARGET / cores as u32);
    let jobs = jobs(cores, width);
    println!("{cores} jobs: count the primes in {cores} ranges of {width} numbers from {BASE} up");
    let crunchers: Vec<_> = (0..cores).map(|_| spawn(Cruncher::default())).collect();

    // One after another: each ask is awaited before the next is sent.
    let started = Instant::now();
    let mut sequential_primes = 0;
    for (cruncher, &(from, to)) in crunchers.iter().zip(&jobs) {
        sequential_primes += cruncher.ask(CountPrimes { from, to }).await??;
    }
    let sequential = started.elapsed();
    println!("one after another: {sequential_primes} primes in {sequential:.2?}");

    // All at once, with a Ping actor asked every millisecond meanwhile.
    let pong = spawn(Pong::default());
    let (done, done_rx) = tokio::sync::oneshot::channel();
    let pinger = tokio::spawn(keep_pinging(pong.clone(), done_rx));
    let started = Instant::now();
    let asks: Vec<_> = crunchers
        .iter()
        .zip(&jobs)
        .map(|(cruncher, &(from, to))| {
            let cruncher = cruncher.clone();
            tokio::spawn(async move { cruncher.ask(CountPrimes { from, to }).await })
        })
        .collect();
    let mut parallel_primes = 0;
    for ask in asks {
        parallel_primes += ask.await.expect("the asking task panicked")??;
    }
    let parallel = started.elapsed();
    let _ = done.send(());
    let (pings, worst) = pinger.await.expect("the pinger panicked")?;
    println!("all at once:       {parallel_primes} primes in {parallel:.2?}");

    assert_eq!(sequential_primes, parallel_primes, "both ways must agree");
    println!(
        "speed-up: {:.2}x with {cores} actors on {cores} cores",
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
    println!(
        "meanwhile {} answered {pings} pings; slowest reply {worst:.2?} (no starvation)",
        pong.id()
    );

    println!("each cruncher's own tally (per-actor state, no threading.local):");
    for cruncher in &crunchers {
        let (jobs_done, primes, busy) = cruncher.ask(Tally).await?;
        println!(
            "  {}: {jobs_done} jobs, {primes} primes, {busy:.2?} busy",
            cruncher.id()
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cores = std::thread::available_parallelism()?.get();
    println!("this machine has {cores} cores; the runtime gets {cores} worker threads");
    // A multi-threaded runtime with one worker thread per core (tokio's
    // default, spelled out here). `run_blocking` work goes to the separate
    // blocking pool, which grows as needed.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()?;
    runtime.block_on(run(cores))?;
    Ok(())
}
