//! Core runtime benchmarks, each next to a hand-written tokio baseline measured
//! in the same run.
//!
//! Run: `cargo bench --bench core` (add `-- --quick` for a short run, a
//! workload name such as `-- ring` to run one, `--rounds N`, and
//! `--current-thread` or `--multi-thread` for one runtime).
//!
//! The baseline is what one would write without a framework: a tokio task that
//! owns a `u64` and reads a bounded `tokio::sync::mpsc::channel(64)`, replying
//! through a `oneshot`. Every workload runs on a `current_thread` runtime and on
//! a `multi_thread` runtime with 2 workers. The cost column is
//! baseline rate / our rate: 1.0x is as cheap as the raw channel. Each figure
//! is reported as the median over the rounds with its range (min-max);
//! baseline and actor alternate within each round.
//!
//! Each baseline does exactly the work its actor side does, no more and no
//! less, and only the same part is timed:
//!
//! - **tell**: `spawn(Counter { count: 0 })`, N x `tell(Add(1))`, one
//!   `ask(Get)`; against `raw_counter(0)`, N x `send(Add(1))`, one `Get` with
//!   a `oneshot`. Timed: the N messages and the ask.
//! - **fan-in**: the same from 2 spawned sender tasks (each with a clone of
//!   the reference, or of the `Sender`), joined, then the ask. Timed: from
//!   spawning the senders to the ask's answer.
//! - **ask**: `spawn(Counter { count: 7 })` and N sequential `ask(Get)`;
//!   against `raw_counter(7)` and N sequential `Get`s. Timed: each round trip.
//! - **ring**: 1,000 `RingNode` actors, each told its successor (an `ask(Link)`
//!   each, untimed), a `Token` told around; against 1,000 tasks, each holding
//!   the next one's `Sender`. Each hop counts itself in an atomic in both.
//!   Timed: from the first tell to the last hop's `Notify`.
//! - **spawn**: N x `spawn(Counter { count: 1 })`, one `ask(Get)` each, `stop()`
//!   each, `join()` each; against N x `raw_counter(1)`, one `Get` each, each
//!   `Sender` dropped (the task then ends, as an actor whose mailbox was
//!   closed does), each `JoinHandle` awaited. Timed: all of it.
//! - **restart**: one supervised `Counter` (one-for-one, unlimited intensity):
//!   `tell(Fail)` (or `tell(Crash)`, a panic), then `ask(Get)`, answered by
//!   its next instance; against `spawn(Counter { count: 1 })` and its first
//!   `ask(Get)`, and `raw_counter(1)` and its first `Get` (the spawned ones are
//!   kept alive until the round ends, in both). Timed: each one.
//! - **idle**: N x `spawn(Counter { count: 1 })`, one `ask(Get)` each, kept
//!   alive; against N x `raw_counter(1)`, one `Get` each, kept alive. Measured:
//!   resident memory growth per one, in a fresh process.
//!
//! Each workload asserts its count, so a broken runtime cannot report a figure.

#[path = "support/harness.rs"]
mod harness;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actor::prelude::*;
use tokio::sync::{mpsc, oneshot, Notify};

use harness::{median, on_worker, options, percentile, runtime, Spread};

// ---------------------------------------------------------------- the actor

struct Counter {
    count: u64,
}

impl Actor for Counter {}

struct Add(u64);
impl Message for Add {
    type Reply = ();
}

struct Get;
impl Message for Get {
    type Reply = u64;
}

impl Handler<Add> for Counter {
    async fn handle(&mut self, Add(n): Add, _ctx: &mut Context<Self>) {
        self.count += n;
    }
}

impl Handler<Get> for Counter {
    async fn handle(&mut self, _: Get, _ctx: &mut Context<Self>) -> u64 {
        self.count
    }
}

// ---------------------------------------------------------------- the baseline

enum Command {
    Add(u64),
    Get(oneshot::Sender<u64>),
}

/// The raw-tokio counter: a task owning a `u64` (starting at `initial`, as
/// `Counter { count: initial }` does), reading a bounded channel; it ends when
/// every `Sender` is gone, as an actor does when its last reference is.
fn raw_counter(initial: u64) -> (mpsc::Sender<Command>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(async move {
        let mut count = initial;
        while let Some(command) = rx.recv().await {
            match command {
                Command::Add(n) => count += n,
                Command::Get(reply) => {
                    let _ = reply.send(count);
                }
            }
        }
    });
    (tx, task)
}

