//! Envelopes: one actor's messages of many types in one mailbox.
//!
//! A mailbox holds `Envelope<A>`: a type-erased message for actor `A`, with the
//! reply channel when it was sent by `ask`. A message of up to three machine
//! words (two for an ask) is stored inside the envelope itself; a larger one is
//! boxed ([`Compact`]). Opening an envelope builds the handler's future in
//! the actor's [`HandlerSlot`], so a small message reaches its handler
//! without allocating.
//!
//! A sender packs its message once, when the send starts ([`Packed`]): the
//! mailbox then takes, refuses or hands back the same words, and a large
//! message is never copied again until its handler takes it.

use std::any::TypeId;
use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Poll;

use crate::actor::Actor;
use crate::context::Context;
use crate::message::{Handler, Message};
use crate::runtime::compact::{build_in, Compact, Words};
use crate::runtime::handler_slot::{HandlerSlot, Outcome};
use crate::runtime::reply::ReplySender;
use crate::stop::StopReason;

/// Words of inline storage in an envelope.
const INLINE_WORDS: usize = 3;
type Storage = Words<INLINE_WORDS>;

/// Contents `C` in an envelope's storage.
type Stored<C> = Compact<C, INLINE_WORDS>;

/// A message on its way to a handler: the message and, for an ask, where the
/// reply goes.
pub(crate) struct Parcel<M: Message> {
    pub(crate) message: M,
    pub(crate) reply: Option<ReplySender<M::Reply>>,
}

/// How a told message (no reply channel) is stored.
struct Told<M>(M);
/// How an asked message is stored.
struct Asked<M: Message>(M, ReplySender<M::Reply>);

/// What the envelope's contents can do, whatever their type.
///
/// Neither this nor [`Envelope`] bounds `A` by `Actor` in its definition:
/// an actor whose state holds a reference to its own type (a
/// `WeakActorRef<Self>`, or a parent and a child that hold each other's)
/// makes `A: Send` depend on `Envelope<A>: Send`, and an `A: Actor` bound
/// there would make that depend on `A: Send` again through `Actor`'s
/// supertrait: a cycle rustc reports as an overflow (E0275). Without the
/// bound the cycle is one of auto traits only, which rustc accepts.
struct Operations<A> {
    /// Takes the contents and installs the handler future in the slot.
    /// The context is a `*mut Context<A>`, erased: naming `Context<A>` here
    /// would need the `A: Actor` bound this struct must not have.
    open: unsafe fn(Storage, *mut A, *mut (), &mut HandlerSlot),
    /// Drops the contents unopened.
    discard: unsafe fn(Storage),
    /// Drops the contents unopened, failing an ask with the reason.
    reject: unsafe fn(Storage, StopReason),
    /// The message type's name, for tracing.
    message_name: fn() -> &'static str,
    /// The message type, for code that opens envelopes by type (proxies).
    message_type: fn() -> TypeId,
    /// Whether the contents carry a reply channel (`Asked`).
    asked: bool,
    /// Whether the contents are [`fed::Fed`]: such an envelope opens only
    /// in its actor, never by type elsewhere.
    fed: bool,
}

/// A type-erased message for actor `A`.
pub(crate) struct Envelope<A: 'static> {
    operations: &'static Operations<A>,
    storage: Storage,
}

// SAFETY: an envelope only ever holds a `Told<M>` or `Asked<M>` with
// `M: Message` (so `Send`), and a `oneshot::Sender` of a `Send` reply; and
// envelopes are made only for `A: Actor` (by `Envelope::<A>::told` and
// `asked`, whose impl requires it), so no bound is needed here (see
// `Operations` for why there must be none).
unsafe impl<A: 'static> Send for Envelope<A> {}

