//! What a stranger can make a node hold (issue: hardening): before a peer
//! proves the cluster key it may open one stream and send no datagram; the
//! node takes on so many handshakes and connections at once; and a peer
//! that connected and left is forgotten. Real QUIC on loopback; strangers
//! are raw quinn clients that complete TLS and prove nothing.

mod common;

use std::pin::pin;
use std::time::Duration;

use actor_net::__testing::peer_entries;
use actor_net::{Node, NodeConfig};
use actor_test_support::poll_once;
use common::*;

#[tokio::test]
async fn datagrams_are_off() {
    let server = node().await;
    let (_endpoint, stranger) = raw_connect(server.local_addr()).await;
    assert_eq!(
        stranger.max_datagram_size(),
        None,
        "the node does not take QUIC datagrams"
    );
}

#[tokio::test]
async fn before_it_authenticates_a_connection_may_open_one_stream() {
    let server = node().await;
    let (_endpoint, stranger) = raw_connect(server.local_addr()).await;
    let (_send, _recv) = patiently("the handshake's stream", stranger.open_bi())
        .await
        .expect("one stream is allowed");
    let mut second = pin!(stranger.open_bi());
    assert!(
        poll_once(second.as_mut()).await.is_pending(),
        "a second stream before the key is proved must wait for credit that never comes"
    );
}

#[tokio::test]
async fn an_authenticated_node_opens_many_streams() {
    let server = node().await;
    let recorder = actor_core::spawn(Recorder::default());
    server.export("r", recorder).expect("exported");
    let client = node().await;
    let mut references = Vec::new();
    for _ in 0..20 {
        // Each reference is a stream of its own on the one connection.
        let reference = patiently(
            "a lookup",
            client.lookup::<Recorder>(server.local_addr(), "r"),
        )
        .await
        .expect("found");
        references.push(reference);
    }
    for (n, reference) in references.iter().enumerate() {
        let sender = u32::try_from(n).expect("few");
        reference.tell(Record { sender }).await.expect("told");
    }
    assert_eq!(client.peers(), [server.local_addr()]);
}

#[tokio::test]
async fn handshakes_above_the_limit_are_refused_until_one_ends() {
    let timeout = Duration::from_millis(500);
    let server = NodeConfig::new(key())
        .max_handshakes(1)
        .handshake_timeout(timeout)
        .start(any_port())
        .await
        .expect("a node starts");
    // A stranger completes TLS and then proves nothing: it holds the one
    // place among the handshakes.
    let (_endpoint, stalled) = raw_connect(server.local_addr()).await;
    let refused = Node::start(any_port(), key()).await.expect("a node starts");
    assert!(
        refused.connect(server.local_addr()).await.is_err(),
        "no place for a second handshake"
    );
    // The stalled handshake is given up within the timeout; then there is
    // room again.
    patiently("the stalled handshake's end", stalled.closed()).await;
    let welcome = Node::start(any_port(), key()).await.expect("a node starts");
    patiently("a connection", welcome.connect(server.local_addr()))
        .await
        .expect("a place is free again");
}

#[tokio::test]
async fn connections_from_one_address_are_capped() {
    let server = NodeConfig::new(key())
        .max_connections_per_ip(2)
        .start(any_port())
        .await
        .expect("a node starts");
    let mut clients = Vec::new();
    for _ in 0..2 {
        let client = node().await;
        client.connect(server.local_addr()).await.expect("admitted");
        clients.push(client);
    }
    let third = node().await;
    assert!(
        third.connect(server.local_addr()).await.is_err(),
        "over the cap"
    );
    clients.pop().expect("a client").shutdown().await;
    // The node notices the closed connection at once; retry until it has.
    let admitted = patiently("a place for the third", async {
        loop {
            if third.connect(server.local_addr()).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    admitted.await;
}

#[tokio::test]
async fn a_peer_that_connected_and_left_leaves_nothing_behind() {
    let server = node().await;
    for _ in 0..3 {
        let mut clients = Vec::new();
        for _ in 0..10 {
            let client = node().await;
            client
                .connect(server.local_addr())
                .await
                .expect("connected");
            assert_eq!(client.peers(), [server.local_addr()]);
            clients.push(client);
        }
        // The server keeps no entry for a node that dialed it: the address
        // a peer claims is not used to reach it.
        assert_eq!(peer_entries(&server), 0);
        let mut shutdowns = tokio::task::JoinSet::new();
        for client in clients {
            shutdowns.spawn(async move { client.shutdown().await });
        }
        while let Some(done) = shutdowns.join_next().await {
            done.expect("shut down");
        }
    }
    assert_eq!(peer_entries(&server), 0);
    assert!(server.peers().is_empty());
}

#[tokio::test]
async fn an_address_that_fails_the_key_proof_too_often_is_refused_for_a_while() {
    let server = NodeConfig::new(key())
        .max_key_failures(2)
        .start(any_port())
        .await
        .expect("a node starts");
    let guesser = Node::start(any_port(), actor_net::ClusterKey::new("a wrong guess"))
        .await
        .expect("a node starts");
    for _ in 0..2 {
        assert!(matches!(
            guesser.connect(server.local_addr()).await,
            Err(actor_net::NetError::ClusterKeyMismatch { .. })
        ));
    }
    // From that address, even the right key is refused for the minute.
    let right = node().await;
    let refused = right.connect(server.local_addr()).await;
    assert!(
        refused.is_err() && !matches!(refused, Err(actor_net::NetError::ClusterKeyMismatch { .. })),
        "refused before any handshake: {refused:?}"
    );
}
