//! The order saga's happy path and its rejections, as tables.

mod saga_support;

use mallbots_domain::saga::{
    list_id_for, payment_id_for, SagaCommand, SagaPhase, SagaStep, StepTimeouts,
};
use mallbots_domain::{Money, SagaId, Timestamp};
use saga_support::*;

#[test]
fn happy_path_runs_every_step_in_order() {
    let (mut d, t) = Driver::started();
    let mut seen = vec![names(&t)];
    assert!(t.timer.is_some() && !t.finished);
    for _ in 0..5 {
        let t = d.succeed();
        seen.push(names(&t));
    }
    assert_eq!(
        seen,
        vec![
            vec!["authorize_customer"],
            vec!["create_shopping_list"],
            vec!["authorize_payment"],
            vec!["initiate_shopping"],
            vec!["approve_order"],
            vec![],
        ]
    );
    let state = d.state.unwrap();
    assert_eq!(state.phase, SagaPhase::Completed);
    assert!(
        state.order.payment_token.is_empty(),
        "the card token is not kept"
    );
}

#[test]
fn the_last_success_finishes_without_timer() {
    let (mut d, _) = Driver::started();
    d.run_to(SagaStep::ApproveOrder);
    let t = d.succeed();
    assert!(t.finished && t.timer.is_none() && t.commands.is_empty());
}

