//! A guided tour of the `actor` framework as it stands: one section per
//! feature, each a small `async fn` called from `main`, each printing what it
//! does and what comes back.
//!
//! 1. an actor and its messages: `tell`, `ask`, `ask_timeout`
//! 2. `Recipient`: sending to actors of different types alike
//! 3. per-actor state (Python's `threading.local`)
//! 4. backpressure: `try_tell` on a full mailbox
//! 5. a panic stays inside its actor
//! 6. `stop` versus `kill`
//! 7. the registry: finding actors by name
//! 8. timers: `send_after` and `send_interval`
//! 9. children: a parent's stop or kill cascades to them
//! 10. `run_blocking`: CPU-heavy work without stalling other actors
//!
//! What the Python seeds needed and this does not: no `Lock` around shared
//! state (state belongs to one actor and changes only through its messages),
//! no `'done'` sentinel and no `terminate()` to end a reader (actors are
//! stopped, and say why they ended), and no `threading.local` (an actor's
//! fields are already private to it).
//!
//! Run it with `cargo run --release --example showcase` (a second or two).
//! `spawn_join`, `balance` and `cores` go deeper into single scenarios.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actor::prelude::*;
use tokio::sync::{mpsc, oneshot};

/// Prints a numbered section heading.
fn section(title: &str) {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    println!("\n== {number}. {title} ==");
}

// ---------------------------------------------------------------------------
// A counter, used by several sections.

/// The smallest useful actor: a number only it can change.
#[derive(Default)]
struct Counter {
    count: u64,
}

impl Actor for Counter {}

/// Adds to the count; the reply is the new count.
struct Add(u64);

impl Message for Add {
    type Reply = u64;
}

impl Handler<Add> for Counter {
    async fn handle(&mut self, Add(n): Add, _ctx: &mut Context<Self>) -> u64 {
        self.count += n;
        self.count
    }
}

/// Sleeps in the handler, to make the counter slow on purpose.
struct Nap(Duration);

impl Message for Nap {
    type Reply = ();
}

impl Handler<Nap> for Counter {
    async fn handle(&mut self, Nap(how_long): Nap, _ctx: &mut Context<Self>) {
        tokio::time::sleep(how_long).await;
    }
}

async fn tell_and_ask() -> Result<(), Error> {
    section("An actor and its messages: tell, ask, ask_timeout");
    let counter = spawn(Counter::default());
    println!("spawned {}", counter.id());
    // tell: returns once the message is in the mailbox; no reply.
    counter.tell(Add(2)).await?;
    // ask: waits for the handler's reply. Messages from one sender are
    // handled in the order sent, so Add(2) has been applied.
    let count = counter.ask(Add(3)).await?;
    println!("tell(Add(2)), then ask(Add(3)) -> {count}");
    // ask_timeout: give up waiting after a while, with a typed error.
    match counter
        .ask_timeout(Nap(Duration::from_millis(200)), Duration::from_millis(20))
        .await
    {
        Err(e @ Error::Timeout { .. }) => println!("ask_timeout(Nap(200ms), 20ms) -> {e}"),
        other => println!("unexpected: {other:?}"),
    }
    // The nap still happens; the next message waits for it.
    let count = counter.ask(Add(0)).await?;
    println!("after the nap, the counter still answers: {count}");
    Ok(())
}

// ---------------------------------------------------------------------------

/// A line of text, for anyone who takes lines.
struct Line(String);

impl Message for Line {
    type Reply = ();
}

/// Prints lines.
struct Printer;

impl Actor for Printer {}

impl Handler<Line> for Printer {
    async fn handle(&mut self, Line(text): Line, ctx: &mut Context<Self>) {
        println!("  {} prints: {text}", ctx.id());
    }
}

/// Keeps lines.
#[derive(Default)]
struct Collector {
    lines: Vec<String>,
}

impl Actor for Collector {}

impl Handler<Line> for Collector {
    async fn handle(&mut self, Line(text): Line, _ctx: &mut Context<Self>) {
        self.lines.push(text);
    }
}

/// Asks a collector for what it kept.
struct Lines;

impl Message for Lines {
    type Reply = Vec<String>;
}

