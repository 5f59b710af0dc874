//! What a pool's workers run, and the worker actor itself.
//!
//! A task is a closure or a future ([`Work`]), packed with the delivery of
//! its outcome into a [`Job`] whose types the dispatcher does not need to
//! know ([`ErasedJob`]). A [`PoolWorker`] runs one job at a time; a panic in
//! the job is the worker's panic, so that its supervisor restarts it.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::task::Completion;
use super::PoolError;
use super::TaskId;
use crate::Actor;
use crate::ActorId;
use crate::Context;
use crate::{Handler, Message};

tokio::task_local! {
    /// The worker running the current task, for tasks that are futures.
    static WORKER: ActorId;
}

thread_local! {
    /// The worker running the current task, for closures on the blocking pool.
    static BLOCKING_WORKER: Cell<Option<ActorId>> = const { Cell::new(None) };
}

/// The pool worker running the calling code, when called from inside a pool
/// task (a closure or a future); `None` anywhere else.
///
/// The Python tutorial's tasks print `os.getpid()` to show which pool process ran them;
/// this is the same thing for a pool of actors.
pub fn current_worker() -> Option<ActorId> {
    WORKER
        .try_with(|worker| *worker)
        .ok()
        .or_else(|| BLOCKING_WORKER.with(Cell::get))
}

/// Sets [`BLOCKING_WORKER`] for the life of a blocking closure, panics
/// included.
struct BlockingWorker(Option<ActorId>);

impl BlockingWorker {
    fn enter(worker: Option<ActorId>) -> Self {
        BlockingWorker(BLOCKING_WORKER.with(|w| w.replace(worker)))
    }
}

impl Drop for BlockingWorker {
    fn drop(&mut self) {
        BLOCKING_WORKER.with(|w| w.set(self.0));
    }
}

/// A boxed future, as workers run them.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
/// Delivers a finished task's value to its submitter.
pub(crate) type Deliver = Box<dyn FnOnce() + Send>;
/// Delivers a task's failure to its submitter.
pub(crate) type Fail = Box<dyn FnOnce(PoolError) + Send>;

/// Something a worker can run: a closure or a future.
pub(crate) trait Work: Send + 'static {
    /// The task's value.
    type Output: Send + 'static;
    /// What was submitted, handed back when the pool refuses it.
    type Given;
    fn run(self) -> BoxFuture<Self::Output>;
    fn give_back(self) -> Self::Given;
}

/// A closure, run on tokio's blocking thread pool so that it may compute or
/// block (the Python tutorial's tasks `time.sleep`) without holding up other actors.
pub(crate) struct Blocking<F>(pub(crate) F);

impl<F, T> Work for Blocking<F>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = T;
    type Given = F;

    fn run(self) -> BoxFuture<T> {
        let task = self.0;
        Box::pin(async move {
            let worker = current_worker();
            let ran = tokio::task::spawn_blocking(move || {
                let _worker = BlockingWorker::enter(worker);
                task()
            })
            .await;
            match ran {
                Ok(value) => value,
                // The task's panic becomes the worker's, with its message, so
                // that the supervisor sees (and restarts) a failed worker.
                Err(e) => match e.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    Err(_) => panic!("the runtime shut down while the task was running"),
                },
            }
        })
    }

    fn give_back(self) -> F {
        self.0
    }
}

/// A future, run inside the worker's handler.
pub(crate) struct Async<Fut>(pub(crate) Fut);

impl<Fut> Work for Async<Fut>
where
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    type Output = Fut::Output;
    type Given = Fut;

    fn run(self) -> BoxFuture<Fut::Output> {
        Box::pin(self.0)
    }

    fn give_back(self) -> Fut {
        self.0
    }
}

/// A submitted task with its delivery, its type erased for the dispatcher.
pub(crate) trait ErasedJob: Send {
    /// Splits the job into what a worker runs (yielding the delivery of the
    /// value) and what reports a failure instead.
    fn start(self: Box<Self>) -> (TaskId, BoxFuture<Deliver>, Fail);
    /// For taking a refused job apart again.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// A task and where its outcome goes.
pub(crate) struct Job<W: Work> {
    pub(crate) task: TaskId,
    pub(crate) work: W,
    pub(crate) completion: Arc<Completion<W::Output>>,
}

impl<W: Work> ErasedJob for Job<W> {
    fn start(self: Box<Self>) -> (TaskId, BoxFuture<Deliver>, Fail) {
        let Job {
            task,
            work,
            completion,
        } = *self;
        let on_success = completion.clone();
        let run = Box::pin(async move {
            let value = work.run().await;
            Box::new(move || on_success.finish(Ok(value))) as Deliver
        });
        let fail = Box::new(move |error| completion.finish(Err(error))) as Fail;
        (task, run, fail)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A worker of a pool. It holds no state: everything a task needs is in the
/// task, so a restarted worker is as good as the one that failed.
pub(crate) struct PoolWorker;

impl Actor for PoolWorker {
    fn name() -> &'static str {
        "PoolWorker"
    }
}

/// Runs one task; the reply delivers its value.
pub(crate) struct Run(pub(crate) BoxFuture<Deliver>);

impl Message for Run {
    type Reply = Deliver;
}

impl Handler<Run> for PoolWorker {
    async fn handle(&mut self, Run(work): Run, ctx: &mut Context<Self>) -> Deliver {
        WORKER.scope(ctx.id(), work).await
    }
}
