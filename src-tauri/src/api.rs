//! The use-case surface the commands call, and the views they return.
//!
//! [`EdgeApi`] is deliberately small: one method per user action or screen query. The shell owns
//! this trait so the windows, capabilities and UI can be built before `mallbots-edge` is wired in;
//! wiring it means one `impl EdgeApi for mallbots_edge::…` (or replacing the trait by the edge
//! type) with no change to the commands' names, arguments or JSON.

use crate::backoffice::{DepotView, OrderSummary, SyncStatus};
use crate::error::ApiError;
use serde::{Deserialize, Serialize};

/// Money as the UI receives it: integer minor units and an ISO currency code (the same JSON as
/// `mallbots_domain::Money`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyView {
    /// Minor units (cents).
    pub cents: i64,
    /// ISO-4217 code, e.g. `USD`.
    pub currency: String,
}

impl MoneyView {
    /// An amount in US dollars.
    pub fn usd(cents: i64) -> Self {
        Self {
            cents,
            currency: "USD".to_owned(),
        }
    }
}

/// A store of the mall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// A product of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// A store with its products, as the kiosk browses them and the manager edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCatalog {
    /// The store.
    pub store: StoreView,
    /// Its products, by name.
    pub products: Vec<ProductView>,
}

/// One line of a basket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub quantity: u32,
    /// `unit_price × quantity`.
    pub line_total: MoneyView,
}

/// Where a basket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasketStatus {
    /// Items can be added and removed.
    Open,
    /// Became an order.
    CheckedOut,
    /// Canceled by the customer or as abandoned.
    Canceled,
}

/// A kiosk cart with live totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketView {
    /// Basket id; the order id after checkout.
    pub id: String,
    /// Lines in the order they were first added.
    pub lines: Vec<BasketLine>,
    /// Sum of the lines.
    pub total: MoneyView,
    /// Open, checked out or canceled.
    pub status: BasketStatus,
}

/// An order as the kiosk tracks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// Order id (= basket id).
    pub id: String,
    /// `pending`, `approved`, `in_progress`, `ready`, `completed`, `rejected` or `canceled`.
    pub status: String,
    /// Amount authorized at checkout.
    pub total: MoneyView,
    /// Number that gets the pickup SMS.
    pub sms_number: String,
    /// The lines ordered.
    pub lines: Vec<BasketLine>,
    /// The customer asked to cancel; central has not answered yet.
    pub cancel_requested: bool,
}

/// What checkout needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutInput {
    /// The open basket.
    pub basket_id: String,
    /// Customer phone number for the SMS notifications, digits only.
    pub sms_number: String,
    /// Token of the (simulated) card swipe.
    pub card_token: String,
}

/// A new store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStore {
    /// Display name, not blank.
    pub name: String,
    /// Location in the mall, not blank.
    pub location: String,
}

/// A new product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProduct {
    /// The store.
    pub store_id: String,
    /// Display name, not blank.
    pub name: String,
    /// Description, may be empty.
    pub description: String,
    /// SKU, unique per store.
    pub sku: String,
    /// Price in cents, ≥ 0.
    pub price_cents: i64,
}

/// The kiosk and manager use cases the windows need.
pub trait EdgeApi: Send + Sync + 'static {
    /// Participating stores and their products; `query` filters product and store names
    /// (case-insensitive), empty = everything.
    fn catalog(&self, query: &str) -> Result<Vec<StoreCatalog>, ApiError>;
    /// Opens a new, empty basket.
    fn start_basket(&self) -> Result<BasketView, ApiError>;
    /// Adds `quantity` of a product to an open basket.
    fn add_item(&self, basket: &str, product: &str, quantity: u32) -> Result<BasketView, ApiError>;
    /// Removes up to `quantity` of a product from an open basket.
    fn remove_item(
        &self,
        basket: &str,
        product: &str,
        quantity: u32,
    ) -> Result<BasketView, ApiError>;
    /// Cancels an open basket (the customer walked away or pressed cancel).
    fn cancel_basket(&self, basket: &str) -> Result<BasketView, ApiError>;
    /// Checks a basket out: the order is placed locally and synced later.
    fn checkout(&self, input: &CheckoutInput) -> Result<OrderView, ApiError>;
    /// The current state of an order.
    fn order(&self, order: &str) -> Result<OrderView, ApiError>;
    /// Asks central to cancel the order (answered with `canceled` or a refusal once shopping is
    /// done); the order shows `cancel_requested` meanwhile.
    fn request_cancel(&self, order: &str) -> Result<OrderView, ApiError>;
    /// Every store (participating or not) with its products.
    fn stores(&self) -> Result<Vec<StoreCatalog>, ApiError>;
    /// Creates a store.
    fn create_store(&self, input: &NewStore) -> Result<StoreView, ApiError>;
    /// Adds a product to a store.
    fn add_product(&self, input: &NewProduct) -> Result<ProductView, ApiError>;
    /// Renames a product and replaces its description.
    fn rebrand_product(
        &self,
        product: &str,
        name: &str,
        description: &str,
    ) -> Result<ProductView, ApiError>;
    /// Sets a product's price (an increase or a decrease; the same price is `unchanged`).
    fn change_price(&self, product: &str, price_cents: i64) -> Result<ProductView, ApiError>;
    /// Removes a product from its store; returns it as it was.
    fn remove_product(&self, product: &str) -> Result<ProductView, ApiError>;
    /// Enables or disables a store's participation in kiosk ordering.
    fn set_participation(&self, store: &str, participating: bool) -> Result<StoreView, ApiError>;
    /// Enables or disables automated shopping (bots) in a store.
    fn set_automated_shopping(&self, store: &str, enabled: bool) -> Result<StoreView, ApiError>;
    /// Every order this edge knows, newest first.
    fn orders(&self) -> Result<Vec<OrderSummary>, ApiError>;
    /// Bots and shopping lists as last heard from central.
    fn depot(&self) -> Result<DepotView, ApiError>;
    /// Online/offline, events waiting to be sent, conflicts.
    fn sync_status(&self) -> Result<SyncStatus, ApiError>;
}
