//! Producers and consumers through a bounded queue, as with Python's
//! `multiprocessing.Queue`.
//!
//! The Python tutorial starts two producer processes (Sam makes biscuits, Tom
//! makes spicy strips, ten each, sleeping a random while before each) and two
//! consumer processes (Zhang San and Li Si, who eat whatever comes next from a
//! `multiprocessing.Queue`). Once both producers are joined, the parent puts
//! one `'done'` sentinel per consumer, and each consumer stops when it takes
//! one. The queue there is unbounded; another snippet shows `Queue(10)`
//! blocking the eleventh `put`.
//!
//! Here the four are actors and the queue is one too ([`Queue::bounded`]`(10)`),
//! shared by cloning its handle:
//!
//! - the consumers are slower than the producers, so the queue fills up and
//!   a producer's `put` waits for room (backpressure); each producer says when
//!   it has to wait;
//! - a consumer whose `get` finds the queue empty waits, and says so;
//! - no sentinel: once both producers are done, `main` closes the queue; the
//!   consumers eat what is left, then their `get` returns
//!   [`QueueError::Closed`] and they go home. No sentinel count to get right,
//!   no sentinel value that a real item could collide with;
//! - no lock: the queue is an actor that hands each item to exactly one
//!   consumer, in the order the items were put.
//!
//! The example checks its own story (every item made is eaten exactly once,
//! the queue never held more than 10) and exits with a non-zero status if it
//! does not hold.
//!
//! Run it with `cargo run --example producer_consumer` (about a second);
//! `-- --long` runs twenty times slower with more items, closer to the tutorial's
//! one-second naps; `--items N` sets how many each producer makes.

use std::time::Duration;

use actor::prelude::*;
use actor::queue::Queue;
use tokio::time::Instant;

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Items each producer makes (the tutorial: 10).
    pub items: usize,
    /// The queue's capacity (the tutorial's `Queue(10)`).
    pub capacity: usize,
    /// The longest nap of a producer before each item; consumers nap up to
    /// three times as long after each, so that they fall behind.
    pub nap: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            items: 10,
            capacity: 10,
            nap: Duration::from_millis(25),
        }
    }
}

