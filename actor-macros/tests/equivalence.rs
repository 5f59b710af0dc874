//! The macro path and the hand-written trait path behave identically: the
//! same actor written both ways, driven by the same script, gives the same
//! replies, hook calls and stop reasons.

use std::sync::{Arc, Mutex};

/// What the hooks saw, in order.
type Log = Arc<Mutex<Vec<String>>>;

#[derive(Debug, PartialEq)]
pub struct Insufficient;

/// The account written against the traits.
mod by_hand {
    use actor::prelude::*;

    use super::{Insufficient, Log};

    pub struct Account {
        balance: u64,
        log: Log,
    }

    impl Account {
        pub fn new(log: Log) -> Self {
            Account { balance: 0, log }
        }
    }

    impl Actor for Account {
        fn name() -> &'static str {
            "account"
        }

        fn mailbox_capacity() -> MailboxCapacity {
            MailboxCapacity::Bounded(16)
        }

        async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
            self.log
                .lock()
                .unwrap()
                .push(format!("started {}", ctx.id().name()));
            Ok(())
        }

        async fn stopping(&mut self, _ctx: &mut Context<Self>) {
            self.log.lock().unwrap().push("stopping".into());
        }

        async fn stopped(&mut self, reason: &StopReason) {
            self.log.lock().unwrap().push(format!("stopped: {reason}"));
        }
    }

    pub struct Deposit {
        pub amount: u64,
    }
    impl Message for Deposit {
        type Reply = u64;
    }
    impl Handler<Deposit> for Account {
        async fn handle(&mut self, msg: Deposit, _ctx: &mut Context<Self>) -> u64 {
            self.balance += msg.amount;
            self.balance
        }
    }

    pub struct Withdraw {
        pub amount: u64,
    }
    impl Message for Withdraw {
        type Reply = Result<u64, Insufficient>;
    }
    impl Handler<Withdraw> for Account {
        async fn handle(
            &mut self,
            msg: Withdraw,
            _ctx: &mut Context<Self>,
        ) -> Result<u64, Insufficient> {
            self.balance = self.balance.checked_sub(msg.amount).ok_or(Insufficient)?;
            Ok(self.balance)
        }
    }

    pub struct Balance;
    impl Message for Balance {
        type Reply = u64;
    }
    impl Handler<Balance> for Account {
        async fn handle(&mut self, _msg: Balance, _ctx: &mut Context<Self>) -> u64 {
            tokio::task::yield_now().await;
            self.balance
        }
    }

    pub struct Crash;
    impl Message for Crash {
        type Reply = ();
    }
    impl Handler<Crash> for Account {
        async fn handle(&mut self, _msg: Crash, _ctx: &mut Context<Self>) {
            panic!("crash requested at {}", self.balance);
        }
    }

    pub struct Close;
    impl Message for Close {
        type Reply = u64;
    }
    impl Handler<Close> for Account {
        async fn handle(&mut self, _msg: Close, ctx: &mut Context<Self>) -> u64 {
            ctx.stop();
            self.balance
        }
    }
}

/// The same account written with the macros.
mod by_macro {
    use actor::prelude::*;

    use super::{Insufficient, Log};

    #[derive(Actor)]
    #[actor(
        name = "account",
        mailbox = 16,
        started = on_started,
        stopping = on_stopping,
        stopped = on_stopped
    )]
    pub struct Account {
        balance: u64,
        log: Log,
    }

    impl Account {
        pub fn new(log: Log) -> Self {
            Account { balance: 0, log }
        }

        async fn on_started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
            self.log
                .lock()
                .unwrap()
                .push(format!("started {}", ctx.id().name()));
            Ok(())
        }

        async fn on_stopping(&mut self, _ctx: &mut Context<Self>) {
            self.log.lock().unwrap().push("stopping".into());
        }

        async fn on_stopped(&mut self, reason: &StopReason) {
            self.log.lock().unwrap().push(format!("stopped: {reason}"));
        }
    }

    #[messages]
    impl Account {
        #[message]
        pub fn deposit(&mut self, amount: u64) -> u64 {
            self.balance += amount;
            self.balance
        }

        #[message]
        pub fn withdraw(&mut self, amount: u64) -> Result<u64, Insufficient> {
            self.balance = self.balance.checked_sub(amount).ok_or(Insufficient)?;
            Ok(self.balance)
        }

        #[message]
        pub async fn balance(&self) -> u64 {
            tokio::task::yield_now().await;
            self.balance
        }

        #[message]
        pub fn crash(&mut self) {
            panic!("crash requested at {}", self.balance);
        }

        #[message]
        pub fn close(&mut self, ctx: &mut Context<Self>) -> u64 {
            ctx.stop();
            self.balance
        }
    }
}

