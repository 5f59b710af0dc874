//! Which actor's handler the current thread is running, so that a send
//! from inside a handler to its own actor that would wait (an ask, or a
//! tell to a full mailbox) fails at once instead of deadlocking: the actor
//! cannot take the message until the handler that waits for it returns.
//! Erlang's `gen_server:call` to itself fails the same way (`calling_self`).
//!
//! The mark is set while the message loop polls a handler, which is when a
//! send the handler awaits is first polled. Work a handler hands to another
//! task (`tokio::spawn`) runs outside the mark, and may wait for its actor.

use std::cell::Cell;

use crate::ActorId;

thread_local! {
    static HANDLING: Cell<Option<ActorId>> = const { Cell::new(None) };
}

/// Runs `poll` marked as the handler of actor `id`; the previous mark comes
/// back afterwards, even if `poll` panics.
pub(crate) fn as_handler_of<R>(id: ActorId, poll: impl FnOnce() -> R) -> R {
    struct Restore(Option<ActorId>);
    impl Drop for Restore {
        fn drop(&mut self) {
            HANDLING.set(self.0);
        }
    }
    let _restore = Restore(HANDLING.replace(Some(id)));
    poll()
}

/// Whether this thread is running a handler of actor `id` right now.
pub(crate) fn is_handling(id: ActorId) -> bool {
    HANDLING.get() == Some(id)
}
