//! The links and monitors of one actor's run: who to tell when it ends.
//!
//! They live in the mailbox's rarely used part ([`Watchers`]), so an actor
//! nobody watches pays nothing for them, and they fire outside the mailbox's
//! lock when a run ends ([`fire`]). The public face (monitor, link, `Down`,
//! `Exit`) is [`crate::link`].

use std::sync::Arc;

use crate::id::ActorId;
use crate::link::{Down, Exit, MonitorId};
use crate::runtime::Control;
use crate::stop::StopReason;

pub(crate) type Notify<T> = Box<dyn FnOnce(T) + Send>;

/// What an ended run leaves to notify: its monitors and its links.
pub(crate) type Taken = (Vec<(MonitorId, Notify<Down>)>, Vec<Arc<dyn Control>>);

/// The links and monitors of one actor, kept in its mailbox's rarely used part.
#[derive(Default)]
pub(crate) struct Watchers {
    monitors: Vec<(MonitorId, Notify<Down>)>,
    links: Vec<Arc<dyn Control>>,
    trap: Option<Arc<dyn Fn(Exit) + Send + Sync>>,
    /// The actor has ended for good: new monitors and links fire at once.
    closed: bool,
}

impl Watchers {
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(crate) fn set_trap(&mut self, trap: Option<Arc<dyn Fn(Exit) + Send + Sync>>) {
        self.trap = trap;
    }

    pub(crate) fn trap(&self) -> Option<Arc<dyn Fn(Exit) + Send + Sync>> {
        self.trap.clone()
    }

    pub(crate) fn add_link(&mut self, peer: Arc<dyn Control>) {
        if !self.links.iter().any(|l| l.id() == peer.id()) {
            self.links.push(peer);
        }
    }

    pub(crate) fn remove_link(&mut self, peer: ActorId) {
        self.links.retain(|l| l.id() != peer);
    }

    pub(crate) fn add_monitor(&mut self, id: MonitorId, notify: Notify<Down>) {
        self.monitors.push((id, notify));
    }

    pub(crate) fn remove_monitor(&mut self, id: MonitorId) -> bool {
        let before = self.monitors.len();
        self.monitors.retain(|(m, _)| *m != id);
        before != self.monitors.len()
    }

    /// Empties the lists, for firing outside the lock.
    pub(crate) fn take(&mut self, for_good: bool) -> Taken {
        self.trap = None;
        self.closed |= for_good;
        (
            std::mem::take(&mut self.monitors),
            std::mem::take(&mut self.links),
        )
    }
}

/// Fires an ended run's monitors and links. With `for_good`, monitors and
/// links made later fire at once.
pub(crate) fn fire(me: &dyn Control, reason: &StopReason, for_good: bool) {
    let (monitors, links) = me.take_watchers(for_good);
    for (monitor, notify) in monitors {
        notify(Down {
            id: me.id(),
            reason: reason.clone(),
            monitor,
        });
    }
    for peer in links {
        peer.remove_link(me.id());
        peer.exit_signal(me.id(), reason.clone());
    }
}

/// What an exit signal does to an actor that does not trap exits: nothing for
/// a normal end; otherwise the actor ends now, with this reason.
pub(crate) fn exit_reason(from: ActorId, reason: &StopReason) -> Option<StopReason> {
    match reason {
        StopReason::Normal => None,
        StopReason::Shutdown => Some(StopReason::Shutdown),
        other => Some(StopReason::failed(format_args!(
            "linked actor {from} ended: {other}"
        ))),
    }
}
