//! What a device syncs: its id and role, the subject root and stream name, its durable
//! consumers (DESIGN §5), and the relay's tuning.
//!
//! [`device_consumers`] is the one definition of a device's consumers: central's enrollment
//! creates them from it, and the engine creates them itself when allowed (development).

use super::error::SyncError;
use std::time::Duration;

/// What a device is, which decides what it may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceRole {
    /// A customer kiosk: the catalog and its own orders' status.
    Kiosk,
    /// A store manager's desk: the catalog, its stores' order lines and the depot.
    Manager {
        /// The stores this device manages.
        stores: Vec<String>,
    },
}

impl DeviceRole {
    /// `kiosk` or `manager`.
    pub fn name(&self) -> &'static str {
        match self {
            DeviceRole::Kiosk => "kiosk",
            DeviceRole::Manager { .. } => "manager",
        }
    }
}

/// One durable pull consumer of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConsumer {
    /// Durable name, `<device>-orders` or `<device>-catalog`.
    pub name: String,
    /// Filter subjects (fixed at enrollment).
    pub filters: Vec<String>,
}

/// The device's two consumers under subject root `root` (DESIGN §5):
/// kiosk: `<device>-catalog` = `R.ev.catalog.>`, `<device>-orders` = `R.ev.order.<device>.>`;
/// manager: `<device>-catalog` = `R.ev.catalog.>`, `<device>-orders` = each store's
/// `R.ev.store.<store>.orderline.>`, `R.ev.depot.>` and its answers `R.ev.deskans.<device>.>`.
pub fn device_consumers(root: &str, device: &str, role: &DeviceRole) -> Vec<DeviceConsumer> {
    let catalog = DeviceConsumer {
        name: format!("{device}-catalog"),
        filters: vec![format!("{root}.ev.catalog.>")],
    };
    let order_filters = match role {
        DeviceRole::Kiosk => vec![format!("{root}.ev.order.{device}.>")],
        DeviceRole::Manager { stores } => stores
            .iter()
            .map(|s| format!("{root}.ev.store.{s}.orderline.>"))
            .chain(std::iter::once(format!("{root}.ev.depot.>")))
            // central's answers to this desk's pickup and stop requests
            .chain(std::iter::once(format!("{root}.ev.deskans.{device}.>")))
            .collect(),
    };
    let orders = DeviceConsumer {
        name: format!("{device}-orders"),
        filters: order_filters,
    };
    vec![orders, catalog]
}

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
    /// Create missing consumers (needs consumer-create rights: development only).
    pub create_consumers: bool,
    /// Publishes awaiting their ack at once (across subjects; one per subject).
    pub in_flight: usize,
    /// Outbox rows read per relay pass.
    pub relay_batch: usize,
    /// Messages fetched per consumer request.
    pub fetch_batch: usize,
    /// How long to wait for a publish ack before treating it as lost.
    pub ack_timeout: Duration,
    /// Reconnect backoff.
    pub backoff: Backoff,
    /// In background mode, how long the relay waits for a poke before looking again.
    pub poll_interval: Duration,
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
            create_consumers: false,
            in_flight: 512,
            relay_batch: 20_000,
            fetch_batch: 256,
            ack_timeout: Duration::from_secs(5),
            backoff: Backoff::default(),
            poll_interval: Duration::from_millis(500),
            prune_interval: Duration::from_secs(30),
            prune_retention: Duration::from_secs(300),
        }
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
    fn kiosk_and_manager_filters() {
        let k = device_consumers("m", "k1", &DeviceRole::Kiosk);
        assert_eq!(k[0].name, "k1-orders");
        assert_eq!(k[0].filters, vec!["m.ev.order.k1.>"]);
        assert_eq!(k[1].filters, vec!["m.ev.catalog.>"]);
        let role = DeviceRole::Manager {
            stores: vec!["s1".into()],
        };
        let m = device_consumers("m", "d1", &role);
        assert_eq!(
            m[0].filters,
            vec![
                "m.ev.store.s1.orderline.>",
                "m.ev.depot.>",
                "m.ev.deskans.d1.>"
            ]
        );
    }

    #[test]
    fn backoff_doubles_to_max() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
        };
        assert_eq!(b.delay(1), Duration::from_millis(100));
        assert_eq!(b.delay(3), Duration::from_millis(400));
        assert_eq!(b.delay(40), Duration::from_millis(500));
    }
}
