//! The commands the saga sends to the other contexts.

use super::input::{ReplyOutcome, SagaInputKind};
use super::step::{command_id_for, SagaStep};
use crate::depot::ListItem;
use crate::ids::{CommandId, CustomerId, OrderId, PaymentId, SagaId, ShoppingListId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What every saga command carries: its deterministic id and where the reply goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CommandMeta {
    /// UUIDv5(saga, step, attempt, command name): msg-id and idempotency key.
    pub command_id: CommandId,
    /// The saga to reply to (`mallbots.reply.<saga>`); equal to the order id.
    pub saga_id: SagaId,
    /// The step the command belongs to (for a compensation: the step it undoes).
    pub step: SagaStep,
    /// The emission this command belongs to; the reply must name it.
    pub attempt: u32,
    /// When the saga issued it; handlers use it as the `at` of the events they record.
    pub issued_at: Timestamp,
}

impl CommandMeta {
    /// The reply input for this command, to send back to the saga.
    pub fn reply(&self, outcome: ReplyOutcome) -> SagaInputKind {
        SagaInputKind::Reply {
            step: self.step,
            attempt: self.attempt,
            outcome,
        }
    }
}

/// A command of the order saga. Serialized with a `type` tag (`{"type": "VoidPayment", ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SagaCommand {
    /// Ordering: the order is rejected (the saga's last compensation; no reply awaited).
    RejectOrder {
        meta: CommandMeta,
        order_id: OrderId,
        reason: String,
    },
    /// Customers: is this customer allowed to order?
    AuthorizeCustomer {
        meta: CommandMeta,
        customer_id: CustomerId,
    },
    /// Depot: plan the order's shopping list.
    CreateShoppingList {
        meta: CommandMeta,
        list_id: ShoppingListId,
        order_id: OrderId,
        items: Vec<ListItem>,
    },
    /// Depot: withdraw the list (compensates CreateShoppingList).
    CancelShoppingList {
        meta: CommandMeta,
        list_id: ShoppingListId,
        order_id: OrderId,
    },
    /// Payments: authorize the card for the order total.
    AuthorizePayment {
        meta: CommandMeta,
        payment_id: PaymentId,
        order_id: OrderId,
        amount: Money,
        card_token: String,
    },
    /// Payments: release the authorization (compensates AuthorizePayment).
    VoidPayment {
        meta: CommandMeta,
        payment_id: PaymentId,
        order_id: OrderId,
    },
    /// Depot: offer the list to dispatch.
    InitiateShopping {
        meta: CommandMeta,
        list_id: ShoppingListId,
    },
    /// Ordering: approve the order.
    ApproveOrder {
        meta: CommandMeta,
        order_id: OrderId,
        list_id: ShoppingListId,
    },
}

impl SagaCommand {
    /// The common metadata.
    pub fn meta(&self) -> &CommandMeta {
        match self {
            SagaCommand::RejectOrder { meta, .. }
            | SagaCommand::AuthorizeCustomer { meta, .. }
            | SagaCommand::CreateShoppingList { meta, .. }
            | SagaCommand::CancelShoppingList { meta, .. }
            | SagaCommand::AuthorizePayment { meta, .. }
            | SagaCommand::VoidPayment { meta, .. }
            | SagaCommand::InitiateShopping { meta, .. }
            | SagaCommand::ApproveOrder { meta, .. } => meta,
        }
    }

    fn meta_mut(&mut self) -> &mut CommandMeta {
        match self {
            SagaCommand::RejectOrder { meta, .. }
            | SagaCommand::AuthorizeCustomer { meta, .. }
            | SagaCommand::CreateShoppingList { meta, .. }
            | SagaCommand::CancelShoppingList { meta, .. }
            | SagaCommand::AuthorizePayment { meta, .. }
            | SagaCommand::VoidPayment { meta, .. }
            | SagaCommand::InitiateShopping { meta, .. }
            | SagaCommand::ApproveOrder { meta, .. } => meta,
        }
    }

    /// The deterministic id (msg-id, idempotency key).
    pub fn command_id(&self) -> CommandId {
        self.meta().command_id
    }

    /// The command's name in snake case, the last token of `mallbots.cmd.<context>.<command>`.
    pub fn name(&self) -> &'static str {
        match self {
            SagaCommand::RejectOrder { .. } => "reject_order",
            SagaCommand::AuthorizeCustomer { .. } => "authorize_customer",
            SagaCommand::CreateShoppingList { .. } => "create_shopping_list",
            SagaCommand::CancelShoppingList { .. } => "cancel_shopping_list",
            SagaCommand::AuthorizePayment { .. } => "authorize_payment",
            SagaCommand::VoidPayment { .. } => "void_payment",
            SagaCommand::InitiateShopping { .. } => "initiate_shopping",
            SagaCommand::ApproveOrder { .. } => "approve_order",
        }
    }

    /// The context that handles it: `ordering`, `customers`, `depot` or `payments`.
    pub fn context(&self) -> &'static str {
        match self {
            SagaCommand::RejectOrder { .. } | SagaCommand::ApproveOrder { .. } => "ordering",
            SagaCommand::AuthorizeCustomer { .. } => "customers",
            SagaCommand::CreateShoppingList { .. }
            | SagaCommand::CancelShoppingList { .. }
            | SagaCommand::InitiateShopping { .. } => "depot",
            SagaCommand::AuthorizePayment { .. } | SagaCommand::VoidPayment { .. } => "payments",
        }
    }

    /// Whether this command undoes a step (RejectOrder, CancelShoppingList, VoidPayment).
    pub fn is_compensation(&self) -> bool {
        matches!(
            self,
            SagaCommand::RejectOrder { .. }
                | SagaCommand::CancelShoppingList { .. }
                | SagaCommand::VoidPayment { .. }
        )
    }

    /// Fills in the metadata (and so the deterministic id) of a command built with a blank one.
    pub(crate) fn stamped(
        mut self,
        saga: SagaId,
        step: SagaStep,
        attempt: u32,
        at: Timestamp,
    ) -> Self {
        let command_id = command_id_for(saga, step, attempt, self.name());
        *self.meta_mut() = CommandMeta {
            command_id,
            saga_id: saga,
            step,
            attempt,
            issued_at: at,
        };
        self
    }
}

/// A placeholder metadata, replaced by [`SagaCommand::stamped`].
pub(crate) fn blank_meta() -> CommandMeta {
    CommandMeta {
        command_id: CommandId::nil(),
        saga_id: SagaId::nil(),
        step: SagaStep::ValidateOrder,
        attempt: 0,
        issued_at: Timestamp::default(),
    }
}
