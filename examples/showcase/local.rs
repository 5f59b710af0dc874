//! Sections 1 to 4: an actor defined with the macros, `tell` and `ask`,
//! `Recipient` for actors of different types alike, and per-actor state.
//! The `Counter` and `Printer` defined here are used by later sections too.

use std::time::Duration;

use actor::prelude::*;

use crate::section;

/// The smallest useful actor: a number only it can change. `#[derive(Actor)]`
/// writes `impl Actor for Counter {}` (every hook left at its default).
#[derive(Actor, Default)]
pub(crate) struct Counter {
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
    pub(crate) fn inc(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    /// The current count.
    #[message]
    pub(crate) fn get(&self) -> u64 {
        self.count
    }

    /// Sleeps in the handler, to make the counter slow on purpose.
    #[message]
    async fn nap(&mut self, how_long: Duration) {
        tokio::time::sleep(how_long).await;
    }
}

pub(crate) async fn defining_with_macros() -> Result<(), Error> {
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

pub(crate) async fn tell_and_ask() -> Result<(), Error> {
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
pub(crate) struct Printer;

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

pub(crate) async fn recipients() -> Result<(), Error> {
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

/// Per-actor state, after the Python tutorial's `threading.local()` example: the student
/// is a field, so every helper reaches it through `self`.
#[derive(Actor)]
struct Student {
    name: &'static str,
}

impl Student {
    /// The tutorial's `process_student()`: no argument needed to find "my" student.
    fn greeting(&self, me: ActorId) -> String {
        format!("Hello, {} (in {me})", self.name)
    }
}

#[messages]
impl Student {
    /// The tutorial's `process_thread(name)`. The context is passed through from
    /// the handler; it is not a field of the message.
    #[message]
    fn process_student(&self, ctx: &Context<Self>) -> String {
        self.greeting(ctx.id())
    }
}

pub(crate) async fn per_actor_state() -> Result<(), Error> {
    section("Per-actor state: what threading.local() was for");
    for name in ["Alice", "Bob"] {
        let student = spawn(Student { name });
        println!("{}", student.ask(ProcessStudent).await?);
    }
    Ok(())
}
