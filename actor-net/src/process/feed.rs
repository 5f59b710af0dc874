//! The feed: the parent's side of a hosted actor's mailbox.
//!
//! Every message sent to a process-hosted actor goes first into its
//! reference's (proxy) mailbox, then into the feed: encoded, numbered from
//! 1, and kept until the child's progress record says its handler finished.
//! The child pulls batches from the feed ([`Fetch`], a long poll on a
//! session of its own) and sends answers back on another ([`Report`]), so
//! that a pending fetch never holds up an answer. When the child dies, the
//! feed settles with its progress record ([`Feed::settle`]): what finished
//! is done, the message in progress fails its asker and is dropped, and the
//! rest stays for the next incarnation, in order.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actor_core::remote::accepts::{Accepts, PendingReply};
use actor_core::remote::{Proxy, RemoteActor};
use actor_core::{Actor, Context, Handler, Message, RemoteMessage, StopReason, WireName};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::proto::wire::WireReason;

/// Messages a feed holds that the child has not finished: past it, the
/// feed takes no more from the reference's mailbox, whose senders then wait.
const WINDOW: usize = 4096;

/// The most messages one fetch returns.
pub(crate) const BATCH: u32 = 256;

/// While the window is full, how often the feed reads the progress record:
/// shared memory has no way to say that it changed.
const RECHECK: Duration = Duration::from_millis(1);

/// A message, encoded for the child.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Item {
    /// Its number in the feed, from 1.
    pub(crate) number: u64,
    /// Its type's wire name.
    pub(crate) name: String,
    /// Whether it was asked (an answer is expected).
    pub(crate) ask: bool,
    /// Its postcard bytes.
    pub(crate) payload: Vec<u8>,
}

/// Asks for the messages after number `after`, at most `max`; waits until
/// there is one, or until the feed has ended.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Fetch {
    pub(crate) after: u64,
    pub(crate) max: u32,
}

/// A batch of messages, and whether the feed has ended after them (the
/// reference was stopped or dropped): the child then stops its actor.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Fetched {
    pub(crate) items: Vec<Item>,
    pub(crate) ended: bool,
}

/// Answers to asked messages, by number: the reply's postcard bytes, or
/// why there is none; and once the hosted actor has ended, why.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Report {
    pub(crate) answers: Vec<(u64, Result<Vec<u8>, WireReason>)>,
    pub(crate) ended: Option<WireReason>,
}

impl Message for Fetch {
    type Reply = Fetched;
}
impl Message for Report {
    type Reply = ();
}
impl WireName for Fetch {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("actor.process.fetch")
    }
}
impl WireName for Report {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("actor.process.report")
    }
}
impl RemoteMessage for Fetch {}
impl RemoteMessage for Report {}

/// Reads a child's progress: the numbers of the last message it started
/// and the last it finished.
pub(crate) trait Progress: Send + Sync {
    fn started(&self) -> u64;
    fn finished(&self) -> u64;
}

/// The parent's side of one hosted actor's mailbox; outlives the child
/// processes that host it.
pub(crate) struct Feed {
    state: Mutex<State>,
    /// Told when a message arrives or the feed ends: fetches wait for it.
    arrived: Notify,
    /// Told when a child fetches for the first time: its start waits for it.
    first_fetch: Notify,
}

struct State {
    /// Unfinished messages, numbered consecutively.
    items: VecDeque<Item>,
    /// The number the next message gets.
    next: u64,
    /// Where the answers to asked messages go, by number.
    replies: HashMap<u64, PendingReply>,
    /// The current child's progress record.
    progress: Option<Arc<dyn Progress>>,
    /// The answer the hosted actor gave for its end, if it did.
    ended: Option<StopReason>,
    /// No more messages will come.
    closed: bool,
    /// The child fetched at least once.
    connected: bool,
}

impl State {
    /// Drops what the child has finished.
    fn release(&mut self) {
        let Some(progress) = &self.progress else {
            return;
        };
        let finished = progress.finished();
        while self
            .items
            .front()
            .is_some_and(|item| item.number <= finished)
        {
            self.items.pop_front();
        }
    }
}

