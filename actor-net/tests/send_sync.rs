//! Pins the auto traits of the transport's public handles and of the futures
//! its methods return, as `actor-core/tests/send_sync.rs` does for the
//! kernel: a change that makes one of them lose `Send` or `Sync` fails to
//! compile here. Checked at compile time; the test only makes sure the file
//! is built.

#![allow(dead_code)]

use std::net::SocketAddr;

use actor_core::queue::Queue;
use actor_core::remote::RemoteActor;
use actor_core::sync::{Event, Lock};
use actor_core::work_queue::WorkQueue;
use actor_net::{CaTls, ClusterKey, NetError, Node, NodeConfig, Tls};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_value_send<T: Send>(_: &T) {}

fn handles() {
    assert_send_sync::<Node>();
    assert_send_sync::<NodeConfig>();
    assert_send_sync::<ClusterKey>();
    assert_send_sync::<NetError>();
    assert_send_sync::<Tls>();
    assert_send_sync::<CaTls>();
}

/// A node's futures can be awaited from any task, an actor's handler included.
fn node_futures(node: &Node, addr: SocketAddr, key: ClusterKey) {
    assert_value_send(&Node::start(addr, key));
    assert_value_send(&node.connect(addr));
    assert_value_send(&node.shutdown());
    assert_value_send(&node.lookup_handle::<Lock>(addr, "lock"));
    assert_value_send(&node.lookup_handle::<Event>(addr, "event"));
    assert_value_send(&node.lookup_handle::<Queue<u64>>(addr, "queue"));
    assert_value_send(&node.lookup_handle::<WorkQueue<String>>(addr, "work"));
}

fn lookup_future<A: RemoteActor>(node: &Node, addr: SocketAddr) {
    assert_value_send(&node.lookup::<A>(addr, "actor"));
}

#[test]
fn every_public_handle_is_send_and_sync_as_pinned() {
    handles();
}
