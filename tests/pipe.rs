//! Pipes (seed scenario 5): connected ends, "closed" once the other end and
//! all its clones are gone, and several readers on one end without a lock.
//!
//! The story of `examples/pipe.rs`, then each property on its own.

use std::pin::pin;
use std::time::Duration;

use actor::pipe::{pipe, pipe_duplex, PIPE_CAPACITY};
use actor::prelude::*;
use actor_test_support::poll_once;

#[allow(dead_code)]
#[path = "../examples/pipe.rs"]
mod example;

#[tokio::test]
async fn the_story_duplex_eof_and_two_consumers_without_a_lock() {
    let report = example::run(example::Config {
        verbose: false,
        ..example::Config::default()
    })
    .await
    .expect("the scenario runs");

    assert_eq!(report.duplex, ("1234".to_owned(), "got 1234".to_owned()));
    assert_eq!(report.greetings, ["hello", "hi", "你好"]);
    assert_eq!(report.shared.len(), 2);
    let mut all: Vec<_> = report.shared.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, [0, 1, 2, 3, 4, 5], "each bun received exactly once");
    for got in &report.shared {
        assert!(got.windows(2).all(|w| w[0] < w[1]), "in order: {got:?}");
    }
}

#[tokio::test]
async fn recv_reports_closed_only_once_every_clone_of_the_other_end_is_dropped() {
    let (tx, rx) = pipe();
    let tx2 = tx.clone();
    tx.send(1).await.expect("open");
    drop(tx);
    assert_eq!(rx.recv().await, Ok(1));
    // One clone of the sending end is still alive: not closed, just empty.
    assert!(matches!(rx.try_recv().await, Err(PipeError::Empty { .. })));
    let mut next = pin!(rx.recv());
    assert!(poll_once(next.as_mut()).await.is_pending());
    tx2.send(2).await.expect("open");
    assert_eq!(next.await, Ok(2));

    tx2.send(3).await.expect("open");
    drop(tx2);
    // Everything sent before the end is received first.
    assert_eq!(rx.recv().await, Ok(3));
    assert!(matches!(rx.recv().await, Err(PipeError::Closed { .. })));
    assert!(matches!(rx.try_recv().await, Err(PipeError::Closed { .. })));
}

#[tokio::test]
async fn a_waiting_recv_is_woken_with_closed_when_the_other_end_goes() {
    let (tx, rx) = pipe::<String>();
    let mut waiting = pin!(rx.recv());
    assert!(poll_once(waiting.as_mut()).await.is_pending());
    drop(tx);
    assert!(matches!(waiting.await, Err(PipeError::Closed { .. })));
}

#[tokio::test]
async fn send_is_refused_with_the_value_back_once_nobody_can_receive() {
    let (tx, rx) = pipe();
    let rx2 = rx.clone();
    drop(rx);
    tx.send("still heard")
        .await
        .expect("a clone still receives");
    assert_eq!(rx2.recv().await, Ok("still heard"));
    drop(rx2);
    let refused = tx.send("into the void").await.expect_err("nobody receives");
    assert!(matches!(refused.error, PipeError::Closed { .. }));
    assert_eq!(refused.message, "into the void");
}

#[tokio::test]
async fn duplex_ends_talk_both_ways_and_dropping_one_closes_both_directions() {
    let (left, right) = pipe_duplex();
    left.send("ping").await.expect("open");
    right.send("pong").await.expect("open");
    assert_eq!(right.recv().await, Ok("ping"));
    assert_eq!(left.recv().await, Ok("pong"));

    left.send("last words").await.expect("open");
    drop(left);
    assert_eq!(right.recv().await, Ok("last words"));
    assert!(matches!(right.recv().await, Err(PipeError::Closed { .. })));
    let refused = right.send("reply").await.expect_err("left is gone");
    assert!(matches!(refused.error, PipeError::Closed { .. }));
    assert_eq!(refused.message, "reply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_readers_on_clones_of_one_end_each_value_once_no_lock() {
    const VALUES: u32 = 2_000;
    let (tx, rx) = pipe();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                while let Ok(value) = rx.recv().await {
                    got.push(value);
                }
                got
            })
        })
        .collect();
    drop(rx);
    for value in 0..VALUES {
        tx.send(value).await.expect("readers alive");
    }
    drop(tx);
    let mut all = Vec::new();
    for reader in readers {
        let got = reader.await.expect("reader ran");
        assert!(got.windows(2).all(|w| w[0] < w[1]), "each reader in order");
        all.extend(got);
    }
    all.sort_unstable();
    assert_eq!(all, (0..VALUES).collect::<Vec<_>>());
}

#[tokio::test]
async fn waiting_readers_are_served_first_come_first_served() {
    let (tx, rx) = pipe();
    let (a, b) = (rx.clone(), rx.clone());
    let mut first = pin!(b.recv());
    let mut second = pin!(a.recv());
    assert!(poll_once(first.as_mut()).await.is_pending());
    assert!(poll_once(second.as_mut()).await.is_pending());
    tx.send('x').await.expect("open");
    tx.send('y').await.expect("open");
    assert_eq!(first.await, Ok('x'));
    assert_eq!(second.await, Ok('y'));
}

#[tokio::test(start_paused = true)]
async fn a_full_pipe_makes_send_wait_and_timeouts_report_themselves() {
    let (tx, rx) = pipe();
    for n in 0..PIPE_CAPACITY {
        tx.try_send(n).await.expect("room");
    }
    let full = tx.try_send(PIPE_CAPACITY).await.expect_err("full");
    assert!(matches!(full.error, PipeError::Full { capacity, .. } if capacity == PIPE_CAPACITY));
    assert_eq!(full.message, PIPE_CAPACITY);

    let mut send = pin!(tx.send(PIPE_CAPACITY));
    assert!(poll_once(send.as_mut()).await.is_pending());
    assert_eq!(rx.recv().await, Ok(0));
    send.await.expect("room came");
    for n in 1..=PIPE_CAPACITY {
        assert_eq!(rx.recv().await, Ok(n));
    }
    match rx.recv_timeout(Duration::from_millis(20)).await {
        Err(PipeError::Timeout {
            operation, timeout, ..
        }) => assert_eq!(
            (operation, timeout),
            ("recv_timeout", Duration::from_millis(20))
        ),
        other => panic!("expected a timeout, got {other:?}"),
    }
}