async fn raw_get(tx: &mpsc::Sender<Command>) -> u64 {
    let (reply, answer) = oneshot::channel();
    tx.send(Command::Get(reply))
        .await
        .expect("raw counter alive");
    answer.await.expect("raw counter replies")
}

// ---------------------------------------------------------------- workloads

const TELL_MESSAGES: u64 = 2_000_000;
const FAN_IN_SENDERS: u64 = 2;
const FAN_IN_MESSAGES: u64 = 1_000_000;
const ASKS: usize = 200_000;
const RING_SIZE: usize = 1_000;
const RING_HOPS: u64 = 1_000_000;
const SPAWNS: usize = 100_000;

async fn tell_actor(messages: u64) -> Duration {
    let counter = spawn(Counter { count: 0 });
    let start = Instant::now();
    for _ in 0..messages {
        counter.tell(Add(1)).await.expect("counter alive");
    }
    let count = counter.ask(Get).await.expect("counter replies");
    let elapsed = start.elapsed();
    assert_eq!(count, messages);
    elapsed
}

async fn tell_raw(messages: u64) -> Duration {
    let (tx, _task) = raw_counter(0);
    let start = Instant::now();
    for _ in 0..messages {
        tx.send(Command::Add(1)).await.expect("raw counter alive");
    }
    let count = raw_get(&tx).await;
    let elapsed = start.elapsed();
    assert_eq!(count, messages);
    elapsed
}

