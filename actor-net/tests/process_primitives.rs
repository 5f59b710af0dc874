//! The OS layer under process-hosted actors, with real child processes: the
//! test binary re-executes itself (`--exact child_role`) with [`ROLE`] in its
//! environment saying which child it is. The progress record must hold a
//! SIGKILLed child's last stores and refuse planted files; a grandchild must
//! die with its parent, and one whose parent is already gone must exit.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{symlink, OpenOptionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actor_net::__testing::process::{
    die_with_parent, ProgressError, ProgressFile, ProgressRecord, PARENT_GONE_STATUS, RECORD_LEN,
};
use actor_test_support::process_gone;

/// Set in a child's environment: which child it is (`writer`, `middle`,
/// `grandchild`, `wrong-parent`).
const ROLE: &str = "ACTOR_NET_TEST_PROCESS_ROLE";
/// The writer's record path.
const RECORD: &str = "ACTOR_NET_TEST_PROCESS_RECORD";
/// The sequence number at which the writer kills itself.
const KILL_AT: &str = "ACTOR_NET_TEST_PROCESS_KILL_AT";
/// What the writer prints once its record is open.
const OPENED: &str = "WRITER-OPENED";
/// What the middle prints, followed by its grandchild's pid, once that one
/// is armed.
const GRANDCHILD: &str = "GRANDCHILD-PID ";

/// The children's side: plays the role [`ROLE`] names. In the parent's own
/// run, it returns at once.
#[test]
fn child_role() {
    let Some(role) = std::env::var_os(ROLE) else {
        return;
    };
    match role.to_str() {
        Some("writer") => writer(),
        Some("middle") => middle(),
        Some("grandchild") => grandchild(),
        Some("wrong-parent") => wrong_parent(),
        other => panic!("no such role: {other:?}"),
    }
}

/// This test binary, as a child of the given role.
fn child(role: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("this test binary"));
    command
        .args(["--exact", "child_role", "--nocapture", "--test-threads=1"])
        .env(ROLE, role);
    command
}

/// Kills this process with SIGKILL: no unwinding, no flush, no exit handler.
fn kill_myself() -> ! {
    // SAFETY: kill and getpid take and touch no memory; a signal the
    // process sends itself, unblocked, is delivered before kill returns.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    unreachable!("SIGKILL ends the process before kill returns");
}

/// The writer: opens the record, waits for a line on stdin (the parent has
/// removed the record's name meanwhile), then stores started = n and
/// finished = n - 1 for n in 1..=1000, and kills itself right after the
/// stores for n = [`KILL_AT`].
fn writer() {
    let path = std::env::var_os(RECORD).expect("the record's path");
    let kill_at: u64 = std::env::var(KILL_AT)
        .expect("where to die")
        .parse()
        .expect("a number");
    let (started, finished) = ProgressRecord::open(Path::new(&path))
        .expect("the record opens")
        .leak();
    println!("{OPENED}");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("the go line");
    for n in 1..=1000 {
        started.store(n, Ordering::Release);
        finished.store(n - 1, Ordering::Release);
        if n == kill_at {
            kill_myself();
        }
    }
    panic!("KILL_AT {kill_at} is not in 1..=1000");
}

/// The middle: spawns the grandchild (which inherits its stdin, so that
/// stdin does not close when the middle dies), forwards the grandchild's pid
/// once it is armed, and kills itself.
#[expect(
    clippy::zombie_processes,
    reason = "the middle dies without reaping its child: orphaning it is the test"
)]
fn middle() {
    let mut grandchild = child("grandchild")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the grandchild starts");
    let pid = after_marker(grandchild.stdout.take().expect("its stdout"), GRANDCHILD);
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{GRANDCHILD}{pid}").expect("the pid is forwarded");
    stdout.flush().expect("the pid is forwarded");
    kill_myself();
}

/// The grandchild: dies with the middle, says so with its pid, and then
/// waits on stdin, which outlives the middle (the test holds it open), so
/// only the death signal can end it before the test does.
fn grandchild() {
    // SAFETY: getppid has no preconditions and cannot fail.
    let parent = unsafe { libc::getppid() };
    die_with_parent(u32::try_from(parent).expect("a pid")).expect("armed");
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{GRANDCHILD}{}", std::process::id()).expect("the pid is told");
    stdout.flush().expect("the pid is told");
    let mut rest = String::new();
    let _ = std::io::stdin().read_line(&mut rest);
}

/// A child given a pid that is not its parent's, as if its parent had died
/// before the call: must exit with [`PARENT_GONE_STATUS`].
fn wrong_parent() {
    // Its own pid is the one pid sure not to be its parent's.
    let _ = die_with_parent(std::process::id());
    println!("die_with_parent returned");
    std::process::exit(0);
}

/// What follows `marker` on the first line of `from` that has it: the test
/// harness prints lines of its own, and starts the line of a test's output
/// with the test's name (`test child_role ... `).
fn after_marker(from: impl std::io::Read, marker: &str) -> String {
    BufReader::new(from)
        .lines()
        .map(|line| line.expect("a line"))
        .find_map(|line| line.split_once(marker).map(|(_, rest)| rest.to_owned()))
        .unwrap_or_else(|| panic!("no line with {marker:?}"))
}

