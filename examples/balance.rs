//! The lost update on `balance` that Python fixes with `threading.Lock`,
//! impossible here by construction.
//!
//! The Python tutorial runs two threads that each do, 100,000 times,
//! `balance = balance + n; balance = balance - n` (n = 5 and n = 8) on a shared
//! global. Each statement is a read, then a write; when the threads interleave
//! between the two, one thread's write overwrites the other's and the final
//! balance is not 0. The fix there is a `threading.Lock` around every update,
//! with `try/finally` so the lock is always released.
//!
//! Here the balance is a field of an `Account` actor and nothing else can reach
//! it. The two tasks send `Deposit { n }` and `Withdraw { n }` messages; the
//! actor handles them one at a time, so each read-modify-write runs to
//! completion before the next begins. There is no lock to forget, to hold too
//! long, or to leave locked after an error: the exclusion is the mailbox
//! itself.
//!
//! The tasks really do interleave (the runtime uses every core, and the
//! account sees balances such as 5 + 8 = 13 where both deposits are in before
//! either withdrawal), yet the final balance is exactly 0. The example exits
//! with a non-zero status if it is not.
//!
//! Run it with `cargo run --example balance` (add `--release` for speed).

use std::collections::BTreeSet;
use std::time::Instant;

use actor::prelude::*;

/// How many deposit-then-withdraw rounds each task runs, as in the tutorial.
const ROUNDS: u32 = 100_000;

/// The bank account. Its fields are private to the actor: the only way to
/// change them is to send it a message.
#[derive(Actor, Default)]
struct Account {
    balance: i64,
    deposits: u64,
    withdrawals: u64,
    /// Every distinct balance the account passed through: evidence of how the
    /// two senders' messages interleaved.
    seen: BTreeSet<i64>,
}

/// What the account has to say for itself.
struct Statement {
    balance: i64,
    deposits: u64,
    withdrawals: u64,
    seen: BTreeSet<i64>,
}

/// The account's messages: each `#[message]` method becomes a message struct
/// named after it (`Deposit { n }`, `Withdraw { n }`, `GetStatement`) that the
/// account handles by calling the method.
#[messages]
impl Account {
    /// Adds `n` to the balance.
    #[message]
    fn deposit(&mut self, n: i64) {
        // The tutorial's `balance = balance + n`, written as the two steps that
        // race in Python: read into a temporary, then write back. Nothing can
        // run between them, because this handler has `&mut self`: no other
        // message is handled until it returns.
        let x = self.balance + n;
        self.balance = x;
        self.deposits += 1;
        self.seen.insert(self.balance);
    }

    /// Takes `n` from the balance.
    #[message]
    fn withdraw(&mut self, n: i64) {
        let x = self.balance - n;
        self.balance = x;
        self.withdrawals += 1;
        self.seen.insert(self.balance);
    }

    /// Asks for a [`Statement`].
    #[message]
    fn get_statement(&self) -> Statement {
        Statement {
            balance: self.balance,
            deposits: self.deposits,
            withdrawals: self.withdrawals,
            seen: self.seen.clone(),
        }
    }
}

/// The tutorial's `run_thread(n)`: deposit n, then withdraw n, `ROUNDS` times.
async fn run_task(account: ActorRef<Account>, n: i64) -> Result<(), Error> {
    for _ in 0..ROUNDS {
        // `tell` waits while the mailbox is full, so a fast sender cannot run
        // ahead of the account without bound.
        account.tell(Deposit { n }).await?;
        account.tell(Withdraw { n }).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let account = spawn(Account::default());
    println!(
        "two tasks, each {ROUNDS} x (deposit n, withdraw n), n = 5 and n = 8, sent to {}",
        account.id()
    );

    let started = Instant::now();
    let t1 = tokio::spawn(run_task(account.clone(), 5));
    let t2 = tokio::spawn(run_task(account.clone(), 8));
    t1.await.expect("task 1 panicked")?;
    t2.await.expect("task 2 panicked")?;
    let elapsed = started.elapsed();

    // Both tasks have finished, so every one of their messages is already in
    // the mailbox, ahead of this question: the answer covers them all.
    let statement = account.ask(GetStatement).await?;
    let total = statement.deposits + statement.withdrawals;
    println!(
        "handled {} deposits and {} withdrawals ({total} messages) in {:.2?} ({:.0} messages/s)",
        statement.deposits,
        statement.withdrawals,
        elapsed,
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "balances the account passed through: {:?}{}",
        statement.seen,
        if statement.seen.contains(&13) {
            " (13 = both deposits in at once: the tasks interleaved)"
        } else {
            " (the tasks happened not to interleave this run)"
        }
    );
    println!("final balance: {}", statement.balance);

    let expected = u64::from(ROUNDS) * 2;
    if statement.balance != 0 || statement.deposits != expected || statement.withdrawals != expected
    {
        eprintln!("WRONG: expected balance 0 after {expected} deposits and {expected} withdrawals");
        std::process::exit(1);
    }
    println!("balance is exactly 0, with no lock");
    Ok(())
}
