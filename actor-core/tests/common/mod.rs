//! Helpers shared by the supervision, link and monitor tests.
//!
//! [`Probe`] is a worker that writes every lifecycle event (`started`,
//! `restarting`, `stopping`, `stopped`) to a shared [`Recorder`], so that a test
//! can assert the exact order in which a supervisor starts, stops and restarts
//! its children, and await an event instead of sleeping. [`Kit`] builds the
//! factory and the child specification of one probe and keeps the state that
//! outlives its instances (how many were built, which messages were handled).
//!
//! The helpers that are not about probes and watchers (the [`Recorder`], the
//! panic hook, bounded waits, `ask_later`) are in `actor-test-support`.
//!
//! Each test file is its own crate and uses only some of these helpers, so
//! unused ones are not an error here.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::*;
use actor_test_support::{ask_later, kind, Recorder, DELIBERATE};
use tokio::time::Instant;

/// Knobs and records shared by every instance of one probe.
#[derive(Default)]
pub struct Conf {
    /// Instances built so far (the factory counts them, from 1).
    pub instances: AtomicU32,
    /// Instances (by number) whose `started` returns an error.
    pub fail_start: Mutex<HashSet<u32>>,
    /// Instances (by number) whose factory call panics.
    pub fail_factory: Mutex<HashSet<u32>>,
    /// Instances (by number) whose `restarting` hook panics.
    pub fail_restarting: Mutex<HashSet<u32>>,
    /// How long `started` takes.
    pub start_delay: Mutex<Duration>,
    /// Whether `stopping` never returns (ignores a shutdown).
    pub hang_in_stopping: AtomicBool,
    /// Every `Ping` handled, by any instance, in order.
    pub handled: Mutex<Vec<u32>>,
    /// When each `started` hook began.
    pub started_at: Mutex<Vec<Instant>>,
    /// The restart count each instance saw through its context in `started`.
    pub ctx_restarts: Mutex<Vec<u32>>,
}

/// Builds probes called `name` that log to `rec`.
#[derive(Clone)]
pub struct Kit {
    pub name: &'static str,
    pub rec: Arc<Recorder>,
    pub conf: Arc<Conf>,
}

impl Kit {
    pub fn new(name: &'static str, rec: &Arc<Recorder>) -> Self {
        Kit {
            name,
            rec: rec.clone(),
            conf: Arc::default(),
        }
    }

    /// A fresh probe per call, as a supervisor's factory.
    pub fn factory(&self) -> impl Fn() -> Probe + Send + Sync + 'static {
        let kit = self.clone();
        move || {
            let instance = kit.conf.instances.fetch_add(1, Ordering::SeqCst) + 1;
            if kit.conf.fail_factory.lock().unwrap().contains(&instance) {
                panic!("{DELIBERATE}: factory of {} #{instance}", kit.name);
            }
            Probe {
                name: kit.name,
                rec: kit.rec.clone(),
                conf: kit.conf.clone(),
                instance,
                seen: Vec::new(),
            }
        }
    }

    /// A permanent child spec with the default shutdown.
    pub fn spec(&self) -> ChildSpec<Probe> {
        ChildSpec::new(self.name, self.factory())
    }

    /// One probe, for spawning outside a supervisor.
    pub fn build(&self) -> Probe {
        (self.factory())()
    }

    /// How many instances were built.
    pub fn instances(&self) -> u32 {
        self.conf.instances.load(Ordering::SeqCst)
    }

    /// The pings handled so far, in order.
    pub fn handled(&self) -> Vec<u32> {
        self.conf.handled.lock().unwrap().clone()
    }

    /// When each instance's `started` began.
    pub fn started_at(&self) -> Vec<Instant> {
        self.conf.started_at.lock().unwrap().clone()
    }

    pub fn fail_start_of(&self, instances: &[u32]) -> &Self {
        self.conf
            .fail_start
            .lock()
            .unwrap()
            .extend(instances.iter().copied());
        self
    }

    pub fn start_delay(&self, delay: Duration) -> &Self {
        *self.conf.start_delay.lock().unwrap() = delay;
        self
    }

    pub fn hang_in_stopping(&self) -> &Self {
        self.conf.hang_in_stopping.store(true, Ordering::SeqCst);
        self
    }
}