impl Handler<Lines> for Collector {
    async fn handle(&mut self, _: Lines, _ctx: &mut Context<Self>) -> Vec<String> {
        self.lines.clone()
    }
}

async fn recipients() -> Result<(), Error> {
    section("Recipient: one message type, any actor type behind it");
    let printer = spawn(Printer);
    let collector = spawn(Collector::default());
    // Two actor types, one list: the sender only knows they take `Line`.
    let outputs: Vec<Recipient<Line>> = vec![printer.recipient(), collector.recipient()];
    for (i, output) in outputs.iter().enumerate() {
        // `ask` with a `()` reply waits until the line was handled.
        output
            .ask(Line(format!("hello #{i} to {}", output.id())))
            .await?;
    }
    println!("{} kept: {:?}", collector.id(), collector.ask(Lines).await?);
    Ok(())
}

// ---------------------------------------------------------------------------

/// Per-actor state, after the seed's `threading.local()` example: the student
/// is a field, so every helper reaches it through `self`.
struct Student {
    name: &'static str,
}

impl Actor for Student {}

impl Student {
    /// The seed's `process_student()`: no argument needed to find "my" student.
    fn greeting(&self, me: ActorId) -> String {
        format!("Hello, {} (in {me})", self.name)
    }
}

/// The seed's `process_thread(name)`.
struct ProcessStudent;

impl Message for ProcessStudent {
    type Reply = String;
}

impl Handler<ProcessStudent> for Student {
    async fn handle(&mut self, _: ProcessStudent, ctx: &mut Context<Self>) -> String {
        self.greeting(ctx.id())
    }
}

async fn per_actor_state() -> Result<(), Error> {
    section("Per-actor state: what threading.local() was for");
    for name in ["Alice", "Bob"] {
        let student = spawn(Student { name });
        println!("{}", student.ask(ProcessStudent).await?);
    }
    Ok(())
}

// ---------------------------------------------------------------------------

/// An actor with a tiny mailbox, to fill it on purpose.
#[derive(Default)]
struct Tiny {
    jobs: Vec<u32>,
}

impl Actor for Tiny {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(2)
    }
}

