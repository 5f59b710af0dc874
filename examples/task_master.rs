//! The master of a distributed master/worker, as with Python's
//! `multiprocessing.managers.BaseManager`: work handed out over the network.
//!
//! The Python tutorial's `task_master.py` registers two `queue.Queue`s with a
//! `BaseManager` (`get_task_queue`, `get_result_queue`), serves them on port
//! 5000 with `authkey=b'abc'`, puts ten random numbers into the task queue and
//! reads ten results back with `result.get(timeout=10)`. `task_worker.py`, in
//! another process or on another machine, connects with the same address and
//! authkey, takes a number with `task.get(timeout=1)`, squares it, sleeps a
//! second and puts `'n * n = n²'` into the result queue, until `queue.Empty`.
//!
//! Here the master is a [`Node`]: it exports two ordinary [`Queue`] actors
//! under the names `"task_queue"` and `"result_queue"`, and `task_worker`
//! (see `examples/task_worker.rs`) looks them up by name and uses them with
//! the queue's own methods. What differs from the tutorial:
//!
//! - **The key is never sent.** `authkey` is replaced by a [`ClusterKey`]:
//!   each side proves it holds the key with an HMAC bound to this TLS
//!   session, compared in constant time. A worker with another key is
//!   refused with [`NetError::ClusterKeyMismatch`] before any queue
//!   operation, and says so; the master carries on.
//! - **Results are typed.** A result is a [`Square`] (who computed what),
//!   not a preformatted string, so the master checks each one and counts
//!   who did how many: start two workers and watch the tasks split.
//! - **"Empty" and "too late" are results, not crashes.** A worker's
//!   `get_timeout(1 s)` that finds nothing returns
//!   [`QueueError::Timeout`] and the worker goes home; the master's wait is
//!   bounded by `--timeout` and it exits non-zero if results are missing.
//! - **No sentinel.** Once every result is in, the master closes the task
//!   queue: a worker waiting on it learns at once that there is no more work
//!   ([`QueueError::Closed`]).
//!
//! Run the master in one terminal and workers in others:
//!
//! ```sh
//! cargo run --example task_master                     # 127.0.0.1:5000, key "abc"
//! cargo run --example task_worker -- --name a
//! cargo run --example task_worker -- --name b
//! cargo run --example task_worker -- --key wrong      # refused, exits 1
//! ```
//!
//! Flags: `--addr HOST:PORT` (default `127.0.0.1:5000`; `0.0.0.0:5000` to
//! serve other machines), `--key KEY` (default `abc`), `--tasks N` (default
//! 10), `--timeout SECS` (default 60).

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actor::net::{ClusterKey, NetError, Node};
use actor::queue::{Queue, QueueError};
use actor::WireName;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// The name the task queue is exported under (the tutorial's `get_task_queue`).
pub const TASK_QUEUE: &str = "task_queue";
/// The name the result queue is exported under (the tutorial's `get_result_queue`).
pub const RESULT_QUEUE: &str = "result_queue";
/// The master's address unless `--addr` says otherwise (the tutorial's port 5000).
pub const DEFAULT_ADDR: &str = "127.0.0.1:5000";
/// The cluster key unless `--key` says otherwise (the tutorial's `authkey=b'abc'`).
pub const DEFAULT_KEY: &str = "abc";

/// How long the master keeps serving after closing the task queue.
const LINGER: Duration = Duration::from_millis(300);

/// One result, put by a worker into the result queue.
///
/// `task_worker` uses this very definition (it includes this file), so both
/// sides agree on the type and its wire name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Square {
    /// The worker that computed it (its `--name`, or `worker-<pid>`).
    pub worker: String,
    /// The task.
    pub n: u64,
    /// `n * n`.
    pub square: u64,
}

impl WireName for Square {
    fn wire_name() -> std::borrow::Cow<'static, str> {
        // Stable across renames of the Rust type: both builds must agree.
        std::borrow::Cow::Borrowed("examples.task_master.square")
    }
}

/// Resolves `HOST:PORT` (a name such as `localhost:5000` is fine).
pub fn resolve(addr: &str) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| format!("--addr {addr:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("--addr {addr:?} resolves to no address"))
}

/// The tutorial's `random.randint(0, 10000)`: xorshift64 seeded from the clock,
/// so that every run puts other numbers, without a dependency.
struct Random(u64);