/// A worker that logs its lifecycle. See the module documentation.
pub struct Probe {
    pub name: &'static str,
    rec: Arc<Recorder>,
    conf: Arc<Conf>,
    /// Which instance of its kit this is, from 1.
    pub instance: u32,
    /// The pings this instance handled.
    seen: Vec<u32>,
}

impl Actor for Probe {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.conf.started_at.lock().unwrap().push(Instant::now());
        self.conf
            .ctx_restarts
            .lock()
            .unwrap()
            .push(ctx.restart_count());
        let delay = *self.conf.start_delay.lock().unwrap();
        if !delay.is_zero() {
            self.rec.push(format!("starting:{}", self.name));
            tokio::time::sleep(delay).await;
        }
        if self
            .conf
            .fail_start
            .lock()
            .unwrap()
            .contains(&self.instance)
        {
            self.rec.push(format!("start-failed:{}", self.name));
            return Err(format!("{} #{} refused to start", self.name, self.instance).into());
        }
        self.rec.push(format!("started:{}", self.name));
        Ok(())
    }

    async fn restarting(&mut self, _ctx: &mut Context<Self>, previous: &StopReason) {
        self.rec
            .push(format!("restarting:{}:{}", self.name, kind(previous)));
        if self
            .conf
            .fail_restarting
            .lock()
            .unwrap()
            .contains(&self.instance)
        {
            panic!("{DELIBERATE}: restarting {} #{}", self.name, self.instance);
        }
    }

    async fn stopping(&mut self, _ctx: &mut Context<Self>) {
        self.rec.push(format!("stopping:{}", self.name));
        if self.conf.hang_in_stopping.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }

    async fn stopped(&mut self, reason: &StopReason) {
        self.rec
            .push(format!("stopped:{}:{}", self.name, kind(reason)));
    }
}

/// Handled normally: recorded, and answered with what this instance has seen.
#[derive(Debug)]
pub struct Ping(pub u32);
impl Message for Ping {
    type Reply = Vec<u32>;
}
impl Handler<Ping> for Probe {
    async fn handle(&mut self, Ping(n): Ping, _ctx: &mut Context<Self>) -> Vec<u32> {
        self.seen.push(n);
        self.conf.handled.lock().unwrap().push(n);
        self.seen.clone()
    }
}