async fn fan_in_actor(senders: u64, each: u64) -> Duration {
    let counter = spawn(Counter { count: 0 });
    let start = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let counter = counter.clone();
            tokio::spawn(async move {
                for _ in 0..each {
                    counter.tell(Add(1)).await.expect("counter alive");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender finished");
    }
    let count = counter.ask(Get).await.expect("counter replies");
    let elapsed = start.elapsed();
    assert_eq!(count, senders * each);
    elapsed
}

async fn fan_in_raw(senders: u64, each: u64) -> Duration {
    let (tx, _task) = raw_counter(0);
    let start = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let tx = tx.clone();
            tokio::spawn(async move {
                for _ in 0..each {
                    tx.send(Command::Add(1)).await.expect("raw counter alive");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender finished");
    }
    let count = raw_get(&tx).await;
    let elapsed = start.elapsed();
    assert_eq!(count, senders * each);
    elapsed
}

/// Returns per-ask latencies, sorted.
async fn ask_actor(asks: usize) -> (Duration, Vec<Duration>) {
    let counter = spawn(Counter { count: 7 });
    let mut latencies = Vec::with_capacity(asks);
    let start = Instant::now();
    for _ in 0..asks {
        let t = Instant::now();
        let count = counter.ask(Get).await.expect("counter replies");
        latencies.push(t.elapsed());
        assert_eq!(count, 7);
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    (elapsed, latencies)
}

async fn ask_raw(asks: usize) -> (Duration, Vec<Duration>) {
    let (tx, _task) = raw_counter(7);
    let mut latencies = Vec::with_capacity(asks);
    let start = Instant::now();
    for _ in 0..asks {
        let t = Instant::now();
        let count = raw_get(&tx).await;
        latencies.push(t.elapsed());
        assert_eq!(count, 7);
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    (elapsed, latencies)
}

struct RingNode {
    next: Option<ActorRef<RingNode>>,
    hops: Arc<std::sync::atomic::AtomicU64>,
    done: Arc<Notify>,
}

impl Actor for RingNode {}

struct Link(ActorRef<RingNode>);
impl Message for Link {
    type Reply = ();
}

struct Token(u64);
impl Message for Token {
    type Reply = ();
}

impl Handler<Link> for RingNode {
    async fn handle(&mut self, Link(next): Link, _ctx: &mut Context<Self>) {
        self.next = Some(next);
    }
}

impl Handler<Token> for RingNode {
    async fn handle(&mut self, Token(left): Token, _ctx: &mut Context<Self>) {
        self.hops.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if left == 0 {
            self.done.notify_one();
        } else if let Some(next) = &self.next {
            next.tell(Token(left - 1)).await.expect("ring node alive");
        }
    }
}

async fn ring_actor(size: usize, hops: u64) -> Duration {
    let done = Arc::new(Notify::new());
    let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let nodes: Vec<_> = (0..size)
        .map(|_| {
            spawn(RingNode {
                next: None,
                hops: counted.clone(),
                done: done.clone(),
            })
        })
        .collect();
    for (i, node) in nodes.iter().enumerate() {
        let next = nodes[(i + 1) % size].clone();
        node.ask(Link(next)).await.expect("ring node alive");
    }
    let start = Instant::now();
    nodes[0]
        .tell(Token(hops - 1))
        .await
        .expect("ring node alive");
    done.notified().await;
    let elapsed = start.elapsed();
    assert_eq!(counted.load(std::sync::atomic::Ordering::Relaxed), hops);
    // The ring is a reference cycle: stop it explicitly.
    for node in &nodes {
        node.stop();
    }
    for node in &nodes {
        node.join().await;
    }
    elapsed
}

async fn ring_raw(size: usize, hops: u64) -> Duration {
    let done = Arc::new(Notify::new());
    let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..size).map(|_| mpsc::channel::<u64>(64)).unzip();
    let mut tasks = Vec::with_capacity(size);
    for (i, mut rx) in receivers.into_iter().enumerate() {
        let next = senders[(i + 1) % size].clone();
        let done = done.clone();
        let counted = counted.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(left) = rx.recv().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if left == 0 {
                    done.notify_one();
                    break;
                }
                if next.send(left - 1).await.is_err() {
                    break;
                }
            }
        }));
    }
    let start = Instant::now();
    senders[0].send(hops - 1).await.expect("ring task alive");
    done.notified().await;
    let elapsed = start.elapsed();
    assert_eq!(counted.load(std::sync::atomic::Ordering::Relaxed), hops);
    drop(senders);
    for task in tasks {
        task.abort();
    }
    elapsed
}

async fn spawn_actor(count: usize) -> Duration {
    let start = Instant::now();
    let counters: Vec<_> = (0..count).map(|_| spawn(Counter { count: 1 })).collect();
    let mut total = 0;
    for counter in &counters {
        total += counter.ask(Get).await.expect("counter replies");
    }
    for counter in &counters {
        counter.stop();
    }
    for counter in &counters {
        assert_eq!(counter.join().await, StopReason::Normal);
    }
    let elapsed = start.elapsed();
    assert_eq!(total, count as u64);
    elapsed
}

async fn spawn_raw(count: usize) -> Duration {
    let start = Instant::now();
    let counters: Vec<_> = (0..count).map(|_| raw_counter(1)).collect();
    let mut total = 0;
    for (tx, _) in &counters {
        total += raw_get(tx).await;
    }
    let mut tasks = Vec::with_capacity(count);
    for (tx, task) in counters {
        drop(tx);
        tasks.push(task);
    }
    for task in tasks {
        task.await.expect("raw counter ended");
    }
    let elapsed = start.elapsed();
    assert_eq!(total, count as u64);
    elapsed
}

const RESTARTS: usize = 10_000;

struct Crash;
impl Message for Crash {
    type Reply = ();
}

impl Handler<Crash> for Counter {
    async fn handle(&mut self, _: Crash, _ctx: &mut Context<Self>) {
        panic!("deliberate crash");
    }
}

struct Fail;
impl Message for Fail {
    type Reply = ();
}

impl Handler<Fail> for Counter {
    async fn handle(&mut self, _: Fail, ctx: &mut Context<Self>) {
        ctx.fail("deliberate failure");
    }
}

/// How a restart is provoked.
#[derive(Clone, Copy)]
enum Failure {
    /// The handler panics: the cost includes unwinding the stack.
    Panic,
    /// The handler fails the actor with `ctx.fail`: no unwinding.
    Fail,
}

/// What a panic caught with `catch_unwind` costs here, per panic.
fn panic_cost(count: usize) -> Vec<Duration> {
    #[inline(never)]
    fn crash(i: usize) {
        if black_box(i) < usize::MAX {
            panic!("deliberate crash");
        }
    }
    let mut latencies: Vec<_> = (0..count)
        .map(|i| {
            let t = Instant::now();
            let _ = black_box(std::panic::catch_unwind(|| crash(i)));
            t.elapsed()
        })
        .collect();
    latencies.sort_unstable();
    latencies
}

/// Latencies of `count` restarts: from telling a supervised counter to fail
/// to its next instance answering an ask. Sorted.
async fn restart_latencies(count: usize, failure: Failure) -> Vec<Duration> {
    let supervisor = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(u32::MAX, Duration::from_secs(3600))
            .child(ChildSpec::new("counter", || Counter { count: 1 })),
    );
    let counter = supervisor
        .child::<Counter>("counter")
        .await
        .expect("the child");
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let t = Instant::now();
        match failure {
            Failure::Panic => counter.tell(Crash).await,
            Failure::Fail => counter.tell(Fail).await.map_err(|e| SendError {
                error: e.error,
                message: Crash,
            }),
        }
        .expect("the counter's mailbox outlives restarts");
        let answer = counter
            .ask(Get)
            .await
            .expect("the restarted counter answers");
        latencies.push(t.elapsed());
        assert_eq!(answer, 1);
    }
    assert_eq!(counter.restart_count() as usize, count);
    supervisor.stop();
    supervisor.join().await;
    latencies.sort_unstable();
    latencies
}

