//! `#[derive(Actor)]` with `remote` and `accepts`: an actor exported by one
//! node and used from another, with no hand-written network code.

use actor::net::{ClusterKey, NetError, Node};
use actor::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Actor, Default)]
#[actor(remote = "test.account", accepts(Deposit, Balance))]
struct Account {
    balance: u64,
}

#[derive(Message, Serialize, Deserialize)]
#[message(reply = u64, remote = "test.deposit")]
struct Deposit(u64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = u64, remote = "test.balance")]
struct Balance;

/// Handled locally, but not listed in `accepts`.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = (), remote = "test.reset")]
struct Reset;

impl Handler<Deposit> for Account {
    async fn handle(&mut self, Deposit(n): Deposit, _: &mut Context<Self>) -> u64 {
        self.balance += n;
        self.balance
    }
}

impl Handler<Balance> for Account {
    async fn handle(&mut self, _: Balance, _: &mut Context<Self>) -> u64 {
        self.balance
    }
}

impl Handler<Reset> for Account {
    async fn handle(&mut self, _: Reset, _: &mut Context<Self>) {
        self.balance = 0;
    }
}

async fn two_nodes() -> Result<(Node, Node), NetError> {
    let any = "127.0.0.1:0".parse().expect("a literal address");
    let key = ClusterKey::new("derive test");
    Ok((
        Node::start(any, key.clone()).await?,
        Node::start(any, key).await?,
    ))
}

#[tokio::test]
async fn a_derived_remote_actor_is_used_across_nodes() {
    let (server, client) = two_nodes().await.expect("nodes start");
    server
        .export("account", spawn(Account::default()))
        .expect("exported");
    let account = client
        .lookup::<Account>(server.local_addr(), "account")
        .await
        .expect("found");
    for _ in 0..10 {
        account.tell(Deposit(5)).await.expect("told");
    }
    assert_eq!(account.ask(Balance).await.expect("answered"), 50);
}

#[tokio::test]
async fn a_message_missing_from_accepts_fails_and_the_reference_goes_on() {
    let (server, client) = two_nodes().await.expect("nodes start");
    server
        .export("account", spawn(Account::default()))
        .expect("exported");
    let account = client
        .lookup::<Account>(server.local_addr(), "account")
        .await
        .expect("found");
    account.ask(Deposit(7)).await.expect("answered");
    match account.ask(Reset).await {
        Err(Error::Failed { reason, .. }) => {
            assert!(reason.to_string().contains("accepts"), "{reason}");
        }
        other => panic!("expected a failure naming `accepts`, got {other:?}"),
    }
    assert_eq!(account.ask(Balance).await.expect("answered"), 7);
}
