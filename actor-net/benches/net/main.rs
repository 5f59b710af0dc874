//! Remote benchmarks: actor-net on loopback, each next to a raw quinn
//! baseline measured in the same run (see `raw.rs`).
//!
//! Run: `cargo bench -p actor-net --bench net` (add `-- --quick` for a short
//! run, or a workload name such as `-- ask` to run one).
//!
//! Baselines, on one QUIC connection with the same TLS stack and transport
//! settings as a node: (a) 36-byte length-prefixed frames, one `write_all`
//! per frame; (b) the same frames coalesced into 64 KiB writes; (c) a
//! sequential round trip of one frame each way. The remote workloads run two
//! nodes in this process (self-signed TLS, one cluster key): tell, ask, a
//! queue with 2 producers and 2 consumers on nodes of their own (five nodes,
//! see `queue.rs`), and the memory of a fast sender feeding a slow actor
//! (in a child process, so that earlier workloads cannot hide growth). Each
//! figure is the median of the rounds; baseline and ours alternate within a
//! round. Every workload asserts its count, so a broken transport cannot
//! report a figure.

#[path = "../../../benches/support/harness.rs"]
mod harness;
#[path = "../support/counter.rs"]
#[macro_use]
mod counter;
mod queue;
mod raw;

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actor_core::remote::{Accepts, RemoteActor};
use actor_core::{spawn, Actor, Context, Handler, Message, RemoteMessage, WireName};
use actor_net::{ClusterKey, Node};
use serde::{Deserialize, Serialize};

use counter::{Add, Counter, Get, Ping};
use harness::{median, on_worker, options, percentile, runtime};

// ---------------------------------------------------------------- actors

/// Handles each message slowly (a busy wait, since tokio's timer cannot
/// sleep for microseconds).
struct Slow {
    handled: u64,
    per_message: Duration,
}
impl Actor for Slow {}
impl WireName for Slow {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("bench.slow")
    }
}

#[derive(Serialize, Deserialize)]
struct Blob(Vec<u8>);
remote_message!(Blob, (), "bench.blob");

impl Handler<Blob> for Slow {
    async fn handle(&mut self, Blob(bytes): Blob, _: &mut Context<Self>) {
        assert_eq!(bytes.len(), BLOB);
        let until = Instant::now() + self.per_message;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        self.handled += 1;
    }
}
impl Handler<Get> for Slow {
    async fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.handled
    }
}
impl RemoteActor for Slow {
    fn accepts(messages: &mut Accepts<Self>) {
        messages.accept::<Blob>().accept::<Get>();
    }
}

// ---------------------------------------------------------------- workloads

const RAW_FRAMES: u64 = 1_000_000;
const RAW_COALESCED_FRAMES: u64 = 10_000_000;
const TELLS: u64 = 1_000_000;
const ASKS: usize = 100_000;
const BLOB: usize = 1024;
const BLOBS: u64 = 200_000;
const SLOW_PER_MESSAGE: Duration = Duration::from_micros(10);
const QUEUE_ITEMS: u64 = 40_000;
const RSS_EVERY: u64 = 2_000;
const WARM_UP: u64 = 20_000;

fn any() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

/// Two nodes of one cluster in this process: (exporting, calling).
async fn nodes() -> (Node, Node) {
    let key = ClusterKey::new("bench");
    let server = Node::start(any(), key.clone()).await.expect("server node");
    let client = Node::start(any(), key).await.expect("client node");
    (server, client)
}

async fn shutdown(nodes: &[&Node]) {
    for node in nodes {
        node.shutdown().await;
    }
}

/// 1: `count` remote tells from one sender, then one ask for the count.
async fn remote_tell(count: u64) -> Duration {
    let (server, client) = nodes().await;
    server
        .export("counter", spawn(Counter(0)))
        .expect("exported");
    let counter = client
        .lookup::<Counter>(server.local_addr(), "counter")
        .await
        .expect("looked up");
    let start = Instant::now();
    for _ in 0..count {
        counter.tell(Add(1)).await.expect("told");
    }
    let counted = counter.ask(Get).await.expect("answered");
    let elapsed = start.elapsed();
    assert_eq!(counted, count);
    drop(counter);
    shutdown(&[&client, &server]).await;
    elapsed
}

