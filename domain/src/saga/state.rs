//! The saga's stored state (a JSON value in the `sagas` KV bucket, key = saga id).

use super::command::SagaCommand;
use super::input::TimerRequest;
use super::step::SagaStep;
use crate::depot::ListItem;
use crate::ids::{CustomerId, OrderId, PaymentId, ProductId, SagaId, ShoppingListId, StoreId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How many input ids a saga remembers for "already seen" (oldest dropped first). A saga sees
/// about a dozen inputs in its life, so this is every one of them in practice.
pub const SEEN_INPUTS_KEPT: usize = 64;

/// One order line as the saga needs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SagaItem {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub product_name: String,
    pub quantity: u32,
    /// The unit price the kiosk showed (honoured).
    pub price: Money,
}

impl SagaItem {
    /// The line as a shopping-list item.
    pub fn to_list_item(&self) -> ListItem {
        ListItem {
            store_id: self.store_id,
            product_id: self.product_id,
            product_name: self.product_name.clone(),
            quantity: self.quantity,
        }
    }
}

/// The order the saga is processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaOrder {
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub items: Vec<SagaItem>,
    pub total: Money,
    /// The card token; cleared once the payment is authorized or the saga ends.
    pub payment_token: String,
}

/// Where the saga is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaPhase {
    /// Going forward through the steps.
    Running,
    /// Undoing the steps that took effect.
    Compensating,
    /// ApproveOrder succeeded.
    Completed,
    /// RejectOrder was sent.
    Rejected,
}

/// Whether a record is a step's action or its compensation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordDirection {
    Forward,
    Compensation,
}

/// What became of one emission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Waiting for its reply or timer.
    Pending,
    Succeeded,
    Failed,
    TimedOut,
    /// Sent without awaiting a reply (RejectOrder, a late compensation).
    Sent,
    /// A forward step that timed out, then succeeded late and was compensated again.
    LateCompensated,
    /// An ApproveOrder emission left unanswered when another emission of it answered: the
    /// answer it may still get changes nothing.
    Superseded,
}

/// One emission of the saga: a step, the attempt number it was sent under, what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: SagaStep,
    pub attempt: u32,
    pub direction: RecordDirection,
    pub status: RecordStatus,
    pub at: Timestamp,
}

/// Everything the saga remembers between inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaState {
    /// Equal to the order id.
    pub saga_id: SagaId,
    pub order: SagaOrder,
    /// The current step (while compensating: the step being undone).
    pub step: SagaStep,
    pub phase: SagaPhase,
    /// The attempt number of the current step's commands.
    pub attempt: u32,
    /// The highest attempt number used so far.
    pub last_attempt: u32,
    pub list_id: Option<ShoppingListId>,
    pub payment_id: Option<PaymentId>,
    /// The RejectOrder reason once the saga fails.
    pub reason: Option<String>,
    /// The failing handler's own reason, for operators.
    pub failure_detail: Option<String>,
    /// Compensations still to run, in order (the last is always ValidateOrder → RejectOrder).
    pub compensations: Vec<SagaStep>,
    /// Every emission so far, in order.
    pub records: Vec<StepRecord>,
    /// Input ids already processed (at most [`SEEN_INPUTS_KEPT`]).
    pub seen_inputs: Vec<String>,
    /// The current step's commands, re-published when an input is seen again.
    pub commands: Vec<SagaCommand>,
    /// Late compensations sent (re-published with the current commands).
    pub late_commands: Vec<SagaCommand>,
    /// The current step's timer.
    pub timer: Option<TimerRequest>,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
}

impl SagaState {
    /// Whether the saga is over (completed or rejected).
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, SagaPhase::Completed | SagaPhase::Rejected)
    }

    /// Whether the saga completed without any ApproveOrder emission answering success (every
    /// one timed out: the order is presumed approved, see the `pivot` module).
    pub fn approval_unconfirmed(&self) -> bool {
        self.phase == SagaPhase::Completed
            && !self.records.iter().any(|r| {
                r.step == SagaStep::ApproveOrder
                    && r.direction == RecordDirection::Forward
                    && r.status == RecordStatus::Succeeded
            })
    }

    /// Whether this input id was processed already.
    pub fn has_seen(&self, input_id: &str) -> bool {
        self.seen_inputs.iter().any(|seen| seen == input_id)
    }

    /// The commands to publish again for a duplicate: the current ones, then late compensations.
    pub fn outstanding_commands(&self) -> Vec<SagaCommand> {
        self.commands
            .iter()
            .chain(self.late_commands.iter())
            .cloned()
            .collect()
    }

    /// The emission waiting for a reply or timer, if any.
    pub fn pending(&self) -> Option<&StepRecord> {
        self.records
            .iter()
            .rev()
            .find(|r| r.status == RecordStatus::Pending)
    }

    /// The record of an emission by step and attempt.
    pub fn record(&self, step: SagaStep, attempt: u32) -> Option<&StepRecord> {
        self.records
            .iter()
            .find(|r| r.step == step && r.attempt == attempt)
    }

    pub(crate) fn record_mut(&mut self, step: SagaStep, attempt: u32) -> Option<&mut StepRecord> {
        self.records
            .iter_mut()
            .find(|r| r.step == step && r.attempt == attempt)
    }

    pub(crate) fn remember(&mut self, input_id: &str) {
        self.seen_inputs.push(input_id.to_owned());
        if self.seen_inputs.len() > SEEN_INPUTS_KEPT {
            let excess = self.seen_inputs.len() - SEEN_INPUTS_KEPT;
            self.seen_inputs.drain(..excess);
        }
    }
}
