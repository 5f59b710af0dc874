//! Panic isolation: a panic in a handler fails only the actor it happens in.
//! That actor ends with [`StopReason::Failed`] carrying the panic message; the
//! asker of the fatal message and the askers of messages queued behind it get
//! [`Error::Failed`] with the same reason; 100 bystander actors keep answering.
//! Also covers panics raised before a handler's first await, panics with
//! formatted messages, and that the failing actor still runs its `stopping`
//! and `stopped` hooks.

use std::future::Future;
use std::pin::pin;

use actor_core::prelude::*;
use actor_test_support::{gate, poll_once, quiet_deliberate_panics, Gate, DELIBERATE};
use tokio::sync::mpsc;

/// An actor that only echoes, standing by while another one fails.
struct Bystander {
    id: u64,
}

impl Actor for Bystander {}

/// Replies with the bystander's id plus the number given.
struct Echo(u64);
impl Message for Echo {
    type Reply = u64;
}
impl Handler<Echo> for Bystander {
    async fn handle(&mut self, Echo(n): Echo, _ctx: &mut Context<Self>) -> u64 {
        // Yield once so bystander traffic interleaves with the failing actor.
        tokio::task::yield_now().await;
        self.id * 1_000 + n
    }
}

/// An actor that panics on request and reports its hooks.
struct Fragile {
    hooks: mpsc::UnboundedSender<String>,
}

impl Actor for Fragile {
    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        let _ = self.hooks.send("stopping".into());
    }

    async fn stopped(&mut self, reason: &StopReason) {
        let _ = self.hooks.send(format!("stopped: {reason}"));
    }
}

/// Holds the actor in its handler until the gate opens.
struct Hold(Gate);
impl Message for Hold {
    type Reply = ();
}
impl Handler<Hold> for Fragile {
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        gate.pass().await;
    }
}

/// Panics with the given text, after an await point.
struct Boom(String);
impl Message for Boom {
    type Reply = u32;
}
impl Handler<Boom> for Fragile {
    async fn handle(&mut self, Boom(text): Boom, _ctx: &mut Context<Self>) -> u32 {
        tokio::task::yield_now().await;
        panic!("{DELIBERATE}: {text}");
    }
}

/// Panics in `handle` itself, before any future is returned.
struct EagerBoom;
impl Message for EagerBoom {
    type Reply = ();
}
impl Handler<EagerBoom> for Fragile {
    // Written out by hand (not `async fn`) so the panic happens while the
    // runtime builds the handler future, not while polling it.
    #[allow(clippy::manual_async_fn)]
    fn handle(
        &mut self,
        _: EagerBoom,
        _ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        if !DELIBERATE.is_empty() {
            panic!("{DELIBERATE}: eager");
        }
        async {}
    }
}

/// Replies with a number; used for messages queued behind the fatal one.
struct Ping;
impl Message for Ping {
    type Reply = u32;
}
impl Handler<Ping> for Fragile {
    async fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) -> u32 {
        1
    }
}

fn fragile() -> (ActorRef<Fragile>, mpsc::UnboundedReceiver<String>) {
    let (hooks, events) = mpsc::unbounded_channel();
    (spawn(Fragile { hooks }), events)
}

