//! Facts about a cart. The variant names are the stable event type names.

use crate::aggregate::DomainEvent;
use crate::ids::{BasketId, CustomerId, ProductId, StoreId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Why a cart was canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasketCancelReason {
    /// The customer canceled it.
    Customer,
    /// It was idle too long at the kiosk.
    Abandoned,
}

/// One line of a cart: a product, its unit price when last added, and the quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketItem {
    /// The product.
    pub product_id: ProductId,
    /// Its store.
    pub store_id: StoreId,
    /// The store's name when the product was last added.
    pub store_name: String,
    /// The product's name when it was last added.
    pub product_name: String,
    /// Unit price.
    pub price: Money,
    /// Quantity, > 0.
    pub quantity: i64,
}

impl BasketItem {
    /// Price × quantity (saturating; the basket refuses edits that would overflow).
    pub fn line_total(&self) -> Money {
        Money::new(
            self.price.cents.saturating_mul(self.quantity),
            self.price.currency,
        )
    }
}

/// An event of the [`Basket`](super::Basket) aggregate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type")]
pub enum BasketEvent {
    /// A cart was opened.
    BasketStarted {
        /// The cart.
        basket_id: BasketId,
        /// The customer, if known yet.
        customer_id: Option<CustomerId>,
        /// The kiosk.
        device_id: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// `quantity` of a product was added at `price`.
    BasketItemAdded {
        /// The cart.
        basket_id: BasketId,
        /// The product.
        product_id: ProductId,
        /// Its store.
        store_id: StoreId,
        /// The store's name.
        store_name: String,
        /// The product's name.
        product_name: String,
        /// Unit price (becomes the line's price).
        price: Money,
        /// How many were added.
        quantity: i64,
        /// When.
        at: Timestamp,
    },
    /// `quantity` of a product was removed (the line goes when it reaches zero).
    BasketItemRemoved {
        /// The cart.
        basket_id: BasketId,
        /// The product.
        product_id: ProductId,
        /// How many were removed.
        quantity: i64,
        /// When.
        at: Timestamp,
    },
    /// The cart was canceled.
    BasketCanceled {
        /// The cart.
        basket_id: BasketId,
        /// Why.
        reason: BasketCancelReason,
        /// When.
        at: Timestamp,
    },
    /// The cart was checked out; an order with the same id follows.
    BasketCheckedOut {
        /// The cart.
        basket_id: BasketId,
        /// The customer who checked out.
        customer_id: CustomerId,
        /// The payment (card token).
        payment: String,
        /// The items at checkout.
        items: Vec<BasketItem>,
        /// Σ price × quantity of `items`.
        total: Money,
        /// When.
        at: Timestamp,
    },
}

impl BasketEvent {
    /// The cart the event is about.
    pub fn basket_id(&self) -> BasketId {
        match self {
            BasketEvent::BasketStarted { basket_id, .. }
            | BasketEvent::BasketItemAdded { basket_id, .. }
            | BasketEvent::BasketItemRemoved { basket_id, .. }
            | BasketEvent::BasketCanceled { basket_id, .. }
            | BasketEvent::BasketCheckedOut { basket_id, .. } => *basket_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            BasketEvent::BasketStarted { at, .. }
            | BasketEvent::BasketItemAdded { at, .. }
            | BasketEvent::BasketItemRemoved { at, .. }
            | BasketEvent::BasketCanceled { at, .. }
            | BasketEvent::BasketCheckedOut { at, .. } => *at,
        }
    }
}

impl DomainEvent for BasketEvent {
    fn event_type(&self) -> &'static str {
        match self {
            BasketEvent::BasketStarted { .. } => "BasketStarted",
            BasketEvent::BasketItemAdded { .. } => "BasketItemAdded",
            BasketEvent::BasketItemRemoved { .. } => "BasketItemRemoved",
            BasketEvent::BasketCanceled { .. } => "BasketCanceled",
            BasketEvent::BasketCheckedOut { .. } => "BasketCheckedOut",
        }
    }
}
