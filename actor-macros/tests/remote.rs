//! Remote messages: wire names that do not depend on the type's name,
//! computed for generic messages, and serde round trips.

use std::borrow::Cow;
use std::marker::PhantomData;

use actor::prelude::*;
use actor::{RemoteMessage, WireName};
use serde::{Deserialize, Serialize};

/// What the network layer will do with a remote message: its wire name, the
/// message as bytes, and the reply as bytes. Compiles only because
/// `RemoteMessage` carries the serde bounds of the message and its reply.
fn encode<M: RemoteMessage>(message: &M, reply: &M::Reply) -> (String, String, String) {
    (
        M::wire_name().into_owned(),
        serde_json::to_string(message).unwrap(),
        serde_json::to_string(reply).unwrap(),
    )
}

fn decode<M: RemoteMessage>(message: &str) -> M {
    serde_json::from_str(message).unwrap()
}

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64, remote = "bank.deposit")]
pub struct Deposit {
    pub amount: u64,
}

/// Renamed in code, known by the same name on the wire.
mod renamed {
    use actor::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Message, Serialize, Deserialize)]
    #[message(reply = u64, remote = "bank.deposit")]
    pub struct PutMoneyIn {
        pub amount: u64,
    }
}

#[test]
fn the_wire_name_is_the_one_given() {
    let (name, message, reply) = encode(&Deposit { amount: 5 }, &12);
    assert_eq!(name, "bank.deposit");
    assert_eq!(message, r#"{"amount":5}"#);
    assert_eq!(reply, "12");
    assert_eq!(decode::<Deposit>(&message), Deposit { amount: 5 });
    // Another type with the same wire name is the same message on the wire.
    assert_eq!(renamed::PutMoneyIn::wire_name(), Deposit::wire_name());
    assert_eq!(decode::<renamed::PutMoneyIn>(&message).amount, 5);
}

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Option<V>, remote = "kv.get")]
pub struct Get<K, V> {
    pub key: K,
    #[serde(skip)]
    pub value: PhantomData<fn() -> V>,
}

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<T>, remote = "batch.fill")]
pub struct Fill<T, const N: usize> {
    pub with: T,
}

/// An application type used as a type argument names itself.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct UserId(u64);

impl WireName for UserId {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("app.user-id")
    }
}

#[test]
fn generic_messages_are_named_by_their_arguments() {
    assert_eq!(
        Get::<String, Vec<u8>>::wire_name(),
        "kv.get<String,Vec<u8>>"
    );
    assert_eq!(Get::<u64, UserId>::wire_name(), "kv.get<u64,app.user-id>");
    assert_eq!(Fill::<u8, 4>::wire_name(), "batch.fill<u8,4>");
    // A message is itself a type argument by its wire name.
    assert_eq!(
        Get::<Deposit, bool>::wire_name(),
        "kv.get<bank.deposit,bool>"
    );
    let get = Get::<UserId, String> {
        key: UserId(7),
        value: PhantomData,
    };
    let (name, message, reply) = encode(&get, &Some("ada".to_owned()));
    assert_eq!(name, "kv.get<app.user-id,String>");
    assert_eq!(message, r#"{"key":7}"#);
    assert_eq!(reply, r#""ada""#);
    assert_eq!(decode::<Get<UserId, String>>(&message).key, UserId(7));
}

#[derive(Actor, Default)]
struct Bank {
    balance: u64,
}

#[messages]
impl Bank {
    /// Remote on a method: the derives go on the generated struct.
    #[message(remote = "bank.credit", derive(Serialize, Deserialize, Debug))]
    pub fn credit(&mut self, amount: u64, memo: String) -> (u64, String) {
        self.balance += amount;
        (self.balance, memo)
    }

    #[message(remote = "bank.balance", derive(Serialize, Deserialize))]
    pub fn balance(&self) -> u64 {
        self.balance
    }
}

#[tokio::test]
async fn remote_methods_round_trip_through_bytes() {
    let bank = spawn(Bank::default());
    let sent = Credit {
        amount: 3,
        memo: "rent".into(),
    };
    let (name, bytes, _) = encode(&sent, &(0, String::new()));
    assert_eq!(name, "bank.credit");
    assert_eq!(bytes, r#"{"amount":3,"memo":"rent"}"#);
    // What a remote node would do: decode by wire name, handle, encode.
    let received: Credit = decode(&bytes);
    let reply = bank.ask(received).await.unwrap();
    assert_eq!(serde_json::to_string(&reply).unwrap(), r#"[3,"rent"]"#);
    assert_eq!(Balance::wire_name(), "bank.balance");
    assert_eq!(bank.ask(decode::<Balance>("null")).await.unwrap(), 3);
}

/// A generic actor's remote message carries the actor's parameter in its
/// name.
#[derive(Actor)]
struct Register<T> {
    value: T,
}

#[messages]
impl<T: Clone> Register<T> {
    #[message(remote = "register.read", derive(Serialize, Deserialize))]
    pub fn read(&self) -> T {
        self.value.clone()
    }

    #[message(remote = "register.write", derive(Serialize, Deserialize))]
    pub fn write(&mut self, value: T) {
        self.value = value;
    }
}

#[tokio::test]
async fn generic_remote_methods_work() {
    assert_eq!(Read::<u32>::wire_name(), "register.read<u32>");
    assert_eq!(Write::<String>::wire_name(), "register.write<String>");
    let register = spawn(Register { value: 1u32 });
    let write: Write<u32> = decode(r#"{"value":9}"#);
    register.ask(write).await.unwrap();
    // The marker field of `Read<T>` is not on the wire.
    let read: Read<u32> = decode("{}");
    assert_eq!(register.ask(read).await.unwrap(), 9);
}
