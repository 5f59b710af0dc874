//! A pool task's identity, and the ways its outcome reaches the submitter: a
//! [`TaskHandle`] to await, a callback, a [`TaskDone`] message, or a place in
//! an [`Unordered`] stream of results.
//!
//! Whatever the way, the outcome is delivered exactly once: by the task when
//! it finishes, by the pool when the task fails or is refused, or, if neither
//! happened because the pool itself went away, by the last owner of the
//! task's [`Completion`] when it is dropped. So a handle never waits forever.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::PoolError;
use crate::ActorId;
use crate::Error;
use crate::Message;
use crate::Recipient;
use crate::StopReason;

/// Identifies one task of a pool. A pool numbers its tasks from 1 in the order
/// they were submitted; it displays as `#7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl TaskId {
    /// The task's number within its pool.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a task's outcome goes, called once.
pub(crate) type Sink<T> = Box<dyn FnOnce(Result<T, PoolError>) + Send>;
/// A callback given to `submit_with_callback`.
pub(crate) type Callback<T> = Box<dyn FnOnce(&Result<T, PoolError>) + Send>;

/// The one-time delivery of a task's outcome, shared by whoever may deliver
/// it (the worker's side on success, the dispatcher on failure).
pub(crate) struct Completion<T> {
    pool: ActorId,
    task: TaskId,
    sink: Mutex<Option<Sink<T>>>,
}

impl<T> Completion<T> {
    pub(crate) fn new(pool: ActorId, task: TaskId, sink: Sink<T>) -> Arc<Self> {
        Arc::new(Completion {
            pool,
            task,
            sink: Mutex::new(Some(sink)),
        })
    }

    /// Delivers `outcome`, unless an outcome was delivered already.
    pub(crate) fn finish(&self, outcome: Result<T, PoolError>) {
        // Taken under the lock, called outside it: the sink may run a user's
        // callback.
        let sink = self
            .sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(sink) = sink {
            sink(outcome);
        }
    }

    /// Forgets the sink without calling it: the task was handed back to the
    /// submitter, so there is no outcome to report.
    pub(crate) fn disarm(&self) {
        drop(
            self.sink
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }
}

impl<T> Drop for Completion<T> {
    /// Nobody delivered an outcome and nobody can any more: the pool ended
    /// (killed, or its runtime shut down) with the task still in it.
    fn drop(&mut self) {
        let sink = self
            .sink
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(sink) = sink {
            sink(Err(PoolError::Terminated {
                pool: self.pool,
                task: self.task,
            }));
        }
    }
}

/// A task's outcome as a handle keeps it.
struct Outcome<T> {
    pool: ActorId,
    task: TaskId,
    value: Mutex<Option<Result<T, PoolError>>>,
}

/// The future result of a task submitted to a [`Pool`](super::Pool): Python's
/// `AsyncResult`.
///
/// Await it (or call [`result`](Self::result)) for the task's value; check
/// [`is_ready`](Self::is_ready) without waiting; or wait with a time limit
/// with [`wait_timeout`](Self::wait_timeout) and take the result afterwards.
/// Dropping the handle does not cancel the task.
pub struct TaskHandle<T> {
    outcome: Arc<Outcome<T>>,
    ready: watch::Receiver<bool>,
}

impl<T: Send + 'static> TaskHandle<T> {
    /// A handle and the sink that completes it. With a callback, the sink
    /// runs it on the outcome first, then makes the handle ready.
    pub(crate) fn new(
        pool: ActorId,
        task: TaskId,
        callback: Option<Callback<T>>,
    ) -> (Self, Sink<T>) {
        let outcome = Arc::new(Outcome {
            pool,
            task,
            value: Mutex::new(None),
        });
        let (ready_tx, ready) = watch::channel(false);
        let shared = outcome.clone();
        let sink: Sink<T> = Box::new(move |result| {
            if let Some(callback) = callback {
                // A panicking callback must not keep the outcome from the
                // handle, nor unwind into the pool.
                if let Err(panic) = catch_unwind(AssertUnwindSafe(|| callback(&result))) {
                    tracing::error!(
                        task = %task,
                        "{}",
                        StopReason::from_panic("a pool task's callback", &*panic)
                    );
                }
            }
            *shared.value.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
            ready_tx.send_replace(true);
        });
        (TaskHandle { outcome, ready }, sink)
    }

