//! Compact values: a value kept inline in a few words when it fits, and
//! boxed when it does not.
//!
//! Messages and replies move by value through several functions on their
//! way between a sender and a handler, and each move of a large value is a
//! copy on some stack: a 512 KiB message moved three times needs 1.5 MiB of
//! a 2 MiB worker stack. A [`Compact`] is a handful of words whatever its
//! value's size, so it moves cheaply, and a small value (the common case)
//! still costs no allocation.
//!
//! The envelope stores its type-erased contents in the same representation
//! ([`Compact::into_raw`], [`Compact::from_raw`]), which is what lets a
//! sender pack a message once and the mailbox take it without another copy.
//! And [`build_in`] builds a large value where it is to be kept (the
//! handler slot), not on the stack first.

use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop, MaybeUninit};

/// The words a compact value occupies: the value itself, or its box.
pub(crate) type Words<const N: usize> = MaybeUninit<[usize; N]>;

/// A `T` in `N` machine words: inline when it fits, boxed otherwise.
pub(crate) struct Compact<T, const N: usize> {
    words: Words<N>,
    value: PhantomData<T>,
}

// SAFETY: a `Compact<T, N>` owns a `T` (inline or through its box) and
// nothing else, so it may cross threads exactly when `T` may.
unsafe impl<T: Send, const N: usize> Send for Compact<T, N> {}
// SAFETY: as above: shared access gives no access to anything but the `T`.
unsafe impl<T: Sync, const N: usize> Sync for Compact<T, N> {}

impl<T, const N: usize> Compact<T, N> {
    /// Whether a `T` is stored inline (size and alignment fit the words).
    /// With no words, nothing but a zero-sized value could be kept, not
    /// even a box: compiling such a `Compact` fails here.
    pub(crate) const FITS: bool = {
        assert!(N >= 1, "a compact value needs a word, for its box");
        mem::size_of::<T>() <= mem::size_of::<Words<N>>()
            && mem::align_of::<T>() <= mem::align_of::<Words<N>>()
    };

    /// Packs `value`, boxing it if it does not fit.
    pub(crate) fn new(value: T) -> Self {
        let mut words = Words::<N>::uninit();
        let place = words.as_mut_ptr();
        if Self::FITS {
            // SAFETY: FITS checked size and alignment.
            unsafe { place.cast::<T>().write(value) };
        } else {
            // SAFETY: a box is one word, aligned to a word, and there is
            // at least one (FITS asserts it).
            unsafe { place.cast::<Box<T>>().write(Box::new(value)) };
        }
        Compact {
            words,
            value: PhantomData,
        }
    }

    /// Packs a value that is already boxed: a large one keeps its box, a
    /// small one moves inline.
    pub(crate) fn from_box(boxed: Box<T>) -> Self {
        if Self::FITS {
            return Self::new(*boxed);
        }
        let mut words = Words::<N>::uninit();
        // SAFETY: a box is one word, aligned to a word, and there is at
        // least one (FITS asserts it).
        unsafe { words.as_mut_ptr().cast::<Box<T>>().write(boxed) };
        Compact {
            words,
            value: PhantomData,
        }
    }

    /// Packs the value at `source`, taking it: it is copied straight to
    /// where it is kept (its box, for a large one), never onto the stack.
    ///
    /// # Safety
    /// `source` points to a live `T`, which this takes: the caller must not
    /// use or drop it afterwards.
    pub(crate) unsafe fn take_from(source: *const T) -> Self {
        if Self::FITS {
            // SAFETY: the caller hands over a live T.
            return Self::new(unsafe { source.read() });
        }
        let mut boxed = Box::<T>::new_uninit();
        // SAFETY: the caller hands over a live T, copied once into the new
        // box, which it then initialises.
        let boxed = unsafe {
            std::ptr::copy_nonoverlapping(source, boxed.as_mut_ptr(), 1);
            boxed.assume_init()
        };
        Self::from_box(boxed)
    }

    /// Unpacks the value (from its box, for a large one).
    pub(crate) fn into_inner(self) -> T {
        let this = ManuallyDrop::new(self);
        let place = this.words.as_ptr();
        if Self::FITS {
            // SAFETY: `new` wrote a T inline; `this` is never dropped, so it
            // is read once.
            unsafe { place.cast::<T>().read() }
        } else {
            // SAFETY: `new` wrote a Box<T>; read once, as above.
            *unsafe { place.cast::<Box<T>>().read() }
        }
    }

    /// The value in a box: its own box for a large one, a new one for a
    /// small one.
    pub(crate) fn into_box(self) -> Box<T> {
        if Self::FITS {
            return Box::new(self.into_inner());
        }
        let this = ManuallyDrop::new(self);
        // SAFETY: `new` or `from_box` wrote a Box<T>; `this` is never
        // dropped, so the box has one owner: the one returned.
        unsafe { this.words.as_ptr().cast::<Box<T>>().read() }
    }

    /// Hands the value's address to `take`, then frees the value's memory
    /// without dropping it: `take` reads each field out, or drops it, in
    /// place, so a large value is never moved whole onto the stack.
    ///
    /// # Safety
    /// `take` must take the whole value: move out or drop every field,
    /// once. If it panics, the fields it has not taken are leaked.
    pub(crate) unsafe fn take_in_place(self, take: impl FnOnce(*mut T)) {
        if Self::FITS {
            let mut value = ManuallyDrop::new(self.into_inner());
            take(&mut *value);
        } else {
            let value = Box::into_raw(self.into_box());
            take(value);
            // SAFETY: the box's memory, its value taken: freed as the
            // uninitialised memory it now is.
            drop(unsafe { Box::from_raw(value.cast::<MaybeUninit<T>>()) });
        }
    }

