//! The order saga under redelivery, stale timers, late replies and restarts.

mod saga_support;

use mallbots_domain::saga::{
    command_id_for, transition, ReplyOutcome, SagaError, SagaInput, SagaInputKind, SagaState,
    SagaStep, StepTimeouts, SEEN_INPUTS_KEPT,
};
use mallbots_domain::{ErrorCode, SagaId, ShoppingListId, Timestamp};
use saga_support::*;
use uuid::Uuid;

#[test]
fn a_duplicate_input_republishes_the_current_commands_unchanged() {
    let (mut d, _) = Driver::started();
    let input = d.input(SagaInputKind::Reply {
        step: SagaStep::AuthorizeCustomer,
        attempt: 1,
        outcome: ReplyOutcome::success(),
    });
    let first = d.feed_input(&input);
    let again = d.feed_input(&input);
    assert!(again.duplicate && !first.duplicate);
    assert_eq!(again.commands, first.commands);
    assert_eq!(again.state, first.state);
    assert_eq!(
        again.timer, first.timer,
        "the timer is scheduled again (same id)"
    );
}

#[test]
fn a_redelivered_order_created_is_a_duplicate() {
    let (mut d, first) = Driver::started();
    let again = d.feed(order_created(vec![]));
    assert!(again.duplicate);
    assert_eq!(again.commands, first.commands);
}

#[test]
fn a_duplicate_of_a_finished_saga_republishes_reject_order() {
    let (mut d, _) = Driver::started();
    let input = d.input(SagaInputKind::Reply {
        step: SagaStep::AuthorizeCustomer,
        attempt: 1,
        outcome: ReplyOutcome::failure("customer.disabled"),
    });
    let first = d.feed_input(&input);
    let again = d.feed_input(&input);
    assert!(again.duplicate && again.finished);
    assert_eq!(names(&again), vec!["reject_order"]);
    assert_eq!(
        again.commands[0].command_id(),
        first.commands[0].command_id()
    );
}

#[test]
fn stale_timers_and_replies_are_ignored() {
    let (mut d, _) = Driver::started();
    d.succeed(); // customer authorized at attempt 1; now CreateShoppingList at attempt 2
    let before = d.state.clone().unwrap();
    for kind in [
        SagaInputKind::TimerFired {
            step: SagaStep::AuthorizeCustomer,
            attempt: 1,
        },
        SagaInputKind::Reply {
            step: SagaStep::AuthorizeCustomer,
            attempt: 1,
            outcome: ReplyOutcome::failure("late"),
        },
        SagaInputKind::Reply {
            step: SagaStep::CreateShoppingList,
            attempt: 7,
            outcome: ReplyOutcome::success(),
        },
        SagaInputKind::TimerFired {
            step: SagaStep::ApproveOrder,
            attempt: 2,
        },
    ] {
        let t = d.feed(kind);
        assert!(t.commands.is_empty() && t.timer.is_none() && !t.duplicate && !t.finished);
        assert_eq!(
            (t.state.step, t.state.attempt, t.state.phase),
            (before.step, before.attempt, before.phase)
        );
    }
}

#[test]
fn a_late_success_after_compensation_is_compensated() {
    // (timed-out step, the compensation the late success triggers)
    let cases = [
        (SagaStep::CreateShoppingList, "cancel_shopping_list"),
        (SagaStep::AuthorizePayment, "void_payment"),
    ];
    for (step, compensation) in cases {
        let (mut d, _) = Driver::started();
        d.run_to(step);
        let (_, attempt) = d.current();
        d.time_out();
        while !d.state.as_ref().unwrap().is_finished() {
            d.succeed();
        }
        let late = d.feed(SagaInputKind::Reply {
            step,
            attempt,
            outcome: ReplyOutcome::success(),
        });
        assert_eq!(names(&late), vec![compensation], "{step}");
        assert!(late.finished, "{step}: the saga stays rejected");
        // A second late success (another reply id) is not compensated twice.
        let again = d.feed(SagaInputKind::Reply {
            step,
            attempt,
            outcome: ReplyOutcome::success(),
        });
        assert!(again.commands.is_empty(), "{step}");
    }
}

