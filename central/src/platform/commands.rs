//! Central's own (non-saga) command payloads on `<root>.cmd.<context>.<name>`, as listed in
//! docs/central-messages.md. Each carries a `command_id` (msg-id and idempotency key) and `at`
//! (ms; the time the handler records). Saga commands are `domain::saga::SagaCommand`.

use mallbots_domain::{BotId, InvoiceId, Money, OrderId, PaymentId, ShoppingListId, Timestamp};
use serde::{Deserialize, Serialize};

/// `cmd.ordering.start_shopping`: a bot took the order's list (from depot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartShopping {
    pub command_id: String,
    pub order_id: OrderId,
    pub list_id: ShoppingListId,
    pub bot_id: BotId,
    pub at: Timestamp,
}

/// `cmd.ordering.ready_order`: the list completed (from depot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyOrder {
    pub command_id: String,
    pub order_id: OrderId,
    pub list_id: ShoppingListId,
    pub at: Timestamp,
}

/// `cmd.ordering.cancel_order`: an administrator cancels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrder {
    pub command_id: String,
    pub order_id: OrderId,
    pub reason: String,
    pub at: Timestamp,
}

/// `cmd.ordering.complete_order`: the customer picks the order up (manager edge or CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteOrder {
    pub command_id: String,
    pub order_id: OrderId,
    pub at: Timestamp,
}

/// `cmd.ordering.record_pickup`: payments captured the payment and paid the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPickup {
    pub command_id: String,
    pub order_id: OrderId,
    pub invoice_id: InvoiceId,
    pub at: Timestamp,
}

/// `cmd.payments.create_invoice`: the order is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInvoice {
    pub command_id: String,
    pub order_id: OrderId,
    pub invoice_id: InvoiceId,
    pub amount: Money,
    pub at: Timestamp,
}

/// `cmd.payments.capture`: pickup: capture the payment, pay the invoice, then
/// `cmd.ordering.record_pickup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    pub command_id: String,
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    pub invoice_id: InvoiceId,
    pub at: Timestamp,
}

/// `cmd.payments.void_payment` outside the saga (order canceled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidPayment {
    pub command_id: String,
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    pub at: Timestamp,
}

/// `cmd.depot.cancel_list`: the order was canceled; withdraw its list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelList {
    pub command_id: String,
    pub order_id: OrderId,
    pub list_id: ShoppingListId,
    pub at: Timestamp,
}

/// The invoice of an order: UUIDv5 of the order id (one invoice per order).
pub fn invoice_id_for(order: OrderId) -> InvoiceId {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6d61_6c6c_626f_7473_696e_766f_6963_6573);
    InvoiceId(uuid::Uuid::new_v5(&NS, order.0.as_bytes()))
}
