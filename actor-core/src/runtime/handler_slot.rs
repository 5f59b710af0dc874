//! The handler slot: where the future of the message being handled lives.
//!
//! An actor handles one message at a time, so at most one handler future exists
//! per actor. Instead of boxing each one, the actor keeps one heap buffer,
//! constructs each handler future in it, polls it there until it completes, and
//! drops it in place. The buffer grows to fit the largest handler future seen
//! and is then reused: a message costs no allocation here.
//!
//! A slot future resolves to the handler's [`Outcome`]: `Err` when the handler
//! panicked (it catches its own panic, so that an asker is told exactly why).
//!
//! The handler future borrows the actor's state and context. The slot erases that
//! borrow; the actor loop guarantees the borrowed values stay put and are not
//! touched until the slot is empty again.

use std::alloc::{self, Layout};
use std::future::Future;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use crate::runtime::compact::build_in;
use crate::stop::StopReason;

/// How handling one message ended: `Err` carries the failure.
pub(crate) type Outcome = Result<(), StopReason>;

/// The functions that operate on the future currently in the slot.
struct Occupant {
    poll: unsafe fn(NonNull<u8>, &mut Context<'_>) -> Poll<Outcome>,
    drop: unsafe fn(NonNull<u8>),
}

/// One table per future type, so the slot stores a single pointer.
struct Table<F>(std::marker::PhantomData<F>);

impl<F: Future<Output = Outcome>> Table<F> {
    const OCCUPANT: Occupant = Occupant {
        poll: poll_in_place::<F>,
        drop: drop_in_place::<F>,
    };
}

pub(crate) struct HandlerSlot {
    buffer: NonNull<u8>,
    /// The buffer's size and alignment (`u32`s: this struct is part of every
    /// actor, and no handler future is 4 GiB).
    size: u32,
    align: u32,
    occupant: Option<&'static Occupant>,
}

// SAFETY: only futures that are `Send` are placed in the slot (see `put`).
unsafe impl Send for HandlerSlot {}

impl HandlerSlot {
    /// An empty slot; allocates nothing until the first future.
    pub(crate) fn new() -> Self {
        HandlerSlot {
            buffer: NonNull::dangling(),
            size: 0,
            align: 1,
            occupant: None,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.occupant.is_none()
    }

    /// Moves `future` into the slot (the runtime builds its futures in
    /// place with [`HandlerSlot::put_with`]; tests hand over a future).
    ///
    /// # Safety
    /// Everything `future` borrows must stay valid, unmoved and otherwise
    /// unused until the slot is empty again (the future completed, or
    /// [`HandlerSlot::clear`] ran).
    #[cfg(test)]
    pub(crate) unsafe fn put<F: Future<Output = Outcome> + Send>(&mut self, future: F) {
        // SAFETY: the caller upholds the contract for `future`.
        unsafe { self.put_with(|| future) }
    }

    /// Builds a future in the slot: `make` runs once the buffer fits, and
    /// its result is written straight into it, so a future that holds a
    /// large message is not built on the stack and then copied.
    ///
    /// # Safety
    /// As [`HandlerSlot::put`], for the future `make` returns.
    pub(crate) unsafe fn put_with<F: Future<Output = Outcome> + Send>(
        &mut self,
        make: impl FnOnce() -> F,
    ) {
        debug_assert!(self.is_empty(), "one handler future at a time");
        let needed = Layout::new::<F>();
        if needed.size() > self.size as usize || needed.align() > self.align as usize {
            self.grow(needed);
        }
        // SAFETY: the buffer fits F's size and alignment and is unoccupied,
        // and nothing else refers to it.
        let place = unsafe { &mut *self.buffer.as_ptr().cast::<MaybeUninit<F>>() };
        build_in(place, make);
        self.occupant = Some(&Table::<F>::OCCUPANT);
    }

    /// Polls the future in the slot; empties the slot when it completes.
    /// An empty slot is ready.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        let Some(occupant) = self.occupant else {
            return Poll::Ready(Ok(()));
        };
        // SAFETY: the occupant was written by `put` and is still in place; the
        // buffer does not move while occupied, which is what pinning requires.
        let ready = unsafe { (occupant.poll)(self.buffer, cx) };
        if ready.is_ready() {
            self.clear();
        }
        ready
    }

