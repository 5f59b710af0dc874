//! Large messages and replies cost no copies in the runtime: the futures
//! that send them hold them boxed (nested `async fn`s once held a copy in
//! each, so a 256 KiB message overflowed a 2 MiB stack in release), and an
//! actor answers a 512 KiB message with a 1 MiB reply on a 2 MiB stack.

use std::time::Duration;

use actor_core::prelude::*;
use actor_test_support::large::{ask_and_check, Echo, Request, MESSAGE};

struct Inline([u8; 16 * 1024]);

struct Sink;
impl Actor for Sink {}

impl Message for Inline {
    type Reply = u8;
}
impl Handler<Inline> for Sink {
    async fn handle(&mut self, Inline(bytes): Inline, _: &mut Context<Self>) -> u8 {
        bytes[bytes.len() - 1]
    }
}

/// `tell`, `ask` and `ask_timeout` futures, of references and of
/// recipients, are a few words whatever the message's size: it is boxed
/// when the send starts.
#[tokio::test]
async fn a_send_future_holds_a_large_message_boxed() {
    let sink = spawn(Sink);
    let bound = 32 * std::mem::size_of::<usize>();
    let tell = sink.tell(Inline([1; 16 * 1024]));
    assert!(
        std::mem::size_of_val(&tell) <= bound,
        "tell: {} bytes",
        std::mem::size_of_val(&tell)
    );
    tell.await.expect("told");
    let ask = sink.ask(Inline([2; 16 * 1024]));
    assert!(
        std::mem::size_of_val(&ask) <= bound,
        "ask: {} bytes",
        std::mem::size_of_val(&ask)
    );
    assert_eq!(ask.await, Ok(2));
    let ask = sink.ask_timeout(Inline([3; 16 * 1024]), Duration::from_secs(10));
    assert!(
        std::mem::size_of_val(&ask) <= bound,
        "ask_timeout: {} bytes",
        std::mem::size_of_val(&ask)
    );
    assert_eq!(ask.await, Ok(3));
    let recipient = sink.recipient::<Inline>();
    let ask = recipient.ask(Inline([4; 16 * 1024]));
    assert!(
        std::mem::size_of_val(&ask) <= bound,
        "a recipient's ask: {} bytes",
        std::mem::size_of_val(&ask)
    );
    assert_eq!(ask.await, Ok(4));
}

/// Tokio's default stack for a worker thread, set here so that a larger
/// `RUST_MIN_STACK` cannot hide an overflow.
const WORKER_STACK: usize = 2 * 1024 * 1024;

/// The asker's thread. The asker's own code holds the message it builds
/// and the reply it gets, each in a frame or two of its own (as it would
/// with any channel), so it gets twice a worker's stack; what the
/// runtime's send path adds must fit in what is left.
const ASKER_STACK: usize = 2 * WORKER_STACK;

/// A 512 KiB message and its 1 MiB reply go through an actor whose
/// runtime's workers have tokio's default 2 MiB stacks, so the receiving
/// side (mailbox, handler future, reply) holds each at most once on a
/// stack: the handler's own code already holds the 1 MiB reply there.
/// Release only: a debug build keeps copies the optimiser removes (CI runs
/// it with `cargo test --release -p actor-core --test large_messages`).
#[cfg_attr(
    debug_assertions,
    ignore = "release only: cargo test --release -p actor-core --test large_messages"
)]
#[test]
fn an_actor_on_default_stacks_answers_a_half_mebibyte_message_with_a_mebibyte_reply() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(WORKER_STACK)
        .enable_all()
        .build()
        .expect("a runtime");
    let echo = runtime.block_on(async { spawn(Echo) });
    let asker = std::thread::Builder::new()
        .name("asker".into())
        .stack_size(ASKER_STACK)
        .spawn({
            let echo = echo.clone();
            move || {
                let own = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the asker's runtime");
                own.block_on(async {
                    for round in 1..=3u8 {
                        assert!(ask_and_check(&echo, round).await, "round {round}");
                        echo.tell(Request([round; MESSAGE])).await.expect("told");
                    }
                })
            }
        })
        .expect("the asker's thread");
    asker.join().expect("the asker did not overflow");
    echo.stop();
    assert_eq!(runtime.block_on(echo.join()), StopReason::Normal);
}
