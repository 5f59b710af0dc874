//! Sections 10 and 11: actors that look after others. A parent's stop or
//! kill reaches its children; a supervisor restarts a failed worker behind
//! the same reference, and gives up (fails itself) after too many restarts.

use std::time::Duration;

use actor::prelude::*;
use tokio::sync::oneshot;

use crate::section;

/// A parent with two children.
#[derive(Actor, Default)]
#[actor(started = recruit, stopped = report)]
struct Team {
    // The parent holds its children itself (they run until it stops); these
    // references are for asking them.
    members: Vec<ActorRef<Member>>,
}

impl Team {
    async fn recruit(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        for name in ["first", "second"] {
            self.members.push(ctx.spawn(Member { name }));
        }
        Ok(())
    }

    async fn report(&mut self, reason: &StopReason) {
        println!("  the team stopped last: {reason}");
    }
}

#[messages]
impl Team {
    /// The team's id, and each child's id with the parent it names.
    #[message]
    async fn members(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> (ActorId, Vec<(ActorId, Option<ActorId>)>) {
        let mut members = Vec::new();
        for member in &self.members {
            if let Ok(parent) = member.ask(Parent).await {
                members.push((member.id(), parent));
            }
        }
        (ctx.id(), members)
    }
}

/// A child of a team.
#[derive(Actor)]
#[actor(stopped = report)]
struct Member {
    name: &'static str,
}

impl Member {
    async fn report(&mut self, reason: &StopReason) {
        println!("  member {:?} stopped: {reason}", self.name);
    }
}

#[messages]
impl Member {
    /// Who is your parent?
    #[message]
    fn parent(&self, ctx: &Context<Self>) -> Option<ActorId> {
        ctx.parent()
    }
}

pub(crate) async fn children() -> Result<(), Error> {
    section("Children: stopping or killing a parent takes its children along");
    for kill in [false, true] {
        let team = spawn(Team::default());
        let (id, members) = team.ask(Members).await?;
        for (member, parent) in members {
            let parent = parent.map_or_else(|| "none".to_owned(), |p| p.to_string());
            println!("{member} started, its parent is {parent}");
        }
        if kill {
            println!("kill {id}: children are killed");
            team.kill();
        } else {
            println!("stop {id}: children stop first, newest first, with `shutdown`");
            team.stop();
        }
        team.join().await;
    }
    Ok(())
}

/// A supervised worker: files documents, and fumbles on demand. Its
/// `started` hook runs for the first instance and again for each restart.
#[derive(Actor)]
#[actor(started = clock_in)]
struct Clerk {
    name: &'static str,
    /// What this instance filed: a restarted clerk starts from scratch.
    filed: Vec<u32>,
}

impl Clerk {
    fn new(name: &'static str) -> Self {
        Clerk {
            name,
            filed: Vec::new(),
        }
    }

    async fn clock_in(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        println!(
            "  {} started as {} (restart #{})",
            self.name,
            ctx.id(),
            ctx.restart_count()
        );
        Ok(())
    }
}

#[messages]
impl Clerk {
    /// Files `doc`; the reply is everything this instance has filed.
    #[message]
    fn file(&mut self, doc: u32) -> Vec<u32> {
        self.filed.push(doc);
        self.filed.clone()
    }

    /// Says it has begun (`entered`), waits for `go`, then panics: the
    /// clerk is busy with it for as long as the caller wants.
    #[message]
    async fn fumble(&mut self, entered: oneshot::Sender<()>, go: oneshot::Receiver<()>) {
        let _ = entered.send(());
        let _ = go.await;
        panic!("{} spilled coffee on the files", self.name);
    }

    /// Panics at once.
    #[message]
    fn crash(&mut self) {
        panic!("{} tripped over a cable", self.name);
    }
}

pub(crate) async fn supervision() -> Result<(), Error> {
    section("Supervision: restarts behind the same reference, then escalation");
    let supervisor = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(2, Duration::from_secs(5))
            .child(ChildSpec::new("ann", || Clerk::new("ann")))
            .child(ChildSpec::new("bob", || Clerk::new("bob"))),
    );
    // Answered once the supervisor's `started` hook has started both.
    let ann = supervisor.child::<Clerk>("ann").await?;
    let bob = supervisor.child::<Clerk>("bob").await?;
    println!(
        "{}: one-for-one over ann and bob, at most 2 restarts within 5s",
        supervisor.id()
    );
    println!(
        "ann: ask(File {{ doc: 1 }}) -> {:?}",
        ann.ask(File { doc: 1 }).await?
    );

    // Keep ann busy with a fumble, queue two files behind it, then let it
    // fail.
    let (entered, entered_rx) = oneshot::channel();
    let (go, go_rx) = oneshot::channel();
    let fumble = tokio::spawn({
        let ann = ann.clone();
        async move { ann.ask(Fumble { entered, go: go_rx }).await }
    });
    let _ = entered_rx.await;
    ann.tell(File { doc: 2 }).await?;
    ann.tell(File { doc: 3 }).await?;
    println!("ann is busy with a Fumble; File 2 and File 3 wait in its mailbox; ann panics");
    let _ = go.send(());
    let fumbled = fumble.await.expect("the asking task panicked");
    // Through the same reference: the new instance has handled 2 and 3.
    let filed = ann.ask(File { doc: 4 }).await?;
    match fumbled {
        Err(Error::Failed { reason, .. }) => {
            println!("the asker of the Fumble was told: {reason}")
        }
        other => println!("the asker of the Fumble got: {other:?}"),
    }
    println!(
        "same reference {} (restart_count {}): ask(File {{ doc: 4 }}) -> {filed:?}",
        ann.id(),
        ann.restart_count()
    );
    println!("  the new instance handled the queued files; file 1 went with the old one");
    println!(
        "bob, one-for-one, was left alone: restart_count {}",
        bob.restart_count()
    );

    println!("bob crashes twice: the second restart would be the third within 5s");
    // The second Crash is handled by bob's restarted instance, so both
    // answers are printed after that restart.
    let first = bob.ask(Crash).await;
    let second = bob.ask(Crash).await;
    for (answer, then) in [(first, "bob was restarted"), (second, "no restart left")] {
        match answer {
            Err(Error::Failed { reason, .. }) => {
                println!("ask(Crash) -> Failed ({reason}); {then}")
            }
            other => println!("ask(Crash) -> {other:?}"),
        }
    }
    // Its own supervisor, if it had one, would now decide; here main learns
    // why from `join`.
    println!(
        "{} stops its other worker and fails: {}",
        supervisor.id(),
        supervisor.join().await
    );
    println!(
        "its workers ended with it: ann alive {}, bob alive {}",
        ann.is_alive(),
        bob.is_alive()
    );
    Ok(())
}
