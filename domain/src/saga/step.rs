//! The saga's steps and the deterministic ids derived from a saga id.

use crate::ids::{CommandId, PaymentId, SagaId, ShoppingListId};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// One row of the saga table. Serialized in snake case (`create_shopping_list`), usable in subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaStep {
    /// 0: the catalog pre-check; compensated by RejectOrder.
    ValidateOrder,
    /// 1: the customer exists and is enabled.
    AuthorizeCustomer,
    /// 2: the depot plans the shopping list; compensated by CancelShoppingList.
    CreateShoppingList,
    /// 3: the card is authorized for the total; compensated by VoidPayment.
    AuthorizePayment,
    /// 4: the list becomes available to dispatch.
    InitiateShopping,
    /// 5: the order is approved.
    ApproveOrder,
}

impl SagaStep {
    /// Every step in table order.
    pub const ALL: [SagaStep; 6] = [
        SagaStep::ValidateOrder,
        SagaStep::AuthorizeCustomer,
        SagaStep::CreateShoppingList,
        SagaStep::AuthorizePayment,
        SagaStep::InitiateShopping,
        SagaStep::ApproveOrder,
    ];

    /// The row number in the saga table (0..=5).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake-case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            SagaStep::ValidateOrder => "validate_order",
            SagaStep::AuthorizeCustomer => "authorize_customer",
            SagaStep::CreateShoppingList => "create_shopping_list",
            SagaStep::AuthorizePayment => "authorize_payment",
            SagaStep::InitiateShopping => "initiate_shopping",
            SagaStep::ApproveOrder => "approve_order",
        }
    }

    /// The following step, `None` after ApproveOrder.
    pub fn next(self) -> Option<SagaStep> {
        SagaStep::ALL.get(self.index() + 1).copied()
    }

    /// Whether the table lists a compensation for this step.
    pub fn has_compensation(self) -> bool {
        matches!(
            self,
            SagaStep::ValidateOrder | SagaStep::CreateShoppingList | SagaStep::AuthorizePayment
        )
    }

    /// The RejectOrder reason when this step's handler answers with a failure.
    pub fn failure_reason(self) -> &'static str {
        match self {
            SagaStep::ValidateOrder => "product_unavailable",
            SagaStep::AuthorizeCustomer => "customer_not_authorized",
            SagaStep::CreateShoppingList => "shopping_list_failed",
            SagaStep::AuthorizePayment => "payment_declined",
            SagaStep::InitiateShopping => "shopping_not_initiated",
            SagaStep::ApproveOrder => "approval_failed",
        }
    }
}

impl fmt::Display for SagaStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const COMMAND_NAMESPACE: Uuid = Uuid::from_u128(0x6d61_6c6c_626f_7473_7361_6761_636d_6473);
const LIST_NAMESPACE: Uuid = Uuid::from_u128(0x6d61_6c6c_626f_7473_7361_6761_6c69_7374);
const PAYMENT_NAMESPACE: Uuid = Uuid::from_u128(0x6d61_6c6c_626f_7473_7361_6761_7061_7900);

/// The shopping list of a saga: UUIDv5(list namespace, saga id).
pub fn list_id_for(saga: SagaId) -> ShoppingListId {
    ShoppingListId(Uuid::new_v5(&LIST_NAMESPACE, saga.0.as_bytes()))
}

/// The payment of a saga: UUIDv5(payment namespace, saga id).
pub fn payment_id_for(saga: SagaId) -> PaymentId {
    PaymentId(Uuid::new_v5(&PAYMENT_NAMESPACE, saga.0.as_bytes()))
}

/// A saga command's id: UUIDv5 of `saga/step/attempt/command`. Also the NATS msg-id and the
/// handlers' (and payment gateway's) idempotency key.
pub fn command_id_for(saga: SagaId, step: SagaStep, attempt: u32, command: &str) -> CommandId {
    let name = format!("{}/{}/{}/{}", saga.0, step.as_str(), attempt, command);
    CommandId(Uuid::new_v5(&COMMAND_NAMESPACE, name.as_bytes()))
}
