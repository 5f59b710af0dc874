//! The toolbox over the network: queues, work queues, locks and events
//! exported by one node and used from others, over real QUIC on loopback;
//! one test kills a real child process that holds a work item.

use std::collections::BTreeSet;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use actor_core::queue::{Queue, QueueError};
use actor_core::sync::SyncError;
use actor_core::sync::{Event, Lock};
use actor_core::work_queue::WorkQueue;
use actor_core::{Error, WireName};
use actor_net::{ClusterKey, Node, NodeConfig};
use tokio::io::{AsyncBufReadExt, BufReader};

/// A safety net against hangs, never a measure of speed.
const SAFETY: Duration = Duration::from_secs(30);
/// Tells the test binary, re-executed, to act as the worker child.
const CHILD_ENV: &str = "ACTOR_NET_TOOLBOX_CHILD";

fn key() -> ClusterKey {
    ClusterKey::new("toolbox")
}

fn any() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

/// The exporting node: it notices a silent peer within about a second.
async fn exporter() -> Node {
    NodeConfig::new(key())
        .keep_alive(Duration::from_millis(200))
        .idle_timeout(Duration::from_secs(1))
        .start(any())
        .await
        .expect("the exporting node starts")
}

async fn client() -> Node {
    Node::start(any(), key())
        .await
        .expect("a client node starts")
}

/// A node exporting `queue` as `name`, a client node, and the client's
/// handle to the queue.
async fn remote_queue<T>(name: &str, queue: Queue<T>) -> (Node, Node, Queue<T>)
where
    T: serde::Serialize + serde::de::DeserializeOwned + WireName + Send + 'static,
{
    let server = exporter().await;
    server.export_handle(name, queue).expect("exported");
    let node = client().await;
    let remote = node
        .lookup_handle::<Queue<T>>(server.local_addr(), name)
        .await
        .expect("found");
    (server, node, remote)
}

/// A node exporting the work queue `queue` as `name`, a client node, and
/// the client's handle to it.
async fn remote_work_queue<T>(name: &str, queue: WorkQueue<T>) -> (Node, Node, WorkQueue<T>)
where
    T: serde::Serialize + serde::de::DeserializeOwned + WireName + Send + 'static,
{
    let server = exporter().await;
    server.export_handle(name, queue).expect("exported");
    let node = client().await;
    let remote = node
        .lookup_handle::<WorkQueue<T>>(server.local_addr(), name)
        .await
        .expect("found");
    (server, node, remote)
}

async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(SAFETY, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen within {SAFETY:?}"))
}

#[tokio::test]
async fn a_remote_queue_is_fifo_across_nodes() {
    let server = exporter().await;
    server
        .export_handle("jobs", Queue::<u64>::unbounded())
        .expect("exported");
    let (a, b) = (client().await, client().await);
    let producer = a
        .lookup_handle::<Queue<u64>>(server.local_addr(), "jobs")
        .await
        .expect("found");
    let consumer = b
        .lookup_handle::<Queue<u64>>(server.local_addr(), "jobs")
        .await
        .expect("found");
    for n in 0..100 {
        producer.put(n).await.expect("put");
    }
    assert_eq!(consumer.len().await.expect("len"), 100);
    let mut got = Vec::new();
    for _ in 0..100 {
        got.push(within("get", consumer.get()).await.expect("got"));
    }
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    assert!(consumer.is_empty().await.expect("is_empty"));
}

#[tokio::test]
async fn get_timeout_on_an_empty_remote_queue_times_out() {
    let (_server, _node, queue) = remote_queue("empty", Queue::<u64>::unbounded()).await;
    let limit = Duration::from_millis(200);
    match within("get_timeout", queue.get_timeout(limit)).await {
        Err(QueueError::Timeout {
            queue: id,
            operation,
            timeout,
        }) => {
            assert_eq!((id, operation, timeout), (queue.id(), "get_timeout", limit));
        }
        other => panic!("expected QueueTimeout, got {other:?}"),
    }
    assert_eq!(
        queue.try_get().await,
        Err(QueueError::Empty { queue: queue.id() })
    );
}

