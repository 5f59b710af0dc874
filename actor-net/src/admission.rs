//! Which incoming connections the node takes on: at most so many in their
//! handshakes at once, so many in all, and so many from one IP address.
//!
//! A connection is admitted before its TLS handshake starts, and only once
//! its source address is validated (the accept loop sends every other
//! source a stateless QUIC Retry, which a spoofed address cannot answer): so
//! a flood of QUIC Initial packets, which need no key, costs the node
//! nothing, and sources that can receive packets get a bounded share of
//! its handshakes and connections. An address whose handshakes fail the key
//! proof too often is refused for a while: each guess of the key costs a
//! live handshake, and only so many are allowed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;

/// The counters of the connections the node has taken on.
pub(crate) struct Admission {
    handshakes: Arc<Semaphore>,
    max_connections: usize,
    max_per_ip: usize,
    open: Mutex<Open>,
    max_failures: u32,
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

/// How long failed key proofs count against an address.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// The most addresses whose failures are remembered; past it the oldest are
/// forgotten first, so the table is bounded whatever a flood does.
const MAX_FAILING_ADDRESSES: usize = 4096;

/// An address's failed key proofs in the current window.
#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was not taken on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Turned {
    /// Too many handshakes in progress.
    Handshakes,
    /// The node holds its most connections.
    Connections,
    /// That address holds its most connections.
    PerIp,
    /// That address failed the key proof too often lately.
    Guessing,
}

impl std::fmt::Display for Turned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Turned::Handshakes => "too many handshakes in progress (NodeConfig::max_handshakes)",
            Turned::Connections => "too many connections (NodeConfig::max_connections)",
            Turned::PerIp => "too many connections from this address (NodeConfig::max_connections_per_ip)",
            Turned::Guessing => "too many failed key proofs from this address in the last minute (NodeConfig::max_key_failures)",
        })
    }
}

impl Admission {
    pub(crate) fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(Admission {
            handshakes: Arc::new(Semaphore::new(limits.max_handshakes)),
            max_connections: limits.max_connections,
            max_per_ip: limits.max_connections_per_ip,
            open: Mutex::new(Open::default()),
            max_failures: limits.max_key_failures,
            failures: Mutex::new(HashMap::new()),
        })
    }

    /// Whether `ip` has failed the key proof too often in the window.
    fn guessing(&self, ip: IpAddr, now: Instant) -> bool {
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.get(&ip).is_some_and(|f| {
            now.duration_since(f.since) < FAILURE_WINDOW && f.count >= self.max_failures
        })
    }

    /// Counts a failed key proof from `ip`.
    fn failed(&self, ip: IpAddr, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= MAX_FAILING_ADDRESSES && !failures.contains_key(&ip) {
            failures.retain(|_, f| now.duration_since(f.since) < FAILURE_WINDOW);
            if failures.len() >= MAX_FAILING_ADDRESSES {
                let oldest = failures
                    .iter()
                    .min_by_key(|(_, f)| f.since)
                    .map(|(ip, _)| *ip);
                if let Some(oldest) = oldest {
                    failures.remove(&oldest);
                }
            }
        }
        let entry = failures.entry(ip).or_insert(Failures {
            count: 0,
            since: now,
        });
        if now.duration_since(entry.since) >= FAILURE_WINDOW {
            *entry = Failures {
                count: 0,
                since: now,
            };
        }
        entry.count = entry.count.saturating_add(1);
    }

    /// Takes on a connection from `ip`, or says why not. The ticket counts
    /// it until dropped; its handshake permit until the handshake is over
    /// ([`Ticket::handshake_done`]).
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, Turned> {
        if self.guessing(ip, Instant::now()) {
            return Err(Turned::Guessing);
        }
        let handshake = self
            .handshakes
            .clone()
            .try_acquire_owned()
            .map_err(|_| Turned::Handshakes)?;
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.total >= self.max_connections {
            return Err(Turned::Connections);
        }
        let from_ip = open.by_ip.entry(ip).or_default();
        if *from_ip >= self.max_per_ip {
            return Err(Turned::PerIp);
        }
        *from_ip += 1;
        open.total += 1;
        Ok(Ticket {
            admission: self.clone(),
            ip,
            handshake: Some(handshake),
        })
    }

    /// How many connections are taken on now (for tests).
    #[cfg(test)]
    fn open(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

/// One connection taken on; dropped when it ends.
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    ip: IpAddr,
    handshake: Option<OwnedSemaphorePermit>,
}

impl Ticket {
    /// The connection's handshakes are over: its place among the handshakes
    /// in progress goes to the next.
    pub(crate) fn handshake_done(&mut self) {
        self.handshake = None;
    }

    /// The connection failed the key proof: it counts against its address.
    pub(crate) fn key_refused(&self) {
        self.admission.failed(self.ip, Instant::now());
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self
            .admission
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_ip.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;

    fn limits(handshakes: usize, connections: usize, per_ip: usize) -> Limits {
        Limits {
            max_frame: 1024,
            handshake_timeout: Duration::from_secs(1),
            reconnect_min: Duration::from_millis(1),
            reconnect_max: Duration::from_millis(1),
            max_streams: 1,
            receive_window: 1,
            max_handshakes: handshakes,
            max_connections: connections,
            max_connections_per_ip: per_ip,
            max_key_failures: 3,
        }
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn handshakes_in_progress_are_capped_and_their_places_freed() {
        let admission = Admission::new(&limits(2, 10, 10));
        let mut one = admission.admit(A).expect("first");
        let _two = admission.admit(A).expect("second");
        assert_eq!(admission.admit(B).err(), Some(Turned::Handshakes));
        one.handshake_done();
        let _three = admission.admit(B).expect("a place was freed");
        assert_eq!(admission.open(), 3);
    }

    #[test]
    fn connections_are_capped_in_all_and_per_address() {
        let admission = Admission::new(&limits(10, 3, 2));
        let mut tickets = Vec::new();
        for ip in [A, A] {
            let mut ticket = admission.admit(ip).expect("admitted");
            ticket.handshake_done();
            tickets.push(ticket);
        }
        assert_eq!(admission.admit(A).err(), Some(Turned::PerIp));
        tickets.push(admission.admit(B).expect("another address"));
        assert_eq!(admission.admit(B).err(), Some(Turned::Connections));
        tickets.remove(0);
        let _again = admission.admit(A).expect("a connection of A ended");
        drop(tickets);
        assert_eq!(admission.open(), 1);
    }

    #[test]
    fn an_address_that_fails_the_key_proof_too_often_is_refused_for_a_while() {
        let admission = Admission::new(&limits(10, 10, 10));
        for _ in 0..3 {
            let ticket = admission.admit(A).expect("admitted");
            ticket.key_refused();
        }
        assert_eq!(admission.admit(A).err(), Some(Turned::Guessing));
        let _other = admission.admit(B).expect("another address is not refused");
        // The window passes.
        let later = Instant::now() + FAILURE_WINDOW;
        assert!(!admission.guessing(A, later));
        admission.failed(A, later);
        assert!(
            !admission.guessing(A, later),
            "a new window starts its count at 1"
        );
    }
}
