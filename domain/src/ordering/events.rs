//! Facts about an order. The variant names are the stable event type names. `OrderCreated` and
//! `OrderCancellationRequested` are written by a kiosk, the others by central; both fold into one
//! aggregate.

use crate::aggregate::DomainEvent;
use crate::baskets::BasketItem;
use crate::ids::{BotId, CustomerId, InvoiceId, OrderId, ProductId, ShoppingListId, StoreId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The product.
    pub product_id: ProductId,
    /// Its store.
    pub store_id: StoreId,
    /// The store's name at checkout.
    pub store_name: String,
    /// The product's name at checkout.
    pub product_name: String,
    /// Unit price at checkout (the kiosk's price is honoured).
    pub price: Money,
    /// Quantity, > 0.
    pub quantity: i64,
}

impl OrderItem {
    /// Price × quantity (saturating; `CreateOrder` refuses totals that overflow).
    pub fn line_total(&self) -> Money {
        Money::new(
            self.price.cents.saturating_mul(self.quantity),
            self.price.currency,
        )
    }
}

impl From<&BasketItem> for OrderItem {
    fn from(item: &BasketItem) -> Self {
        OrderItem {
            product_id: item.product_id,
            store_id: item.store_id,
            store_name: item.store_name.clone(),
            product_name: item.product_name.clone(),
            price: item.price,
            quantity: item.quantity,
        }
    }
}

/// On whose behalf an order was canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The customer (a kiosk's request, granted).
    Customer,
    /// An administrator or the system.
    Admin,
}

/// An event of the [`Order`](super::Order) aggregate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type")]
pub enum OrderEvent {
    /// An order was placed at a kiosk (pending).
    OrderCreated {
        /// The order (= basket id).
        order_id: OrderId,
        /// Who ordered.
        customer_id: CustomerId,
        /// The kiosk.
        device_id: Option<String>,
        /// The lines.
        items: Vec<OrderItem>,
        /// Σ price × quantity.
        total: Money,
        /// The card token to authorize.
        payment_token: String,
        /// The code the customer shows at the depot ([`super::PICKUP_CODE_DIGITS`] digits, made
        /// by the kiosk at checkout); `None` on orders placed before codes existed (their
        /// hand-over asks for none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pickup_code: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// The saga rejected the order.
    OrderRejected {
        /// The order.
        order_id: OrderId,
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// The saga approved the order.
    OrderApproved {
        /// The order.
        order_id: OrderId,
        /// When.
        at: Timestamp,
    },
    /// A bot started shopping the order's list.
    OrderShoppingStarted {
        /// The order.
        order_id: OrderId,
        /// The shopping list.
        list_id: ShoppingListId,
        /// The bot.
        bot_id: BotId,
        /// When.
        at: Timestamp,
    },
    /// The order is ready for pickup at the depot.
    OrderReadied {
        /// The order.
        order_id: OrderId,
        /// The amount to charge at pickup.
        total: Money,
        /// When.
        at: Timestamp,
    },
    /// The order was picked up and paid.
    OrderCompleted {
        /// The order.
        order_id: OrderId,
        /// The paid invoice.
        invoice_id: InvoiceId,
        /// When.
        at: Timestamp,
    },
    /// The order was canceled.
    OrderCanceled {
        /// The order.
        order_id: OrderId,
        /// Why.
        reason: String,
        /// On whose behalf.
        by: CancelledBy,
        /// When.
        at: Timestamp,
    },
    /// A kiosk asked to cancel the order.
    OrderCancellationRequested {
        /// The order.
        order_id: OrderId,
        /// The customer's reason (may be empty).
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// Central refused a requested cancellation.
    OrderCancelRefused {
        /// The order.
        order_id: OrderId,
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
}

impl OrderEvent {
    /// The order the event is about.
    pub fn order_id(&self) -> OrderId {
        match self {
            OrderEvent::OrderCreated { order_id, .. }
            | OrderEvent::OrderRejected { order_id, .. }
            | OrderEvent::OrderApproved { order_id, .. }
            | OrderEvent::OrderShoppingStarted { order_id, .. }
            | OrderEvent::OrderReadied { order_id, .. }
            | OrderEvent::OrderCompleted { order_id, .. }
            | OrderEvent::OrderCanceled { order_id, .. }
            | OrderEvent::OrderCancellationRequested { order_id, .. }
            | OrderEvent::OrderCancelRefused { order_id, .. } => *order_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            OrderEvent::OrderCreated { at, .. }
            | OrderEvent::OrderRejected { at, .. }
            | OrderEvent::OrderApproved { at, .. }
            | OrderEvent::OrderShoppingStarted { at, .. }
            | OrderEvent::OrderReadied { at, .. }
            | OrderEvent::OrderCompleted { at, .. }
            | OrderEvent::OrderCanceled { at, .. }
            | OrderEvent::OrderCancellationRequested { at, .. }
            | OrderEvent::OrderCancelRefused { at, .. } => *at,
        }
    }
}

impl DomainEvent for OrderEvent {
    fn event_type(&self) -> &'static str {
        match self {
            OrderEvent::OrderCreated { .. } => "OrderCreated",
            OrderEvent::OrderRejected { .. } => "OrderRejected",
            OrderEvent::OrderApproved { .. } => "OrderApproved",
            OrderEvent::OrderShoppingStarted { .. } => "OrderShoppingStarted",
            OrderEvent::OrderReadied { .. } => "OrderReadied",
            OrderEvent::OrderCompleted { .. } => "OrderCompleted",
            OrderEvent::OrderCanceled { .. } => "OrderCanceled",
            OrderEvent::OrderCancellationRequested { .. } => "OrderCancellationRequested",
            OrderEvent::OrderCancelRefused { .. } => "OrderCancelRefused",
        }
    }
}