    /// The task's id within its pool.
    pub fn id(&self) -> TaskId {
        self.outcome.task
    }

    /// Whether the task has finished (or failed): Python's `ready()`.
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// `Some(true)` if the task finished with a value, `Some(false)` if it
    /// failed, `None` while it is not ready: Python's `successful()`.
    pub fn is_successful(&self) -> Option<bool> {
        self.outcome
            .value
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(Result::is_ok)
    }

    /// Waits until the task is ready: Python's `wait()`.
    pub async fn wait(&self) {
        let mut ready = self.ready.clone();
        // An error means the sink was dropped without being called, which
        // `Completion` rules out; `result` reports it if it ever happens.
        let _ = ready.wait_for(|ready| *ready).await;
    }

    /// Waits at most `timeout` for the task to be ready; returns whether it
    /// is: Python's `wait(timeout)`. The handle stays usable either way.
    pub async fn wait_timeout(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.wait()).await.is_ok()
    }

    /// Waits for the task and returns its value: Python's `get()`.
    ///
    /// # Errors
    /// [`PoolError::TaskFailed`] if the task panicked (its worker was restarted);
    /// [`PoolError::Closed`] if the pool refused it; [`PoolError::Terminated`]
    /// if the pool was terminated before it finished.
    pub async fn result(self) -> Result<T, PoolError> {
        self.wait().await;
        self.outcome
            .value
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or(Err(PoolError::Terminated {
                pool: self.outcome.pool,
                task: self.outcome.task,
            }))
    }
}

impl<T: Send + 'static> IntoFuture for TaskHandle<T> {
    type Output = Result<T, PoolError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, PoolError>> + Send>>;

    /// `handle.await` is `handle.result().await`.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.result())
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("pool", &self.outcome.pool)
            .field("task", &self.outcome.task)
            .field("ready", &*self.ready.borrow())
            .finish()
    }
}

/// The message a task's outcome arrives in when it was submitted with
/// [`Pool::submit_notify`](super::Pool::submit_notify): the submitting actor's
/// handler for it is the task's callback.
#[derive(Debug)]
pub struct TaskDone<T> {
    /// Which task.
    pub task: TaskId,
    /// Its value, or why there is none (as [`TaskHandle::result`] reports it).
    pub result: Result<T, PoolError>,
}

impl<T: Send + 'static> Message for TaskDone<T> {
    type Reply = ();
}

/// A sink that tells `to` the outcome. It never waits: when the mailbox is
/// full, a separate task waits for room, so that the pool is never held up by
/// a slow submitter.
pub(crate) fn notify_sink<T: Send + 'static>(task: TaskId, to: Recipient<TaskDone<T>>) -> Sink<T> {
    Box::new(move |result| {
        let Err(refused) = to.try_tell(TaskDone { task, result }) else {
            return;
        };
        if matches!(refused.error, Error::MailboxFull { .. }) {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = to.tell(refused.message).await;
                });
            }
        }
    })
}

/// The results of [`Pool::map_unordered`](super::Pool::map_unordered), in the
/// order the tasks finish, each with the index of its input.
#[derive(Debug)]
pub struct Unordered<T> {
    results: mpsc::UnboundedReceiver<(usize, Result<T, PoolError>)>,
    remaining: usize,
}

impl<T: Send + 'static> Unordered<T> {
    pub(crate) fn new(results: mpsc::UnboundedReceiver<(usize, Result<T, PoolError>)>) -> Self {
        Unordered {
            results,
            remaining: 0,
        }
    }

    pub(crate) fn expect_one_more(&mut self) {
        self.remaining += 1;
    }

    /// The next task to finish: the index of its input and its outcome (as
    /// [`TaskHandle::result`] reports it). `None` once every result was taken.
    pub async fn next(&mut self) -> Option<(usize, Result<T, PoolError>)> {
        if self.remaining == 0 {
            return None;
        }
        let next = self.results.recv().await;
        if next.is_some() {
            self.remaining -= 1;
        }
        next
    }

    /// How many results have not been taken yet.
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// Waits for every remaining result, in completion order.
    pub async fn collect(mut self) -> Vec<(usize, Result<T, PoolError>)> {
        let mut all = Vec::with_capacity(self.remaining);
        while let Some(next) = self.next().await {
            all.push(next);
        }
        all
    }
}