/// The text of a `Failed` reason.
fn failure_text(reason: &StopReason) -> String {
    match reason {
        StopReason::Failed(text) => text.to_string(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_only_its_actor_while_100_bystanders_keep_answering() {
    quiet_deliberate_panics();
    let bystanders: Vec<_> = (0..100).map(|id| spawn(Bystander { id })).collect();
    for (id, bystander) in (0..).zip(&bystanders) {
        assert_eq!(bystander.ask(Echo(1)).await, Ok(id * 1_000 + 1));
    }

    let (fragile, _hooks) = fragile();
    let (gate, mut key) = gate();
    fragile.tell(Hold(gate)).await.unwrap();
    key.entered().await;

    // Queue the fatal message and two more asks behind it. One poll each puts
    // the message in the mailbox (there is room) and leaves the ask waiting
    // for its reply.
    let mut fatal = pin!(fragile.ask(Boom("boom 42".into())));
    let mut queued_ping = pin!(fragile.ask(Ping));
    let mut queued_boom = pin!(fragile.ask(Boom("never reached".into())));
    assert!(poll_once(fatal.as_mut()).await.is_pending());
    assert!(poll_once(queued_ping.as_mut()).await.is_pending());
    assert!(poll_once(queued_boom.as_mut()).await.is_pending());

    // Bystander traffic runs on both workers while the panic happens.
    let traffic: Vec<_> = bystanders
        .iter()
        .cloned()
        .zip(0..)
        .map(|(bystander, id)| {
            tokio::spawn(async move {
                for n in 0..20 {
                    assert_eq!(bystander.ask(Echo(n)).await, Ok(id * 1_000 + n));
                }
            })
        })
        .collect();
    key.open();

    let reason = fragile.join().await;
    let text = failure_text(&reason);
    assert!(
        text.starts_with("panicked in the handler of"),
        "reason does not say where: {text}"
    );
    assert!(
        text.contains("Boom"),
        "reason does not name the message type: {text}"
    );
    assert!(
        text.contains("boom 42"),
        "reason lost the panic message: {text}"
    );
    assert!(!fragile.is_alive());

    let failed = Error::Failed {
        actor: fragile.id(),
        reason: reason.clone(),
    };
    assert_eq!(fatal.await, Err(failed.clone()), "the fatal asker");
    assert_eq!(queued_ping.await, Err(failed.clone()), "a queued asker");
    assert_eq!(queued_boom.await, Err(failed), "a queued asker");

    for task in traffic {
        task.await.expect("a bystander stopped answering");
    }
    let answers: Vec<_> = bystanders
        .iter()
        .cloned()
        .map(|bystander| tokio::spawn(async move { bystander.ask(Echo(7)).await }))
        .collect();
    for (id, answer) in (0..).zip(answers) {
        assert_eq!(answer.await.unwrap(), Ok(id * 1_000 + 7), "bystander {id}");
    }
    assert!(bystanders.iter().all(ActorRef::is_alive));

    // The failed actor accepts nothing more.
    assert_eq!(
        fragile.ask(Ping).await,
        Err(Error::Stopped {
            actor: fragile.id()
        })
    );
}

#[tokio::test]
async fn a_panic_in_a_told_message_fails_the_actor_which_still_runs_its_hooks() {
    quiet_deliberate_panics();
    let (fragile, mut hooks) = fragile();
    fragile.tell(Boom("told boom".into())).await.unwrap();

    let reason = fragile.join().await;
    assert!(failure_text(&reason).contains("told boom"));
    assert_eq!(hooks.recv().await.as_deref(), Some("stopping"));
    assert_eq!(
        hooks.recv().await,
        Some(format!("stopped: {reason}")),
        "`stopped` gets the failure"
    );
    assert_eq!(hooks.recv().await, None, "no hook runs twice");
}

#[tokio::test]
async fn a_panic_while_building_the_handler_future_fails_the_actor() {
    quiet_deliberate_panics();
    let (fragile, _hooks) = fragile();
    let answer = fragile.ask(EagerBoom).await;
    let reason = fragile.join().await;
    let text = failure_text(&reason);
    assert!(text.contains("EagerBoom"), "{text}");
    assert!(text.contains("eager"), "{text}");
    assert_eq!(
        answer,
        Err(Error::Failed {
            actor: fragile.id(),
            reason
        })
    );
}

#[tokio::test]
async fn a_formatted_panic_message_is_kept_in_full() {
    quiet_deliberate_panics();
    let (fragile, _hooks) = fragile();
    let value = 6 * 7;
    let answer = fragile.ask(Boom(format!("value was {value}"))).await;
    let Err(Error::Failed { reason, .. }) = answer else {
        panic!("expected Error::Failed, got {answer:?}");
    };
    assert!(failure_text(&reason).contains("value was 42"));
    assert_eq!(fragile.join().await, reason);
    assert!(reason.is_failure());
    assert!(
        reason.to_string().contains("value was 42"),
        "Display shows it"
    );
}

#[tokio::test]
async fn told_messages_queued_behind_a_panic_are_dropped_unhandled() {
    quiet_deliberate_panics();

    /// Counts how many times it is handled and how many times it is dropped.
    struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl Message for Counted {
        type Reply = ();
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    impl Handler<Counted> for Fragile {
        async fn handle(&mut self, msg: Counted, _ctx: &mut Context<Self>) {
            // Handled messages are forgotten, so only unhandled ones count.
            std::mem::forget(msg);
        }
    }

    let (fragile, _hooks) = fragile();
    let (gate, mut key) = gate();
    fragile.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    fragile.tell(Boom("first".into())).await.unwrap();
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..5 {
        fragile.tell(Counted(dropped.clone())).await.unwrap();
    }
    key.open();
    assert!(fragile.join().await.is_failure());
    assert_eq!(
        dropped.load(std::sync::atomic::Ordering::SeqCst),
        5,
        "each queued message is dropped once, none handled"
    );
}

/// Whoever asked the fatal message must learn that the actor *failed*, however
/// quickly it notices that the reply will not come. An asker on a thread of
/// its own (here, synchronous code using `Handle::block_on`) notices within
/// microseconds, so it shows when the reply channel is closed before the
/// failure is recorded.
#[test]
fn the_fatal_asker_gets_failed_even_when_it_notices_at_once() {
    quiet_deliberate_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for round in 0..200 {
        let (fragile, _hooks) = runtime.block_on(async { fragile() });
        // Both ways a handler can panic: while polled, and while its future
        // is being built (before the runtime holds the reply channel in a
        // future of its own).
        let answer = if round % 2 == 0 {
            runtime
                .handle()
                .block_on(fragile.ask(Boom(format!("round {round}"))))
                .map(drop)
        } else {
            runtime.handle().block_on(fragile.ask(EagerBoom))
        };
        let reason = runtime.block_on(fragile.join());
        assert_eq!(
            answer,
            Err(Error::Failed {
                actor: fragile.id(),
                reason
            }),
            "round {round}"
        );
    }
}