/// 2: `count` sequential remote asks; total time and sorted latencies.
async fn remote_ask(count: usize) -> (Duration, Vec<Duration>) {
    let (server, client) = nodes().await;
    server
        .export("counter", spawn(Counter(0)))
        .expect("exported");
    let counter = client
        .lookup::<Counter>(server.local_addr(), "counter")
        .await
        .expect("looked up");
    let mut latencies = Vec::with_capacity(count);
    let start = Instant::now();
    for i in 0..count as u64 {
        let t = Instant::now();
        let echoed = counter.ask(Ping(i)).await.expect("answered");
        latencies.push(t.elapsed());
        assert_eq!(echoed, i);
    }
    let elapsed = start.elapsed();
    drop(counter);
    shutdown(&[&client, &server]).await;
    latencies.sort_unstable();
    (elapsed, latencies)
}

/// Context switches of every thread of this process so far.
fn ctx_switches() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
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

/// 4: a fast sender feeding a slow remote actor 1 KiB messages; returns
/// (RSS before sending, RSS after the warm-up, the highest RSS after it,
/// messages per second). Run in a fresh process.
async fn memory() -> (usize, usize, usize, f64) {
    let (server, client) = nodes().await;
    let slow = Slow {
        handled: 0,
        per_message: SLOW_PER_MESSAGE,
    };
    server.export("slow", spawn(slow)).expect("exported");
    let slow = client
        .lookup::<Slow>(server.local_addr(), "slow")
        .await
        .expect("looked up");
    let before = resident_bytes();
    let (mut warm, mut highest) = (0, 0);
    let start = Instant::now();
    for i in 1..=BLOBS {
        slow.tell(Blob(vec![i as u8; BLOB])).await.expect("told");
        if i % RSS_EVERY == 0 {
            let rss = resident_bytes();
            if i == WARM_UP {
                warm = rss;
            }
            if i >= WARM_UP {
                highest = highest.max(rss);
            }
        }
    }
    let handled = slow.ask(Get).await.expect("answered");
    let rate = BLOBS as f64 / start.elapsed().as_secs_f64();
    assert_eq!(handled, BLOBS);
    drop(slow);
    shutdown(&[&client, &server]).await;
    (before, warm, highest, rate)
}

