//! Other processes, seen from a test: whether one still runs.

/// Whether process `pid` has ended: it is not there, or it is a zombie
/// (dead, waiting for a parent to reap it; a process whose parent died is
/// reaped by init whenever init gets to it).
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command's closing parenthesis.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}
