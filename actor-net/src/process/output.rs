//! A child's output: what becomes of what a hosted actor prints.
//!
//! By default each line a child writes to its stdout or stderr is written
//! to the parent's, prefixed with the child's id (`[process 3] ...`), so
//! that the output of many children stays readable. An application may
//! instead take the lines itself ([`Output::Lines`]), leave the child the
//! parent's own streams ([`Output::Inherit`]), or drop them. A line longer
//! than [`MAX_LINE`] is cut into pieces of that length, so that a child that
//! never writes a newline costs the parent no more than that.

use std::fmt;
use std::process::Stdio;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};

/// The longest line taken at once from a child; a longer one comes in
/// pieces of this length.
pub const MAX_LINE: usize = 64 * 1024;

/// Which of a child's streams a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stream {
    /// Its standard output.
    Stdout,
    /// Its standard error.
    Stderr,
}

/// One line a child wrote, without its newline.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutputLine {
    /// The child's id: the one in the default prefix.
    pub child: u64,
    /// The stream it wrote the line to.
    pub stream: Stream,
    /// The line, with any invalid UTF-8 replaced.
    pub line: String,
}

/// What becomes of a child's stdout and stderr.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Output {
    /// Each line to the parent's stream of the same name, prefixed with
    /// `[process ID] `.
    #[default]
    Prefixed,
    /// The child writes to the parent's own stdout and stderr, unchanged.
    Inherit,
    /// Dropped.
    Discard,
    /// Each line to this function, on a task of the parent's.
    Lines(Arc<dyn Fn(OutputLine) + Send + Sync>),
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Output::Prefixed => "Prefixed",
            Output::Inherit => "Inherit",
            Output::Discard => "Discard",
            Output::Lines(_) => "Lines",
        })
    }
}

impl Output {
    /// How the child's stdout and stderr are opened.
    pub(crate) fn stdio(&self) -> Stdio {
        match self {
            Output::Prefixed | Output::Lines(_) => Stdio::piped(),
            Output::Inherit => Stdio::inherit(),
            Output::Discard => Stdio::null(),
        }
    }

    /// Forwards one of child `child`'s streams, if it was piped, until it
    /// ends.
    pub(crate) fn forward(
        &self,
        child: u64,
        stream: Stream,
        from: Option<impl AsyncRead + Unpin + Send + 'static>,
    ) {
        let Some(from) = from else {
            return;
        };
        let output = self.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(from);
            let mut line = Vec::new();
            loop {
                line.clear();
                match read_line(&mut reader, &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => output.write(child, stream, &line).await,
                }
            }
        });
    }

    async fn write(&self, child: u64, stream: Stream, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        match self {
            Output::Prefixed => {
                let prefixed = format!("[process {child}] {text}\n");
                // A parent whose own stream is closed has nowhere to put it.
                let _ = match stream {
                    Stream::Stdout => tokio::io::stdout().write_all(prefixed.as_bytes()).await,
                    Stream::Stderr => tokio::io::stderr().write_all(prefixed.as_bytes()).await,
                };
            }
            Output::Lines(take) => take(OutputLine {
                child,
                stream,
                line: text.into_owned(),
            }),
            Output::Inherit | Output::Discard => {}
        }
    }
}

/// Reads up to a newline (dropped) or [`MAX_LINE`] bytes; 0 at the end.
async fn read_line(
    reader: &mut (impl AsyncBufReadExt + Unpin),
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(line.len());
        }
        let room = MAX_LINE - line.len();
        let (taken, ended) = match available.iter().take(room).position(|&b| b == b'\n') {
            Some(newline) => (newline + 1, true),
            None => (available.len().min(room), false),
        };
        line.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        if ended {
            line.pop();
            return Ok(taken.max(1));
        }
        if line.len() >= MAX_LINE {
            return Ok(line.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8]) -> Vec<Vec<u8>> {
        let mut reader = BufReader::with_capacity(16, input);
        let mut all = Vec::new();
        loop {
            let mut line = Vec::new();
            if read_line(&mut reader, &mut line).await.expect("in memory") == 0 {
                return all;
            }
            all.push(line);
        }
    }

    #[tokio::test]
    async fn lines_are_cut_at_newlines_and_at_the_limit() {
        assert_eq!(
            lines(b"one\ntwo\n\nlast").await,
            [&b"one"[..], b"two", b"", b"last"]
        );
        let long = vec![b'x'; MAX_LINE * 2 + 5];
        let pieces = lines(&long).await;
        assert_eq!(
            pieces.iter().map(Vec::len).collect::<Vec<_>>(),
            [MAX_LINE, MAX_LINE, 5]
        );
    }
}