/// Latencies of `count` plain spawns, each until the new actor answers an ask.
async fn spawn_latencies(count: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(count);
    let mut actors = Vec::with_capacity(count);
    for _ in 0..count {
        let t = Instant::now();
        let counter = spawn(Counter { count: 1 });
        let answer = counter.ask(Get).await.expect("the counter answers");
        latencies.push(t.elapsed());
        assert_eq!(answer, 1);
        actors.push(counter);
    }
    drop(actors);
    latencies.sort_unstable();
    latencies
}

/// The same with raw counters: `raw_counter(1)` until it answers a `Get`.
async fn raw_spawn_latencies(count: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(count);
    let mut counters = Vec::with_capacity(count);
    for _ in 0..count {
        let t = Instant::now();
        let counter = raw_counter(1);
        let answer = raw_get(&counter.0).await;
        latencies.push(t.elapsed());
        assert_eq!(answer, 1);
        counters.push(counter);
    }
    drop(counters);
    latencies.sort_unstable();
    latencies
}

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Keeps `count` started, idle actors (or raw tasks) alive and returns the
/// growth of resident memory per one. Run in a fresh process, so that memory
/// freed by earlier workloads cannot hide the cost.
async fn idle(count: usize, raw: bool) -> f64 {
    // Let the runtime and allocator set up their own structures first.
    for _ in 0..1_000 {
        tokio::spawn(async {}).await.expect("warm-up task");
    }
    let before = resident_bytes();
    let mut total = 0;
    let elapsed = if raw {
        let counters: Vec<_> = (0..count).map(|_| raw_counter(1)).collect();
        for (tx, _) in &counters {
            total += raw_get(tx).await;
        }
        let grown = resident_bytes().saturating_sub(before);
        black_box(&counters);
        grown
    } else {
        let counters: Vec<_> = (0..count).map(|_| spawn(Counter { count: 1 })).collect();
        for counter in &counters {
            total += counter.ask(Get).await.expect("counter replies");
        }
        let grown = resident_bytes().saturating_sub(before);
        black_box(&counters);
        grown
    };
    assert_eq!(total, count as u64);
    elapsed as f64 / count as f64
}

/// Runs [`idle`] in a child process of this benchmark and reads its answer.
fn idle_in_child(count: usize, raw: bool, multi: bool) -> f64 {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let output = std::process::Command::new(exe)
        .args([
            "--idle-child",
            if raw { "raw" } else { "actor" },
            if multi { "multi" } else { "current" },
        ])
        .arg(count.to_string())
        .output()
        .expect("the benchmark can run itself");
    assert!(output.status.success(), "idle child failed: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the idle child prints bytes per actor")
}

// Each measured run goes through a function of its own, never inlined, so that
// a profiler can count just that run: on `current_thread` every task of the
// workload is polled inside it, e.g.
// `valgrind --tool=callgrind --toggle-collect='*measure_actor*' <bench> --quick tell --current-thread`.

#[inline(never)]
fn measure_baseline<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    workload: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    on_worker(rt, workload)
}

#[inline(never)]
fn measure_actor<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    workload: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    on_worker(rt, workload)
}

