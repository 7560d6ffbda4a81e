//! What use cases and queries return: plain serializable views with stable field names (ids as
//! strings, money as integer cents plus currency). `--json` prints exactly these.

use mallbots_domain::baskets::{Basket, BasketCancelReason, BasketStatus};
use mallbots_domain::customers::Customer;
use mallbots_domain::mall_map::Place;
use mallbots_domain::ordering::{Order, OrderItem, OrderStatus};
use mallbots_domain::products::Product;
use mallbots_domain::stores::Store;
use mallbots_domain::{BasketId, BotId, CustomerId, OrderId, ProductId, ShoppingListId, StoreId};
use serde::{Deserialize, Serialize};

/// A store of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Store"))]
pub struct StoreView {
    /// Store id (UUID text).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub store_id: StoreId,
    /// Display name.
    pub name: String,
    /// Where in the mall, in words, e.g. `Level 1, east wing`.
    pub location: String,
    /// Whether kiosk customers can order from it.
    pub participating: bool,
    /// Whether bots may shop there.
    pub automated_shopping: bool,
    /// Whether it left the mall.
    pub removed: bool,
    /// Where the store is on the mall's floor plan; `None` until a manager placed it (the map
    /// lays such stores out itself).
    #[serde(default)]
    pub place: Option<Place>,
}

impl From<&Store> for StoreView {
    fn from(s: &Store) -> Self {
        Self {
            store_id: s.id(),
            name: s.name().to_owned(),
            location: s.location().to_owned(),
            participating: s.participating(),
            automated_shopping: s.automated_shopping(),
            removed: s.is_removed(),
            place: s.place(),
        }
    }
}

/// A product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Product"))]
pub struct ProductView {
    /// Product id (UUID text).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub product_id: ProductId,
    /// The store selling it.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub store_id: StoreId,
    /// Stock-keeping unit, unique per store.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Unit price in minor units (cents).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub price_cents: i64,
    /// ISO-4217 code of the price, e.g. `USD`.
    pub currency: String,
    /// Whether it was taken off sale.
    pub removed: bool,
}

impl From<&Product> for ProductView {
    fn from(p: &Product) -> Self {
        Self {
            product_id: p.id(),
            store_id: p.store_id(),
            sku: p.sku().to_owned(),
            name: p.name().to_owned(),
            description: p.description().to_owned(),
            price_cents: p.price().cents,
            currency: p.price().currency.to_string(),
            removed: p.is_removed(),
        }
    }
}

/// A store with its products, as the kiosk browses them and the manager edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "StoreCatalog"))]
pub struct StoreCatalogView {
    /// The store.
    pub store: StoreView,
    /// Its products on sale, by name.
    pub products: Vec<ProductView>,
}

/// The catalog: stores and products (optionally filtered by a search).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogView {
    pub stores: Vec<StoreView>,
    pub products: Vec<ProductView>,
}

/// A registered customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub customer_id: CustomerId,
    pub name: String,
    pub sms_number: String,
    pub enabled: bool,
}

impl From<&Customer> for CustomerView {
    fn from(c: &Customer) -> Self {
        Self {
            customer_id: c.id(),
            name: c.name().to_owned(),
            sms_number: c.sms_number().to_owned(),
            enabled: c.enabled(),
        }
    }
}

/// One line of a cart or an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "CartLine"))]
pub struct LineView {
    /// The product.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub product_id: ProductId,
    /// The store selling it.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub store_id: StoreId,
    /// The store's name when it was added.
    pub store_name: String,
    /// The product's name when it was added.
    pub product_name: String,
    /// Unit price when it was added, in minor units of the cart's currency.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub price_cents: i64,
    /// How many.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub quantity: i64,
    /// `price_cents × quantity`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub line_total_cents: i64,
}

impl LineView {
    /// A line of `quantity` × the product at `price`; the total saturates like the domain's.
    pub fn new(
        product_id: ProductId,
        store_id: StoreId,
        store_name: &str,
        product_name: &str,
        price: mallbots_domain::Money,
        quantity: i64,
    ) -> Self {
        Self {
            product_id,
            store_id,
            store_name: store_name.to_owned(),
            product_name: product_name.to_owned(),
            price_cents: price.cents,
            quantity,
            line_total_cents: price.cents.saturating_mul(quantity),
        }
    }
}

impl From<&OrderItem> for LineView {
    fn from(i: &OrderItem) -> Self {
        LineView::new(
            i.product_id,
            i.store_id,
            &i.store_name,
            &i.product_name,
            i.price,
            i.quantity,
        )
    }
}

