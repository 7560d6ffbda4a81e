//! A device's place on the wire (docs/architecture.md §5): its role, its two durable consumers, its NATS
//! permissions and the subject patterns they are made of. The one definition: central's
//! enrollment creates consumers and renders the server's authorization from it, and the edge's
//! sync engine checks its publishes and binds its consumers with it.

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
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

/// The device's two consumers under subject root `root` (docs/architecture.md §5):
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

/// The one definition of what a device's NATS user may do (docs/architecture.md §5); central renders the
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
/// its NATS permissions ([`device_permissions`]) grant them (docs/architecture.md §5): its own
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

/// A device consumer's configuration (durable, explicit acks, everything from the start of the
/// log). A message is delivered at most [`DEVICE_MAX_DELIVER`] times: the edge parks (and
/// acknowledges) what it cannot apply, so nothing a device cannot handle is redelivered for
/// ever.
pub fn consumer_config(consumer: &DeviceConsumer) -> pull::Config {
    pull::Config {
        durable_name: Some(consumer.name.clone()),
        filter_subjects: consumer.filters.clone(),
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::All,
        ack_wait: Duration::from_secs(30),
        max_ack_pending: 4_096,
        max_deliver: DEVICE_MAX_DELIVER,
        ..Default::default()
    }
}

/// Deliveries of one message to a device consumer before the server gives up on it. The edge
/// parks (and acknowledges) every message it receives but cannot read, so only a message the
/// client library cannot even hand over (an unparseable header block drops the connection
/// before the edge sees it) reaches this bound; without it such a message would be
/// redelivered for ever. High enough that a message is never dropped for being in flight when
/// the syncing process was killed a few times.
pub const DEVICE_MAX_DELIVER: i64 = 20;

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
}