/// Contents an envelope can hold for actor `A`.
trait Contents<A: Actor>: Sized + Send + 'static {
    const NAME: fn() -> &'static str;
    const TYPE: fn() -> TypeId;
    const ASKED: bool;
    const FED: bool = false;

    /// Drops the contents at `place` in place; an asker is told the
    /// message failed with `reason`.
    ///
    /// # Safety
    /// As for [`Contents::install`]'s `place`.
    unsafe fn reject(place: *mut Self, reason: StopReason);

    /// Builds the handler future for the contents at `place`, moving each
    /// field out once, straight into the handler's call (moving the
    /// contents out whole first would copy a large message onto the stack).
    ///
    /// `done` runs once the handler has finished and its answer is sent.
    ///
    /// # Safety
    /// `place` holds live contents, which this takes: the caller frees
    /// their memory without dropping them. And as [`HandlerSlot::put`]:
    /// `actor` and `ctx` must stay valid and unused until the slot is empty.
    unsafe fn install<D: Finish>(
        place: *mut Self,
        actor: *mut A,
        ctx: *mut Context<A>,
        slot: &mut HandlerSlot,
        done: D,
    );
}

/// What happens once a handler has finished and its answer is sent:
/// nothing, for almost every message (`()`, which takes no room in the
/// handler's future); a fed message records it ([`fed`]).
trait Finish: Send + 'static {
    fn finished(&self);
}

impl Finish for () {
    fn finished(&self) {}
}

impl<A: Handler<M>, M: Message> Contents<A> for Told<M> {
    const NAME: fn() -> &'static str = std::any::type_name::<M>;
    const TYPE: fn() -> TypeId = TypeId::of::<M>;
    const ASKED: bool = false;

    unsafe fn reject(place: *mut Self, _reason: StopReason) {
        // SAFETY: the caller hands over live contents, dropped once, here.
        unsafe { std::ptr::drop_in_place(place) }
    }

    unsafe fn install<D: Finish>(
        place: *mut Self,
        actor: *mut A,
        ctx: *mut Context<A>,
        slot: &mut HandlerSlot,
        done: D,
    ) {
        // SAFETY: the caller guarantees live contents at `place`, taken
        // here, and upholds `install`'s contract for the rest.
        unsafe {
            let message = std::ptr::addr_of!((*place).0);
            install(message, None, actor, ctx, slot, done)
        }
    }
}

impl<A: Handler<M>, M: Message> Contents<A> for Asked<M> {
    const NAME: fn() -> &'static str = std::any::type_name::<M>;
    const TYPE: fn() -> TypeId = TypeId::of::<M>;
    const ASKED: bool = true;

    unsafe fn reject(place: *mut Self, reason: StopReason) {
        // SAFETY: the caller hands over live contents: the reply channel is
        // taken and the message dropped, each once.
        let reply = unsafe {
            let reply = std::ptr::addr_of!((*place).1).read();
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*place).0));
            reply
        };
        reply.fail(reason);
    }

    unsafe fn install<D: Finish>(
        place: *mut Self,
        actor: *mut A,
        ctx: *mut Context<A>,
        slot: &mut HandlerSlot,
        done: D,
    ) {
        // SAFETY: as for `Told`; each field is taken once.
        unsafe {
            let reply = std::ptr::addr_of!((*place).1).read();
            let message = std::ptr::addr_of!((*place).0);
            install(message, Some(reply), actor, ctx, slot, done)
        }
    }
}

/// Builds the handler future for the message at `message` in `slot`,
/// inside a `message` span when tracing wants one. The message is read
/// where the handler's call takes it, and the future is built where it
/// will be polled, so a large message is on the stack once, briefly.
///
/// # Safety
/// `message` points to a live message, which this takes (the caller frees
/// its memory without dropping it; if this panics, it is leaked). And as
/// [`HandlerSlot::put`]: `actor` and `ctx` must stay valid and unused
/// until the slot is empty.
// Inlined into `open`: one call per message fewer on the hot path.
#[inline(always)]
unsafe fn install<A: Handler<M>, M: Message, D: Finish>(
    message: *const M,
    reply: Option<ReplySender<M::Reply>>,
    actor: *mut A,
    ctx: *mut Context<A>,
    slot: &mut HandlerSlot,
    done: D,
) {
    // SAFETY: the caller guarantees the pointers are valid and ours alone
    // until the slot empties, which outlasts these borrows.
    let (actor, ctx) = unsafe { (&mut *actor, &mut *ctx) };
    let handled = || Handled::<_, M, D> {
        // SAFETY: the caller hands over the message, read once, here.
        future: actor.handle(unsafe { message.read() }, ctx),
        reply,
        polled: MaybeUninit::uninit(),
        done,
    };
    // The span lives in the slot, not in every actor, and costs nothing
    // when tracing does not want it.
    let span = tracing::trace_span!("message", message = std::any::type_name::<M>());
    // SAFETY: the future borrows only `actor` and `ctx`, which the caller
    // keeps valid, unmoved and unused until the slot is empty.
    unsafe {
        if span.is_disabled() {
            slot.put_with(handled);
        } else {
            slot.put_with(|| tracing::Instrument::instrument(handled(), span));
        }
    }
}

