//! The baskets context: a kiosk customer's cart.
//!
//! A basket is started, edited (items keyed by product, quantities > 0, only participating stores'
//! available products) and ends either checked out (≥ 1 item and a payment) or canceled by the
//! customer or for being idle too long. Its total is re-computed after every edit.

mod commands;
mod decide;
mod errors;
mod events;

pub use commands::{BasketCommand, ProductFacts};
pub use decide::MAX_PAYMENT_CHARS;
pub use errors::BasketError;
pub use events::{BasketCancelReason, BasketEvent, BasketItem};

use crate::aggregate::Aggregate;
use crate::ids::{BasketId, CustomerId, ProductId};
use crate::money::{Currency, Money};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a basket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasketStatus {
    /// No `BasketStarted` yet.
    #[default]
    NotStarted,
    /// Being filled.
    Open,
    /// Became an order.
    CheckedOut,
    /// Canceled by the customer or abandoned.
    Canceled,
}

/// The basket aggregate, folded from [`BasketEvent`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Basket {
    id: BasketId,
    status: BasketStatus,
    customer_id: Option<CustomerId>,
    device_id: Option<String>,
    items: Vec<BasketItem>,
    currency: Currency,
    total: Money,
    payment: Option<String>,
    cancel_reason: Option<BasketCancelReason>,
    started_at: Timestamp,
    last_activity: Timestamp,
}

/// Σ price × quantity of `items`, in `currency` when empty; `None` on overflow or mixed currencies.
pub(crate) fn sum_items(items: &[BasketItem], currency: Currency) -> Option<Money> {
    items.iter().try_fold(Money::zero(currency), |sum, item| {
        item.price
            .checked_mul(item.quantity)
            .and_then(|line| sum.checked_add(line))
    })
}

impl Basket {
    /// The basket's id (nil before it is started).
    pub fn id(&self) -> BasketId {
        self.id
    }
    /// Where the basket is in its life.
    pub fn status(&self) -> BasketStatus {
        self.status
    }
    /// Whether items may still be added or removed.
    pub fn is_open(&self) -> bool {
        self.status == BasketStatus::Open
    }
    /// The customer, if identified.
    pub fn customer_id(&self) -> Option<CustomerId> {
        self.customer_id
    }
    /// The kiosk the basket was started at.
    pub fn device_id(&self) -> Option<&str> {
        self.device_id.as_deref()
    }
    /// The lines, in the order products were first added.
    pub fn items(&self) -> &[BasketItem] {
        &self.items
    }
    /// The line for a product, if it is in the cart.
    pub fn item(&self, product_id: ProductId) -> Option<&BasketItem> {
        self.items.iter().find(|item| item.product_id == product_id)
    }
    /// The quantity of a product in the cart (0 if absent).
    pub fn quantity_of(&self, product_id: ProductId) -> i64 {
        self.item(product_id).map_or(0, |item| item.quantity)
    }
    /// The number of units in the cart.
    pub fn item_count(&self) -> i64 {
        self.items.iter().map(|item| item.quantity).sum()
    }
    /// Σ price × quantity, re-computed after every edit.
    pub fn total(&self) -> Money {
        self.total
    }
    /// The payment token given at checkout.
    pub fn payment(&self) -> Option<&str> {
        self.payment.as_deref()
    }
    /// Why the basket was canceled, if it was.
    pub fn cancel_reason(&self) -> Option<BasketCancelReason> {
        self.cancel_reason
    }
    /// When the basket was started.
    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }
    /// Time of the last event (start, edit, checkout or cancel).
    pub fn last_activity(&self) -> Timestamp {
        self.last_activity
    }

    fn recompute_total(&mut self) {
        self.total = sum_items(&self.items, self.currency).unwrap_or_else(|| {
            let cents = self.items.iter().fold(0i64, |sum, item| {
                sum.saturating_add(item.line_total().cents)
            });
            Money::new(cents, self.currency)
        });
    }
}

impl Aggregate for Basket {
    const STREAM_TYPE: &'static str = "basket";
    type Command = BasketCommand;
    type Event = BasketEvent;
    type Error = BasketError;

    fn decide(&self, command: &BasketCommand) -> Result<Vec<BasketEvent>, BasketError> {
        decide::decide(self, command).map(|event| vec![event])
    }

    fn apply(&mut self, event: &BasketEvent) {
        self.last_activity = event.at();
        match event {
            BasketEvent::BasketStarted {
                basket_id,
                customer_id,
                device_id,
                at,
            } => {
                *self = Basket {
                    id: *basket_id,
                    status: BasketStatus::Open,
                    customer_id: *customer_id,
                    device_id: device_id.clone(),
                    started_at: *at,
                    last_activity: *at,
                    ..Basket::default()
                };
            }
            BasketEvent::BasketItemAdded {
                product_id,
                store_id,
                store_name,
                product_name,
                price,
                quantity,
                ..
            } => {
                let line = BasketItem {
                    product_id: *product_id,
                    store_id: *store_id,
                    store_name: store_name.clone(),
                    product_name: product_name.clone(),
                    price: *price,
                    quantity: *quantity,
                };
                match self
                    .items
                    .iter_mut()
                    .find(|item| item.product_id == *product_id)
                {
                    Some(item) => {
                        item.quantity = item.quantity.saturating_add(*quantity);
                        *item = BasketItem {
                            quantity: item.quantity,
                            ..line
                        };
                    }
                    None => self.items.push(line),
                }
                self.currency = price.currency;
                self.recompute_total();
            }
            BasketEvent::BasketItemRemoved {
                product_id,
                quantity,
                ..
            } => {
                if let Some(item) = self
                    .items
                    .iter_mut()
                    .find(|item| item.product_id == *product_id)
                {
                    item.quantity -= quantity;
                }
                self.items.retain(|item| item.quantity > 0);
                self.recompute_total();
            }
            BasketEvent::BasketCanceled { reason, .. } => {
                self.status = BasketStatus::Canceled;
                self.cancel_reason = Some(*reason);
            }
            BasketEvent::BasketCheckedOut {
                customer_id,
                payment,
                ..
            } => {
                self.status = BasketStatus::CheckedOut;
                self.customer_id = Some(*customer_id);
                self.payment = Some(payment.clone());
            }
        }
    }
}
