//! How a transition emits: forward steps, compensations, timers, records and the commands.

use super::command::{blank_meta, SagaCommand};
use super::input::TimerRequest;
use super::state::{RecordDirection, RecordStatus, SagaPhase, StepRecord};
use super::step::{list_id_for, payment_id_for, SagaStep};
use super::transition::Run;

impl Run<'_> {
    /// Starts a forward step: its command and its timer.
    pub(super) fn begin(&mut self, step: SagaStep) {
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
    pub(super) fn fail(&mut self, step: SagaStep, reason: &str, timed_out: bool) {
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
    pub(super) fn next_compensation(&mut self) {
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

    pub(super) fn complete(&mut self) {
        self.state.phase = SagaPhase::Completed;
        self.state.commands.clear();
        self.state.timer = None;
        self.state.order.payment_token.clear();
    }

    pub(super) fn schedule(&mut self, step: SagaStep, attempt: u32, after_ms: i64) {
        let timer = TimerRequest {
            step,
            attempt,
            fire_at: self.at.plus_millis(after_ms.max(0)),
        };
        self.state.timer = Some(timer);
        self.timer = Some(timer);
    }

    pub(super) fn next_attempt(&mut self) -> u32 {
        self.state.last_attempt += 1;
        self.state.last_attempt
    }

    pub(super) fn push_record(
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

    pub(super) fn set_status(&mut self, step: SagaStep, attempt: u32, status: RecordStatus) {
        if let Some(record) = self.state.record_mut(step, attempt) {
            record.status = status;
            record.at = self.at;
        }
    }

    pub(super) fn forward_command(&self, step: SagaStep, attempt: u32) -> Option<SagaCommand> {
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
    pub(super) fn compensation_command(&self, step: SagaStep, attempt: u32) -> SagaCommand {
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
