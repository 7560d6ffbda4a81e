//! The ordering context: an order placed from a checked-out basket (same id), driven by the order
//! saga and dispatch through pending → approved → in_progress → ready → completed, or ending
//! rejected or canceled.
//!
//! A kiosk cannot cancel by itself: it records `OrderCancellationRequested` (offline too) and
//! central answers with `OrderCanceled` or `OrderCancelRefused`. Nothing is canceled once shopping
//! has finished (ready or completed).

mod commands;
mod decide;
mod errors;
mod events;
mod lines;

pub use commands::OrderCommand;
pub use errors::OrderError;
pub use events::{CancelledBy, OrderEvent, OrderItem};
pub use lines::{money_states, phone_last4, OrderLineEvent};

/// Longest reason (characters) a cancel request, cancel, rejection or refusal may carry.
pub const MAX_REASON_CHARS: usize = 500;

use crate::aggregate::Aggregate;
use crate::ids::{BotId, CustomerId, InvoiceId, OrderId, ShoppingListId, StoreId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Digits of a pickup code.
pub const PICKUP_CODE_DIGITS: usize = 6;

/// Whether `code` is a pickup code: exactly [`PICKUP_CODE_DIGITS`] ASCII digits.
pub fn is_pickup_code(code: &str) -> bool {
    code.len() == PICKUP_CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// A pickup code from a random number (the kiosk draws it; the domain makes no randomness):
/// its last [`PICKUP_CODE_DIGITS`] decimal digits, leading zeros kept.
pub fn pickup_code_from(random: u128) -> String {
    format!("{:06}", random % 1_000_000)
}

/// A code as a person typed it (spaces, dashes), reduced to its digits.
pub fn normalized_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed; the saga is checking it.
    #[default]
    Pending,
    /// Accepted; waiting for a bot.
    Approved,
    /// A bot is shopping it.
    InProgress,
    /// Waiting at the depot for pickup.
    Ready,
    /// Picked up and paid.
    Completed,
    /// Refused by the saga.
    Rejected,
    /// Canceled.
    Canceled,
}

impl OrderStatus {
    /// The snake-case name, as serialized.
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Approved => "approved",
            OrderStatus::InProgress => "in_progress",
            OrderStatus::Ready => "ready",
            OrderStatus::Completed => "completed",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Canceled => "canceled",
        }
    }
    /// Whether shopping has finished (ready or completed): no cancel any more.
    pub fn shopping_finished(&self) -> bool {
        matches!(self, OrderStatus::Ready | OrderStatus::Completed)
    }
    /// Whether the order reached an end (completed, rejected or canceled).
    pub fn is_closed(&self) -> bool {
        matches!(
            self,
            OrderStatus::Completed | OrderStatus::Rejected | OrderStatus::Canceled
        )
    }
}

