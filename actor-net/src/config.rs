//! [`NodeConfig`]: everything a node is started with, and its defaults; and
//! [`Limits`], the part of it the node's tasks need.

use std::sync::Arc;
use std::time::Duration;

use crate::proto::frame::DEFAULT_MAX_FRAME_SIZE;
use crate::proto::handshake::ClusterKey;
use crate::tls::Tls;

/// How a [`Node`](crate::Node) is started. [`NodeConfig::new`] gives the defaults; each
/// setter documents its own.
///
/// Liveness: a node sends a QUIC keep-alive on every idle connection each
/// [`keep_alive`](Self::keep_alive) (default 1 s), and declares a peer lost
/// when it has heard nothing for [`idle_timeout`](Self::idle_timeout)
/// (default 10 s): that bounds how long a crashed or unplugged node takes to
/// be noticed (its monitors fire, its in-flight asks fail). A node that shuts
/// down cleanly is noticed at once.
///
/// Limits: everything a peer can make the node hold is bounded, and more
/// tightly before the peer has proved the cluster key. A connection that has
/// not yet authenticated may open one stream (the handshake's) and have
/// [`PRE_AUTH_RECEIVE_WINDOW`] bytes in flight; it is given the
/// configured [`max_streams`](Self::max_streams) and
/// [`receive_window`](Self::receive_window) once it has. At most
/// [`max_handshakes`](Self::max_handshakes) connections are in their
/// handshakes at once (more are refused), each only after its source has
/// proved its address by answering a QUIC Retry (one extra round trip per
/// connection, none per message), every handshake ends within
/// [`handshake_timeout`](Self::handshake_timeout), and the node keeps at
/// most [`max_connections`](Self::max_connections) accepted connections,
/// [`max_connections_per_ip`](Self::max_connections_per_ip) of them from one
/// address. QUIC datagrams are off.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub(crate) key: ClusterKey,
    pub(crate) tls: Tls,
    pub(crate) keep_alive: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) max_frame_size: usize,
    pub(crate) reconnect_min: Duration,
    pub(crate) reconnect_max: Duration,
    pub(crate) max_streams: u32,
    pub(crate) receive_window: u32,
    pub(crate) max_handshakes: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_connections_per_ip: usize,
    pub(crate) max_key_failures: u32,
}

/// The bytes a connection may have in flight to the node, across its
/// streams, before it has proved the cluster key: enough for the handshake,
/// too little to be worth holding open.
pub const PRE_AUTH_RECEIVE_WINDOW: u32 = 64 * 1024;

impl NodeConfig {
    /// The defaults, with the cluster key every node of the cluster shares.
    pub fn new(key: ClusterKey) -> Self {
        NodeConfig {
            key,
            tls: Tls::SelfSigned,
            keep_alive: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(5),
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_secs(2),
            max_streams: 4096,
            receive_window: 16 * 1024 * 1024,
            max_handshakes: 64,
            max_connections: 1024,
            max_connections_per_ip: 64,
            max_key_failures: 10,
        }
    }

    /// How many failed proofs of the cluster key one IP address may make in
    /// a minute; after that its connections are refused until the minute is
    /// over. Default 10. The handshake gives a stranger nothing to test
    /// guesses against offline, so this bounds how fast a key can be
    /// guessed at all.
    #[must_use]
    pub fn max_key_failures(mut self, per_minute: u32) -> Self {
        self.max_key_failures = per_minute.max(1);
        self
    }

    /// How many streams an authenticated peer may have open to this node at
    /// once: one per remote reference it holds. Default 4096. Before it has
    /// authenticated, a connection may open one (the handshake's).
    #[must_use]
    pub fn max_streams(mut self, streams: u32) -> Self {
        self.max_streams = streams.max(1);
        self
    }

    /// How many bytes an authenticated peer may have in flight to this node
    /// across all the streams of its connection (QUIC's connection flow
    /// control window): what one peer can make the node buffer. Default
    /// 16 MiB; at least [`PRE_AUTH_RECEIVE_WINDOW`]. Each stream is bounded
    /// further by quinn's stream window (1.25 MB).
    #[must_use]
    pub fn receive_window(mut self, bytes: u32) -> Self {
        self.receive_window = bytes.max(PRE_AUTH_RECEIVE_WINDOW);
        self
    }

    /// How many incoming connections may be in their handshakes (TLS, then
    /// the cluster key) at once; more are refused. Default 64. Only sources
    /// that answered a QUIC Retry count: a spoofed address never gets this
    /// far.
    #[must_use]
    pub fn max_handshakes(mut self, handshakes: usize) -> Self {
        self.max_handshakes = handshakes.max(1);
        self
    }

