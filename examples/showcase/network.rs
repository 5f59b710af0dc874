//! Section 15: two nodes. An actor exported by one node is used from
//! another over QUIC through an ordinary `ActorRef`, and a queue through an
//! ordinary `Queue`, as Python's `multiprocessing.managers.BaseManager`
//! serves queues to other machines; a node with another cluster key is
//! refused.

use actor::prelude::*;
use actor::queue::Queue;
use serde::{Deserialize, Serialize};

use crate::section;

/// A running total that other nodes may reach: `remote` gives it a stable
/// wire name and `accepts` lists the messages that may cross the network.
#[derive(Actor, Default)]
#[actor(remote = "showcase.tally", accepts(Add, Total))]
struct Tally {
    total: u64,
}

#[messages]
impl Tally {
    /// Adds `n`; the reply is the new total. A remote message is a serde
    /// type known on the wire by its own stable name.
    #[message(remote = "showcase.add", derive(Serialize, Deserialize))]
    fn add(&mut self, n: u64) -> u64 {
        self.total += n;
        self.total
    }

    /// The total so far.
    #[message(remote = "showcase.total", derive(Serialize, Deserialize))]
    fn total(&self) -> u64 {
        self.total
    }
}

/// Two nodes in this one process, as they would be in two processes or on
/// two machines (`task_master` and `task_worker` do that).
pub(crate) async fn two_nodes() -> Result<(), Box<dyn std::error::Error>> {
    section("Two nodes: an actor exported by one, used from the other over QUIC");
    let any: std::net::SocketAddr = "127.0.0.1:0".parse()?;
    let key = ClusterKey::new("showcase");
    let here = Node::start(any, key.clone()).await?;
    here.export("tally", spawn(Tally::default()))?;
    let there = Node::start(any, key).await?;
    // An ordinary ActorRef<Tally>: tell and ask as with a local actor.
    let tally = there.lookup::<Tally>(here.local_addr(), "tally").await?;
    for n in 1..=3 {
        tally.tell(Add { n }).await.map_err(Error::from)?;
    }
    println!(
        "node {} exports a Tally as \"tally\"; node {} looks it up",
        here.local_addr(),
        there.local_addr()
    );
    println!(
        "tell(Add {{ n }}) for n in 1..=3, then ask(Total) -> {}",
        tally.ask(Total).await?
    );
    if let Err(e) = there.lookup::<Tally>(here.local_addr(), "talley").await {
        println!("lookup(\"talley\") -> {e}");
    }
    // A queue is one handle type wherever it is: the node that looks it up
    // gets a Queue<u64>, with the same methods; batches cross in one request.
    let jobs = Queue::<u64>::bounded(8);
    here.export_handle("jobs", jobs.clone())?;
    let remote: Queue<u64> = there.lookup_handle(here.local_addr(), "jobs").await?;
    remote.put_many(1..=5).await.map_err(|e| e.error)?;
    remote.put(6).await.map_err(|e| e.error)?;
    println!(
        "a Queue<u64> exported as \"jobs\": 6 items put from the other node, capacity {:?} there; taken here: {:?}",
        remote.capacity(),
        jobs.get_many(10).await?
    );
    // The key is never sent: each side proves it holds it, bound to this
    // TLS session, and a node that cannot is refused before anything else.
    let stranger = Node::start(any, ClusterKey::new("a guess")).await?;
    match stranger.lookup::<Tally>(here.local_addr(), "tally").await {
        Err(e @ NetError::ClusterKeyMismatch { .. }) => println!("a node with another key -> {e}"),
        Err(e) => println!("a node with another key -> unexpected: {e}"),
        Ok(_) => println!("a node with another key got in?!"),
    }
    for node in [stranger, there, here] {
        node.shutdown().await;
    }
    Ok(())
}
