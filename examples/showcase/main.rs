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
//! This file holds the order of the tour and the section heading; the
//! sections live beside it, a group per file: `local.rs` (1 to 4),
//! `lifecycle.rs` (5 to 9), `supervision.rs` (10 and 11), `toolbox.rs` (12
//! to 14) and `network.rs` (15).
//!
//! The actors here are written with the macros: `#[derive(Actor)]` (with
//! `#[actor(...)]` for a mailbox size or a lifecycle hook), `#[messages]` on
//! an impl block whose `#[message]` methods become messages, and
//! `#[derive(Message)]` for a message that several actor types handle (each
//! of them writes its `Handler` for it by hand, section 3). `spawn_join` shows
//! the hand-written path throughout (`impl Actor`, `impl Message`,
//! `impl Handler`), which is all the macros generate.
//!
//! What the Python tutorials needed and this does not: no `Lock` around shared
//! state (state belongs to one actor and changes only through its messages),
//! no `'done'` sentinel and no `terminate()` to end a reader (actors are
//! stopped, and say why they ended), and no `threading.local` (an actor's
//! fields are already private to it).
//!
//! Run it with `cargo run --release --example showcase` (a second or two).
//! `spawn_join`, `balance`, `cores` and `supervision` go deeper into single
//! scenarios; `task_master` and `task_worker` run section 15 across real
//! processes.

mod lifecycle;
mod local;
mod network;
mod supervision;
mod toolbox;

/// The traffic light of `examples/traffic_light.rs`, which section 14 runs
/// for one short cycle.
#[allow(dead_code)]
#[path = "../traffic_light.rs"]
mod traffic_light;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Prints a numbered section heading.
fn section(title: &str) {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    println!("\n== {number}. {title} ==");
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
    local::defining_with_macros().await?;
    local::tell_and_ask().await?;
    local::recipients().await?;
    local::per_actor_state().await?;
    lifecycle::backpressure().await?;
    lifecycle::panic_isolated().await?;
    lifecycle::stop_versus_kill().await?;
    lifecycle::registry().await?;
    lifecycle::timers().await?;
    supervision::children().await?;
    supervision::supervision().await?;
    toolbox::blocking_work().await?;
    toolbox::pool().await?;
    toolbox::traffic_light().await?;
    network::two_nodes().await?;
    println!("\ntour finished in {:.2?}", started.elapsed());
    Ok(())
}
