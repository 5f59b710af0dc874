//! Parents and children. A child spawned with `Context::spawn` knows its
//! parent's id and is kept alive by its parent; stopping the parent stops its
//! children newest first, each with [`StopReason::Shutdown`] (a child still
//! handles what was queued), after the parent's `stopping` and before its
//! `stopped`; a child that does not stop within [`CHILD_SHUTDOWN_TIMEOUT`]
//! (stuck in a handler or in `stopping`) is killed; killing the parent kills
//! its children; grandchildren follow; a child's failure does not stop the
//! parent; and an actor spawned with the free `spawn` from a handler is not
//! tied to the actor that spawned it.

use std::pin::pin;

use actor_core::prelude::*;
use actor_core::CHILD_SHUTDOWN_TIMEOUT;
use actor_test_support::{drain, poll_once, quiet_deliberate_panics, Gate, DELIBERATE};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Where every actor in these tests reports its lifecycle, in causal order.
type Events = mpsc::UnboundedSender<String>;

struct Parent {
    events: Events,
    /// Strong references keep the children alive (a child, like any actor,
    /// stops when no strong reference to it is left).
    children: Vec<ActorRef<Child>>,
    detached: Vec<ActorRef<Child>>,
}

impl Actor for Parent {
    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        let _ = self.events.send("parent stopping".into());
    }

    async fn stopped(&mut self, reason: &StopReason) {
        let _ = self.events.send(format!("parent stopped: {reason}"));
    }
}

struct Child {
    name: String,
    events: Events,
    children: Vec<ActorRef<Child>>,
    /// Whether `stopping` waits forever.
    hang_in_stopping: bool,
}

impl Child {
    fn new(name: impl Into<String>, events: &Events) -> Self {
        Child {
            name: name.into(),
            events: events.clone(),
            children: Vec::new(),
            hang_in_stopping: false,
        }
    }
}

impl Actor for Child {
    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        let _ = self.events.send(format!("{} stopping", self.name));
        if self.hang_in_stopping {
            std::future::pending::<()>().await;
        }
    }

    async fn stopped(&mut self, reason: &StopReason) {
        let _ = self.events.send(format!("{} stopped: {reason}", self.name));
    }
}

/// Spawns children with `Context::spawn`; replies with references to them.
struct SpawnChildren {
    count: usize,
    hang_in_stopping: bool,
}
impl Message for SpawnChildren {
    type Reply = Vec<ActorRef<Child>>;
}
impl Handler<SpawnChildren> for Parent {
    async fn handle(
        &mut self,
        msg: SpawnChildren,
        ctx: &mut Context<Self>,
    ) -> Vec<ActorRef<Child>> {
        let mut spawned = Vec::new();
        for _ in 0..msg.count {
            let mut child = Child::new(format!("child {}", self.children.len()), &self.events);
            child.hang_in_stopping = msg.hang_in_stopping;
            let child = ctx.spawn(child);
            self.children.push(child.clone());
            spawned.push(child);
        }
        spawned
    }
}

/// Spawns a child with `Context::spawn` and keeps no reference to it;
/// replies with a weak one.
struct SpawnUnreferenced;
impl Message for SpawnUnreferenced {
    type Reply = WeakActorRef<Child>;
}
impl Handler<SpawnUnreferenced> for Parent {
    async fn handle(
        &mut self,
        _: SpawnUnreferenced,
        ctx: &mut Context<Self>,
    ) -> WeakActorRef<Child> {
        ctx.spawn(Child::new("unreferenced child", &self.events))
            .downgrade()
    }
}

/// Spawns an actor with the free `spawn`, from inside a handler.
struct SpawnDetached;
impl Message for SpawnDetached {
    type Reply = ActorRef<Child>;
}
impl Handler<SpawnDetached> for Parent {
    async fn handle(&mut self, _: SpawnDetached, _ctx: &mut Context<Self>) -> ActorRef<Child> {
        let detached = spawn(Child::new("detached", &self.events));
        self.detached.push(detached.clone());
        detached
    }
}

/// Replies with `ctx.parent()`.
struct WhoIsYourParent;
impl Message for WhoIsYourParent {
    type Reply = Option<ActorId>;
}
impl Handler<WhoIsYourParent> for Parent {
    async fn handle(&mut self, _: WhoIsYourParent, ctx: &mut Context<Self>) -> Option<ActorId> {
        ctx.parent()
    }
}
impl Handler<WhoIsYourParent> for Child {
    async fn handle(&mut self, _: WhoIsYourParent, ctx: &mut Context<Self>) -> Option<ActorId> {
        ctx.parent()
    }
}

/// Replies with `ctx.children()`.
struct ListChildren;
impl Message for ListChildren {
    type Reply = Vec<ActorId>;
}
impl Handler<ListChildren> for Parent {
    async fn handle(&mut self, _: ListChildren, ctx: &mut Context<Self>) -> Vec<ActorId> {
        ctx.children()
    }
}

