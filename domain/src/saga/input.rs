//! What goes into a saga transition and what comes out.

use super::command::SagaCommand;
use super::state::{SagaItem, SagaState};
use super::step::SagaStep;
use crate::error::ErrorCode;
use crate::ids::{CustomerId, OrderId, PaymentId, ProductId, ShoppingListId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One message for a saga. `input_id` identifies it for "already seen" (the event id of an
/// OrderCreated, the message id of a reply, [`TimerRequest::input_id`] of a timer); `at` is the
/// saga's `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaInput {
    pub input_id: String,
    pub at: Timestamp,
    pub kind: SagaInputKind,
}

/// What the input says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SagaInputKind {
    /// A kiosk placed an order. Central has checked the catalog: `unavailable_products` lists the
    /// products removed or of stores no longer participating (non-empty → rejected).
    OrderCreated {
        order_id: OrderId,
        customer_id: CustomerId,
        items: Vec<SagaItem>,
        total: Money,
        payment_token: String,
        unavailable_products: Vec<ProductId>,
    },
    /// A handler's answer to the command of `step` / `attempt` (see [`super::CommandMeta::reply`]).
    Reply {
        step: SagaStep,
        attempt: u32,
        outcome: ReplyOutcome,
    },
    /// The timer of `step` / `attempt` fired.
    TimerFired { step: SagaStep, attempt: u32 },
}

/// A handler's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReplyOutcome {
    /// Done; CreateShoppingList's reply carries the list id, AuthorizePayment's the payment id.
    Success {
        #[serde(default)]
        list_id: Option<ShoppingListId>,
        #[serde(default)]
        payment_id: Option<PaymentId>,
    },
    /// Refused; `reason` is the handler's error code (kept as the saga's failure detail).
    Failure { reason: String },
}

impl ReplyOutcome {
    /// A success carrying no id.
    pub fn success() -> Self {
        ReplyOutcome::Success {
            list_id: None,
            payment_id: None,
        }
    }

    /// A failure with a reason.
    pub fn failure(reason: impl Into<String>) -> Self {
        ReplyOutcome::Failure {
            reason: reason.into(),
        }
    }
}

/// How long each step may take before it counts as failed, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTimeouts {
    pub authorize_customer_ms: i64,
    pub create_shopping_list_ms: i64,
    pub authorize_payment_ms: i64,
    pub initiate_shopping_ms: i64,
    pub approve_order_ms: i64,
    /// The wait for each compensation's reply before it is sent again.
    pub compensation_ms: i64,
    /// How often one compensation is sent before the saga moves on without its reply.
    pub max_compensation_attempts: u32,
    /// How often ApproveOrder (the pivot) is sent, each unanswered emission waiting one step
    /// timeout longer than the one before, before the saga completes with the approval
    /// unconfirmed. A pivot is never compensated on a timeout (see the `pivot` module).
    #[serde(default = "default_approve_attempts")]
    pub max_approve_attempts: u32,
}

fn default_approve_attempts() -> u32 {
    3
}

impl StepTimeouts {
    /// The same timeout for every step and compensation, three compensation attempts, three
    /// ApproveOrder attempts.
    pub const fn uniform(ms: i64) -> Self {
        StepTimeouts {
            authorize_customer_ms: ms,
            create_shopping_list_ms: ms,
            authorize_payment_ms: ms,
            initiate_shopping_ms: ms,
            approve_order_ms: ms,
            compensation_ms: ms,
            max_compensation_attempts: 3,
            max_approve_attempts: 3,
        }
    }

    /// The timeout of a forward step (ValidateOrder has none and gets the compensation timeout).
    pub fn for_step(&self, step: SagaStep) -> i64 {
        match step {
            SagaStep::ValidateOrder => self.compensation_ms,
            SagaStep::AuthorizeCustomer => self.authorize_customer_ms,
            SagaStep::CreateShoppingList => self.create_shopping_list_ms,
            SagaStep::AuthorizePayment => self.authorize_payment_ms,
            SagaStep::InitiateShopping => self.initiate_shopping_ms,
            SagaStep::ApproveOrder => self.approve_order_ms,
        }
    }
}

impl Default for StepTimeouts {
    /// Ten seconds everywhere.
    fn default() -> Self {
        StepTimeouts::uniform(10_000)
    }
}

/// A timer to schedule (`mallbots.timer.<saga>`): at `fire_at` send back
/// [`TimerRequest::fired`] with [`TimerRequest::input_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimerRequest {
    pub step: SagaStep,
    pub attempt: u32,
    pub fire_at: Timestamp,
}

impl TimerRequest {
    /// The input this timer delivers when it fires.
    pub fn fired(&self) -> SagaInputKind {
        SagaInputKind::TimerFired {
            step: self.step,
            attempt: self.attempt,
        }
    }

    /// A stable input id for the firing, `timer/<step>/<attempt>`, so a repeated firing is a
    /// duplicate.
    pub fn input_id(&self) -> String {
        format!("timer/{}/{}", self.step, self.attempt)
    }
}

/// The result of one transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SagaTransition {
    /// The state to store (compare-and-set on the KV revision).
    pub state: SagaState,
    /// The commands to publish, in order, with their command ids as msg-ids.
    pub commands: Vec<SagaCommand>,
    /// The timer to schedule, if a new step (or compensation) started.
    pub timer: Option<TimerRequest>,
    /// The saga is over (approved or rejected); no further input is expected.
    pub finished: bool,
    /// The input was already seen: nothing changed, the commands are re-published.
    pub duplicate: bool,
}

/// Inputs the saga cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SagaError {
    /// A reply or timer for a saga with no stored state (never started, or already deleted).
    #[error("no such saga")]
    UnknownSaga,
}

impl ErrorCode for SagaError {
    fn code(&self) -> &'static str {
        match self {
            SagaError::UnknownSaga => "saga.unknown",
        }
    }
}
