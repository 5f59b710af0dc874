//! Bounded waiting: a test awaits what it expects with a limit, so that a
//! regression fails the test with a message instead of hanging it. Under
//! tokio's paused clock the limits are virtual time: when nothing else can
//! run, the clock jumps to them at once.

use std::future::Future;
use std::time::Duration;

/// How long [`within`] (and [`Recorder::wait_for`](crate::Recorder::wait_for))
/// wait for an event before failing the test.
pub const PATIENCE: Duration = Duration::from_secs(600);

/// Awaits `future`, failing the test if it takes longer than [`PATIENCE`];
/// `what` names the awaited event in the failure.
pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// Awaits `future`, failing the test instead of hanging if it would wait for
/// ever: on the paused clock the hour passes at once when nothing can run.
pub async fn soon<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(3600), future)
        .await
        .expect("this would have waited for ever")
}
