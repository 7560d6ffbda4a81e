//! The JSON the windows receive, converted from `mallbots-edge`'s views.
//!
//! The UI reads money as `{cents, currency}` and the catalog grouped by store; the edge returns
//! flat rows with `price_cents` and `currency` fields. These types are that translation and
//! nothing more: every value comes from an edge view, nothing is computed here but the grouping.

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

/// A store of the mall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "Store")]
pub struct StoreView {
    /// Store id (UUID text).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where in the mall, e.g. `Level 1, east wing`.
    pub location: String,
    /// Whether kiosk customers can order from it.
    pub participating: bool,
    /// Whether bots may shop there.
    pub automated_shopping: bool,
    /// Where it is on the mall map; `null` until a manager placed it.
    pub place: Option<PlaceView>,
}

/// A point of the mall's floor plan (see `mallbots_domain::mall_map`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "Place")]
pub struct PlaceView {
    /// 0 = ground floor.
    pub level: u8,
    /// Plan units from the left edge (0..=1000).
    pub x: u16,
    /// Plan units from the top edge (0..=600).
    pub y: u16,
}

impl From<edge::domain::mall_map::Place> for PlaceView {
    fn from(p: edge::domain::mall_map::Place) -> Self {
        Self {
            level: p.level,
            x: p.x,
            y: p.y,
        }
    }
}

impl From<edge::StoreView> for StoreView {
    fn from(s: edge::StoreView) -> Self {
        Self {
            id: s.store_id.to_string(),
            name: s.name,
            location: s.location,
            participating: s.participating,
            automated_shopping: s.automated_shopping,
            place: s.place.map(PlaceView::from),
        }
    }
}

/// A product of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "Product")]
pub struct ProductView {
    /// Product id (UUID text).
    pub id: String,
    /// The store selling it.
    pub store_id: String,
    /// Display name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Stock-keeping unit, unique per store.
    pub sku: String,
    /// Unit price.
    pub price: MoneyView,
}

impl From<edge::ProductView> for ProductView {
    fn from(p: edge::ProductView) -> Self {
        Self {
            id: p.product_id.to_string(),
            store_id: p.store_id.to_string(),
            price: MoneyView::new(p.price_cents, &p.currency),
            name: p.name,
            description: p.description,
            sku: p.sku,
        }
    }
}

/// A store with its products, as the kiosk browses them and the manager edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StoreCatalog {
    /// The store.
    pub store: StoreView,
    /// Its products, by name.
    pub products: Vec<ProductView>,
}

/// Groups the edge's catalog by store (stores by name, products in the edge's order, removed
/// ones left out). `with_empty` keeps stores without (matching) products.
pub fn group_catalog(catalog: edge::CatalogView, with_empty: bool) -> Vec<StoreCatalog> {
    let mut stores: Vec<StoreCatalog> = catalog
        .stores
        .into_iter()
        .filter(|s| !s.removed)
        .map(|s| StoreCatalog {
            store: s.into(),
            products: Vec::new(),
        })
        .collect();
    stores.sort_by(|a, b| a.store.name.cmp(&b.store.name));
    for product in catalog.products.into_iter().filter(|p| !p.removed) {
        let store_id = product.store_id.to_string();
        if let Some(entry) = stores.iter_mut().find(|s| s.store.id == store_id) {
            entry.products.push(product.into());
        }
    }
    stores.retain(|s| with_empty || !s.products.is_empty());
    stores
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

/// A new product as the manager window sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NewProduct {
    /// The store.
    #[ts(type = "string")]
    pub store_id: edge::domain::StoreId,
    /// Display name, not blank.
    pub name: String,
    /// Description, may be empty.
    pub description: String,
    /// SKU, unique per store.
    pub sku: String,
    /// Price in cents, ≥ 0.
    #[ts(type = "number")]
    pub price_cents: i64,
}

/// What a CSV import did: SKUs added and lines refused (line number, code, message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ImportReport {
    /// SKUs added, in file order.
    pub added: Vec<String>,
    /// Lines refused, by line number.
    pub errors: Vec<edge::RowError>,
}

impl From<edge::ImportReport> for ImportReport {
    fn from(r: edge::ImportReport) -> Self {
        Self {
            added: r.imported.into_iter().map(|p| p.sku).collect(),
            errors: r.errors,
        }
    }
}
