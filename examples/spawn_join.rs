//! Start a child, wait for it, know who your parent is: Python's
//! `Process(...).start()`, `join()` and `os.getppid()`, as actors.
//!
//! This example deliberately shows the hand-written path: every actor is an
//! `impl Actor`, every message an `impl Message` with its `impl Handler`,
//! exactly what `#[derive(Actor)]`, `#[messages]` and `#[derive(Message)]`
//! generate. The other examples use the macros where they fit; `showcase`
//! shows the macro form first.
//!
//! The Python tutorials start a `Process(target=run_proc, args=(name,))`, call
//! `start()` and `join()`, print `os.getpid()` / `os.getppid()`, and mark some
//! children `daemon=True` so that they die with their parent. Here:
//!
//! - starting a child is `spawn(actor)`; waiting for it is `actor_ref.join()`,
//!   which also says *why* it ended (a [`StopReason`]), where `join()` in Python
//!   returns nothing and leaves you to inspect `exitcode`;
//! - `getpid()` is `ctx.id()` and `getppid()` is `ctx.parent()`;
//! - a child tied to its parent (`ctx.spawn`) plays the role of a daemon child,
//!   but it is not cut down: when the parent stops, the child is asked to stop
//!   with [`StopReason::Shutdown`], runs its `stopping` hook, and the parent
//!   waits for it. No `terminate()` on a child that would otherwise run forever;
//! - an actor spawned with plain `spawn` is detached: it outlives whoever
//!   spawned it, for as long as someone holds a reference to it.
//!
//! Run it with `cargo run --example spawn_join`.

use actor::prelude::*;

/// `Some(parent)` as text, or "none" for an actor started with plain `spawn`.
fn parent_of<A: Actor>(ctx: &Context<A>) -> String {
    ctx.parent()
        .map_or_else(|| "none".to_owned(), |parent| parent.to_string())
}

// ---------------------------------------------------------------------------
// Part 1: start and join.

/// The tutorial's `run_proc(name)`: does its one job as soon as it starts, then
/// stops itself. The job is in `started`, so no message is needed at all.
struct RunProc {
    name: &'static str,
    n: u64,
}

impl Actor for RunProc {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let sum: u64 = (1..=self.n).sum();
        println!(
            "  {} (parent: {}) runs job {:?}: 1 + ... + {} = {sum}",
            ctx.id(),
            parent_of(ctx),
            self.name,
            self.n
        );
        // Done: stop after this hook, with StopReason::Normal.
        ctx.stop();
        Ok(())
    }
}

async fn start_and_join() {
    println!("== 1. start actors and join them (Process.start / join) ==");
    println!("main is not an actor, so what it spawns has no parent");
    println!("main: spawning 3 workers; they run concurrently, so their lines come in any order");
    let workers: Vec<_> = [("a", 10), ("b", 100), ("c", 1_000)]
        .into_iter()
        .map(|(name, n)| spawn(RunProc { name, n }))
        .collect();
    for worker in &workers {
        // join() returns once the actor has ended (its `stopped` hook
        // included), with the reason; an actor that already ended returns at once.
        let reason = worker.join().await;
        println!("main: {} ended: {reason}", worker.id());
    }
    println!("main: all workers ended\n");
}

// ---------------------------------------------------------------------------
// Part 2: a parent, its children, and one detached actor.

/// A child that is given a job by its parent, does it and stops itself.
struct Finisher;

impl Actor for Finisher {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        println!("  {} started, my parent is {}", ctx.id(), parent_of(ctx));
        Ok(())
    }
}

/// The job the parent gives to its `Finisher`.
struct Job(u64);

impl Message for Job {
    type Reply = ();
}

impl Handler<Job> for Finisher {
    async fn handle(&mut self, Job(n): Job, ctx: &mut Context<Self>) {
        let squares: u64 = (1..=n).map(|i| i * i).sum();
        println!(
            "  {}: job done (1² + ... + {n}² = {squares}), stopping myself",
            ctx.id()
        );
        ctx.stop();
    }
}

/// A child with no end of its own, like the tutorial's daemon consumers: it lives
/// exactly as long as its parent.
struct Daemon;

impl Actor for Daemon {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        println!(
            "  {} started, my parent is {}; I run until my parent stops",
            ctx.id(),
            parent_of(ctx)
        );
        Ok(())
    }

    async fn stopping(&mut self, ctx: &mut Context<Self>) {
        // Where a terminated Python process gets no chance to clean up, the
        // child of a stopping parent gets its `stopping` hook.
        println!("  {}: my parent is stopping, cleaning up", ctx.id());
    }
}

/// Spawned by the parent with plain `spawn`: not its child, not tied to it.
struct Detached;

impl Actor for Detached {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        println!(
            "  {} started with plain `spawn`: my parent is {} (I live on my own)",
            ctx.id(),
            parent_of(ctx)
        );
        Ok(())
    }
}

/// References to the actors the parent started, handed to main on request.
#[derive(Clone)]
struct Family {
    finisher: ActorRef<Finisher>,
    daemon: ActorRef<Daemon>,
    detached: ActorRef<Detached>,
}

/// Starts two children and one detached actor.
struct Parent {
    // Kept to hand to main on request. The children would run without it (a
    // parent holds its children until it stops), but the detached actor lives
    // only while someone holds a reference to it: here, this one until main
    // has its own copy.
    family: Option<Family>,
}

impl Actor for Parent {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        println!("{} started (parent: {})", ctx.id(), parent_of(ctx));
        let finisher = ctx.spawn(Finisher);
        let daemon = ctx.spawn(Daemon);
        let detached = spawn(Detached);
        finisher.tell(Job(10)).await?;
        self.family = Some(Family {
            finisher,
            daemon,
            detached,
        });
        Ok(())
    }

    async fn stopping(&mut self, ctx: &mut Context<Self>) {
        println!(
            "{} stopping; its children {:?} are stopped next, newest first",
            ctx.id(),
            ctx.children()
        );
    }
}

/// Asks the parent for references to what it started.
struct GetFamily;

impl Message for GetFamily {
    type Reply = Option<Family>;
}

impl Handler<GetFamily> for Parent {
    async fn handle(&mut self, _: GetFamily, _ctx: &mut Context<Self>) -> Option<Family> {
        self.family.clone()
    }
}

async fn parent_and_children() -> Result<(), Error> {
    println!("== 2. a parent and its children (getpid / getppid, daemon) ==");
    let parent = spawn(Parent { family: None });
    let family = parent
        .ask(GetFamily)
        .await?
        .expect("the parent builds its family in `started`, before any message");

    // The finisher stops by itself once its job is done.
    let reason = family.finisher.join().await;
    println!("main: {} ended by itself: {reason}", family.finisher.id());

    println!("main: stopping {}", parent.id());
    parent.stop();
    let reason = parent.join().await;
    println!("main: {} ended: {reason}", parent.id());
    // Holding a reference (as main does here) does not keep a child alive
    // past its parent: the parent's stop wins.
    let reason = family.daemon.join().await;
    println!("main: {} ended: {reason}", family.daemon.id());
    println!(
        "main: {} is still alive: {}",
        family.detached.id(),
        family.detached.is_alive()
    );
    family.detached.stop();
    let reason = family.detached.join().await;
    println!("main: stopped {} myself: {reason}", family.detached.id());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    start_and_join().await;
    parent_and_children().await
}