/// A handler's future, its panic caught, its answer sent to the asker (if
/// any): what the handler slot holds. Written by hand, not as an `async`
/// block: a block that awaits a future it captured keeps room for it twice
/// (as the capture and as what it awaits), and the handler future holds the
/// message, so every message would be copied into twice its size.
///
/// The answer is sent from inside the catch, so the only copy of a large
/// reply on the stack is the one the handler's `poll` returns (a catch that
/// returned the answer would hold it twice: `catch_unwind` moves its result).
struct Handled<F, M: Message, D: Finish> {
    future: F,
    /// The asker's channel; `None` for a tell. The handler's panic is caught
    /// while the channel is still in hand, so the asker is told exactly how
    /// it failed; an asker that gave up waiting is not an error here.
    reply: Option<ReplySender<M::Reply>>,
    /// Where each poll of the handler's future writes its result: here in
    /// the slot rather than on the stack, so that a large reply is on the
    /// stack only where the handler's own code puts it. Uninitialised
    /// between polls: a ready answer is taken at once.
    polled: MaybeUninit<Poll<M::Reply>>,
    /// Runs once the handler has finished and its answer is sent.
    done: D,
}

impl<F: std::future::Future<Output = M::Reply>, M: Message, D: Finish> std::future::Future
    for Handled<F, M, D>
{
    type Output = Outcome;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Outcome> {
        // SAFETY: `future` is structurally pinned: it is never moved out of
        // `self`, and `Handled` has no `Drop` that could move it; `reply` and
        // `polled` are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let (reply, polled, done) = (&mut this.reply, &mut this.polled, &this.done);
        // SAFETY: as above, `future` stays where it is while pinned.
        let future = unsafe { std::pin::Pin::new_unchecked(&mut this.future) };
        let caught = catch_unwind(AssertUnwindSafe(|| {
            build_in(polled, || future.poll(cx));
            // SAFETY: just written.
            let Poll::Ready(answer) = (unsafe { polled.assume_init_mut() }) else {
                return Poll::Pending;
            };
            let answer: *mut M::Reply = answer;
            match reply.take() {
                // SAFETY: the answer is taken once, here; `polled` counts as
                // uninitialised from now on.
                Some(reply) => reply.send_packed(unsafe { Compact::take_from(answer) }),
                // SAFETY: as above: dropped once, here.
                None => unsafe { std::ptr::drop_in_place(answer) },
            }
            done.finished();
            Poll::Ready(())
        }));
        match caught {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => Poll::Ready(Ok(())),
            Err(panic) => {
                let failure = handler_panicked::<M>(&*panic);
                if let Some(reply) = this.reply.take() {
                    reply.fail(failure.clone());
                }
                Poll::Ready(Err(failure))
            }
        }
    }
}

fn handler_panicked<M>(panic: &(dyn std::any::Any + Send)) -> StopReason {
    let place = format!("the handler of {}", std::any::type_name::<M>());
    StopReason::from_panic(&place, panic)
}

/// The operation table for each (actor, contents) pair.
struct Table<A, C>(PhantomData<(A, C)>);

impl<A: Actor, C: Contents<A>> Table<A, C> {
    const OPERATIONS: Operations<A> = Operations {
        open: open::<A, C>,
        discard: discard::<C>,
        reject: reject::<A, C>,
        message_name: C::NAME,
        message_type: C::TYPE,
        asked: C::ASKED,
        fed: C::FED,
    };
}