#[tokio::test]
async fn get_timeout_on_a_queue_whose_node_is_gone_fails_instead_of_waiting() {
    let (server, _node, queue) = remote_queue("gone", Queue::<u64>::unbounded()).await;
    server.shutdown().await;
    drop(server);
    // The reference keeps trying to reconnect; the caller's own bound
    // (its limit plus a grace period) ends the wait with an error.
    match within("get_timeout", queue.get_timeout(Duration::from_millis(100))).await {
        Err(QueueError::Actor(Error::Timeout { .. } | Error::Failed { .. })) => {}
        other => panic!("expected a timeout or a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_closed_remote_queue_drains_then_refuses() {
    let (_server, _node, queue) = remote_queue("closing", Queue::<String>::unbounded()).await;
    for word in ["a", "b"] {
        queue.put(word.to_owned()).await.expect("put");
    }
    queue.close().await;
    let refused = queue
        .put("c".to_owned())
        .await
        .expect_err("a closed queue refuses");
    assert_eq!(refused.error, QueueError::Closed { queue: queue.id() });
    assert_eq!(refused.message, "c", "the refused item is handed back");
    assert_eq!(queue.get().await.expect("left"), "a");
    assert_eq!(queue.get().await.expect("left"), "b");
    assert_eq!(
        queue.get().await,
        Err(QueueError::Closed { queue: queue.id() })
    );
}

#[tokio::test]
async fn try_put_on_a_full_remote_queue_hands_the_item_back() {
    let (_server, _node, queue) = remote_queue("full", Queue::<String>::bounded(1)).await;
    queue
        .try_put("first".to_owned())
        .await
        .expect("room for one");
    let refused = queue.try_put("second".to_owned()).await.expect_err("full");
    assert_eq!(
        refused.error,
        QueueError::Full {
            queue: queue.id(),
            capacity: 1
        }
    );
    assert_eq!(refused.message, "second");
    let limit = Duration::from_millis(200);
    let refused = within("put_timeout", queue.put_timeout("third".to_owned(), limit))
        .await
        .expect_err("still full");
    assert!(matches!(
        refused.error,
        QueueError::Timeout {
            operation: "put_timeout",
            ..
        }
    ));
    assert_eq!(refused.message, "third");
    assert_eq!(queue.get().await.expect("the first"), "first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_producers_and_two_consumers_move_each_item_exactly_once() {
    const PER_PRODUCER: u64 = 500;
    let server = exporter().await;
    server
        .export_handle("work", Queue::<u64>::bounded(16))
        .expect("exported");
    let addr = server.local_addr();
    let nodes = [client().await, client().await];
    let mut producers = Vec::new();
    let mut consumers = Vec::new();
    for (i, node) in (0u64..).zip(&nodes) {
        // One handle per task: a handle's requests are served one at a time.
        let queue = node
            .lookup_handle::<Queue<u64>>(addr, "work")
            .await
            .expect("found");
        producers.push(tokio::spawn(async move {
            for n in i * PER_PRODUCER..(i + 1) * PER_PRODUCER {
                queue.put(n).await.expect("put");
            }
        }));
        let queue = node
            .lookup_handle::<Queue<u64>>(addr, "work")
            .await
            .expect("found");
        consumers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                match queue.get().await {
                    Ok(n) => got.push(n),
                    Err(QueueError::Closed { .. }) => return got,
                    Err(other) => panic!("a consumer failed: {other}"),
                }
            }
        }));
    }
    for producer in producers {
        within("a producer's end", producer)
            .await
            .expect("producer ran");
    }
    let closer = nodes[0]
        .lookup_handle::<Queue<u64>>(addr, "work")
        .await
        .expect("found");
    closer.close().await;
    let mut all = Vec::new();
    for consumer in consumers {
        all.extend(
            within("a consumer's end", consumer)
                .await
                .expect("consumer ran"),
        );
    }
    assert_eq!(
        all.len(),
        2 * PER_PRODUCER as usize,
        "no item is taken twice"
    );
    let distinct: BTreeSet<u64> = all.into_iter().collect();
    assert_eq!(
        distinct,
        (0..2 * PER_PRODUCER).collect(),
        "every item is taken"
    );
}

