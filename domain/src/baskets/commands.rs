//! Commands a kiosk sends to its cart, and the product facts the caller reads from its catalog
//! read model for `AddItem` (the domain does no I/O).

use crate::ids::{BasketId, CustomerId, ProductId, StoreId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What the kiosk's catalog says about a product at the moment it is added to a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductFacts {
    /// The product.
    pub product_id: ProductId,
    /// Its store.
    pub store_id: StoreId,
    /// The store's current name.
    pub store_name: String,
    /// The product's current name.
    pub product_name: String,
    /// The current unit price.
    pub price: Money,
    /// Whether the store participates in kiosk ordering.
    pub store_participating: bool,
    /// Whether the product exists and has not been removed.
    pub product_available: bool,
}

/// A command on the [`Basket`](super::Basket) aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum BasketCommand {
    /// Opens a cart at a kiosk.
    StartBasket {
        /// The new cart's id (the order created from it gets the same id).
        basket_id: BasketId,
        /// The customer, if already identified; may also be given at checkout.
        customer_id: Option<CustomerId>,
        /// The kiosk.
        device_id: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// Adds `quantity` of a product; adding a product already in the cart adds to its quantity
    /// (at the latest price).
    AddItem {
        /// The product as the catalog knows it now.
        product: ProductFacts,
        /// How many, > 0.
        quantity: i64,
        /// When.
        at: Timestamp,
    },
    /// Removes `quantity` of a product in the cart.
    RemoveItem {
        /// The product.
        product_id: ProductId,
        /// How many, > 0 and ≤ the quantity in the cart.
        quantity: i64,
        /// When.
        at: Timestamp,
    },
    /// The customer abandons the cart.
    CancelBasket {
        /// When.
        at: Timestamp,
    },
    /// Cancels the cart with reason `abandoned` if unused for `idle_for_ms` at `now`.
    AbandonIfIdle {
        /// The idle period in milliseconds (configurable per kiosk).
        idle_for_ms: i64,
        /// The current time.
        now: Timestamp,
    },
    /// Checks out: the cart becomes an order.
    CheckOut {
        /// The customer, overriding the one given at start (if any).
        customer_id: Option<CustomerId>,
        /// The payment: a card token from the card swipe.
        payment: String,
        /// When.
        at: Timestamp,
    },
}
