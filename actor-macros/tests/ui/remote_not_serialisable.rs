// A remote message (or its reply) that serde cannot serialise: the errors
// point at the type and the reply, and say which derive to add.
use actor::prelude::*;

pub struct Receipt {
    pub id: u64,
}

#[derive(Message)]
#[message(reply = u64, remote = "bank.deposit")]
pub struct Deposit {
    pub amount: u64,
}

#[derive(Message, serde::Serialize, serde::Deserialize)]
#[message(reply = Receipt, remote = "bank.withdraw")]
pub struct Withdraw {
    pub amount: u64,
}

#[derive(Actor, Default)]
struct Bank {
    balance: u64,
}

#[messages]
impl Bank {
    #[message(remote = "bank.balance")]
    pub fn balance(&self) -> u64 {
        self.balance
    }
}

fn main() {}
