//! Two nodes in one process, over real QUIC on loopback: what a looked-up
//! reference promises (order, asks, recipients, monitors, failures, the
//! cluster key, reconnection, backpressure, the frame limit).

mod common;

use std::time::Duration;

use actor_core::{spawn, Error, StopReason};
use actor_net::{ClusterKey, NetError, Node, NodeConfig};
use common::*;

/// A server node exporting a fresh recorder as "rec", a client node, and the
/// client's reference to it (and the server's own).
async fn pair() -> (
    Node,
    Node,
    actor_core::ActorRef<Recorder>,
    actor_core::ActorRef<Recorder>,
) {
    let server = node().await;
    let local = spawn(Recorder::default());
    server.export("rec", local.clone()).expect("exported");
    let client = node().await;
    let remote = client
        .lookup::<Recorder>(server.local_addr(), "rec")
        .await
        .expect("found");
    (server, client, local, remote)
}

#[tokio::test]
async fn ten_thousand_tells_arrive_in_order() {
    let (_server, _client, _local, remote) = pair().await;
    for n in 0..10_000 {
        remote.tell(Seq { sender: 1, n }).await.expect("told");
    }
    let record = remote.ask(Record { sender: 1 }).await.expect("answered");
    assert_eq!(record, (0..10_000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_each_keep_their_order() {
    let (server, client, _local, remote) = pair().await;
    // One sender on a clone of the reference, one on a reference of its own.
    let other = client
        .lookup::<Recorder>(server.local_addr(), "rec")
        .await
        .expect("found again");
    let send = |reference: actor_core::ActorRef<Recorder>, sender: u32| {
        tokio::spawn(async move {
            for n in 0..5_000 {
                reference.tell(Seq { sender, n }).await.expect("told");
            }
            reference.ask(Record { sender }).await.expect("answered")
        })
    };
    let (one, two) = tokio::join!(send(remote.clone(), 1), send(other, 2));
    let expected: Vec<u64> = (0..5_000).collect();
    assert_eq!(one.expect("sender 1 ran"), expected);
    assert_eq!(two.expect("sender 2 ran"), expected);
    assert_eq!(remote.ask(Count).await.expect("answered"), 10_000);
}

#[tokio::test]
async fn ask_returns_the_reply_and_ask_timeout_gives_up() {
    let (_server, _client, _local, remote) = pair().await;
    assert_eq!(remote.ask(Blob(vec![7; 300])).await.expect("answered"), 300);
    assert_eq!(remote.ask(Sleep { ms: 1 }).await.expect("answered"), 1);
    let late = remote
        .ask_timeout(Sleep { ms: 600_000 }, Duration::from_millis(200))
        .await;
    assert!(matches!(late, Err(Error::Timeout { .. })), "{late:?}");
}

#[tokio::test]
async fn a_recipient_of_a_remote_reference_works() {
    let (_server, _client, local, remote) = pair().await;
    let seq = remote.recipient::<Seq>();
    let count = remote.recipient::<Count>();
    for n in 0..100 {
        seq.tell(Seq { sender: 3, n }).await.expect("told");
    }
    // The recipients share the reference's stream, so the ask comes after.
    assert_eq!(count.ask(Count).await.expect("answered"), 100);
    assert_eq!(
        local.ask(Record { sender: 3 }).await.expect("answered"),
        (0..100).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn another_cluster_key_is_refused_both_ways() {
    let server = node().await;
    let local = spawn(Recorder::default());
    server.export("rec", local.clone()).expect("exported");
    let stranger = Node::start(any_port(), ClusterKey::new("another cluster"))
        .await
        .expect("a node starts");
    let strangers = spawn(Recorder::default());
    stranger.export("rec", strangers.clone()).expect("exported");

    let looked_up = stranger
        .lookup::<Recorder>(server.local_addr(), "rec")
        .await;
    assert!(
        matches!(looked_up, Err(NetError::ClusterKeyMismatch { addr }) if addr == server.local_addr()),
        "{looked_up:?}"
    );
    let connected = stranger.connect(server.local_addr()).await;
    assert!(
        matches!(connected, Err(NetError::ClusterKeyMismatch { .. })),
        "{connected:?}"
    );
    // The other way round: the refused node listens, the first one dials.
    let connected = server.connect(stranger.local_addr()).await;
    assert!(
        matches!(connected, Err(NetError::ClusterKeyMismatch { addr }) if addr == stranger.local_addr()),
        "{connected:?}"
    );
    let looked_up = server
        .lookup::<Recorder>(stranger.local_addr(), "rec")
        .await;
    assert!(
        matches!(looked_up, Err(NetError::ClusterKeyMismatch { .. })),
        "{looked_up:?}"
    );

    assert_eq!(local.ask(Count).await.expect("answered"), 0);
    assert_eq!(strangers.ask(Count).await.expect("answered"), 0);
}

#[tokio::test]
async fn lookups_and_exports_are_checked() {
    let server = node().await;
    server
        .export("rec", spawn(Recorder::default()))
        .expect("exported");
    let client = node().await;
    let addr = server.local_addr();

    let unknown = client.lookup::<Recorder>(addr, "nobody").await;
    assert!(
        matches!(&unknown, Err(NetError::NotExported { addr: a, name }) if *a == addr && name == "nobody"),
        "{unknown:?}"
    );
    let wrong = client.lookup::<Slow>(addr, "rec").await;
    assert!(
        matches!(&wrong, Err(NetError::WrongType { exported, expected, .. })
            if exported == "test.recorder" && expected == "test.slow"),
        "{wrong:?}"
    );
    let twice = server.export("rec", spawn(Recorder::default()));
    assert!(
        matches!(&twice, Err(NetError::NameTaken { name }) if name == "rec"),
        "{twice:?}"
    );
    // The first export is still the one served.
    let remote = client.lookup::<Recorder>(addr, "rec").await.expect("found");
    assert_eq!(remote.ask(Count).await.expect("answered"), 0);
}

#[tokio::test]
async fn an_unlisted_message_fails_at_once_and_the_reference_keeps_working() {
    let (_server, _client, local, remote) = pair().await;
    let refused = remote.ask_timeout(Unlisted, PATIENCE).await;
    match &refused {
        Err(Error::Failed { reason, .. }) => {
            assert!(reason.to_string().contains("accepts"), "{reason}");
        }
        other => panic!("expected Error::Failed, got {other:?}"),
    }
    remote
        .tell(Unlisted)
        .await
        .expect("a tell is taken, then dropped");
    remote.tell(Seq { sender: 1, n: 0 }).await.expect("told");
    assert_eq!(remote.ask(Count).await.expect("answered"), 1);
    assert_eq!(local.ask(Count).await.expect("answered"), 1);
}

#[tokio::test]
async fn the_remote_actors_end_is_the_references_end() {
    let (_server, _client, local, remote) = pair().await;
    let mut watching = watch(&remote).await;
    remote.tell(Fail("on purpose".into())).await.expect("told");
    let reason = patiently("the actor's end", local.join()).await;
    assert_eq!(reason, StopReason::failed("on purpose"));
    assert_eq!(
        patiently("the reference's end", remote.join()).await,
        reason
    );
    let down = watching.down().await;
    assert_eq!(down.id, remote.id());
    assert_eq!(down.reason, reason);
}

#[tokio::test]
async fn a_remote_actor_that_stops_normally_ends_the_reference_normally() {
    let server = node().await;
    let local = spawn(Recorder::default());
    server.export("rec", local.clone()).expect("exported");
    let client = node().await;
    let remote = client
        .lookup::<Recorder>(server.local_addr(), "rec")
        .await
        .expect("found");
    local.stop();
    assert_eq!(
        patiently("the actor's end", local.join()).await,
        StopReason::Normal
    );
    assert_eq!(
        patiently("the reference's end", remote.join()).await,
        StopReason::Normal
    );
}

#[tokio::test]
async fn losing_the_node_fails_asks_in_flight_and_fires_monitors() {
    let server = quick(key()).start(any_port()).await.expect("server starts");
    let (entered, mut entering) = tokio::sync::mpsc::unbounded_channel();
    server
        .export("rec", spawn(Recorder::telling(entered)))
        .expect("exported");
    let client = quick(key()).start(any_port()).await.expect("client starts");
    let addr = server.local_addr();
    let remote = client.lookup::<Recorder>(addr, "rec").await.expect("found");
    let mut watching = watch(&remote).await;

    let asking = remote.clone();
    let in_flight = tokio::spawn(async move { asking.ask(Sleep { ms: 600_000 }).await });
    patiently("the ask reaching the actor", entering.recv()).await;
    server.shutdown().await;

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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_reaches_the_restarted_node_on_the_same_address() {
    let config =
        || quick(key()).reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200));
    let server = config().start(any_port()).await.expect("server starts");
    let addr = server.local_addr();
    let first = spawn(Recorder::default());
    server.export("rec", first.clone()).expect("exported");
    let client = config().start(any_port()).await.expect("client starts");
    let remote = client.lookup::<Recorder>(addr, "rec").await.expect("found");
    remote.tell(Seq { sender: 1, n: 0 }).await.expect("told");
    assert_eq!(remote.ask(Count).await.expect("answered"), 1);
    let mut watching = watch(&remote).await;

    server.shutdown().await;
    drop(server);
    watching.down().await;
    // During the outage, an ask gives up within its own time.
    for _ in 0..3 {
        let outage = remote.ask_timeout(Count, Duration::from_millis(300)).await;
        assert!(
            matches!(outage, Err(Error::Timeout { .. } | Error::Failed { .. })),
            "{outage:?}"
        );
    }

    // The old endpoint lets go of its socket once its driver has finished.
    let restarted = patiently("binding the same address again", async {
        loop {
            match config().start(addr).await {
                Ok(node) => break node,
                Err(NetError::Bind { .. }) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("the node could not restart: {e}"),
            }
        }
    })
    .await;
    let second = spawn(Recorder::default());
    restarted
        .export("rec", second.clone())
        .expect("exported again");

    // Reconnecting waits out a backoff: poll until the new actor answers.
    patiently("the reference reconnecting", async {
        loop {
            if remote
                .ask_timeout(Count, Duration::from_millis(500))
                .await
                .is_ok()
            {
                break;
            }
        }
    })
    .await;
    remote.tell(Seq { sender: 2, n: 42 }).await.expect("told");
    assert_eq!(
        remote.ask(Record { sender: 2 }).await.expect("answered"),
        vec![42]
    );
    assert_eq!(
        second.ask(Record { sender: 2 }).await.expect("answered"),
        vec![42],
        "the new actor got the message"
    );
    assert_eq!(
        first.ask(Record { sender: 2 }).await.expect("answered"),
        Vec::<u64>::new(),
        "the old actor did not"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_remote_actor_gets_every_message_in_order() {
    let server = node().await;
    server
        .export("slow", spawn(Slow::default()))
        .expect("exported");
    let client = node().await;
    let remote = client
        .lookup::<Slow>(server.local_addr(), "slow")
        .await
        .expect("found");
    for seq in 0..2_000 {
        let data = vec![(seq % 251) as u8; 1024];
        remote.tell(Payload { seq, data }).await.expect("told");
    }
    let seen = patiently("the last answer", remote.ask(Seen))
        .await
        .expect("answered");
    assert_eq!(seen, (0..2_000).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_message_over_the_frame_limit_fails_and_the_reference_keeps_working() {
    let small = || NodeConfig::new(key()).max_frame_size(1024);
    let server = small().start(any_port()).await.expect("server starts");
    let local = spawn(Recorder::default());
    server.export("rec", local.clone()).expect("exported");
    let client = small().start(any_port()).await.expect("client starts");
    let remote = client
        .lookup::<Recorder>(server.local_addr(), "rec")
        .await
        .expect("found");

    let refused = remote.ask_timeout(Blob(vec![1; 4096]), PATIENCE).await;
    match &refused {
        Err(Error::Failed { reason, .. }) => {
            assert!(reason.to_string().contains("frame limit"), "{reason}");
        }
        other => panic!("expected Error::Failed, got {other:?}"),
    }
    remote
        .tell(Blob(vec![1; 4096]))
        .await
        .expect("a tell is taken, then dropped");
    assert_eq!(remote.ask(Blob(vec![2; 512])).await.expect("answered"), 512);
    assert_eq!(
        local.ask(Count).await.expect("answered"),
        1,
        "only the small blob arrived"
    );

    // A reply over the limit fails its ask, and the stream goes on.
    for n in 0..1_000 {
        remote.tell(Seq { sender: 1, n }).await.expect("told");
    }
    let refused = remote.ask_timeout(Record { sender: 1 }, PATIENCE).await;
    match &refused {
        Err(Error::Failed { reason, .. }) => {
            assert!(reason.to_string().contains("frame limit"), "{reason}");
        }
        other => panic!("expected Error::Failed, got {other:?}"),
    }
    assert_eq!(remote.ask(Count).await.expect("answered"), 1_001);
}

#[tokio::test]
async fn a_lookup_of_a_node_that_is_not_there_fails() {
    // A port that was free a moment ago, and is now closed.
    let gone = {
        let socket = std::net::UdpSocket::bind(any_port()).expect("a socket");
        socket.local_addr().expect("its address")
    };
    let client = quick(key()).start(any_port()).await.expect("client starts");
    let looked_up = patiently("the lookup", client.lookup::<Recorder>(gone, "rec")).await;
    assert!(
        matches!(looked_up, Err(NetError::Connect { addr, .. }) if addr == gone),
        "{looked_up:?}"
    );
}

#[tokio::test]
async fn stop_and_kill_end_the_reference_not_the_remote_actor() {
    let (server, client, local, remote) = pair().await;
    remote.tell(Seq { sender: 1, n: 0 }).await.expect("told");
    remote.stop();
    assert_eq!(
        patiently("the stopped reference", remote.join()).await,
        StopReason::Normal
    );
    assert!(matches!(
        remote.ask(Count).await,
        Err(Error::Stopped { .. })
    ));

    let again = client
        .lookup::<Recorder>(server.local_addr(), "rec")
        .await
        .expect("found again");
    again.kill();
    // As for a local actor, a killed reference ends `Killed`.
    assert_eq!(
        patiently("the killed reference", again.join()).await,
        StopReason::Killed
    );

    assert!(local.is_alive());
    assert_eq!(
        local.ask(Record { sender: 1 }).await.expect("answered"),
        vec![0]
    );
}

#[tokio::test]
async fn shutting_down_the_local_node_ends_its_references() {
    let (_server, client, local, remote) = pair().await;
    assert_eq!(remote.ask(Count).await.expect("answered"), 0);
    client.shutdown().await;
    let reason = patiently("the reference's end", remote.join()).await;
    assert!(reason.is_failure(), "{reason}");
    assert!(matches!(
        remote.ask(Count).await,
        Err(Error::Stopped { .. })
    ));
    assert!(local.is_alive(), "the remote actor is not the reference");
}

#[tokio::test]
async fn a_session_export_gives_each_lookup_its_own_actor_until_its_reference_is_dropped() {
    let server = node().await;
    let made = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = made.clone();
    server
        .export_sessions("sessions", move || {
            let session = spawn(Recorder::default());
            record.lock().expect("not poisoned").push(session.clone());
            session
        })
        .expect("exported");
    assert!(matches!(
        server.export_sessions("sessions", || spawn(Recorder::default())),
        Err(NetError::NameTaken { .. })
    ));
    let client = node().await;
    let one = client
        .lookup::<Recorder>(server.local_addr(), "sessions")
        .await
        .expect("found");
    let two = client
        .lookup::<Recorder>(server.local_addr(), "sessions")
        .await
        .expect("found");
    one.tell(Seq { sender: 1, n: 0 }).await.expect("told");
    one.tell(Seq { sender: 1, n: 1 }).await.expect("told");
    two.tell(Seq { sender: 2, n: 0 }).await.expect("told");
    // Each reference counts only its own messages: two actors.
    assert_eq!(one.ask(Count).await.expect("answered"), 2);
    assert_eq!(two.ask(Count).await.expect("answered"), 1);
    // A clone shares its reference's session.
    assert_eq!(one.clone().ask(Count).await.expect("answered"), 2);
    let sessions = made.lock().expect("not poisoned").clone();
    assert_eq!(sessions.len(), 2, "one session per lookup");

    // Dropping a reference ends its session, and only its session.
    drop(one);
    let ended = patiently("the first session's end", sessions[0].join()).await;
    assert_eq!(ended, StopReason::Killed);
    assert!(sessions[1].is_alive());
    assert_eq!(two.ask(Count).await.expect("still answered"), 1);
}
