//! What every benchmark binary shares: its flags, the two runtimes it
//! measures on, and the median of its rounds. Included with `#[path]` by
//! `benches/*.rs` and `actor-net/benches/net`, so that all of them read
//! their flags and report their rounds the same way. It sits in a folder of
//! its own so that cargo does not take it for a benchmark.

#![allow(dead_code)] // each benchmark uses part of it

use std::future::Future;
use std::time::Duration;

/// The flags: `--quick` (one round, a tenth of the work), `--rounds N`,
/// `--current-thread` or `--multi-thread` (one runtime only), and a workload
/// name to run only that one.
pub struct Options {
    pub rounds: usize,
    pub scale: u64,
    pub only: Option<String>,
    /// The runtimes to measure on: `false` is `current_thread`, `true`
    /// `multi_thread(2)`.
    pub flavors: Vec<bool>,
}

/// Reads the flags; `rounds` is the number of rounds without `--quick`.
pub fn options(rounds: usize) -> Options {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let quick = args.iter().any(|a| a == "--quick");
    let flag = |name: &str| args.iter().any(|a| a == name);
    let flavors = match (flag("--current-thread"), flag("--multi-thread")) {
        (true, false) => vec![false],
        (false, true) => vec![true],
        _ => vec![false, true],
    };
    let explicit = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());
    let only = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[*i - 1] != "--rounds"))
        .map(|(_, a)| a.clone());
    Options {
        rounds: explicit.unwrap_or(if quick { 1 } else { rounds }),
        scale: if quick { 10 } else { 1 },
        only,
        flavors,
    }
}

/// A multi-thread runtime with 2 workers (the machine's cores), or a
/// current-thread one.
pub fn runtime(multi: bool) -> tokio::runtime::Runtime {
    let mut builder = if multi {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().expect("a tokio runtime")
}

/// Runs a workload inside a task, so that on the multi-thread runtime the
/// client sits on a worker thread, as actor code does, rather than on the
/// thread that called `block_on`.
pub fn on_worker<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    workload: impl Future<Output = T> + Send + 'static,
) -> T {
    rt.block_on(async { tokio::spawn(workload).await.expect("the workload finished") })
}

pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The smallest, median and largest of some samples (rates, latencies):
/// how a figure spread over the rounds.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(samples: &[f64]) -> Spread {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Spread {
            min: sorted[0],
            median: sorted[sorted.len() / 2],
            max: sorted[sorted.len() - 1],
        }
    }

    /// `median (min–max)`, each value divided by `unit`, with `digits`
    /// decimals.
    pub fn show(&self, unit: f64, digits: usize) -> String {
        format!(
            "{:.d$} ({:.d$}-{:.d$})",
            self.median / unit,
            self.min / unit,
            self.max / unit,
            d = digits
        )
    }
}

/// The `p` quantile (0 to 1) of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p) as usize]
}
