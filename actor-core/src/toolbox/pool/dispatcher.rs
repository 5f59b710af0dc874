//! The actors behind a [`Pool`](super::Pool): one dispatcher, and N workers
//! under a supervisor that the dispatcher spawns as its child.
//!
//! ```text
//! Pool handles ──Submit──▶ Dispatcher ──(child)──▶ Supervisor (one-for-one)
//!                           │  queue                 ├── PoolWorker "worker-0"
//!                           │  idle workers          ├── ...
//!                           └──Run (one per idle)──▶ └── PoolWorker "worker-N-1"
//! ```
//!
//! The dispatcher keeps the queue of waiting tasks and the list of idle
//! workers, and gives a task to a worker only when one is idle: that is what
//! bounds the tasks running at once to N. For each task it hands out, a small
//! tokio task asks the worker to run it, delivers the value to the submitter,
//! and tells the dispatcher the worker is free again. A task that panics fails
//! its worker; the supervisor restarts the worker (same reference, same
//! mailbox), the ask returns [`Error::Failed`], and the dispatcher reports
//! [`PoolError::TaskFailed`] to that task's submitter alone.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::worker::{ErasedJob, Fail, PoolWorker, Run};
use super::PoolError;
use super::{PoolStats, TaskId};
use crate::link::Down;
use crate::ActorId;
use crate::ActorRef;
use crate::Context;
use crate::Error;
use crate::{Actor, BoxError, MailboxCapacity};
use crate::{ChildSpec, Restart, Strategy, Supervisor};
use crate::{Handler, Message};

/// A pool's dispatcher: the queue, the idle workers, and the bookkeeping of
/// close, join and terminate.
pub(crate) struct Dispatcher {
    size: usize,
    max_restarts: u32,
    restart_period: Duration,
    /// Whether `Close` (or `Terminate`) was handled. Tasks submitted before
    /// it, in mailbox order, are accepted even if a handle's flag is set.
    closed: bool,
    /// Shared with the pool's handles, so that they refuse tasks (and hand
    /// them back) without a round trip once the pool is closed.
    handles_refuse: Arc<AtomicBool>,
    supervisor: Option<ActorRef<Supervisor>>,
    workers: Vec<ActorRef<PoolWorker>>,
    idle: VecDeque<usize>,
    queued: VecDeque<Box<dyn ErasedJob>>,
    running: HashMap<TaskId, Fail>,
    joiners: Vec<oneshot::Sender<()>>,
    completed: u64,
    failed: u64,
}

impl Dispatcher {
    pub(crate) fn new(
        size: usize,
        max_restarts: u32,
        restart_period: Duration,
        handles_refuse: Arc<AtomicBool>,
    ) -> Self {
        Dispatcher {
            size,
            max_restarts,
            restart_period,
            closed: false,
            handles_refuse,
            supervisor: None,
            workers: Vec::with_capacity(size),
            idle: VecDeque::with_capacity(size),
            queued: VecDeque::new(),
            running: HashMap::new(),
            joiners: Vec::new(),
            completed: 0,
            failed: 0,
        }
    }

    /// Refuses new tasks from now on.
    fn close(&mut self) {
        self.closed = true;
        self.handles_refuse.store(true, Ordering::Release);
    }

    /// Gives queued tasks to idle workers, oldest task to the longest idle
    /// worker, until one of the two runs out.
    fn dispatch(&mut self, ctx: &mut Context<Self>) {
        while !self.queued.is_empty() {
            let Some(w) = self.idle.pop_front() else {
                return;
            };
            let Some(job) = self.queued.pop_front() else {
                self.idle.push_front(w);
                return;
            };
            let (task, run, fail) = job.start();
            self.running.insert(task, fail);
            let worker = self.workers[w].clone();
            // A strong reference: a dropped pool finishes what it was given.
            let dispatcher = ctx.actor_ref();
            tokio::spawn(async move {
                let failure = match worker.ask(Run(run)).await {
                    Ok(deliver) => {
                        deliver();
                        None
                    }
                    Err(error) => Some(error),
                };
                let _ = dispatcher
                    .tell(Finished {
                        worker: w,
                        task,
                        failure,
                    })
                    .await;
            });
        }
    }

    /// Wakes the joiners once the pool is closed and has nothing left to do.
    fn release_joiners_if_drained(&mut self) {
        if self.closed && self.queued.is_empty() && self.running.is_empty() {
            for joiner in self.joiners.drain(..) {
                let _ = joiner.send(());
            }
        }
    }

    /// Fails every task not finished yet with [`PoolError::Terminated`] and
    /// closes the pool for good.
    fn abandon_all(&mut self, pool: ActorId) {
        self.close();
        for (task, fail) in self.running.drain() {
            fail(PoolError::Terminated { pool, task });
        }
        // Dropping a queued job reports `PoolTerminated` through its
        // `Completion`.
        self.queued.clear();
        for joiner in self.joiners.drain(..) {
            let _ = joiner.send(());
        }
    }
}

