//! Fed envelopes: messages that a process host hands its actor, each with
//! its sequence number, so that the process's progress record says which
//! handler was running when the process died.
//!
//! Opening a fed envelope stores its number as *started*; its handler's
//! completion (the answer sent) stores it as *finished*. The record is two
//! atomics in memory the parent process also maps, so it survives a
//! SIGKILL, which loses whatever the child had not yet sent. A process
//! hosts one actor, so the record is one per process, set once
//! ([`record_progress_in`]). Envelopes that are not fed carry nothing of
//! this and pay nothing.

use std::any::TypeId;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use super::{Asked, Contents, Envelope, Finish, Parcel, Told};
use crate::actor::Actor;
use crate::context::Context;
use crate::message::{Handler, Message};
use crate::runtime::compact::Compact;
use crate::runtime::handler_slot::HandlerSlot;
use crate::stop::StopReason;

/// The process's progress record: where fed envelopes store their numbers.
struct Record {
    started: &'static AtomicU64,
    finished: &'static AtomicU64,
}

static RECORD: OnceLock<Record> = OnceLock::new();

/// Sets the process's progress record, once: `started` and `finished` then
/// receive the numbers of the fed messages whose handlers start and finish.
/// Returns `false`, changing nothing, if a record was set already.
pub(crate) fn record_progress_in(
    started: &'static AtomicU64,
    finished: &'static AtomicU64,
) -> bool {
    RECORD.set(Record { started, finished }).is_ok()
}

fn store(number: u64, which: fn(&Record) -> &'static AtomicU64) {
    if let Some(record) = RECORD.get() {
        // Release: whoever reads the record after this process ends sees
        // the handler's effects on shared memory too, if it made any.
        which(record).store(number, Ordering::Release);
    }
}

/// Contents `C` with the sequence number it was fed under.
pub(super) struct Fed<C> {
    number: u64,
    contents: C,
}

/// The completion of a fed message's handler.
struct Finished(u64);

impl Finish for Finished {
    fn finished(&self) {
        store(self.0, |record| record.finished);
    }
}

impl<A: Actor, C: Contents<A>> Contents<A> for Fed<C> {
    const NAME: fn() -> &'static str = C::NAME;
    const TYPE: fn() -> TypeId = C::TYPE;
    const ASKED: bool = C::ASKED;
    const FED: bool = true;

    unsafe fn reject(place: *mut Self, reason: StopReason) {
        // SAFETY: the caller hands over live contents; the number is a
        // plain integer, and the wrapped contents are taken once, here.
        unsafe { C::reject(std::ptr::addr_of_mut!((*place).contents), reason) }
    }

    unsafe fn install<D: Finish>(
        place: *mut Self,
        actor: *mut A,
        ctx: *mut Context<A>,
        slot: &mut HandlerSlot,
        _outer: D,
    ) {
        // SAFETY: the caller hands over live contents at `place`.
        let number = unsafe { std::ptr::addr_of!((*place).number).read() };
        store(number, |record| record.started);
        // A fed envelope is never wrapped in another, so `_outer` is `()`.
        // SAFETY: the wrapped contents are taken once, here, under the
        // caller's contract.
        unsafe {
            C::install(
                std::ptr::addr_of_mut!((*place).contents),
                actor,
                ctx,
                slot,
                Finished(number),
            )
        }
    }
}

impl<A: Actor> Envelope<A> {
    /// Seals a parcel fed under sequence number `number`.
    pub(crate) fn seal_fed<M: Message>(parcel: Parcel<M>, number: u64) -> Self
    where
        A: Handler<M>,
    {
        match parcel.reply {
            None => Self::stored::<Fed<Told<M>>>(Compact::new(Fed {
                number,
                contents: Told(parcel.message),
            })),
            Some(reply) => Self::stored::<Fed<Asked<M>>>(Compact::new(Fed {
                number,
                contents: Asked(parcel.message, reply),
            })),
        }
    }
}
