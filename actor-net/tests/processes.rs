//! Nodes in separate OS processes: the test binary re-executes itself as a
//! child node ([`child_node`]), which exports a recorder and says where it
//! listens on its stdout. The parent talks to it, and kills it to see a
//! node die the hard way.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use actor_core::{spawn, Error};
use actor_net::Node;
use common::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::sync::mpsc;

/// Set in a child's environment: it is a child node.
const CHILD: &str = "ACTOR_NET_TEST_CHILD_NODE";
/// What a child prints once it listens, followed by its address.
const READY: &str = "CHILD-READY ";
/// What a child prints when its recorder starts handling a `Sleep`.
const ENTERED: &str = "CHILD-ENTERED";

/// The child's side: a node exporting a recorder as "rec", until its stdin
/// closes (or it is killed). In the parent's own run, it returns at once.
#[test]
fn child_node() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let node = quick(key())
            .start(any_port())
            .await
            .expect("the child node starts");
        let (entered, mut entering) = mpsc::unbounded_channel();
        node.export("rec", spawn(Recorder::telling(entered)))
            .expect("exported");
        println!("{READY}{}", node.local_addr());
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0; 64];
        loop {
            tokio::select! {
                Some(()) = entering.recv() => println!("{ENTERED}"),
                read = stdin.read(&mut buffer) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                },
            }
        }
        node.shutdown().await;
    });
}

/// A child node, as the parent sees it.
struct ChildNode {
    process: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    addr: SocketAddr,
}

impl ChildNode {
    /// Starts a child node and waits until it listens.
    async fn start() -> ChildNode {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut process = Command::new(exe)
            .args(["--exact", "child_node", "--nocapture"])
            .env(CHILD, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the child starts");
        let stdout = process.stdout.take().expect("the child's stdout is piped");
        let mut child = ChildNode {
            process,
            stdout: BufReader::new(stdout).lines(),
            addr: any_port(),
        };
        child.addr = child
            .says(READY)
            .await
            .trim()
            .parse()
            .expect("the child prints its address");
        child
    }

    /// Waits for a line of the child's with `marker`; what follows it.
    async fn says(&mut self, marker: &str) -> String {
        let stdout = &mut self.stdout;
        patiently(&format!("the child saying {marker:?}"), async {
            loop {
                let line = stdout
                    .next_line()
                    .await
                    .expect("the child's stdout reads")
                    .unwrap_or_else(|| panic!("the child ended before saying {marker:?}"));
                // The test harness may print on the same line.
                if let Some(at) = line.find(marker) {
                    return line[at + marker.len()..].to_owned();
                }
            }
        })
        .await
    }

    /// Closes the child's stdin and waits for it to end well.
    async fn finish(mut self) {
        drop(self.process.stdin.take());
        let status = patiently("the child ending", self.process.wait())
            .await
            .expect("the child is waited for");
        assert!(status.success(), "the child node failed: {status}");
    }

    /// Kills the child (SIGKILL: no goodbye on the network).
    async fn kill(mut self) {
        self.process.kill().await.expect("the child is killed");
    }
}

/// A node for the parent, noticing a lost peer within about a second.
async fn parent() -> Node {
    quick(key())
        .start(any_port())
        .await
        .expect("the parent node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_and_asks_cross_processes_in_order() {
    let child = ChildNode::start().await;
    let parent = parent().await;
    let remote = parent
        .lookup::<Recorder>(child.addr, "rec")
        .await
        .expect("found");
    for n in 0..1_000 {
        remote.tell(Seq { sender: 1, n }).await.expect("told");
    }
    let record = remote.ask(Record { sender: 1 }).await.expect("answered");
    assert_eq!(record, (0..1_000).collect::<Vec<_>>());
    assert_eq!(remote.ask(Count).await.expect("answered"), 1_000);
    child.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_killed_mid_stream_fails_the_ask_and_the_node_carries_on() {
    let mut child = ChildNode::start().await;
    let addr = child.addr;
    let parent = parent().await;
    let remote = parent.lookup::<Recorder>(addr, "rec").await.expect("found");
    let mut watching = watch(&remote).await;

    let streaming = remote.clone();
    let stream = tokio::spawn(async move {
        for n in 0.. {
            if streaming.tell(Seq { sender: 1, n }).await.is_err() {
                break;
            }
        }
    });
    let asking = remote.clone();
    let in_flight = tokio::spawn(async move { asking.ask(Sleep { ms: 600_000 }).await });
    // The ask is in the child's hands, and tells keep coming behind it.
    child.says(ENTERED).await;
    child.kill().await;

    let failed = patiently("the ask in flight", in_flight)
        .await
        .expect("the asker ran");
    match &failed {
        Err(Error::Failed { reason, .. }) => {
            assert!(reason.to_string().contains(&addr.to_string()), "{reason}");
        }
        other => panic!("expected Error::Failed, got {other:?}"),
    }
    let down = watching.down().await;
    assert_eq!(down.id, remote.id());
    assert!(
        down.reason.to_string().contains(&addr.to_string()),
        "{}",
        down.reason
    );
    let later = remote.ask_timeout(Count, Duration::from_secs(2)).await;
    assert!(
        matches!(later, Err(Error::Timeout { .. } | Error::Failed { .. })),
        "{later:?}"
    );
    stream.abort();

    // The parent's node still works, with a new child.
    let second = ChildNode::start().await;
    let again = parent
        .lookup::<Recorder>(second.addr, "rec")
        .await
        .expect("a new child is found");
    again.tell(Seq { sender: 2, n: 0 }).await.expect("told");
    assert_eq!(
        again.ask(Record { sender: 2 }).await.expect("answered"),
        vec![0]
    );
    second.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_fires_when_the_remote_node_dies() {
    let child = ChildNode::start().await;
    let addr = child.addr;
    let parent = parent().await;
    let remote = parent.lookup::<Recorder>(addr, "rec").await.expect("found");
    assert_eq!(remote.ask(Count).await.expect("answered"), 0);
    let mut watching = watch(&remote).await;

    child.kill().await;
    let down = watching.down().await;
    assert_eq!(down.id, remote.id());
    assert!(down.reason.is_failure(), "{}", down.reason);
    assert!(
        down.reason.to_string().contains(&addr.to_string()),
        "{}",
        down.reason
    );
    // The reference outlives the connection: it waits to reconnect.
    assert!(remote.is_alive());
}
