//! Deliberate panics without the noise: a test that makes an actor panic on
//! purpose installs a panic hook that stays silent for those panics and
//! reports every other one as the default hook would, so that a real
//! assertion failure still shows.
//!
//! A panic hook is global to the test binary, so the hook is installed once
//! per binary: the first call to [`quiet_deliberate_panics`] or
//! [`quiet_panics_where`] decides which panics are silent, and later calls do
//! nothing.

use std::panic::PanicHookInfo;
use std::sync::Once;

/// The marker that deliberate panics in the tests start their message with.
pub const DELIBERATE: &str = "deliberate test panic";

static INSTALL: Once = Once::new();

/// Installs (once per test binary) a panic hook that stays silent for panics
/// whose message starts with [`DELIBERATE`] and reports every other panic as
/// the default hook would, so real assertion failures still show (even when
/// they quote a deliberate panic's message).
pub fn quiet_deliberate_panics() {
    quiet_panics_where(|message| message.starts_with(DELIBERATE));
}

/// Installs (once per test binary) a panic hook that stays silent for panics
/// whose message `is_deliberate` accepts, and reports every other panic as
/// the default hook would. For panics whose messages are not the tests' own
/// (an example's, say), which cannot start with [`DELIBERATE`].
pub fn quiet_panics_where(is_deliberate: fn(&str) -> bool) {
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if !is_deliberate(message(info)) {
                default(info);
            }
        }));
    });
}

/// The text of a panic, or `""` when its payload is not a string.
fn message<'a>(info: &'a PanicHookInfo<'_>) -> &'a str {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("")
}
