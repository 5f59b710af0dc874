//! Process-hosted actors against the same actor in this process and behind a
//! remote reference between two nodes in this process, in the same run.
//!
//! Run: `cargo bench -p actor-net --bench process` (`-- --quick` for one
//! short round). This binary is its own host: its `main` calls
//! `process::init` first, as an application's does.
//!
//! - **tell**: 1,000,000 `Add(1)` told, then one `Get` asked; timed from the
//!   first tell to the answer. Rate in messages per second.
//! - **ask**: 100,000 sequential `Get`s; p50 and p99 of the round trips.
//! - **spawn**: 100 `spawn_process` calls, each timed to its child's first
//!   answered ask (p50 and p99), the children stopped one by one.
//! - **idle RSS** of a hosted child, from `/proc/<pid>/status`.
//!
//! Each round measures the three sides one after another, the client code
//! in a task on a worker, as actor code runs; the figure is the median over
//! the rounds, with the range.

#[path = "support/counter.rs"]
mod counter;
#[path = "../../benches/support/harness.rs"]
mod harness;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use actor_net::process::{self, Hosted, ProcessOptions};
use actor_net::{ClusterKey, Node};
use counter::{Add, Counter, Get, Pid};
use harness::{on_worker, percentile, Spread};

impl Hosted for Counter {
    type Args = u64;
    fn start(count: u64) -> Self {
        Counter(count)
    }
}

/// Where a side's counter lives.
#[derive(Clone, Copy, Debug)]
enum Side {
    Local,
    Remote,
    Process,
}

/// A counter on `side`; the nodes of a remote one are kept alive by the
/// returned value.
async fn counter(side: Side) -> (ActorRef<Counter>, Option<(Node, Node)>) {
    match side {
        Side::Local => (spawn(Counter(0)), None),
        Side::Remote => {
            let any: SocketAddr = ([127, 0, 0, 1], 0).into();
            let key = ClusterKey::new(ClusterKey::random_secret());
            let server = Node::start(any, key.clone()).await.expect("a node");
            let client = Node::start(any, key).await.expect("a node");
            server
                .export("counter", spawn(Counter(0)))
                .expect("exported");
            let reference = client
                .lookup::<Counter>(server.local_addr(), "counter")
                .await
                .expect("looked up");
            (reference, Some((server, client)))
        }
        Side::Process => {
            let reference = process::spawn_process::<Counter>(&0, ProcessOptions::new())
                .await
                .expect("the child starts");
            (reference, None)
        }
    }
}

async fn tell_rate(side: Side, n: u64) -> f64 {
    let (counter, _nodes) = counter(side).await;
    let began = Instant::now();
    for _ in 0..n {
        counter.tell(Add(1)).await.expect("told");
    }
    assert_eq!(counter.ask(Get).await, Ok(n));
    let rate = n as f64 / began.elapsed().as_secs_f64();
    counter.stop();
    counter.join().await;
    rate
}

async fn ask_latency(side: Side, n: usize) -> (Duration, Duration) {
    let (counter, _nodes) = counter(side).await;
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let began = Instant::now();
        counter.ask(Get).await.expect("answered");
        samples.push(began.elapsed());
    }
    samples.sort();
    counter.stop();
    counter.join().await;
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

async fn spawns(n: usize) -> (Duration, Duration, f64) {
    let mut samples = Vec::with_capacity(n);
    let mut rss = 0.0;
    for i in 0..n {
        let began = Instant::now();
        let (counter, _) = counter(Side::Process).await;
        let pid = counter.ask(Pid).await.expect("answered");
        samples.push(began.elapsed());
        if i == 0 {
            rss = rss_mib(pid);
        }
        counter.stop();
        counter.join().await;
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99), rss)
}

/// Resident memory of process `pid`, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    process::init(|hosts| {
        hosts.host::<Counter>();
    });
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, tells, asks, starts) = if quick {
        (1, 100_000, 10_000, 10)
    } else {
        (3, 1_000_000, 100_000, 100)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    println!("process-hosted actors: {rounds} round(s), median (min-max)");
    let sides = [Side::Local, Side::Remote, Side::Process];
    let mut rates = vec![Vec::new(); sides.len()];
    let mut p50s = vec![Vec::new(); sides.len()];
    let mut p99s = vec![Vec::new(); sides.len()];
    for _ in 0..rounds {
        for (i, &side) in sides.iter().enumerate() {
            rates[i].push(on_worker(&rt, tell_rate(side, tells)));
            let (p50, p99) = on_worker(&rt, ask_latency(side, asks));
            p50s[i].push(p50.as_secs_f64() * 1e6);
            p99s[i].push(p99.as_secs_f64() * 1e6);
        }
    }
    for (i, side) in sides.iter().enumerate() {
        println!(
            "{:<8} tell {} M msg/s   ask p50 {} us   p99 {} us",
            format!("{side:?}"),
            Spread::of(&rates[i]).show(1e6, 2),
            Spread::of(&p50s[i]).show(1.0, 1),
            Spread::of(&p99s[i]).show(1.0, 1),
        );
    }
    let (p50, p99, rss) = on_worker(&rt, spawns(starts));
    println!(
        "spawn to first answer over {starts} children: p50 {:.1} ms, p99 {:.1} ms; idle child RSS {rss:.1} MiB",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