/// Makes a child spawn a child of its own.
struct SpawnGrandchild;
impl Message for SpawnGrandchild {
    type Reply = ActorRef<Child>;
}
impl Handler<SpawnGrandchild> for Child {
    async fn handle(&mut self, _: SpawnGrandchild, ctx: &mut Context<Self>) -> ActorRef<Child> {
        let grandchild = ctx.spawn(Child::new(format!("{}'s child", self.name), &self.events));
        self.children.push(grandchild.clone());
        grandchild
    }
}

/// Announces itself, then never completes.
struct Stuck(oneshot::Sender<()>);
impl Message for Stuck {
    type Reply = ();
}
impl Handler<Stuck> for Child {
    async fn handle(&mut self, Stuck(entered): Stuck, _ctx: &mut Context<Self>) {
        let _ = entered.send(());
        std::future::pending::<()>().await;
    }
}

/// Holds the child in its handler until the gate opens.
struct Hold(Gate);
impl Message for Hold {
    type Reply = ();
}
impl Handler<Hold> for Child {
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        gate.pass().await;
    }
}

/// Panics (deliberately).
struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Child {
    async fn handle(&mut self, _: Crash, _ctx: &mut Context<Self>) {
        panic!("{DELIBERATE}: child crash");
    }
}

fn parent() -> (ActorRef<Parent>, mpsc::UnboundedReceiver<String>) {
    let (events, rx) = mpsc::unbounded_channel();
    let parent = spawn(Parent {
        events,
        children: Vec::new(),
        detached: Vec::new(),
    });
    (parent, rx)
}

