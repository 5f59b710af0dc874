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
}

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
        }
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

    /// How long a new connection may take to prove its cluster key. Default 5 s.
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
        }
    }

    /// The QUIC transport settings these options make.
    pub(crate) fn transport(&self) -> Arc<quinn::TransportConfig> {
        let mut transport = quinn::TransportConfig::default();
        transport.keep_alive_interval(Some(self.keep_alive));
        // A duration over QUIC's limit (about 146 years in ms) means "never".
        transport.max_idle_timeout(self.idle_timeout.try_into().ok());
        // One stream per remote reference between two nodes.
        transport.max_concurrent_bidi_streams(4096u32.into());
        transport.max_concurrent_uni_streams(0u32.into());
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
}
