//! The counter the remote and process benchmarks share: told `Add`, asked
//! `Get`, `Ping` (echoed) and `Pid` (the process it runs in).

#![allow(dead_code)] // each benchmark uses part of it

use std::borrow::Cow;

use actor_core::remote::{Accepts, RemoteActor};
use actor_core::{Actor, Context, Handler, Message, RemoteMessage, WireName};
use serde::{Deserialize, Serialize};

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

/// Counts what it is told; answers pings and says where it runs.
pub struct Counter(pub u64);
impl Actor for Counter {}
impl WireName for Counter {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("bench.counter")
    }
}

#[derive(Serialize, Deserialize)]
pub struct Add(pub u64);
remote_message!(Add, (), "bench.add");

#[derive(Serialize, Deserialize)]
pub struct Get;
remote_message!(Get, u64, "bench.get");

#[derive(Serialize, Deserialize)]
pub struct Ping(pub u64);
remote_message!(Ping, u64, "bench.ping");

impl Handler<Add> for Counter {
    async fn handle(&mut self, Add(n): Add, _: &mut Context<Self>) {
        self.0 += n;
    }
}
impl Handler<Get> for Counter {
    async fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.0
    }
}
impl Handler<Ping> for Counter {
    async fn handle(&mut self, Ping(n): Ping, _: &mut Context<Self>) -> u64 {
        n
    }
}
#[derive(Serialize, Deserialize)]
pub struct Pid;
remote_message!(Pid, u32, "bench.pid");

impl Handler<Pid> for Counter {
    async fn handle(&mut self, _: Pid, _: &mut Context<Self>) -> u32 {
        std::process::id()
    }
}
impl RemoteActor for Counter {
    fn accepts(messages: &mut Accepts<Self>) {
        messages
            .accept::<Add>()
            .accept::<Get>()
            .accept::<Ping>()
            .accept::<Pid>();
    }
}