async fn spawn_children(parent: &ActorRef<Parent>, count: usize) -> Vec<ActorRef<Child>> {
    parent
        .ask(SpawnChildren {
            count,
            hang_in_stopping: false,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn children_know_their_parent_and_the_parent_knows_its_children() {
    let (parent, _events) = parent();
    let children = spawn_children(&parent, 3).await;
    for child in &children {
        assert_eq!(child.ask(WhoIsYourParent).await, Ok(Some(parent.id())));
    }
    assert_eq!(
        parent.ask(WhoIsYourParent).await,
        Ok(None),
        "spawned at top level"
    );
    assert_eq!(
        parent.ask(ListChildren).await.unwrap(),
        children.iter().map(ActorRef::id).collect::<Vec<_>>(),
        "children are listed oldest first"
    );
}

#[tokio::test]
async fn stopping_the_parent_stops_its_children_newest_first_with_shutdown() {
    let (parent, mut events) = parent();
    let children = spawn_children(&parent, 3).await;

    parent.stop();
    assert_eq!(parent.join().await, StopReason::Normal);
    assert_eq!(
        drain(&mut events),
        vec![
            "parent stopping",
            "child 2 stopping",
            "child 2 stopped: shutdown",
            "child 1 stopping",
            "child 1 stopped: shutdown",
            "child 0 stopping",
            "child 0 stopped: shutdown",
            "parent stopped: normal",
        ]
    );
    for child in &children {
        assert!(!child.is_alive());
        assert_eq!(child.join().await, StopReason::Shutdown);
    }
}

#[tokio::test]
async fn a_child_being_shut_down_still_handles_what_was_queued() {
    let (parent, _events) = parent();
    let children = spawn_children(&parent, 1).await;
    let child = &children[0];
    let (gate, mut key) = actor_test_support::gate();
    child.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    let mut queued = pin!(child.ask(WhoIsYourParent));
    assert!(poll_once(queued.as_mut()).await.is_pending());

    parent.stop();
    key.open();
    assert_eq!(queued.await, Ok(Some(parent.id())), "handled, not dropped");
    assert_eq!(child.join().await, StopReason::Shutdown);
    assert_eq!(parent.join().await, StopReason::Normal);
}

#[tokio::test]
async fn killing_the_parent_kills_its_children_even_a_busy_one() {
    let (parent, mut events) = parent();
    let children = spawn_children(&parent, 2).await;
    let (entered, entered_rx) = oneshot::channel();
    children[0].tell(Stuck(entered)).await.unwrap();
    entered_rx.await.unwrap();

    parent.kill();
    assert_eq!(parent.join().await, StopReason::Killed);
    for child in &children {
        assert_eq!(child.join().await, StopReason::Killed);
    }
    assert_eq!(
        drain(&mut events),
        vec![
            "child 1 stopped: killed",
            "child 0 stopped: killed",
            "parent stopped: killed",
        ],
        "killed actors skip `stopping`"
    );
}

#[tokio::test]
async fn grandchildren_stop_before_their_parent_when_the_root_stops() {
    let (root, mut events) = parent();
    let children = spawn_children(&root, 1).await;
    let grandchild = children[0].ask(SpawnGrandchild).await.unwrap();
    assert_eq!(
        grandchild.ask(WhoIsYourParent).await,
        Ok(Some(children[0].id()))
    );

    root.stop();
    root.join().await;
    assert_eq!(grandchild.join().await, StopReason::Shutdown);
    assert_eq!(
        drain(&mut events),
        vec![
            "parent stopping",
            "child 0 stopping",
            "child 0's child stopping",
            "child 0's child stopped: shutdown",
            "child 0 stopped: shutdown",
            "parent stopped: normal",
        ]
    );
}

#[tokio::test]
async fn an_actor_spawned_with_free_spawn_from_a_handler_outlives_its_spawner() {
    let (parent, _events) = parent();
    let children = spawn_children(&parent, 1).await;
    let detached = parent.ask(SpawnDetached).await.unwrap();
    assert_eq!(detached.ask(WhoIsYourParent).await, Ok(None));
    assert_eq!(
        parent.ask(ListChildren).await.unwrap(),
        vec![children[0].id()],
        "not listed as a child"
    );

    parent.stop();
    parent.join().await;
    assert_eq!(children[0].join().await, StopReason::Shutdown);
    assert!(detached.is_alive(), "stopped along with its spawner");
    assert_eq!(
        detached.ask(WhoIsYourParent).await,
        Ok(None),
        "still answers"
    );

    detached.stop();
    assert_eq!(detached.join().await, StopReason::Normal);
}

#[tokio::test(start_paused = true)]
async fn a_child_that_does_not_stop_in_time_is_killed() {
    let (parent, mut events) = parent();
    let children = spawn_children(&parent, 1).await;
    let (entered, entered_rx) = oneshot::channel();
    children[0].tell(Stuck(entered)).await.unwrap();
    entered_rx.await.unwrap();

    let stopped_at = Instant::now();
    parent.stop();
    assert_eq!(parent.join().await, StopReason::Normal);
    assert!(
        stopped_at.elapsed() >= CHILD_SHUTDOWN_TIMEOUT,
        "the child was killed after {:?}",
        stopped_at.elapsed()
    );
    assert_eq!(children[0].join().await, StopReason::Killed);
    assert_eq!(
        drain(&mut events),
        vec![
            "parent stopping",
            "child 0 stopped: killed",
            "parent stopped: normal"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_child_hanging_in_stopping_is_killed_after_the_timeout() {
    let (parent, _events) = parent();
    let children = parent
        .ask(SpawnChildren {
            count: 1,
            hang_in_stopping: true,
        })
        .await
        .unwrap();
    parent.stop();
    // Under the paused clock this times out at once if the parent can never
    // finish, instead of hanging the test.
    let ended = tokio::time::timeout(CHILD_SHUTDOWN_TIMEOUT * 10, parent.join()).await;
    assert_eq!(ended, Ok(StopReason::Normal), "the parent never finished");
    assert!(!children[0].is_alive());
    assert_eq!(
        children[0].join().await,
        StopReason::Killed,
        "the child was killed, as one stuck in a handler is"
    );
}

#[tokio::test]
async fn a_child_lives_as_long_as_its_parent_without_other_references() {
    let (parent, mut events) = parent();
    let weak = parent.ask(SpawnUnreferenced).await.unwrap();
    // The handler dropped its `ActorRef`; only the parent's own hold on the
    // child is left, and it counts as a strong reference.
    let child = weak.upgrade().expect("the parent keeps its child alive");
    assert_eq!(parent.ask(ListChildren).await.unwrap(), vec![weak.id()]);
    assert_eq!(child.ask(WhoIsYourParent).await, Ok(Some(parent.id())));
    drop(child);

    parent.stop();
    parent.join().await;
    assert_eq!(
        drain(&mut events),
        vec![
            "parent stopping",
            "unreferenced child stopping",
            "unreferenced child stopped: shutdown",
            "parent stopped: normal",
        ]
    );
    assert!(!weak.is_alive());
}

#[tokio::test]
async fn a_failing_child_does_not_stop_its_parent() {
    quiet_deliberate_panics();
    let (parent, _events) = parent();
    let children = spawn_children(&parent, 2).await;
    children[0].tell(Crash).await.unwrap();
    assert!(children[0].join().await.is_failure());

    assert_eq!(
        parent.ask(WhoIsYourParent).await,
        Ok(None),
        "parent answers"
    );
    assert!(parent.is_alive());
    assert_eq!(
        parent.ask(ListChildren).await.unwrap(),
        vec![children[1].id()],
        "only running children are listed"
    );
    assert_eq!(
        children[1].ask(WhoIsYourParent).await,
        Ok(Some(parent.id()))
    );
}

#[tokio::test]
async fn children_spawned_in_started_are_stopped_too() {
    /// Spawns one child as it starts.
    struct Eager {
        events: Events,
        child: Option<ActorRef<Child>>,
    }
    impl Actor for Eager {
        async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
            self.child = Some(ctx.spawn(Child::new("early child", &self.events)));
            Ok(())
        }
    }
    struct GetChild;
    impl Message for GetChild {
        type Reply = ActorRef<Child>;
    }
    impl Handler<GetChild> for Eager {
        async fn handle(&mut self, _: GetChild, _ctx: &mut Context<Self>) -> ActorRef<Child> {
            self.child.clone().expect("spawned in started")
        }
    }

    let (events, _rx) = mpsc::unbounded_channel();
    let eager = spawn(Eager {
        events,
        child: None,
    });
    let child = eager.ask(GetChild).await.unwrap();
    assert_eq!(child.ask(WhoIsYourParent).await, Ok(Some(eager.id())));
    eager.stop();
    eager.join().await;
    assert_eq!(child.join().await, StopReason::Shutdown);
}