    /// How many accepted connections the node keeps at once; others are
    /// refused. Default 1024. Connections this node dials are not counted.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// How many accepted connections may come from one IP address at once;
    /// others are refused. Default 64 (nodes of one machine share its
    /// address).
    #[must_use]
    pub fn max_connections_per_ip(mut self, connections: usize) -> Self {
        self.max_connections_per_ip = connections.max(1);
        self
    }

    /// TLS: [`Tls::SelfSigned`] (the default) or mutual TLS with the
    /// application's own CA ([`Tls::Ca`]).
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// How often an idle connection is kept alive. Default 1 s.
    #[must_use]
    pub fn keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = every;
        self
    }

    /// How long a silent peer is waited for before its connection counts as
    /// lost. Default 10 s. Should be several times [`keep_alive`](Self::keep_alive).
    #[must_use]
    pub fn idle_timeout(mut self, after: Duration) -> Self {
        self.idle_timeout = after;
        self
    }

    /// How long a new connection may take to complete its handshakes: TLS,
    /// then the proof of the cluster key. Default 5 s; keep it below the
    /// [`idle_timeout`](Self::idle_timeout), which would otherwise be what
    /// bounds a stalled handshake.
    #[must_use]
    pub fn handshake_timeout(mut self, within: Duration) -> Self {
        self.handshake_timeout = within;
        self
    }

    /// The largest frame (one encoded message) sent or accepted. Default
    /// 1 MiB; at most `u32::MAX`. A larger message is refused before it is
    /// sent (a tell is dropped with an error log, an ask fails); a peer that
    /// sends a larger frame has its connection closed.
    #[must_use]
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes.min(u32::MAX as usize);
        self
    }

    /// The delays between attempts to reconnect to a lost peer: from `min`,
    /// doubling, capped at `max`. Defaults 50 ms and 2 s.
    #[must_use]
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect_min = min;
        self.reconnect_max = max.max(min);
        self
    }

    /// The bounds the node's tasks work within.
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            max_frame: self.max_frame_size,
            handshake_timeout: self.handshake_timeout,
            reconnect_min: self.reconnect_min,
            reconnect_max: self.reconnect_max,
            max_streams: self.max_streams,
            receive_window: self.receive_window,
            max_handshakes: self.max_handshakes,
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            max_key_failures: self.max_key_failures,
        }
    }

    /// The QUIC transport settings these options make.
    pub(crate) fn transport(&self) -> Arc<quinn::TransportConfig> {
        let mut transport = quinn::TransportConfig::default();
        transport.keep_alive_interval(Some(self.keep_alive));
        // A duration over QUIC's limit (about 146 years in ms) means "never".
        transport.max_idle_timeout(self.idle_timeout.try_into().ok());
        // Until the peer has authenticated: the handshake's stream and a
        // window that holds it; `Limits::authenticated` raises both. quinn
        // sizes a connection's stream table by this limit, so a large one
        // here would be paid for by every half-open connection.
        transport.max_concurrent_bidi_streams(1u32.into());
        transport.max_concurrent_uni_streams(0u32.into());
        transport.receive_window(PRE_AUTH_RECEIVE_WINDOW.into());
        // No feature uses QUIC datagrams; received ones would only be held.
        transport.datagram_receive_buffer_size(None);
        transport.datagram_send_buffer_size(0);
        Arc::new(transport)
    }
}

/// The bounds a node's tasks work within, copied into each: they need
/// these, not the node.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The largest frame sent or accepted.
    pub(crate) max_frame: usize,
    /// How long a new connection may take to prove its key, and a new
    /// stream to say (or be told) what it opens.
    pub(crate) handshake_timeout: Duration,
    /// The first and the largest delay between reconnection attempts.
    pub(crate) reconnect_min: Duration,
    pub(crate) reconnect_max: Duration,
    /// What an authenticated connection is allowed: streams, and bytes in
    /// flight.
    pub(crate) max_streams: u32,
    pub(crate) receive_window: u32,
    /// The bounds on accepted connections: in their handshakes, in all, and
    /// from one IP address.
    pub(crate) max_handshakes: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_connections_per_ip: usize,
    /// Failed key proofs an address may make in a minute.
    pub(crate) max_key_failures: u32,
}

impl Limits {
    /// Gives a connection whose peer has proved the cluster key what an
    /// authenticated peer is allowed.
    pub(crate) fn authenticated(&self, connection: &quinn::Connection) {
        connection.set_max_concurrent_bi_streams(self.max_streams.into());
        connection.set_receive_window(self.receive_window.into());
    }
}
