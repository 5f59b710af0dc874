//! What an asker is told when its message goes unanswered, on a multi-thread
//! runtime, where the asker wakes on another thread the moment its reply
//! channel closes. Regression test: the asker used to read the stop reason
//! before the failing actor had recorded it, and was told "killed".

use actor_core::{spawn, Actor, Context, Error, Handler, Message, StopReason};

struct Fragile;
impl Actor for Fragile {}

struct Divide(u32, u32);
impl Message for Divide {
    type Reply = u32;
}

impl Handler<Divide> for Fragile {
    async fn handle(&mut self, Divide(a, b): Divide, _ctx: &mut Context<Self>) -> u32 {
        if b == 0 {
            panic!("division of {a} by zero");
        }
        a / b
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_asker_of_a_panicking_handler_is_told_of_the_failure() {
    for round in 0..200u32 {
        let actor = spawn(Fragile);
        assert_eq!(actor.ask(Divide(round, 1)).await, Ok(round));
        match actor.ask(Divide(round, 0)).await {
            Err(Error::Failed { actor: id, reason }) => {
                assert_eq!(id, actor.id());
                assert!(
                    reason
                        .to_string()
                        .contains(&format!("division of {round} by zero")),
                    "round {round}: {reason}"
                );
            }
            other => panic!("round {round}: expected Error::Failed, got {other:?}"),
        }
        assert!(actor.join().await.is_failure());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn askers_of_queued_messages_learn_why_they_were_dropped() {
    let actor = spawn(Fragile);
    // Queue a panic followed by ten ordinary asks; all of them are sent
    // before the actor can handle the first.
    let fatal = {
        let actor = actor.clone();
        tokio::spawn(async move { actor.ask(Divide(1, 0)).await })
    };
    let mut later = Vec::new();
    for i in 0..10 {
        let actor = actor.clone();
        later.push(tokio::spawn(async move { actor.ask(Divide(i, 1)).await }));
    }
    let reason = actor.join().await;
    assert!(matches!(reason, StopReason::Failed(_)));
    assert!(matches!(fatal.await.unwrap(), Err(Error::Failed { .. })));
    for ask in later {
        // Each was either answered before the panic or told of the failure.
        match ask.await.unwrap() {
            Ok(_) | Err(Error::Failed { .. }) | Err(Error::Stopped { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
}
