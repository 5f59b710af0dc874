//! Pools of workers: Python's `multiprocessing.Pool`, made
//! of actors.
//!
//! A [`Pool`] of N is a dispatcher actor and N worker actors under a
//! one-for-one [`Supervisor`](crate::Supervisor). Tasks are submitted to the
//! dispatcher, which queues them and gives each to an idle worker: at most N
//! tasks run at once, and the others wait their turn in submission order. A
//! task is either a closure, run on tokio's blocking thread pool (it may
//! compute or block, like the Python tutorial's `time.sleep`), or a future, run inside
//! its worker.
//!
//! | Python | here |
//! |---|---|
//! | `Pool(4)` | [`Pool::new(4)`](Pool::new) |
//! | `p.apply(f, args)` | [`pool.apply(move \|\| f(args)).await`](Pool::apply) |
//! | `p.apply_async(f, args)` → `AsyncResult` | [`pool.submit(..)`](Pool::submit) → [`TaskHandle`] |
//! | `res.get()`, `res.get(timeout)` | [`handle.await`](TaskHandle::result), [`wait_timeout`](TaskHandle::wait_timeout) then `result` |
//! | `res.ready()`, `res.successful()`, `res.wait(t)` | [`is_ready`](TaskHandle::is_ready), [`is_successful`](TaskHandle::is_successful), [`wait_timeout`](TaskHandle::wait_timeout) |
//! | `apply_async(.., callback=cb)` | [`submit_with_callback`](Pool::submit_with_callback), or [`submit_notify`](Pool::submit_notify) to an actor |
//! | `p.map(f, items)`, `imap_unordered` | [`map`](Pool::map), [`map_unordered`](Pool::map_unordered) |
//! | `p.close(); p.join()` | [`close`](Pool::close), [`join`](Pool::join) |
//! | `p.terminate()` | [`terminate`](Pool::terminate) |
//! | `os.getpid()` in a task | [`current_worker`] |
//!
//! What differs from Python, on purpose: a task that panics fails only its own
//! handle ([`PoolError::TaskFailed`]); its worker is restarted by the supervisor
//! and the pool goes on. Every failure is a typed [`PoolError`], never a hang: a
//! handle whose pool is terminated reports [`PoolError::Terminated`].
//!
//! ```
//! use actor_core::pool::Pool;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::pool::PoolError> {
//! let pool = Pool::new(4);
//! let handle = pool.submit(|| 6 * 7)?;
//! assert_eq!(handle.await?, 42);
//! assert_eq!(pool.map(1..=5, |n: u64| n * n).await?, vec![1, 4, 9, 16, 25]);
//! pool.close();
//! pool.join().await?;
//! # Ok(()) }
//! ```

mod dispatcher;
mod error;
mod task;
mod worker;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::spawn;
use crate::ActorId;
use crate::ActorRef;
use crate::Recipient;
use crate::SendError;

use dispatcher::{Close, Dispatcher, Join, Stats, Submit, Terminate};
pub use error::PoolError;
use task::{notify_sink, Callback, Completion, Sink};
pub use task::{TaskDone, TaskHandle, TaskId, Unordered};
pub use worker::current_worker;
use worker::{Async, Blocking, Job, Work};

/// A snapshot of a pool's state, from [`Pool::stats`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// How many workers the pool has: the most tasks that run at once.
    pub size: usize,
    /// Tasks running now.
    pub running: usize,
    /// Tasks waiting for a worker.
    pub queued: usize,
    /// Tasks that finished with a value.
    pub completed: u64,
    /// Tasks that panicked (each one restarted its worker).
    pub failed: u64,
    /// Whether the pool refuses new tasks.
    pub closed: bool,
}

/// Configures a [`Pool`] before starting it.
#[derive(Clone, Debug)]
pub struct PoolBuilder {
    size: usize,
    max_restarts: u32,
    restart_period: Duration,
}

impl PoolBuilder {
    /// Lets the workers' supervisor restart panicking workers at most
    /// `max_restarts` times within `period`; beyond that, it gives up, and
    /// the pool ends with every unfinished task failing with
    /// [`PoolError::Terminated`]. The default has no practical limit: a task's
    /// panic is that task's failure, not the pool's.
    pub fn restart_intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.restart_period = period;
        self
    }

    /// Starts the pool on the current tokio runtime.
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub fn build(self) -> Pool {
        let closed = Arc::new(AtomicBool::new(false));
        let dispatcher = spawn(Dispatcher::new(
            self.size,
            self.max_restarts,
            self.restart_period,
            closed.clone(),
        ));
        Pool {
            dispatcher,
            closed,
            next_task: Arc::new(AtomicU64::new(1)),
            size: self.size,
        }
    }
}

/// A pool of worker actors that run submitted tasks, at most
/// [`size`](Pool::size) at once. See the [module documentation](self).
///
/// Cloning is cheap and every clone is the same pool. When the last clone is
/// dropped, the pool finishes the tasks it was given and then stops.
#[derive(Clone)]
pub struct Pool {
    dispatcher: ActorRef<Dispatcher>,
    closed: Arc<AtomicBool>,
    next_task: Arc<AtomicU64>,
    size: usize,
}