#[test]
fn a_late_success_during_compensation_is_compensated_too() {
    let (mut d, _) = Driver::started();
    d.run_to(SagaStep::CreateShoppingList);
    let (_, attempt) = d.current();
    let list = ShoppingListId::from_uuid(Uuid::from_u128(77));
    d.time_out(); // CancelShoppingList outstanding
    let pending = d.current();
    let late = d.feed(SagaInputKind::Reply {
        step: SagaStep::CreateShoppingList,
        attempt,
        outcome: ReplyOutcome::Success {
            list_id: Some(list),
            payment_id: None,
        },
    });
    assert_eq!(names(&late), vec!["cancel_shopping_list"]);
    assert_eq!(
        d.current(),
        pending,
        "the outstanding compensation is untouched"
    );
    let dup = transition(
        d.state.as_ref(),
        &SagaInput {
            input_id: "input-1".into(),
            at: Timestamp::from_millis(0),
            kind: order_created(vec![]),
        },
        &StepTimeouts::default(),
    )
    .unwrap();
    assert_eq!(
        dup.commands.len(),
        2,
        "a duplicate re-publishes the late compensation as well"
    );
}

#[test]
fn a_late_failure_is_ignored() {
    let (mut d, _) = Driver::started();
    d.run_to(SagaStep::AuthorizePayment);
    let (_, attempt) = d.current();
    d.time_out();
    let t = d.feed(SagaInputKind::Reply {
        step: SagaStep::AuthorizePayment,
        attempt,
        outcome: ReplyOutcome::failure("payment.declined"),
    });
    assert!(t.commands.is_empty());
}

#[test]
fn replies_for_an_unknown_saga_are_an_error() {
    let input = SagaInput {
        input_id: "x".into(),
        at: Timestamp::from_millis(1),
        kind: SagaInputKind::TimerFired {
            step: SagaStep::AuthorizeCustomer,
            attempt: 1,
        },
    };
    let err = transition(None, &input, &StepTimeouts::default()).unwrap_err();
    assert_eq!(
        (err.clone(), err.code()),
        (SagaError::UnknownSaga, "saga.unknown")
    );
}

#[test]
fn state_survives_a_json_round_trip_mid_saga() {
    let (mut d, _) = Driver::started();
    d.run_to(SagaStep::AuthorizePayment);
    let json = serde_json::to_string(d.state.as_ref().unwrap()).unwrap();
    assert!(json.contains(r#""step":"authorize_payment""#), "{json}");
    let restored: SagaState = serde_json::from_str(&json).unwrap();
    assert_eq!(&restored, d.state.as_ref().unwrap());
    d.state = Some(restored);
    assert_eq!(names(&d.succeed()), vec!["initiate_shopping"]);
}

#[test]
fn command_ids_are_deterministic_and_distinct() {
    let (_, a) = Driver::started();
    let (_, b) = Driver::started();
    assert_eq!(a.commands[0].command_id(), b.commands[0].command_id());
    let saga = SagaId::from(order_id());
    assert_eq!(
        a.commands[0].command_id(),
        command_id_for(saga, SagaStep::AuthorizeCustomer, 1, "authorize_customer")
    );
    assert_ne!(
        command_id_for(saga, SagaStep::AuthorizeCustomer, 1, "x"),
        command_id_for(saga, SagaStep::AuthorizeCustomer, 2, "x")
    );
}

#[test]
fn seen_inputs_stay_bounded() {
    let (mut d, _) = Driver::started();
    for _ in 0..(SEEN_INPUTS_KEPT + 10) {
        d.feed(SagaInputKind::TimerFired {
            step: SagaStep::ApproveOrder,
            attempt: 999,
        });
    }
    assert_eq!(
        d.state.as_ref().unwrap().seen_inputs.len(),
        SEEN_INPUTS_KEPT
    );
}

#[test]
fn timer_and_reply_helpers_name_the_emission() {
    let (_, t) = Driver::started();
    let timer = t.timer.unwrap();
    assert_eq!(timer.input_id(), "timer/authorize_customer/1");
    assert_eq!(
        timer.fired(),
        SagaInputKind::TimerFired {
            step: SagaStep::AuthorizeCustomer,
            attempt: 1
        }
    );
    assert_eq!(
        t.commands[0].meta().reply(ReplyOutcome::success()),
        SagaInputKind::Reply {
            step: SagaStep::AuthorizeCustomer,
            attempt: 1,
            outcome: ReplyOutcome::success()
        }
    );
    let json = serde_json::to_value(&t.commands[0]).unwrap();
    assert_eq!(json["type"], "AuthorizeCustomer");
}
