//! The transition function: one input in, the next state and its commands out.

use super::command::SagaCommand;
use super::input::{
    ReplyOutcome, SagaError, SagaInput, SagaInputKind, SagaTransition, StepTimeouts, TimerRequest,
};
use super::state::{RecordDirection, RecordStatus, SagaOrder, SagaPhase, SagaState};
use super::step::SagaStep;
use crate::ids::SagaId;
use crate::time::Timestamp;

/// Decides what the saga does with one input; see the [module docs](super) for the mechanics.
///
/// `state` is `None` for a saga not stored yet: only `OrderCreated` starts one, anything else is
/// [`SagaError::UnknownSaga`]. An `OrderCreated` for an existing saga counts as a duplicate.
pub fn transition(
    state: Option<&SagaState>,
    input: &SagaInput,
    timeouts: &StepTimeouts,
) -> Result<SagaTransition, SagaError> {
    let Some(state) = state else {
        return match &input.kind {
            SagaInputKind::OrderCreated { .. } => Ok(start(input, timeouts)),
            _ => Err(SagaError::UnknownSaga),
        };
    };
    if state.has_seen(&input.input_id) || matches!(input.kind, SagaInputKind::OrderCreated { .. }) {
        return Ok(SagaTransition {
            state: state.clone(),
            commands: state.outstanding_commands(),
            timer: state.timer,
            finished: state.is_finished(),
            duplicate: true,
        });
    }
    let mut run = Run::new(state.clone(), input, timeouts);
    match &input.kind {
        SagaInputKind::Reply {
            step,
            attempt,
            outcome,
        } => run.on_reply(*step, *attempt, outcome),
        SagaInputKind::TimerFired { step, attempt } => run.on_timer(*step, *attempt),
        SagaInputKind::OrderCreated { .. } => {}
    }
    Ok(run.finish())
}

fn start(input: &SagaInput, timeouts: &StepTimeouts) -> SagaTransition {
    let SagaInputKind::OrderCreated {
        order_id,
        customer_id,
        items,
        total,
        payment_token,
        unavailable_products,
    } = &input.kind
    else {
        unreachable!("start is only called with OrderCreated");
    };
    let state = SagaState {
        saga_id: SagaId::from(*order_id),
        order: SagaOrder {
            order_id: *order_id,
            customer_id: *customer_id,
            items: items.clone(),
            total: *total,
            payment_token: payment_token.trim().to_owned(),
        },
        step: SagaStep::ValidateOrder,
        phase: SagaPhase::Running,
        attempt: 0,
        last_attempt: 0,
        list_id: None,
        payment_id: None,
        reason: None,
        failure_detail: None,
        compensations: Vec::new(),
        records: Vec::new(),
        seen_inputs: Vec::new(),
        commands: Vec::new(),
        late_commands: Vec::new(),
        timer: None,
        started_at: input.at,
        updated_at: input.at,
    };
    let mut run = Run::new(state, input, timeouts);
    let problem = if !unavailable_products.is_empty() {
        let ids: Vec<String> = unavailable_products
            .iter()
            .map(ToString::to_string)
            .collect();
        Some((
            "product_unavailable",
            format!("unavailable: {}", ids.join(", ")),
        ))
    } else if items.is_empty() || items.iter().any(|i| i.quantity == 0) || total.cents <= 0 {
        Some((
            "invalid_order",
            "no items, a zero quantity or a total not above zero".to_owned(),
        ))
    } else if payment_token.trim().is_empty() {
        Some(("payment_missing", "blank payment token".to_owned()))
    } else {
        None
    };
    let status = if problem.is_some() {
        RecordStatus::Failed
    } else {
        RecordStatus::Succeeded
    };
    run.push_record(SagaStep::ValidateOrder, 0, RecordDirection::Forward, status);
    match problem {
        Some((reason, detail)) => {
            run.state.failure_detail = Some(detail);
            run.fail(SagaStep::ValidateOrder, reason, false);
        }
        None => run.begin(SagaStep::AuthorizeCustomer),
    }
    run.finish()
}

/// One transition in the making.
pub(super) struct Run<'a> {
    pub(super) state: SagaState,
    pub(super) timeouts: &'a StepTimeouts,
    pub(super) at: Timestamp,
    pub(super) commands: Vec<SagaCommand>,
    pub(super) timer: Option<TimerRequest>,
}

