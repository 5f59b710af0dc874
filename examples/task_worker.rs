//! The worker of a distributed master/worker, as with Python's
//! `multiprocessing.managers.BaseManager`: takes tasks from the master's queue.
//!
//! The tutorial's `task_worker.py` connects to the master's `BaseManager` with
//! the same address and `authkey`, takes numbers with `task.get(timeout=1)`,
//! squares each, sleeps a second and puts the result back, until it meets
//! `queue.Empty`. Here the worker starts a [`Node`] of its own, proves the
//! cluster key to the master (the key itself never crosses the network),
//! looks up the master's two queues by name, and uses them with the queue's
//! own methods: `get_timeout`, `put`. Start it after `task_master` (see
//! `examples/task_master.rs`); start two and the tasks split between them.
//!
//! How it ends, each on one line of output:
//!
//! - the task queue stays empty for `--idle` (1 s): `get_timeout` returns
//!   [`QueueError::Timeout`], an ordinary result, and the worker exits 0;
//! - the master closes the task queue (every result is in): the worker
//!   learns it from [`QueueError::Closed`] and exits 0;
//! - the master holds another key: the connection is refused
//!   ([`NetError::ClusterKeyMismatch`]) before any queue is touched, and the
//!   worker says so and exits 1;
//! - the master goes away (or stops answering) while the worker waits for
//!   a task: nothing is in hand, so the worker says so and exits 0;
//! - the master cannot be reached at all, or goes away while a result is
//!   being put: the worker says what happened and exits 1.
//!
//! Flags: `--addr HOST:PORT` (default `127.0.0.1:5000`), `--key KEY`
//! (default `abc`), `--name NAME` (default `worker-<pid>`), `--pause MS` (how
//! long a task takes, default 500, so that the split is visible), `--idle
//! MS` (default 1000).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use actor::net::{ClusterKey, NetError, Node};
use actor::queue::{Queue, QueueError};
use tokio::time::timeout;

/// The task and result types, the queue names and the defaults, shared
/// with the master so that the two cannot drift apart.
#[allow(dead_code)]
#[path = "task_master.rs"]
mod master;

use master::{Square, DEFAULT_ADDR, DEFAULT_KEY, RESULT_QUEUE, TASK_QUEUE};

/// How much longer than its own time limit a request may go unanswered
/// before the worker decides that the master is gone. A request to a node
/// that cannot be reached waits for the connection to be reopened; this
/// bounds that wait.
const GRACE: Duration = Duration::from_secs(5);

/// What to run.
struct Config {
    addr: SocketAddr,
    key: String,
    name: String,
    pause: Duration,
    idle: Duration,
}

/// Reads `--addr`, `--key`, `--name`, `--pause` and `--idle`.
fn parse_args() -> Result<Config, String> {
    let mut addr = DEFAULT_ADDR.to_string();
    let mut config = Config {
        addr: SocketAddr::from(([127, 0, 0, 1], 5000)),
        key: DEFAULT_KEY.to_string(),
        name: format!("worker-{}", std::process::id()),
        pause: Duration::from_millis(500),
        idle: Duration::from_secs(1),
    };
    let millis = |flag: &str, v: String| {
        v.parse()
            .map(Duration::from_millis)
            .map_err(|_| format!("{flag} takes milliseconds, not {v:?}"))
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => addr = value()?,
            "--key" => config.key = value()?,
            "--name" => config.name = value()?,
            "--pause" => config.pause = millis(&flag, value()?)?,
            "--idle" => config.idle = millis(&flag, value()?)?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    config.addr = master::resolve(&addr)?;
    Ok(config)
}

/// Explains a failure to reach the master; a refused key names the flag.
fn explain(error: NetError, key: &str) -> String {
    match error {
        NetError::ClusterKeyMismatch { addr } => {
            format!("refused by {addr}: the cluster key differs (--key {key}?)")
        }
        other => other.to_string(),
    }
}

/// Takes tasks until there are none; `Err` says what went wrong.
async fn run(config: &Config) -> Result<(), String> {
    let me = &config.name;
    // Listen on the interface that reaches the master: loopback for a local
    // master, any interface otherwise.
    let here = match config.addr.ip() {
        ip if ip.is_loopback() => SocketAddr::new(ip, 0),
        IpAddr::V4(_) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
        IpAddr::V6(_) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
    };
    let key = config.key.as_str();
    let node = Node::start(here, ClusterKey::new(key))
        .await
        .map_err(|e| e.to_string())?;
    println!("{me}: connecting to {}", config.addr);
    // Connect first, so that a wrong key is reported as such, before any
    // lookup.
    node.connect(config.addr)
        .await
        .map_err(|e| explain(e, key))?;
    let tasks = node
        .lookup_handle::<Queue<u64>>(config.addr, TASK_QUEUE)
        .await
        .map_err(|e| explain(e, key))?;
    let results = node
        .lookup_handle::<Queue<Square>>(config.addr, RESULT_QUEUE)
        .await
        .map_err(|e| explain(e, key))?;

    let mut done = 0;
    loop {
        // The time limit is kept by the master, where the waiting happens;
        // the outer one only catches a master that stopped answering.
        let taken = timeout(config.idle + GRACE, tasks.get_timeout(config.idle)).await;
        let n = match taken {
            Ok(Ok(n)) => n,
            Ok(Err(QueueError::Timeout { timeout, .. })) => {
                println!(
                    "{me}: the task queue was empty for {timeout:?}; did {done} tasks; worker exit"
                );
                break;
            }
            Ok(Err(QueueError::Closed { .. })) => {
                println!("{me}: the master closed the task queue; did {done} tasks; worker exit");
                break;
            }
            // No task is in hand, so a master that went away leaves nothing
            // undone here: the worker is done, as with an empty queue.
            Ok(Err(other)) => {
                println!("{me}: the task queue is gone ({other}); did {done} tasks; worker exit");
                break;
            }
            Err(_) => {
                println!(
                    "{me}: the master at {} stopped answering; did {done} tasks; worker exit",
                    config.addr
                );
                break;
            }
        };
        println!("{me}: run task {n} * {n}");
        // The tutorial's `time.sleep(1)`: a task takes a while, so that two
        // workers visibly share the work.
        tokio::time::sleep(config.pause).await;
        let square = n
            .checked_mul(n)
            .ok_or(format!("{n} * {n} does not fit in a u64"))?;
        let result = Square {
            worker: me.clone(),
            n,
            square,
        };
        match timeout(GRACE, results.put(result)).await {
            Ok(Ok(())) => {}
            Ok(Err(refused)) => {
                return Err(format!("the result of {n} was refused: {}", refused.error));
            }
            Err(_) => {
                return Err(format!(
                    "the master at {} stopped answering; the result of {n} may be lost",
                    config.addr
                ));
            }
        }
        done += 1;
    }
    node.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args() {
        Ok(config) => config,
        Err(problem) => {
            eprintln!(
                "{problem}\nusage: task_worker [--addr HOST:PORT] [--key KEY] [--name NAME] [--pause MS] [--idle MS]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("task_worker {}: {problem}", config.name);
            ExitCode::FAILURE
        }
    }
}
