//! Envelopes: one actor's messages of many types in one mailbox.
//!
//! A mailbox holds `Envelope<A>`: a type-erased message for actor `A`, with the
//! reply channel when it was sent by `ask`. A message of up to three machine
//! words (two for an ask) is stored inside the envelope itself; a larger one is
//! boxed. Opening an envelope builds the handler's future in the actor's
//! [`HandlerSlot`], so a small message reaches its handler without allocating.

use std::any::TypeId;
use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};
use std::ptr::NonNull;

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::context::Context;
use crate::message::{Handler, Message};
use crate::runtime::handler_slot::{HandlerSlot, Outcome};
use crate::runtime::panic_guard::CatchPanic;
use crate::stop::StopReason;

/// Words of inline storage in an envelope.
const INLINE_WORDS: usize = 3;
type Storage = MaybeUninit<[usize; INLINE_WORDS]>;

/// Where an ask's answer goes: the reply, or the failure of the handler that
/// was computing it.
pub(crate) type ReplySender<M> = oneshot::Sender<Result<<M as Message>::Reply, StopReason>>;

/// A message on its way to a handler: the message and, for an ask, where the
/// reply goes.
pub(crate) struct Parcel<M: Message> {
    pub(crate) message: M,
    pub(crate) reply: Option<ReplySender<M>>,
}

/// How a told message (no reply channel) is stored.
struct Told<M>(M);
/// How an asked message is stored.
struct Asked<M: Message>(M, ReplySender<M>);

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
    /// Moves the contents out and installs the handler future in the slot.
    /// The context is a `*mut Context<A>`, erased: naming `Context<A>` here
    /// would need the `A: Actor` bound this struct must not have.
    open: unsafe fn(NonNull<u8>, *mut A, *mut (), &mut HandlerSlot),
    /// Drops the contents unopened.
    discard: unsafe fn(NonNull<u8>),
    /// Drops the contents unopened, failing an ask with the reason.
    reject: unsafe fn(NonNull<u8>, StopReason),
    /// The message type's name, for tracing.
    message_name: fn() -> &'static str,
    /// The message type, for code that opens envelopes by type (proxies).
    message_type: fn() -> TypeId,
    /// Whether the contents carry a reply channel (`Asked`).
    asked: bool,
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

    /// Drops the contents; an asker is told the message failed with `reason`.
    fn reject(self, reason: StopReason);

    /// Builds the handler future for these contents.
    ///
    /// # Safety
    /// See [`HandlerSlot::put`]: `actor` and `ctx` must stay valid and unused
    /// until the slot is empty.
    unsafe fn install(self, actor: *mut A, ctx: *mut Context<A>, slot: &mut HandlerSlot);
}

impl<A: Handler<M>, M: Message> Contents<A> for Told<M> {
    const NAME: fn() -> &'static str = std::any::type_name::<M>;
    const TYPE: fn() -> TypeId = TypeId::of::<M>;
    const ASKED: bool = false;

    fn reject(self, _reason: StopReason) {}

    unsafe fn install(self, actor: *mut A, ctx: *mut Context<A>, slot: &mut HandlerSlot) {
        // SAFETY: the caller guarantees the pointers are valid and ours alone
        // until the slot empties, which outlasts these borrows.
        let (actor, ctx) = unsafe { (&mut *actor, &mut *ctx) };
        let handled = Handled::<_, M> {
            future: CatchPanic(actor.handle(self.0, ctx)),
            reply: None,
        };
        // SAFETY: the future borrows only `actor` and `ctx`, which the caller
        // keeps valid, unmoved and unused until the slot is empty.
        unsafe { put_traced::<M, _>(slot, handled) };
    }
}

impl<A: Handler<M>, M: Message> Contents<A> for Asked<M> {
    const NAME: fn() -> &'static str = std::any::type_name::<M>;
    const TYPE: fn() -> TypeId = TypeId::of::<M>;
    const ASKED: bool = true;

    fn reject(self, reason: StopReason) {
        let _ = self.1.send(Err(reason));
    }

    unsafe fn install(self, actor: *mut A, ctx: *mut Context<A>, slot: &mut HandlerSlot) {
        // SAFETY: as for `Told`: the caller guarantees the pointers are valid
        // and ours alone until the slot empties.
        let (actor, ctx) = unsafe { (&mut *actor, &mut *ctx) };
        let Asked(message, reply) = self;
        let handled = Handled::<_, M> {
            future: CatchPanic(actor.handle(message, ctx)),
            reply: Some(reply),
        };
        // SAFETY: as for `Told`: the future borrows only `actor` and `ctx`.
        unsafe { put_traced::<M, _>(slot, handled) };
    }
}

