//! Sections 5 to 9: what happens around a handler. A full mailbox refuses
//! `try_tell`, a panic fails only its own actor, `stop` finishes the queued
//! messages while `kill` does not, the registry finds actors by name, and
//! timers send messages later or again and again.

use std::time::{Duration, Instant};

use actor::prelude::*;
use tokio::sync::{mpsc, oneshot};

use crate::local::{Counter, Inc, Printer};
use crate::section;

/// An actor with a tiny mailbox, to fill it on purpose.
#[derive(Actor, Default)]
#[actor(mailbox = 2)]
struct Tiny {
    jobs: Vec<u32>,
}

#[messages]
impl Tiny {
    /// Keeps the actor busy until `release` fires; `entered` says it has begun.
    #[message]
    async fn hold(&mut self, entered: oneshot::Sender<()>, release: oneshot::Receiver<()>) {
        let _ = entered.send(());
        let _ = release.await;
    }

    /// A unit of work. `Debug` on the message, to show a refused one.
    #[message(derive(Debug))]
    fn job(&mut self, n: u32) {
        self.jobs.push(n);
    }

    /// Which jobs were done, in order.
    #[message]
    fn jobs_done(&self) -> Vec<u32> {
        self.jobs.clone()
    }
}

pub(crate) async fn backpressure() -> Result<(), Error> {
    section("Backpressure: a bounded mailbox (capacity 2)");
    let tiny = spawn(Tiny::default());
    let (entered, entered_rx) = oneshot::channel();
    let (release, release_rx) = oneshot::channel();
    tiny.tell(Hold {
        entered,
        release: release_rx,
    })
    .await?;
    let _ = entered_rx.await;
    println!("{} is busy; its mailbox is empty", tiny.id());
    let mut refused = None;
    for n in 1..=3 {
        match tiny.try_tell(Job { n }) {
            Ok(()) => println!("try_tell(Job {{ n: {n} }}) -> accepted"),
            Err(e) => {
                println!("try_tell(Job {{ n: {n} }}) -> {}", e.error);
                println!("  the message is handed back, not lost: {:?}", e.message);
                refused = Some(e.into_message());
            }
        }
    }
    let _ = release.send(());
    if let Some(job) = refused {
        // `tell` waits for room instead of failing.
        tiny.tell(job).await?;
        println!("tell(the refused job) waited for room and got in");
    }
    println!("jobs done, in order: {:?}", tiny.ask(JobsDone).await?);
    Ok(())
}

/// Divides, and panics on a division by zero.
#[derive(Actor)]
struct Fragile;

#[messages]
impl Fragile {
    /// `a / b`.
    #[message]
    fn divide(&self, a: i64, b: i64) -> i64 {
        a / b
    }
}

pub(crate) async fn panic_isolated() -> Result<(), Error> {
    section("A panic stays inside its actor");
    let fragile = spawn(Fragile);
    let bystander = spawn(Counter::default());
    println!(
        "ask(Divide {{ a: 10, b: 2 }}) -> {:?}",
        fragile.ask(Divide { a: 10, b: 2 }).await
    );
    match fragile.ask(Divide { a: 1, b: 0 }).await {
        Err(Error::Failed { actor, reason }) => {
            println!("ask(Divide {{ a: 1, b: 0 }}) -> Error::Failed from {actor}: {reason}");
        }
        // `Error::Failed` is the promised answer; anything else is printed
        // as it is, so that a regression shows.
        Err(e) => println!("ask(Divide {{ a: 1, b: 0 }}) -> {e:?}"),
        Ok(q) => println!("ask(Divide {{ a: 1, b: 0 }}) -> Ok({q})?!"),
    }
    println!("{} ended: {}", fragile.id(), fragile.join().await);
    if let Err(e) = fragile.tell(Divide { a: 4, b: 2 }).await {
        println!("telling it again -> {}", e.error);
    }
    println!(
        "{}, a bystander, still answers: {}",
        bystander.id(),
        bystander.ask(Inc { by: 1 }).await?
    );
    Ok(())
}

/// Takes 50 ms per `Work` item, and reports each item it begins. Its
/// `stopping` hook is named in `#[actor(...)]`.
#[derive(Actor)]
#[actor(stopping = on_stopping)]
struct Worker {
    began: mpsc::UnboundedSender<u32>,
}

