//! A small demonstration mall (three participating stores and one that is not), written through
//! the use-case API so that it obeys the same rules as anything a manager enters. Used by the
//! in-memory edge and the tests; a real edge database is seeded only when asked to.

use crate::api::{EdgeApi, NewProduct, NewStore};
use crate::error::ApiError;

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

/// Creates the demo stores and products through `edge`.
pub fn seed(edge: &dyn EdgeApi) -> Result<(), ApiError> {
    for (name, location, participating, products) in MALL {
        let store = edge.create_store(&NewStore {
            name: name.into(),
            location: location.into(),
        })?;
        for (product, sku, cents) in products {
            edge.add_product(&NewProduct {
                store_id: store.id.clone(),
                name: (*product).into(),
                description: String::new(),
                sku: (*sku).into(),
                price_cents: *cents,
            })?;
        }
        if !participating {
            edge.set_participation(&store.id, false)?;
        }
    }
    Ok(())
}
