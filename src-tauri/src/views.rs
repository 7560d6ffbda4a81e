//! What the windows receive beyond the edge's own views: money as `{cents, currency}` (the
//! manager's order and sales screens), a kiosk order with its SMS number, and the inputs of
//! checkout and store creation. The catalog, cart, order and depot views are the edge's
//! (`StoreView`, `ProductView`, `StoreCatalogView`, `CartView`, `OrderView`, `DepotView`,
//! `ImportReport`), their TypeScript generated from them.

use mallbots_edge as edge;
use serde::{Deserialize, Serialize};

/// Money as the UI receives it: integer minor units and an ISO currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "Money")]
pub struct MoneyView {
    /// Minor units (cents).
    #[ts(type = "number")]
    pub cents: i64,
    /// ISO-4217 code, e.g. `USD`.
    pub currency: String,
}

impl MoneyView {
    /// An amount in `currency`.
    pub fn new(cents: i64, currency: &str) -> Self {
        Self {
            cents,
            currency: currency.to_owned(),
        }
    }
}

/// A kiosk order with the number that gets its SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct KioskOrder {
    /// The order.
    #[serde(flatten)]
    pub order: edge::OrderView,
    /// The customer's SMS number.
    pub sms_number: String,
}

/// What checkout needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CheckoutInput {
    /// The open basket.
    #[ts(type = "string")]
    pub basket_id: edge::domain::BasketId,
    /// Customer phone number for the SMS notifications.
    pub sms_number: String,
    /// Token of the (simulated) card swipe.
    pub card_token: String,
}

/// A new store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NewStore {
    /// Display name, not blank.
    pub name: String,
    /// Location in the mall, not blank.
    pub location: String,
}
