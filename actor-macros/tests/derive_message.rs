//! `#[derive(Message)]`: messages written as their own types.

use std::marker::PhantomData;

use actor::prelude::*;

/// Compiles only if `M`'s reply type is `R`.
fn reply_is<M: Message<Reply = R>, R>() {}

#[derive(Message)]
#[message(reply = Option<String>)]
pub struct Lookup {
    pub key: String,
}

/// Without `reply`, the reply is `()`.
#[derive(Message)]
pub enum Command {
    Start,
    Stop { reason: String },
}

#[derive(Message)]
#[message(reply = u64)]
pub struct Add(pub u64);

/// Generic: the reply may use the type parameters.
#[derive(Message)]
#[message(reply = Vec<T>)]
pub struct Repeat<T: Clone> {
    pub value: T,
    pub times: usize,
}

/// A parameter that appears only in the reply.
#[derive(Message)]
#[message(reply = T)]
pub struct Make<T: Default>(PhantomData<fn() -> T>);

#[test]
fn the_reply_type_is_the_one_given() {
    reply_is::<Lookup, Option<String>>();
    reply_is::<Command, ()>();
    reply_is::<Add, u64>();
    reply_is::<Repeat<char>, Vec<char>>();
    reply_is::<Make<u8>, u8>();
}

#[derive(Actor, Default)]
struct Machine {
    total: u64,
    log: Vec<String>,
}

impl Handler<Add> for Machine {
    async fn handle(&mut self, Add(n): Add, _ctx: &mut Context<Self>) -> u64 {
        self.total += n;
        self.total
    }
}

impl Handler<Command> for Machine {
    async fn handle(&mut self, command: Command, ctx: &mut Context<Self>) {
        match command {
            Command::Start => self.log.push("start".into()),
            Command::Stop { reason } => {
                self.log.push(reason);
                ctx.stop();
            }
        }
    }
}

impl Handler<Lookup> for Machine {
    async fn handle(&mut self, lookup: Lookup, _ctx: &mut Context<Self>) -> Option<String> {
        self.log
            .iter()
            .find(|l| l.starts_with(&lookup.key))
            .cloned()
    }
}

impl<T: Clone + Send + 'static> Handler<Repeat<T>> for Machine {
    async fn handle(&mut self, repeat: Repeat<T>, _ctx: &mut Context<Self>) -> Vec<T> {
        vec![repeat.value; repeat.times]
    }
}

impl<T: Default + Send + 'static> Handler<Make<T>> for Machine {
    async fn handle(&mut self, _: Make<T>, _ctx: &mut Context<Self>) -> T {
        T::default()
    }
}

#[tokio::test]
async fn derived_messages_are_handled() {
    let machine = spawn(Machine::default());
    assert_eq!(machine.ask(Add(2)).await.unwrap(), 2);
    assert_eq!(machine.ask(Add(3)).await.unwrap(), 5);
    machine.tell(Command::Start).await.unwrap();
    assert_eq!(
        machine.ask(Lookup { key: "st".into() }).await.unwrap(),
        Some("start".to_owned())
    );
    let repeated = machine
        .ask(Repeat {
            value: 'x',
            times: 3,
        })
        .await
        .unwrap();
    assert_eq!(repeated, ['x', 'x', 'x']);
    assert_eq!(machine.ask(Make::<u32>(PhantomData)).await.unwrap(), 0);
    machine
        .ask(Command::Stop {
            reason: "done".into(),
        })
        .await
        .unwrap();
    assert_eq!(machine.join().await, StopReason::Normal);
}