/// Kills and reaps `child` if it is still running, so that a failing test
/// leaves no process behind.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A SIGKILLed child's last stores are all in the record, whatever the
/// point of death: started = k and finished = k - 1, read after the child
/// is gone and after the record's name was removed.
#[test]
fn the_record_survives_a_sigkill() {
    for kill_at in [1u64, 537, 1000] {
        let record = ProgressFile::create(&std::env::temp_dir()).expect("a record");
        assert_eq!((record.started(), record.finished()), (0, 0));
        let mut writer = Reaped(
            child("writer")
                .env(RECORD, record.path())
                .env(KILL_AT, kill_at.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("the writer starts"),
        );
        let opened = after_marker(writer.0.stdout.take().expect("its stdout"), OPENED);
        assert_eq!(opened, "");
        record.remove_file().expect("the name is removed");
        assert!(!record.path().exists());
        let mut stdin = writer.0.stdin.take().expect("its stdin");
        stdin.write_all(b"go\n").expect("the go line");
        drop(stdin);
        let status = writer.0.wait().expect("the writer ends");
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
        assert_eq!(
            (record.started(), record.finished()),
            (kill_at, kill_at - 1),
            "killed at {kill_at}"
        );
    }
}

/// A unique path in the temporary directory, for files planted by hand.
fn planted_path(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "actor-net-test-planted-{}-{what}",
        std::process::id()
    ))
}

/// A file planted by hand at a fresh path, of `len` bytes and `mode`.
fn plant(what: &str, len: u64, mode: u32) -> PathBuf {
    let path = planted_path(what);
    let _ = std::fs::remove_file(&path);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&path)
        .expect("planted");
    file.set_len(len).expect("sized");
    // The umask may have narrowed the mode asked for.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))
        .expect("mode set");
    path
}

/// Anything at a record's path but a private one-page file of this user is
/// refused: a symbolic link (to a real record, even), a file of another
/// size, one others may read, a directory, nothing.
#[test]
fn planted_files_are_refused() {
    let real = ProgressFile::create(&std::env::temp_dir()).expect("a record");
    ProgressRecord::open(real.path()).expect("the real record opens");

    let link = planted_path("link");
    let _ = std::fs::remove_file(&link);
    symlink(real.path(), &link).expect("a symlink");
    let refused = ProgressRecord::open(&link);
    let _ = std::fs::remove_file(&link);
    match refused {
        Err(ProgressError::Open { source, .. }) => {
            assert_eq!(source.raw_os_error(), Some(libc::ELOOP), "{source}")
        }
        other => panic!("a symlink was not refused: {other:?}"),
    }

    for (what, len, mode, reason) in [
        ("short", RECORD_LEN as u64 - 1, 0o600, "size"),
        ("long", 2 * RECORD_LEN as u64, 0o600, "size"),
        ("empty", 0, 0o600, "size"),
        ("shared", RECORD_LEN as u64, 0o644, "other users"),
    ] {
        let path = plant(what, len, mode);
        let refused = ProgressRecord::open(&path);
        let _ = std::fs::remove_file(&path);
        match refused {
            Err(error @ ProgressError::NotARecord { .. }) => {
                assert!(error.to_string().contains(reason), "{what}: {error}")
            }
            other => panic!("a {what} file was not refused: {other:?}"),
        }
    }

    assert!(matches!(
        ProgressRecord::open(&std::env::temp_dir()),
        Err(ProgressError::Open { .. } | ProgressError::NotARecord { .. })
    ));
    assert!(matches!(
        ProgressRecord::open(&planted_path("nothing")),
        Err(ProgressError::Open { .. })
    ));
}

/// A record is never created over anything already at its path: not a
/// file (left as it was), not a dangling symbolic link (whose target is not
/// created).
#[test]
fn creating_over_an_existing_name_fails() {
    let path = plant("existing", 5, 0o600);
    let refused = ProgressFile::create_at(&path);
    let len = std::fs::metadata(&path).map(|m| m.len());
    let _ = std::fs::remove_file(&path);
    assert!(
        matches!(refused, Err(ProgressError::Create { .. })),
        "{refused:?}"
    );
    assert_eq!(len.expect("still there"), 5, "the file was left as it was");

    let link = planted_path("dangling");
    let target = planted_path("dangling-target");
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_file(&target);
    symlink(&target, &link).expect("a symlink");
    let refused = ProgressFile::create_at(&link);
    let _ = std::fs::remove_file(&link);
    let target_made = target.exists();
    let _ = std::fs::remove_file(&target);
    assert!(
        matches!(refused, Err(ProgressError::Create { .. })),
        "{refused:?}"
    );
    assert!(!target_made, "the link's target was created");
}

/// A grandchild that asked to die with its parent dies when the parent is
/// SIGKILLed, although nothing else would end it (its stdin stays open).
#[test]
fn a_child_dies_with_its_parent() {
    let mut middle = Reaped(
        child("middle")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the middle starts"),
    );
    // Held until the end: the grandchild's stdin, which must not be what
    // ends it.
    let _stdin = middle.0.stdin.take().expect("the middle's stdin");
    let pid: u32 = after_marker(middle.0.stdout.take().expect("its stdout"), GRANDCHILD)
        .parse()
        .expect("a pid");
    let status = middle.0.wait().expect("the middle ends");
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
    // The grandchild is no child of ours, so there is no exit to wait for:
    // polling /proc, with a short sleep, is all there is.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !process_gone(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let survived = !process_gone(pid);
    if survived {
        // SAFETY: kill touches no memory; `pid` is the grandchild's, alive
        // a moment ago.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
    assert!(!survived, "the grandchild {pid} outlived its parent by 5 s");
}

/// A child whose parent is gone before it asks (its parent pid is not the
/// one handed over) exits at once, with the documented status.
#[test]
fn a_child_whose_parent_is_gone_exits() {
    let output = child("wrong-parent")
        .stdin(Stdio::null())
        .output()
        .expect("the child runs");
    assert_eq!(
        output.status.code(),
        Some(PARENT_GONE_STATUS),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains("returned"));
}