/// What happened.
#[derive(Debug)]
pub struct Report {
    /// Every item, in the order it was put: `(producer, item)`.
    pub made: Vec<(&'static str, String)>,
    /// Every item, in the order it was taken: `(consumer, item)`.
    pub eaten: Vec<(&'static str, String)>,
    /// How many times each producer found the queue full and waited.
    pub producer_waits: Vec<(&'static str, usize)>,
    /// How many times each consumer found the queue empty and waited.
    pub consumer_waits: Vec<(&'static str, usize)>,
    /// The longest the queue was seen, right after a put.
    pub longest: usize,
}

/// A small deterministic random source for the naps (the tutorial's
/// `random.random()`), so that runs are alike without a dependency.
struct Naps(u64);

impl Naps {
    fn new(seed: &str) -> Self {
        Naps(seed.bytes().fold(0x9E37_79B9_7F4A_7C15, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
        }))
    }

    /// A duration between 0 and `max`.
    fn next(&mut self, max: Duration) -> Duration {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        max.mul_f64((self.0 % 1000) as f64 / 1000.0)
    }
}

fn stamp(start: Instant) -> String {
    format!("[{:>5}ms]", start.elapsed().as_millis())
}

/// The tutorial's `producer(q, name, food)`.
#[derive(Actor)]
struct Producer {
    name: &'static str,
    food: &'static str,
    queue: Queue<String>,
    naps: Naps,
    start: Instant,
}

/// What one producer did: the items it put, in order, how many times it had
/// to wait, and the longest queue it saw.
type Produced = (Vec<String>, usize, usize);

#[messages]
impl Producer {
    /// Makes `items` items and puts each into the queue.
    #[message]
    async fn produce(&mut self, items: usize, nap: Duration) -> Result<Produced, QueueError> {
        let (mut made, mut waits, mut longest) = (Vec::new(), 0, 0);
        for i in 0..items {
            tokio::time::sleep(self.naps.next(nap)).await;
            let item = format!("{}-{i}", self.food);
            println!("{} {} made {item}", stamp(self.start), self.name);
            made.push(item.clone());
            // Try first, only to be able to tell the story; `put` alone
            // would simply wait.
            if let Err(full) = self.queue.try_put(item).await {
                let QueueError::Full { capacity, .. } = full.error else {
                    return Err(full.error);
                };
                waits += 1;
                println!(
                    "{} {} waits: the queue is full ({capacity} items)",
                    stamp(self.start),
                    self.name
                );
                self.queue.put(full.message).await?;
                println!("{} {} got room and put it", stamp(self.start), self.name);
            }
            longest = longest.max(self.queue.len().await?);
        }
        Ok((made, waits, longest))
    }
}

/// The tutorial's `consumer(q, name)`.
#[derive(Actor)]
struct Consumer {
    name: &'static str,
    queue: Queue<String>,
    naps: Naps,
    start: Instant,
}

#[messages]
impl Consumer {
    /// Eats until the queue is closed and empty. Returns what it ate, in
    /// order, and how many times it found the queue empty.
    #[message]
    async fn consume(&mut self, nap: Duration) -> Result<(Vec<String>, usize), QueueError> {
        let (mut eaten, mut waits) = (Vec::new(), 0);
        loop {
            let item = match self.queue.try_get().await {
                Ok(item) => item,
                Err(QueueError::Empty { .. }) => {
                    waits += 1;
                    println!(
                        "{} {} waits: the queue is empty",
                        stamp(self.start),
                        self.name
                    );
                    match self.queue.get().await {
                        Ok(item) => item,
                        Err(QueueError::Closed { .. }) => break,
                        Err(other) => return Err(other),
                    }
                }
                Err(QueueError::Closed { .. }) => break,
                Err(other) => return Err(other),
            };
            tokio::time::sleep(self.naps.next(nap * 3)).await;
            println!("{} {} ate {item}", stamp(self.start), self.name);
            eaten.push(item);
        }
        println!(
            "{} {}: the queue is closed and empty; going home after eating {}",
            stamp(self.start),
            self.name,
            eaten.len()
        );
        Ok((eaten, waits))
    }
}

/// Runs the scenario and reports what happened.
pub async fn run(config: Config) -> Result<Report, QueueError> {
    let start = Instant::now();
    let queue = Queue::bounded(config.capacity);
    println!(
        "a queue of {} ({}); 2 producers make {} items each, 2 slower consumers eat",
        config.capacity,
        queue.id(),
        config.items
    );

    let spawn_consumer = |name| {
        spawn(Consumer {
            name,
            queue: queue.clone(),
            naps: Naps::new(name),
            start,
        })
    };
    let spawn_producer = |name, food| {
        spawn(Producer {
            name,
            food,
            queue: queue.clone(),
            naps: Naps::new(name),
            start,
        })
    };
    let (zhang, li) = (spawn_consumer("Zhang San"), spawn_consumer("Li Si"));
    let (sam, tom) = (
        spawn_producer("Sam", "biscuit"),
        spawn_producer("Tom", "spicy-strip"),
    );

    let (items, nap) = (config.items, config.nap);
    let producing = async {
        let made = tokio::join!(
            sam.ask(Produce { items, nap }),
            tom.ask(Produce { items, nap })
        );
        println!(
            "{} main: both producers are done; closing the queue (no 'done' sentinel)",
            stamp(start)
        );
        queue.close().await;
        made
    };
    let consuming = async { tokio::join!(zhang.ask(Consume { nap }), li.ask(Consume { nap })) };
    let ((sam_made, tom_made), (zhang_ate, li_ate)) = tokio::join!(producing, consuming);

    let mut report = Report {
        made: Vec::new(),
        eaten: Vec::new(),
        producer_waits: Vec::new(),
        consumer_waits: Vec::new(),
        longest: 0,
    };
    for (name, produced) in [("Sam", sam_made), ("Tom", tom_made)] {
        let (made, waits, longest) = produced??;
        report
            .made
            .extend(made.into_iter().map(|item| (name, item)));
        report.producer_waits.push((name, waits));
        report.longest = report.longest.max(longest);
    }
    for (name, consumed) in [("Zhang San", zhang_ate), ("Li Si", li_ate)] {
        let (eaten, waits) = consumed??;
        report
            .eaten
            .extend(eaten.into_iter().map(|item| (name, item)));
        report.consumer_waits.push((name, waits));
    }
    Ok(report)
}

/// Reads `--long` and `--items N`.
fn parse_args() -> Result<Config, String> {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--long" => {
                config.nap *= 20;
                config.items *= 2;
            }
            "--items" => {
                let value = args.next().ok_or("--items needs a value")?;
                config.items = value
                    .parse()
                    .map_err(|_| format!("--items takes a number, not {value:?}"))?;
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), QueueError> {
    let config = match parse_args() {
        Ok(config) => config,
        Err(problem) => {
            eprintln!("{problem}\nusage: producer_consumer [--long] [--items N]");
            std::process::exit(2);
        }
    };
    let report = run(config.clone()).await?;

    let mut made: Vec<_> = report.made.iter().map(|(_, item)| item).collect();
    let mut eaten: Vec<_> = report.eaten.iter().map(|(_, item)| item).collect();
    made.sort();
    eaten.sort();
    let waited: usize = report.producer_waits.iter().map(|(_, n)| n).sum();
    println!(
        "made {}, eaten {}; producers waited for room {waited} times {:?}, consumers waited for an item {:?}; the queue held at most {}",
        report.made.len(),
        report.eaten.len(),
        report.producer_waits,
        report.consumer_waits,
        report.longest
    );
    if made != eaten || made.len() != 2 * config.items || report.longest > config.capacity {
        eprintln!("WRONG: {report:?}");
        std::process::exit(1);
    }
    println!("every item was eaten exactly once, and the queue never held more than its capacity");
    Ok(())
}