/// Panics in the handler with a message that names it.
pub struct Crash(pub &'static str);
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Probe {
    async fn handle(&mut self, Crash(why): Crash, _ctx: &mut Context<Self>) {
        panic!("{DELIBERATE}: {why}");
    }
}

/// Stops the probe with `Context::stop` (a normal exit).
pub struct StopSelf;
impl Message for StopSelf {
    type Reply = ();
}
impl Handler<StopSelf> for Probe {
    async fn handle(&mut self, _: StopSelf, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// Fails the probe with `Context::fail`; answers `"done"` first.
pub struct FailSelf(pub &'static str);
impl Message for FailSelf {
    type Reply = &'static str;
}
impl Handler<FailSelf> for Probe {
    async fn handle(&mut self, FailSelf(why): FailSelf, ctx: &mut Context<Self>) -> &'static str {
        ctx.fail(why);
        "done"
    }
}

/// Keeps the handler busy for `.0` (an hour stands for "never returns").
pub struct Busy(pub Duration);
impl Message for Busy {
    type Reply = ();
}
impl Handler<Busy> for Probe {
    async fn handle(&mut self, Busy(d): Busy, _ctx: &mut Context<Self>) {
        self.rec.push(format!("busy:{}", self.name));
        tokio::time::sleep(d).await;
        self.rec.push(format!("idle:{}", self.name));
    }
}

/// What the running instance knows about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whoami {
    pub instance: u32,
    pub restart_count: u32,
    pub id: ActorId,
}
pub struct Info;
impl Message for Info {
    type Reply = Whoami;
}
impl Handler<Info> for Probe {
    async fn handle(&mut self, _: Info, ctx: &mut Context<Self>) -> Whoami {
        Whoami {
            instance: self.instance,
            restart_count: ctx.restart_count(),
            id: ctx.id(),
        }
    }
}

/// Keeps the probe `name` busy in a handler for a second (virtual) and
/// returns once it is in there, so that messages sent next are queued.
pub async fn make_busy(
    actor: &ActorRef<Probe>,
    rec: &Recorder,
    name: &str,
) -> tokio::task::JoinHandle<Result<(), Error>> {
    let busy_event = format!("busy:{name}");
    let before = rec.count(&busy_event);
    let busy = ask_later(actor, Busy(Duration::from_secs(1)));
    rec.wait_for(&busy_event, before + 1).await;
    busy
}

/// An actor that records the `Down` and `Exit` messages it receives, and runs
/// whatever a test hands it (see [`Do`]) with its own context: monitors and
/// links are made from inside an actor.
pub struct Watcher {
    pub rec: Arc<Recorder>,
    pub downs: Vec<Down>,
    pub exits: Vec<Exit>,
}

impl Watcher {
    pub fn new(rec: &Arc<Recorder>) -> Self {
        Watcher {
            rec: rec.clone(),
            downs: Vec::new(),
            exits: Vec::new(),
        }
    }
}

impl Actor for Watcher {
    async fn stopped(&mut self, reason: &StopReason) {
        self.rec.push(format!("watcher-stopped:{}", kind(reason)));
    }
}

impl Handler<Down> for Watcher {
    async fn handle(&mut self, down: Down, _ctx: &mut Context<Self>) {
        self.rec
            .push(format!("down:{}:{}", down.id, kind(&down.reason)));
        self.downs.push(down);
    }
}

impl Handler<Exit> for Watcher {
    async fn handle(&mut self, exit: Exit, _ctx: &mut Context<Self>) {
        self.rec
            .push(format!("exit:{}:{}", exit.id, kind(&exit.reason)));
        self.exits.push(exit);
    }
}

/// Something for a [`Watcher`] to do in a handler, with its context.
pub type Task<R> = Box<dyn FnOnce(&mut Watcher, &mut Context<Watcher>) -> R + Send>;

/// Runs a [`Task`] in the watcher and replies with its result.
pub struct Do<R>(pub Task<R>);
impl<R: Send + 'static> Message for Do<R> {
    type Reply = R;
}
impl<R: Send + 'static> Handler<Do<R>> for Watcher {
    async fn handle(&mut self, Do(task): Do<R>, ctx: &mut Context<Self>) -> R {
        task(self, ctx)
    }
}

/// Has `watcher` run `task` and returns its result.
pub async fn run<R: Send + 'static>(
    watcher: &ActorRef<Watcher>,
    task: impl FnOnce(&mut Watcher, &mut Context<Watcher>) -> R + Send + 'static,
) -> Result<R, Error> {
    watcher.ask(Do(Box::new(task))).await
}

/// The `Down` notices `watcher` has handled so far. Being an ask, it also
/// waits until every notice already in its mailbox has been handled.
pub async fn downs(watcher: &ActorRef<Watcher>) -> Vec<Down> {
    run(watcher, |w, _| w.downs.clone()).await.unwrap()
}

/// The `Exit` messages `watcher` has handled so far (see [`downs`]).
pub async fn exits(watcher: &ActorRef<Watcher>) -> Vec<Exit> {
    run(watcher, |w, _| w.exits.clone()).await.unwrap()
}