/// The order aggregate, folded from [`OrderEvent`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Order {
    id: OrderId,
    created: bool,
    status: OrderStatus,
    customer_id: CustomerId,
    device_id: Option<String>,
    items: Vec<OrderItem>,
    total: Money,
    payment_token: String,
    pickup_code: Option<String>,
    shopping_list_id: Option<ShoppingListId>,
    bot_id: Option<BotId>,
    ready_total: Option<Money>,
    invoice_id: Option<InvoiceId>,
    cancellation_requested: bool,
    cancellation_request_reason: Option<String>,
    rejection_reason: Option<String>,
    cancel_reason: Option<String>,
    canceled_by: Option<CancelledBy>,
    refusal_reason: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl Order {
    /// The order's id (= basket id; nil before creation).
    pub fn id(&self) -> OrderId {
        self.id
    }
    /// Whether `OrderCreated` has been applied.
    pub fn exists(&self) -> bool {
        self.created
    }
    /// Where the order is in its life.
    pub fn status(&self) -> OrderStatus {
        self.status
    }
    /// The code its hand-over asks for (`None`: placed before codes existed, none asked).
    pub fn pickup_code(&self) -> Option<&str> {
        self.pickup_code.as_deref()
    }
    /// Who ordered.
    pub fn customer_id(&self) -> CustomerId {
        self.customer_id
    }
    /// The kiosk it was placed at.
    pub fn device_id(&self) -> Option<&str> {
        self.device_id.as_deref()
    }
    /// The lines.
    pub fn items(&self) -> &[OrderItem] {
        &self.items
    }
    /// The distinct stores of the lines, sorted.
    pub fn store_ids(&self) -> Vec<StoreId> {
        let mut stores: Vec<StoreId> = self.items.iter().map(|item| item.store_id).collect();
        stores.sort();
        stores.dedup();
        stores
    }
    /// Σ price × quantity at checkout.
    pub fn total(&self) -> Money {
        self.total
    }
    /// The card token to authorize.
    pub fn payment_token(&self) -> &str {
        &self.payment_token
    }
    /// The depot shopping list, once shopping started.
    pub fn shopping_list_id(&self) -> Option<ShoppingListId> {
        self.shopping_list_id
    }
    /// The bot that shopped it, once shopping started.
    pub fn bot_id(&self) -> Option<BotId> {
        self.bot_id
    }
    /// The amount to charge at pickup, once ready.
    pub fn ready_total(&self) -> Option<Money> {
        self.ready_total
    }
    /// The paid invoice, once completed.
    pub fn invoice_id(&self) -> Option<InvoiceId> {
        self.invoice_id
    }
    /// Whether a kiosk's cancellation request awaits central's answer.
    pub fn cancellation_requested(&self) -> bool {
        self.cancellation_requested
    }
    /// The reason given with the last cancellation request.
    pub fn cancellation_request_reason(&self) -> Option<&str> {
        self.cancellation_request_reason.as_deref()
    }
    /// Why the saga rejected it.
    pub fn rejection_reason(&self) -> Option<&str> {
        self.rejection_reason.as_deref()
    }
    /// Why it was canceled.
    pub fn cancel_reason(&self) -> Option<&str> {
        self.cancel_reason.as_deref()
    }
    /// On whose behalf it was canceled.
    pub fn canceled_by(&self) -> Option<CancelledBy> {
        self.canceled_by
    }
    /// Why the last cancellation request was refused.
    pub fn refusal_reason(&self) -> Option<&str> {
        self.refusal_reason.as_deref()
    }
    /// When it was placed.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
    /// Time of the last applied event.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

impl Aggregate for Order {
    const STREAM_TYPE: &'static str = "order";
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;

    fn decide(&self, command: &OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        decide::decide(self, command).map(|event| vec![event])
    }

    fn apply(&mut self, event: &OrderEvent) {
        self.updated_at = event.at();
        match event {
            OrderEvent::OrderCreated {
                order_id,
                customer_id,
                device_id,
                items,
                total,
                payment_token,
                pickup_code,
                at,
            } => {
                *self = Order {
                    id: *order_id,
                    created: true,
                    status: OrderStatus::Pending,
                    customer_id: *customer_id,
                    device_id: device_id.clone(),
                    items: items.clone(),
                    total: *total,
                    payment_token: payment_token.clone(),
                    pickup_code: pickup_code.clone(),
                    created_at: *at,
                    updated_at: *at,
                    ..Order::default()
                };
            }
            OrderEvent::OrderRejected { reason, .. } => {
                self.status = OrderStatus::Rejected;
                self.rejection_reason = Some(reason.clone());
                self.cancellation_requested = false;
            }
            OrderEvent::OrderApproved { .. } => self.status = OrderStatus::Approved,
            OrderEvent::OrderShoppingStarted {
                list_id, bot_id, ..
            } => {
                self.status = OrderStatus::InProgress;
                self.shopping_list_id = Some(*list_id);
                self.bot_id = Some(*bot_id);
            }
            OrderEvent::OrderReadied { total, .. } => {
                self.status = OrderStatus::Ready;
                self.ready_total = Some(*total);
            }
            OrderEvent::OrderCompleted { invoice_id, .. } => {
                self.status = OrderStatus::Completed;
                self.invoice_id = Some(*invoice_id);
            }
            OrderEvent::OrderCanceled { reason, by, .. } => {
                self.status = OrderStatus::Canceled;
                self.cancel_reason = Some(reason.clone());
                self.canceled_by = Some(*by);
                self.cancellation_requested = false;
            }
            OrderEvent::OrderCancellationRequested { reason, .. } => {
                self.cancellation_requested = true;
                self.cancellation_request_reason = Some(reason.clone());
            }
            OrderEvent::OrderCancelRefused { reason, .. } => {
                self.cancellation_requested = false;
                self.refusal_reason = Some(reason.clone());
            }
        }
    }
}
