//! Seed scenario 11: an external program driven through its stdin and stdout
//! by a port actor. `sort` sorts the lines sent to it and the port ends
//! normally with it; a program that exits with status 3 stops its port with
//! `StopReason::ExitStatus(3)` and refuses further input; killing the port
//! kills the program, and so does dropping every handle; bytes go through
//! untouched; `communicate` feeds a program and collects its answer like
//! Python's; a program that does not exist is a typed error. Uses `sort`,
//! `cat`, `tr` and `sh`, present on every Unix-like system.

#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use actor::port::Port;
use actor::prelude::*;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.arg("-c").arg(script);
    command
}

#[tokio::test]
async fn sort_sorts_the_lines_it_is_sent_and_the_port_ends_normally() -> Result<(), PortError> {
    let sort = Port::spawn(Command::new("sort"))?;
    for fruit in ["pear", "apple", "fig", "banana"] {
        sort.send_line(fruit).await?;
    }
    sort.close_stdin().await?;
    let mut lines = Vec::new();
    while let Some(line) = sort.recv_line().await? {
        lines.push(line);
    }
    assert_eq!(lines, ["apple", "banana", "fig", "pear"]);
    assert!(sort.wait().await?.success());
    assert_eq!(sort.join().await, StopReason::Normal);
    Ok(())
}

#[tokio::test]
async fn a_program_that_exits_with_an_error_stops_its_port_with_that_status(
) -> Result<(), PortError> {
    let mut command = sh(r#"read line; echo "cannot handle $line"; exit 3"#);
    command.stderr(Stdio::null());
    let port = Port::spawn(command)?;
    port.send_line("this").await?;
    assert_eq!(
        port.recv_line().await?.as_deref(),
        Some("cannot handle this")
    );
    let reason = port.join().await;
    assert_eq!(reason, StopReason::ExitStatus(3));
    assert!(reason.is_failure());
    assert_eq!(reason.to_string(), "program exited with status 3");
    assert_eq!(port.wait().await?.code(), Some(3));
    assert!(matches!(
        port.send_line("more").await,
        Err(PortError::Closed { port: id }) if id == port.id()
    ));
    assert_eq!(port.recv_line().await?, None);
    Ok(())
}

/// A program killed by a signal its port did not send (a segfault, here
/// one it sends itself) stops its port with that signal.
#[tokio::test]
async fn a_program_killed_by_a_signal_stops_its_port_with_that_signal() -> Result<(), PortError> {
    let port = Port::spawn(sh("kill -SEGV $$"))?;
    let reason = port.join().await;
    assert_eq!(reason, StopReason::Signal(11));
    assert_eq!(reason.to_string(), "killed by signal 11 (SIGSEGV)");
    Ok(())
}

#[tokio::test]
async fn killing_the_port_kills_the_program() -> Result<(), PortError> {
    // `cat` with nothing on its stdin would run forever.
    let cat = Port::spawn(Command::new("cat"))?;
    let pid = cat.pid().expect("a running program has a pid");
    cat.send_line("ping").await?;
    assert_eq!(cat.recv_line().await?.as_deref(), Some("ping"));
    cat.kill();
    assert_eq!(cat.join().await, StopReason::Killed);
    // By the time `join` returns the program has been killed and reaped.
    let status = cat.wait().await?;
    assert_eq!(status.signal(), Some(9), "killed with SIGKILL: {status}");
    #[cfg(target_os = "linux")]
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} is gone"
    );
    let _ = pid;
    assert!(!cat.is_alive());
    assert!(matches!(
        cat.send_line("x").await,
        Err(PortError::Closed { .. })
    ));
    Ok(())
}

#[tokio::test]
async fn stopping_the_port_kills_the_program_too() -> Result<(), PortError> {
    let cat = Port::spawn(Command::new("cat"))?;
    cat.send_bytes(b"queued before the stop\n").await?;
    cat.stop();
    assert_eq!(cat.join().await, StopReason::Normal);
    assert_eq!(cat.wait().await?.signal(), Some(9));
    Ok(())
}

#[tokio::test]
async fn dropping_every_handle_kills_the_program() -> Result<(), PortError> {
    // The program's stderr is one end of a socket pair: when the program is
    // gone, the other end reads end-of-file. That is the event to wait for.
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let mut cat = Command::new("cat");
    cat.stderr(Stdio::from(std::os::fd::OwnedFd::from(theirs)));
    let cat = Port::spawn(cat)?;
    let clone = cat.clone();
    cat.send_line("still here").await?;
    assert_eq!(clone.recv_line().await?.as_deref(), Some("still here"));
    drop(cat);
    drop(clone);
    ours.set_nonblocking(true).expect("nonblocking");
    let mut ours = tokio::net::UnixStream::from_std(ours).expect("tokio socket");
    let mut byte = [0_u8; 1];
    let read = ours.read(&mut byte).await.expect("read");
    assert_eq!(
        read, 0,
        "the program's end of the socket closed: it is gone"
    );
    Ok(())
}

#[tokio::test]
async fn bytes_go_through_untouched() -> Result<(), PortError> {
    let cat = Port::spawn(Command::new("cat"))?;
    let bytes: Vec<u8> = (0..=255).collect();
    cat.send_bytes(&bytes).await?;
    cat.send_bytes(b"no newline at the end").await?;
    cat.close_stdin().await?;
    let mut expected = bytes;
    expected.extend_from_slice(b"no newline at the end");
    assert_eq!(cat.read_to_end().await?, expected);
    assert_eq!(cat.recv_bytes().await?, None);
    assert_eq!(cat.join().await, StopReason::Normal);
    Ok(())
}

#[tokio::test]
async fn lines_and_bytes_can_be_mixed_and_a_last_line_needs_no_newline() -> Result<(), PortError> {
    let cat = Port::spawn(Command::new("cat"))?;
    cat.send_bytes(b"first\r\nsecond\nrest").await?;
    cat.close_stdin().await?;
    assert_eq!(cat.recv_line().await?.as_deref(), Some("first"));
    let mut after = Vec::new();
    while let Some(bytes) = cat.recv_bytes().await? {
        after.extend(bytes);
    }
    assert_eq!(after, b"second\nrest");
    Ok(())
}

#[tokio::test]
async fn communicate_feeds_the_program_and_collects_its_answer() -> Result<(), PortError> {
    // The seed feeds `nslookup` "set q=mx / python.org / exit"; `tr` is
    // everywhere and answers the same way: all input in, all output out.
    let tr = Port::spawn({
        let mut tr = Command::new("tr");
        tr.args(["a-z", "A-Z"]);
        tr
    })?;
    let (output, status) = tr.communicate(b"set q=mx\npython.org\nexit\n").await?;
    assert_eq!(output, b"SET Q=MX\nPYTHON.ORG\nEXIT\n");
    assert!(status.success());
    Ok(())
}

#[tokio::test]
async fn a_program_that_does_not_exist_is_a_spawn_error() {
    let missing = Port::spawn(Command::new("no-such-program-for-the-port-test"));
    let Err(PortError::SpawnFailed { program, reason }) = missing else {
        panic!("expected PortSpawnFailed, got {missing:?}");
    };
    assert_eq!(program, "no-such-program-for-the-port-test");
    assert!(!reason.is_empty());
}
