//! ApproveOrder, the saga's pivot: the point of no return.
//!
//! Once ApproveOrder is sent, ordering may approve the order at any moment, and an approved
//! order is never rejected. Compensating on a timeout (VoidPayment, CancelShoppingList,
//! RejectOrder) could therefore void the payment of an order that ordering approved while the
//! saga was waiting: RejectOrder is refused ("not pending"), the order stays approved, its
//! payment is gone. So the pivot is *retriable only*:
//!
//! * a timeout of an ApproveOrder emission sends it again (a new emission, each one waiting one
//!   step timeout longer than the one before), up to [`StepTimeouts::max_approve_attempts`]
//!   emissions; when the last one also times out the saga completes with the approval
//!   unconfirmed ([`SagaState::approval_unconfirmed`]) — it never compensates. Ordering approves a
//!   pending order for any emission, so the order ends approved as soon as one is processed;
//!   only a customer or admin cancellation can stop it, and that path voids the payment and
//!   cancels the list itself.
//! * a success from *any* emission (the current one, or one that timed out earlier) completes
//!   the saga; the emissions still unanswered become [`RecordStatus::Superseded`].
//! * a refusal is definitive only when *every* emission has been refused: then none of them
//!   approved the order (ordering answers success to the emission whose approval it stored), so
//!   compensating is safe. A refusal while another emission is unanswered may just mean that
//!   other emission approved the order: it counts as no answer.
//!
//! [`StepTimeouts::max_approve_attempts`]: super::StepTimeouts::max_approve_attempts
//! [`SagaState::approval_unconfirmed`]: super::SagaState::approval_unconfirmed

use super::input::ReplyOutcome;
use super::state::{RecordDirection, RecordStatus, SagaPhase};
use super::step::SagaStep;
use super::transition::Run;

const PIVOT: SagaStep = SagaStep::ApproveOrder;

impl Run<'_> {
    /// A reply to the ApproveOrder emission `attempt`, whose record had `status`.
    pub(super) fn on_pivot_reply(
        &mut self,
        attempt: u32,
        status: RecordStatus,
        outcome: &ReplyOutcome,
    ) {
        if !matches!(status, RecordStatus::Pending | RecordStatus::TimedOut) {
            return; // answered already, or superseded by another emission's answer
        }
        match outcome {
            ReplyOutcome::Success { .. } => {
                self.set_status(PIVOT, attempt, RecordStatus::Succeeded);
                self.supersede_unanswered();
                if self.state.phase == SagaPhase::Running {
                    self.complete();
                } else if self.state.phase == SagaPhase::Completed {
                    // The presumed approval is confirmed after all.
                    self.state.failure_detail = None;
                }
            }
            ReplyOutcome::Failure { reason } => {
                self.set_status(PIVOT, attempt, RecordStatus::Failed);
                if self.state.phase != SagaPhase::Running {
                    return; // completed unconfirmed: only a cancellation refuses now
                }
                if self.unanswered() == 0 {
                    // Every emission refused: this saga never approved the order.
                    self.state.failure_detail = Some(reason.clone());
                    self.fail(PIVOT, PIVOT.failure_reason(), false);
                } else if self.state.pending().is_none() {
                    self.resend_or_presume();
                }
            }
        }
    }

    /// The timer of the ApproveOrder emission `attempt` fired (its record is already TimedOut).
    pub(super) fn on_pivot_timeout(&mut self) {
        self.resend_or_presume();
    }

    /// Sends ApproveOrder again, or completes unconfirmed once every emission is spent.
    fn resend_or_presume(&mut self) {
        let sent = self.emissions();
        if sent < self.timeouts.max_approve_attempts.max(1) as usize {
            self.begin(PIVOT);
            let wait = self
                .timeouts
                .for_step(PIVOT)
                .saturating_mul(sent as i64 + 1);
            let attempt = self.state.attempt;
            self.schedule(PIVOT, attempt, wait);
        } else {
            self.state.failure_detail = Some(format!(
                "approve_order unanswered after {sent} emissions: completed unconfirmed \
                 (the pivot is never compensated on a timeout)"
            ));
            self.complete();
        }
    }

    fn pivot_records(&self) -> impl Iterator<Item = &super::state::StepRecord> {
        self.state
            .records
            .iter()
            .filter(|r| r.step == PIVOT && r.direction == RecordDirection::Forward)
    }

    fn emissions(&self) -> usize {
        self.pivot_records().count()
    }

    fn unanswered(&self) -> usize {
        self.pivot_records()
            .filter(|r| matches!(r.status, RecordStatus::Pending | RecordStatus::TimedOut))
            .count()
    }

    fn supersede_unanswered(&mut self) {
        let at = self.at;
        for r in self.state.records.iter_mut() {
            if r.step == PIVOT
                && r.direction == RecordDirection::Forward
                && matches!(r.status, RecordStatus::Pending | RecordStatus::TimedOut)
            {
                r.status = RecordStatus::Superseded;
                r.at = at;
            }
        }
    }
}
