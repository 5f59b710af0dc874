//! Attacks on a node by strangers and by churn, with the node in a process
//! of its own whose resident memory is read from `/proc`:
//!
//! - `initials`: 5,000 QUIC Initial packets, each opening a connection that
//!   is never answered (so their source could be spoofed), sent over 5 s
//!   from 50 UDP sockets; meanwhile fresh nodes with the key connect, one
//!   after the other, and their connect times are the latency a real peer
//!   sees during the flood.
//! - `streams`: 4 connections that complete TLS but prove no key, each
//!   trying to open 1,000 streams and write 1.2 MB of junk on each.
//! - `churn`: 3 batches of 300 short-lived client nodes (50 at a time)
//!   that connect and shut down, after a batch that warms the node up.
//!
//! ```sh
//! cargo bench -p actor-net --bench attack              # all three
//! cargo bench -p actor-net --bench attack -- churn     # one
//! ```
//!
//! Linux only (it reads `/proc/<pid>/status`).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actor_net::{ClusterKey, Node};

/// Tells the binary, re-executed, to be the node under attack.
const VICTIM: &str = "ACTOR_NET_ATTACK_VICTIM";
const KEY: &str = "attack-bench-key";

fn main() {
    if std::env::var_os(VICTIM).is_some() {
        victim();
        return;
    }
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runs = |name: &str| wanted.is_empty() || wanted.iter().any(|w| name.contains(w.as_str()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    println!("attacks on a node in its own process (RSS from /proc; MiB)");
    if runs("initials") {
        rt.block_on(initials());
    }
    if runs("streams") {
        rt.block_on(streams());
    }
    if runs("churn") {
        rt.block_on(churn());
    }
}

/// The node under attack: prints its address, then runs until its stdin
/// closes.
fn victim() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let any = "127.0.0.1:0".parse().expect("an address");
        let node = Node::start(any, ClusterKey::new(KEY))
            .await
            .expect("the node starts");
        println!("{}", node.local_addr());
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
        })
        .await
        .expect("stdin read");
        node.shutdown().await;
    });
}

/// The node under attack, in a child process.
struct Victim {
    child: Child,
    addr: SocketAddr,
}