#[tokio::test]
async fn a_waiting_get_of_a_node_that_shuts_down_is_withdrawn() {
    let local = Queue::<String>::unbounded();
    let (_server, node, queue) = remote_queue("mail", local.clone()).await;
    let waiting = tokio::spawn(async move { queue.get().await });
    let getters = |n: usize| {
        let local = local.clone();
        async move {
            while local.status().await.expect("status").waiting_getters != n {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    within("the remote get's arrival", getters(1)).await;
    node.shutdown().await;
    assert!(within("the get's failure", waiting)
        .await
        .expect("ran")
        .is_err());
    within("the remote get's withdrawal", getters(0)).await;
    local.put("letter".to_owned()).await.expect("put");
    assert_eq!(
        local.try_get().await.expect("not taken by the dead node"),
        "letter"
    );
}

#[tokio::test]
async fn a_dropped_remote_work_item_is_delivered_again_and_done_acknowledges() {
    let local = WorkQueue::<String>::unbounded();
    let (_server, _node, queue) = remote_work_queue("dishes", local.clone()).await;
    queue.put("noodles".to_owned()).await.expect("put");
    let first = queue.get().await.expect("taken");
    assert_eq!((first.as_str(), first.deliveries()), ("noodles", 1));
    let id = first.id();
    drop(first);
    let again = within("redelivery", queue.get())
        .await
        .expect("taken again");
    assert_eq!((again.id(), again.deliveries()), (id, 2));
    again.done().await.expect("acknowledged");
    within("join", queue.join())
        .await
        .expect("every item acknowledged");
    assert_eq!(local.status().await.expect("status").held, 0);
}

#[tokio::test]
async fn a_work_item_held_by_a_node_that_shuts_down_is_delivered_again() {
    let server = exporter().await;
    let local = WorkQueue::<String>::unbounded();
    server
        .export_handle("jobs", local.clone())
        .expect("exported");
    local.put("job".to_owned()).await.expect("put");
    let holder = client().await;
    let held = holder
        .lookup_handle::<WorkQueue<String>>(server.local_addr(), "jobs")
        .await
        .expect("found")
        .get()
        .await
        .expect("taken");
    assert_eq!(held.deliveries(), 1);
    holder.shutdown().await;
    let other = client().await;
    let queue = other
        .lookup_handle::<WorkQueue<String>>(server.local_addr(), "jobs")
        .await
        .expect("found");
    let again = within("redelivery", queue.get())
        .await
        .expect("taken again");
    assert_eq!(
        (again.id(), again.deliveries(), again.as_str()),
        (held.id(), 2, "job")
    );
    again.done().await.expect("acknowledged");
    within("join", local.join()).await.expect("joined");
}

/// The worker, when the test binary is re-executed as a child by
/// `a_work_item_held_by_a_killed_process_is_delivered_again`; otherwise it
/// returns at once.
#[test]
fn worker_child_process() {
    let Ok(addr) = std::env::var(CHILD_ENV) else {
        return;
    };
    let addr: SocketAddr = addr.parse().expect("the parent's address");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let node = client().await;
        let queue = node
            .lookup_handle::<WorkQueue<String>>(addr, "jobs")
            .await
            .expect("found");
        let item = queue.get().await.expect("taken");
        println!("took {}", item.id().as_u64());
        std::io::stdout().flush().expect("stdout flushed");
        // Hold the item until killed.
        std::future::pending::<()>().await;
        drop(item);
    });
}

#[tokio::test]
async fn a_work_item_held_by_a_killed_process_is_delivered_again() {
    let server = exporter().await;
    let local = WorkQueue::<String>::unbounded();
    server
        .export_handle("jobs", local.clone())
        .expect("exported");
    local.put("job".to_owned()).await.expect("put");
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "worker_child_process", "--nocapture"])
        .env(CHILD_ENV, server.local_addr().to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("the child's stdout");
    let mut lines = BufReader::new(stdout).lines();
    let took: u64 = within("the child's take", async {
        while let Some(line) = lines.next_line().await.expect("the child's output") {
            if let Some((_, id)) = line.split_once("took ") {
                return id.trim().parse().expect("an item id");
            }
        }
        panic!("the child ended without taking the item");
    })
    .await;
    child.kill().await.expect("the child is killed");
    let again = within("redelivery after the kill", local.get())
        .await
        .expect("taken again");
    assert_eq!((again.id().as_u64(), again.deliveries()), (took, 2));
    again.done().await.expect("acknowledged");
}

