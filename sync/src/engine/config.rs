//! What a device syncs: its id and role, the subject root and stream name, its durable
//! consumers (docs/architecture.md §5), and the relay's tuning.
//!
//! The device's role, consumers and permissions are defined once in `mallbots-wire`
//! ([`device_consumers`], [`device_permissions`]): central's enrollment creates the consumers
//! from them, and the engine creates them itself when allowed (development).

use super::error::SyncError;
use std::time::Duration;

pub use mallbots_wire::devices::{
    device_consumers, device_permissions, own_patterns, publish_patterns, subject_matches,
    DeviceConsumer, DevicePermissions, DeviceRole,
};

/// Reconnect backoff: `initial`, doubled after each failure up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The wait after `failures` consecutive failures (1 = the first).
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// [`Backoff::delay`] with jitter: a uniformly random wait between half of it and all of
    /// it, so devices refused together do not retry together.
    pub fn jittered(&self, failures: u32) -> Duration {
        let full = self.delay(failures);
        let half = full / 2;
        // The random bits of a UUIDv7 (no RNG dependency needed for jitter).
        let random = (uuid::Uuid::now_v7().as_u128() & u128::from(u64::MAX)) as u64;
        let span = half.as_nanos() as u64;
        half + Duration::from_nanos(if span == 0 { 0 } else { random % span })
    }
}

/// Everything the engine needs besides the store and the NATS connection.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// This device's id (the `<device>` token of its subjects and consumer names).
    pub device_id: String,
    /// Subject root, `mallbots` by default.
    pub subject_root: String,
    /// The event log stream, `EVENTS` by default (tests prefix it).
    pub events_stream: String,
    /// The consumers to read (see [`device_consumers`]); empty = relay only.
    pub consumers: Vec<DeviceConsumer>,
    /// The role's name (`kiosk`, `manager`, …), for messages ("not enrolled: …").
    pub role_name: String,
    /// Subject patterns this device may publish (see [`publish_patterns`]); a row on any other
    /// subject is quarantined (`sync.forbidden_subject`) instead of published.
    pub publish_allowed: Vec<String>,
    /// The device's own single-writer subjects (see [`own_patterns`]).
    pub own_subjects: Vec<String>,
    /// Create missing consumers (needs consumer-create rights: development only).
    pub create_consumers: bool,
    /// Publishes awaiting their ack at once (across subjects; one per subject).
    pub in_flight: usize,
    /// Outbox rows read per relay pass.
    pub relay_batch: usize,
    /// Acks recorded per group commit while publishes are still in flight (fewer, larger
    /// commits touch each outbox page once instead of once per ack); the last acks of a pass,
    /// or acks older than [`SyncConfig::ack_linger`], are recorded without waiting for more.
    pub ack_group: usize,
    /// The longest an ack waits to be recorded while others are still in flight.
    pub ack_linger: Duration,
    /// Messages fetched per consumer request.
    pub fetch_batch: usize,
    /// How long to wait for a publish ack before treating it as lost.
    pub ack_timeout: Duration,
    /// Reconnect backoff.
    pub backoff: Backoff,
    /// In background mode, how long the relay waits for a poke before looking again.
    pub poll_interval: Duration,
    /// In background mode, how long the relay lets commits gather after one woke it, so a burst
    /// goes out as one batch (one read, one acknowledgement write) instead of one per command.
    pub relay_linger: Duration,
    /// In background mode, the least time between two writes of the last-sync time.
    pub mark_synced_every: Duration,
    /// In background mode, time between pruning passes.
    pub prune_interval: Duration,
    /// Published outbox rows and inbox rows are kept at least this long.
    pub prune_retention: Duration,
}

