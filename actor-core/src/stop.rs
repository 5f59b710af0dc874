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
    /// The process an actor stood for, or ran in, was killed by this
    /// signal: SIGKILL from outside, SIGSEGV for a segfault, SIGABRT for
    /// `abort()`. Shown with the signal's name where it is known.
    Signal(i32),
}

impl StopReason {
    /// A failure with the given description.
    pub fn failed(description: impl fmt::Display) -> Self {
        StopReason::Failed(description.to_string().into())
    }

    /// Whether the actor failed (as opposed to stopping on purpose). A port
    /// whose program exited with a nonzero status failed.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            StopReason::Failed(_) | StopReason::ExitStatus(_) | StopReason::Signal(_)
        )
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

impl From<std::process::ExitStatus> for StopReason {
    /// How a process that ended stands as a reason: [`Normal`] for a
    /// success, [`ExitStatus`] for a nonzero status, [`Signal`] for a
    /// process a signal killed.
    ///
    /// [`Normal`]: StopReason::Normal
    /// [`ExitStatus`]: StopReason::ExitStatus
    /// [`Signal`]: StopReason::Signal
    fn from(status: std::process::ExitStatus) -> Self {
        if status.success() {
            return StopReason::Normal;
        }
        if let Some(code) = status.code() {
            return StopReason::ExitStatus(code);
        }
        #[cfg(unix)]
        if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
            return StopReason::Signal(signal);
        }
        StopReason::failed(format_args!("the process ended without a status: {status}"))
    }
}

/// The name of signal `number` ("SIGKILL"), for the signals whose number
/// is the same on every Unix, and on Linux for the others too; `None` for
/// any other number.
pub(crate) fn signal_name(number: i32) -> Option<&'static str> {
    let name = match number {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return linux_signal_name(number),
    };
    Some(name)
}

#[cfg(target_os = "linux")]
fn linux_signal_name(number: i32) -> Option<&'static str> {
    let name = match number {
        7 => "SIGBUS",
        10 => "SIGUSR1",
        12 => "SIGUSR2",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => return None,
    };
    Some(name)
}

#[cfg(not(target_os = "linux"))]
fn linux_signal_name(_number: i32) -> Option<&'static str> {
    None
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Normal => f.write_str("normal"),
            StopReason::Shutdown => f.write_str("shutdown"),
            StopReason::Killed => f.write_str("killed"),
            StopReason::Failed(why) => write!(f, "failed: {why}"),
            StopReason::ExitStatus(code) => write!(f, "program exited with status {code}"),
            StopReason::Signal(number) => match signal_name(*number) {
                Some(name) => write!(f, "killed by signal {number} ({name})"),
                None => write!(f, "killed by signal {number}"),
            },
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

    #[test]
    fn a_signal_is_a_failure_shown_with_its_name() {
        assert!(StopReason::Signal(9).is_failure());
        assert_eq!(
            StopReason::Signal(9).to_string(),
            "killed by signal 9 (SIGKILL)"
        );
        assert_eq!(
            StopReason::Signal(11).to_string(),
            "killed by signal 11 (SIGSEGV)"
        );
        assert_eq!(
            StopReason::Signal(6).to_string(),
            "killed by signal 6 (SIGABRT)"
        );
        assert_eq!(StopReason::Signal(64).to_string(), "killed by signal 64");
    }
}