#[tokio::test]
async fn a_lock_held_by_a_node_that_shuts_down_is_released() {
    let server = exporter().await;
    server
        .export_handle("printer", Lock::new())
        .expect("exported");
    let (a, b) = (client().await, client().await);
    let held = a
        .lookup_handle::<Lock>(server.local_addr(), "printer")
        .await
        .expect("found")
        .lock()
        .await
        .expect("locked");
    let lock = b
        .lookup_handle::<Lock>(server.local_addr(), "printer")
        .await
        .expect("found");
    assert!(lock.try_lock().await.expect("asked").is_none(), "held by a");
    assert!(lock.is_locked().await.expect("asked"));
    let waiter = tokio::spawn({
        let lock = lock.clone();
        async move { lock.lock().await }
    });
    a.shutdown().await;
    let guard = within("the lock's release", waiter)
        .await
        .expect("waiter ran")
        .expect("locked by b");
    drop(held);
    guard.unlock();
    assert!(
        !lock.is_locked().await.expect("asked"),
        "released by unlock"
    );
}

#[tokio::test]
async fn a_remote_lock_guard_releases_when_dropped() {
    let server = exporter().await;
    server.export_handle("door", Lock::new()).expect("exported");
    let node = client().await;
    let (one, two) = (
        node.lookup_handle::<Lock>(server.local_addr(), "door")
            .await
            .expect("found"),
        node.lookup_handle::<Lock>(server.local_addr(), "door")
            .await
            .expect("found"),
    );
    let guard = one.lock().await.expect("locked");
    assert!(
        matches!(
            one.lock().await,
            Err(SyncError::Actor(Error::Failed { .. }))
        ),
        "a handle that holds the lock is refused a second hold"
    );
    let limit = Duration::from_millis(200);
    assert!(within("lock_timeout", two.lock_timeout(limit))
        .await
        .expect("asked")
        .is_none());
    drop(guard);
    let guard = within("lock after the release", two.lock())
        .await
        .expect("locked");
    assert!(one.try_lock().await.expect("asked").is_none());
    guard.unlock();
    assert!(one.lock_timeout(SAFETY).await.expect("asked").is_some());
}

#[tokio::test]
async fn an_event_set_on_one_node_wakes_a_waiter_on_another() {
    let server = exporter().await;
    server
        .export_handle("green", Event::new())
        .expect("exported");
    let (a, b) = (client().await, client().await);
    let setter = a
        .lookup_handle::<Event>(server.local_addr(), "green")
        .await
        .expect("found");
    let waiter = b
        .lookup_handle::<Event>(server.local_addr(), "green")
        .await
        .expect("found");
    let limit = Duration::from_millis(100);
    assert!(!within("wait_timeout", waiter.wait_timeout(limit))
        .await
        .expect("asked"));
    let waiting = tokio::spawn(async move { waiter.wait().await.map(|()| waiter) });
    setter.set().await.expect("set");
    let waiter = within("the waiter's wake-up", waiting)
        .await
        .expect("waiter ran")
        .expect("woken");
    assert!(waiter.is_set().await.expect("asked"));
    setter.clear().await.expect("cleared");
    assert!(!waiter.is_set().await.expect("asked"));
}

