//! Ports (Python's `subprocess.Popen`): an external program driven through its stdin
//! and stdout, as an actor. Python's `subprocess.Popen(...).communicate()`.
//!
//! A [`Port`] starts a program with `tokio::process` and is the handle to
//! the actor that owns it. Lines or bytes written through the handle are
//! messages to that actor, which writes them to the program's stdin in the
//! order sent; the program's stdout comes back through the handle, as lines
//! or as bytes. The program's end is the actor's end, and its exit status is
//! the actor's [`StopReason`]: [`Normal`](StopReason::Normal) for status 0,
//! [`ExitStatus(n)`](StopReason::ExitStatus) for status `n`, and
//! [`Signal(n)`](StopReason::Signal) for a program killed by signal `n` that
//! its port did not send. Stopping or killing the actor (or dropping every handle)
//! kills the program; the actor's `join` returns once the program is gone.
//!
//! ```
//! use actor_core::port::Port;
//! use tokio::process::Command;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), actor_core::port::PortError> {
//! let sort = Port::spawn(Command::new("sort"))?;
//! for word in ["pear", "apple", "fig"] {
//!     sort.send_line(word).await?;
//! }
//! sort.close_stdin().await?; // sort prints only after its input ends
//! assert_eq!(sort.recv_line().await?.as_deref(), Some("apple"));
//! assert_eq!(sort.recv_line().await?.as_deref(), Some("fig"));
//! assert_eq!(sort.recv_line().await?.as_deref(), Some("pear"));
//! assert_eq!(sort.recv_line().await?, None);
//! assert!(sort.wait().await?.success());
//! # Ok(()) }
//! ```
//!
//! The program's stderr is left as the command says (inherited by default):
//! nothing reads it here, so do not set it to `piped`; redirect it to a file
//! or into stdout (`sh -c '... 2>&1'`) to read it.

mod error;
mod program;

pub use error::PortError;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;

use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, watch, Mutex};

use crate::spawn;
use crate::ActorId;
use crate::ActorRef;
use crate::StopReason;

use program::{read_output, watch_program, CloseStdin, Exit, PortActor, Write};

/// How many chunks of output wait for a reader before the program is made to
/// wait (its writes block once the pipe is full too): backpressure, as with a
/// shell pipe.
const OUTPUT_CHUNKS: usize = 16;
/// The most bytes read from the program's stdout at once.
pub(crate) const CHUNK_SIZE: usize = 8192;

/// A running external program, driven through its stdin and stdout. See the
/// [module documentation](self).
///
/// Cloning is cheap and every clone drives the same program. The program is
/// killed when the last clone is dropped.
#[derive(Clone)]
pub struct Port {
    actor: ActorRef<PortActor>,
    output: Arc<Mutex<Output>>,
    exit: watch::Receiver<Option<Exit>>,
    pid: Option<u32>,
}

impl Port {
    /// Starts `command` with its stdin and stdout connected to the new port,
    /// and spawns the port's actor.
    ///
    /// # Errors
    /// [`PortError::SpawnFailed`] if the program could not be started (not
    /// found, not executable...).
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub fn spawn(command: impl Into<Command>) -> Result<Port, PortError> {
        let mut command = command.into();
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        let program = command
            .as_std()
            .get_program()
            .to_string_lossy()
            .into_owned();
        let mut child = command.spawn().map_err(|e| PortError::SpawnFailed {
            program: program.clone(),
            reason: e.to_string(),
        })?;
        let pid = child.id();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let (kill, killed) = oneshot::channel();
        let (exit_tx, exit) = watch::channel(None);
        let actor = spawn(PortActor::new(program, stdin, kill, exit.clone()));
        tokio::spawn(watch_program(child, killed, exit_tx, actor.downgrade()));
        let (chunks_tx, chunks) = mpsc::channel(OUTPUT_CHUNKS);
        if let Some(stdout) = stdout {
            tokio::spawn(read_output(stdout, chunks_tx));
        }
        Ok(Port {
            output: Arc::new(Mutex::new(Output {
                port: actor.id(),
                chunks,
                pending: Vec::new(),
                ended: false,
            })),
            actor,
            exit,
            pid,
        })
    }

    /// The port actor's id.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// The program's process id, if it was known when it started.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Writes `bytes` to the program's stdin. Writes from one task reach the
    /// program in the order sent.
    ///
    /// # Errors
    /// [`PortError::Closed`] if stdin was closed or the program exited (some
    /// of the bytes may have been written); [`PortError::Io`] for another
    /// I/O error.
    pub async fn send_bytes(&self, bytes: &[u8]) -> Result<(), PortError> {
        self.write(bytes.to_vec()).await
    }