/// A handler's future, its panic caught, its answer sent to the asker (if
/// any): what the handler slot holds. Written by hand, not as an `async`
/// block: a block that awaits a future it captured keeps room for it twice
/// (as the capture and as what it awaits), and the handler future holds the
/// message, so every message would be copied into twice its size.
struct Handled<F, M: Message> {
    future: CatchPanic<F>,
    /// The asker's channel; `None` for a tell. The handler's panic is caught
    /// while the channel is still in hand, so the asker is told exactly how
    /// it failed; an asker that gave up waiting is not an error here.
    reply: Option<ReplySender<M>>,
}

impl<F: std::future::Future<Output = M::Reply>, M: Message> std::future::Future for Handled<F, M> {
    type Output = Outcome;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Outcome> {
        // SAFETY: `future` is structurally pinned: it is never moved out of
        // `self`, and `Handled` has no `Drop` that could move it; `reply` is
        // not pinned and is only taken by value.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above, `future` stays where it is while pinned.
        let future = unsafe { std::pin::Pin::new_unchecked(&mut this.future) };
        future.poll(cx).map(|outcome| match outcome {
            Ok(answer) => {
                if let Some(reply) = this.reply.take() {
                    let _ = reply.send(Ok(answer));
                }
                Ok(())
            }
            Err(panic) => {
                let failure = handler_panicked::<M>(&*panic);
                if let Some(reply) = this.reply.take() {
                    let _ = reply.send(Err(failure.clone()));
                }
                Err(failure)
            }
        })
    }
}

fn handler_panicked<M>(panic: &(dyn std::any::Any + Send)) -> StopReason {
    let place = format!("the handler of {}", std::any::type_name::<M>());
    StopReason::from_panic(&place, panic)
}

/// Puts a handler future in the slot, inside a `message` span when tracing
/// wants one (the span then lives in the slot, not in every actor).
///
/// # Safety
/// As [`HandlerSlot::put`].
unsafe fn put_traced<M, F: std::future::Future<Output = Outcome> + Send>(
    slot: &mut HandlerSlot,
    future: F,
) {
    let span = tracing::trace_span!("message", message = std::any::type_name::<M>());
    if span.is_disabled() {
        // SAFETY: the caller upholds `HandlerSlot::put`'s contract for `future`.
        unsafe { slot.put(future) };
    } else {
        // SAFETY: as above; the span adds no borrow.
        unsafe { slot.put(tracing::Instrument::instrument(future, span)) };
    }
}

/// The operation tables, one per (actor, contents, inline or boxed).
struct Table<A, C>(PhantomData<(A, C)>);

impl<A: Actor, C: Contents<A>> Table<A, C> {
    const FITS: bool = mem::size_of::<C>() <= mem::size_of::<Storage>()
        && mem::align_of::<C>() <= mem::align_of::<Storage>();

    const INLINE: Operations<A> = Operations {
        open: open_inline::<A, C>,
        discard: discard_inline::<C>,
        reject: reject_inline::<A, C>,
        message_name: C::NAME,
        message_type: C::TYPE,
        asked: C::ASKED,
    };

    const BOXED: Operations<A> = Operations {
        open: open_boxed::<A, C>,
        discard: discard_boxed::<C>,
        reject: reject_boxed::<A, C>,
        message_name: C::NAME,
        message_type: C::TYPE,
        asked: C::ASKED,
    };
}

unsafe fn open_inline<A: Actor, C: Contents<A>>(
    place: NonNull<u8>,
    actor: *mut A,
    ctx: *mut (),
    slot: &mut HandlerSlot,
) {
    // SAFETY: the caller guarantees `place` holds a C written inline by
    // `Envelope::store` and not read before; it is read once, here.
    let contents = unsafe { place.as_ptr().cast::<C>().read() };
    // SAFETY: the caller upholds `Envelope::open`'s contract for the pointers;
    // `ctx` is the `*mut Context<A>` that `Envelope::open` erased.
    unsafe { contents.install(actor, ctx.cast::<Context<A>>(), slot) }
}

unsafe fn discard_inline<C>(place: NonNull<u8>) {
    // SAFETY: the caller guarantees `place` holds a live C, dropped once.
    unsafe { std::ptr::drop_in_place(place.as_ptr().cast::<C>()) }
}

unsafe fn reject_inline<A: Actor, C: Contents<A>>(place: NonNull<u8>, reason: StopReason) {
    // SAFETY: the caller guarantees `place` holds a live C, read once.
    unsafe { place.as_ptr().cast::<C>().read() }.reject(reason);
}

unsafe fn reject_boxed<A: Actor, C: Contents<A>>(place: NonNull<u8>, reason: StopReason) {
    // SAFETY: the caller guarantees `place` holds a live `Box<C>`, read once.
    unsafe { place.as_ptr().cast::<Box<C>>().read() }.reject(reason);
}