impl Victim {
    fn start() -> Victim {
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .env(VICTIM, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the victim starts");
        let stdout = child.stdout.take().expect("its stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("its address");
        let addr = line.trim().parse().expect("an address");
        Victim { child, addr }
    }

    /// Resident memory, in MiB.
    fn rss(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS");
        kib / 1024.0
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn any() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

fn tls_client() -> rustls::ClientConfig {
    actor_net::__testing::stranger_tls()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn initials() {
    let victim = Victim::start();
    let before = victim.rss();
    let target = victim.addr;
    // Key holders connect, one fresh node after another, during the flood.
    let connects = tokio::spawn(async move {
        let mut times = Vec::new();
        let end = Instant::now() + Duration::from_secs(6);
        while Instant::now() < end {
            let node = Node::start(any(), ClusterKey::new(KEY))
                .await
                .expect("a node");
            let start = Instant::now();
            let connected =
                tokio::time::timeout(Duration::from_secs(5), node.connect(target)).await;
            times.push(match connected {
                Ok(Ok(())) => start.elapsed().as_secs_f64() * 1e3,
                _ => f64::INFINITY,
            });
            node.shutdown().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        times
    });
    let sent = tokio::task::spawn_blocking(move || {
        let crypto = quinn_proto::crypto::rustls::QuicClientConfig::try_from(tls_client())
            .expect("a QUIC TLS config");
        let config = quinn_proto::ClientConfig::new(Arc::new(crypto));
        let mut endpoint = quinn_proto::Endpoint::new(
            Arc::new(quinn_proto::EndpointConfig::default()),
            None,
            false,
            None,
        );
        let sockets: Vec<UdpSocket> = (0..50)
            .map(|_| UdpSocket::bind(any()).expect("a socket"))
            .collect();
        let start = Instant::now();
        let mut bytes = 0;
        let mut buf = Vec::new();
        for i in 0..5_000u32 {
            let now = Instant::now();
            let (_, mut connection) = endpoint
                .connect(now, config.clone(), target, "actor-node")
                .expect("an Initial");
            buf.clear();
            if let Some(transmit) = connection.poll_transmit(now, 1, &mut buf) {
                let socket = &sockets[i as usize % sockets.len()];
                bytes += socket.send_to(&buf[..transmit.size], target).expect("sent");
            }
            // 1,000 a second: the flood lasts 5 s.
            let due = start + Duration::from_millis(u64::from(i + 1));
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        bytes
    })
    .await
    .expect("the flood");
    let mut peak = victim.rss();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(victim.rss());
    }
    let mut times = connects.await.expect("the key holders");
    times.sort_by(f64::total_cmp);
    println!(
        "initials  5000 Initials ({:.1} MB) over 5 s: RSS {before:.1} before, peak {peak:.1} after (+{:.1}); a key holder's connect during the flood: p50 {:.1} ms, p99 {:.1} ms, {} tries",
        sent as f64 / 1e6,
        peak - before,
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.len()
    );
}

async fn streams() {
    let victim = Victim::start();
    let before = victim.rss();
    let target = victim.addr;
    let junk = vec![0x5a_u8; 1_200_000];
    let mut attackers = Vec::new();
    for _ in 0..4 {
        let junk = junk.clone();
        attackers.push(tokio::spawn(async move {
            let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls_client())
                .expect("a QUIC TLS config");
            let mut endpoint = quinn::Endpoint::client(any()).expect("an endpoint");
            endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
            let Ok(Ok(connection)) = tokio::time::timeout(
                Duration::from_secs(5),
                endpoint.connect(target, "actor-node").expect("connecting"),
            )
            .await
            else {
                return (0, 0);
            };
            // Everything within 6 s: flow control stops what it stops.
            let (mut opened, mut written) = (0, 0);
            let _ = tokio::time::timeout(Duration::from_secs(6), async {
                let mut writers = Vec::new();
                for _ in 0..1_000 {
                    let Ok((mut send, recv)) = connection.open_bi().await else {
                        break;
                    };
                    opened += 1;
                    let junk = junk.clone();
                    writers.push(tokio::spawn(async move {
                        let _recv = recv;
                        send.write_all(&junk)
                            .await
                            .map(|()| junk.len())
                            .unwrap_or(0)
                    }));
                }
                for writer in writers {
                    written += writer.await.unwrap_or(0);
                }
            })
            .await;
            (opened, written)
        }));
    }
    let mut peak = victim.rss();
    let end = Instant::now() + Duration::from_secs(7);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(victim.rss());
    }
    let mut opened = 0;
    for attacker in attackers {
        opened += attacker.await.expect("an attacker").0;
    }
    println!(
        "streams   4 unauthenticated connections x 1000 streams x 1.2 MB: {opened} streams opened; RSS {before:.1} before, peak {peak:.1} (+{:.1})",
        peak - before
    );
}

async fn churn() {
    let victim = Victim::start();
    let idle = victim.rss();
    // A first batch warms the victim up (its runtime's and allocator's
    // buffers for 50 connections at once); the three batches after it are
    // measured against where it left the victim.
    churn_batch(victim.addr).await;
    let start = victim.rss();
    let mut after = Vec::new();
    for _ in 0..3 {
        churn_batch(victim.addr).await;
        after.push(victim.rss());
    }
    let last = after[after.len() - 1];
    println!(
        "churn     3 batches of 300 client nodes: RSS {idle:.1} idle, {start:.1} after a warm-up batch, after each batch {}; {:+.1}% over the warm start",
        after
            .iter()
            .map(|r| format!("{r:.1}"))
            .collect::<Vec<_>>()
            .join(", "),
        (last - start) / start * 100.0
    );
}

/// 300 client nodes, 50 at a time, each connecting and shutting down; then
/// a second for the victim to notice the last closes.
async fn churn_batch(victim: SocketAddr) {
    for _ in 0..6 {
        let mut nodes = Vec::new();
        for _ in 0..50 {
            let node = Node::start(any(), ClusterKey::new(KEY))
                .await
                .expect("a node");
            node.connect(victim).await.expect("connected");
            nodes.push(node);
        }
        for node in nodes {
            node.shutdown().await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
}
