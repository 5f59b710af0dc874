//! Messages of every shape: zero-sized, one byte, a few words, large, and
//! over-aligned messages and replies arrive intact through `tell` and `ask`,
//! are handed back intact when refused, and are dropped exactly once whatever
//! happens to them (handled, refused, or discarded by a kill). Handler futures
//! of very different sizes and alignments run one after another in one actor.
//!
//! The runtime stores small messages inline and large ones boxed, and builds
//! handler futures in a reused buffer; these tests cover each of those paths
//! from the outside.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actor_core::prelude::*;
use actor_test_support::{gate, Gate, GateKey};

/// Checks what it receives and replies with a digest of it.
struct Inspector;

impl Actor for Inspector {
    fn mailbox_capacity() -> MailboxCapacity {
        MailboxCapacity::Bounded(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Zst;
impl Message for Zst {
    type Reply = Zst;
}
impl Handler<Zst> for Inspector {
    async fn handle(&mut self, msg: Zst, _ctx: &mut Context<Self>) -> Zst {
        msg
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Byte(u8);
impl Message for Byte {
    type Reply = u8;
}
impl Handler<Byte> for Inspector {
    async fn handle(&mut self, Byte(b): Byte, _ctx: &mut Context<Self>) -> u8 {
        b.wrapping_add(1)
    }
}

/// Exactly three machine words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Words([usize; 3]);
impl Message for Words {
    type Reply = usize;
}
impl Handler<Words> for Inspector {
    async fn handle(&mut self, Words(w): Words, _ctx: &mut Context<Self>) -> usize {
        w.iter().sum()
    }
}

/// Heap data with a destructor, three words on the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Text(String);
impl Message for Text {
    type Reply = String;
}
impl Handler<Text> for Inspector {
    async fn handle(&mut self, Text(t): Text, _ctx: &mut Context<Self>) -> String {
        t.to_uppercase()
    }
}

/// Far larger than any inline storage; the reply is large too.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Big([u64; 64]);
impl Message for Big {
    type Reply = [u64; 64];
}
impl Handler<Big> for Inspector {
    async fn handle(&mut self, Big(mut words): Big, _ctx: &mut Context<Self>) -> [u64; 64] {
        words.reverse();
        words
    }
}

/// Aligned beyond any machine word; so is the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
struct Aligned([u8; 8]);
impl Message for Aligned {
    type Reply = Aligned;
}
impl Handler<Aligned> for Inspector {
    async fn handle(&mut self, msg: Aligned, _ctx: &mut Context<Self>) -> Aligned {
        assert_eq!(
            std::ptr::addr_of!(msg) as usize % 64,
            0,
            "the message lost its alignment"
        );
        Aligned(msg.0.map(|b| b ^ 0xff))
    }
}

/// A 16-byte-aligned integer, as `u128` is on some targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wide(u128);
impl Message for Wide {
    type Reply = u128;
}
impl Handler<Wide> for Inspector {
    async fn handle(&mut self, Wide(n): Wide, _ctx: &mut Context<Self>) -> u128 {
        n.rotate_left(64)
    }
}

struct Hold(Gate);
impl Message for Hold {
    type Reply = ();
}
impl Handler<Hold> for Inspector {
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        gate.pass().await;
    }
}

fn pattern() -> [u64; 64] {
    std::array::from_fn(|i| (i as u64 + 1) * 0x0101_0101_0101_0101)
}

#[tokio::test]
async fn messages_and_replies_of_every_shape_arrive_intact() {
    let inspector = spawn(Inspector);

    assert_eq!(inspector.ask(Zst).await, Ok(Zst));
    assert_eq!(inspector.ask(Byte(41)).await, Ok(42));
    assert_eq!(inspector.ask(Words([1, 20, 300])).await, Ok(321));
    assert_eq!(
        inspector.ask(Text("héllo".into())).await,
        Ok("HÉLLO".into())
    );
    let mut reversed = pattern();
    reversed.reverse();
    assert_eq!(inspector.ask(Big(pattern())).await, Ok(reversed));
    assert_eq!(
        inspector.ask(Aligned([1, 2, 3, 4, 5, 6, 7, 8])).await,
        Ok(Aligned([!1, !2, !3, !4, !5, !6, !7, !8]))
    );
    let wide = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128;
    assert_eq!(inspector.ask(Wide(wide)).await, Ok(wide.rotate_left(64)));

    // Told, then checked through a recipient's ask: the same paths without a
    // reply channel in the envelope.
    inspector.tell(Zst).await.unwrap();
    inspector.tell(Words([7, 8, 9])).await.unwrap();
    inspector.tell(Big(pattern())).await.unwrap();
    inspector.tell(Aligned([9; 8])).await.unwrap();
    inspector.tell(Text("told".into())).await.unwrap();
    assert_eq!(
        inspector
            .recipient::<Text>()
            .ask(Text("after".into()))
            .await,
        Ok("AFTER".into())
    );
}

async fn held(inspector: &ActorRef<Inspector>) -> GateKey {
    let (gate, mut key) = gate();
    inspector.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    // Fill the one place in the mailbox.
    inspector.try_tell(Zst).unwrap();
    key
}

#[tokio::test]
async fn refused_messages_of_every_shape_are_handed_back_intact() {
    let inspector = spawn(Inspector);
    let key = held(&inspector).await;

    assert_eq!(inspector.try_tell(Zst).unwrap_err().message, Zst);
    assert_eq!(inspector.try_tell(Byte(7)).unwrap_err().message, Byte(7));
    assert_eq!(
        inspector.try_tell(Words([1, 2, 3])).unwrap_err().message,
        Words([1, 2, 3])
    );
    assert_eq!(
        inspector.try_tell(Text("back".into())).unwrap_err().message,
        Text("back".into())
    );
    assert_eq!(
        inspector.try_tell(Big(pattern())).unwrap_err().message,
        Big(pattern())
    );
    let aligned = inspector.try_tell(Aligned([3; 8])).unwrap_err().message;
    assert_eq!(aligned, Aligned([3; 8]));
    assert_eq!(std::ptr::addr_of!(aligned) as usize % 64, 0);
    assert_eq!(
        inspector.try_tell(Wide(u128::MAX - 1)).unwrap_err().message,
        Wide(u128::MAX - 1)
    );

    key.open();
    inspector.stop();
    inspector.join().await;
    // And from a stopped actor, through the waiting `tell`.
    assert_eq!(
        inspector.tell(Big(pattern())).await.unwrap_err().message,
        Big(pattern())
    );
    assert_eq!(
        inspector
            .tell(Text("late".into()))
            .await
            .unwrap_err()
            .message,
        Text("late".into())
    );
}

/// Counts its drops; comes small (inline) or large (boxed).
struct Tracked<const PAD: usize> {
    drops: Arc<AtomicUsize>,
    _padding: [u64; PAD],
}

impl<const PAD: usize> Tracked<PAD> {
    fn new(drops: &Arc<AtomicUsize>) -> Self {
        Tracked {
            drops: drops.clone(),
            _padding: [0; PAD],
        }
    }
}

impl<const PAD: usize> Drop for Tracked<PAD> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

impl<const PAD: usize> Message for Tracked<PAD> {
    type Reply = ();
}

impl<const PAD: usize> Handler<Tracked<PAD>> for Inspector {
    async fn handle(&mut self, _msg: Tracked<PAD>, _ctx: &mut Context<Self>) {}
}

async fn drops_exactly_once<const PAD: usize>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let inspector = spawn(Inspector);
    let mut created = 0;

    // Handled, told and asked.
    inspector.tell(Tracked::<PAD>::new(&drops)).await.unwrap();
    inspector.ask(Tracked::<PAD>::new(&drops)).await.unwrap();
    created += 2;

    // Refused: handed back, then dropped by us.
    let key = held(&inspector).await;
    drop(inspector.try_tell(Tracked::<PAD>::new(&drops)).unwrap_err());
    created += 1;

    // Handled after waiting for room; then one queued behind a held handler
    // and discarded by a kill.
    key.open();
    inspector.tell(Tracked::<PAD>::new(&drops)).await.unwrap();
    created += 1;
    let (gate, mut key) = gate();
    inspector.tell(Hold(gate)).await.unwrap();
    key.entered().await;
    inspector.try_tell(Tracked::<PAD>::new(&drops)).unwrap();
    created += 1;
    inspector.kill();
    inspector.join().await;

    // Refused by the stopped actor.
    drop(
        inspector
            .tell(Tracked::<PAD>::new(&drops))
            .await
            .unwrap_err(),
    );
    created += 1;

    assert_eq!(drops.load(Ordering::SeqCst), created);
}

#[tokio::test]
async fn small_messages_are_dropped_exactly_once() {
    drops_exactly_once::<0>().await;
}

#[tokio::test]
async fn large_messages_are_dropped_exactly_once() {
    drops_exactly_once::<32>().await;
}

/// Handles messages whose handler futures differ widely in size and alignment.
struct Shapeshifter;
impl Actor for Shapeshifter {}

/// A handler whose future is tiny.
struct Tiny(u32);
impl Message for Tiny {
    type Reply = u32;
}
impl Handler<Tiny> for Shapeshifter {
    async fn handle(&mut self, Tiny(n): Tiny, _ctx: &mut Context<Self>) -> u32 {
        tokio::task::yield_now().await;
        n + 1
    }
}

/// A handler whose future holds 16 KiB across an await.
struct Huge(u8);
impl Message for Huge {
    type Reply = u64;
}
impl Handler<Huge> for Shapeshifter {
    async fn handle(&mut self, Huge(fill): Huge, _ctx: &mut Context<Self>) -> u64 {
        let buffer = [fill; 16 * 1024];
        tokio::task::yield_now().await;
        buffer.iter().map(|&b| u64::from(b)).sum()
    }
}

/// A handler whose future holds a 256-byte-aligned value across an await.
#[repr(align(256))]
struct Page([u8; 32]);
struct Strict(u8);
impl Message for Strict {
    type Reply = (u32, usize);
}
impl Handler<Strict> for Shapeshifter {
    async fn handle(&mut self, Strict(fill): Strict, _ctx: &mut Context<Self>) -> (u32, usize) {
        let page = Page([fill; 32]);
        tokio::task::yield_now().await;
        let misalignment = std::ptr::addr_of!(page) as usize % 256;
        (page.0.iter().map(|&b| u32::from(b)).sum(), misalignment)
    }
}

#[tokio::test]
async fn handler_futures_of_any_size_and_alignment_run_in_turn() {
    let actor = spawn(Shapeshifter);
    for round in 0..5u8 {
        assert_eq!(
            actor.ask(Tiny(u32::from(round))).await,
            Ok(u32::from(round) + 1)
        );
        assert_eq!(
            actor.ask(Huge(round)).await,
            Ok(16 * 1024 * u64::from(round))
        );
        assert_eq!(
            actor.ask(Strict(round)).await,
            Ok((32 * u32::from(round), 0)),
            "wrong contents, or the future was misaligned"
        );
        assert_eq!(actor.ask(Tiny(7)).await, Ok(8));
    }
    // Interleaved without waiting, so they pass through the mailbox together.
    actor.tell(Strict(1)).await.unwrap();
    actor.tell(Huge(1)).await.unwrap();
    actor.tell(Tiny(1)).await.unwrap();
    assert_eq!(actor.ask(Strict(2)).await, Ok((64, 0)));
}