impl Actor for Dispatcher {
    fn name() -> &'static str {
        "Pool"
    }

    /// Unbounded: submitting never waits (as Python's `apply_async`), and a
    /// worker's "finished" must never wait behind submissions. The tasks wait
    /// in the dispatcher's queue instead.
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Unbounded
    }

    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let mut supervisor =
            Supervisor::new(Strategy::OneForOne).intensity(self.max_restarts, self.restart_period);
        for i in 0..self.size {
            supervisor = supervisor.child(
                ChildSpec::new(format!("worker-{i}"), || PoolWorker).restart(Restart::Permanent),
            );
        }
        let supervisor = ctx.spawn(supervisor);
        for i in 0..self.size {
            self.workers.push(
                supervisor
                    .child::<PoolWorker>(&format!("worker-{i}"))
                    .await?,
            );
            self.idle.push_back(i);
        }
        ctx.monitor(&supervisor);
        self.supervisor = Some(supervisor);
        Ok(())
    }

    /// Handles refuse new tasks from now on. Tasks still queued or running
    /// (only when the pool was killed) report [`PoolError::Terminated`] when
    /// the dispatcher and the workers are dropped, through their
    /// `Completion`s.
    async fn stopped(&mut self, _reason: &crate::StopReason) {
        self.close();
    }
}

/// A task for the pool.
pub(crate) struct Submit(pub(crate) Box<dyn ErasedJob>);

impl Message for Submit {
    type Reply = ();
}

impl Handler<Submit> for Dispatcher {
    async fn handle(&mut self, Submit(job): Submit, ctx: &mut Context<Self>) {
        if self.closed {
            // It raced with `close` from another handle and lost; the task
            // is gone, so the refusal goes to its handle.
            let (_, _, fail) = job.start();
            fail(PoolError::Closed { pool: ctx.id() });
            return;
        }
        self.queued.push_back(job);
        self.dispatch(ctx);
    }
}

/// A worker is done with a task, well or badly.
struct Finished {
    worker: usize,
    task: TaskId,
    failure: Option<Error>,
}

impl Message for Finished {
    type Reply = ();
}

impl Handler<Finished> for Dispatcher {
    async fn handle(&mut self, finished: Finished, ctx: &mut Context<Self>) {
        let Finished {
            worker,
            task,
            failure,
        } = finished;
        // Absent when the pool was terminated meanwhile: already reported.
        let Some(fail) = self.running.remove(&task) else {
            return;
        };
        match failure {
            None => self.completed += 1,
            Some(error) => {
                self.failed += 1;
                let pool = ctx.id();
                fail(match error {
                    Error::Failed { actor, reason } => PoolError::TaskFailed {
                        pool,
                        task,
                        worker: actor,
                        reason,
                    },
                    _ => PoolError::Terminated { pool, task },
                });
            }
        }
        self.idle.push_back(worker);
        self.dispatch(ctx);
        self.release_joiners_if_drained();
    }
}

/// Refuse new tasks from now on.
pub(crate) struct Close;

impl Message for Close {
    type Reply = ();
}

impl Handler<Close> for Dispatcher {
    async fn handle(&mut self, _: Close, _ctx: &mut Context<Self>) {
        self.close();
        self.release_joiners_if_drained();
    }
}

/// Wait until the closed pool has nothing left to do.
pub(crate) struct Join;

impl Message for Join {
    type Reply = Result<oneshot::Receiver<()>, PoolError>;
}

impl Handler<Join> for Dispatcher {
    async fn handle(
        &mut self,
        _: Join,
        ctx: &mut Context<Self>,
    ) -> Result<oneshot::Receiver<()>, PoolError> {
        if !self.closed {
            return Err(PoolError::NotClosed { pool: ctx.id() });
        }
        let (joiner, joined) = oneshot::channel();
        self.joiners.push(joiner);
        self.release_joiners_if_drained();
        Ok(joined)
    }
}

/// Stop now: kill the workers, fail what is not finished.
pub(crate) struct Terminate;

impl Message for Terminate {
    type Reply = ();
}

impl Handler<Terminate> for Dispatcher {
    async fn handle(&mut self, _: Terminate, ctx: &mut Context<Self>) {
        self.close();
        if let Some(supervisor) = self.supervisor.take() {
            // Killing the supervisor kills its workers; once it has ended, no
            // task of this pool is running (a closure already on a blocking
            // thread runs to its end, but its value is dropped).
            supervisor.kill();
            supervisor.join().await;
        }
        self.abandon_all(ctx.id());
        ctx.stop();
    }
}

/// How the pool is doing.
pub(crate) struct Stats;

impl Message for Stats {
    type Reply = PoolStats;
}

impl Handler<Stats> for Dispatcher {
    async fn handle(&mut self, _: Stats, _ctx: &mut Context<Self>) -> PoolStats {
        PoolStats {
            size: self.size,
            running: self.running.len(),
            queued: self.queued.len(),
            completed: self.completed,
            failed: self.failed,
            closed: self.closed,
        }
    }
}

impl Handler<Down> for Dispatcher {
    /// The workers' supervisor ended without being told to: it gave up after
    /// too many restarts. Nothing can run any more.
    async fn handle(&mut self, down: Down, ctx: &mut Context<Self>) {
        if self.supervisor.as_ref().map(ActorRef::id) != Some(down.id) {
            return;
        }
        self.supervisor = None;
        self.abandon_all(ctx.id());
        ctx.fail(format_args!(
            "the pool's workers' supervisor ended: {}",
            down.reason
        ));
    }
}