#[inline(never)]
fn measure_restart_fail(rt: &tokio::runtime::Runtime, n: usize) -> Vec<Duration> {
    on_worker(rt, restart_latencies(n, Failure::Fail))
}

#[inline(never)]
fn measure_restart_panic(rt: &tokio::runtime::Runtime, n: usize) -> Vec<Duration> {
    on_worker(rt, restart_latencies(n, Failure::Panic))
}

/// Rates (operations per second) of each round, baseline and ours.
struct Rounds {
    base: Vec<f64>,
    ours: Vec<f64>,
}

/// Runs baseline and ours alternately `rounds` times.
fn compare<B, O, BF, OF>(
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    ops: f64,
    baseline: B,
    ours: O,
) -> Rounds
where
    B: Fn() -> BF,
    O: Fn() -> OF,
    BF: std::future::Future<Output = Duration> + Send + 'static,
    OF: std::future::Future<Output = Duration> + Send + 'static,
{
    let mut r = Rounds {
        base: Vec::new(),
        ours: Vec::new(),
    };
    for _ in 0..rounds {
        r.base
            .push(ops / measure_baseline(rt, baseline()).as_secs_f64());
        r.ours.push(ops / measure_actor(rt, ours()).as_secs_f64());
    }
    r
}

/// `median (min-max)` of the per-round ratios `a[i] / b[i]`.
fn ratios(a: &[f64], b: &[f64]) -> String {
    let r: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    Spread::of(&r).show(1.0, 2)
}