impl Worker {
    async fn on_stopping(&mut self, ctx: &mut Context<Self>) {
        println!("  {}: stopping hook (skipped when killed)", ctx.id());
    }
}

#[messages]
impl Worker {
    /// An item of work; the reply is its number.
    #[message]
    async fn work(&mut self, n: u32, ctx: &mut Context<Self>) -> u32 {
        let _ = self.began.send(n);
        tokio::time::sleep(Duration::from_millis(50)).await;
        println!("  {}: finished work {n}", ctx.id());
        n
    }
}

pub(crate) async fn stop_versus_kill() -> Result<(), Error> {
    section("stop (finish what is queued) versus kill (now)");
    for kill in [false, true] {
        let (began, mut began_rx) = mpsc::unbounded_channel();
        let worker = spawn(Worker { began });
        let first = tokio::spawn({
            let worker = worker.clone();
            async move { worker.ask(Work { n: 1 }).await }
        });
        // Work 1 is under way; queue two more behind it.
        began_rx.recv().await;
        worker.tell(Work { n: 2 }).await?;
        worker.tell(Work { n: 3 }).await?;
        if kill {
            println!(
                "{}: work 1 in progress, 2 and 3 queued: kill()",
                worker.id()
            );
            worker.kill();
        } else {
            println!(
                "{}: work 1 in progress, 2 and 3 queued: stop()",
                worker.id()
            );
            worker.stop();
        }
        let reply = first.await.expect("the asking task panicked");
        match reply {
            Ok(n) => println!("  the asker of work 1 got its reply: {n}"),
            Err(e) => println!("  the asker of work 1 got: {e}"),
        }
        println!("  {} ended: {}", worker.id(), worker.join().await);
    }
    Ok(())
}

pub(crate) async fn registry() -> Result<(), Error> {
    section("The registry: actors by name");
    let name = "showcase/counter";
    let counter = spawn(Counter::default());
    register(name, &counter)?;
    println!("registered {} as {name:?}", counter.id());
    // The registry holds a reference: the actor lives on without ours.
    drop(counter);
    let found = lookup::<Counter>(name)?;
    println!(
        "lookup::<Counter>({name:?}) -> {}, ask(Inc {{ by: 7 }}) -> {}",
        found.id(),
        found.ask(Inc { by: 7 }).await?
    );
    if let Err(e) = lookup::<Printer>(name) {
        println!("lookup::<Printer>({name:?}) -> {e}");
    }
    if let Err(e) = register(name, &spawn(Printer)) {
        println!("register({name:?}, another actor) -> {e}");
    }
    found.stop();
    found.join().await;
    if let Err(e) = lookup::<Counter>(name) {
        println!("after it stopped, lookup -> {e}");
    }
    Ok(())
}

/// Ticks every 25 ms, and has had enough after 140 ms. Its timers are set in
/// its `started` hook, named in `#[actor(...)]`.
#[derive(Actor, Default)]
#[actor(started = start_timers)]
struct Metronome {
    ticks: u32,
    since: Option<Instant>,
}

impl Metronome {
    async fn start_timers(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.since = Some(Instant::now());
        ctx.send_interval(Tick, Duration::from_millis(25));
        ctx.send_after(Enough, Duration::from_millis(140));
        Ok(())
    }
}

#[messages]
impl Metronome {
    /// One beat. `Clone`, which `send_interval` needs to send it again.
    #[message(derive(Clone))]
    fn tick(&mut self) {
        self.ticks += 1;
        let at = self.since.map(|since| since.elapsed()).unwrap_or_default();
        println!("  tick {} at {:>3} ms", self.ticks, at.as_millis());
    }

    /// Time to stop.
    #[message]
    fn enough(&mut self, ctx: &mut Context<Self>) {
        println!(
            "  enough after {} ticks; stopping (the timer stops too)",
            self.ticks
        );
        ctx.stop();
    }
}

pub(crate) async fn timers() -> Result<(), Error> {
    section("Timers: send_interval(Tick, 25ms) and send_after(Enough, 140ms)");
    let metronome = spawn(Metronome::default());
    println!("{} ended: {}", metronome.id(), metronome.join().await);
    Ok(())
}
