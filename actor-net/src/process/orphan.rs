//! No orphans: a child process that hosts an actor must not outlive its
//! parent, whose mailbox it serves. On Linux the child asks the kernel for
//! SIGKILL when its parent dies (`PR_SET_PDEATHSIG`), then closes the race
//! in which the parent died between the fork and that request, which no
//! signal would report. Elsewhere the child relies on losing its connection
//! to the parent, which the hosting code treats as the end.

/// The status with which [`die_with_parent`] ends a process whose parent is
/// already gone: distinct from a panic's 101 and from the small statuses
/// programs use, so that a parent (or a test) that sees it knows why.
pub const PARENT_GONE_STATUS: i32 = 113;

/// What went wrong asking to die with the parent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrphanError {
    /// The kernel refused the parent death signal.
    #[error("could not ask for SIGKILL on the parent's death (prctl PR_SET_PDEATHSIG): {source}; the child would outlive its parent, so end it instead of hosting the actor")]
    DeathSignal {
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// Makes this process die (SIGKILL) when its parent dies, `parent_pid`
/// being the pid the parent handed over (its own `std::process::id()`).
///
/// If the parent is already gone (this process was reparented, so
/// `getppid()` is no longer `parent_pid`), no death signal will ever come,
/// and the process exits at once with [`PARENT_GONE_STATUS`], without
/// running destructors: nothing it holds matters without its parent.
///
/// The kernel sends the signal when the *thread* that spawned this process
/// ends, not the parent process: the parent must spawn its children from a
/// thread that lives as long as it does (not a blocking-pool thread, which
/// ends when idle).
///
/// On targets other than Linux this does nothing and returns `Ok(())`: the
/// child relies on losing its connection to the parent.
#[cfg(target_os = "linux")]
pub fn die_with_parent(parent_pid: u32) -> Result<(), OrphanError> {
    // SAFETY: PR_SET_PDEATHSIG reads only its second argument, a signal
    // number, passed as the unsigned long the kernel expects; it touches no
    // memory of ours. Failure is reported through the return value.
    let set = unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if set != 0 {
        return Err(OrphanError::DeathSignal {
            source: std::io::Error::last_os_error(),
        });
    }
    // Asked after the prctl: if the parent dies later, the signal comes; if
    // it died before, the process has been reparented already and this sees
    // it.
    // SAFETY: getppid has no preconditions and cannot fail.
    let parent_now = unsafe { libc::getppid() };
    if u32::try_from(parent_now).ok() != Some(parent_pid) {
        std::process::exit(PARENT_GONE_STATUS);
    }
    Ok(())
}

/// Makes this process die when its parent dies: on this target, nothing to
/// do (see the Linux version); the child relies on losing its connection to
/// the parent.
#[cfg(not(target_os = "linux"))]
pub fn die_with_parent(parent_pid: u32) -> Result<(), OrphanError> {
    let _ = parent_pid;
    Ok(())
}
