//! References and lifetime. An actor runs while a strong reference to it
//! (`ActorRef`, `Recipient`) exists; when the last one is dropped it handles
//! what is queued and stops with [`StopReason::Normal`]. A `WeakActorRef`
//! does not keep it alive, and `upgrade` returns `None` once no strong
//! reference is left. A `Recipient<M>` hides the actor's type, so actors of
//! different types sit behind one `Recipient<M>` type. Ids are unique and
//! display the actor's name.

use std::collections::HashSet;

use actor_core::prelude::*;
use actor_test_support::{gate, Gate};
use tokio::sync::{mpsc, oneshot};

/// Reports its work and its end; signals when its state is dropped, which
/// happens only after the actor has ended for good.
struct Keeper {
    events: mpsc::UnboundedSender<String>,
    _dropped: DropSignal,
}

impl Actor for Keeper {
    async fn stopped(&mut self, reason: &StopReason) {
        let _ = self.events.send(format!("stopped: {reason}"));
    }
}

struct DropSignal(Option<oneshot::Sender<()>>);
impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(signal) = self.0.take() {
            let _ = signal.send(());
        }
    }
}

struct Job(u32);
impl Message for Job {
    type Reply = u32;
}
impl Handler<Job> for Keeper {
    async fn handle(&mut self, Job(n): Job, _ctx: &mut Context<Self>) -> u32 {
        let _ = self.events.send(format!("job {n}"));
        n
    }
}

struct Hold(Gate);
impl Message for Hold {
    type Reply = ();
}
impl Handler<Hold> for Keeper {
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        gate.pass().await;
    }
}

/// A spawned keeper, its event stream, and a receiver that completes once
/// the keeper's state is dropped.
fn keeper() -> (
    ActorRef<Keeper>,
    mpsc::UnboundedReceiver<String>,
    oneshot::Receiver<()>,
) {
    let (events, rx) = mpsc::unbounded_channel();
    let (dropped, dropped_rx) = oneshot::channel();
    let keeper = spawn(Keeper {
        events,
        _dropped: DropSignal(Some(dropped)),
    });
    (keeper, rx, dropped_rx)
}

#[tokio::test]
async fn dropping_the_last_strong_reference_drains_the_queue_then_stops_normally() {
    let (keeper, mut events, state_dropped) = keeper();
    let (gate, mut key) = gate();
    keeper.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    for n in 0..5 {
        keeper.tell(Job(n)).await.unwrap();
    }
    let weak = keeper.downgrade();
    drop(keeper);
    assert!(
        weak.upgrade().is_none(),
        "no strong reference is left, so none can be made"
    );

    key.open();
    for n in 0..5 {
        assert_eq!(events.recv().await, Some(format!("job {n}")));
    }
    assert_eq!(events.recv().await.as_deref(), Some("stopped: normal"));
    state_dropped.await.unwrap();
    assert!(!weak.is_alive());
}

#[tokio::test]
async fn a_weak_reference_does_not_keep_the_actor_alive() {
    let (keeper, mut events, state_dropped) = keeper();
    let weak = keeper.downgrade();
    let id = keeper.id();
    assert!(weak.is_alive());
    drop(keeper);

    assert_eq!(events.recv().await.as_deref(), Some("stopped: normal"));
    state_dropped.await.unwrap();
    assert!(!weak.is_alive());
    assert!(weak.upgrade().is_none());
    assert_eq!(weak.id(), id);
}

#[tokio::test]
async fn an_upgraded_weak_reference_is_a_working_strong_one() {
    let (keeper, mut events, _state_dropped) = keeper();
    let weak = keeper.downgrade();
    let upgraded = weak.upgrade().expect("the actor is running");
    drop(keeper);

    // The upgraded reference alone keeps the actor running.
    assert_eq!(upgraded.ask(Job(3)).await, Ok(3));
    assert!(weak.upgrade().is_some());
    drop(upgraded);
    assert_eq!(events.recv().await.as_deref(), Some("job 3"));
    assert_eq!(events.recv().await.as_deref(), Some("stopped: normal"));
}

#[tokio::test]
async fn clones_keep_the_actor_alive_until_the_last_one_goes() {
    let (keeper, mut events, _state_dropped) = keeper();
    let clones: Vec<_> = (0..3).map(|_| keeper.clone()).collect();
    assert!(clones.iter().all(|c| *c == keeper && c.id() == keeper.id()));
    drop(keeper);
    for (n, clone) in (0..).zip(clones) {
        // Each clone still reaches the running actor, then goes.
        assert_eq!(clone.ask(Job(n)).await, Ok(n));
    }
    for n in 0..3 {
        assert_eq!(events.recv().await, Some(format!("job {n}")));
    }
    assert_eq!(events.recv().await.as_deref(), Some("stopped: normal"));
}

#[tokio::test]
async fn a_strong_reference_in_the_actors_own_state_keeps_it_alive() {
    /// Keeps a strong reference to itself, as `Context::actor_ref` warns about.
    struct Narcissus {
        me: Option<ActorRef<Narcissus>>,
    }
    impl Actor for Narcissus {
        async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
            self.me = Some(ctx.actor_ref());
            Ok(())
        }
    }
    struct Ping;
    impl Message for Ping {
        type Reply = ();
    }
    impl Handler<Ping> for Narcissus {
        async fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) {}
    }

    let actor = spawn(Narcissus { me: None });
    actor.ask(Ping).await.unwrap(); // `started` has run
    let weak = actor.downgrade();
    drop(actor);
    let again = weak.upgrade().expect("its own reference keeps it alive");
    again.stop();
    assert_eq!(again.join().await, StopReason::Normal);
    assert!(weak.upgrade().is_none());
}