#[test]
fn commands_carry_derived_ids_and_the_order_data() {
    let (mut d, _) = Driver::started();
    let saga = SagaId::from(order_id());
    d.succeed();
    let create = d.state.as_ref().unwrap().commands[0].clone();
    match &create {
        SagaCommand::CreateShoppingList {
            list_id,
            items,
            meta,
            ..
        } => {
            assert_eq!(*list_id, list_id_for(saga));
            assert_eq!(items[0].quantity, 2);
            assert_eq!(
                (meta.saga_id, meta.step),
                (saga, SagaStep::CreateShoppingList)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let t = d.succeed();
    match &t.commands[0] {
        SagaCommand::AuthorizePayment {
            payment_id,
            amount,
            card_token,
            ..
        } => {
            assert_eq!(
                (*payment_id, *amount, card_token.as_str()),
                (payment_id_for(saga), Money::usd(900), "tok_visa")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(t.commands[0].context(), "payments");
}

#[test]
fn timers_follow_the_configured_timeouts() {
    let mut d = Driver::new();
    d.timeouts = StepTimeouts {
        authorize_customer_ms: 1_500,
        ..StepTimeouts::uniform(7_000)
    };
    let t = d.feed(order_created(vec![]));
    let timer = t.timer.unwrap();
    assert_eq!(
        (timer.step, timer.fire_at),
        (
            SagaStep::AuthorizeCustomer,
            Timestamp::from_millis(d.now + 1_500)
        )
    );
    let t = d.succeed();
    assert_eq!(
        t.timer.unwrap().fire_at,
        Timestamp::from_millis(d.now + 7_000)
    );
}

#[test]
fn rejections_by_table() {
    // An ApproveOrder timeout is not a rejection (it used to compensate: the bug where an order
    // approved meanwhile had its payment voided); see saga_pivot.rs.
    // (case, steps succeeded before the failure, failure reply?, expected commands after the failure
    //  until finished, expected reason)
    let cases: Vec<(&str, usize, bool, Vec<&str>, &str)> = vec![
        (
            "customer not authorized",
            0,
            true,
            vec!["reject_order"],
            "customer_not_authorized",
        ),
        (
            "shopping list refused",
            1,
            true,
            vec!["reject_order"],
            "shopping_list_failed",
        ),
        (
            "payment declined",
            2,
            true,
            vec!["cancel_shopping_list", "reject_order"],
            "payment_declined",
        ),
        (
            "initiate refused",
            3,
            true,
            vec!["void_payment", "cancel_shopping_list", "reject_order"],
            "shopping_not_initiated",
        ),
        (
            "approval refused",
            4,
            true,
            vec!["void_payment", "cancel_shopping_list", "reject_order"],
            "approval_failed",
        ),
        (
            "customer timeout",
            0,
            false,
            vec!["reject_order"],
            "timeout",
        ),
        (
            "shopping list timeout",
            1,
            false,
            vec!["cancel_shopping_list", "reject_order"],
            "timeout",
        ),
        (
            "payment timeout",
            2,
            false,
            vec!["void_payment", "cancel_shopping_list", "reject_order"],
            "timeout",
        ),
        (
            "initiate timeout",
            3,
            false,
            vec!["void_payment", "cancel_shopping_list", "reject_order"],
            "timeout",
        ),
    ];
    for (case, succeeded, by_reply, expected, reason) in cases {
        let (mut d, _) = Driver::started();
        for _ in 0..succeeded {
            d.succeed();
        }
        let mut t = if by_reply {
            d.fail("handler.said_no")
        } else {
            d.time_out()
        };
        let mut emitted = names(&t);
        while !t.finished {
            assert_eq!(t.commands.len(), 1, "{case}: one compensation at a time");
            assert!(t.timer.is_some(), "{case}: a compensation awaits its reply");
            t = d.succeed();
            emitted.extend(names(&t));
        }
        assert_eq!(emitted, expected, "{case}");
        let state = d.state.as_ref().unwrap();
        assert_eq!(state.phase, SagaPhase::Rejected, "{case}");
        match t.commands.last() {
            Some(SagaCommand::RejectOrder {
                reason: r,
                order_id: o,
                ..
            }) => {
                assert_eq!((r.as_str(), *o), (reason, order_id()), "{case}")
            }
            other => panic!("{case}: ended with {other:?}"),
        }
    }
}

#[test]
fn product_unavailable_rejects_at_once() {
    let mut d = Driver::new();
    let gone = mallbots_domain::ProductId::for_sku(store(), "GONE");
    let t = d.feed(order_created(vec![gone]));
    assert!(t.finished && t.timer.is_none());
    assert_eq!(names(&t), vec!["reject_order"]);
    match &t.commands[0] {
        SagaCommand::RejectOrder { reason, .. } => assert_eq!(reason, "product_unavailable"),
        other => panic!("{other:?}"),
    }
    assert!(t.state.failure_detail.unwrap().contains(&gone.to_string()));
}

#[test]
fn invalid_orders_are_rejected_at_once() {
    let cases = [
        ("blank token", "payment_missing"),
        ("no items", "invalid_order"),
        ("zero total", "invalid_order"),
    ];
    for (case, reason) in cases {
        let mut kind = order_created(vec![]);
        if let mallbots_domain::saga::SagaInputKind::OrderCreated {
            payment_token,
            items,
            total,
            ..
        } = &mut kind
        {
            match case {
                "blank token" => *payment_token = "  ".into(),
                "no items" => items.clear(),
                _ => *total = Money::usd(0),
            }
        }
        let t = Driver::new().feed(kind);
        assert!(t.finished, "{case}");
        assert!(
            matches!(&t.commands[..], [SagaCommand::RejectOrder { reason: r, .. }] if r == reason),
            "{case}: {:?}",
            t.commands
        );
    }
}

#[test]
fn a_failed_compensation_still_moves_on() {
    let (mut d, _) = Driver::started();
    d.run_to(SagaStep::AuthorizePayment);
    let t = d.fail("payment.declined");
    assert_eq!(names(&t), vec!["cancel_shopping_list"]);
    let t = d.fail("list.not_found");
    assert_eq!(names(&t), vec!["reject_order"]);
    assert!(t.finished);
}

#[test]
fn a_compensation_that_times_out_is_retried_then_given_up() {
    let (mut d, _) = Driver::started();
    d.timeouts.max_compensation_attempts = 2;
    d.run_to(SagaStep::AuthorizePayment);
    d.fail("payment.declined");
    let first = d.state.as_ref().unwrap().commands[0].command_id();
    let t = d.time_out();
    assert_eq!(names(&t), vec!["cancel_shopping_list"]);
    assert_ne!(
        t.commands[0].command_id(),
        first,
        "a retry is a new emission"
    );
    let t = d.time_out();
    assert_eq!(names(&t), vec!["reject_order"]);
    assert!(t.finished);
}

#[test]
fn steps_are_named_in_snake_case_and_chain_in_table_order() {
    let json = serde_json::to_string(&SagaStep::CreateShoppingList).unwrap();
    assert_eq!(json, r#""create_shopping_list""#);
    assert_eq!(
        SagaStep::ALL.iter().map(|s| s.index()).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert_eq!(
        SagaStep::ValidateOrder.next(),
        Some(SagaStep::AuthorizeCustomer)
    );
    assert_eq!(SagaStep::ApproveOrder.next(), None);
    let compensated: Vec<_> = SagaStep::ALL
        .iter()
        .filter(|s| s.has_compensation())
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        compensated,
        vec![
            "validate_order",
            "create_shopping_list",
            "authorize_payment"
        ]
    );
    for step in SagaStep::ALL {
        assert_eq!(serde_json::to_string(&step).unwrap(), format!("\"{step}\""));
    }
}
