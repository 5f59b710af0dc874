//! The reply channel: how an ask's answer, or the reason there is none,
//! travels from the handler back to the asker.
//!
//! A one-shot channel of [`Compact`] replies: a reply of up to
//! [`REPLY_WORDS`] words travels inline, a larger one in a box, so the
//! channel's own code (which moves its value a few times) never copies a
//! large reply on a stack. A raw tokio oneshot of a 1 MiB value needs
//! several MiB of stack to send, receive and drop it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::runtime::compact::Compact;
use crate::stop::StopReason;

/// Words of a reply carried inline: replies as large as a `String`, a
/// `Vec` or a pair of them travel without a box.
pub(crate) const REPLY_WORDS: usize = 6;

type Carried<R> = Result<Compact<R, REPLY_WORDS>, StopReason>;

/// A new reply channel for replies of type `R`.
pub(crate) fn channel<R>() -> (ReplySender<R>, ReplyReceiver<R>) {
    let (sender, receiver) = oneshot::channel();
    (ReplySender(sender), ReplyReceiver(receiver))
}

/// Where an ask's answer goes: the reply, or the failure of the handler that
/// was computing it. Dropped unused, it tells the asker the message was not
/// handled.
pub(crate) struct ReplySender<R>(oneshot::Sender<Carried<R>>);

impl<R> ReplySender<R> {
    /// Sends the reply; an asker that stopped waiting is not an error.
    pub(crate) fn send(self, reply: R) {
        let _ = self.0.send(Ok(Compact::new(reply)));
    }

    /// Sends a reply already packed (by a handler that wrote it straight
    /// into its box).
    pub(crate) fn send_packed(self, reply: Compact<R, REPLY_WORDS>) {
        let _ = self.0.send(Ok(reply));
    }

    /// Tells the asker that its message failed, and why.
    pub(crate) fn fail(self, reason: StopReason) {
        let _ = self.0.send(Err(reason));
    }

    /// Whether the asker stopped waiting.
    pub(crate) fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

/// The asker's end: the reply, the failure, or `None` once the message was
/// dropped unanswered.
pub(crate) struct ReplyReceiver<R>(oneshot::Receiver<Carried<R>>);

impl<R> ReplyReceiver<R> {
    /// The answer if it is there, without waiting: `Err(self)` while it
    /// is not.
    pub(crate) fn try_take(mut self) -> Result<Option<Result<R, StopReason>>, Self> {
        match self.0.try_recv() {
            Ok(carried) => Ok(Some(carried.map(Compact::into_inner))),
            Err(oneshot::error::TryRecvError::Closed) => Ok(None),
            Err(oneshot::error::TryRecvError::Empty) => Err(self),
        }
    }

    /// Polls for the answer, still packed: an asker unpacks a large reply
    /// straight into its own output rather than through this frame too.
    pub(crate) fn poll_packed(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Compact<R, REPLY_WORDS>, StopReason>>> {
        Pin::new(&mut self.0).poll(cx).map(Result::ok)
    }
}

impl<R> Future for ReplyReceiver<R> {
    type Output = Option<Result<R, StopReason>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_packed(cx)
            .map(|carried| carried.map(|answer| answer.map(Compact::into_inner)))
    }
}
