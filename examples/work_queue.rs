//! Producers wait until every item is processed, as with Python's
//! `multiprocessing.JoinableQueue`.
//!
//! The Python tutorial uses a `JoinableQueue`: two producers (111 makes hot
//! dry noodles, 222 makes zhajiang noodles, ten bowls each) put their bowls,
//! then call `q.join()`, which blocks until a consumer has called
//! `q.task_done()` for every item. The consumers (Sam and Tom) loop forever
//! and are daemon processes, so that they die with the parent.
//!
//! Here the queue is a [`WorkQueue`] actor. [`get`](WorkQueue::get) hands out a
//! [`WorkItem`](actor::work_queue::WorkItem), a lease on the bowl; the
//! consumer acknowledges it with `done()`, the `task_done()` of the tutorial, and
//! each producer's `join()` resolves once every bowl put has been
//! acknowledged. What the tutorial cannot show, this example does: Tom chokes on
//! his fourth bowl (his actor panics) before acknowledging it. The lease dies
//! with him, the bowl goes back to the front of the queue, and Sam eats it:
//! it is delivered again, nothing is lost, nothing is acknowledged twice, and
//! the producers' `join()` still resolves. No daemon flag either: once the
//! producers are done, `main` closes the queue and the consumers go home.
//!
//! The consumers report every bowl they finish on a second, unbounded
//! [`Queue`]: a log that needs no lock.
//!
//! Run it with `cargo run --example work_queue` (under a second); `-- --long`
//! makes more bowls, more slowly.

use std::time::Duration;

use actor::prelude::*;
use actor::queue::Queue;
use actor::work_queue::WorkQueue;
use tokio::time::Instant;

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Bowls each producer makes (the tutorial: 10).
    pub bowls: usize,
    /// How long a consumer takes to eat a bowl.
    pub eat: Duration,
    /// Tom chokes on his n-th bowl (1-based), if any.
    pub tom_chokes_on: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bowls: 10,
            eat: Duration::from_millis(15),
            tom_chokes_on: Some(4),
        }
    }
}

/// One bowl eaten and acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eaten {
    /// Who ate it.
    pub by: &'static str,
    /// The bowl.
    pub bowl: String,
    /// Which delivery of the bowl this was (2 for the one Tom choked on).
    pub delivery: u32,
}