impl Pool {
    /// Starts a pool of `size` workers (0 is taken as 1). For one worker per
    /// core, as Python's default, pass
    /// [`std::thread::available_parallelism`].
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub fn new(size: usize) -> Pool {
        Pool::builder(size).build()
    }

    /// A builder for a pool of `size` workers (0 is taken as 1).
    pub fn builder(size: usize) -> PoolBuilder {
        PoolBuilder {
            size: size.max(1),
            max_restarts: u32::MAX,
            restart_period: Duration::from_secs(1),
        }
    }

    /// The pool's id: that of its dispatcher actor.
    pub fn id(&self) -> ActorId {
        self.dispatcher.id()
    }

    /// How many workers the pool has.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether the pool refuses new tasks ([`close`](Self::close) or
    /// [`terminate`](Self::terminate) was called, or it ended).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn next_task(&self) -> TaskId {
        TaskId(self.next_task.fetch_add(1, Ordering::Relaxed))
    }

    /// Queues `work`, whose outcome goes to `sink`; hands it back if the pool
    /// refuses it (the sink is then dropped without being called).
    fn enqueue<W: Work>(
        &self,
        task: TaskId,
        work: W,
        sink: Sink<W::Output>,
    ) -> Result<(), SendError<W::Given, PoolError>> {
        let pool = self.id();
        if self.is_closed() {
            return Err(SendError {
                error: PoolError::Closed { pool },
                message: work.give_back(),
            });
        }
        let completion = Completion::new(pool, task, sink);
        let job = Box::new(Job {
            task,
            work,
            completion,
        });
        // The mailbox is unbounded: this fails only if the pool has ended.
        self.dispatcher.try_tell(Submit(job)).map_err(|refused| {
            let job = match refused.message.0.into_any().downcast::<Job<W>>() {
                Ok(job) => job,
                Err(_) => unreachable!("a refused job is the one just sent"),
            };
            job.completion.disarm();
            SendError {
                error: PoolError::Closed { pool },
                message: job.work.give_back(),
            }
        })
    }

    /// Submits a closure and returns a handle to its result at once: Python's
    /// `apply_async`. The closure runs on tokio's blocking thread pool, once a
    /// worker is free; it may compute or block.
    ///
    /// # Errors
    /// [`PoolError::Closed`] if the pool was closed or terminated, with the
    /// closure handed back.
    pub fn submit<F, T>(&self, task: F) -> Result<TaskHandle<T>, SendError<F, PoolError>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit_inner(Blocking(task), None)
    }

    /// Submits a future and returns a handle to its output at once. The
    /// future runs inside a worker actor once one is free; it should await
    /// rather than block.
    ///
    /// # Errors
    /// [`PoolError::Closed`] if the pool was closed or terminated, with the
    /// future handed back.
    pub fn submit_future<Fut>(
        &self,
        task: Fut,
    ) -> Result<TaskHandle<Fut::Output>, SendError<Fut, PoolError>>
    where
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        self.submit_inner(Async(task), None)
    }

    /// Like [`submit`](Self::submit), and calls `callback` with the outcome
    /// when the task ends: Python's `apply_async(.., callback=..)`.
    ///
    /// The callback runs on the submitting side, never on a worker: in the
    /// pool's delivery of the result, in this process, after the task
    /// returned and before the handle becomes ready (and before
    /// [`join`](Self::join) returns). Like Python's, it must be quick and must
    /// not block: it holds up the delivery of this result. A panic in it is
    /// logged and ignored. For a callback that is an actor's own handler, run
    /// with that actor's state, use [`submit_notify`](Self::submit_notify).
    ///
    /// # Errors
    /// As [`submit`](Self::submit); the callback is then dropped, not called.
    pub fn submit_with_callback<F, T, C>(
        &self,
        task: F,
        callback: C,
    ) -> Result<TaskHandle<T>, SendError<F, PoolError>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
        C: FnOnce(&Result<T, PoolError>) + Send + 'static,
    {
        self.submit_inner(Blocking(task), Some(Box::new(callback)))
    }

    fn submit_inner<W: Work>(
        &self,
        work: W,
        callback: Option<Callback<W::Output>>,
    ) -> Result<TaskHandle<W::Output>, SendError<W::Given, PoolError>> {
        let task = self.next_task();
        let (handle, sink) = TaskHandle::new(self.id(), task, callback);
        self.enqueue(task, work, sink)?;
        Ok(handle)
    }

    /// Submits a closure whose outcome is sent, as a [`TaskDone`] message,
    /// to `to`: typically the submitting actor itself
    /// (`ctx.actor_ref().recipient()`), whose handler for `TaskDone` is then
    /// the callback, run by the submitter with its own state, one message at a
    /// time like any other. The message is sent (queued) before
    /// [`join`](Self::join) returns, unless the recipient's mailbox was full;
    /// then it follows as soon as there is room.
    ///
    /// # Errors
    /// As [`submit`](Self::submit).
    pub fn submit_notify<F, T>(
        &self,
        task: F,
        to: Recipient<TaskDone<T>>,
    ) -> Result<TaskId, SendError<F, PoolError>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let id = self.next_task();
        self.enqueue(id, Blocking(task), notify_sink(id, to))?;
        Ok(id)
    }

    /// Runs a closure on a worker and waits for its value: Python's `apply`.
    ///
    /// # Errors
    /// As [`submit`](Self::submit) (the closure is dropped) and
    /// [`TaskHandle::result`].
    pub async fn apply<F, T>(&self, task: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.submit(task)?.result().await
    }

    /// Applies `f` to every item on the pool's workers and returns the
    /// results in input order: Python's `map`. The items run concurrently, at
    /// most [`size`](Self::size) at once.
    ///
    /// # Errors
    /// The first failure in input order ([`PoolError::TaskFailed`] if `f`
    /// panicked on that item); [`PoolError::Closed`] if the pool refused the
    /// items (those submitted before the refusal still run, and the rest are
    /// dropped).
    pub async fn map<I, T, F>(
        &self,
        items: impl IntoIterator<Item = I>,
        f: F,
    ) -> Result<Vec<T>, PoolError>
    where
        I: Send + 'static,
        T: Send + 'static,
        F: Fn(I) -> T + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let handles = items
            .into_iter()
            .map(|item| {
                let f = f.clone();
                self.submit(move || f(item)).map_err(PoolError::from)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut results = Vec::with_capacity(handles.len());
        for handle in handles {
            results.push(handle.result().await?);
        }
        Ok(results)
    }

    /// Applies `f` to every item on the pool's workers and yields each
    /// outcome as soon as it is ready, with its input's index: Python's
    /// `imap_unordered`. A failure is one item's outcome; the others go on.
    ///
    /// # Errors
    /// [`PoolError::Closed`] if the pool refused the items (those submitted
    /// before the refusal still run, and the rest are dropped).
    pub fn map_unordered<I, T, F>(
        &self,
        items: impl IntoIterator<Item = I>,
        f: F,
    ) -> Result<Unordered<T>, PoolError>
    where
        I: Send + 'static,
        T: Send + 'static,
        F: Fn(I) -> T + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let (tx, rx) = mpsc::unbounded_channel();
        let mut results = Unordered::new(rx);
        for (index, item) in items.into_iter().enumerate() {
            let f = f.clone();
            let tx = tx.clone();
            let sink: Sink<T> = Box::new(move |outcome| {
                let _ = tx.send((index, outcome));
            });
            self.enqueue(self.next_task(), Blocking(move || f(item)), sink)
                .map_err(PoolError::from)?;
            results.expect_one_more();
        }
        Ok(results)
    }

    /// Refuses new tasks from now on; those already submitted still run.
    /// Returns at once: await [`join`](Self::join) for them to finish.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let _ = self.dispatcher.try_tell(Close);
    }

    /// Waits until every task submitted has finished (values delivered,
    /// callbacks run), once the pool is closed: Python's `join`. Returns at
    /// once if the pool was terminated or has ended.
    ///
    /// # Errors
    /// [`PoolError::NotClosed`] if neither [`close`](Self::close) nor
    /// [`terminate`](Self::terminate) was called first (new tasks could keep
    /// it waiting forever).
    pub async fn join(&self) -> Result<(), PoolError> {
        match self.dispatcher.ask(Join).await {
            Ok(Ok(joined)) => {
                // A dropped sender means the pool ended: nothing to wait for.
                let _ = joined.await;
                Ok(())
            }
            Ok(Err(error)) => Err(error),
            // The dispatcher has ended, and every task with it.
            Err(_) => Ok(()),
        }
    }

    /// Stops the pool now: Python's `terminate`. Queued tasks never run; the
    /// workers are killed, which drops running futures at their next await
    /// (a closure already running on a thread cannot be interrupted: it runs
    /// to its end and its value is dropped). Every unfinished task's handle
    /// reports [`PoolError::Terminated`]. Returns once the workers have ended.
    pub async fn terminate(&self) {
        self.closed.store(true, Ordering::Release);
        if self.dispatcher.ask(Terminate).await.is_ok() {
            self.dispatcher.join().await;
        }
    }

    /// How the pool is doing now: running and queued tasks, totals.
    ///
    /// # Errors
    /// [`Error::Stopped`](crate::Error::Stopped) if the pool has ended (after `terminate`, or when
    /// its workers' supervisor gave up).
    pub async fn stats(&self) -> Result<PoolStats, PoolError> {
        self.dispatcher.ask(Stats).await.map_err(Into::into)
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("id", &self.id())
            .field("size", &self.size)
            .field("closed", &self.is_closed())
            .finish()
    }
}
