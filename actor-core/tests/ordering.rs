//! Message ordering: messages from one sender arrive in the order sent, whether
//! several senders race for a small mailbox, the sender mixes `tell` and `ask`,
//! sends through a `Recipient`, or sends messages of different types.

use std::collections::HashMap;

use actor_core::prelude::*;

/// Checks, per sender, that each sequence number is the one after the last.
#[derive(Default)]
struct SequenceChecker {
    /// The next number expected from each sender.
    expected: HashMap<u32, u64>,
    /// `(sender, expected, got)` for every message that arrived out of order.
    out_of_order: Vec<(u32, u64, u64)>,
}

impl Actor for SequenceChecker {
    // Small, so that senders constantly wait for room and are admitted in
    // interleaved order: the case where a per-sender ordering bug would show.
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(4)
    }
}

/// Message number `n` from sender `sender`.
#[derive(Clone, Copy, Debug)]
struct Numbered {
    sender: u32,
    n: u64,
}

impl Message for Numbered {
    type Reply = ();
}

impl Handler<Numbered> for SequenceChecker {
    async fn handle(&mut self, msg: Numbered, _ctx: &mut Context<Self>) {
        let expected = self.expected.entry(msg.sender).or_insert(0);
        if msg.n != *expected {
            self.out_of_order.push((msg.sender, *expected, msg.n));
        }
        *expected = msg.n + 1;
    }
}

/// Asks for what the checker saw: how many messages per sender, and the
/// out-of-order arrivals.
struct Report;

impl Message for Report {
    type Reply = (HashMap<u32, u64>, Vec<(u32, u64, u64)>);
}

impl Handler<Report> for SequenceChecker {
    async fn handle(&mut self, _: Report, _ctx: &mut Context<Self>) -> <Report as Message>::Reply {
        (self.expected.clone(), self.out_of_order.clone())
    }
}

const SENDERS: u32 = 8;
const PER_SENDER: u64 = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_of_several_concurrent_senders_is_received_in_order() {
    let checker = spawn(SequenceChecker::default());
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        // Three ways to send, so that each path keeps its sender's order:
        // `ActorRef::tell`, `Recipient::tell`, and `ask` (which waits for each
        // reply, so it is ordered by construction but shares the mailbox).
        let by_ref = checker.clone();
        let by_recipient = checker.recipient::<Numbered>();
        senders.push(tokio::spawn(async move {
            for n in 0..PER_SENDER {
                let msg = Numbered { sender, n };
                match sender % 3 {
                    0 => by_ref.tell(msg).await.expect("the checker is running"),
                    1 => by_recipient
                        .tell(msg)
                        .await
                        .expect("the checker is running"),
                    _ => by_ref.ask(msg).await.expect("the checker is running"),
                }
            }
        }));
    }
    for sender in senders {
        sender.await.expect("a sender task panicked");
    }

    let (received, out_of_order) = checker.ask(Report).await.unwrap();
    assert_eq!(out_of_order, vec![], "messages arrived out of order");
    for sender in 0..SENDERS {
        assert_eq!(
            received.get(&sender),
            Some(&PER_SENDER),
            "sender {sender} did not get all its messages through"
        );
    }
}

/// Records every value it is given, in arrival order, whatever the message type.
#[derive(Default)]
struct Journal {
    entries: Vec<String>,
}

impl Actor for Journal {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(3)
    }
}

/// A small message (stored inline in the mailbox).
struct Small(u8);
impl Message for Small {
    type Reply = ();
}
impl Handler<Small> for Journal {
    async fn handle(&mut self, Small(n): Small, _ctx: &mut Context<Self>) {
        self.entries.push(format!("small {n}"));
    }
}

/// A large message (boxed in the mailbox).
struct Large([u64; 32]);
impl Message for Large {
    type Reply = usize;
}
impl Handler<Large> for Journal {
    async fn handle(&mut self, Large(words): Large, _ctx: &mut Context<Self>) -> usize {
        self.entries.push(format!("large {}", words[31]));
        self.entries.len()
    }
}

/// Returns the journal so far.
struct Read;
impl Message for Read {
    type Reply = Vec<String>;
}
impl Handler<Read> for Journal {
    async fn handle(&mut self, _: Read, _ctx: &mut Context<Self>) -> Vec<String> {
        self.entries.clone()
    }
}

#[tokio::test]
async fn tells_asks_and_message_types_from_one_sender_keep_their_order() {
    let journal = spawn(Journal::default());
    let mut expected = Vec::new();
    for i in 0..50u8 {
        match i % 4 {
            0 | 1 => {
                journal.tell(Small(i)).await.unwrap();
                expected.push(format!("small {i}"));
            }
            2 => {
                journal.tell(Large([u64::from(i); 32])).await.unwrap();
                expected.push(format!("large {i}"));
            }
            _ => {
                // An ask is answered only after everything sent before it.
                expected.push(format!("large {i}"));
                let position = journal.ask(Large([u64::from(i); 32])).await.unwrap();
                assert_eq!(position, expected.len(), "ask {i} overtook earlier tells");
            }
        }
    }
    assert_eq!(journal.ask(Read).await.unwrap(), expected);
}

#[tokio::test]
async fn a_recipient_and_an_actor_ref_used_in_turn_by_one_task_keep_its_order() {
    let journal = spawn(Journal::default());
    let small = journal.recipient::<Small>();
    for i in 0..100u8 {
        if i % 2 == 0 {
            small.tell(Small(i)).await.unwrap();
        } else {
            journal.tell(Small(i)).await.unwrap();
        }
    }
    let expected: Vec<String> = (0..100).map(|i| format!("small {i}")).collect();
    assert_eq!(journal.ask(Read).await.unwrap(), expected);
}
