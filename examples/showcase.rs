//! A guided tour of the `actor` framework as it stands: one section per
//! feature, each a small `async fn` called from `main`, each printing what it
//! does and what comes back.
//!
//! 1. defining actors with the macros: `#[derive(Actor)]` and `#[messages]`
//! 2. an actor and its messages: `tell`, `ask`, `ask_timeout`
//! 3. `Recipient`: sending to actors of different types alike
//! 4. per-actor state (Python's `threading.local`)
//! 5. backpressure: `try_tell` on a full mailbox
//! 6. a panic stays inside its actor
//! 7. `stop` versus `kill`
//! 8. the registry: finding actors by name
//! 9. timers: `send_after` and `send_interval`
//! 10. children: a parent's stop or kill cascades to them
//! 11. supervision: a failed worker is restarted behind the same reference,
//!     and too many failures escalate
//! 12. `run_blocking`: CPU-heavy work without stalling other actors
//! 13. a pool of workers: at most four tasks at once, the fifth waits
//! 14. the traffic light: an event set and cleared by a light actor
//! 15. two nodes: an actor exported by one node and used from another over
//!     QUIC; a node with another cluster key is refused
//!
//! The actors here are written with the macros: `#[derive(Actor)]` (with
//! `#[actor(...)]` for a mailbox size or a lifecycle hook), `#[messages]` on
//! an impl block whose `#[message]` methods become messages, and
//! `#[derive(Message)]` for a message that several actor types handle (each
//! of them writes its `Handler` for it by hand, section 3). `spawn_join` shows
//! the hand-written path throughout (`impl Actor`, `impl Message`,
//! `impl Handler`), which is all the macros generate.
//!
//! What the Python seeds needed and this does not: no `Lock` around shared
//! state (state belongs to one actor and changes only through its messages),
//! no `'done'` sentinel and no `terminate()` to end a reader (actors are
//! stopped, and say why they ended), and no `threading.local` (an actor's
//! fields are already private to it).
//!
//! Run it with `cargo run --release --example showcase` (a second or two).
//! `spawn_join`, `balance`, `cores` and `supervision` go deeper into single
//! scenarios; `task_master` and `task_worker` run section 15 across real
//! processes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actor::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// Prints a numbered section heading.
fn section(title: &str) {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    println!("\n== {number}. {title} ==");
}

// ---------------------------------------------------------------------------
// A counter, used by several sections, and the macros that define it.

/// The smallest useful actor: a number only it can change. `#[derive(Actor)]`
/// writes `impl Actor for Counter {}` (every hook left at its default).
#[derive(Actor, Default)]
struct Counter {
    count: u64,
}

