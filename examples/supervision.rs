//! Supervision: a tree of two supervisors and five workers that fail on a
//! random schedule, and what the supervisors do about it.
//!
//! ```text
//! root (one-for-one, at most 2 restarts per second)
//! ├── ingest (one-for-all, at most 3 restarts per second)
//! │   ├── reader
//! │   ├── parser
//! │   └── writer
//! └── api (rest-for-one, at most 3 restarts per second)
//!     ├── db
//!     └── handler
//! ```
//!
//! - Phase 1: jobs go to random workers; some jobs are poisoned and make their
//!   worker panic. One-for-all restarts all three ingest workers; rest-for-one
//!   restarts `db` and `handler` when `db` fails, only `handler` when it does.
//!   Clients keep using the same references throughout.
//! - Phase 2: a burst of failures in `ingest` exceeds its intensity. It stops
//!   its workers and fails; `root` restarts it, and with it the whole subtree.
//! - Phase 3: bursts in both subtrees exceed `root`'s intensity too: `root`
//!   stops everything and fails, and the program reports why.
//!
//! In the Python tutorials, a crashed child process had to be noticed and restarted by
//! hand; here the supervisor does it, and a client's reference never changes.
//!
//! Run: `cargo run --example supervision` (`-- --seed N --jobs N` to vary).

use std::time::Duration;

use actor::prelude::*;

/// A worker that logs its lifecycle and panics on a poisoned job.
#[derive(Actor)]
#[actor(restarting = on_restart, started = on_start, stopped = on_stop)]
struct Worker {
    name: &'static str,
    done: u32,
}

impl Worker {
    /// Runs on each new instance after the first: says why the previous one
    /// ended, which is what this example is about.
    async fn on_restart(&mut self, _ctx: &mut Context<Self>, previous: &StopReason) {
        println!("    {:<8} restarting (previous run: {previous})", self.name);
    }

    async fn on_start(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        println!(
            "    {:<8} started as {} (restart #{})",
            self.name,
            ctx.id(),
            ctx.restart_count()
        );
        Ok(())
    }

    async fn on_stop(&mut self, reason: &StopReason) {
        if !reason.is_failure() {
            println!(
                "    {:<8} stopped: {reason} (after {} jobs)",
                self.name, self.done
            );
        }
    }
}

#[messages]
impl Worker {
    /// A job (`Job { poisoned }`); a poisoned one makes the worker panic. The
    /// reply is how many jobs this run of the worker has done.
    #[message]
    fn job(&mut self, poisoned: bool) -> u32 {
        if poisoned {
            panic!("{} got a poisoned job", self.name);
        }
        self.done += 1;
        self.done
    }
}

fn worker(name: &'static str) -> ChildSpec<Worker> {
    ChildSpec::new(name, move || Worker { name, done: 0 })
}

/// The whole tree, as a specification that `root` starts.
fn tree() -> Supervisor {
    let ingest = Supervisor::new(Strategy::OneForAll)
        .intensity(3, Duration::from_secs(1))
        .child(worker("reader"))
        .child(worker("parser"))
        .child(worker("writer"));
    let api = Supervisor::new(Strategy::RestForOne)
        .intensity(3, Duration::from_secs(1))
        .child(worker("db"))
        .child(worker("handler"));
    Supervisor::new(Strategy::OneForOne)
        .intensity(2, Duration::from_secs(1))
        .child(ChildSpec::new("ingest", move || ingest.clone()).shutdown(Shutdown::Infinity))
        .child(ChildSpec::new("api", move || api.clone()).shutdown(Shutdown::Infinity))
}

/// A small deterministic random generator, so that a seed replays a run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

/// Every worker, by (subtree, name).
const WORKERS: [(&str, &str); 5] = [
    ("ingest", "reader"),
    ("ingest", "parser"),
    ("ingest", "writer"),
    ("api", "db"),
    ("api", "handler"),
];

async fn workers(root: &ActorRef<Supervisor>) -> Result<Vec<ActorRef<Worker>>, Error> {
    let mut refs = Vec::new();
    for (subtree, name) in WORKERS {
        let supervisor = root.child::<Supervisor>(subtree).await?;
        refs.push(supervisor.child::<Worker>(name).await?);
    }
    Ok(refs)
}

fn argument(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The panics below are deliberate; keep each to one line.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map_or("a panic", |s| s.as_str());
        println!("  !! panic: {message}");
    }));
    let mut dice = Dice(argument("--seed", 7).max(1));
    let jobs = argument("--jobs", 16);

    println!("== starting the tree: children start in order ==");
    let root = spawn(tree());
    let refs = workers(&root).await?;

    println!("\n== phase 1: {jobs} jobs to random workers, one in six poisoned ==");
    for n in 1..=jobs {
        let target = dice.roll(WORKERS.len() as u64) as usize;
        let poisoned = dice.roll(6) == 0;
        let (subtree, name) = WORKERS[target];
        if poisoned {
            println!("  job {n:>2} -> {subtree}/{name} (poisoned)");
        }
        match refs[target].ask(Job { poisoned }).await {
            Ok(_) => {}
            Err(Error::Failed { reason, .. }) => {
                println!("  job {n:>2}: the asker was told: {reason}")
            }
            Err(other) => println!("  job {n:>2}: {other}"),
        }
        // Let a restart settle before the next job, so that the output reads
        // in order (a real client would just keep sending).
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    for (r, (subtree, name)) in refs.iter().zip(WORKERS) {
        println!(
            "  {subtree}/{name}: same reference {}, restarted {} times",
            r.id(),
            r.restart_count()
        );
    }

    println!("\n== phase 2: four failures in ingest within a second exceed its intensity (3/s) ==");
    for _ in 0..4 {
        let _ = refs[0].ask(Job { poisoned: true }).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ingest = root.child::<Supervisor>("ingest").await?;
    println!(
        "  root restarted ingest: it is {} (restart #{}), and its workers are fresh",
        ingest.id(),
        ingest.restart_count()
    );
    let reader = ingest.child::<Worker>("reader").await?;
    println!(
        "  reader's first job in the new subtree -> done count {}",
        reader.ask(Job { poisoned: false }).await?
    );

    println!("\n== phase 3: both subtrees fail fast; root exceeds its intensity (2/s) ==");
    let fresh = workers(&root).await?;
    for round in 0..3 {
        for target in [0, 3] {
            for _ in 0..4 {
                let _ = fresh[target].ask(Job { poisoned: true }).await;
            }
        }
        if !root.is_alive() || round == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reason = root.join().await;
    println!("  root ended: {reason}");
    println!(
        "  every worker ended with it: {}",
        fresh.iter().all(|w| !w.is_alive())
    );
    Ok(())
}
