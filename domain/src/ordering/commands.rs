//! Commands on an order: creation by the kiosk at checkout, the saga's and dispatch's status
//! changes, pickup, and the two kinds of cancel (a kiosk's request, central's decision).

use super::{CancelledBy, OrderItem};
use crate::baskets::BasketEvent;
use crate::ids::{BotId, CustomerId, InvoiceId, OrderId, ShoppingListId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A command on the [`Order`](super::Order) aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum OrderCommand {
    /// Places an order from a checked-out basket (see [`OrderCommand::from_checkout`]).
    CreateOrder {
        /// Equal to the basket id (`OrderId::from(basket_id)`).
        order_id: OrderId,
        /// Who ordered.
        customer_id: CustomerId,
        /// The kiosk it was placed at.
        device_id: Option<String>,
        /// The lines.
        items: Vec<OrderItem>,
        /// Σ price × quantity of `items`.
        total: Money,
        /// The card token to authorize.
        payment_token: String,
        /// The code for the hand-over ([`super::is_pickup_code`]), if the kiosk made one.
        pickup_code: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// The saga rejects a pending order.
    RejectOrder {
        /// Why, e.g. `product_unavailable`.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// The saga approves a pending order.
    ApproveOrder {
        /// When.
        at: Timestamp,
    },
    /// A bot took the order's shopping list.
    StartShopping {
        /// The depot's shopping list.
        list_id: ShoppingListId,
        /// The bot shopping it.
        bot_id: BotId,
        /// When.
        at: Timestamp,
    },
    /// Shopping finished: the order waits at the depot.
    ReadyOrder {
        /// The amount to charge at pickup.
        total: Money,
        /// When.
        at: Timestamp,
    },
    /// Picked up and paid.
    CompleteOrder {
        /// The paid invoice.
        invoice_id: InvoiceId,
        /// When.
        at: Timestamp,
    },
    /// A kiosk asks central to cancel (works offline; answered later).
    RequestCancellation {
        /// The customer's reason; may be empty.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// Central (or an administrator) cancels the order.
    CancelOrder {
        /// Why.
        reason: String,
        /// On whose behalf.
        by: CancelledBy,
        /// When.
        at: Timestamp,
    },
    /// Central refuses a requested cancellation.
    RefuseCancellation {
        /// Why, e.g. shopping has finished.
        reason: String,
        /// When.
        at: Timestamp,
    },
}

impl OrderCommand {
    /// The `CreateOrder` for a `BasketCheckedOut` event (order id = basket id), with the
    /// kiosk's pickup code; `None` for any other basket event.
    pub fn from_checkout(
        event: &BasketEvent,
        device_id: Option<String>,
        pickup_code: Option<String>,
    ) -> Option<OrderCommand> {
        match event {
            BasketEvent::BasketCheckedOut {
                basket_id,
                customer_id,
                payment,
                items,
                total,
                at,
            } => Some(OrderCommand::CreateOrder {
                order_id: OrderId::from(*basket_id),
                customer_id: *customer_id,
                device_id,
                items: items.iter().map(OrderItem::from).collect(),
                total: *total,
                payment_token: payment.clone(),
                pickup_code,
                at: *at,
            }),
            _ => None,
        }
    }
}