/// Something several actor types answer.
struct Greet(&'static str);
impl Message for Greet {
    type Reply = String;
}

struct English;
impl Actor for English {}
impl Handler<Greet> for English {
    async fn handle(&mut self, Greet(name): Greet, _ctx: &mut Context<Self>) -> String {
        format!("Hello, {name}")
    }
}

struct French {
    greeted: u32,
}
impl Actor for French {}
impl Handler<Greet> for French {
    async fn handle(&mut self, Greet(name): Greet, _ctx: &mut Context<Self>) -> String {
        self.greeted += 1;
        format!("Bonjour, {name} ({})", self.greeted)
    }
}

#[tokio::test]
async fn one_recipient_type_reaches_actors_of_different_types() {
    let english = spawn(English);
    let french = spawn(French { greeted: 0 });
    let greeters: Vec<Recipient<Greet>> = vec![english.recipient(), french.recipient()];
    assert_eq!(greeters[0].id(), english.id());
    assert_eq!(greeters[1].id(), french.id());

    let mut replies = Vec::new();
    for greeter in &greeters {
        replies.push(greeter.ask(Greet("Ada")).await.unwrap());
    }
    assert_eq!(replies, ["Hello, Ada", "Bonjour, Ada (1)"]);

    greeters[1].tell(Greet("Bob")).await.unwrap();
    greeters[1].try_tell(Greet("Cy")).unwrap();
    assert_eq!(
        greeters[1]
            .ask_timeout(Greet("Di"), std::time::Duration::from_secs(3600))
            .await,
        Ok("Bonjour, Di (4)".to_owned())
    );
}

#[tokio::test]
async fn a_recipient_keeps_its_actor_alive_like_an_actor_ref() {
    let english = spawn(English);
    let weak = english.downgrade();
    let recipient = english.recipient::<Greet>();
    let copy = recipient.clone();
    drop(english);
    drop(recipient);

    assert_eq!(copy.ask(Greet("Eve")).await.unwrap(), "Hello, Eve");
    assert!(copy.is_alive());
    assert!(weak.upgrade().is_some());
    drop(copy);
    assert!(weak.upgrade().is_none(), "the last strong reference went");
}

#[tokio::test]
async fn a_recipient_of_a_stopped_actor_refuses_and_reports_the_end() {
    let english = spawn(English);
    let recipient = english.recipient::<Greet>();
    english.stop();
    assert_eq!(recipient.join().await, StopReason::Normal);
    assert!(!recipient.is_alive());

    let stopped = Error::Stopped {
        actor: english.id(),
    };
    let refused = recipient.tell(Greet("Fay")).await.unwrap_err();
    assert_eq!(refused.error, stopped);
    assert_eq!(refused.message.0, "Fay");
    let refused = recipient.try_tell(Greet("Gus")).unwrap_err();
    assert_eq!(refused.error, stopped);
    assert_eq!(refused.message.0, "Gus");
    assert_eq!(recipient.ask(Greet("Hal")).await, Err(stopped));
}

#[tokio::test]
async fn ids_are_unique_and_display_the_actor_name() {
    /// An actor with a name of its own choosing.
    struct Named;
    impl Actor for Named {
        fn name() -> &'static str {
            "the-named-one"
        }
    }

    let english = spawn(English);
    assert_eq!(english.id().name(), "English");
    assert_eq!(
        english.id().to_string(),
        format!("English#{}", english.id().as_u64())
    );
    let named = spawn(Named);
    assert_eq!(named.id().name(), "the-named-one");
    assert!(named.id().to_string().starts_with("the-named-one#"));

    let ids: HashSet<ActorId> = (0..100).map(|_| spawn(English).id()).collect();
    assert_eq!(ids.len(), 100, "ids are never shared");
    assert!(!ids.contains(&english.id()));
}

// Actors whose state names their own type, written with the plain traits
// (used to fail with E0275, "overflow evaluating `Envelope<_>: Send`").

struct Tree {
    me: Option<WeakActorRef<Tree>>,
    children: Vec<ActorRef<Leaf>>,
}
impl Actor for Tree {}

struct Leaf {
    tree: WeakActorRef<Tree>,
}
impl Actor for Leaf {}

struct Grow;
impl Message for Grow {
    type Reply = usize;
}
impl Handler<Grow> for Tree {
    async fn handle(&mut self, _: Grow, ctx: &mut Context<Self>) -> usize {
        let me = ctx.weak_ref();
        self.me = Some(me.clone());
        let leaf = ctx.spawn(Leaf { tree: me });
        self.children.push(leaf);
        self.children.len()
    }
}

struct Rooted;
impl Message for Rooted {
    type Reply = bool;
}
impl Handler<Rooted> for Leaf {
    async fn handle(&mut self, _: Rooted, _: &mut Context<Self>) -> bool {
        self.tree.is_alive()
    }
}

#[tokio::test]
async fn actors_whose_state_refers_to_their_own_type_compile_and_run() {
    let tree = spawn(Tree {
        me: None,
        children: Vec::new(),
    });
    assert_eq!(tree.ask(Grow).await, Ok(1));
    assert_eq!(tree.ask(Grow).await, Ok(2));
    let leaf = spawn(Leaf {
        tree: tree.downgrade(),
    });
    let rooted = tokio::spawn(async move { leaf.ask(Rooted).await });
    assert_eq!(rooted.await.expect("ran"), Ok(true));
}