/// A cart with its lines and live total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Cart"))]
pub struct CartView {
    /// Cart id; the order id after checkout.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub cart_id: BasketId,
    /// The registered customer, if any.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub customer_id: Option<CustomerId>,
    /// The kiosk it was started on.
    pub device_id: Option<String>,
    /// `open`, `checked_out` or `canceled`.
    #[cfg_attr(feature = "ts", ts(type = "BasketStatus"))]
    pub status: String,
    /// `customer` or `abandoned` when canceled.
    pub cancel_reason: Option<String>,
    /// Sum of the lines, in minor units.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_cents: i64,
    /// ISO-4217 code of every amount in it.
    pub currency: String,
    /// Units in it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub item_count: i64,
    /// Lines in the order they were first added.
    pub lines: Vec<LineView>,
    /// Its last change (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_activity_at: i64,
    /// Products of an open cart this device's catalog no longer sells (removed, or their store
    /// removed or out of kiosk ordering): checkout is refused until they are taken out. Filled
    /// by [`crate::Edge::cart`]; empty in the view a command returns.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "string[]"))]
    pub unavailable: Vec<ProductId>,
}

/// The snake-case name of a basket status.
pub fn basket_status(status: BasketStatus) -> &'static str {
    match status {
        BasketStatus::NotStarted => "not_started",
        BasketStatus::Open => "open",
        BasketStatus::CheckedOut => "checked_out",
        BasketStatus::Canceled => "canceled",
    }
}

impl From<&Basket> for CartView {
    fn from(b: &Basket) -> Self {
        Self {
            cart_id: b.id(),
            customer_id: b.customer_id(),
            device_id: b.device_id().map(str::to_owned),
            status: basket_status(b.status()).to_owned(),
            cancel_reason: b.cancel_reason().map(|r| match r {
                BasketCancelReason::Customer => "customer".to_owned(),
                BasketCancelReason::Abandoned => "abandoned".to_owned(),
            }),
            total_cents: b.total().cents,
            currency: b.total().currency.to_string(),
            item_count: b.item_count(),
            lines: b
                .items()
                .iter()
                .map(|i| {
                    LineView::new(
                        i.product_id,
                        i.store_id,
                        &i.store_name,
                        &i.product_name,
                        i.price,
                        i.quantity,
                    )
                })
                .collect(),
            last_activity_at: b.last_activity().0,
            unavailable: Vec::new(),
        }
    }
}

/// An order with its status, lines and sync state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Order"))]
pub struct OrderView {
    /// Order id (= the cart's id).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub order_id: OrderId,
    /// The customer.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub customer_id: CustomerId,
    /// The kiosk that took it.
    pub device_id: Option<String>,
    /// `pending`, `approved`, `in_progress`, `ready`, `completed`, `rejected`, `canceled`.
    #[cfg_attr(feature = "ts", ts(type = "OrderStatus"))]
    pub status: String,
    /// Amount authorized at checkout, in minor units.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_cents: i64,
    /// ISO-4217 code of every amount in it.
    pub currency: String,
    /// The lines ordered.
    pub items: Vec<LineView>,
    /// The stores it is shopped in.
    #[cfg_attr(feature = "ts", ts(type = "string[]"))]
    pub store_ids: Vec<StoreId>,
    /// Whether OrderCreated has been acknowledged by central (false = "waiting to sync").
    pub synced: bool,
    pub cancellation_requested: bool,
    /// The latest reason: cancellation request, refusal, rejection or cancel.
    pub reason: Option<String>,
    /// The code the customer shows at the depot (six digits; on the kiosk that placed it,
    /// `None` for orders from before codes existed).
    pub pickup_code: Option<String>,
    /// When it was placed (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    /// Its last change (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        let reason = o
            .cancel_reason()
            .or(o.rejection_reason())
            .or(o.refusal_reason())
            .or(o.cancellation_request_reason())
            .map(str::to_owned);
        Self {
            order_id: o.id(),
            customer_id: o.customer_id(),
            device_id: o.device_id().map(str::to_owned),
            status: o.status().as_str().to_owned(),
            total_cents: o.total().cents,
            currency: o.total().currency.to_string(),
            items: o.items().iter().map(LineView::from).collect(),
            store_ids: o.store_ids(),
            synced: false,
            cancellation_requested: o.cancellation_requested(),
            reason,
            pickup_code: o.pickup_code().map(str::to_owned),
            created_at: o.created_at().0,
            updated_at: o.updated_at().0,
        }
    }
}