fn report(workload: &str, flavor: &str, unit: &str, r: &Rounds) {
    let (base, ours) = (Spread::of(&r.base), Spread::of(&r.ours));
    println!(
        "{workload:<10} {flavor:<15} baseline {} M {unit}/s   actor {} M {unit}/s   cost {:.2}x (per round {})",
        base.show(1e6, 2),
        ours.show(1e6, 2),
        base.median / ours.median,
        ratios(&r.base, &r.ours),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, kind, flavor, count] = &args[..] {
        if flag == "--idle-child" {
            let rt = runtime(flavor == "multi");
            let count = count.parse().expect("a count");
            println!("{}", rt.block_on(idle(count, kind == "raw")));
            return;
        }
    }
    let opts = options(5);
    let wanted = |name: &str| opts.only.as_deref().is_none_or(|o| name.contains(o));
    println!(
        "actor core benchmarks: {} rounds, median (min-max); cost = baseline rate / actor rate (1.00x = as cheap as raw tokio)",
        opts.rounds
    );
    for &multi in &opts.flavors {
        let flavor = if multi {
            "multi_thread(2)"
        } else {
            "current_thread"
        };
        let rt = runtime(multi);
        let s = opts.scale;
        if wanted("tell") {
            let n = TELL_MESSAGES / s;
            let r = compare(&rt, opts.rounds, n as f64, || tell_raw(n), || tell_actor(n));
            report("tell", flavor, "msg", &r);
        }
        if wanted("fan-in") {
            let n = FAN_IN_MESSAGES / s;
            let total = (FAN_IN_SENDERS * n) as f64;
            let r = compare(
                &rt,
                opts.rounds,
                total,
                || fan_in_raw(FAN_IN_SENDERS, n),
                || fan_in_actor(FAN_IN_SENDERS, n),
            );
            report("fan-in", flavor, "msg", &r);
        }
        if wanted("ask") {
            let n = ASKS / s as usize;
            let mut base = Vec::new();
            let mut mine = Vec::new();
            for _ in 0..opts.rounds {
                base.push(measure_baseline(&rt, ask_raw(n)));
                mine.push(measure_actor(&rt, ask_actor(n)));
            }
            let rates = |runs: &[(Duration, Vec<Duration>)]| -> Vec<f64> {
                runs.iter()
                    .map(|(d, _)| n as f64 / d.as_secs_f64())
                    .collect()
            };
            let pct = |runs: &[(Duration, Vec<Duration>)], p| -> Vec<f64> {
                runs.iter()
                    .map(|(_, l)| percentile(l, p).as_nanos() as f64)
                    .collect()
            };
            let r = Rounds {
                base: rates(&base),
                ours: rates(&mine),
            };
            report("ask", flavor, "ask", &r);
            let (b50, m50) = (pct(&base, 0.5), pct(&mine, 0.5));
            println!(
                "{:<10} {flavor:<15} baseline p50 {} ns p99 {} ns   actor p50 {} ns p99 {} ns   p50 cost {:.2}x (per round {})",
                "ask-lat",
                Spread::of(&b50).show(1.0, 0),
                Spread::of(&pct(&base, 0.99)).show(1.0, 0),
                Spread::of(&m50).show(1.0, 0),
                Spread::of(&pct(&mine, 0.99)).show(1.0, 0),
                median(m50.clone()) / median(b50.clone()),
                ratios(&m50, &b50),
            );
        }
        if wanted("ring") {
            let hops = RING_HOPS / s;
            let r = compare(
                &rt,
                opts.rounds,
                hops as f64,
                || ring_raw(RING_SIZE, hops),
                || ring_actor(RING_SIZE, hops),
            );
            report("ring", flavor, "hop", &r);
        }
        if wanted("spawn") {
            let n = SPAWNS / s as usize;
            let r = compare(
                &rt,
                opts.rounds,
                n as f64,
                || spawn_raw(n),
                || spawn_actor(n),
            );
            report("spawn", flavor, "actor", &r);
        }
        if wanted("restart") {
            let n = RESTARTS / s as usize;
            // The crashes are deliberate: keep their panic messages quiet.
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let (mut raws, mut spawns, mut panics, mut fails, mut unwinds) =
                (vec![], vec![], vec![], vec![], vec![]);
            for _ in 0..opts.rounds {
                raws.push(measure_baseline(&rt, raw_spawn_latencies(n)));
                spawns.push(measure_actor(&rt, spawn_latencies(n)));
                panics.push(measure_restart_panic(&rt, n));
                fails.push(measure_restart_fail(&rt, n));
                unwinds.push(panic_cost(n));
            }
            std::panic::set_hook(hook);
            let pct = |runs: &[Vec<Duration>], p| -> Vec<f64> {
                runs.iter()
                    .map(|l| percentile(l, p).as_nanos() as f64)
                    .collect()
            };
            let (raw_p50, spawn_p50) = (pct(&raws, 0.5), pct(&spawns, 0.5));
            println!(
                "{:<10} {flavor:<15} raw spawn+first get p50 {} ns p99 {} ns",
                "restart",
                Spread::of(&raw_p50).show(1.0, 0),
                Spread::of(&pct(&raws, 0.99)).show(1.0, 0),
            );
            println!(
                "{:<10} {flavor:<15} spawn+first ask     p50 {} ns p99 {} ns   spawn/raw {:.2}x (per round {})",
                "restart",
                Spread::of(&spawn_p50).show(1.0, 0),
                Spread::of(&pct(&spawns, 0.99)).show(1.0, 0),
                median(spawn_p50.clone()) / median(raw_p50.clone()),
                ratios(&spawn_p50, &raw_p50),
            );
            for (what, runs) in [("after ctx.fail", &fails), ("after a panic", &panics)] {
                let p50 = pct(runs, 0.5);
                println!(
                    "{:<10} {flavor:<15} restart {what:<15} p50 {} ns p99 {} ns   restart/spawn {:.2}x (per round {})",
                    "restart",
                    Spread::of(&p50).show(1.0, 0),
                    Spread::of(&pct(runs, 0.99)).show(1.0, 0),
                    median(p50.clone()) / median(spawn_p50.clone()),
                    ratios(&p50, &spawn_p50),
                );
            }
            println!(
                "{:<10} {flavor:<15} of which unwinding a panic (catch_unwind alone) p50 {} ns",
                "restart",
                Spread::of(&pct(&unwinds, 0.5)).show(1.0, 0),
            );
        }
        if wanted("idle") {
            let n = SPAWNS / s as usize;
            let base: Vec<f64> = (0..opts.rounds)
                .map(|_| idle_in_child(n, true, multi))
                .collect();
            let mine: Vec<f64> = (0..opts.rounds)
                .map(|_| idle_in_child(n, false, multi))
                .collect();
            println!(
                "{:<10} {flavor:<15} baseline {} bytes/task    actor {} bytes/actor   ratio {:.2}x",
                "idle",
                Spread::of(&base).show(1.0, 0),
                Spread::of(&mine).show(1.0, 0),
                median(mine.clone()) / median(base.clone())
            );
        }
    }
}
