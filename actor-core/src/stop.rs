//! Why an actor stopped.
//!
//! A [`StopReason`] is a value: it is what [`ActorRef::join`](crate::ActorRef::join)
//! returns, what the `stopped` hook receives, and what an asker is told when the
//! actor ended before replying. It prints as-is in logs.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// Why an actor stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// It stopped by itself or on request, after handling what it had to handle,
    /// or because no strong reference to it was left.
    Normal,
    /// Its parent stopped, and stopped its children with it.
    Shutdown,
    /// It was killed: stopped at once, without handling what was queued.
    Killed,
    /// A handler or a lifecycle hook panicked or returned an error. The text is
    /// the panic message or the error, prefixed with where it happened.
    Failed(Arc<str>),
    /// The program an actor stood for (a toolbox `Port`, say) exited with this nonzero
    /// status (a zero status ends the port with [`StopReason::Normal`]).
    ExitStatus(i32),
}

impl StopReason {
    /// A failure with the given description.
    pub fn failed(description: impl fmt::Display) -> Self {
        StopReason::Failed(description.to_string().into())
    }

    /// Whether the actor failed (as opposed to stopping on purpose). A port
    /// whose program exited with a nonzero status failed.
    pub fn is_failure(&self) -> bool {
        matches!(self, StopReason::Failed(_) | StopReason::ExitStatus(_))
    }

    /// A failure built from a caught panic's payload (what
    /// [`std::panic::catch_unwind`] returns): `Failed("panicked in PLACE:
    /// MESSAGE")`, with the panic's message when it is text.
    ///
    /// ```
    /// use actor_core::StopReason;
    ///
    /// let panic = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
    /// let reason = StopReason::from_panic("my task", &*panic);
    /// assert_eq!(reason.to_string(), "failed: panicked in my task: boom");
    /// ```
    pub fn from_panic(place: &str, payload: &(dyn Any + Send)) -> Self {
        StopReason::failed(panic_message(place, payload))
    }
}

/// "panicked in PLACE: MESSAGE", from a caught panic's payload.
pub(crate) fn panic_message(place: &str, payload: &(dyn Any + Send)) -> String {
    let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "a panic with a non-text payload"
    };
    format!("panicked in {place}: {message}")
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Normal => f.write_str("normal"),
            StopReason::Shutdown => f.write_str("shutdown"),
            StopReason::Killed => f.write_str("killed"),
            StopReason::Failed(why) => write!(f, "failed: {why}"),
            StopReason::ExitStatus(code) => write!(f, "program exited with status {code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_payloads_become_readable_reasons() {
        let text: Box<dyn Any + Send> = Box::new("boom");
        let owned: Box<dyn Any + Send> = Box::new(String::from("bang 7"));
        let other: Box<dyn Any + Send> = Box::new(7_u8);
        assert_eq!(
            StopReason::from_panic("handler", &*text).to_string(),
            "failed: panicked in handler: boom"
        );
        assert!(StopReason::from_panic("started", &*owned)
            .to_string()
            .ends_with("bang 7"));
        assert!(StopReason::from_panic("x", &*other).is_failure());
    }
}
