//! The actor cell: what every reference to one actor points at.
//!
//! A cell holds the actor's id and mailbox. References of all kinds (typed,
//! weak, recipients, a parent's list of children, the registry) share it. Two
//! traits let code that does not know the actor's type reach it: [`Control`]
//! for lifecycle (stop, kill, await the end) and [`MessageSink`] for sending one
//! message type. This module also holds the one implementation of `tell`,
//! `try_tell` and `ask` that every reference type uses.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::actor::Actor;
use crate::error::Error;
use crate::id::ActorId;
use crate::link::{Down, Exit, MonitorId};
use crate::runtime::envelope::Envelope;
use crate::runtime::mailbox::{Interrupt, Mailbox};
use crate::runtime::watchers::{self, Taken};
use crate::stop::StopReason;

/// The state shared by all references to one actor.
pub(crate) struct Cell<A: Actor> {
    pub(crate) id: ActorId,
    pub(crate) mailbox: Mailbox<Envelope<A>>,
    /// Whether the registry may hold entries for this actor (so that stopping
    /// actors that were never registered costs nothing).
    pub(crate) registered: AtomicBool,
    /// How many times a supervisor restarted this actor.
    pub(crate) restarts: AtomicU32,
    /// When a supervisor restarts the actor after a stop: a [`Restartable`].
    /// Only to word the error of a refused message; the supervisor decides.
    pub(crate) restartable: AtomicU8,
}

/// When a stopping actor's supervisor is expected to restart it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Restartable {
    /// Never: it has no supervisor, is temporary, or is ending for good.
    Never = 0,
    /// After any end (a permanent child).
    Always = 1,
    /// After an end that is not a requested stop (a transient child).
    Abnormal = 2,
}

impl<A: Actor> Cell<A> {
    pub(crate) fn new(id: ActorId, capacity: usize) -> Self {
        Cell {
            id,
            mailbox: Mailbox::new(capacity),
            registered: AtomicBool::new(false),
            restarts: AtomicU32::new(0),
            restartable: AtomicU8::new(Restartable::Never as u8),
        }
    }

    pub(crate) fn set_restartable(&self, when: Restartable) {
        self.restartable.store(when as u8, Ordering::Relaxed);
    }
}

/// Lifecycle operations on an actor of unknown type.
pub(crate) trait Control: Send + Sync + 'static {
    fn id(&self) -> ActorId;
    fn stop_with(&self, reason: StopReason);
    fn kill(&self);
    /// Ends the actor's current run (see [`Interrupt`]).
    fn interrupt(&self, level: Interrupt, reason: StopReason);
    fn poll_terminated(&self, cx: &mut Context<'_>) -> Poll<StopReason>;
    fn is_alive(&self) -> bool;
    fn add_sender(&self);
    fn remove_sender(&self);
    /// The reason recorded for the actor's last run; final once its
    /// watchers are closed (`add_monitor` handed the notifier back).
    fn recorded_reason(&self) -> Option<StopReason>;
    /// Opens the mailbox again for the next run (its supervisor restarts it).
    fn reopen(&self);
    /// The actor will not be restarted: its supervisor ends it for good.
    fn ends_for_good(&self);
    /// The error for a message its mailbox refused as closed.
    fn refusal(&self) -> Error;
    /// Adds a monitor; hands `notify` back if the actor has ended for good.
    fn add_monitor(
        &self,
        id: MonitorId,
        notify: Box<dyn FnOnce(Down) + Send>,
    ) -> Result<(), Box<dyn FnOnce(Down) + Send>>;
    fn remove_monitor(&self, id: MonitorId) -> bool;
    /// Adds a link to `peer`; false if this actor has ended for good.
    fn add_link(&self, peer: Arc<dyn Control>) -> bool;
    fn remove_link(&self, peer: ActorId);
    /// A linked actor ended with `reason`.
    fn exit_signal(&self, from: ActorId, reason: StopReason);
    /// Takes the monitors and links of a run that ended; with `for_good`,
    /// later monitors and links fire at once instead.
    fn take_watchers(&self, for_good: bool) -> Taken;
}

impl<A: Actor> Control for Cell<A> {
    fn id(&self) -> ActorId {
        self.id
    }
    fn stop_with(&self, reason: StopReason) {
        self.mailbox.close(reason);
    }
    fn kill(&self) {
        self.mailbox.kill();
    }
    fn interrupt(&self, level: Interrupt, reason: StopReason) {
        self.mailbox.raise(level, reason);
    }
    fn poll_terminated(&self, cx: &mut Context<'_>) -> Poll<StopReason> {
        self.mailbox.poll_terminated(cx)
    }
    fn is_alive(&self) -> bool {
        self.mailbox.is_alive()
    }
    fn add_sender(&self) {
        self.mailbox.add_sender();
    }
    fn remove_sender(&self) {
        self.mailbox.remove_sender();
    }
    fn recorded_reason(&self) -> Option<StopReason> {
        self.mailbox.reason()
    }
    fn reopen(&self) {
        self.mailbox.reopen();
    }
    fn ends_for_good(&self) {
        self.set_restartable(Restartable::Never);
    }
    fn refusal(&self) -> Error {
        let actor = self.id;
        // A closed mailbox without an interrupt is a requested stop, which a
        // transient child is not restarted after; a kill interrupts.
        let restarts = match self.restartable.load(Ordering::Relaxed) {
            1 => true,
            2 => self.mailbox.interrupt() == Interrupt::Now,
            _ => false,
        };
        if restarts && self.mailbox.is_alive() {
            Error::Restarting { actor }
        } else {
            Error::Stopped { actor }
        }
    }
    fn add_monitor(
        &self,
        id: MonitorId,
        notify: Box<dyn FnOnce(Down) + Send>,
    ) -> Result<(), Box<dyn FnOnce(Down) + Send>> {
        self.mailbox.with_watchers(|w| {
            if w.is_closed() {
                Err(notify)
            } else {
                w.add_monitor(id, notify);
                Ok(())
            }
        })
    }
    fn remove_monitor(&self, id: MonitorId) -> bool {
        self.mailbox.with_watchers(|w| w.remove_monitor(id))
    }
    fn add_link(&self, peer: Arc<dyn Control>) -> bool {
        self.mailbox.with_watchers(|w| {
            if !w.is_closed() {
                w.add_link(peer);
            }
            !w.is_closed()
        })
    }
    fn remove_link(&self, peer: ActorId) {
        self.mailbox.with_watchers(|w| w.remove_link(peer));
    }
    fn exit_signal(&self, from: ActorId, reason: StopReason) {
        match self.mailbox.with_watchers(|w| w.trap()) {
            Some(trap) => trap(Exit { id: from, reason }),
            None => {
                if let Some(reason) = watchers::exit_reason(from, &reason) {
                    self.mailbox.raise(Interrupt::Now, reason);
                }
            }
        }
    }
    fn take_watchers(&self, for_good: bool) -> Taken {
        self.mailbox.with_watchers(|w| w.take(for_good))
    }
}

/// Awaits the end of an actor and returns its stop reason.
pub(crate) async fn join(control: &(impl Control + ?Sized)) -> StopReason {
    poll_fn(|cx| control.poll_terminated(cx)).await
}
