//! Timestamps supplied by callers. The domain never reads a clock.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (UTC).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// A timestamp from milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }
    /// Milliseconds since the epoch.
    pub const fn millis(&self) -> i64 {
        self.0
    }
    /// This instant plus a duration in milliseconds (saturating).
    pub const fn plus_millis(&self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }
    /// Milliseconds elapsed from `earlier` to `self` (negative if `earlier` is later).
    pub const fn millis_since(&self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}
