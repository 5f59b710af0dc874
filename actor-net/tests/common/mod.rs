//! Test actors and helpers shared by the integration tests: a recording actor
//! that every test exports, a slow actor for backpressure, and a watcher that
//! turns monitors into a channel the test can await; and a raw QUIC client
//! that completes TLS with a node but proves no key.
//!
//! Each test binary uses only some of this; the rest is not dead code there
//! by mistake.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actor_core::remote::{Accepts, RemoteActor};
use actor_core::{
    spawn, Actor, ActorRef, Context, Down, Handler, MailboxCapacity, Message, RemoteMessage,
    WireName,
};
use actor_net::{ClusterKey, Node, NodeConfig};
use quinn::{Connection, Endpoint};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// A safety net for anything awaited in a test: long enough never to fire
/// on a slow, busy machine, short enough that a hang fails the test.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Awaits `future`, failing the test if it takes longer than [`PATIENCE`].
pub async fn patiently<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: still waiting after {PATIENCE:?}"),
    }
}

/// Any port on loopback.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("a loopback address")
}

/// The secret of the tests' cluster key.
pub const SECRET: &str = "integration tests: same cluster";

/// The cluster key of the tests.
pub fn key() -> ClusterKey {
    ClusterKey::new(SECRET)
}

/// A configuration that notices a lost peer within about a second.
pub fn quick(key: ClusterKey) -> NodeConfig {
    NodeConfig::new(key)
        .idle_timeout(Duration::from_secs(1))
        .keep_alive(Duration::from_millis(200))
}

/// Starts a node on any loopback port with the test key.
pub async fn node() -> Node {
    Node::start(any_port(), key()).await.expect("a node starts")
}

macro_rules! remote_message {
    ($ty:ty, $reply:ty, $name:literal) => {
        impl Message for $ty {
            type Reply = $reply;
        }
        impl WireName for $ty {
            fn wire_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
        impl RemoteMessage for $ty {}
    };
}

/// Records, per sender, the sequence numbers it receives.
#[derive(Default)]
pub struct Recorder {
    seen: HashMap<u32, Vec<u64>>,
    count: u64,
    /// Told each time a [`Sleep`] handler starts.
    entered: Option<mpsc::UnboundedSender<()>>,
}

impl Recorder {
    /// A recorder that says when it starts handling a [`Sleep`].
    pub fn telling(entered: mpsc::UnboundedSender<()>) -> Self {
        Recorder {
            entered: Some(entered),
            ..Recorder::default()
        }
    }
}

impl Actor for Recorder {}
impl WireName for Recorder {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("test.recorder")
    }
}

impl RemoteActor for Recorder {
    fn accepts(messages: &mut Accepts<Self>) {
        messages
            .accept::<Seq>()
            .accept::<Record>()
            .accept::<Count>()
            .accept::<Sleep>()
            .accept::<Fail>()
            .accept::<Blob>();
    }
}

/// Message `n` of `sender`'s sequence.
#[derive(Serialize, Deserialize, Clone, Copy, Debug)]
pub struct Seq {
    pub sender: u32,
    pub n: u64,
}
remote_message!(Seq, (), "test.seq");

impl Handler<Seq> for Recorder {
    async fn handle(&mut self, Seq { sender, n }: Seq, _: &mut Context<Self>) {
        self.count += 1;
        self.seen.entry(sender).or_default().push(n);
    }
}

/// What `sender` sent, in the order it arrived.
#[derive(Serialize, Deserialize, Debug)]
pub struct Record {
    pub sender: u32,
}
remote_message!(Record, Vec<u64>, "test.record");

impl Handler<Record> for Recorder {
    async fn handle(&mut self, Record { sender }: Record, _: &mut Context<Self>) -> Vec<u64> {
        self.seen.get(&sender).cloned().unwrap_or_default()
    }
}

/// How many messages arrived in all (every type counts).
#[derive(Serialize, Deserialize, Debug)]
pub struct Count;
remote_message!(Count, u64, "test.count");

impl Handler<Count> for Recorder {
    async fn handle(&mut self, _: Count, _: &mut Context<Self>) -> u64 {
        self.count
    }
}

/// Replies after `ms` milliseconds: a handler that does not answer in time.
#[derive(Serialize, Deserialize, Debug)]
pub struct Sleep {
    pub ms: u64,
}
remote_message!(Sleep, u64, "test.sleep");

impl Handler<Sleep> for Recorder {
    async fn handle(&mut self, Sleep { ms }: Sleep, _: &mut Context<Self>) -> u64 {
        self.count += 1;
        if let Some(entered) = &self.entered {
            let _ = entered.send(());
        }
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }
}