/// Sales of one store on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesDayView {
    pub store_id: StoreId,
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub currency: String,
    pub orders: i64,
    pub items: i64,
    pub total_cents: i64,
}

/// One day of the sales chart ([`crate::Edge::sales_days`]): possibly several stores summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SalesDay"))]
pub struct DailySalesView {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Orders counted that day.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub orders: i64,
    /// Units in them.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items: i64,
    /// Their total, in minor units.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_cents: i64,
    /// ISO-4217 code of the total.
    pub currency: String,
}

/// What [`crate::Edge::manager_orders`] returns; every field narrows the result (`None` = any).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderFilter {
    /// The order's status (`"ready"`, … as serialized).
    pub status: Option<OrderStatus>,
    /// Placed on or after this UTC day, `YYYY-MM-DD`.
    pub from_day: Option<String>,
    /// Placed on or before this UTC day, `YYYY-MM-DD`.
    pub to_day: Option<String>,
    /// The customer's phone number ends with these digits (1 to 4: only the last 4 are known).
    pub phone_suffix: Option<String>,
    /// Only this store's lines (an order shows its lines of this store only).
    pub store: Option<StoreId>,
}

/// An order as a manager or depot desk sees it: central's order lines of this desk's stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ManagerOrder"))]
pub struct ManagerOrderView {
    /// Order id (UUID text).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub order_id: OrderId,
    /// The newest status seen: `approved`, `in_progress`, `ready`, `completed`, `rejected`,
    /// `canceled`.
    #[cfg_attr(feature = "ts", ts(type = "OrderStatus"))]
    pub status: String,
    /// The kiosk that placed it.
    pub device_id: String,
    /// This desk's stores in the order (only the filter's store when it names one).
    #[cfg_attr(feature = "ts", ts(type = "string[]"))]
    pub store_ids: Vec<StoreId>,
    /// Those stores' names (from the lines, else this desk's catalog, else the id).
    pub store_names: Vec<String>,
    /// This desk's hand-over request of the order and central's answer, if one was made.
    pub pickup: Option<DeskRequestView>,
    /// Units of those stores' lines.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub item_count: i64,
    /// Total of those stores' lines.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_cents: i64,
    /// ISO-4217 code of the total.
    pub currency: String,
    /// `authorized`, `captured` or `voided`; `None` while unknown.
    pub payment: Option<String>,
    /// `pending`, `paid` or `canceled`; `None` while unknown (no invoice before ready).
    pub invoice: Option<String>,
    /// The last four digits of the customer's phone, when central sent them.
    pub phone_last4: Option<String>,
    /// When the kiosk placed it (the first line's time if central did not say).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub placed_at: i64,
    /// The earliest line's time.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub first_seen_at: i64,
    /// The newest line's time.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
}

/// One store's part of an order, as that store's order line says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ManagerOrderLine"))]
pub struct ManagerOrderLineView {
    /// The store.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub store_id: StoreId,
    /// From the lines (or this desk's catalog); empty when neither knows it.
    pub store_name: String,
    /// The status of this store's newest line.
    pub status: String,
    /// Its items.
    pub items: Vec<LineView>,
    /// Units.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub item_count: i64,
    /// Total of the items, in minor units.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_cents: i64,
    /// ISO-4217 code of the total.
    pub currency: String,
    /// Stream sequence of the order event the newest line reflects.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub order_seq: u64,
    /// When this desk first saw the line (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub first_seen_at: i64,
    /// Its last change (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
}

/// One step of an order's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "StatusChange"))]
pub struct OrderStatusChangeView {
    /// `pending` (placed at the kiosk), then central's statuses.
    #[cfg_attr(feature = "ts", ts(type = "OrderStatus"))]
    pub status: String,
    /// When (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// Stream sequence of the order event (0 for `pending`, the kiosk's OrderCreated).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub order_seq: u64,
}

/// An order's detail for a manager or depot desk: the summary, each store's lines, and the
/// status history (oldest first), payment and invoice in `order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ManagerOrderDetail"))]
pub struct ManagerOrderDetail {
    /// The order as listed.
    pub order: ManagerOrderView,
    /// One line per store of this desk in it.
    pub lines: Vec<ManagerOrderLineView>,
    /// Its status changes, oldest first.
    pub history: Vec<OrderStatusChangeView>,
}

