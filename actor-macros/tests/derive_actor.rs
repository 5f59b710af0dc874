//! `#[derive(Actor)]`: name, mailbox, hooks, generic and enum actors.

use std::sync::{Arc, Mutex};

use actor::prelude::*;

/// What the hooks of an actor saw, in order.
type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

#[derive(Actor)]
#[actor(name = "counter", mailbox = 8)]
struct Counter;

#[derive(Actor)]
#[actor(mailbox = unbounded)]
struct Sink;

const CAPACITY: usize = 3;

#[derive(Actor)]
#[actor(mailbox = CAPACITY)]
struct Small;

#[derive(Actor)]
struct Plain;

#[test]
fn the_attribute_sets_name_and_mailbox() {
    assert_eq!(<Counter as Actor>::name(), "counter");
    assert_eq!(Counter::mailbox_capacity(), MailboxCapacity::Bounded(8));
    assert_eq!(Sink::mailbox_capacity(), MailboxCapacity::Unbounded);
    assert_eq!(Small::mailbox_capacity(), MailboxCapacity::Bounded(3));
}

#[test]
fn without_the_attribute_the_defaults_apply() {
    assert_eq!(<Plain as Actor>::name(), "Plain");
    assert_eq!(
        Plain::mailbox_capacity(),
        MailboxCapacity::Bounded(actor::DEFAULT_MAILBOX_CAPACITY)
    );
}

#[tokio::test]
async fn the_name_is_the_ids_name() {
    let counter = spawn(Counter);
    assert_eq!(counter.id().name(), "counter");
}

/// Hooks named in the attribute, as methods and as a path to a function.
#[derive(Actor)]
#[actor(started = on_start, stopping = Self::on_stopping, stopped = self::record_stop)]
struct Hooked {
    log: Log,
    fail_start: bool,
}

impl Hooked {
    async fn on_start(&mut self, ctx: &mut Context<Self>) -> Result<(), std::io::Error> {
        self.log
            .lock()
            .unwrap()
            .push(format!("started {}", ctx.id().name()));
        if self.fail_start {
            return Err(std::io::Error::other("no disk"));
        }
        Ok(())
    }

    async fn on_stopping(&mut self, _ctx: &mut Context<Self>) {
        self.log.lock().unwrap().push("stopping".to_owned());
    }
}

async fn record_stop(hooked: &mut Hooked, reason: &StopReason) {
    hooked
        .log
        .lock()
        .unwrap()
        .push(format!("stopped: {reason}"));
}

#[messages]
impl Hooked {
    #[message]
    fn note(&mut self, text: String) {
        self.log.lock().unwrap().push(text);
    }
}

#[tokio::test]
async fn hooks_run_in_lifecycle_order() {
    let log = Log::default();
    let hooked = spawn(Hooked {
        log: log.clone(),
        fail_start: false,
    });
    hooked
        .ask(Note {
            text: "handled".into(),
        })
        .await
        .unwrap();
    hooked.stop();
    assert_eq!(hooked.join().await, StopReason::Normal);
    assert_eq!(
        entries(&log),
        ["started Hooked", "handled", "stopping", "stopped: normal"]
    );
}

#[tokio::test]
async fn an_error_from_the_started_hook_fails_the_actor() {
    let log = Log::default();
    let hooked = spawn(Hooked {
        log: log.clone(),
        fail_start: true,
    });
    let reason = hooked.join().await;
    assert!(reason.is_failure(), "{reason}");
    assert!(reason.to_string().contains("no disk"), "{reason}");
    // As for a hand-written hook: no message handled, `stopping` skipped.
    let log = entries(&log);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0], "started Hooked");
    assert!(log[1].starts_with("stopped: failed"), "{log:?}");
}

/// A generic actor: every type parameter gets `Send + 'static`.
#[derive(Actor)]
#[actor(name = "holder")]
struct Holder<T> {
    value: T,
}

#[messages]
impl<T: Clone> Holder<T> {
    #[message]
    fn get(&self) -> T {
        self.value.clone()
    }
}