unsafe fn open<A: Actor, C: Contents<A>>(
    storage: Storage,
    actor: *mut A,
    ctx: *mut (),
    slot: &mut HandlerSlot,
) {
    // SAFETY: the caller guarantees `storage` holds the `Stored<C>` the
    // table was chosen for, taken once.
    let stored = unsafe { Stored::<C>::from_raw(storage) };
    let ctx = ctx.cast::<Context<A>>();
    // SAFETY: `install` takes the whole contents; the caller upholds
    // `Envelope::open`'s contract for the pointers (`ctx` is the
    // `*mut Context<A>` that it erased).
    unsafe { stored.take_in_place(|contents| C::install(contents, actor, ctx, slot, ())) }
}

unsafe fn discard<C>(storage: Storage) {
    // SAFETY: the caller guarantees `storage` holds a live `Stored<C>`,
    // taken once; dropping it drops the contents.
    drop(unsafe { Stored::<C>::from_raw(storage) });
}

unsafe fn reject<A: Actor, C: Contents<A>>(storage: Storage, reason: StopReason) {
    // SAFETY: as for `discard`; `reject` takes the whole contents.
    unsafe { Stored::<C>::from_raw(storage).take_in_place(|contents| C::reject(contents, reason)) }
}

/// A parcel packed in the form an envelope stores it, before it is sealed
/// for a particular actor: a sender packs its message once, and sealing,
/// refusal and waiting in line then move these few words, not the message.
pub(crate) struct Packed<M: Message>(Pack<M>);

enum Pack<M: Message> {
    Told(Stored<Told<M>>),
    Asked(Stored<Asked<M>>),
}

impl<M: Message> Packed<M> {
    /// Packs a parcel (boxing a large message, once).
    pub(crate) fn new(parcel: Parcel<M>) -> Self {
        match parcel.reply {
            None => Self::told(parcel.message),
            Some(reply) => Self::asked(parcel.message, reply),
        }
    }

    /// Packs a told message. A large one is written straight into its box,
    /// field by field: building the contents first would put a copy of the
    /// message on the stack.
    pub(crate) fn told(message: M) -> Self {
        if Stored::<Told<M>>::FITS {
            return Packed(Pack::Told(Compact::new(Told(message))));
        }
        let mut boxed = Box::<Told<M>>::new_uninit();
        let place = boxed.as_mut_ptr();
        // SAFETY: `place` is valid for writes; `Told`'s one field is
        // written, which initialises the whole value.
        let boxed = unsafe {
            std::ptr::addr_of_mut!((*place).0).write(message);
            boxed.assume_init()
        };
        Packed(Pack::Told(Compact::from_box(boxed)))
    }

    /// Packs an asked message with its reply channel, as [`Packed::told`].
    pub(crate) fn asked(message: M, reply: ReplySender<M::Reply>) -> Self {
        if Stored::<Asked<M>>::FITS {
            return Packed(Pack::Asked(Compact::new(Asked(message, reply))));
        }
        let mut boxed = Box::<Asked<M>>::new_uninit();
        let place = boxed.as_mut_ptr();
        // SAFETY: `place` is valid for writes; both of `Asked`'s fields
        // are written, which initialises the whole value.
        let boxed = unsafe {
            std::ptr::addr_of_mut!((*place).0).write(message);
            std::ptr::addr_of_mut!((*place).1).write(reply);
            boxed.assume_init()
        };
        Packed(Pack::Asked(Compact::from_box(boxed)))
    }

    /// Unpacks the parcel.
    pub(crate) fn into_parcel(self) -> Parcel<M> {
        match self.0 {
            Pack::Told(told) => Parcel {
                message: told.into_inner().0,
                reply: None,
            },
            Pack::Asked(asked) => {
                let Asked(message, reply) = asked.into_inner();
                Parcel {
                    message,
                    reply: Some(reply),
                }
            }
        }
    }
}

impl<A: Actor> Envelope<A> {
    /// Seals a parcel for actor `A`.
    pub(crate) fn seal<M: Message>(parcel: Parcel<M>) -> Self
    where
        A: Handler<M>,
    {
        Self::seal_packed(Packed::new(parcel))
    }

    /// Seals a packed parcel for actor `A`, without moving its message.
    pub(crate) fn seal_packed<M: Message>(packed: Packed<M>) -> Self
    where
        A: Handler<M>,
    {
        match packed.0 {
            Pack::Told(told) => Self::stored(told),
            Pack::Asked(asked) => Self::stored(asked),
        }
    }

