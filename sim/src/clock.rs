//! Simulated time and ids: the edge's [`Clock`] reads the run's time and draws its ids from the
//! run's generator, so a replayed seed creates the very same carts, orders and events.

use crate::rng::Rng;
use mallbots_domain::Timestamp;
use mallbots_edge::config::Clock;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[derive(Debug)]
struct State {
    now_ms: i64,
    ids: Rng,
}

/// The run's clock; clones share it.
#[derive(Debug, Clone)]
pub struct SimClock(Arc<Mutex<State>>);

/// When every run starts (2026-01-01T00:00:00Z), so timestamps look real.
pub const EPOCH_MS: i64 = 1_767_225_600_000;

impl SimClock {
    /// A clock at [`EPOCH_MS`] drawing ids from `ids`.
    pub fn new(ids: Rng) -> Self {
        Self(Arc::new(Mutex::new(State {
            now_ms: EPOCH_MS,
            ids,
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Now, in ms since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.state().now_ms
    }

    /// Moves time forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.state().now_ms += ms;
    }
}

impl Clock for SimClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now_ms())
    }

    /// A UUIDv7 of the simulated time with the generator's bits.
    fn new_id(&self) -> Uuid {
        let mut state = self.state();
        let ms = state.now_ms as u64;
        let random = (u128::from(state.ids.next_u64()) << 64) | u128::from(state.ids.next_u64());
        let bits = (u128::from(ms) << 80) | (random & ((1u128 << 80) - 1));
        let bits = (bits & !(0xf << 76)) | (0x7 << 76);
        let bits = (bits & !(0b11 << 62)) | (0b10 << 62);
        Uuid::from_u128(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_replayable() {
        let a = SimClock::new(Rng::new(1));
        let b = SimClock::new(Rng::new(1));
        let id = a.new_id();
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(id, b.new_id());
        assert_ne!(a.new_id(), id);
    }
}