impl SyncConfig {
    /// Defaults for `device_id` with `role`'s consumers under `root` / `events_stream`.
    pub fn new(device_id: &str, role: &DeviceRole, root: &str, events_stream: &str) -> Self {
        Self {
            device_id: device_id.to_owned(),
            subject_root: root.to_owned(),
            events_stream: events_stream.to_owned(),
            consumers: device_consumers(root, device_id, role),
            role_name: role.name().to_owned(),
            publish_allowed: publish_patterns(root, device_id, role),
            own_subjects: own_patterns(root, device_id),
            create_consumers: false,
            in_flight: 512,
            relay_batch: 20_000,
            ack_group: 4096,
            ack_linger: Duration::from_millis(50),
            fetch_batch: 256,
            ack_timeout: Duration::from_secs(5),
            backoff: Backoff::default(),
            poll_interval: Duration::from_millis(500),
            relay_linger: Duration::from_millis(2),
            mark_synced_every: Duration::from_secs(1),
            prune_interval: Duration::from_secs(30),
            prune_retention: Duration::from_secs(300),
        }
    }

    /// Whether this device may publish to `subject` ([`SyncConfig::publish_allowed`]).
    pub fn may_publish(&self, subject: &str) -> bool {
        self.publish_allowed
            .iter()
            .any(|p| subject_matches(p, subject))
    }

    /// Whether `subject` is one of the device's own single-writer subjects.
    pub fn is_own_subject(&self, subject: &str) -> bool {
        self.own_subjects
            .iter()
            .any(|p| subject_matches(p, subject))
    }

    /// The custom inbox prefix for this device's replies, `_INBOX_<device>`.
    pub fn inbox_prefix(&self) -> String {
        format!("_INBOX_{}", self.device_id)
    }

    /// Checks names are usable as NATS tokens.
    pub fn validate(&self) -> Result<(), SyncError> {
        let token_ok = |t: &str| {
            !t.is_empty()
                && !t.contains(|c: char| c.is_whitespace() || matches!(c, '.' | '*' | '>'))
        };
        if !token_ok(&self.device_id) {
            return Err(SyncError::Config(format!("device id {:?}", self.device_id)));
        }
        if self.subject_root.is_empty() || !token_ok(&self.events_stream) {
            return Err(SyncError::Config("subject root or stream name".to_owned()));
        }
        if self.in_flight == 0 || self.relay_batch == 0 || self.fetch_batch == 0 {
            return Err(SyncError::Config("zero batch or window".to_owned()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn backoff_doubles_to_max() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
        };
        assert_eq!(b.delay(1), Duration::from_millis(100));
        assert_eq!(b.delay(3), Duration::from_millis(400));
        assert_eq!(b.delay(40), Duration::from_millis(500));
        for failures in [1, 3, 40] {
            let j = b.jittered(failures);
            assert!(
                j >= b.delay(failures) / 2 && j <= b.delay(failures),
                "{j:?}"
            );
        }
    }
    #[test]
    fn publish_rights_per_role() {
        let k = SyncConfig::new("k1", &DeviceRole::Kiosk, "m", "EVENTS");
        assert!(k.may_publish("m.ev.kiosk.k1.order.o1"));
        assert!(!k.may_publish("m.ev.kiosk.k2.order.o1"));
        assert!(!k.may_publish("m.ev.catalog.s1.product.p1"));
        assert!(!k.may_publish("m.ev.desk.k1.pickupreq.o1"));
        assert!(k.is_own_subject("m.ev.kiosk.k1.basket.b1"));
        let role = DeviceRole::Manager {
            stores: vec!["s1".into()],
        };
        let m = SyncConfig::new("d1", &role, "m", "EVENTS");
        assert!(m.may_publish("m.ev.catalog.s1.product.p1"));
        assert!(!m.may_publish("m.ev.catalog.s2.product.p1"));
        assert!(m.may_publish("m.ev.desk.d1.pickupreq.o1"));
        assert!(m.is_own_subject("m.ev.desk.d1.pickupreq.o1"));
        assert!(!m.is_own_subject("m.ev.catalog.s1.product.p1"));
        assert!(subject_matches("a.*.c", "a.b.c"));
        assert!(!subject_matches("a.>", "a"));
    }
}
