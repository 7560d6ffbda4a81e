//! What a device syncs: its id and role, the subject root and stream name, its durable
//! consumers (DESIGN §5), and the relay's tuning.
//!
//! [`device_consumers`] is the one definition of a device's consumers: central's enrollment
//! creates them from it, and the engine creates them itself when allowed (development).

use super::error::SyncError;
use std::time::Duration;

/// What a device is, which decides what it may read and write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceRole {
    /// A customer kiosk: the catalog and its own orders' status.
    Kiosk,
    /// A store manager's desk: the catalog (writes its stores' part), its stores' order lines,
    /// the depot, and central's answers to its requests.
    Manager {
        /// The stores this device manages.
        stores: Vec<String>,
    },
    /// A depot desk: may hand over any order; reads the catalog, every store's order lines,
    /// the depot and central's answers to its requests; no catalog writes.
    Depot,
}

impl DeviceRole {
    /// `kiosk`, `manager` or `depot`.
    pub fn name(&self) -> &'static str {
        match self {
            DeviceRole::Kiosk => "kiosk",
            DeviceRole::Manager { .. } => "manager",
            DeviceRole::Depot => "depot",
        }
    }

    /// The stores a manager device was enrolled for (empty for the other roles).
    pub fn stores(&self) -> &[String] {
        match self {
            DeviceRole::Manager { stores } => stores,
            DeviceRole::Kiosk | DeviceRole::Depot => &[],
        }
    }

    /// The role from its name and, for a manager, its stores (at least one). `None` for an
    /// unknown name or a manager without stores.
    pub fn parse(name: &str, stores: Vec<String>) -> Option<DeviceRole> {
        match name {
            "kiosk" => Some(DeviceRole::Kiosk),
            "depot" => Some(DeviceRole::Depot),
            "manager" if !stores.is_empty() => Some(DeviceRole::Manager { stores }),
            _ => None,
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
/// * kiosk: `<device>-catalog` = `R.ev.catalog.>`, `<device>-orders` = `R.ev.order.<device>.>`;
/// * manager: `<device>-catalog` = `R.ev.catalog.>`, `<device>-orders` = each store's
///   `R.ev.store.<store>.orderline.>`, `R.ev.depot.>` and its answers `R.ev.deskans.<device>.>`;
/// * depot: `<device>-catalog` = `R.ev.catalog.>`, `<device>-orders` = every store's
///   `R.ev.store.*.orderline.>`, `R.ev.depot.>` and `R.ev.deskans.<device>.>`.
pub fn device_consumers(root: &str, device: &str, role: &DeviceRole) -> Vec<DeviceConsumer> {
    let catalog = DeviceConsumer {
        name: format!("{device}-catalog"),
        filters: vec![format!("{root}.ev.catalog.>")],
    };
    let desk_tail = [
        format!("{root}.ev.depot.>"),
        format!("{root}.ev.deskans.{device}.>"),
    ];
    let order_filters = match role {
        DeviceRole::Kiosk => vec![format!("{root}.ev.order.{device}.>")],
        DeviceRole::Manager { stores } => stores
            .iter()
            .map(|s| format!("{root}.ev.store.{s}.orderline.>"))
            .chain(desk_tail)
            .collect(),
        DeviceRole::Depot => std::iter::once(format!("{root}.ev.store.*.orderline.>"))
            .chain(desk_tail)
            .collect(),
    };
    let orders = DeviceConsumer {
        name: format!("{device}-orders"),
        filters: order_filters,
    };
    vec![orders, catalog]
}

/// A device's NATS permissions: the subjects its user may publish to and subscribe to
/// (everything else is denied by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePermissions {
    /// Publish allow list.
    pub publish: Vec<String>,
    /// Subscribe allow list.
    pub subscribe: Vec<String>,
}

/// The one definition of what a device's NATS user may do (DESIGN §5); central renders the
/// server's authorization config from it at enrollment. `stream` is the events stream's name.
///
/// Every role:
/// * publish its own events `R.ev.kiosk.<d>.>`;
/// * pull its two consumers: `$JS.API.CONSUMER.INFO.<stream>.<c>`,
///   `$JS.API.CONSUMER.MSG.NEXT.<stream>.<c>` and acknowledge `$JS.ACK.<stream>.<c>.>`;
/// * read back its own subjects, last message per subject only:
///   `$JS.API.DIRECT.GET.<stream>.R.ev.kiosk.<d>.>` (never the unscoped
///   `$JS.API.DIRECT.GET.<stream>`, which would read any subject);
/// * subscribe only to its inbox `_INBOX_<d>.>` (the engine's custom inbox prefix).
///
/// A manager also publishes its desk requests `R.ev.desk.<d>.pickupreq.>` and
/// `R.ev.desk.<d>.stopreq.>` and its stores' catalog `R.ev.catalog.<store>.>`, and reads those
/// back (`$JS.API.DIRECT.GET.<stream>.R.ev.desk.<d>.>`, `…R.ev.catalog.<store>.>`). A depot
/// desk publishes and reads back its desk requests, and writes no catalog. No role may create
/// streams or consumers, use KV, or read another device's subjects.
pub fn device_permissions(
    root: &str,
    stream: &str,
    device: &str,
    role: &DeviceRole,
) -> DevicePermissions {
    let direct_get = |subject: String| format!("$JS.API.DIRECT.GET.{stream}.{subject}");
    let mut publish = publish_patterns(root, device, role);
    let mut read_back = vec![direct_get(format!("{root}.ev.kiosk.{device}.>"))];
    if matches!(role, DeviceRole::Manager { .. } | DeviceRole::Depot) {
        read_back.push(direct_get(format!("{root}.ev.desk.{device}.>")));
    }
    for store in role.stores() {
        read_back.push(direct_get(format!("{root}.ev.catalog.{store}.>")));
    }
    for consumer in device_consumers(root, device, role) {
        let c = &consumer.name;
        publish.push(format!("$JS.API.CONSUMER.INFO.{stream}.{c}"));
        publish.push(format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{c}"));
        publish.push(format!("$JS.ACK.{stream}.{c}.>"));
    }
    publish.extend(read_back);
    DevicePermissions {
        publish,
        subscribe: vec![format!("_INBOX_{device}.>")],
    }
}

/// The event subject patterns (NATS wildcards) `role` may publish under subject root `root`, as
/// its NATS permissions ([`device_permissions`]) grant them (DESIGN §5): its own
/// `R.ev.kiosk.<device>.>`; a desk (manager or depot) also `R.ev.desk.<device>.pickupreq.>` and
/// `R.ev.desk.<device>.stopreq.>`; a manager also `R.ev.catalog.<store>.>` for each of its
/// stores. The relay checks every subject against these before publishing: a publish the
/// server forbids gets no error back, only a timeout (NOTES), so it is refused here instead.
pub fn publish_patterns(root: &str, device: &str, role: &DeviceRole) -> Vec<String> {
    let mut out = vec![format!("{root}.ev.kiosk.{device}.>")];
    if matches!(role, DeviceRole::Manager { .. } | DeviceRole::Depot) {
        out.push(format!("{root}.ev.desk.{device}.pickupreq.>"));
        out.push(format!("{root}.ev.desk.{device}.stopreq.>"));
    }
    out.extend(
        role.stores()
            .iter()
            .map(|s| format!("{root}.ev.catalog.{s}.>")),
    );
    out
}

/// The device's own single-writer subjects (nobody else may publish there), which it reads
/// back with the last message per subject only: `R.ev.kiosk.<device>.>`, `R.ev.desk.<device>.>`.
pub fn own_patterns(root: &str, device: &str) -> Vec<String> {
    vec![
        format!("{root}.ev.kiosk.{device}.>"),
        format!("{root}.ev.desk.{device}.>"),
    ]
}

/// Whether `subject` matches the NATS pattern `pattern` (`*` one token, `>` the rest).
pub fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut p = pattern.split('.');
    let mut s = subject.split('.');
    loop {
        match (p.next(), s.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
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
            role_name: role.name().to_owned(),
            publish_allowed: publish_patterns(root, device_id, role),
            own_subjects: own_patterns(root, device_id),
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
    fn kiosk_manager_and_depot_filters() {
        let k = device_consumers("m", "k1", &DeviceRole::Kiosk);
        assert_eq!(k[0].name, "k1-orders");
        assert_eq!(k[0].filters, vec!["m.ev.order.k1.>"]);
        assert_eq!(k[1].name, "k1-catalog");
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
        let d = device_consumers("m", "p1", &DeviceRole::Depot);
        assert_eq!(
            d[0].filters,
            vec![
                "m.ev.store.*.orderline.>",
                "m.ev.depot.>",
                "m.ev.deskans.p1.>"
            ]
        );
        assert_eq!(d[1].filters, vec!["m.ev.catalog.>"]);
    }

    #[test]
    fn roles_parse_by_name() {
        assert_eq!(DeviceRole::parse("kiosk", vec![]), Some(DeviceRole::Kiosk));
        assert_eq!(DeviceRole::parse("depot", vec![]), Some(DeviceRole::Depot));
        assert_eq!(DeviceRole::parse("manager", vec![]), None);
        assert_eq!(
            DeviceRole::parse("manager", vec!["s1".into()]),
            Some(DeviceRole::Manager {
                stores: vec!["s1".into()]
            })
        );
        assert_eq!(DeviceRole::parse("central", vec![]), None);
        for role in [DeviceRole::Kiosk, DeviceRole::Depot] {
            assert_eq!(DeviceRole::parse(role.name(), vec![]), Some(role));
        }
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The permission set of each role, as a table: the single definition the server config
    /// is rendered from.
    #[test]
    fn permissions_per_role() {
        let common = |d: &str| {
            strs(&[
                &format!("$JS.API.CONSUMER.INFO.EV.{d}-orders"),
                &format!("$JS.API.CONSUMER.MSG.NEXT.EV.{d}-orders"),
                &format!("$JS.ACK.EV.{d}-orders.>"),
                &format!("$JS.API.CONSUMER.INFO.EV.{d}-catalog"),
                &format!("$JS.API.CONSUMER.MSG.NEXT.EV.{d}-catalog"),
                &format!("$JS.ACK.EV.{d}-catalog.>"),
            ])
        };
        let manager = DeviceRole::Manager {
            stores: vec!["s1".into(), "s2".into()],
        };
        let cases: Vec<(&str, DeviceRole, Vec<String>, Vec<String>)> = vec![
            (
                "k1",
                DeviceRole::Kiosk,
                strs(&["r.ev.kiosk.k1.>"]),
                strs(&["$JS.API.DIRECT.GET.EV.r.ev.kiosk.k1.>"]),
            ),
            (
                "m1",
                manager,
                strs(&[
                    "r.ev.kiosk.m1.>",
                    "r.ev.desk.m1.pickupreq.>",
                    "r.ev.desk.m1.stopreq.>",
                    "r.ev.catalog.s1.>",
                    "r.ev.catalog.s2.>",
                ]),
                strs(&[
                    "$JS.API.DIRECT.GET.EV.r.ev.kiosk.m1.>",
                    "$JS.API.DIRECT.GET.EV.r.ev.desk.m1.>",
                    "$JS.API.DIRECT.GET.EV.r.ev.catalog.s1.>",
                    "$JS.API.DIRECT.GET.EV.r.ev.catalog.s2.>",
                ]),
            ),
            (
                "p1",
                DeviceRole::Depot,
                strs(&[
                    "r.ev.kiosk.p1.>",
                    "r.ev.desk.p1.pickupreq.>",
                    "r.ev.desk.p1.stopreq.>",
                ]),
                strs(&[
                    "$JS.API.DIRECT.GET.EV.r.ev.kiosk.p1.>",
                    "$JS.API.DIRECT.GET.EV.r.ev.desk.p1.>",
                ]),
            ),
        ];
        for (device, role, writes, reads) in cases {
            let p = device_permissions("r", "EV", device, &role);
            let mut expected = writes;
            expected.extend(common(device));
            expected.extend(reads);
            assert_eq!(p.publish, expected, "{role:?}");
            assert_eq!(p.subscribe, vec![format!("_INBOX_{device}.>")]);
            assert!(
                !p.publish.iter().any(|s| s == "$JS.API.DIRECT.GET.EV"
                    || s.starts_with("$JS.API.CONSUMER.CREATE")
                    || s.starts_with("$JS.API.STREAM")
                    || s.starts_with("$KV")),
                "{role:?}: no unscoped read, no create, no KV"
            );
        }
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