    /// The words themselves, for a holder that erases `T` (the envelope);
    /// [`Compact::from_raw`] turns them back into the value's owner.
    pub(crate) fn into_raw(self) -> Words<N> {
        let this = ManuallyDrop::new(self);
        // SAFETY: a bitwise copy of the words; `this` is never dropped, so
        // the value has exactly one owner: the words returned.
        unsafe { std::ptr::read(&this.words) }
    }

    /// The compact value whose words these are.
    ///
    /// # Safety
    /// `words` came from [`Compact::<T, N>::into_raw`] (same `T`, same `N`)
    /// and no other `Compact` was made from them.
    pub(crate) unsafe fn from_raw(words: Words<N>) -> Self {
        Compact {
            words,
            value: PhantomData,
        }
    }
}

impl<T, const N: usize> Drop for Compact<T, N> {
    fn drop(&mut self) {
        let place = self.words.as_mut_ptr();
        if Self::FITS {
            // SAFETY: `new` wrote a T inline; dropped once, here.
            unsafe { std::ptr::drop_in_place(place.cast::<T>()) }
        } else {
            // SAFETY: `new` wrote a Box<T>; dropped once, here.
            unsafe { std::ptr::drop_in_place(place.cast::<Box<T>>()) }
        }
    }
}

/// Values up to this size are built on the stack and copied, which is
/// cheaper than a call for a small one.
const BUILT_IN_PLACE_ABOVE: usize = 1024;

/// Writes what `make` returns into `place`: for a large value (a handler
/// future holding a large message, a handler's large reply), in a function
/// of its own, so that `place` is a reference argument, which the compiler
/// knows it may hand to `make` as the place to build its result in, rather
/// than building it on the stack and copying it.
#[inline(always)]
pub(crate) fn build_in<T>(place: &mut MaybeUninit<T>, make: impl FnOnce() -> T) {
    if mem::size_of::<T>() > BUILT_IN_PLACE_ABOVE {
        build_large_in(place, make);
    } else {
        place.write(make());
    }
}

#[inline(never)]
fn build_large_in<T>(place: &mut MaybeUninit<T>, make: impl FnOnce() -> T) {
    place.write(make());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Large enough to be boxed in three words, and counting its owners.
    type Large = (Arc<()>, [u64; 8]);

    const _: () = {
        assert!(Compact::<[usize; 3], 3>::FITS);
        assert!(!Compact::<[usize; 4], 3>::FITS);
        assert!(!Compact::<u128, 1>::FITS);
        assert!(Compact::<Arc<()>, 3>::FITS);
        assert!(!Compact::<Large, 3>::FITS);
    };

    #[test]
    fn a_compact_value_is_its_words_whatever_its_size() {
        assert_eq!(
            mem::size_of::<Compact<[u8; 4096], 3>>(),
            3 * mem::size_of::<usize>()
        );
        assert_eq!(Compact::<_, 3>::new([7usize; 3]).into_inner(), [7; 3]);
        let large = Compact::<_, 3>::new([9u8; 4096]).into_inner();
        assert!(large.iter().all(|&b| b == 9));
    }

    /// Every way in (`new`, `from_box`, `take_from`, `from_raw`) and out
    /// (`into_inner`, `into_box`, `take_in_place`, drop), inline and
    /// boxed: each value ends with one owner, dropped once.
    #[test]
    fn a_value_is_dropped_once_whichever_way_it_goes() {
        let counted = Arc::new(());
        let owners = || Arc::strong_count(&counted);
        let small = || counted.clone();
        let large = || (counted.clone(), [0u64; 8]);

        drop(Compact::<_, 3>::new(small()));
        drop(Compact::<_, 3>::new(large()));
        drop(Compact::<_, 3>::from_box(Box::new(small())).into_inner());
        drop(Compact::<_, 3>::from_box(Box::new(large())).into_box());
        assert_eq!(owners(), 1);

        let moved = mem::ManuallyDrop::new(large());
        // SAFETY: `moved` is handed over and never used again.
        let taken = unsafe { Compact::<Large, 3>::take_from(&*moved) };
        assert_eq!(owners(), 2);
        // SAFETY: the words come from `into_raw` of the same type and size.
        let back = unsafe { Compact::<Large, 3>::from_raw(taken.into_raw()) };
        drop(back.into_inner());
        assert_eq!(owners(), 1);

        for packed in [
            Compact::<_, 3>::new(large()),
            Compact::from_box(Box::new(large())),
        ] {
            // SAFETY: the closure takes the whole value: it drops it.
            unsafe { packed.take_in_place(|value| std::ptr::drop_in_place(value)) };
        }
        let mut seen = 0;
        // SAFETY: the closure takes the whole value: it reads it out.
        unsafe {
            Compact::<_, 3>::new(small()).take_in_place(|value| {
                seen = Arc::strong_count(&value.read());
            })
        };
        assert_eq!((seen, owners()), (2, 1));
    }

    #[test]
    fn build_in_writes_small_and_large_values() {
        let mut small = MaybeUninit::<[u8; 16]>::uninit();
        build_in(&mut small, || [3; 16]);
        // SAFETY: just written.
        assert_eq!(unsafe { small.assume_init() }, [3; 16]);
        let mut large = Box::new(MaybeUninit::<[u8; 64 * 1024]>::uninit());
        build_in(&mut large, || [5; 64 * 1024]);
        // SAFETY: just written.
        assert!(unsafe { large.assume_init_ref() }.iter().all(|&b| b == 5));
    }
}
