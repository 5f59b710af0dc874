//! The shortest path through a node: export, look up, tell, ask.

use std::borrow::Cow;

use actor_core::remote::{Accepts, RemoteActor};
use actor_core::{spawn, Actor, Context, Handler, Message, RemoteMessage, WireName};
use actor_net::{ClusterKey, Node};

struct Counter(u64);
impl Actor for Counter {}
impl WireName for Counter {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("smoke.counter")
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Add(u64);
impl Message for Add {
    type Reply = u64;
}
impl WireName for Add {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("smoke.add")
    }
}
impl RemoteMessage for Add {}
impl Handler<Add> for Counter {
    async fn handle(&mut self, Add(n): Add, _: &mut Context<Self>) -> u64 {
        self.0 += n;
        self.0
    }
}
impl RemoteActor for Counter {
    fn accepts(messages: &mut Accepts<Self>) {
        messages.accept::<Add>();
    }
}

#[tokio::test]
async fn a_remote_counter_counts() {
    let key = ClusterKey::new("smoke");
    let any = "127.0.0.1:0".parse().expect("an address");
    let server = Node::start(any, key.clone()).await.expect("server starts");
    server
        .export("counter", spawn(Counter(0)))
        .expect("exported");
    let client = Node::start(any, key).await.expect("client starts");
    let counter = client
        .lookup::<Counter>(server.local_addr(), "counter")
        .await
        .expect("found");
    for _ in 0..1000 {
        counter.tell(Add(1)).await.expect("told");
    }
    assert_eq!(counter.ask(Add(0)).await.expect("answered"), 1000);
}