/// `#[messages]` turns each `#[message]` method into a message struct named
/// after it (`inc` makes `Inc { by }`), its `Message` impl (the reply is the
/// method's return type) and `Counter`'s `Handler` impl, which calls the
/// method. The methods stay ordinary methods too.
#[messages]
impl Counter {
    /// Adds `by` to the count; the reply is the new count.
    #[message]
    fn inc(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    /// The current count.
    #[message]
    fn get(&self) -> u64 {
        self.count
    }

    /// Sleeps in the handler, to make the counter slow on purpose.
    #[message]
    async fn nap(&mut self, how_long: Duration) {
        tokio::time::sleep(how_long).await;
    }
}

async fn defining_with_macros() -> Result<(), Error> {
    section("Defining actors with the macros: #[derive(Actor)] and #[messages]");
    println!(
        "#[derive(Actor)] made Counter an actor named {:?} with a {:?} mailbox",
        <Counter as Actor>::name(),
        Counter::mailbox_capacity()
    );
    println!("#[messages] made a message of each #[message] method: Inc {{ by }}, Get, Nap {{ how_long }}");
    let counter = spawn(Counter::default());
    println!(
        "spawned {}: ask(Inc {{ by: 2 }}) -> {}",
        counter.id(),
        counter.ask(Inc { by: 2 }).await?
    );
    println!("ask(Get) -> {}", counter.ask(Get).await?);
    // The generated handler only calls the method, which is still there.
    let mut plain = Counter { count: 40 };
    println!(
        "and inc is still a method: Counter {{ count: 40 }}.inc(2) -> {}",
        plain.inc(2)
    );
    Ok(())
}

// ---------------------------------------------------------------------------

async fn tell_and_ask() -> Result<(), Error> {
    section("An actor and its messages: tell, ask, ask_timeout");
    let counter = spawn(Counter::default());
    println!("spawned {}", counter.id());
    // tell: returns once the message is in the mailbox; no reply.
    counter.tell(Inc { by: 2 }).await?;
    // ask: waits for the handler's reply. Messages from one sender are
    // handled in the order sent, so the first Inc has been applied.
    let count = counter.ask(Inc { by: 3 }).await?;
    println!("tell(Inc {{ by: 2 }}), then ask(Inc {{ by: 3 }}) -> {count}");
    // ask_timeout: give up waiting after a while, with a typed error.
    let nap = Nap {
        how_long: Duration::from_millis(200),
    };
    match counter.ask_timeout(nap, Duration::from_millis(20)).await {
        Err(e @ Error::Timeout { .. }) => {
            println!("ask_timeout(Nap {{ how_long: 200ms }}, 20ms) -> {e}")
        }
        other => println!("unexpected: {other:?}"),
    }
    // The nap still happens; the next message waits for it.
    let count = counter.ask(Get).await?;
    println!("after the nap, the counter still answers: {count}");
    Ok(())
}

// ---------------------------------------------------------------------------

/// A line of text, for anyone who takes lines. A message that several actor
/// types handle is a type of its own: `#[derive(Message)]` implements
/// `Message` for it (the reply is `()` unless `#[message(reply = T)]` says
/// otherwise), and each actor implements `Handler<Line>` by hand, since
/// `#[messages]` makes a new message for each method rather than handling an
/// existing one.
#[derive(Message)]
struct Line(String);

/// Prints lines.
#[derive(Actor)]
struct Printer;

impl Handler<Line> for Printer {
    async fn handle(&mut self, Line(text): Line, ctx: &mut Context<Self>) {
        println!("  {} prints: {text}", ctx.id());
    }
}

/// Keeps lines.
#[derive(Actor, Default)]
struct Collector {
    lines: Vec<String>,
}

impl Handler<Line> for Collector {
    async fn handle(&mut self, Line(text): Line, _ctx: &mut Context<Self>) {
        self.lines.push(text);
    }
}

#[messages]
impl Collector {
    /// The lines kept so far.
    #[message]
    fn lines(&self) -> Vec<String> {
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
#[derive(Actor)]
struct Student {
    name: &'static str,
}

impl Student {
    /// The seed's `process_student()`: no argument needed to find "my" student.
    fn greeting(&self, me: ActorId) -> String {
        format!("Hello, {} (in {me})", self.name)
    }
}

#[messages]
impl Student {
    /// The seed's `process_thread(name)`. The context is passed through from
    /// the handler; it is not a field of the message.
    #[message]
    fn process_student(&self, ctx: &Context<Self>) -> String {
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

// ---------------------------------------------------------------------------

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

async fn panic_isolated() -> Result<(), Error> {
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

// ---------------------------------------------------------------------------

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

async fn stop_versus_kill() -> Result<(), Error> {
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

// ---------------------------------------------------------------------------

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

async fn timers() -> Result<(), Error> {
    section("Timers: send_interval(Tick, 25ms) and send_after(Enough, 140ms)");
    let metronome = spawn(Metronome::default());
    println!("{} ended: {}", metronome.id(), metronome.join().await);
    Ok(())
}

// ---------------------------------------------------------------------------

/// A parent with two children.
#[derive(Actor, Default)]
#[actor(started = recruit, stopped = report)]
struct Team {
    // The parent holds its children itself (they run until it stops); these
    // references are for asking them.
    members: Vec<ActorRef<Member>>,
}

impl Team {
    async fn recruit(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        for name in ["first", "second"] {
            self.members.push(ctx.spawn(Member { name }));
        }
        Ok(())
    }

    async fn report(&mut self, reason: &StopReason) {
        println!("  the team stopped last: {reason}");
    }
}

#[messages]
impl Team {
    /// The team's id, and each child's id with the parent it names.
    #[message]
    async fn members(
        &mut self,
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
#[derive(Actor)]
#[actor(stopped = report)]
struct Member {
    name: &'static str,
}

impl Member {
    async fn report(&mut self, reason: &StopReason) {
        println!("  member {:?} stopped: {reason}", self.name);
    }
}

#[messages]
impl Member {
    /// Who is your parent?
    #[message]
    fn parent(&self, ctx: &Context<Self>) -> Option<ActorId> {
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

/// A supervised worker: files documents, and fumbles on demand. Its
/// `started` hook runs for the first instance and again for each restart.
#[derive(Actor)]
#[actor(started = clock_in)]
struct Clerk {
    name: &'static str,
    /// What this instance filed: a restarted clerk starts from scratch.
    filed: Vec<u32>,
}

impl Clerk {
    fn new(name: &'static str) -> Self {
        Clerk {
            name,
            filed: Vec::new(),
        }
    }

    async fn clock_in(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        println!(
            "  {} started as {} (restart #{})",
            self.name,
            ctx.id(),
            ctx.restart_count()
        );
        Ok(())
    }
}

#[messages]
impl Clerk {
    /// Files `doc`; the reply is everything this instance has filed.
    #[message]
    fn file(&mut self, doc: u32) -> Vec<u32> {
        self.filed.push(doc);
        self.filed.clone()
    }

    /// Says it has begun (`entered`), waits for `go`, then panics: the
    /// clerk is busy with it for as long as the caller wants.
    #[message]
    async fn fumble(&mut self, entered: oneshot::Sender<()>, go: oneshot::Receiver<()>) {
        let _ = entered.send(());
        let _ = go.await;
        panic!("{} spilled coffee on the files", self.name);
    }

    /// Panics at once.
    #[message]
    fn crash(&mut self) {
        panic!("{} tripped over a cable", self.name);
    }
}

async fn supervision() -> Result<(), Error> {
    section("Supervision: restarts behind the same reference, then escalation");
    let supervisor = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(2, Duration::from_secs(5))
            .child(ChildSpec::new("ann", || Clerk::new("ann")))
            .child(ChildSpec::new("bob", || Clerk::new("bob"))),
    );
    // Answered once the supervisor's `started` hook has started both.
    let ann = supervisor.child::<Clerk>("ann").await?;
    let bob = supervisor.child::<Clerk>("bob").await?;
    println!(
        "{}: one-for-one over ann and bob, at most 2 restarts within 5s",
        supervisor.id()
    );
    println!(
        "ann: ask(File {{ doc: 1 }}) -> {:?}",
        ann.ask(File { doc: 1 }).await?
    );

    // Keep ann busy with a fumble, queue two files behind it, then let it
    // fail.
    let (entered, entered_rx) = oneshot::channel();
    let (go, go_rx) = oneshot::channel();
    let fumble = tokio::spawn({
        let ann = ann.clone();
        async move { ann.ask(Fumble { entered, go: go_rx }).await }
    });
    let _ = entered_rx.await;
    ann.tell(File { doc: 2 }).await?;
    ann.tell(File { doc: 3 }).await?;
    println!("ann is busy with a Fumble; File 2 and File 3 wait in its mailbox; ann panics");
    let _ = go.send(());
    let fumbled = fumble.await.expect("the asking task panicked");
    // Through the same reference: the new instance has handled 2 and 3.
    let filed = ann.ask(File { doc: 4 }).await?;
    match fumbled {
        Err(Error::Failed { reason, .. }) => {
            println!("the asker of the Fumble was told: {reason}")
        }
        other => println!("the asker of the Fumble got: {other:?}"),
    }
    println!(
        "same reference {} (restart_count {}): ask(File {{ doc: 4 }}) -> {filed:?}",
        ann.id(),
        ann.restart_count()
    );
    println!("  the new instance handled the queued files; file 1 went with the old one");
    println!(
        "bob, one-for-one, was left alone: restart_count {}",
        bob.restart_count()
    );

    println!("bob crashes twice: the second restart would be the third within 5s");
    // The second Crash is handled by bob's restarted instance, so both
    // answers are printed after that restart.
    let first = bob.ask(Crash).await;
    let second = bob.ask(Crash).await;
    for (answer, then) in [(first, "bob was restarted"), (second, "no restart left")] {
        match answer {
            Err(Error::Failed { reason, .. }) => {
                println!("ask(Crash) -> Failed ({reason}); {then}")
            }
            other => println!("ask(Crash) -> {other:?}"),
        }
    }
    // Its own supervisor, if it had one, would now decide; here main learns
    // why from `join`.
    println!(
        "{} stops its other worker and fails: {}",
        supervisor.id(),
        supervisor.join().await
    );
    println!(
        "its workers ended with it: ann alive {}, bob alive {}",
        ann.is_alive(),
        bob.is_alive()
    );
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
    let count = counter.ask(Inc { by: 1 }).await?;
    println!(
        "meanwhile a counter answered ask(Inc {{ by: 1 }}) -> {count} at {:.1?} (job still running: {})",
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

// ---------------------------------------------------------------------------

/// The seeds' `Pool(4)` with five tasks: the fifth waits for a free worker.
async fn pool() -> Result<(), Error> {
    section("A pool of 4 workers: five tasks, the fifth waits for a free one");
    let pool = actor::pool::Pool::new(4);
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for task in 0..5u64 {
        // Tasks 0-3 take 100-130 ms; task 4 is short but must wait its turn.
        let millis = if task == 4 { 10 } else { 100 + 10 * task };
        let handle = pool
            .submit(move || {
                let started = t0.elapsed();
                std::thread::sleep(Duration::from_millis(millis));
                (started, t0.elapsed())
            })
            .map_err(Error::from)?;
        handles.push(handle);
    }
    for (task, handle) in handles.into_iter().enumerate() {
        let (started, ended) = handle.result().await?;
        println!(
            "  task {task} ran from {:>3} ms to {:>3} ms",
            started.as_millis(),
            ended.as_millis()
        );
    }
    let squares = pool.map(1..=6u64, |n| n * n).await?;
    println!("map(1..=6, n*n) -> {squares:?} (in input order)");
    pool.close();
    pool.join().await?;
    println!("close() then join(): every task has run, the pool refuses new ones");
    Ok(())
}

// ---------------------------------------------------------------------------

/// The seeds' traffic light, run from `examples/traffic_light.rs` for one
/// short cycle: a light actor drives an `Event`, three car actors wait on it.
#[allow(dead_code)]
#[path = "traffic_light.rs"]
mod traffic_light;

async fn traffic_light() -> Result<(), Error> {
    use traffic_light::{Colour, Config, Happening};
    section("The traffic light: a light actor drives an Event; cars wait on red");
    let report = traffic_light::run(Config {
        tick: Duration::from_millis(10),
        cycles: 1,
        cars: 3,
    })
    .await?;
    let mut moves = [0u32; 3];
    let mut on_red = 0;
    for happening in &report.log {
        match happening {
            Happening::Light { colour, at, .. } => {
                println!("  {:>4} ms: light turns {colour:?}", at.as_millis())
            }
            Happening::Moved { car, colour, .. } => {
                moves[*car] += 1;
                if *colour == Colour::Red {
                    on_red += 1;
                }
            }
            _ => {}
        }
    }
    println!("cars moved {moves:?} times over one cycle; moves on red: {on_red}");
    Ok(())
}

// ---------------------------------------------------------------------------

/// A running total that other nodes may reach: `remote` gives it a stable
/// wire name and `accepts` lists the messages that may cross the network.
#[derive(Actor, Default)]
#[actor(remote = "showcase.tally", accepts(Add, Total))]
struct Tally {
    total: u64,
}

#[messages]
impl Tally {
    /// Adds `n`; the reply is the new total. A remote message is a serde
    /// type known on the wire by its own stable name.
    #[message(remote = "showcase.add", derive(Serialize, Deserialize))]
    fn add(&mut self, n: u64) -> u64 {
        self.total += n;
        self.total
    }

    /// The total so far.
    #[message(remote = "showcase.total", derive(Serialize, Deserialize))]
    fn total(&self) -> u64 {
        self.total
    }
}

/// Two nodes in this one process, as they would be in two processes or on
/// two machines (`task_master` and `task_worker` do that).
async fn two_nodes() -> Result<(), Box<dyn std::error::Error>> {
    section("Two nodes: an actor exported by one, used from the other over QUIC");
    let any: std::net::SocketAddr = "127.0.0.1:0".parse()?;
    let key = ClusterKey::new("showcase");
    let here = Node::start(any, key.clone()).await?;
    here.export("tally", spawn(Tally::default()))?;
    let there = Node::start(any, key).await?;
    // An ordinary ActorRef<Tally>: tell and ask as with a local actor.
    let tally = there.lookup::<Tally>(here.local_addr(), "tally").await?;
    for n in 1..=3 {
        tally.tell(Add { n }).await.map_err(Error::from)?;
    }
    println!(
        "node {} exports a Tally as \"tally\"; node {} looks it up",
        here.local_addr(),
        there.local_addr()
    );
    println!(
        "tell(Add {{ n }}) for n in 1..=3, then ask(Total) -> {}",
        tally.ask(Total).await?
    );
    if let Err(e) = there.lookup::<Tally>(here.local_addr(), "talley").await {
        println!("lookup(\"talley\") -> {e}");
    }
    // The key is never sent: each side proves it holds it, bound to this
    // TLS session, and a node that cannot is refused before anything else.
    let stranger = Node::start(any, ClusterKey::new("a guess")).await?;
    match stranger.lookup::<Tally>(here.local_addr(), "tally").await {
        Err(e @ NetError::ClusterKeyMismatch { .. }) => println!("a node with another key -> {e}"),
        Err(e) => println!("a node with another key -> unexpected: {e}"),
        Ok(_) => println!("a node with another key got in?!"),
    }
    for node in [stranger, there, here] {
        node.shutdown().await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    defining_with_macros().await?;
    tell_and_ask().await?;
    recipients().await?;
    per_actor_state().await?;
    backpressure().await?;
    panic_isolated().await?;
    stop_versus_kill().await?;
    registry().await?;
    timers().await?;
    children().await?;
    supervision().await?;
    blocking_work().await?;
    pool().await?;
    traffic_light().await?;
    two_nodes().await?;
    println!("\ntour finished in {:.2?}", started.elapsed());
    Ok(())
}