/// A depot robot as central last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Bot"))]
pub struct BotView {
    /// Bot id (UUID text).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub bot_id: BotId,
    /// Empty when this desk has not seen the bot come online.
    pub name: String,
    /// `offline`, `idle`, `assigned`, `shopping` or `returning`.
    #[cfg_attr(feature = "ts", ts(type = "BotStatus"))]
    pub status: String,
    /// The shopping list it holds.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub list_id: Option<ShoppingListId>,
    /// The store it is in, while shopping.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub store_id: Option<StoreId>,
    /// That store's name, when the catalog here knows it.
    pub store_name: Option<String>,
    /// When its status last changed (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
    /// The walk the bot is on, if it is between places.
    pub walk: Option<WalkView>,
}

/// A robot walking between two places of the mall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Walk"))]
pub struct WalkView {
    /// The store it left; `None` = the depot.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub from: Option<StoreId>,
    /// The store it is heading to; `None` = the depot.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub to: Option<StoreId>,
    /// When it left (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub departed_at: i64,
    /// When it is expected there (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub eta: i64,
}

/// One item to fetch at a stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "StopItem"))]
pub struct StopItemView {
    /// Product id (UUID text).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub product_id: ProductId,
    /// The product's name as ordered.
    pub product_name: String,
    /// Units of it.
    pub quantity: u32,
}

/// One store a shopping list visits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Stop"))]
pub struct StopView {
    /// Store id (UUID text).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub store_id: StoreId,
    /// The store's name, when the catalog here knows it.
    pub store_name: Option<String>,
    /// What to fetch there.
    pub items: Vec<StopItemView>,
    /// Units to fetch here.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub quantity: i64,
    /// The bot has collected this stop's items.
    pub picked: bool,
    /// The store's manager prepared it at the counter (automated shopping off): the bot only
    /// collects it.
    #[serde(default)]
    pub prepared: bool,
}

/// A depot shopping list: one order's stops, its status and the bot walking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ShoppingList"))]
pub struct ShoppingListView {
    /// List id (UUID text).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub list_id: ShoppingListId,
    /// The order it fetches.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub order_id: OrderId,
    /// `created`, `available`, `assigned`, `in_progress`, `completed` or `canceled`.
    #[cfg_attr(feature = "ts", ts(type = "ListStatus"))]
    pub status: String,
    /// The robot shopping it.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub bot_id: Option<BotId>,
    /// The bot's name, when known here.
    pub bot_name: Option<String>,
    /// The store the bot is at.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub current_stop: Option<StoreId>,
    /// Stops in walking order.
    pub stops: Vec<StopView>,
    /// When it was created (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    /// Last change (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
}

/// The depot as a manager desk sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Depot"))]
pub struct DepotView {
    /// Every robot, by name.
    pub bots: Vec<BotView>,
    /// Open lists first, then recently finished ones.
    pub lists: Vec<ShoppingListView>,
}

/// One line of an audit trail (`order history`, `product history`), from one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TrailEntry {
    /// When it happened (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// The event's type, e.g. `OrderApproved`.
    pub event_type: String,
    /// The stream it is on: `basket`, `order`, `orderline`, `list`, `pickupreq`, `product`, …
    pub stream: String,
    /// The device that wrote it (`central` for central's events), when known.
    pub device: Option<String>,
    /// The signed-in user, for desk and manager actions.
    pub user: Option<String>,
    /// What happened, in one line of plain words.
    pub summary: String,
}

/// One request of this desk and central's answer so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "DeskRequest"))]
pub struct DeskRequestView {
    /// `pickup` or `stop`.
    pub kind: String,
    /// The order (pickup).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub order_id: Option<OrderId>,
    /// The list (stop).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub list_id: Option<ShoppingListId>,
    /// The stop's store (stop).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub store_id: Option<StoreId>,
    /// The user who asked.
    pub user: String,
    /// `requested` (sent or waiting for central), `refused` (see `code`), or for a pickup
    /// `completed` once the order lines here say so (handed over).
    pub status: String,
    /// The refusal's code (`pickup.not_ready`, `pickup.already_completed`,
    /// `pickup.not_your_store`, `pickup.unknown_order`, `pickup.wrong_code`, `stop.…`).
    pub code: Option<String>,
    /// The refusal's reason.
    pub reason: Option<String>,
    /// When the last request was made (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub requested_at: Option<i64>,
    /// When central refused it (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub answered_at: Option<i64>,
}