unsafe fn open_boxed<A: Actor, C: Contents<A>>(
    place: NonNull<u8>,
    actor: *mut A,
    ctx: *mut (),
    slot: &mut HandlerSlot,
) {
    // SAFETY: the caller guarantees `place` holds a `Box<C>` written by
    // `Envelope::store` and not read before; it is read once, here.
    let contents = unsafe { place.as_ptr().cast::<Box<C>>().read() };
    // SAFETY: the caller upholds `Envelope::open`'s contract for the pointers;
    // `ctx` is the `*mut Context<A>` that `Envelope::open` erased.
    unsafe { (*contents).install(actor, ctx.cast::<Context<A>>(), slot) }
}

unsafe fn discard_boxed<C>(place: NonNull<u8>) {
    // SAFETY: the caller guarantees `place` holds a live `Box<C>`, dropped once.
    unsafe { std::ptr::drop_in_place(place.as_ptr().cast::<Box<C>>()) }
}

impl<A: Actor> Envelope<A> {
    /// Seals a parcel for actor `A`.
    pub(crate) fn seal<M: Message>(parcel: Parcel<M>) -> Self
    where
        A: Handler<M>,
    {
        match parcel.reply {
            None => Self::store(Told(parcel.message)),
            Some(reply) => Self::store(Asked(parcel.message, reply)),
        }
    }

    fn store<C: Contents<A>>(contents: C) -> Self {
        let mut storage = Storage::uninit();
        let place = storage.as_mut_ptr().cast::<u8>();
        let operations: &'static Operations<A> = if Table::<A, C>::FITS {
            // SAFETY: FITS checked size and alignment.
            unsafe { place.cast::<C>().write(contents) };
            &Table::<A, C>::INLINE
        } else {
            // SAFETY: a Box is one word, aligned to a word.
            unsafe { place.cast::<Box<C>>().write(Box::new(contents)) };
            &Table::<A, C>::BOXED
        };
        Envelope {
            operations,
            storage,
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
        // The one check: the contents are a `Told<M'>` or an `Asked<M'>` for
        // the `M'` whose `TypeId` the table records.
        if self.message_type() != TypeId::of::<M>() {
            return Err(self);
        }
        let mut this = mem::ManuallyDrop::new(self);
        let place = this.storage.as_mut_ptr().cast::<u8>();
        let parcel = if this.operations.asked {
            // SAFETY: the message type is `M` (checked above) and the table is
            // an `Asked` one, so `store` wrote an `Asked<M>`, inline or boxed
            // as `Table::<A, Asked<M>>::FITS` says, which is what `take`
            // reads. `this` is never dropped, so the contents are read once.
            let Asked(message, reply) = unsafe { take::<A, Asked<M>>(place) };
            Parcel {
                message,
                reply: Some(reply),
            }
        } else {
            // SAFETY: as above, for a `Told<M>`.
            let Told(message) = unsafe { take::<A, Told<M>>(place) };
            Parcel {
                message,
                reply: None,
            }
        };
        Ok(parcel)
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
        let mut this = mem::ManuallyDrop::new(self);
        let place = NonNull::from(&mut this.storage).cast::<u8>();
        // SAFETY: `operations` was built for the contents in `storage`; they
        // are taken once and `this` is never dropped.
        unsafe { (this.operations.reject)(place, reason) }
    }

    /// Opens the envelope: builds the handler future for its message in `slot`.
    ///
    /// # Safety
    /// `actor` and `ctx` must stay valid, unmoved and otherwise unused until
    /// `slot` is empty again.
    pub(crate) unsafe fn open(self, actor: *mut A, ctx: *mut Context<A>, slot: &mut HandlerSlot) {
        let mut this = mem::ManuallyDrop::new(self);
        let place = NonNull::from(&mut this.storage).cast::<u8>();
        // SAFETY: `operations` was built for the contents in `storage`; they
        // are opened once and `this` is never dropped. The caller upholds the
        // contract for `actor` and `ctx`.
        unsafe { (this.operations.open)(place, actor, ctx.cast::<()>(), slot) }
    }
}

/// Reads contents of type C out of storage, inline or boxed as C's size says.
///
/// # Safety
/// `place` holds a live C as `Envelope::store` wrote it; it is read once.
unsafe fn take<A: Actor, C: Contents<A>>(place: *mut u8) -> C {
    if Table::<A, C>::FITS {
        // SAFETY: the caller guarantees a C; `store` wrote it inline since it fits.
        unsafe { place.cast::<C>().read() }
    } else {
        // SAFETY: the caller guarantees a C; `store` boxed it since it does not fit.
        *unsafe { place.cast::<Box<C>>().read() }
    }
}

impl<A: 'static> Drop for Envelope<A> {
    fn drop(&mut self) {
        let place = NonNull::from(&mut self.storage).cast::<u8>();
        // SAFETY: `operations` was built for the contents in `storage`, and an
        // envelope that is dropped was never opened, rejected or unsealed (those
        // wrap it in `ManuallyDrop`), so they are still live.
        unsafe { (self.operations.discard)(place) }
    }
}

#[cfg(test)]
mod tests;
