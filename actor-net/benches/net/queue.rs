//! Workload 3: a queue exported by one node, with 2 producers and 2
//! consumers each on a node of its own (five nodes in this process). With a
//! batch of 1, every `put` and `get` is a remote ask; with a larger batch,
//! producers use `put_many` and consumers `get_many`, one remote ask per
//! batch.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use actor_core::queue::Queue;
use actor_core::WireName;
use actor_net::{ClusterKey, Node};
use serde::{Deserialize, Serialize};

/// The seeds' Python `multiprocessing.managers.BaseManager` queue, 2
/// producers and 2 consumers, on this machine.
pub const PYTHON_ITEMS_PER_SEC: f64 = 19_500.0;
const CAPACITY: usize = 1024;
const SIDES: u64 = 2;

#[derive(Serialize, Deserialize)]
struct Item(u64);
impl WireName for Item {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("bench.item")
    }
}

/// Moves `items` items (half per producer, half per consumer) in batches of
/// `batch`; checks that every item arrived once by their sum.
pub async fn remote_queue(items: u64, batch: u64) -> Duration {
    let key = ClusterKey::new("bench");
    let any = "127.0.0.1:0".parse().expect("an address");
    let server = Node::start(any, key.clone()).await.expect("server node");
    server
        .export_handle("items", Queue::<Item>::bounded(CAPACITY))
        .expect("exported");
    let mut clients = Vec::new();
    for _ in 0..2 * SIDES {
        let node = Node::start(any, key.clone()).await.expect("client node");
        let queue = node
            .lookup_handle::<Queue<Item>>(server.local_addr(), "items")
            .await
            .expect("looked up");
        clients.push((node, queue));
    }
    let each = items / SIDES;
    let start = Instant::now();
    let mut producers = Vec::new();
    let mut consumers = Vec::new();
    for (i, (_, queue)) in clients.iter().enumerate() {
        let queue = queue.clone();
        if (i as u64) < SIDES {
            let first = i as u64 * each;
            producers.push(tokio::spawn(async move {
                if batch == 1 {
                    for n in first..first + each {
                        if queue.put(Item(n)).await.is_err() {
                            panic!("put failed");
                        }
                    }
                    return;
                }
                let mut next = first;
                while next < first + each {
                    let end = (next + batch).min(first + each);
                    if queue.put_many((next..end).map(Item)).await.is_err() {
                        panic!("put_many failed");
                    }
                    next = end;
                }
            }));
        } else {
            consumers.push(tokio::spawn(async move {
                let (mut sum, mut taken) = (0, 0);
                while taken < each {
                    let want = usize::try_from(batch.min(each - taken)).expect("a batch fits");
                    let got = if want == 1 {
                        vec![queue.get().await.expect("an item")]
                    } else {
                        queue.get_many(want).await.expect("items")
                    };
                    taken += got.len() as u64;
                    sum += got.iter().map(|item| item.0).sum::<u64>();
                }
                sum
            }));
        }
    }
    for producer in producers {
        producer.await.expect("producer finished");
    }
    let mut sum = 0;
    for consumer in consumers {
        sum += consumer.await.expect("consumer finished");
    }
    let elapsed = start.elapsed();
    let total = each * SIDES;
    assert_eq!(sum, total * (total - 1) / 2, "every item arrives once");
    for (node, queue) in clients {
        drop(queue);
        node.shutdown().await;
    }
    server.shutdown().await;
    elapsed
}
