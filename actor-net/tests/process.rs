//! Process-hosted actors with real child processes: this test binary is its
//! own host (its `main` calls `process::init` first, as an application's
//! does, so the harness is its own: `harness = false`).
//!
//! Each case starts a child, talks to it through an ordinary reference, and
//! ends it in one of the ways a process ends: normally, by a panic in a
//! handler, `abort()`, an exit status, SIGKILL from outside. The reference
//! ends with the reason that names it, and the ask in progress fails with it.

#[macro_use]
mod common;

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use actor_core::remote::{Accepts, RemoteActor};
use actor_core::{RemoteMessage, WireName};
use actor_net::process::{self, Hosted, ProcessError, ProcessOptions};
use actor_test_support::{process_gone, quiet_deliberate_panics, DELIBERATE};
use serde::{Deserialize, Serialize};

/// The hosted actor: squares numbers, remembers what it was told, and ends
/// its process in the way it is asked to.
struct Worker {
    seen: Vec<u64>,
}

impl Actor for Worker {}
impl WireName for Worker {
    fn wire_name() -> Cow<'static, str> {
        "test.worker".into()
    }
}
impl Hosted for Worker {
    type Args = u64;
    fn start(first: u64) -> Self {
        Worker { seen: vec![first] }
    }
}
impl RemoteActor for Worker {
    fn accepts(messages: &mut Accepts<Self>) {
        messages
            .accept::<Square>()
            .accept::<Record>()
            .accept::<Seen>()
            .accept::<Pid>()
            .accept::<Say>()
            .accept::<End>();
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Square(u64);
remote_message!(Square, u64, "test.square");
#[derive(Debug, Serialize, Deserialize)]
struct Record(u64);
remote_message!(Record, (), "test.record");
#[derive(Debug, Serialize, Deserialize)]
struct Seen;
remote_message!(Seen, Vec<u64>, "test.seen");
#[derive(Debug, Serialize, Deserialize)]
struct Pid;
remote_message!(Pid, u32, "test.pid");
#[derive(Debug, Serialize, Deserialize)]
struct Say(String);
remote_message!(Say, (), "test.say");

/// Ends the process, or hangs, as named. `Hang` first connects to the
/// address it carries, so that the test knows the handler is running.
#[derive(Debug, Serialize, Deserialize)]
enum End {
    Panic,
    Abort,
    Exit(i32),
    Hang(String),
}
remote_message!(End, (), "test.end");

impl Handler<Square> for Worker {
    async fn handle(&mut self, Square(n): Square, _: &mut Context<Self>) -> u64 {
        n * n
    }
}
impl Handler<Record> for Worker {
    async fn handle(&mut self, Record(n): Record, _: &mut Context<Self>) {
        self.seen.push(n);
    }
}
impl Handler<Seen> for Worker {
    async fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Vec<u64> {
        self.seen.clone()
    }
}
impl Handler<Say> for Worker {
    async fn handle(&mut self, Say(text): Say, _: &mut Context<Self>) {
        println!("out: {text}");
        eprintln!("err: {text}");
    }
}
impl Handler<Pid> for Worker {
    async fn handle(&mut self, _: Pid, _: &mut Context<Self>) -> u32 {
        std::process::id()
    }
}
impl Handler<End> for Worker {
    async fn handle(&mut self, end: End, _: &mut Context<Self>) {
        match end {
            End::Panic => panic!("{DELIBERATE}: told to panic"),
            End::Abort => std::process::abort(),
            End::Exit(status) => std::process::exit(status),
            End::Hang(beacon) => {
                let _running = std::net::TcpStream::connect(beacon);
                std::future::pending().await
            }
        }
    }
}

async fn start(first: u64) -> ActorRef<Worker> {
    process::spawn_process::<Worker>(&first, ProcessOptions::new())
        .await
        .expect("the child starts")
}

/// Messages reach the child in order, answers come back, and the child is
/// another process; stopping the reference ends the child normally.
async fn asks_and_tells_reach_the_child_in_order() {
    let worker = start(7).await;
    assert_eq!(worker.ask(Square(12)).await, Ok(144));
    for n in 1..=1000 {
        worker.tell(Record(n)).await.expect("told");
    }
    let seen = worker.ask(Seen).await.expect("answered");
    assert_eq!(seen, std::iter::once(7).chain(1..=1000).collect::<Vec<_>>());
    let pid = worker.ask(Pid).await.expect("answered");
    assert_ne!(pid, std::process::id(), "the actor runs in another process");
    worker.stop();
    assert_eq!(worker.join().await, StopReason::Normal);
    // The reference ends once the child has exited and been reaped.
    assert!(process_gone(pid));
}

/// Each way a process can end is the reference's stop reason, and the ask
/// in progress fails with it.
async fn every_end_of_the_process_is_its_stop_reason() {
    let worker = start(0).await;
    let failed = worker.ask(End::Panic).await;
    let reason = worker.join().await;
    assert!(reason.to_string().contains("told to panic"), "{reason}");
    assert!(matches!(failed, Err(Error::Failed { .. })), "{failed:?}");

    let worker = start(0).await;
    let _ = worker.ask(End::Abort).await;
    assert_eq!(worker.join().await, StopReason::Signal(6));

    let worker = start(0).await;
    let _ = worker.ask(End::Exit(3)).await;
    assert_eq!(worker.join().await, StopReason::ExitStatus(3));

    let worker = start(0).await;
    let pid = worker.ask(Pid).await.expect("answered");
    let beacon = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a listener");
    let address = beacon.local_addr().expect("its address").to_string();
    let hung = tokio::spawn({
        let worker = worker.clone();
        async move { worker.ask(End::Hang(address)).await }
    });
    beacon.accept().await.expect("the handler is running");
    kill(pid, 9);
    assert_eq!(worker.join().await, StopReason::Signal(9));
    let failed = hung.await.expect("the asker ran");
    let text = format!("{failed:?}");
    assert!(text.contains("signal 9"), "{text}");
}

/// What the child prints reaches the parent line by line, with the
/// child's id and the stream it came from.
async fn the_childs_output_reaches_the_parent_by_line() {
    let (lines, mut printed) = tokio::sync::mpsc::unbounded_channel();
    let output = process::Output::Lines(std::sync::Arc::new(move |line| {
        let _ = lines.send(line);
    }));
    let worker = process::spawn_process::<Worker>(&0, ProcessOptions::new().output(output))
        .await
        .expect("the child starts");
    worker.ask(Say("hello".into())).await.expect("said");
    let mut got = Vec::new();
    while got.len() < 2 {
        got.push(printed.recv().await.expect("a line"));
    }
    got.sort_by_key(|line| line.line.clone());
    assert_eq!(got[0].line, "err: hello");
    assert_eq!(got[0].stream, process::Stream::Stderr);
    assert_eq!(got[1].line, "out: hello");
    assert_eq!(got[1].stream, process::Stream::Stdout);
    assert_eq!(got[0].child, got[1].child);
    worker.stop();
    assert_eq!(worker.join().await, StopReason::Normal);
}

/// Set to make this binary a parent that starts [`ORPHANS`] children,
/// prints their pids on one line, and waits to be killed.
const PARENT_ROLE: &str = "ACTOR_PROCESS_TEST_PARENT";
const ORPHANS: usize = 3;

/// The parent role: never returns.
async fn parent_role() {
    let mut children = Vec::new();
    for first in 0..ORPHANS as u64 {
        children.push(start(first).await);
    }
    let mut pids = Vec::new();
    for child in &children {
        pids.push(child.ask(Pid).await.expect("answered").to_string());
    }
    println!("children {}", pids.join(" "));
    std::future::pending::<()>().await;
}

/// A parent killed with SIGKILL leaves no child alive a second later.
async fn a_parent_killed_leaves_no_child_behind() {
    use tokio::io::AsyncBufReadExt;
    let mut parent = tokio::process::Command::new(std::env::current_exe().expect("this binary"))
        .env(PARENT_ROLE, "1")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the parent starts");
    let stdout = parent.stdout.take().expect("its stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let pids: Vec<u32> = loop {
        let line = lines
            .next_line()
            .await
            .expect("its output")
            .expect("a line with the children's pids");
        if let Some(pids) = line.strip_prefix("children ") {
            break pids.split(' ').map(|p| p.parse().expect("a pid")).collect();
        }
    };
    assert_eq!(pids.len(), ORPHANS);
    let alive = |pid: &u32| !process_gone(*pid);
    assert!(pids.iter().all(alive), "the children run");
    kill(parent.id().expect("its pid"), 9);
    parent.wait().await.expect("the parent ended");
    // The children are not ours: there is no exit of theirs to await.
    // Look for them again for up to a second.
    let deadline = Instant::now() + Duration::from_secs(1);
    while pids.iter().any(alive) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let left: Vec<&u32> = pids.iter().filter(|pid| alive(pid)).collect();
    for pid in &left {
        kill(**pid, 9);
    }
    assert!(
        left.is_empty(),
        "children {left:?} outlived their parent by a second"
    );
}

/// A start that cannot succeed fails with the error that says why.
async fn a_start_that_cannot_succeed_says_why() {
    let missing =
        process::spawn_process::<Worker>(&0, ProcessOptions::new().program("/nonexistent/host"))
            .await;
    assert!(
        matches!(missing, Err(ProcessError::Spawn { .. })),
        "{missing:?}"
    );
    let exits = process::spawn_process::<Worker>(&0, ProcessOptions::new().program("true")).await;
    assert!(
        matches!(exits, Err(ProcessError::Exited { .. })),
        "{exits:?}"
    );
    let began = Instant::now();
    let silent = process::spawn_process::<Worker>(
        &0,
        ProcessOptions::new()
            .program("sleep")
            .args(["30"])
            .start_timeout(Duration::from_millis(300)),
    )
    .await;
    assert!(
        matches!(silent, Err(ProcessError::NoConnection { .. })),
        "{silent:?}"
    );
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "it gave up in time"
    );
}

fn kill(pid: u32, signal: i32) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
}

