//! A handler that sends to its own actor in a way that would wait for the
//! actor (an ask, or a tell to its full mailbox) gets `Error::CallingSelf`
//! at once instead of deadlocking; work handed to another task may still
//! wait for the actor, and other actors' sends are unaffected.

use std::time::Duration;

use actor_core::prelude::*;

/// A safety net against the deadlock this guards against, never a measure.
const SAFETY: Duration = Duration::from_secs(10);

struct Loopy {
    me: Option<ActorRef<Loopy>>,
}

impl Actor for Loopy {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(1)
    }
}

struct Hello;
impl Message for Hello {
    type Reply = &'static str;
}
impl Handler<Hello> for Loopy {
    async fn handle(&mut self, _: Hello, _: &mut Context<Self>) -> &'static str {
        "hello"
    }
}

/// Asks itself from inside its handler.
struct AskMyself;
impl Message for AskMyself {
    type Reply = Result<&'static str, Error>;
}
impl Handler<AskMyself> for Loopy {
    async fn handle(
        &mut self,
        _: AskMyself,
        ctx: &mut Context<Self>,
    ) -> Result<&'static str, Error> {
        ctx.actor_ref().ask(Hello).await
    }
}

/// Tells itself twice: the first fits the mailbox of 1, the second would
/// wait for room only this handler's return makes.
struct TellMyselfTwice;
impl Message for TellMyselfTwice {
    type Reply = (Result<(), Error>, Result<(), Error>);
}
impl Handler<TellMyselfTwice> for Loopy {
    async fn handle(
        &mut self,
        _: TellMyselfTwice,
        ctx: &mut Context<Self>,
    ) -> (Result<(), Error>, Result<(), Error>) {
        let me = ctx.actor_ref();
        let first = me.tell(Hello).await.map_err(|e| e.error);
        let second = me.tell(Hello).await.map_err(|e| e.error);
        (first, second)
    }
}

/// Hands the ask to another task, which may wait: it is answered once this
/// handler has returned.
struct AskLater;
impl Message for AskLater {
    type Reply = tokio::task::JoinHandle<Result<&'static str, Error>>;
}
impl Handler<AskLater> for Loopy {
    async fn handle(
        &mut self,
        _: AskLater,
        ctx: &mut Context<Self>,
    ) -> tokio::task::JoinHandle<Result<&'static str, Error>> {
        let me = ctx.actor_ref();
        self.me = Some(me.clone());
        tokio::spawn(async move { me.ask(Hello).await })
    }
}

async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(SAFETY, future)
        .await
        .unwrap_or_else(|_| panic!("{what} deadlocked"))
}

#[tokio::test]
async fn a_handler_asking_its_own_actor_fails_at_once() {
    let loopy = spawn(Loopy { me: None });
    let answer = within("an ask of itself", loopy.ask(AskMyself)).await;
    assert_eq!(
        answer.expect("the outer ask is answered"),
        Err(Error::CallingSelf { actor: loopy.id() })
    );
    // The actor goes on, and others' asks are answered.
    assert_eq!(loopy.ask(Hello).await, Ok("hello"));
}

#[tokio::test]
async fn a_handler_telling_its_full_mailbox_fails_at_once_and_keeps_the_first() {
    let loopy = spawn(Loopy { me: None });
    let (first, second) = within("a tell to its own full mailbox", loopy.ask(TellMyselfTwice))
        .await
        .expect("answered");
    assert_eq!(first, Ok(()), "the mailbox had room for one");
    assert_eq!(second, Err(Error::CallingSelf { actor: loopy.id() }));
    assert_eq!(loopy.ask(Hello).await, Ok("hello"));
}

#[tokio::test]
async fn work_handed_to_another_task_may_wait_for_the_actor() {
    let loopy = spawn(Loopy { me: None });
    let later = loopy.ask(AskLater).await.expect("answered");
    let answer = within("the spawned ask", later)
        .await
        .expect("the task ran");
    assert_eq!(answer, Ok("hello"));
}

/// Asks another actor from inside its handler.
struct Relay(ActorRef<Loopy>);
impl Actor for Relay {}

struct Forward;
impl Message for Forward {
    type Reply = Result<&'static str, Error>;
}
impl Handler<Forward> for Relay {
    async fn handle(&mut self, _: Forward, _: &mut Context<Self>) -> Result<&'static str, Error> {
        self.0.ask(Hello).await
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_handler_may_ask_another_actor_and_the_mark_ends_with_the_handler() {
    // One thread: both actors' handlers run on it, one after the other.
    let loopy = spawn(Loopy { me: None });
    let relay = spawn(Relay(loopy.clone()));
    let forwarded = within("an ask across actors", relay.ask(Forward)).await;
    assert_eq!(forwarded.expect("answered"), Ok("hello"));
    // After a handler that failed its self-ask, asks from outside work.
    assert!(loopy.ask(AskMyself).await.expect("answered").is_err());
    assert_eq!(relay.ask(Forward).await.expect("answered"), Ok("hello"));
}