impl Feed {
    pub(crate) fn new() -> Arc<Feed> {
        Arc::new(Feed {
            state: Mutex::new(State {
                items: VecDeque::new(),
                next: 1,
                replies: HashMap::new(),
                progress: None,
                ended: None,
                closed: false,
                connected: false,
            }),
            arrived: Notify::new(),
            first_fetch: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data, still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The progress record of the child now hosting the actor.
    pub(crate) fn hosted_by(&self, progress: Arc<dyn Progress>) {
        let mut state = self.lock();
        state.progress = Some(progress);
        state.connected = false;
    }

    /// Waits until the current child has fetched (it is connected).
    pub(crate) async fn connected(&self) {
        loop {
            let fetched = self.first_fetch.notified();
            tokio::pin!(fetched);
            fetched.as_mut().enable();
            if self.lock().connected {
                return;
            }
            fetched.await;
        }
    }

    /// The messages after `after` (at most `max`), waiting for one.
    pub(crate) async fn fetch(&self, after: u64, max: u32) -> Fetched {
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let mut state = self.lock();
                if !std::mem::replace(&mut state.connected, true) {
                    self.first_fetch.notify_waiters();
                }
                state.release();
                let items: Vec<Item> = state
                    .items
                    .iter()
                    .filter(|item| item.number > after)
                    .take(max as usize)
                    .cloned()
                    .collect();
                if !items.is_empty() || state.closed {
                    let ended = state.closed && items.len() < max as usize;
                    return Fetched { items, ended };
                }
            }
            arrived.await;
        }
    }

    /// Takes the child's answers (and its end, if it reports one).
    pub(crate) fn report(&self, report: Report) {
        let mut state = self.lock();
        for (number, answer) in report.answers {
            if let Some(reply) = state.replies.remove(&number) {
                reply(answer.as_deref().map_err(|e| StopReason::from(e.clone())));
            }
        }
        if let Some(reason) = report.ended {
            state.ended = Some(reason.into());
        }
    }

    /// Settles with a child that exited, of `exit`: what it finished is
    /// done (an ask whose answer did not arrive fails), the message in
    /// progress fails its asker and is dropped, and the rest stays for the
    /// next child. Returns why the actor ended, if it said so before it
    /// exited, and how many messages stay.
    pub(crate) fn settle(&self, exit: &StopReason) -> (Option<StopReason>, usize) {
        let mut state = self.lock();
        let (started, finished) = match state.progress.take() {
            Some(progress) => (progress.started(), progress.finished()),
            None => (0, 0),
        };
        let lost = |what: &str| {
            StopReason::failed(format_args!("the process hosting the actor {what}: {exit}"))
        };
        let unanswered: Vec<u64> = state
            .replies
            .keys()
            .copied()
            .filter(|&number| number <= finished)
            .collect();
        for number in unanswered {
            if let Some(reply) = state.replies.remove(&number) {
                reply(Err(lost("ended before its answer reached the parent")));
            }
        }
        if started > finished {
            if let Some(reply) = state.replies.remove(&started) {
                reply(Err(lost("ended while handling the message")));
            }
        }
        let done = started.max(finished);
        while state.items.front().is_some_and(|item| item.number <= done) {
            state.items.pop_front();
        }
        (state.ended.take(), state.items.len())
    }

    /// Ends the feed for good with `reason`: the messages it holds fail
    /// their askers (tells are dropped).
    pub(crate) fn fail_all(&self, reason: &StopReason) {
        let mut state = self.lock();
        state.closed = true;
        state.items.clear();
        for (_, reply) in state.replies.drain() {
            reply(Err(reason.clone()));
        }
        drop(state);
        self.arrived.notify_waiters();
    }

    /// Adds an encoded message, and wakes a waiting fetch.
    fn push(&self, name: String, ask: bool, payload: Vec<u8>, reply: Option<PendingReply>) {
        {
            let mut state = self.lock();
            let number = state.next;
            state.next += 1;
            state.items.push_back(Item {
                number,
                name,
                ask,
                payload,
            });
            if let Some(reply) = reply {
                state.replies.insert(number, reply);
            }
        }
        self.arrived.notify_waiters();
    }

    /// Whether a window's worth of messages is unfinished.
    fn window_full(&self) -> bool {
        let mut state = self.lock();
        state.release();
        state.items.len() >= WINDOW
    }

    /// Moves the messages sent to the reference into the feed, encoded,
    /// while fewer than a window's worth are unfinished; returns the
    /// reference's end (`stop`, `kill`, every reference dropped).
    pub(crate) async fn pump<A: RemoteActor>(
        &self,
        proxy: &mut Proxy<A>,
        accepts: &Accepts<A>,
    ) -> StopReason {
        let mut payload = Vec::new();
        loop {
            while self.window_full() {
                tokio::time::sleep(RECHECK).await;
            }
            let Some(sealed) = proxy.recv().await else {
                self.lock().closed = true;
                self.arrived.notify_waiters();
                return proxy.end_requested();
            };
            let Some(outbound) = accepts.outbound(sealed.message_type()) else {
                let reason = format!(
                    "{} is not among the messages the actor lists in RemoteActor::accepts, so it cannot reach its process",
                    sealed.message_name()
                );
                tracing::warn!("{reason}");
                sealed.reject(StopReason::failed(reason));
                continue;
            };
            let ask = sealed.is_ask();
            payload.clear();
            let Ok(reply) = (outbound.encode)(sealed, &mut payload) else {
                // The asker has been told why; a tell is dropped, as any
                // message that does not serialise.
                continue;
            };
            self.push(outbound.name.clone(), ask, payload.clone(), reply);
        }
    }
}

/// The session that serves a child's fetches.
pub(crate) struct FetchSession(pub(crate) Arc<Feed>);
/// The session that takes a child's reports.
pub(crate) struct ReportSession(pub(crate) Arc<Feed>);

impl Actor for FetchSession {}
impl Actor for ReportSession {}

impl WireName for FetchSession {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("actor.process.feed")
    }
}
impl WireName for ReportSession {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("actor.process.reports")
    }
}

