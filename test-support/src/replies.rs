//! Asking from a task of its own, so that the test can go on while the
//! message waits in a mailbox, and checking that an answer is a failure.

use actor_core::{ActorRef, Error, Handler, Message, StopReason};
use tokio::task::JoinHandle;

/// Sends `message` from a task of its own and hands back the reply; the
/// message is in the mailbox once that task has run (yield to let it run).
pub fn ask_later<A, M>(actor: &ActorRef<A>, message: M) -> JoinHandle<Result<M::Reply, Error>>
where
    A: Handler<M>,
    M: Message,
{
    let actor = actor.clone();
    tokio::spawn(async move { actor.ask(message).await })
}

/// Asks from a task of its own and returns once the message is queued (the
/// paused clock does not move while tasks can run, so a busy actor is still
/// busy): messages queued this way one after another keep their order.
pub async fn queue<A, M>(actor: &ActorRef<A>, message: M) -> JoinHandle<Result<M::Reply, Error>>
where
    A: Handler<M>,
    M: Message,
{
    let reply = ask_later(actor, message);
    tokio::task::yield_now().await;
    reply
}

/// Expects `Error::Failed` whose reason mentions `text`; returns the reason.
///
/// # Panics
/// On any other result.
pub fn expect_failed<T: std::fmt::Debug>(result: Result<T, Error>, text: &str) -> StopReason {
    match result {
        Err(Error::Failed { reason, .. }) => {
            assert!(
                reason.to_string().contains(text),
                "expected a failure mentioning {text:?}, got {reason}"
            );
            reason
        }
        other => panic!("expected Error::Failed mentioning {text:?}, got {other:?}"),
    }
}