    /// The envelope of stored contents.
    fn stored<C: Contents<A>>(stored: Stored<C>) -> Self {
        Envelope {
            operations: &Table::<A, C>::OPERATIONS,
            storage: stored.into_raw(),
        }
    }

    /// Takes the parcel back out, if the envelope holds an `M`; otherwise
    /// hands the envelope back as it was.
    ///
    /// # Errors
    /// The envelope itself, unopened, when its message is not an `M`.
    pub(crate) fn unseal<M: Message>(self) -> Result<Parcel<M>, Self>
    where
        A: Handler<M>,
    {
        self.unseal_packed().map(Packed::into_parcel)
    }

    /// Takes the packed parcel back out, if the envelope holds an `M`,
    /// without moving the message; otherwise hands the envelope back.
    ///
    /// # Errors
    /// The envelope itself, unopened, when its message is not an `M`.
    pub(crate) fn unseal_packed<M: Message>(self) -> Result<Packed<M>, Self>
    where
        A: Handler<M>,
    {
        // The one check: the contents are a `Told<M'>` or an `Asked<M'>` for
        // the `M'` whose `TypeId` the table records.
        // A fed envelope's contents are wrapped, and it opens only in its
        // actor.
        if self.message_type() != TypeId::of::<M>() || self.operations.fed {
            return Err(self);
        }
        let asked = self.operations.asked;
        let storage = self.into_storage();
        // SAFETY: the message type is `M` (checked above), and the table says
        // whether `seal_packed` stored an `Asked<M>` or a `Told<M>`; the
        // storage is taken out of the envelope once.
        Ok(Packed(unsafe {
            if asked {
                Pack::Asked(Stored::from_raw(storage))
            } else {
                Pack::Told(Stored::from_raw(storage))
            }
        }))
    }

    /// The message type's name (a function, to keep it one word where stored).
    pub(crate) fn message_name(&self) -> fn() -> &'static str {
        self.operations.message_name
    }

    /// The message type.
    pub(crate) fn message_type(&self) -> TypeId {
        (self.operations.message_type)()
    }

    /// Whether the message was asked (carries a reply channel).
    pub(crate) fn is_asked(&self) -> bool {
        self.operations.asked
    }

    /// Drops the message unhandled; an asker gets `reason` as the failure.
    pub(crate) fn reject(self, reason: StopReason) {
        let reject = self.operations.reject;
        let storage = self.into_storage();
        // SAFETY: `operations` was built for the contents in `storage`,
        // which are taken out of the envelope once.
        unsafe { reject(storage, reason) }
    }

    /// Opens the envelope: builds the handler future for its message in `slot`.
    ///
    /// # Safety
    /// `actor` and `ctx` must stay valid, unmoved and otherwise unused until
    /// `slot` is empty again.
    pub(crate) unsafe fn open(self, actor: *mut A, ctx: *mut Context<A>, slot: &mut HandlerSlot) {
        let open = self.operations.open;
        let storage = self.into_storage();
        // SAFETY: `operations` was built for the contents in `storage`,
        // which are taken out of the envelope once. The caller upholds the
        // contract for `actor` and `ctx`.
        unsafe { open(storage, actor, ctx.cast::<()>(), slot) }
    }
}

impl<A: 'static> Envelope<A> {
    /// The contents' words, the envelope forgotten: whoever takes them owns
    /// the contents.
    fn into_storage(self) -> Storage {
        let this = mem::ManuallyDrop::new(self);
        // SAFETY: a bitwise copy of the words out of an envelope that is
        // never dropped: the contents keep exactly one owner.
        unsafe { std::ptr::read(&this.storage) }
    }
}

impl<A: 'static> Drop for Envelope<A> {
    fn drop(&mut self) {
        // SAFETY: a bitwise copy of the words, which this drop consumes.
        let storage = unsafe { std::ptr::read(&self.storage) };
        // SAFETY: `operations` was built for the contents in `storage`, and an
        // envelope that is dropped was never opened, rejected or unsealed (those
        // take its storage and forget it), so they are still live.
        unsafe { (self.operations.discard)(storage) }
    }
}

pub(crate) mod fed;

#[cfg(test)]
mod tests;