type Case = fn() -> Pin<Box<dyn Future<Output = ()>>>;

fn main() {
    quiet_deliberate_panics();
    process::init(|hosts| {
        hosts.host::<Worker>();
    });
    if std::env::var_os(PARENT_ROLE).is_some() {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(parent_role());
        return;
    }
    let cases: [(&str, Case); 5] = [
        ("asks_and_tells_reach_the_child_in_order", || {
            Box::pin(asks_and_tells_reach_the_child_in_order())
        }),
        ("every_end_of_the_process_is_its_stop_reason", || {
            Box::pin(every_end_of_the_process_is_its_stop_reason())
        }),
        ("the_childs_output_reaches_the_parent_by_line", || {
            Box::pin(the_childs_output_reaches_the_parent_by_line())
        }),
        ("a_parent_killed_leaves_no_child_behind", || {
            Box::pin(a_parent_killed_leaves_no_child_behind())
        }),
        ("a_start_that_cannot_succeed_says_why", || {
            Box::pin(a_start_that_cannot_succeed_says_why())
        }),
    ];
    if std::env::args().any(|a| a == "--list") {
        for (name, _) in cases {
            println!("{name}: test");
        }
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut ran = 0;
    for (name, case) in cases {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let began = Instant::now();
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(120), case()).await })
            .unwrap_or_else(|_| panic!("{name} did not finish within 120 s"));
        println!("test {name} ... ok ({:?})", began.elapsed());
        ran += 1;
    }
    println!("test result: ok. {ran} passed; 0 failed");
}