impl<'a> Run<'a> {
    fn new(mut state: SagaState, input: &SagaInput, timeouts: &'a StepTimeouts) -> Self {
        state.remember(&input.input_id);
        state.updated_at = input.at;
        Run {
            state,
            timeouts,
            at: input.at,
            commands: Vec::new(),
            timer: None,
        }
    }

    fn finish(self) -> SagaTransition {
        SagaTransition {
            finished: self.state.is_finished(),
            state: self.state,
            commands: self.commands,
            timer: self.timer,
            duplicate: false,
        }
    }

    fn on_reply(&mut self, step: SagaStep, attempt: u32, outcome: &ReplyOutcome) {
        let Some(record) = self.state.record(step, attempt).copied() else {
            return; // never sent: stale or foreign
        };
        if step == SagaStep::ApproveOrder && record.direction == RecordDirection::Forward {
            return self.on_pivot_reply(attempt, record.status, outcome);
        }
        match (record.direction, record.status, outcome) {
            (
                RecordDirection::Forward,
                RecordStatus::Pending,
                ReplyOutcome::Success {
                    list_id,
                    payment_id,
                },
            ) => {
                self.set_status(step, attempt, RecordStatus::Succeeded);
                if step == SagaStep::CreateShoppingList {
                    self.state.list_id = list_id.or(self.state.list_id);
                }
                if step == SagaStep::AuthorizePayment {
                    self.state.payment_id = payment_id.or(self.state.payment_id);
                    self.state.order.payment_token.clear();
                }
                match step.next() {
                    Some(next) => self.begin(next),
                    None => self.complete(),
                }
            }
            (RecordDirection::Forward, RecordStatus::Pending, ReplyOutcome::Failure { reason }) => {
                self.set_status(step, attempt, RecordStatus::Failed);
                self.state.failure_detail = Some(reason.clone());
                self.fail(step, step.failure_reason(), false);
            }
            (RecordDirection::Compensation, RecordStatus::Pending, outcome) => {
                let status = match outcome {
                    ReplyOutcome::Success { .. } => RecordStatus::Succeeded,
                    ReplyOutcome::Failure { .. } => RecordStatus::Failed,
                };
                self.set_status(step, attempt, status);
                self.next_compensation();
            }
            (
                RecordDirection::Forward,
                RecordStatus::TimedOut,
                ReplyOutcome::Success {
                    list_id,
                    payment_id,
                },
            ) if step.has_compensation() => {
                self.set_status(step, attempt, RecordStatus::LateCompensated);
                if step == SagaStep::CreateShoppingList {
                    self.state.list_id = list_id.or(self.state.list_id);
                }
                if step == SagaStep::AuthorizePayment {
                    self.state.payment_id = payment_id.or(self.state.payment_id);
                }
                let attempt = self.next_attempt();
                let command = self.compensation_command(step, attempt);
                self.push_record(
                    step,
                    attempt,
                    RecordDirection::Compensation,
                    RecordStatus::Sent,
                );
                self.state.late_commands.push(command.clone());
                self.commands.push(command);
            }
            _ => {} // an older emission: ignored
        }
    }

    fn on_timer(&mut self, step: SagaStep, attempt: u32) {
        let Some(record) = self.state.record(step, attempt).copied() else {
            return;
        };
        if record.status != RecordStatus::Pending {
            return; // a firing from an older step or attempt
        }
        self.set_status(step, attempt, RecordStatus::TimedOut);
        match record.direction {
            RecordDirection::Forward if step == SagaStep::ApproveOrder => self.on_pivot_timeout(),
            RecordDirection::Forward => {
                self.state.failure_detail = Some(format!("{step} timed out"));
                self.fail(step, "timeout", true);
            }
            RecordDirection::Compensation => {
                let tries = self
                    .state
                    .records
                    .iter()
                    .filter(|r| {
                        r.step == step
                            && r.direction == RecordDirection::Compensation
                            && r.status != RecordStatus::Sent
                    })
                    .count();
                if tries < self.timeouts.max_compensation_attempts as usize {
                    self.state.compensations.insert(0, step);
                }
                self.next_compensation();
            }
        }
    }
}