/// Code written for `Queue<T>` takes a queue on another node unchanged.
async fn drain(queue: &Queue<u64>) -> Vec<u64> {
    let mut got = Vec::new();
    loop {
        match queue.get().await {
            Ok(n) => got.push(n),
            Err(QueueError::Closed { .. }) => return got,
            Err(other) => panic!("drain: {other}"),
        }
    }
}

#[tokio::test]
async fn one_function_serves_a_local_and_a_remote_queue() {
    let local = Queue::<u64>::bounded(8);
    let (_server, _node, remote) = remote_queue("numbers", local.clone()).await;
    assert_eq!(remote.capacity(), Some(8), "learnt at lookup");
    for n in 0..3 {
        remote.put(n).await.expect("put remotely");
    }
    let status = remote.status().await.expect("status");
    assert_eq!(
        (status.len, status.capacity, status.closed),
        (3, Some(8), false)
    );
    remote.close().await;
    assert!(
        local.status().await.expect("status").closed,
        "closed remotely"
    );
    assert_eq!(
        within("drain the local handle", drain(&local)).await,
        [0, 1, 2]
    );

    let local = Queue::<u64>::unbounded();
    let (_server, _node, remote) = remote_queue("more", local.clone()).await;
    for n in 10..13 {
        local.put(n).await.expect("put locally");
    }
    local.close().await;
    assert_eq!(
        within("drain the remote handle", drain(&remote)).await,
        [10, 11, 12]
    );
}

#[tokio::test]
async fn a_remote_task_done_of_an_item_not_held_is_not_taken() {
    let local = WorkQueue::<String>::unbounded();
    let (_server, _node, remote) = remote_work_queue("jobs", local.clone()).await;
    remote.put("job".to_owned()).await.expect("put");
    let item = within("get", remote.get()).await.expect("taken");
    let id = item.id();
    assert_eq!(item.queue(), remote.id());
    remote.task_done(id).await.expect("acknowledged by id");
    drop(item); // acknowledged already: gives nothing back
    assert_eq!(
        remote.task_done(id).await,
        Err(QueueError::NotTaken {
            queue: remote.id(),
            item: id
        })
    );
    within("join", remote.join()).await.expect("joined");
    assert_eq!(local.status().await.expect("status").held, 0);
}

#[tokio::test]
async fn a_remote_lock_taken_for_a_holder_is_released_when_the_holder_ends() {
    let server = exporter().await;
    let lock = Lock::new();
    server
        .export_handle("door", lock.clone())
        .expect("exported");
    let node = client().await;
    let remote = node
        .lookup_handle::<Lock>(server.local_addr(), "door")
        .await
        .expect("found");
    let holder = actor_core::spawn(Holder);
    let guard = remote.lock_for(&holder).await.expect("locked");
    assert!(lock.is_locked().await.expect("asked"));
    holder.kill();
    // The guard is leaked: only the holder's end can release the lock.
    std::mem::forget(guard);
    let relocked = within("the lock's release after its holder ended", lock.lock())
        .await
        .expect("locked here");
    relocked.unlock();
}

struct Holder;
impl actor_core::Actor for Holder {}

#[tokio::test]
#[should_panic(expected = "needs a Lock of this process")]
async fn a_condition_refuses_a_lock_on_another_node() {
    let server = exporter().await;
    server.export_handle("door", Lock::new()).expect("exported");
    let node = client().await;
    let remote = node
        .lookup_handle::<Lock>(server.local_addr(), "door")
        .await
        .expect("found");
    let _ = actor_core::sync::Condition::with_lock(remote);
}

