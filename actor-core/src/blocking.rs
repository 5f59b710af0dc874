//! Blocking and CPU-heavy work inside actors.
//!
//! A handler runs on one of the runtime's worker threads; while it computes
//! without awaiting, no other actor can use that thread. Long computations and
//! blocking calls belong on tokio's blocking pool: [`run_blocking`] sends the
//! work there and awaits it, so the handler's actor waits for the result (its
//! messages stay in order) while every other actor keeps running. Independent
//! computations in different actors then use every core.

use crate::error::Error;
use crate::stop::panic_message;

/// Runs `work` on the blocking thread pool and returns its result.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let sum = actor_core::run_blocking(|| (1..=1_000u64).sum::<u64>()).await;
/// assert_eq!(sum, Ok(500_500));
/// # }
/// ```
///
/// # Errors
/// [`Error::BlockingFailed`] if `work` panicked (with its message) or the
/// runtime shut down first.
pub async fn run_blocking<T, F>(work: F) -> Result<T, Error>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        let reason = if e.is_panic() {
            panic_message("blocking work", &*e.into_panic())
        } else {
            "the runtime shut down before the work finished".to_owned()
        };
        Error::BlockingFailed { reason }
    })
}