impl Random {
    fn from_clock() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        // xorshift must not start at 0; mix in the pid for two masters
        // started in the same instant.
        Random((nanos ^ u64::from(std::process::id()).rotate_left(32)) | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// What to run.
struct Config {
    addr: SocketAddr,
    key: String,
    tasks: usize,
    timeout: Duration,
}

/// Reads `--addr`, `--key`, `--tasks` and `--timeout`.
fn parse_args() -> Result<Config, String> {
    let mut addr = DEFAULT_ADDR.to_string();
    let mut config = Config {
        addr: SocketAddr::from(([127, 0, 0, 1], 5000)),
        key: DEFAULT_KEY.to_string(),
        tasks: 10,
        timeout: Duration::from_secs(60),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => addr = value()?,
            "--key" => config.key = value()?,
            "--tasks" => {
                let v = value()?;
                config.tasks = v
                    .parse()
                    .map_err(|_| format!("--tasks takes a number, not {v:?}"))?;
            }
            "--timeout" => {
                let v = value()?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--timeout takes whole seconds, not {v:?}"))?;
                config.timeout = Duration::from_secs(secs);
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    config.addr = resolve(&addr)?;
    Ok(config)
}

/// Puts the tasks, collects the results; `Err` says what went wrong.
async fn run(config: &Config) -> Result<(), String> {
    let node = Node::start(config.addr, ClusterKey::new(config.key.as_str()))
        .await
        .map_err(|e| e.to_string())?;
    let tasks = Queue::<u64>::unbounded();
    let results = Queue::<Square>::unbounded();
    let export = |e: NetError| e.to_string();
    node.export_handle(TASK_QUEUE, tasks.clone())
        .map_err(export)?;
    node.export_handle(RESULT_QUEUE, results.clone())
        .map_err(export)?;
    println!(
        "master: node on {}, exporting {TASK_QUEUE:?} and {RESULT_QUEUE:?}",
        node.local_addr()
    );

    let mut random = Random::from_clock();
    let mut put = BTreeMap::new();
    for _ in 0..config.tasks {
        let n = random.below(10_001);
        println!("put task {n}");
        tasks.put(n).await.map_err(|e| e.error.to_string())?;
        *put.entry(n).or_insert(0usize) += 1;
    }
    println!(
        "waiting for {} results (at most {:?}); start workers with `cargo run --example task_worker`",
        config.tasks, config.timeout
    );

    let deadline = Instant::now() + config.timeout;
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    for got in 1..=config.tasks {
        let left = deadline.saturating_duration_since(Instant::now());
        let result = match results.get_timeout(left).await {
            Ok(result) => result,
            Err(QueueError::Timeout { .. }) => {
                return Err(format!(
                    "gave up after {:?} with {} of {} results; are workers running with --addr {} and the same --key?",
                    config.timeout,
                    got - 1,
                    config.tasks,
                    config.addr
                ));
            }
            Err(other) => return Err(other.to_string()),
        };
        let Square { worker, n, square } = result;
        // A result must answer a task that was put, once, correctly.
        let known = put.get_mut(&n).filter(|count| **count > 0);
        let Some(count) = known.filter(|_| n.checked_mul(n) == Some(square)) else {
            return Err(format!("WRONG: {worker} answered {n} * {n} = {square}"));
        };
        *count -= 1;
        println!(
            "result {got:>2}/{} from {worker}: {n} * {n} = {square}",
            config.tasks
        );
        *by_worker.entry(worker).or_default() += 1;
    }

    let split: Vec<String> = by_worker
        .iter()
        .map(|(worker, count)| format!("{worker} did {count}"))
        .collect();
    println!(
        "all {} results in: {}",
        config.tasks,
        if split.is_empty() {
            "nothing to do".to_string()
        } else {
            split.join(", ")
        }
    );
    // No sentinel: a worker waiting for a task learns there is no more work.
    tasks.close().await;
    // Closing a node drops what is still in flight on its connections: give
    // the "closed" answers to waiting workers a moment to leave first.
    tokio::time::sleep(LINGER).await;
    node.shutdown().await;
    println!("master exit");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args() {
        Ok(config) => config,
        Err(problem) => {
            eprintln!(
                "{problem}\nusage: task_master [--addr HOST:PORT] [--key KEY] [--tasks N] [--timeout SECS]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("task_master: {problem}");
            ExitCode::FAILURE
        }
    }
}
