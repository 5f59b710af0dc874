//! The two ends of a pipe, as with Python's `multiprocessing.Pipe`, and
//! "closed" when the other end is gone.
//!
//! The Python tutorial shows three things about `multiprocessing.Pipe()`:
//!
//! 1. `left.send('1234')` is received by `right.recv()`; the pipe is duplex.
//! 2. A parent sends `'hello'`, `'hi'`, `'你好'` and closes its end; the child
//!    reads until `recv()` raises `EOFError`. It only works if *every* process
//!    first closes the ends it does not use ("without close there is no
//!    EOFError"), because the pipe cannot tell which copies still matter.
//! 3. One producer and two consumers share a pipe; the consumers need a
//!    `Lock` around `recv()` ("pipe + lock = queue"), and the producer sends
//!    one `None` per consumer to stop them.
//!
//! Here [`pipe_duplex`] and [`pipe`] return typed ends, each carried by a queue
//! actor, and:
//!
//! 1. both ends of a duplex pipe send and receive;
//! 2. `recv` returns [`PipeError::Closed`] once the other end and all its
//!    clones are dropped, after every value sent before: there is no unused
//!    end to close by hand, since a one-way pipe's receiving end cannot send;
//! 3. the consumers are actors receiving on clones of one end, with no lock
//!    and no sentinel: each value goes to exactly one of them, and both see
//!    the end when the producer drops its end.
//!
//! The example checks its own story and exits with a non-zero status if it
//! does not hold. Run it with `cargo run --example pipe`; `-- --long` sends
//! 100,000 values to 4 consumers instead of 6 to 2.

use actor::pipe::{pipe, pipe_duplex, PipeReceiver};
use actor::prelude::*;

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Values sent in part 3 (the tutorial: 6, numbered 0 to 5).
    pub values: u64,
    /// Consumers sharing the receiving end in part 3 (the tutorial: 2).
    pub consumers: usize,
    /// Print every value received in part 3.
    pub verbose: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            values: 6,
            consumers: 2,
            verbose: true,
        }
    }
}

/// What happened.
#[derive(Debug)]
pub struct Report {
    /// Part 1: what the right end received, and what the left end got back.
    pub duplex: (String, String),
    /// Part 2: what the child received before the pipe reported closed.
    pub greetings: Vec<String>,
    /// Part 3: what each consumer received, in order.
    pub shared: Vec<Vec<u64>>,
}

/// Part 1: `left.send('1234')`, `right.recv()`, and back the other way.
async fn duplex() -> Result<(String, String), PipeError> {
    println!("== 1. a duplex pipe: both ends send and receive ==");
    let (left, right) = pipe_duplex::<String>();
    left.send("1234".to_owned()).await?;
    let at_right = right.recv().await?;
    println!("right received {at_right:?}");
    right.send(format!("got {at_right}")).await?;
    let at_left = left.recv().await?;
    println!("left received {at_left:?}\n");
    Ok((at_right, at_left))
}

/// The tutorial's child process `f(parent_conn, child_conn)`, as an actor.
#[derive(Actor)]
struct Child {
    from_parent: PipeReceiver<String>,
}

#[messages]
impl Child {
    /// Prints what arrives until the pipe reports that the parent is gone.
    #[message]
    async fn read_all(&mut self) -> Result<Vec<String>, PipeError> {
        let mut got = Vec::new();
        loop {
            match self.from_parent.recv().await {
                Ok(text) => {
                    println!("child received {text:?}");
                    got.push(text);
                }
                Err(closed @ PipeError::Closed { .. }) => {
                    println!("child: {closed}");
                    return Ok(got);
                }
                Err(other) => return Err(other),
            }
        }
    }
}

/// Part 2: the child reads until the parent's end is dropped.
async fn until_closed() -> Result<Vec<String>, PipeError> {
    println!("== 2. recv reports closed once the other end is dropped ==");
    let (to_child, from_parent) = pipe::<String>();
    let child = spawn(Child { from_parent });
    let reading = child.ask(ReadAll);
    let parent = async {
        for text in ["hello", "hi", "你好"] {
            to_child.send(text.to_owned()).await?;
        }
        println!("parent sent 3 greetings and drops its end");
        drop(to_child);
        Ok::<_, PipeError>(())
    };
    let (read, sent) = tokio::join!(reading, parent);
    sent?;
    let greetings = read??;
    println!();
    Ok(greetings)
}

