//! The port's actor and the two tasks beside it: one owns the child process
//! (waits for its exit, or kills it), one reads its stdout.
//!
//! The actor owns the program's stdin, so writes are messages handled in
//! order, and its lifetime is the program's: the watcher tells it when the
//! program exits, and its `stopped` hook has the watcher kill the program.

use std::process::ExitStatus;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::{mpsc, oneshot, watch};

use super::PortError;
use super::CHUNK_SIZE;
use crate::Actor;
use crate::ActorId;
use crate::Context;
use crate::StopReason;
use crate::WeakActorRef;
use crate::{Handler, Message};

/// How the program ended, as its watcher saw it.
pub(crate) type Exit = Result<ExitStatus, String>;

/// Reads the program's stdout into the handles' channel until it ends, or
/// until every handle is gone.
pub(crate) async fn read_output(
    mut stdout: ChildStdout,
    chunks: mpsc::Sender<Result<Vec<u8>, String>>,
) {
    let mut buffer = vec![0; CHUNK_SIZE];
    loop {
        let chunk = match stdout.read(&mut buffer).await {
            Ok(0) => return,
            Ok(n) => Ok(buffer[..n].to_vec()),
            Err(e) => Err(e.to_string()),
        };
        let failed = chunk.is_err();
        if chunks.send(chunk).await.is_err() || failed {
            return;
        }
    }
}

/// Owns the child process: waits for it to exit, or kills it when the port
/// asks (or is dropped), then publishes the status and tells the port.
pub(crate) async fn watch_program(
    mut child: Child,
    killed: oneshot::Receiver<()>,
    exit: watch::Sender<Option<Exit>>,
    port: WeakActorRef<PortActor>,
) {
    let exited = tokio::select! {
        status = child.wait() => Some(status),
        // Sent, or dropped with the actor: either way the program must go.
        _ = killed => None,
    };
    let status = match exited {
        Some(status) => status,
        None => {
            let _ = child.start_kill();
            child.wait().await
        }
    };
    let status = status.map_err(|e| format!("waiting for the program failed: {e}"));
    exit.send_replace(Some(status.clone()));
    if let Some(port) = port.upgrade() {
        let _ = port.tell(ProgramExited(status)).await;
    }
}

/// The actor that owns a program's stdin and its lifetime.
pub(crate) struct PortActor {
    program: String,
    stdin: Option<ChildStdin>,
    /// Tells the watcher to kill the program; dropping it does too.
    kill: Option<oneshot::Sender<()>>,
    exit: watch::Receiver<Option<Exit>>,
}

impl PortActor {
    pub(crate) fn new(
        program: String,
        stdin: Option<ChildStdin>,
        kill: oneshot::Sender<()>,
        exit: watch::Receiver<Option<Exit>>,
    ) -> Self {
        PortActor {
            program,
            stdin,
            kill: Some(kill),
            exit,
        }
    }

    fn closed(&mut self, port: ActorId, error: &std::io::Error) -> PortError {
        self.stdin = None;
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            PortError::Closed { port }
        } else {
            PortError::Io {
                port,
                reason: format!("writing to {}: {error}", self.program),
            }
        }
    }
}

impl Actor for PortActor {
    fn name() -> &'static str {
        "Port"
    }

    /// Kills the program if it is still running, and waits until it is gone,
    /// so that the port's `join` returns after the program's end.
    async fn stopped(&mut self, _reason: &StopReason) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        let _ = self.exit.wait_for(Option::is_some).await;
        // Closed only now: closed before, it could let the program end by
        // itself (at end of input) before the kill reached it.
        self.stdin = None;
    }
}

/// Bytes for the program's stdin.
pub(crate) struct Write(pub(crate) Vec<u8>);

impl Message for Write {
    type Reply = Result<(), PortError>;
}

impl Handler<Write> for PortActor {
    async fn handle(
        &mut self,
        Write(bytes): Write,
        ctx: &mut Context<Self>,
    ) -> Result<(), PortError> {
        let port = ctx.id();
        let stdin = self.stdin.as_mut().ok_or(PortError::Closed { port })?;
        // Flushed at once: the program may answer each line before the next.
        let written = match stdin.write_all(&bytes).await {
            Ok(()) => stdin.flush().await,
            Err(e) => Err(e),
        };
        written.map_err(|e| self.closed(port, &e))
    }
}

/// Close the program's stdin.
pub(crate) struct CloseStdin;

impl Message for CloseStdin {
    type Reply = Result<(), PortError>;
}

impl Handler<CloseStdin> for PortActor {
    async fn handle(&mut self, _: CloseStdin, ctx: &mut Context<Self>) -> Result<(), PortError> {
        let Some(mut stdin) = self.stdin.take() else {
            return Ok(());
        };
        stdin.flush().await.map_err(|e| self.closed(ctx.id(), &e))
    }
}

/// The program has exited.
struct ProgramExited(Exit);

impl Message for ProgramExited {
    type Reply = ();
}

impl Handler<ProgramExited> for PortActor {
    async fn handle(&mut self, ProgramExited(exit): ProgramExited, ctx: &mut Context<Self>) {
        self.stdin = None;
        let reason = match exit {
            Ok(status) => StopReason::from(status),
            Err(reason) => StopReason::failed(format_args!("program {:?}: {reason}", self.program)),
        };
        ctx.stop_with(reason);
    }
}