#[tokio::test]
async fn generic_actors_work() {
    let words = spawn(Holder {
        value: "hi".to_owned(),
    });
    let numbers = spawn(Holder { value: 7u32 });
    assert_eq!(words.ask(Get::new()).await.unwrap(), "hi");
    assert_eq!(numbers.ask(Get::default()).await.unwrap(), 7);
}

/// An enum actor: a state machine.
#[derive(Actor)]
enum Light {
    Off,
    On,
}

#[messages]
impl Light {
    /// Flips the light and says whether it is now on.
    #[message]
    fn toggle(&mut self) -> bool {
        *self = match self {
            Light::Off => Light::On,
            Light::On => Light::Off,
        };
        matches!(self, Light::On)
    }
}

#[tokio::test]
async fn enum_actors_work() {
    let light = spawn(Light::Off);
    assert!(light.ask(Toggle).await.unwrap());
    assert!(!light.ask(Toggle).await.unwrap());
}

/// A supervised actor whose `restarting` hook comes from the derive.
#[derive(Actor)]
#[actor(restarting = on_restart)]
struct Phoenix {
    previous: Option<String>,
}

impl Phoenix {
    async fn on_restart(&mut self, _ctx: &mut Context<Self>, previous: &StopReason) {
        self.previous = Some(previous.to_string());
    }
}

#[messages]
impl Phoenix {
    #[message]
    fn burn(&mut self) {
        panic!("burnt");
    }

    #[message]
    fn previous_life(&self) -> Option<String> {
        self.previous.clone()
    }
}

#[tokio::test]
async fn the_restarting_hook_runs_on_the_new_instance() {
    let supervisor = spawn(
        Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::new("phoenix", || Phoenix { previous: None })),
    );
    let phoenix = supervisor.child::<Phoenix>("phoenix").await.unwrap();
    assert_eq!(phoenix.ask(PreviousLife).await, Ok(None));
    assert!(phoenix.ask(Burn).await.is_err());
    let previous = phoenix.ask(PreviousLife).await.unwrap().unwrap();
    assert!(previous.contains("burnt"), "{previous}");
    assert_eq!(phoenix.restart_count(), 1);
}

/// An actor that keeps a reference to itself, as the docs recommend for
/// timers and self-sends (used to fail with E0275, "overflow evaluating
/// `Envelope<_>: Send`").
#[derive(Actor)]
struct Selfish {
    me: Option<WeakActorRef<Selfish>>,
}

struct Remember;
impl Message for Remember {
    type Reply = bool;
}
impl Handler<Remember> for Selfish {
    async fn handle(&mut self, _: Remember, ctx: &mut Context<Self>) -> bool {
        self.me = Some(ctx.weak_ref());
        self.me.as_ref().is_some_and(|me| me.is_alive())
    }
}

/// A parent and a child that hold references to each other.
#[derive(Actor)]
struct Parent {
    kids: Vec<ActorRef<Kid>>,
}

#[derive(Actor)]
struct Kid {
    parent: WeakActorRef<Parent>,
}

struct Adopt(ActorRef<Kid>);
impl Message for Adopt {
    type Reply = usize;
}
impl Handler<Adopt> for Parent {
    async fn handle(&mut self, Adopt(kid): Adopt, _: &mut Context<Self>) -> usize {
        self.kids.push(kid);
        self.kids.len()
    }
}

struct HasParent;
impl Message for HasParent {
    type Reply = bool;
}
impl Handler<HasParent> for Kid {
    async fn handle(&mut self, _: HasParent, _: &mut Context<Self>) -> bool {
        self.parent.is_alive()
    }
}

#[tokio::test]
async fn actors_whose_state_refers_to_their_own_type_compile_and_run() {
    let selfish = spawn(Selfish { me: None });
    assert!(selfish.ask(Remember).await.expect("answered"));
    let parent = spawn(Parent { kids: Vec::new() });
    let kid = spawn(Kid {
        parent: parent.downgrade(),
    });
    assert_eq!(parent.ask(Adopt(kid.clone())).await.expect("answered"), 1);
    assert!(kid.ask(HasParent).await.expect("answered"));
    // Both can be moved into spawned tasks: their references are `Send`.
    tokio::spawn(async move { kid.ask(HasParent).await })
        .await
        .expect("ran")
        .expect("answered");
}
