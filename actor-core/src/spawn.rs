//! [`spawn`]: starting an actor with no parent.

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::runtime::task;

/// Spawns an actor with no parent on the current tokio runtime and returns a
/// reference to it. The actor runs until it stops itself, is stopped or killed,
/// fails, or the last strong reference to it is dropped.
///
/// ```
/// use actor_core::{spawn, Actor};
///
/// struct Idle;
/// impl Actor for Idle {}
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let idle = spawn(Idle);
/// idle.stop();
/// assert_eq!(idle.join().await, actor_core::StopReason::Normal);
/// # }
/// ```
///
/// # Panics
/// When called outside a tokio runtime, like `tokio::spawn`.
pub fn spawn<A: Actor>(actor: A) -> ActorRef<A> {
    task::start(actor, None)
}
