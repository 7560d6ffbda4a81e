//! A small demonstration mall (three participating stores and one that is not), written through
//! the use-case API so that it obeys the same rules as anything a manager enters. Seeded only
//! when asked (`--demo`) and only into a database without stores; the tests use it too.

use crate::error::ApiError;
use mallbots_edge::{Edge, NewProduct};

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
