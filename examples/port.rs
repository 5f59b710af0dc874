//! An external program driven through its stdin and stdout, as with
//! Python's `subprocess.Popen(...).communicate()`.
//!
//! The Python tutorial runs `subprocess.Popen(['nslookup'], stdin=PIPE,
//! stdout=PIPE)` and `communicate(b'set q=mx\npython.org\nexit\n')`, then
//! prints the output and `Exit code: 0`. Here a `Port` is an actor that owns
//! the program: lines written to the port are messages to that actor, the
//! program's stdout comes back as lines, and the program's exit status is the
//! actor's stop reason. Killing the port kills the program.
//!
//! 1. `communicate` with `sort`: all input in, all output out, exit code.
//! 2. A conversation, one line at a time, with `bc` (or, where `bc` is not
//!    installed, a shell loop that does the same sums).
//! 3. A program that fails: `sort` with a bad option ends its port with
//!    `StopReason::ExitStatus(2)`.
//! 4. Killing the port of a `cat` that would otherwise wait forever.
//!
//! Run it with `cargo run --example port`; add `-- --long` to sort 200,000
//! lines in part 1.

use std::process::Stdio;
use std::time::Instant;

use actor::port::Port;
use actor::prelude::*;
use tokio::process::Command;

/// A calculator that answers each line with one line: `bc`, or a shell loop
/// if `bc` is not installed.
fn calculator() -> Result<(Port, &'static str), PortError> {
    match Port::spawn(Command::new("bc")) {
        Ok(bc) => Ok((bc, "bc")),
        Err(PortError::SpawnFailed { .. }) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(r#"while read -r e; do echo "$(($e))"; done"#);
            Ok((Port::spawn(sh)?, "sh (bc is not installed)"))
        }
        Err(other) => Err(other),
    }
}

#[tokio::main]
async fn main() -> Result<(), PortError> {
    let long = std::env::args().any(|a| a == "--long");

    // 1. The tutorial's communicate(), with sort.
    let words = ["set q=mx", "python.org", "exit"];
    let sort = Port::spawn(Command::new("sort"))?;
    println!("$ sort   ({}, pid {:?})", sort.id(), sort.pid());
    let input = words.join("\n") + "\n";
    let (output, status) = sort.communicate(input.as_bytes()).await?;
    print!("{}", String::from_utf8_lossy(&output));
    println!(
        "Exit code: {:?}; the port ended: {}",
        status.code(),
        sort.join().await
    );
    if long {
        let lines = 200_000_u64;
        let sort = Port::spawn(Command::new("sort"))?;
        let started = Instant::now();
        // A simple scramble of the numbers, so that sort has work to do.
        let input: String = (0..lines)
            .map(|i| format!("{:08}\n", i.wrapping_mul(2_654_435_761) % 100_000_000))
            .collect();
        let (output, _) = sort.communicate(input.as_bytes()).await?;
        let out = String::from_utf8_lossy(&output);
        println!(
            "sorted {} lines in {:.2?}: first {:?}, last {:?}",
            out.lines().count(),
            started.elapsed(),
            out.lines().next().unwrap_or_default(),
            out.lines().last().unwrap_or_default()
        );
    }

    // 2. A conversation: each line sent gets its answer before the next.
    println!();
    let (calc, which) = calculator()?;
    println!("$ {which}");
    for sum in ["2 + 3", "6 * 7", "100 / 7"] {
        calc.send_line(sum).await?;
        let answer = calc.recv_line().await?.unwrap_or_default();
        println!("{sum} = {answer}");
    }
    calc.close_stdin().await?;
    println!("stdin closed; the port ended: {}", calc.join().await);

    // 3. A program that fails: its exit status is the port's stop reason.
    println!();
    let mut bad = Command::new("sort");
    bad.arg("--no-such-option").stderr(Stdio::null());
    let bad = Port::spawn(bad)?;
    let reason = bad.join().await;
    println!("$ sort --no-such-option");
    println!(
        "the port ended: {reason} (a failure: {}); writing to it now: {}",
        reason.is_failure(),
        match bad.send_line("x").await {
            Ok(()) => "accepted?".to_owned(),
            Err(e) => e.to_string(),
        }
    );

    // 4. Killing the port kills the program.
    println!();
    let cat = Port::spawn(Command::new("cat"))?;
    cat.send_line("hello").await?;
    println!(
        "$ cat   (pid {:?}) echoes {:?}",
        cat.pid(),
        cat.recv_line().await?
    );
    cat.kill();
    let reason = cat.join().await;
    println!(
        "killed the port: it ended {reason}; the program: {}",
        cat.wait().await?
    );
    Ok(())
}
