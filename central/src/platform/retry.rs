//! Waits between retries: exponential, capped and jittered (the `backon` crate), so replicas
//! and kiosks that failed together (a NATS restart, a gateway outage) do not retry in
//! lockstep. Every retry loop in central takes its delays from [`delays`].

use backon::{BackoffBuilder, ExponentialBuilder};
use std::time::Duration;

/// Delays starting at `min`, doubling up to `max`, each stretched by a random part of itself
/// (a delay `d` waits between `d` and `2d`), without end: the caller decides when to stop.
pub fn delays(min: Duration, max: Duration) -> impl Iterator<Item = Duration> + Send {
    ExponentialBuilder::default()
        .with_min_delay(min)
        .with_max_delay(max)
        .without_max_times()
        .with_jitter()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_spread() {
        let min = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        let first: Vec<Duration> = delays(min, max).take(8).collect();
        for (i, d) in first.iter().enumerate() {
            let base = (min * 2u32.pow(i as u32)).min(max);
            assert!(
                *d >= base && *d <= base * 2,
                "delay {i}: {d:?} for base {base:?}"
            );
        }
        // Two fleets of retries do not move in lockstep.
        let a: Vec<Duration> = delays(min, max).take(8).collect();
        let b: Vec<Duration> = delays(min, max).take(8).collect();
        assert_ne!(a, b, "jittered delays differ between runs");
    }
}