/// Runs [`memory`] in a child process of this benchmark and reads its answer.
fn memory_in_child(multi: bool) -> Vec<f64> {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let output = std::process::Command::new(exe)
        .args(["--memory-child", if multi { "multi" } else { "current" }])
        .output()
        .expect("the benchmark can run itself");
    assert!(output.status.success(), "memory child failed: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|n| n.parse().expect("the memory child prints numbers"))
        .collect()
}

type Latencies = (Duration, Vec<Duration>);

fn rate(runs: &[Latencies], n: usize) -> f64 {
    median(
        runs.iter()
            .map(|(d, _)| n as f64 / d.as_secs_f64())
            .collect(),
    )
}

fn pct(runs: &[Latencies], p: f64) -> f64 {
    median(
        runs.iter()
            .map(|(_, l)| percentile(l, p).as_nanos() as f64 / 1000.0)
            .collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, flavor] = &args[..] {
        if flag == "--memory-child" {
            let (before, warm, highest, rate) = runtime(flavor == "multi").block_on(memory());
            println!("{before} {warm} {highest} {rate}");
            return;
        }
    }
    let opts = options(3);
    let wanted = |name: &str| opts.only.as_deref().is_none_or(|o| name.contains(o));
    let (rounds, s) = (opts.rounds, opts.scale);
    println!("actor-net benchmarks: {rounds} rounds, median; raw quinn baselines in the same run");
    for multi in [true, false]
        .into_iter()
        .filter(|m| opts.flavors.contains(m))
    {
        let flavor = if multi {
            "multi_thread(2)"
        } else {
            "current_thread"
        };
        let rt = runtime(multi);
        if wanted("tell") {
            let (a_n, b_n, n) = (RAW_FRAMES / s, RAW_COALESCED_FRAMES / s, TELLS / s);
            let (mut a, mut b, mut ours) = (vec![], vec![], vec![]);
            for _ in 0..rounds {
                a.push(a_n as f64 / on_worker(&rt, raw::stream(a_n, false)).as_secs_f64());
                b.push(b_n as f64 / on_worker(&rt, raw::stream(b_n, true)).as_secs_f64());
                let cs0 = ctx_switches();
                ours.push(n as f64 / on_worker(&rt, remote_tell(n)).as_secs_f64());
                if std::env::var_os("NET_BENCH_EACH").is_some() {
                    eprintln!(
                        "  round: raw (b) {:.2} M frames/s; ours {:.2} M msg/s, {} switches",
                        b[b.len() - 1] / 1e6,
                        ours[ours.len() - 1] / 1e6,
                        ctx_switches() - cs0
                    );
                }
            }
            let (a, b, ours) = (median(a), median(b), median(ours));
            println!(
                "tell    {flavor:<15} raw (a) write per frame {:>6.2} M frames/s   raw (b) 64 KiB writes {:>6.2} M frames/s   remote tell {:>6.2} M msg/s   = {:.2}x (b), {:.2}x (a)",
                a / 1e6,
                b / 1e6,
                ours / 1e6,
                ours / b,
                ours / a
            );
        }
        if wanted("ask") {
            let n = ASKS / s as usize;
            let (mut c, mut ours) = (vec![], vec![]);
            for _ in 0..rounds {
                let cs0 = ctx_switches();
                c.push(on_worker(&rt, raw::round_trips(n)));
                let cs1 = ctx_switches();
                ours.push(on_worker(&rt, remote_ask(n)));
                let cs2 = ctx_switches();
                if std::env::var_os("NET_BENCH_EACH").is_some() {
                    eprintln!(
                        "  round: raw p50 {:.1} us, {} switches; ours p50 {:.1} us, {} switches",
                        pct(&c[c.len() - 1..], 0.5),
                        cs1 - cs0,
                        pct(&ours[ours.len() - 1..], 0.5),
                        cs2 - cs1
                    );
                }
            }
            println!(
                "ask     {flavor:<15} raw (c) round trip p50 {:>6.1} us p99 {:>6.1} us ({:>6.0}/s)   remote ask p50 {:>6.1} us p99 {:>6.1} us ({:>6.0}/s)   p50 = {:.2}x (c), p99 = {:.2}x",
                pct(&c, 0.5),
                pct(&c, 0.99),
                rate(&c, n),
                pct(&ours, 0.5),
                pct(&ours, 0.99),
                rate(&ours, n),
                pct(&ours, 0.5) / pct(&c, 0.5),
                pct(&ours, 0.99) / pct(&c, 0.99)
            );
        }
        if wanted("queue") {
            // One item per request, then batches of 16 and 256 (`put_many`,
            // `get_many`) over ten times the items.
            for (batch, n) in [
                (1, QUEUE_ITEMS / s),
                (16, 10 * QUEUE_ITEMS / s),
                (256, 10 * QUEUE_ITEMS / s),
            ] {
                let mut runs: Vec<f64> = (0..rounds)
                    .map(|_| n as f64 / on_worker(&rt, queue::remote_queue(n, batch)).as_secs_f64())
                    .collect();
                runs.sort_by(f64::total_cmp);
                let (low, high) = (runs[0], runs[runs.len() - 1]);
                let ours = median(runs);
                println!(
                    "queue   {flavor:<15} remote queue, 2 producers + 2 consumers on 4 nodes, batch {batch:>3}: {ours:>9.0} items/s (range {low:.0}-{high:.0})   = {:.2}x Python's BaseManager queue ({:.0} items/s)",
                    ours / queue::PYTHON_ITEMS_PER_SEC,
                    queue::PYTHON_ITEMS_PER_SEC
                );
            }
        }
        if wanted("memory") {
            let [before, warm, highest, rate] = memory_in_child(multi)[..] else {
                panic!("the memory child prints four numbers");
            };
            let mib = |b: f64| b / (1024.0 * 1024.0);
            println!(
                "memory  {flavor:<15} {BLOBS} x {BLOB} B to an actor taking {SLOW_PER_MESSAGE:?} each ({rate:.0} msg/s): RSS {:.1} MiB before, {:.1} MiB after {WARM_UP} msgs, max {:.1} MiB after => growth after warm-up {:.2} MiB (sent {:.0} MiB)",
                mib(before),
                mib(warm),
                mib(highest),
                mib(highest - warm),
                mib((BLOBS as usize * BLOB) as f64)
            );
        }
    }
}
