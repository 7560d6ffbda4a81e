//! The transition function: one input in, the next state and its commands out.

use super::command::{blank_meta, SagaCommand};
use super::input::{
    ReplyOutcome, SagaError, SagaInput, SagaInputKind, SagaTransition, StepTimeouts, TimerRequest,
};
use super::state::{RecordDirection, RecordStatus, SagaOrder, SagaPhase, SagaState, StepRecord};
use super::step::{list_id_for, payment_id_for, SagaStep};
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
struct Run<'a> {
    state: SagaState,
    timeouts: &'a StepTimeouts,
    at: Timestamp,
    commands: Vec<SagaCommand>,
    timer: Option<TimerRequest>,
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

    /// Starts a forward step: its command and its timer.
    fn begin(&mut self, step: SagaStep) {
        let attempt = self.next_attempt();
        let saga = self.state.saga_id;
        match step {
            SagaStep::CreateShoppingList => {
                self.state.list_id.get_or_insert(list_id_for(saga));
            }
            SagaStep::AuthorizePayment => {
                self.state.payment_id.get_or_insert(payment_id_for(saga));
            }
            _ => {}
        }
        let command = self.forward_command(step, attempt);
        self.push_record(
            step,
            attempt,
            RecordDirection::Forward,
            RecordStatus::Pending,
        );
        self.state.step = step;
        self.state.attempt = attempt;
        self.state.phase = SagaPhase::Running;
        self.state.commands = command.into_iter().collect();
        self.commands.extend(self.state.commands.iter().cloned());
        self.schedule(step, attempt, self.timeouts.for_step(step));
    }

    /// Step `step` failed (or timed out): queue the compensations and run the first.
    fn fail(&mut self, step: SagaStep, reason: &str, timed_out: bool) {
        let mut queue = Vec::new();
        if (timed_out || step == SagaStep::ValidateOrder) && step.has_compensation() {
            queue.push(step);
        }
        queue.extend(
            SagaStep::ALL[..step.index()]
                .iter()
                .rev()
                .copied()
                .filter(|s| s.has_compensation()),
        );
        self.state.compensations = queue;
        self.state.reason = Some(reason.to_owned());
        self.state.phase = SagaPhase::Compensating;
        self.next_compensation();
    }

    /// Sends the next queued compensation; RejectOrder (the last) finishes the saga.
    fn next_compensation(&mut self) {
        if self.state.compensations.is_empty() {
            self.state.compensations.push(SagaStep::ValidateOrder);
        }
        let step = self.state.compensations.remove(0);
        let attempt = self.next_attempt();
        let command = self.compensation_command(step, attempt);
        self.state.step = step;
        self.state.attempt = attempt;
        self.state.commands = vec![command.clone()];
        self.commands.push(command);
        if step == SagaStep::ValidateOrder {
            self.push_record(
                step,
                attempt,
                RecordDirection::Compensation,
                RecordStatus::Sent,
            );
            self.state.phase = SagaPhase::Rejected;
            self.state.compensations.clear();
            self.state.order.payment_token.clear();
            self.state.timer = None;
        } else {
            self.push_record(
                step,
                attempt,
                RecordDirection::Compensation,
                RecordStatus::Pending,
            );
            self.state.phase = SagaPhase::Compensating;
            self.schedule(step, attempt, self.timeouts.compensation_ms);
        }
    }

    fn complete(&mut self) {
        self.state.phase = SagaPhase::Completed;
        self.state.commands.clear();
        self.state.timer = None;
        self.state.order.payment_token.clear();
    }

    fn schedule(&mut self, step: SagaStep, attempt: u32, after_ms: i64) {
        let timer = TimerRequest {
            step,
            attempt,
            fire_at: self.at.plus_millis(after_ms.max(0)),
        };
        self.state.timer = Some(timer);
        self.timer = Some(timer);
    }

    fn next_attempt(&mut self) -> u32 {
        self.state.last_attempt += 1;
        self.state.last_attempt
    }

    fn push_record(
        &mut self,
        step: SagaStep,
        attempt: u32,
        direction: RecordDirection,
        status: RecordStatus,
    ) {
        self.state.records.push(StepRecord {
            step,
            attempt,
            direction,
            status,
            at: self.at,
        });
    }

    fn set_status(&mut self, step: SagaStep, attempt: u32, status: RecordStatus) {
        if let Some(record) = self.state.record_mut(step, attempt) {
            record.status = status;
            record.at = self.at;
        }
    }

    fn forward_command(&self, step: SagaStep, attempt: u32) -> Option<SagaCommand> {
        let s = &self.state;
        let order = &s.order;
        let meta = blank_meta();
        let list_id = s.list_id.unwrap_or_else(|| list_id_for(s.saga_id));
        let command = match step {
            SagaStep::ValidateOrder => return None,
            SagaStep::AuthorizeCustomer => SagaCommand::AuthorizeCustomer {
                meta,
                customer_id: order.customer_id,
            },
            SagaStep::CreateShoppingList => SagaCommand::CreateShoppingList {
                meta,
                list_id,
                order_id: order.order_id,
                items: order.items.iter().map(|i| i.to_list_item()).collect(),
            },
            SagaStep::AuthorizePayment => SagaCommand::AuthorizePayment {
                meta,
                payment_id: s.payment_id.unwrap_or_else(|| payment_id_for(s.saga_id)),
                order_id: order.order_id,
                amount: order.total,
                card_token: order.payment_token.clone(),
            },
            SagaStep::InitiateShopping => SagaCommand::InitiateShopping { meta, list_id },
            SagaStep::ApproveOrder => SagaCommand::ApproveOrder {
                meta,
                order_id: order.order_id,
                list_id,
            },
        };
        Some(command.stamped(s.saga_id, step, attempt, self.at))
    }

    /// The compensation of a step; steps without one never reach here (the queue filters them).
    fn compensation_command(&self, step: SagaStep, attempt: u32) -> SagaCommand {
        let s = &self.state;
        let meta = blank_meta();
        let order_id = s.order.order_id;
        let command = match step {
            SagaStep::CreateShoppingList => SagaCommand::CancelShoppingList {
                meta,
                list_id: s.list_id.unwrap_or_else(|| list_id_for(s.saga_id)),
                order_id,
            },
            SagaStep::AuthorizePayment => SagaCommand::VoidPayment {
                meta,
                payment_id: s.payment_id.unwrap_or_else(|| payment_id_for(s.saga_id)),
                order_id,
            },
            _ => SagaCommand::RejectOrder {
                meta,
                order_id,
                reason: s.reason.clone().unwrap_or_else(|| "rejected".to_owned()),
            },
        };
        command.stamped(s.saga_id, step, attempt, self.at)
    }
}