    /// Writes `line` and a newline to the program's stdin.
    ///
    /// # Errors
    /// As [`send_bytes`](Self::send_bytes).
    pub async fn send_line(&self, line: &str) -> Result<(), PortError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.write(bytes).await
    }

    async fn write(&self, bytes: Vec<u8>) -> Result<(), PortError> {
        let port = self.id();
        // The actor ends when the program does: its input is closed then.
        self.actor
            .ask(Write(bytes))
            .await
            .unwrap_or(Err(PortError::Closed { port }))
    }

    /// Closes the program's stdin, so that it reads end-of-file (after what
    /// was sent before). Closing it again does nothing.
    ///
    /// # Errors
    /// [`PortError::Io`] if flushing what was written failed.
    pub async fn close_stdin(&self) -> Result<(), PortError> {
        // An ended actor has no stdin left to close.
        self.actor.ask(CloseStdin).await.unwrap_or(Ok(()))
    }

    /// The next line of the program's stdout, without its line ending (`\n`
    /// or `\r\n`); `None` once the program closed its stdout and every line
    /// was read. A last line without a newline is returned as it is. Bytes
    /// that are not UTF-8 become `U+FFFD`.
    ///
    /// # Errors
    /// [`PortError::Io`] if reading the program's stdout failed.
    pub async fn recv_line(&self) -> Result<Option<String>, PortError> {
        let mut output = self.output.lock().await;
        loop {
            if let Some(end) = output.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = output.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            if output.ended {
                if output.pending.is_empty() {
                    return Ok(None);
                }
                let rest = std::mem::take(&mut output.pending);
                return Ok(Some(String::from_utf8_lossy(&rest).into_owned()));
            }
            output.fill().await?;
        }
    }

    /// The next bytes of the program's stdout, as they came (with what
    /// [`recv_line`](Self::recv_line) left over first); `None` once the
    /// program closed its stdout and everything was read.
    ///
    /// # Errors
    /// [`PortError::Io`] if reading the program's stdout failed.
    pub async fn recv_bytes(&self) -> Result<Option<Vec<u8>>, PortError> {
        let mut output = self.output.lock().await;
        while output.pending.is_empty() && !output.ended {
            output.fill().await?;
        }
        if output.pending.is_empty() {
            return Ok(None);
        }
        Ok(Some(std::mem::take(&mut output.pending)))
    }

    /// Everything the program writes to stdout from now until it closes it.
    ///
    /// # Errors
    /// [`PortError::Io`] if reading the program's stdout failed.
    pub async fn read_to_end(&self) -> Result<Vec<u8>, PortError> {
        let mut all = Vec::new();
        while let Some(bytes) = self.recv_bytes().await? {
            all.extend(bytes);
        }
        Ok(all)
    }

    /// Python's `communicate(input)`: writes `input`, closes stdin, reads
    /// stdout to its end (at the same time, so that a program that answers
    /// while it reads cannot block on a full pipe), and waits for the program
    /// to exit.
    ///
    /// # Errors
    /// Those of [`send_bytes`](Self::send_bytes),
    /// [`read_to_end`](Self::read_to_end) and [`wait`](Self::wait).
    pub async fn communicate(&self, input: &[u8]) -> Result<(Vec<u8>, ExitStatus), PortError> {
        let feed = async {
            self.send_bytes(input).await?;
            self.close_stdin().await
        };
        let (fed, output) = tokio::join!(feed, self.read_to_end());
        fed?;
        let output = output?;
        Ok((output, self.wait().await?))
    }

    /// Waits for the program to exit and returns its status.
    ///
    /// # Errors
    /// [`PortError::Io`] if waiting for the program failed.
    pub async fn wait(&self) -> Result<ExitStatus, PortError> {
        let port = self.id();
        let mut exit = self.exit.clone();
        let lost = || PortError::Io {
            port,
            reason: "the program's watcher ended without its status (runtime shutting down)"
                .to_owned(),
        };
        let outcome = exit.wait_for(Option::is_some).await.map_err(|_| lost())?;
        match outcome.as_ref() {
            Some(Ok(status)) => Ok(*status),
            Some(Err(reason)) => Err(PortError::Io {
                port,
                reason: reason.clone(),
            }),
            None => Err(lost()),
        }
    }

    /// Stops the port: the program is killed (queued writes are written
    /// first). Returns at once; await [`join`](Self::join) for the end. To
    /// let the program finish instead, [`close_stdin`](Self::close_stdin) and
    /// [`wait`](Self::wait).
    pub fn stop(&self) {
        self.actor.stop();
    }

    /// Kills the port's actor and its program now.
    pub fn kill(&self) {
        self.actor.kill();
    }

    /// Waits until the port's actor has ended (its program with it) and
    /// returns why: the program's exit status as a [`StopReason`], or
    /// [`Killed`](StopReason::Killed) / [`Normal`](StopReason::Normal) if the
    /// port was killed or stopped first.
    pub async fn join(&self) -> StopReason {
        self.actor.join().await
    }

    /// Whether the port's actor (and so its program) is still running.
    pub fn is_alive(&self) -> bool {
        self.actor.is_alive()
    }
}

impl std::fmt::Debug for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Port")
            .field("id", &self.id())
            .field("pid", &self.pid)
            .finish()
    }
}

/// The program's stdout as the handles read it.
struct Output {
    port: ActorId,
    chunks: mpsc::Receiver<Result<Vec<u8>, String>>,
    /// Read from the program, not yet returned.
    pending: Vec<u8>,
    /// The program closed its stdout (or reading it failed).
    ended: bool,
}

impl Output {
    /// Waits for the next chunk.
    async fn fill(&mut self) -> Result<(), PortError> {
        match self.chunks.recv().await {
            Some(Ok(chunk)) => self.pending.extend(chunk),
            Some(Err(reason)) => {
                self.ended = true;
                return Err(PortError::Io {
                    port: self.port,
                    reason,
                });
            }
            None => self.ended = true,
        }
        Ok(())
    }
}