#[tokio::test]
async fn a_lookup_of_another_tool_or_item_type_is_the_wrong_type() {
    let server = exporter().await;
    server
        .export_handle("jobs", Queue::<u64>::unbounded())
        .expect("exported");
    let node = client().await;
    let addr = server.local_addr();
    assert!(matches!(
        node.lookup_handle::<Queue<String>>(addr, "jobs").await,
        Err(actor_net::NetError::WrongType { .. })
    ));
    assert!(matches!(
        node.lookup_handle::<WorkQueue<u64>>(addr, "jobs").await,
        Err(actor_net::NetError::WrongType { .. })
    ));
    assert!(matches!(
        node.lookup_handle::<Lock>(addr, "jobs").await,
        Err(actor_net::NetError::WrongType { .. })
    ));
}

#[tokio::test]
async fn batches_cross_in_one_request_each_way() {
    let local = Queue::<u64>::bounded(16);
    let (server, _node, remote) = remote_queue("batches", local.clone()).await;
    let producer = tokio::spawn({
        let remote = remote.clone();
        async move { remote.put_many(0..100).await }
    });
    // The consumer on a node of its own, with a handle of its own.
    let node = client().await;
    let consumer = node
        .lookup_handle::<Queue<u64>>(server.local_addr(), "batches")
        .await
        .expect("found");
    let mut got = Vec::new();
    while got.len() < 100 {
        got.extend(
            within("get_many", consumer.get_many(32))
                .await
                .expect("items"),
        );
    }
    within("the producer", producer)
        .await
        .expect("ran")
        .expect("all put");
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    local.close().await;
    let refused = remote.put_many([1, 2]).await.expect_err("closed");
    assert_eq!(refused.error, QueueError::Closed { queue: remote.id() });
    assert_eq!(refused.message, [1, 2]);
}

#[tokio::test]
async fn a_remote_work_batch_is_leased_and_redelivered_when_its_holder_goes() {
    let local = WorkQueue::<String>::unbounded();
    let (_server, node, remote) = remote_work_queue("jobs", local.clone()).await;
    remote
        .put_many(["a", "b", "c"].map(String::from))
        .await
        .expect("put");
    let mut batch = within("get_many", remote.get_many(2)).await.expect("items");
    assert_eq!(batch.len(), 2);
    batch.remove(0).done().await.expect("acknowledged");
    assert_eq!(local.status().await.expect("status").held, 1);
    // The handle's node goes: the item it still holds is delivered again.
    node.shutdown().await;
    let mut got = Vec::new();
    for _ in 0..2 {
        let item = within("redelivery", local.get()).await.expect("taken");
        got.push(((*item).clone(), item.deliveries()));
        item.done().await.expect("acknowledged");
    }
    got.sort();
    assert_eq!(got, [("b".to_owned(), 2), ("c".to_owned(), 1)]);
    drop(batch);
}

#[tokio::test]
async fn a_remote_batch_too_large_for_one_frame_loses_no_item() {
    // 40 items of 64 KiB: 2.5 MiB, over the 1 MiB frame limit at once.
    let local = Queue::<Vec<u8>>::unbounded();
    let (_server, _node, remote) = remote_queue("big", local.clone()).await;
    for n in 0..40u8 {
        local.put(vec![n; 64 * 1024]).await.expect("put");
    }
    let mut got = Vec::new();
    while got.len() < 40 {
        let batch = within("get_many", remote.get_many(1000))
            .await
            .expect("items");
        assert!(!batch.is_empty());
        got.extend(batch.into_iter().map(|item| item[0]));
    }
    assert_eq!(got, (0..40).collect::<Vec<u8>>(), "every item, in order");
}
