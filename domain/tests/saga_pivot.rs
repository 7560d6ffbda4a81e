//! ApproveOrder is the saga's pivot: a timeout re-sends it and never compensates; a refusal
//! compensates only once every emission was refused. The bug these pin down: a step-5 timeout
//! used to send VoidPayment, CancelShoppingList and RejectOrder while ordering had already
//! approved the order, leaving it approved with its payment voided.

mod saga_support;

use mallbots_domain::saga::{
    RecordStatus, ReplyOutcome, SagaInputKind, SagaPhase, SagaStep, SagaTransition,
};
use saga_support::*;

/// A saga waiting on its first ApproveOrder; returns its attempt.
fn at_the_pivot() -> (Driver, u32) {
    let (mut d, _) = Driver::started();
    d.run_to(SagaStep::ApproveOrder);
    let attempt = d.current().1;
    (d, attempt)
}

fn reply(d: &mut Driver, attempt: u32, outcome: ReplyOutcome) -> SagaTransition {
    d.feed(SagaInputKind::Reply {
        step: SagaStep::ApproveOrder,
        attempt,
        outcome,
    })
}

fn status(d: &Driver, attempt: u32) -> RecordStatus {
    let s = d.state.as_ref().unwrap();
    s.record(SagaStep::ApproveOrder, attempt).unwrap().status
}

#[test]
fn an_approve_timeout_resends_approve_order_instead_of_compensating() {
    let (mut d, first) = at_the_pivot();
    let first_id = d.state.as_ref().unwrap().commands[0].command_id();
    let t = d.time_out();
    assert_eq!(names(&t), vec!["approve_order"], "no compensation");
    assert_ne!(t.commands[0].command_id(), first_id, "a new emission");
    assert!(t.commands[0].meta().attempt > first);
    let timer = t.timer.expect("the retry has a timer");
    assert_eq!(
        timer.fire_at.millis(),
        d.now + 2 * d.timeouts.approve_order_ms,
        "each retry waits one step timeout longer"
    );
    assert_eq!(t.state.phase, SagaPhase::Running);
    assert_eq!(status(&d, first), RecordStatus::TimedOut);
}

#[test]
fn the_late_success_of_a_timed_out_approve_completes_the_saga() {
    // Given ApproveOrder timed out and was re-sent
    let (mut d, first) = at_the_pivot();
    d.time_out();
    let retry = d.current().1;
    // When the first emission's success arrives late
    let t = reply(&mut d, first, ReplyOutcome::success());
    // Then the saga completes, nothing voided, the retry superseded
    assert!(t.finished && t.commands.is_empty() && t.timer.is_none());
    let state = d.state.as_ref().unwrap();
    assert_eq!(state.phase, SagaPhase::Completed);
    assert!(!state.approval_unconfirmed());
    assert_eq!(status(&d, first), RecordStatus::Succeeded);
    assert_eq!(status(&d, retry), RecordStatus::Superseded);
    // And the retry's refusal ("not pending": the first one approved it) changes nothing
    let t = reply(
        &mut d,
        retry,
        ReplyOutcome::failure("order.approve_not_pending"),
    );
    assert!(t.commands.is_empty());
    assert_eq!(d.state.as_ref().unwrap().phase, SagaPhase::Completed);
}

#[test]
fn a_refused_retry_while_the_first_is_unanswered_is_no_answer() {
    // Given the first ApproveOrder timed out (ordering approved it; its reply is slow)
    let (mut d, first) = at_the_pivot();
    d.time_out();
    let retry = d.current().1;
    // When the retry is refused because the order is no longer pending
    let t = reply(
        &mut d,
        retry,
        ReplyOutcome::failure("order.approve_not_pending"),
    );
    // Then the saga does not compensate: it sends ApproveOrder once more
    assert_eq!(names(&t), vec!["approve_order"]);
    assert_eq!(t.state.phase, SagaPhase::Running);
    // And the first emission's success completes it
    let t = reply(&mut d, first, ReplyOutcome::success());
    assert!(t.finished);
    assert_eq!(d.state.as_ref().unwrap().phase, SagaPhase::Completed);
}

#[test]
fn every_emission_refused_compensates_as_a_refusal() {
    let (mut d, first) = at_the_pivot();
    d.time_out();
    let retry = d.current().1;
    let t = reply(
        &mut d,
        first,
        ReplyOutcome::failure("order.approve_not_pending"),
    );
    assert!(t.commands.is_empty(), "the retry is still out: wait for it");
    let mut t = reply(
        &mut d,
        retry,
        ReplyOutcome::failure("order.approve_not_pending"),
    );
    let mut emitted = names(&t);
    while !t.finished {
        t = d.succeed();
        emitted.extend(names(&t));
    }
    assert_eq!(
        emitted,
        vec!["void_payment", "cancel_shopping_list", "reject_order"]
    );
    let state = d.state.as_ref().unwrap();
    assert_eq!(
        (state.phase, state.reason.as_deref()),
        (SagaPhase::Rejected, Some("approval_failed"))
    );
}

#[test]
fn when_every_emission_times_out_the_saga_completes_unconfirmed() {
    let (mut d, first) = at_the_pivot();
    d.timeouts.max_approve_attempts = 3;
    let mut emitted = Vec::new();
    let mut t = d.time_out();
    emitted.extend(names(&t));
    while !t.finished {
        t = d.time_out();
        emitted.extend(names(&t));
    }
    assert_eq!(emitted, vec!["approve_order", "approve_order"], "3 in all");
    let state = d.state.clone().unwrap();
    assert_eq!(state.phase, SagaPhase::Completed);
    assert!(state.approval_unconfirmed());
    assert!(state.failure_detail.unwrap().contains("unconfirmed"));
    // A late refusal (a customer canceled meanwhile: that path voids) changes nothing...
    let t = reply(
        &mut d,
        first,
        ReplyOutcome::failure("order.approve_not_pending"),
    );
    assert!(t.commands.is_empty());
    // ...and a late success confirms the approval.
    let last = d.current().1;
    let t = reply(&mut d, last, ReplyOutcome::success());
    assert!(t.commands.is_empty());
    let state = d.state.as_ref().unwrap();
    assert!(!state.approval_unconfirmed() && state.failure_detail.is_none());
}

#[test]
fn a_single_refusal_still_compensates_at_once() {
    let (mut d, _) = at_the_pivot();
    let t = d.fail("order.approve_not_pending");
    assert_eq!(names(&t), vec!["void_payment"]);
    assert_eq!(t.state.phase, SagaPhase::Compensating);
}

#[test]
fn earlier_timeouts_still_compensate_and_late_successes_are_undone() {
    // A timed-out AuthorizePayment is voided at once (the void fences a late authorization);
    // if the authorization still succeeds later it is voided again.
    let (mut d, _) = Driver::started();
    d.run_to(SagaStep::AuthorizePayment);
    let attempt = d.current().1;
    let t = d.time_out();
    assert_eq!(names(&t), vec!["void_payment"]);
    let late = d.feed(SagaInputKind::Reply {
        step: SagaStep::AuthorizePayment,
        attempt,
        outcome: ReplyOutcome::success(),
    });
    assert_eq!(names(&late), vec!["void_payment"]);
    assert_eq!(
        d.state.as_ref().unwrap().phase,
        SagaPhase::Compensating,
        "the queued compensations carry on"
    );
}
