//! The stack a large message needs: the smallest thread stack that carries a
//! 512 KiB message and its 1 MiB reply, through an actor and through a
//! hand-written tokio server (a `mpsc` of requests, each with a `oneshot`
//! for its reply), written the same way on both sides.
//!
//! Run: `cargo bench --bench stack`.
//!
//! Each side is measured twice: the **handler**'s stack (the runtime's
//! workers, where the actor or the server task runs, with the asker on a
//! thread of 64 MiB) and the **asker**'s (its own thread, the workers at 64
//! MiB). Each probe is this binary re-executed with one stack size, since an
//! overflow aborts the process; the sizes are bisected in 64 KiB steps
//! between 64 KiB and 32 MiB. The user code is the same on both sides
//! (`actor_test_support::large`) and holds the message and the reply in a frame or two of its own, which is
//! part of every figure: the handler builds its 1 MiB reply on its stack,
//! so no handler side can need less than about 1 MiB.

use std::process::{Command, Stdio};

use actor::prelude::*;
use actor_test_support::large::{answer, ask_and_check, Answer, Echo, MESSAGE};
use tokio::sync::{mpsc, oneshot};

/// Tells the binary, re-executed, to run one probe: `side,role,KiB`.
const PROBE: &str = "ACTOR_STACK_BENCH_PROBE";
const ROUNDS: u8 = 3;
/// The stack of whichever thread is not being measured.
const ROOMY_KIB: usize = 64 * 1024;

fn main() {
    if let Ok(probe) = std::env::var(PROBE) {
        run_probe(&probe);
        return;
    }
    println!("smallest stack for a 512 KiB message and its 1 MiB reply (64 KiB steps)");
    println!("| side | handler's thread | asker's thread |");
    println!("|---|---|---|");
    for side in ["tokio", "actor"] {
        let handler = smallest(side, "handler");
        let asker = smallest(side, "asker");
        println!("| {side} | {handler} KiB | {asker} KiB |");
    }
}

/// Bisects the smallest stack (KiB, a multiple of 64) with which a probe
/// succeeds.
fn smallest(side: &str, role: &str) -> usize {
    let (mut fails, mut works) = (1, 512);
    assert!(
        probe(side, role, works * 64),
        "{side} {role}: fails even with {} KiB",
        works * 64
    );
    while works - fails > 1 {
        let middle = (fails + works) / 2;
        if probe(side, role, middle * 64) {
            works = middle;
        } else {
            fails = middle;
        }
    }
    works * 64
}

fn probe(side: &str, role: &str, kib: usize) -> bool {
    Command::new(std::env::current_exe().expect("this binary"))
        .env(PROBE, format!("{side},{role},{kib}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the probe runs")
        .success()
}

fn run_probe(probe: &str) {
    let parts: Vec<&str> = probe.split(',').collect();
    let [side, role, kib] = parts[..] else {
        panic!("a probe is side,role,KiB: {probe}");
    };
    let kib: usize = kib.parse().expect("a size in KiB");
    let (workers, asker) = match role {
        "handler" => (kib, ROOMY_KIB),
        "asker" => (ROOMY_KIB, kib),
        _ => panic!("a role is handler or asker: {role}"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(workers * 1024)
        .enable_all()
        .build()
        .expect("a runtime");
    match side {
        "actor" => {
            let echo = runtime.block_on(async { spawn(Echo) });
            on_asker_thread(asker, move || async move {
                for round in 1..=ROUNDS {
                    assert!(ask_and_check(&echo, round).await);
                }
            });
        }
        "tokio" => {
            let (requests, mut incoming) = mpsc::channel::<RawRequest>(8);
            runtime.spawn(async move {
                while let Some(RawRequest(bytes, reply)) = incoming.recv().await {
                    let _ = reply.send(answer(&bytes));
                }
            });
            on_asker_thread(asker, move || async move {
                for round in 1..=ROUNDS {
                    assert!(tokio_round(&requests, round).await);
                }
            });
        }
        _ => panic!("a side is actor or tokio: {side}"),
    }
}

/// Runs the asker's future on a thread of `kib` KiB of its own.
fn on_asker_thread<F: std::future::Future<Output = ()>>(
    kib: usize,
    asker: impl FnOnce() -> F + Send + 'static,
) {
    std::thread::Builder::new()
        .stack_size(kib * 1024)
        .spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the asker's runtime")
                .block_on(asker())
        })
        .expect("the asker's thread")
        .join()
        .expect("the asker finished");
}

struct RawRequest([u8; MESSAGE], oneshot::Sender<Answer>);

async fn tokio_round(requests: &mpsc::Sender<RawRequest>, round: u8) -> bool {
    let (reply, answered) = oneshot::channel();
    requests
        .send(RawRequest([round; MESSAGE], reply))
        .await
        .map_err(|_| "the server ended")
        .expect("sent");
    let Answer(bytes) = answered.await.expect("answered");
    bytes.iter().all(|&b| b == round)
}