/// Fails the actor with this description.
#[derive(Serialize, Deserialize, Debug)]
pub struct Fail(pub String);
remote_message!(Fail, (), "test.fail");

impl Handler<Fail> for Recorder {
    async fn handle(&mut self, Fail(why): Fail, ctx: &mut Context<Self>) {
        self.count += 1;
        ctx.fail(why);
    }
}

/// A message of any size; the reply is its length.
#[derive(Serialize, Deserialize, Debug)]
pub struct Blob(pub Vec<u8>);
remote_message!(Blob, usize, "test.blob");

impl Handler<Blob> for Recorder {
    async fn handle(&mut self, Blob(bytes): Blob, _: &mut Context<Self>) -> usize {
        self.count += 1;
        bytes.len()
    }
}

/// A message the recorder handles but does not accept from the network.
#[derive(Serialize, Deserialize, Debug)]
pub struct Unlisted;
remote_message!(Unlisted, (), "test.unlisted");

impl Handler<Unlisted> for Recorder {
    async fn handle(&mut self, _: Unlisted, _: &mut Context<Self>) {
        self.count += 1;
    }
}

/// A slow actor with a small mailbox, for backpressure.
#[derive(Default)]
pub struct Slow {
    seen: Vec<u64>,
}

impl Actor for Slow {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(8)
    }
}
impl WireName for Slow {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("test.slow")
    }
}
impl RemoteActor for Slow {
    fn accepts(messages: &mut Accepts<Self>) {
        messages.accept::<Payload>().accept::<Seen>();
    }
}

/// Message `seq`, carrying `data`.
#[derive(Serialize, Deserialize, Debug)]
pub struct Payload {
    pub seq: u64,
    pub data: Vec<u8>,
}
remote_message!(Payload, (), "test.payload");

impl Handler<Payload> for Slow {
    async fn handle(&mut self, Payload { seq, data }: Payload, _: &mut Context<Self>) {
        assert_eq!(data.len(), 1024, "a payload arrives whole");
        self.seen.push(seq);
        // Slower than the sender, so that every buffer on the way fills.
        if seq % 4 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// The sequence numbers received, in order.
#[derive(Serialize, Deserialize, Debug)]
pub struct Seen;
remote_message!(Seen, Vec<u64>, "test.seen");

impl Handler<Seen> for Slow {
    async fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Vec<u64> {
        self.seen.clone()
    }
}

/// A local actor that monitors references and hands their [`Down`]s over.
pub struct Watcher {
    downs: mpsc::UnboundedSender<Down>,
}
impl Actor for Watcher {}

/// Monitors the reference.
pub struct Watch<A: Actor>(pub ActorRef<A>);
impl<A: Actor> Message for Watch<A> {
    type Reply = ();
}

impl<A: Actor> Handler<Watch<A>> for Watcher {
    async fn handle(&mut self, Watch(target): Watch<A>, ctx: &mut Context<Self>) {
        ctx.monitor(&target);
    }
}

impl Handler<Down> for Watcher {
    async fn handle(&mut self, down: Down, _: &mut Context<Self>) {
        let _ = self.downs.send(down);
    }
}

/// A monitor on one reference, from a local actor.
pub struct Watching {
    _watcher: ActorRef<Watcher>,
    downs: mpsc::UnboundedReceiver<Down>,
}

impl Watching {
    /// The next [`Down`] (failing the test if none comes).
    pub async fn down(&mut self) -> Down {
        patiently("a monitor firing", self.downs.recv())
            .await
            .expect("the watcher lives as long as this")
    }
}

/// Monitors `target` from a fresh local actor; the monitor is in place when
/// this returns.
pub async fn watch<A: Actor>(target: &ActorRef<A>) -> Watching {
    let (tx, downs) = mpsc::unbounded_channel();
    let watcher = spawn(Watcher { downs: tx });
    watcher
        .ask(Watch(target.clone()))
        .await
        .expect("the watcher monitors");
    Watching {
        _watcher: watcher,
        downs,
    }
}

/// A TLS-complete QUIC connection to `addr`, and the endpoint it lives on.
pub async fn raw_connect(addr: SocketAddr) -> (Endpoint, Connection) {
    let tls = actor_net::__testing::stranger_tls();
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls).expect("a QUIC TLS config");
    let mut endpoint = Endpoint::client(any_port()).expect("a client endpoint");
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
    let connecting = endpoint.connect(addr, "actor-node").expect("connecting");
    let connection = patiently("the TLS handshake", connecting)
        .await
        .expect("TLS completes");
    (endpoint, connection)
}