/// What happened.
#[derive(Debug)]
pub struct Report {
    /// Every bowl put, by producer.
    pub made: Vec<String>,
    /// Every bowl acknowledged, in order.
    pub eaten: Vec<Eaten>,
    /// How each consumer ended: `Ok(bowls acknowledged)` or its failure.
    pub consumers: Vec<(&'static str, Result<usize, QueueError>)>,
    /// Items still waiting or held after the producers' `join()`.
    pub left_after_join: (usize, usize),
}

fn stamp(start: Instant) -> String {
    format!("[{:>5}ms]", start.elapsed().as_millis())
}

/// The tutorial's `producer(q, name, food)`: puts its bowls, then joins.
#[derive(Actor)]
struct Producer {
    name: &'static str,
    food: &'static str,
    queue: WorkQueue<String>,
    start: Instant,
}

#[messages]
impl Producer {
    /// Puts `bowls` bowls, then waits until every bowl put (by anyone) is
    /// acknowledged.
    #[message]
    async fn produce(&mut self, bowls: usize) -> Result<Vec<String>, QueueError> {
        let mut made = Vec::new();
        for i in 0..bowls {
            let bowl = format!("{}-{i}", self.food);
            self.queue.put(bowl.clone()).await?;
            made.push(bowl);
        }
        println!(
            "{} producer {} put {bowls} bowls and joins the queue",
            stamp(self.start),
            self.name
        );
        self.queue.join().await?;
        println!(
            "{} producer {}: join() returned, every bowl was eaten",
            stamp(self.start),
            self.name
        );
        Ok(made)
    }
}

/// The tutorial's `consumer(q, name)`.
#[derive(Actor)]
struct Consumer {
    name: &'static str,
    queue: WorkQueue<String>,
    log: Queue<Eaten>,
    start: Instant,
}

#[messages]
impl Consumer {
    /// Eats until the queue is closed and nothing is left; returns how many
    /// bowls it acknowledged. Panics on bowl number `choke_on`.
    #[message]
    async fn consume(
        &mut self,
        eat: Duration,
        choke_on: Option<usize>,
    ) -> Result<usize, QueueError> {
        let mut taken = 0;
        let mut acknowledged = 0;
        loop {
            let bowl = match self.queue.get().await {
                Ok(bowl) => bowl,
                Err(QueueError::Closed { .. }) => break,
                Err(other) => return Err(other),
            };
            taken += 1;
            let again = if bowl.deliveries() > 1 {
                format!(" (delivery {}: someone failed on it)", bowl.deliveries())
            } else {
                String::new()
            };
            println!("{} {} takes {}{again}", stamp(self.start), self.name, *bowl);
            tokio::time::sleep(eat).await;
            if choke_on == Some(taken) {
                println!(
                    "{} {} chokes on {} before acknowledging it",
                    stamp(self.start),
                    self.name,
                    *bowl
                );
                // The lease `bowl` is dropped as this panic unwinds and the
                // failed handler is dropped: the bowl goes back to the queue.
                panic!("{} choked on {}", self.name, *bowl);
            }
            let eaten = Eaten {
                by: self.name,
                bowl: bowl.clone(),
                delivery: bowl.deliveries(),
            };
            bowl.done().await?; // the tutorial's q.task_done()
            acknowledged += 1;
            self.log.put(eaten).await.map_err(|refused| refused.error)?;
        }
        println!(
            "{} {}: the queue is closed and nothing is left; going home",
            stamp(self.start),
            self.name
        );
        Ok(acknowledged)
    }
}

/// Runs the scenario and reports what happened.
pub async fn run(config: Config) -> Result<Report, QueueError> {
    let start = Instant::now();
    let queue = WorkQueue::unbounded();
    let log = Queue::unbounded();
    println!(
        "a work queue ({}); producers 111 and 222 make {} bowls each; Sam and Tom eat",
        queue.id(),
        config.bowls
    );

    let consumer = |name| {
        spawn(Consumer {
            name,
            queue: queue.clone(),
            log: log.clone(),
            start,
        })
    };
    let producer = |name, food| {
        spawn(Producer {
            name,
            food,
            queue: queue.clone(),
            start,
        })
    };
    let (sam, tom) = (consumer("Sam"), consumer("Tom"));
    let (p111, p222) = (
        producer("111", "hot-dry-noodles"),
        producer("222", "zhajiang-noodles"),
    );

    let bowls = config.bowls;
    let producing = async {
        let made = tokio::join!(p111.ask(Produce { bowls }), p222.ask(Produce { bowls }));
        let status = queue.status().await?;
        println!(
            "{} main: both producers joined; closing the queue (no daemon consumers)",
            stamp(start)
        );
        queue.close().await;
        Ok::<_, QueueError>((made, (status.len, status.held)))
    };
    let eat = config.eat;
    let consuming = async {
        tokio::join!(
            sam.ask(Consume {
                eat,
                choke_on: None
            }),
            tom.ask(Consume {
                eat,
                choke_on: config.tom_chokes_on
            })
        )
    };
    let (produced, (sam_ended, tom_ended)) = tokio::join!(producing, consuming);
    let ((made_111, made_222), left_after_join) = produced?;

    let mut made = made_111??;
    made.extend(made_222??);
    log.close().await;
    let mut eaten = Vec::new();
    while let Ok(entry) = log.get().await {
        eaten.push(entry);
    }
    Ok(Report {
        made,
        eaten,
        // An ask's error (Tom's failure) and the handler's own, as one.
        consumers: vec![
            ("Sam", sam_ended.map_err(QueueError::from).and_then(|r| r)),
            ("Tom", tom_ended.map_err(QueueError::from).and_then(|r| r)),
        ],
        left_after_join,
    })
}

/// Reads `--long`.
fn parse_args() -> Result<Config, String> {
    let mut config = Config::default();
    for flag in std::env::args().skip(1) {
        match flag.as_str() {
            "--long" => {
                config.bowls *= 5;
                config.eat *= 10;
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
            eprintln!("{problem}\nusage: work_queue [--long]");
            std::process::exit(2);
        }
    };
    // Tom's panic is deliberate: keep it to one line.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map_or("a panic", |s| s.as_str());
        println!("  !! panic: {message}");
    }));
    let report = run(config.clone()).await?;

    for (name, ended) in &report.consumers {
        match ended {
            Ok(n) => println!("{name} acknowledged {n} bowls"),
            Err(e) => println!("{name} failed: {e}"),
        }
    }
    let mut made = report.made.clone();
    let mut eaten: Vec<_> = report.eaten.iter().map(|e| e.bowl.clone()).collect();
    made.sort();
    eaten.sort();
    let again: Vec<_> = report.eaten.iter().filter(|e| e.delivery > 1).collect();
    println!(
        "{} bowls made, {} acknowledged; delivered again: {again:?}; after join(): {} waiting, {} held",
        made.len(),
        eaten.len(),
        report.left_after_join.0,
        report.left_after_join.1
    );
    let expect_again = usize::from(config.tom_chokes_on.is_some());
    if made != eaten || again.len() != expect_again || report.left_after_join != (0, 0) {
        eprintln!("WRONG: {report:?}");
        std::process::exit(1);
    }
    println!("every bowl was acknowledged exactly once; the one Tom choked on was delivered again");
    Ok(())
}
