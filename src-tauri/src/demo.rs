//! A small demonstration mall (three participating stores and one that is not), written through
//! the use-case API so that it obeys the same rules as anything a manager enters. Seeded only
//! when asked (`--demo`) and only into a database without stores (the manager's: it reaches the
//! kiosk through central, or through [`copy_catalog`] when nothing syncs); the tests use it too.

use crate::error::ApiError;
use mallbots_edge::domain::desk::ALL_STORES;
use mallbots_edge::{Edge, NewProduct, Role};

/// A demo store: name, location, participating, products (name, SKU, cents).
type DemoStore = (
    &'static str,
    &'static str,
    bool,
    &'static [(&'static str, &'static str, i64)],
);

const MALL: [DemoStore; 4] = [
    (
        "Green Grocer",
        "Level 1, east wing",
        true,
        &[
            ("Honeycrisp apples (1 kg)", "APL-1KG", 549),
            ("Sourdough loaf", "BRD-SD", 625),
            ("Oat milk (1 l)", "OAT-1L", 329),
        ],
    ),
    (
        "Page Turner Books",
        "Level 2, atrium",
        true,
        &[
            ("Event-Driven Architecture", "BK-EDA", 4499),
            ("City map of the mall", "MAP-01", 0),
        ],
    ),
    (
        "Volt Electronics",
        "Level 1, west wing",
        true,
        &[
            ("USB-C cable (2 m)", "USBC-2M", 1299),
            ("Wireless earbuds", "EAR-W1", 7999),
            ("AA batteries (8 pack)", "AA-8", 899),
        ],
    ),
    (
        "Closed For Renovation",
        "Level 3",
        false,
        &[("Gift card", "GIFT-25", 2500)],
    ),
];

/// Creates the demo stores and products through `edge`, unless it already has stores; returns
/// whether it seeded.
pub fn seed(edge: &Edge) -> Result<bool, ApiError> {
    if !edge.stores()?.is_empty() {
        return Ok(false);
    }
    for (name, location, participating, products) in MALL {
        let store = edge.create_store(name, location)?;
        for (product, sku, cents) in products {
            edge.add_product(NewProduct {
                store_id: store.store_id,
                sku: (*sku).into(),
                name: (*product).into(),
                description: String::new(),
                price_cents: *cents,
            })?;
        }
        if participating {
            edge.set_participation(store.store_id, true)?;
            edge.set_automated_shopping(store.store_id, true)?;
        }
    }
    Ok(true)
}

/// [`seed`] as the signed-in `user` (a desk's catalog edits record who made them), on a device
/// that may write every store's catalog: an enrolled depot desk, or a manager enrolled for some
/// stores only, is left as it is (logged), since the demo creates stores of its own.
pub fn seed_as(edge: &Edge, user: &str) -> Result<bool, ApiError> {
    if let Some(device) = edge.device() {
        let every_store = device.stores.iter().any(|s| s == ALL_STORES);
        if device.role != Role::Manager || !every_store {
            tracing::warn!(
                device = %device.device_id,
                role = device.role.as_str(),
                "--demo seeds a manager device enrolled for every store (--all-stores); not seeded"
            );
            return Ok(false);
        }
    }
    let before = edge.user();
    edge.set_user(Some(user));
    let seeded = seed(edge);
    edge.set_user(before.as_deref());
    seeded
}

/// Copies the catalog (store and product events) of `manager` into `kiosk` as events of
/// someone else (no outbox rows), unless the kiosk has stores already; returns how many events
/// it imported. Used when no central can carry the manager's demo catalog to the kiosk (the
/// app runs offline, or the manager device does not sync): it is what the kiosk's catalog
/// consumer would have received.
pub fn copy_catalog(manager: &Edge, kiosk: &Edge) -> Result<u64, ApiError> {
    if !kiosk.stores()?.is_empty() {
        return Ok(0);
    }
    let mut all = Vec::new();
    manager.export_events(&mut all)?;
    let mut catalog = Vec::new();
    for line in all.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let event: serde_json::Value = serde_json::from_slice(line)
            .map_err(|e| ApiError::internal(format!("an exported event is not JSON: {e}")))?;
        if matches!(event["stream_type"].as_str(), Some("store" | "product")) {
            catalog.extend_from_slice(line);
            catalog.push(b'\n');
        }
    }
    Ok(kiosk.import_events(catalog.as_slice())?.imported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mallbots_edge::EdgeConfig;

    #[test]
    fn the_demo_catalog_is_copied_to_a_kiosk_without_stores_only() {
        let dir = tempfile::tempdir().unwrap();
        let manager = Edge::open(
            dir.path().join("m.db"),
            EdgeConfig {
                device_id: "desk-1".into(),
                role: Role::Manager,
                ..EdgeConfig::default()
            },
        )
        .unwrap();
        let kiosk = Edge::open(dir.path().join("k.db"), EdgeConfig::default()).unwrap();
        assert!(seed(&manager).unwrap());
        assert!(!seed(&manager).unwrap(), "seeded once");
        let copied = copy_catalog(&manager, &kiosk).unwrap();
        assert!(copied > 10, "{copied}");
        let names = |e: &Edge| {
            let mut n: Vec<String> = e.stores().unwrap().into_iter().map(|s| s.name).collect();
            n.sort();
            n
        };
        assert_eq!(names(&kiosk), names(&manager));
        assert_eq!(
            kiosk.local_counts().unwrap().outbox_pending,
            0,
            "not the kiosk's to send"
        );
        let catalog = kiosk.catalog(None, true).unwrap();
        assert!(catalog.products.iter().any(|p| p.sku == "EAR-W1"));
        assert_eq!(copy_catalog(&manager, &kiosk).unwrap(), 0, "once");
    }
}
