//! The parent's side: starting a child process to host an actor, and
//! watching it.
//!
//! [`spawn_process`] makes the reference and its feed, then starts the
//! child: a loopback node of its own with a fresh one-time key (admitting
//! one connection), a progress record, the program with the environment
//! marker, and the hand-over on its stdin. The start succeeds once the
//! child has fetched from the feed. A watcher then waits for the child's
//! exit, settles the feed with its progress record and ends the reference
//! with the reason: what the actor reported, else the exit status or the
//! signal.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actor_core::remote::accepts::Accepts;
use actor_core::remote::proxy;
use actor_core::{spawn, ActorRef, MailboxCapacity, StopReason};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use super::feed::{Feed, FetchSession, Progress, ReportSession};
use super::host::Hosted;
use super::output::{Output, Stream};
use super::progress::ProgressFile;
use super::MARKER;
use crate::proto::handover::Handover;
use crate::{ClusterKey, NodeConfig};

/// How a child process is started.
#[derive(Clone, Debug)]
pub struct ProcessOptions {
    program: Option<PathBuf>,
    args: Vec<String>,
    start_timeout: Duration,
    output: Output,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        ProcessOptions {
            program: None,
            args: Vec::new(),
            start_timeout: Duration::from_secs(10),
            output: Output::default(),
        }
    }
}

impl ProcessOptions {
    /// The default: this program itself, re-executed, which must call
    /// [`init`](super::init) first in its `main`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `program` instead of this one: a dedicated host binary (what a
    /// test binary needs, since its `main` is the test harness's).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    /// Command-line arguments for the child (never secrets: the
    /// hand-over, with the key, goes to its stdin).
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// What becomes of the child's stdout and stderr (default: each line
    /// to the parent's, prefixed with the child's id; see [`Output`]).
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// How long the child has to connect back before the start fails
    /// (default 10 s).
    pub fn start_timeout(mut self, within: Duration) -> Self {
        self.start_timeout = within;
        self
    }
}

/// Why a child process could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The program could not be run.
    #[error("could not start the host program {program:?}: {reason}; check the path, or call process::init first in main when the program is this one")]
    Spawn {
        /// The program.
        program: PathBuf,
        /// Why.
        reason: String,
    },
    /// The child did not connect back in time.
    #[error("the child process did not connect back within {within:?}; it must call process::init first in its main")]
    NoConnection {
        /// The start timeout.
        within: Duration,
    },
    /// The child exited before it connected back.
    #[error("the child process exited before it connected back: {reason}")]
    Exited {
        /// How it exited.
        reason: StopReason,
    },
    /// The parent's side could not be set up.
    #[error("could not prepare the child's start: {reason}")]
    Setup {
        /// Why.
        reason: String,
    },
}

/// Number of the children this process started, for their ids.
static CHILDREN: AtomicU64 = AtomicU64::new(1);

impl Progress for ProgressFile {
    fn started(&self) -> u64 {
        ProgressFile::started(self)
    }
    fn finished(&self) -> u64 {
        ProgressFile::finished(self)
    }
}