/// Keeps the actor busy until `release` fires; `entered` says it has begun.
struct Hold {
    entered: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

impl Message for Hold {
    type Reply = ();
}

impl Handler<Hold> for Tiny {
    async fn handle(&mut self, hold: Hold, _ctx: &mut Context<Self>) {
        let _ = hold.entered.send(());
        let _ = hold.release.await;
    }
}

/// A unit of work.
#[derive(Debug)]
struct Job(u32);

impl Message for Job {
    type Reply = ();
}

impl Handler<Job> for Tiny {
    async fn handle(&mut self, Job(n): Job, _ctx: &mut Context<Self>) {
        self.jobs.push(n);
    }
}

/// Asks which jobs were done, in order.
struct JobsDone;

impl Message for JobsDone {
    type Reply = Vec<u32>;
}

impl Handler<JobsDone> for Tiny {
    async fn handle(&mut self, _: JobsDone, _ctx: &mut Context<Self>) -> Vec<u32> {
        self.jobs.clone()
    }
}

async fn backpressure() -> Result<(), Error> {
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
        match tiny.try_tell(Job(n)) {
            Ok(()) => println!("try_tell(Job({n})) -> accepted"),
            Err(e) => {
                println!("try_tell(Job({n})) -> {}", e.error);
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

// ---------------------------------------------------------------------------

/// Divides, and panics on a division by zero.
struct Fragile;

impl Actor for Fragile {}

/// `a / b`.
struct Divide(i64, i64);

impl Message for Divide {
    type Reply = i64;
}

impl Handler<Divide> for Fragile {
    async fn handle(&mut self, Divide(a, b): Divide, _ctx: &mut Context<Self>) -> i64 {
        a / b
    }
}

async fn panic_isolated() -> Result<(), Error> {
    section("A panic stays inside its actor");
    let fragile = spawn(Fragile);
    let bystander = spawn(Counter::default());
    println!(
        "ask(Divide(10, 2)) -> {:?}",
        fragile.ask(Divide(10, 2)).await
    );
    match fragile.ask(Divide(1, 0)).await {
        Err(Error::Failed { actor, reason }) => {
            println!("ask(Divide(1, 0)) -> Error::Failed from {actor}: {reason}");
        }
        // `Error::Failed` is the promised answer. At the time of writing,
        // actor-core on a multi-threaded runtime often reports
        // `NotHandled { reason: Killed }` instead (a race between the panic
        // dropping the reply channel and the stop reason being recorded);
        // `join` below gives the true reason either way.
        Err(e) => println!("ask(Divide(1, 0)) -> {e:?}"),
        Ok(q) => println!("ask(Divide(1, 0)) -> Ok({q})?!"),
    }
    println!("{} ended: {}", fragile.id(), fragile.join().await);
    if let Err(e) = fragile.tell(Divide(4, 2)).await {
        println!("telling it again -> {}", e.error);
    }
    println!(
        "{}, a bystander, still answers: {}",
        bystander.id(),
        bystander.ask(Add(1)).await?
    );
    Ok(())
}

// ---------------------------------------------------------------------------

/// Takes 50 ms per `Work` item, and reports each item it begins.
struct Worker {
    began: mpsc::UnboundedSender<u32>,
}

impl Actor for Worker {
    async fn stopping(&mut self, ctx: &mut Context<Self>) {
        println!("  {}: stopping hook (skipped when killed)", ctx.id());
    }
}

/// An item of work; the reply is its number.
struct Work(u32);

impl Message for Work {
    type Reply = u32;
}

impl Handler<Work> for Worker {
    async fn handle(&mut self, Work(n): Work, ctx: &mut Context<Self>) -> u32 {
        let _ = self.began.send(n);
        tokio::time::sleep(Duration::from_millis(50)).await;
        println!("  {}: finished work {n}", ctx.id());
        n
    }
}

async fn stop_versus_kill() -> Result<(), Error> {
    section("stop (finish what is queued) versus kill (now)");
    for kill in [false, true] {
        let (began, mut began_rx) = mpsc::unbounded_channel();
        let worker = spawn(Worker { began });
        let first = tokio::spawn({
            let worker = worker.clone();
            async move { worker.ask(Work(1)).await }
        });
        // Work 1 is under way; queue two more behind it.
        began_rx.recv().await;
        worker.tell(Work(2)).await?;
        worker.tell(Work(3)).await?;
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

// ---------------------------------------------------------------------------

async fn registry() -> Result<(), Error> {
    section("The registry: actors by name");
    let name = "showcase/counter";
    let counter = spawn(Counter::default());
    register(name, &counter)?;
    println!("registered {} as {name:?}", counter.id());
    // The registry holds a reference: the actor lives on without ours.
    drop(counter);
    let found = lookup::<Counter>(name)?;
    println!(
        "lookup::<Counter>({name:?}) -> {}, ask(Add(7)) -> {}",
        found.id(),
        found.ask(Add(7)).await?
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

// ---------------------------------------------------------------------------

/// Ticks every 25 ms, and has had enough after 140 ms.
#[derive(Default)]
struct Metronome {
    ticks: u32,
    since: Option<Instant>,
}

impl Actor for Metronome {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.since = Some(Instant::now());
        ctx.send_interval(Tick, Duration::from_millis(25));
        ctx.send_after(Enough, Duration::from_millis(140));
        Ok(())
    }
}

/// One beat.
#[derive(Clone)]
struct Tick;

impl Message for Tick {
    type Reply = ();
}

impl Handler<Tick> for Metronome {
    async fn handle(&mut self, _: Tick, _ctx: &mut Context<Self>) {
        self.ticks += 1;
        let at = self.since.map(|since| since.elapsed()).unwrap_or_default();
        println!("  tick {} at {:>3} ms", self.ticks, at.as_millis());
    }
}

/// Time to stop.
struct Enough;

impl Message for Enough {
    type Reply = ();
}

impl Handler<Enough> for Metronome {
    async fn handle(&mut self, _: Enough, ctx: &mut Context<Self>) {
        println!(
            "  enough after {} ticks; stopping (the timer stops too)",
            self.ticks
        );
        ctx.stop();
    }
}

async fn timers() -> Result<(), Error> {
    section("Timers: send_interval(Tick, 25ms) and send_after(Enough, 140ms)");
    let metronome = spawn(Metronome::default());
    println!("{} ended: {}", metronome.id(), metronome.join().await);
    Ok(())
}

// ---------------------------------------------------------------------------

/// A parent with two children.
#[derive(Default)]
struct Team {
    // Kept so the children live: the parent/child link decides how a child
    // ends, references decide how long it is wanted.
    members: Vec<ActorRef<Member>>,
}

impl Actor for Team {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        for name in ["first", "second"] {
            self.members.push(ctx.spawn(Member { name }));
        }
        Ok(())
    }

    async fn stopped(&mut self, reason: &StopReason) {
        println!("  the team stopped last: {reason}");
    }
}

/// The ids of the team's running children.
struct Members;

impl Message for Members {
    type Reply = (ActorId, Vec<(ActorId, Option<ActorId>)>);
}

impl Handler<Members> for Team {
    async fn handle(
        &mut self,
        _: Members,
        ctx: &mut Context<Self>,
    ) -> (ActorId, Vec<(ActorId, Option<ActorId>)>) {
        let mut members = Vec::new();
        for member in &self.members {
            if let Ok(parent) = member.ask(Parent).await {
                members.push((member.id(), parent));
            }
        }
        (ctx.id(), members)
    }
}

/// A child of a team.
struct Member {
    name: &'static str,
}

impl Actor for Member {
    async fn stopped(&mut self, reason: &StopReason) {
        println!("  member {:?} stopped: {reason}", self.name);
    }
}

/// Who is your parent?
struct Parent;

impl Message for Parent {
    type Reply = Option<ActorId>;
}

impl Handler<Parent> for Member {
    async fn handle(&mut self, _: Parent, ctx: &mut Context<Self>) -> Option<ActorId> {
        ctx.parent()
    }
}

async fn children() -> Result<(), Error> {
    section("Children: stopping or killing a parent takes its children along");
    for kill in [false, true] {
        let team = spawn(Team::default());
        let (id, members) = team.ask(Members).await?;
        for (member, parent) in members {
            let parent = parent.map_or_else(|| "none".to_owned(), |p| p.to_string());
            println!("{member} started, its parent is {parent}");
        }
        if kill {
            println!("kill {id}: children are killed");
            team.kill();
        } else {
            println!("stop {id}: children stop first, newest first, with `shutdown`");
            team.stop();
        }
        team.join().await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------

/// Keeps one CPU busy for `how_long`, counting loop turns.
fn busy_work(how_long: Duration) -> u64 {
    let until = Instant::now() + how_long;
    let mut turns = 0;
    while Instant::now() < until {
        turns += 1;
    }
    turns
}

async fn blocking_work() -> Result<(), Error> {
    section("run_blocking: CPU-heavy work off the actors' threads");
    let started = Instant::now();
    println!("a 150 ms CPU-bound job goes to the blocking pool");
    let heavy = tokio::spawn(run_blocking(|| busy_work(Duration::from_millis(150))));
    // While the job runs, actors keep being served.
    let counter = spawn(Counter::default());
    let count = counter.ask(Add(1)).await?;
    println!(
        "meanwhile a counter answered ask(Add(1)) -> {count} at {:.1?} (job still running: {})",
        started.elapsed(),
        !heavy.is_finished()
    );
    let turns = heavy.await.expect("the task panicked")?;
    println!(
        "the job finished after {:.0?} ({turns} loop turns)",
        started.elapsed()
    );
    match run_blocking(|| -> u64 { panic!("bad input") }).await {
        Err(e @ Error::BlockingFailed { .. }) => println!("a panicking job -> {e}"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The panics in this tour are on purpose: report each on one line instead
    // of the default report with its backtrace hint.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("?");
        eprintln!("  (panic hook: {message:?})");
    }));

    let started = Instant::now();
    tell_and_ask().await?;
    recipients().await?;
    per_actor_state().await?;
    backpressure().await?;
    panic_isolated().await?;
    stop_versus_kill().await?;
    registry().await?;
    timers().await?;
    children().await?;
    blocking_work().await?;
    println!("\ntour finished in {:.2?}", started.elapsed());
    Ok(())
}