/// One of the tutorial's `consumer(p, name)` processes, as an actor. It
/// receives from the moment it starts until the pipe is closed, then answers
/// [`Received`] with what it got.
#[derive(Actor)]
#[actor(started = eat)]
struct Eater {
    name: String,
    buns: PipeReceiver<u64>,
    verbose: bool,
    got: Vec<u64>,
}

impl Eater {
    /// Receives until the producer's end is gone. Messages wait meanwhile.
    async fn eat(&mut self, _ctx: &mut Context<Self>) -> Result<(), PipeError> {
        loop {
            match self.buns.recv().await {
                Ok(bun) => {
                    if self.verbose {
                        println!("{} received bun {bun}", self.name);
                    }
                    self.got.push(bun);
                }
                Err(PipeError::Closed { .. }) => return Ok(()),
                Err(other) => return Err(other),
            }
        }
    }
}

#[messages]
impl Eater {
    /// What it received, in order.
    #[message]
    fn received(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.got)
    }
}

/// Part 3: consumers sharing one receiving end, no lock, no sentinel.
async fn shared_end(config: &Config) -> Result<Vec<Vec<u64>>, PipeError> {
    println!(
        "== 3. {} consumers receive on clones of one end: no lock, no sentinel ==",
        config.consumers
    );
    let (producer, buns) = pipe::<u64>();
    let eaters: Vec<_> = (1..=config.consumers)
        .map(|n| {
            spawn(Eater {
                name: format!("c{n}"),
                buns: buns.clone(),
                verbose: config.verbose,
                got: Vec::new(),
            })
        })
        .collect();
    // The consumers hold clones; this one is not needed. (Keeping it would
    // change nothing for them: only the *sending* end's drop ends a recv.)
    drop(buns);
    for bun in 0..config.values {
        producer.send(bun).await?;
    }
    println!("producer sent {} buns and drops its end", config.values);
    drop(producer);
    let mut shared = Vec::new();
    for (n, eater) in eaters.iter().enumerate() {
        // Answered once the eater's `started` loop has seen the end.
        let got = eater.ask(Received).await?;
        println!(
            "c{} ({}): the pipe is closed; it received {} buns",
            n + 1,
            eater.id(),
            got.len()
        );
        shared.push(got);
    }
    Ok(shared)
}

/// Runs the three parts and reports what happened.
pub async fn run(config: Config) -> Result<Report, PipeError> {
    Ok(Report {
        duplex: duplex().await?,
        greetings: until_closed().await?,
        shared: shared_end(&config).await?,
    })
}

/// Reads `--long`.
fn parse_args() -> Result<Config, String> {
    let mut config = Config::default();
    for flag in std::env::args().skip(1) {
        match flag.as_str() {
            "--long" => {
                config.values = 100_000;
                config.consumers = 4;
                config.verbose = false;
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), PipeError> {
    let config = match parse_args() {
        Ok(config) => config,
        Err(problem) => {
            eprintln!("{problem}\nusage: pipe [--long]");
            std::process::exit(2);
        }
    };
    let report = run(config.clone()).await?;

    let mut all: Vec<u64> = report.shared.iter().flatten().copied().collect();
    all.sort_unstable();
    let each_once = all == (0..config.values).collect::<Vec<_>>();
    let in_order = report
        .shared
        .iter()
        .all(|got| got.windows(2).all(|w| w[0] < w[1]));
    let right = report.duplex == ("1234".to_owned(), "got 1234".to_owned())
        && report.greetings == ["hello", "hi", "你好"]
        && each_once
        && in_order;
    if !right {
        eprintln!("WRONG: {report:?}");
        std::process::exit(1);
    }
    println!(
        "\nevery bun was received exactly once, each consumer got its buns in the order sent, and every reader saw the end"
    );
    Ok(())
}