/// Starts a child process hosting an `A` made from `args`, and returns an
/// ordinary reference to it. Messages wait in this process until the child
/// has handled them; when the child exits, the reference ends with the
/// reason (the actor's own, or the exit status, or the signal that killed
/// it), the message it was handling fails its asker, and every later one
/// fails too.
///
/// On Linux the child dies with the *thread* that started it (that is how
/// the kernel's parent-death signal works): start children from a runtime
/// whose threads live as long as the process, not from a blocking task.
///
/// # Errors
/// A [`ProcessError`] if the child cannot be started or does not connect
/// back within the start timeout.
pub async fn spawn_process<A: Hosted>(
    args: &A::Args,
    options: ProcessOptions,
) -> Result<ActorRef<A>, ProcessError> {
    let setup = |reason: String| ProcessError::Setup { reason };
    let args = postcard::to_stdvec(args).map_err(|e| setup(e.to_string()))?;
    let feed = Feed::new();
    let key = ClusterKey::random_secret();
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let node = NodeConfig::new(ClusterKey::new(&key))
        .max_connections(1)
        .start(loopback)
        .await
        .map_err(|e| setup(e.to_string()))?;
    let fetches = feed.clone();
    node.export_sessions("fetch", move || spawn(FetchSession(fetches.clone())))
        .map_err(|e| setup(e.to_string()))?;
    let reports = feed.clone();
    node.export_sessions("report", move || spawn(ReportSession(reports.clone())))
        .map_err(|e| setup(e.to_string()))?;
    let progress = Arc::new(
        ProgressFile::create(&super::progress::default_dir()).map_err(|e| setup(e.to_string()))?,
    );
    feed.hosted_by(progress.clone());
    let handover = Handover {
        parent_pid: std::process::id(),
        parent: node.local_addr(),
        key,
        child: CHILDREN.fetch_add(1, Ordering::Relaxed),
        actor: A::wire_name().into_owned(),
        args,
        progress: progress.path().to_path_buf(),
    };
    let program = match &options.program {
        Some(program) => program.clone(),
        None => std::env::current_exe().map_err(|e| setup(e.to_string()))?,
    };
    let mut child = Command::new(&program)
        .args(&options.args)
        .env(MARKER, "1")
        .stdin(Stdio::piped())
        .stdout(options.output.stdio())
        .stderr(options.output.stdio())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ProcessError::Spawn {
            program: program.clone(),
            reason: e.to_string(),
        })?;
    let id = handover.child;
    options
        .output
        .forward(id, Stream::Stdout, child.stdout.take());
    options
        .output
        .forward(id, Stream::Stderr, child.stderr.take());
    let mut stdin = child.stdin.take().ok_or_else(|| setup("no stdin".into()))?;
    if let Err(e) = stdin.write_all(handover.to_line().as_bytes()).await {
        // A child that closed its stdin has most likely exited: say how.
        return Err(
            match tokio::time::timeout(Duration::from_secs(1), child.wait()).await {
                Ok(Ok(status)) => ProcessError::Exited {
                    reason: StopReason::from(status),
                },
                _ => setup(format!("the hand-over could not be written: {e}")),
            },
        );
    }
    connected(&feed, &mut child, options.start_timeout).await?;
    // Both processes have the record mapped: its name is no longer needed.
    if let Err(e) = progress.remove_file() {
        tracing::warn!("{e}");
    }
    let (reference, mut proxy) = proxy::proxy::<A>(match A::mailbox_capacity() {
        MailboxCapacity::Bounded(n) => MailboxCapacity::Bounded(n.max(64)),
        other => other,
    });
    tokio::spawn(async move {
        let accepts = Accepts::<A>::of();
        let status = {
            // Dropped when the child exits first: the pump takes a message
            // only when it can keep it.
            let pumped = feed.pump(&mut proxy, &accepts);
            tokio::pin!(pumped);
            tokio::select! {
                status = child.wait() => status,
                _ = &mut pumped => child.wait().await,
            }
        };
        let exit = match status {
            Ok(status) => StopReason::from(status),
            Err(e) => StopReason::failed(format_args!(
                "the child process could not be waited for: {e}"
            )),
        };
        let (reported, _left) = feed.settle(&exit);
        let reason = reported.unwrap_or(exit);
        feed.fail_all(&reason);
        drop(stdin);
        node.shutdown().await;
        proxy.finish(reason);
    });
    Ok(reference)
}

/// Waits until the child has fetched from its feed (it is connected), or
/// exited, or the start timeout has passed.
async fn connected(feed: &Feed, child: &mut Child, within: Duration) -> Result<(), ProcessError> {
    tokio::select! {
        () = feed.connected() => Ok(()),
        status = child.wait() => Err(ProcessError::Exited {
            reason: match status {
                Ok(status) => StopReason::from(status),
                Err(e) => StopReason::failed(format_args!("it could not be waited for: {e}")),
            },
        }),
        () = tokio::time::sleep(within) => {
            let _ = child.start_kill();
            Err(ProcessError::NoConnection { within })
        }
    }
}