/// Makes a transcript comparable across the two modules and across runs:
/// actor numbers (`account#17`) and module paths differ, nothing else may.
fn normalise(line: String) -> String {
    let line = line.replace("by_hand::", "").replace("by_macro::", "");
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '#' {
            let mut digits = false;
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
                digits = true;
            }
            if digits {
                out.push('N');
            }
        }
    }
    out
}

/// One script, run against the account of module `$m`: deposits, a refused
/// withdrawal, then the ending `$end` (`close`, `crash` or `kill`). Returns
/// every reply, the stop reason and the hook calls, in order.
macro_rules! script {
    ($m:ident, $end:ident) => {{
        use actor::prelude::*;
        let log = Log::default();
        let account = spawn($m::Account::new(log.clone()));
        let mut transcript = vec![format!("id {}", account.id())];
        for amount in [10, 20] {
            account.tell($m::Deposit { amount }).await.unwrap();
        }
        transcript.push(format!(
            "{:?}",
            account.ask($m::Deposit { amount: 5 }).await
        ));
        transcript.push(format!(
            "{:?}",
            account.ask($m::Withdraw { amount: 15 }).await
        ));
        transcript.push(format!(
            "{:?}",
            account.ask($m::Withdraw { amount: 99 }).await
        ));
        transcript.push(format!("{:?}", account.ask($m::Balance).await));
        match stringify!($end) {
            "close" => {
                transcript.push(format!("{:?}", account.ask($m::Close).await));
            }
            "crash" => {
                let error = account.ask($m::Crash).await.unwrap_err();
                transcript.push(format!("crash: {error}"));
            }
            _ => account.kill(),
        }
        transcript.push(format!("joined: {}", account.join().await));
        transcript.extend(log.lock().unwrap().iter().cloned());
        transcript.into_iter().map(normalise).collect::<Vec<_>>()
    }};
}

#[tokio::test]
async fn a_normal_stop_is_identical() {
    let by_hand = script!(by_hand, close);
    let by_macro = script!(by_macro, close);
    assert_eq!(by_hand, by_macro);
    assert_eq!(
        by_macro,
        [
            "id account#N",
            "Ok(35)",
            "Ok(Ok(20))",
            "Ok(Err(Insufficient))",
            "Ok(20)",
            "Ok(20)",
            "joined: normal",
            "started account",
            "stopping",
            "stopped: normal",
        ]
    );
}

#[tokio::test]
async fn a_panic_is_identical() {
    let by_hand = script!(by_hand, crash);
    let by_macro = script!(by_macro, crash);
    assert_eq!(by_hand, by_macro);
    // The failure names the message type and carries the panic message.
    let crash = &by_macro[5];
    assert!(
        crash.contains("Crash") && crash.contains("crash requested at 20"),
        "{crash}"
    );
    assert!(by_macro[6].starts_with("joined: failed"), "{by_macro:?}");
}

#[tokio::test]
async fn a_kill_is_identical() {
    let by_hand = script!(by_hand, kill);
    let by_macro = script!(by_macro, kill);
    assert_eq!(by_hand, by_macro);
    assert_eq!(by_macro[5], "joined: killed");
    assert!(
        !by_macro.iter().any(|line| line == "stopping"),
        "{by_macro:?}"
    );
}