    /// Drops the future in the slot, if any. Also used after it panicked.
    pub(crate) fn clear(&mut self) {
        if let Some(occupant) = self.occupant.take() {
            // SAFETY: the occupant is in place and, having been taken out of
            // `self.occupant`, is dropped exactly once even if drop panics.
            unsafe { (occupant.drop)(self.buffer) };
        }
    }

    fn layout(&self) -> Layout {
        Layout::from_size_align(self.size as usize, self.align as usize)
            .expect("built from a valid layout")
    }

    fn grow(&mut self, needed: Layout) {
        let layout = Layout::from_size_align(
            needed.size().max(self.size as usize),
            needed.align().max(self.align as usize),
        )
        .expect("a future's layout is valid");
        let (Ok(size), Ok(align)) = (u32::try_from(layout.size()), u32::try_from(layout.align()))
        else {
            panic!("a handler future of {} bytes is too large", layout.size());
        };
        self.release();
        if layout.size() == 0 {
            // A dangling pointer aligned to `layout.align()` is a valid place
            // for a zero-sized value.
            self.buffer = NonNull::new(layout.align() as *mut u8).expect("alignment is non-zero");
        } else {
            // SAFETY: the size is non-zero.
            let raw = unsafe { alloc::alloc(layout) };
            self.buffer = NonNull::new(raw).unwrap_or_else(|| alloc::handle_alloc_error(layout));
        }
        self.size = size;
        self.align = align;
    }

    fn release(&mut self) {
        if self.size != 0 {
            // SAFETY: allocated in `grow` with this very layout.
            unsafe { alloc::dealloc(self.buffer.as_ptr(), self.layout()) };
        }
        self.size = 0;
        self.align = 1;
        self.buffer = NonNull::dangling();
    }
}

impl Drop for HandlerSlot {
    fn drop(&mut self) {
        self.clear();
        self.release();
    }
}

unsafe fn poll_in_place<F: Future<Output = Outcome>>(
    place: NonNull<u8>,
    cx: &mut Context<'_>,
) -> Poll<Outcome> {
    // SAFETY: the caller guarantees `place` holds a live F; it never moves
    // while the slot is occupied, so pinning it in place is sound.
    let future = unsafe { std::pin::Pin::new_unchecked(&mut *place.as_ptr().cast::<F>()) };
    future.poll(cx)
}

unsafe fn drop_in_place<F>(place: NonNull<u8>) {
    // SAFETY: the caller guarantees `place` holds a live F, dropped once.
    unsafe { std::ptr::drop_in_place(place.as_ptr().cast::<F>()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct CountDrops(Arc<AtomicUsize>);
    impl Drop for CountDrops {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn futures_of_different_sizes_reuse_one_buffer() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = HandlerSlot::new();
        let mut total = 0u64;
        for round in 0..3u64 {
            let big = [round; 32];
            let guard = CountDrops(drops.clone());
            let out = &mut total;
            // SAFETY: the future borrows `total` mutably, which is not touched
            // until the slot is empty again (the future completes below).
            unsafe {
                slot.put(async move {
                    let _g = guard;
                    tokio::task::yield_now().await;
                    *out += big.iter().sum::<u64>();
                    Ok(())
                })
            };
            assert_eq!(std::future::poll_fn(|cx| slot.poll(cx)).await, Ok(()));
            assert!(slot.is_empty());
        }
        assert_eq!(total, 32 * 3);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        // SAFETY: the future borrows nothing.
        unsafe { slot.put(async { Ok(()) }) };
        assert!(!slot.is_empty());
    }

    #[test]
    fn clear_drops_an_unfinished_future_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = HandlerSlot::new();
        let guard = CountDrops(drops.clone());
        // SAFETY: the future borrows nothing (it owns `guard`).
        unsafe {
            slot.put(async move {
                let _g = guard;
                std::future::pending::<()>().await;
                Ok(())
            })
        };
        slot.clear();
        slot.clear();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
}
