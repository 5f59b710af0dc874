//! Restart intensity and backoff: how often a supervisor may restart.
//!
//! Intensity is OTP's: at most `max_restarts` restarts within `period`. The
//! restart that would exceed it is not made; the supervisor stops its children
//! and fails instead, so that its own supervisor decides (escalation).
//!
//! Backoff delays each restart of a child that keeps failing: `initial`,
//! doubled for each further restart of that child in a row, capped at `max`,
//! and spread by up to `jitter` (a fraction) so that children failing together
//! do not restart in lockstep. A child whose run lasted longer than `max` (it
//! was healthy for a while) starts again from `initial`. Delayed restarts count
//! toward the intensity like any other.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// At most `max_restarts` restarts within `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Intensity {
    /// Restarts allowed within `period`.
    pub max_restarts: u32,
    /// The sliding window.
    pub period: Duration,
}

impl Default for Intensity {
    /// OTP's default: one restart within five seconds.
    fn default() -> Self {
        Intensity {
            max_restarts: 1,
            period: Duration::from_secs(5),
        }
    }
}

/// Restart times within the window of an [`Intensity`].
#[derive(Debug, Default)]
pub(crate) struct RestartLog {
    times: VecDeque<Instant>,
}

impl RestartLog {
    /// Records a restart at `now`; false if it would exceed `intensity`.
    pub(crate) fn allow(&mut self, intensity: Intensity, now: Instant) -> bool {
        while let Some(&oldest) = self.times.front() {
            // As OTP: a restart exactly `period` ago still counts.
            if now.duration_since(oldest) > intensity.period {
                self.times.pop_front();
            } else {
                break;
            }
        }
        if self.times.len() as u64 >= u64::from(intensity.max_restarts) {
            return false;
        }
        self.times.push_back(now);
        true
    }
}

/// Exponential, capped, jittered delay before a restart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The delay before the first restart in a row.
    pub initial: Duration,
    /// The longest delay; also how long a run must last to reset the delay.
    pub max: Duration,
    /// How much of each delay is random, from 0.0 (none) to 1.0.
    pub jitter: f64,
}

impl Backoff {
    /// Doubling from `initial` up to `max`, with 10% jitter.
    pub fn exponential(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            jitter: 0.1,
        }
    }

    /// Sets the jitter (clamped to 0.0..=1.0).
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter.clamp(0.0, 1.0);
        self
    }

    /// The delay before restart number `in_a_row` (1 for the first), given a
    /// uniformly random `unit` in 0.0..1.0.
    pub(crate) fn delay(&self, in_a_row: u32, unit: f64) -> Duration {
        let doublings = in_a_row.saturating_sub(1).min(32);
        let base = self
            .initial
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max);
        // Jitter takes away up to `jitter` of the delay, so it never exceeds `max`.
        base.mul_f64(1.0 - self.jitter * unit)
    }
}

/// A small, fast, non-cryptographic generator for jitter (xorshift64*).
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn seeded(seed: u64) -> Self {
        Jitter(seed | 1)
    }

    /// A number in 0.0..1.0.
    pub(crate) fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intensity_allows_at_most_max_restarts_within_the_period() {
        let intensity = Intensity {
            max_restarts: 2,
            period: Duration::from_secs(10),
        };
        let mut log = RestartLog::default();
        let t0 = Instant::now();
        assert!(log.allow(intensity, t0));
        assert!(log.allow(intensity, t0 + Duration::from_secs(1)));
        assert!(!log.allow(intensity, t0 + Duration::from_secs(2)));
        // The first restart still counts at t0 + 10 s, and leaves just after.
        assert!(!log.allow(intensity, t0 + Duration::from_secs(10)));
        assert!(log.allow(intensity, t0 + Duration::from_millis(10_001)));
        assert!(!log.allow(intensity, t0 + Duration::from_millis(10_001)));
    }

    #[test]
    fn zero_restarts_allows_none() {
        let intensity = Intensity {
            max_restarts: 0,
            period: Duration::from_secs(1),
        };
        assert!(!RestartLog::default().allow(intensity, Instant::now()));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_only_shortens() {
        let b =
            Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1)).jitter(0.0);
        let delays: Vec<_> = (1..=6).map(|n| b.delay(n, 0.5).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1000, 1000]);
        let jittered = b.jitter(0.5);
        assert_eq!(jittered.delay(1, 0.0), Duration::from_millis(100));
        assert_eq!(jittered.delay(1, 1.0), Duration::from_millis(50));
        assert_eq!(b.delay(u32::MAX, 0.0), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        let mut j = Jitter::seeded(42);
        for _ in 0..10_000 {
            let u = j.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
