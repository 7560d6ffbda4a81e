//! The JSON the kiosk's cart and order screens receive, converted from `mallbots-edge`'s views
//! (money as `{cents, currency}`), and the inputs of checkout and store creation. The catalog
//! (stores, products, grouped by store), the depot and the import report are the edge's own
//! views (`StoreView`, `ProductView`, `StoreCatalogView`, `DepotView`, `ImportReport`).

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

/// One line of a basket or order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BasketLine {
    /// The product.
    pub product_id: String,
    /// Product name at the time it was added.
    pub name: String,
    /// The store's name.
    pub store_name: String,
    /// Unit price at the time it was added.
    pub unit_price: MoneyView,
    /// How many.
    #[ts(type = "number")]
    pub quantity: i64,
    /// `unit_price × quantity`.
    pub line_total: MoneyView,
}

/// Order or cart lines as the UI shows them.
pub fn lines_view(lines: Vec<edge::LineView>, currency: &str) -> Vec<BasketLine> {
    lines
        .into_iter()
        .map(|l| BasketLine {
            product_id: l.product_id.to_string(),
            name: l.product_name,
            store_name: l.store_name,
            unit_price: MoneyView::new(l.price_cents, currency),
            quantity: l.quantity,
            line_total: MoneyView::new(l.line_total_cents, currency),
        })
        .collect()
}

/// A kiosk cart with live totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "Basket")]
pub struct BasketView {
    /// Basket id; the order id after checkout.
    pub id: String,
    /// Lines in the order they were first added.
    pub lines: Vec<BasketLine>,
    /// Sum of the lines.
    pub total: MoneyView,
    /// `open`, `checked_out` or `canceled`.
    #[ts(type = "BasketStatus")]
    pub status: String,
    /// Products in it that are no longer sold (removed by a manager while they sat in the
    /// cart): the customer takes them out before paying.
    pub unavailable: Vec<String>,
}

impl From<edge::CartView> for BasketView {
    fn from(c: edge::CartView) -> Self {
        Self {
            id: c.cart_id.to_string(),
            lines: lines_view(c.lines, &c.currency),
            total: MoneyView::new(c.total_cents, &c.currency),
            status: c.status,
            unavailable: c.unavailable.iter().map(ToString::to_string).collect(),
        }
    }
}

/// An order as the kiosk tracks it and the manager lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "Order")]
pub struct OrderView {
    /// Order id (= basket id).
    pub id: String,
    /// `pending`, `approved`, `in_progress`, `ready`, `completed`, `rejected` or `canceled`.
    #[ts(type = "OrderStatus")]
    pub status: String,
    /// Amount authorized at checkout.
    pub total: MoneyView,
    /// The lines ordered.
    pub lines: Vec<BasketLine>,
    /// The customer asked to cancel; central has not answered yet.
    pub cancel_requested: bool,
    /// Why it was rejected, canceled or a cancellation refused, when it was.
    pub reason: Option<String>,
    /// Central has acknowledged the order (false = waiting to sync).
    pub synced: bool,
    /// When it was placed (ms since the Unix epoch).
    #[ts(type = "number")]
    pub placed_at: i64,
}

impl From<edge::OrderView> for OrderView {
    fn from(o: edge::OrderView) -> Self {
        Self {
            id: o.order_id.to_string(),
            status: o.status,
            total: MoneyView::new(o.total_cents, &o.currency),
            lines: lines_view(o.items, &o.currency),
            cancel_requested: o.cancellation_requested,
            reason: o.reason,
            synced: o.synced,
            placed_at: o.created_at,
        }
    }
}

/// A kiosk order with the number that gets its SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct KioskOrder {
    /// The order.
    #[serde(flatten)]
    pub order: OrderView,
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