impl RemoteActor for FetchSession {
    fn accepts(messages: &mut Accepts<Self>) {
        messages.accept::<Fetch>();
    }
}
impl RemoteActor for ReportSession {
    fn accepts(messages: &mut Accepts<Self>) {
        messages.accept::<Report>();
    }
}

impl Handler<Fetch> for FetchSession {
    async fn handle(&mut self, fetch: Fetch, _: &mut Context<Self>) -> Fetched {
        self.0.fetch(fetch.after, fetch.max.min(BATCH)).await
    }
}

impl Handler<Report> for ReportSession {
    async fn handle(&mut self, report: Report, _: &mut Context<Self>) {
        self.0.report(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A progress record in plain memory.
    #[derive(Default)]
    struct Record {
        started: AtomicU64,
        finished: AtomicU64,
    }

    impl Progress for Record {
        fn started(&self) -> u64 {
            self.started.load(Ordering::Acquire)
        }
        fn finished(&self) -> u64 {
            self.finished.load(Ordering::Acquire)
        }
    }

    /// The answers the asks of a test got, by number.
    type Answers = Arc<Mutex<Vec<(u64, Result<Vec<u8>, String>)>>>;

    /// Pushes `n` messages, each an ask whose answer (or failure) is
    /// written to `answers` under its number.
    fn fill(feed: &Feed, n: u64, answers: &Answers) {
        for number in 1..=n {
            let answers = answers.clone();
            let reply: PendingReply = Box::new(move |answer: Result<&[u8], StopReason>| {
                let answer = answer.map(<[u8]>::to_vec).map_err(|e| e.to_string());
                answers.lock().expect("answers").push((number, answer));
            });
            feed.push(format!("m{number}"), true, vec![number as u8], Some(reply));
        }
    }

    /// The rule a crash is settled by: finished messages are done (an
    /// unanswered one fails), the one in progress fails and is dropped,
    /// later ones stay, in order, for the next child.
    #[tokio::test]
    async fn a_crash_is_settled_by_the_progress_record() {
        let feed = Feed::new();
        let record = Arc::new(Record::default());
        feed.hosted_by(record.clone());
        let answers = Arc::new(Mutex::new(Vec::new()));
        fill(&feed, 10, &answers);
        let fetched = feed.fetch(0, 4).await;
        assert_eq!(
            fetched.items.iter().map(|i| i.number).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        // The child answered 1 and 2, finished 3 without its answer
        // arriving, and was killed handling 4.
        feed.report(Report {
            answers: vec![(1, Ok(vec![1])), (2, Ok(vec![2]))],
            ended: None,
        });
        record.finished.store(3, Ordering::Release);
        record.started.store(4, Ordering::Release);
        let exit = StopReason::Signal(9);
        let (reported, left) = feed.settle(&exit);
        assert_eq!(reported, None);
        assert_eq!(left, 6, "5 to 10 stay for the next child");
        let answers = answers.lock().expect("answers").clone();
        assert_eq!(answers.len(), 4, "{answers:?}");
        assert_eq!(answers[0], (1, Ok(vec![1])));
        assert_eq!(answers[1], (2, Ok(vec![2])));
        let failed: Vec<(u64, &String)> = answers[2..]
            .iter()
            .map(|(n, a)| (*n, a.as_ref().expect_err("failed")))
            .collect();
        assert_eq!(failed[0].0, 3);
        assert!(
            failed[0].1.contains("before its answer reached"),
            "{}",
            failed[0].1
        );
        assert_eq!(failed[1].0, 4);
        assert!(
            failed[1].1.contains("while handling the message"),
            "{}",
            failed[1].1
        );
        assert!(
            failed[1].1.contains("signal 9 (SIGKILL)"),
            "{}",
            failed[1].1
        );
        // The next child starts from the first message not handled.
        feed.hosted_by(Arc::new(Record::default()));
        let next = feed.fetch(0, 100).await;
        assert_eq!(
            next.items.iter().map(|i| i.number).collect::<Vec<_>>(),
            [5, 6, 7, 8, 9, 10]
        );
        assert!(!next.ended);
    }

    /// A child that finished what it started (nothing in progress) loses
    /// nothing: every later message stays.
    #[tokio::test]
    async fn a_crash_between_messages_loses_none() {
        let feed = Feed::new();
        let record = Arc::new(Record::default());
        feed.hosted_by(record.clone());
        let answers = Arc::new(Mutex::new(Vec::new()));
        fill(&feed, 3, &answers);
        feed.report(Report {
            answers: vec![(1, Ok(vec![]))],
            ended: None,
        });
        record.started.store(1, Ordering::Release);
        record.finished.store(1, Ordering::Release);
        let (_, left) = feed.settle(&StopReason::ExitStatus(1));
        assert_eq!(left, 2);
        assert_eq!(
            answers.lock().expect("answers").len(),
            1,
            "2 and 3 still wait"
        );
    }

    /// A fetch waits for a message; a closed feed says it ended.
    #[tokio::test]
    async fn a_fetch_waits_for_a_message_and_learns_of_the_end() {
        let feed = Feed::new();
        let waiting = tokio::spawn({
            let feed = feed.clone();
            async move { feed.fetch(0, 10).await }
        });
        tokio::task::yield_now().await;
        feed.push("m".into(), false, vec![7], None);
        let fetched = waiting.await.expect("fetched");
        assert_eq!(fetched.items.len(), 1);
        assert!(!fetched.ended);
        feed.fail_all(&StopReason::Normal);
        let last = feed.fetch(1, 10).await;
        assert!(last.items.is_empty() && last.ended);
    }
}
