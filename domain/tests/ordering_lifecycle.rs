//! Given / when / then tests of an order's creation and its pending → approved → in_progress → ready → completed (or rejected) transitions.

mod ordering_support;

use ordering_support::*;

#[test]
fn create_order() {
    let order = AggregateTest::<Order>::given_no_history()
        .when(create(items(), Money::usd(620), " tok "))
        .then([created()]);
    assert!(order.exists());
    assert_eq!(order.status(), OrderStatus::Pending);
    assert_eq!(order.id(), order_id());
    assert_eq!(order.customer_id(), customer_id());
    assert_eq!(order.device_id(), Some("kiosk-1"));
    assert_eq!(order.total(), Money::usd(620));
    assert_eq!(order.items().len(), 3);
    assert_eq!(order.payment_token(), "tok");
    let stores = order.store_ids();
    assert_eq!(stores.len(), 2, "distinct stores: {stores:?}");
}

#[test]
fn create_order_from_a_checked_out_basket_keeps_the_basket_id() {
    let basket_id = BasketId::from_uuid(Uuid::from_u128(0xB0));
    let line = items()[0].clone();
    let basket_item = BasketItem {
        product_id: line.product_id,
        store_id: line.store_id,
        store_name: line.store_name.clone(),
        product_name: line.product_name.clone(),
        price: line.price,
        quantity: line.quantity,
    };
    let checked_out = BasketEvent::BasketCheckedOut {
        basket_id,
        customer_id: customer_id(),
        payment: "tok".into(),
        items: vec![basket_item],
        total: Money::usd(500),
        at: at(1),
    };
    let command = OrderCommand::from_checkout(
        &checked_out,
        Some("kiosk-1".into()),
        Some(PICKUP_CODE.into()),
    )
    .unwrap();
    assert_eq!(command, create(vec![line], Money::usd(500), "tok"));
    let started = BasketEvent::BasketStarted {
        basket_id,
        customer_id: None,
        device_id: None,
        at: at(0),
    };
    assert_eq!(OrderCommand::from_checkout(&started, None, None), None);
}

#[test]
fn create_order_needs_items_with_positive_quantities() {
    AggregateTest::<Order>::given_no_history()
        .when(create(vec![], Money::usd(0), "tok"))
        .then_error(OrderError::NoItems);
    AggregateTest::<Order>::given_no_history()
        .when(create(vec![item(1, "A", 250, 0)], Money::usd(0), "tok"))
        .then_error(OrderError::QuantityNotPositive);
}

#[test]
fn create_order_needs_a_matching_total() {
    AggregateTest::<Order>::given_no_history()
        .when(create(items(), Money::usd(621), "tok"))
        .then_error(OrderError::TotalMismatch);
    let eur = Currency::parse("EUR").unwrap();
    AggregateTest::<Order>::given_no_history()
        .when(create(items(), Money::new(620, eur), "tok"))
        .then_error(OrderError::TotalMismatch);
}

#[test]
fn create_order_needs_a_payment() {
    AggregateTest::<Order>::given_no_history()
        .when(create(items(), Money::usd(620), ""))
        .then_error_code("order.payment_missing");
}

#[test]
fn an_order_takes_a_six_digit_pickup_code_or_none() {
    for bad in ["12345", "1234567", "12345a", "", "١٢٣٤٥٦"] {
        let mut command = create(items(), Money::usd(620), "tok");
        if let OrderCommand::CreateOrder { pickup_code, .. } = &mut command {
            *pickup_code = Some(bad.into());
        }
        AggregateTest::<Order>::given_no_history()
            .when(command)
            .then_error_code("order.pickup_code_invalid");
    }
    let mut without = create(items(), Money::usd(620), "tok");
    if let OrderCommand::CreateOrder { pickup_code, .. } = &mut without {
        *pickup_code = None;
    }
    let order = AggregateTest::<Order>::given_no_history()
        .when(without)
        .result()
        .unwrap();
    assert!(matches!(
        &order[0],
        OrderEvent::OrderCreated {
            pickup_code: None,
            ..
        }
    ));
    use mallbots_domain::ordering::{normalized_code, pickup_code_from};
    assert_eq!(pickup_code_from(42), "000042");
    assert_eq!(pickup_code_from(1_234_567), "234567");
    assert_eq!(normalized_code(" 042-517 "), "042517");
}

#[test]
fn commands_on_a_missing_order_are_not_found() {
    AggregateTest::<Order>::given_no_history()
        .when(OrderCommand::ApproveOrder { at: at(2) })
        .then_error(OrderError::NotFound);
}

#[test]
fn reject_a_pending_order() {
    let order = AggregateTest::<Order>::given([created()])
        .when(OrderCommand::RejectOrder {
            reason: "product_unavailable".into(),
            at: at(2),
        })
        .then([OrderEvent::OrderRejected {
            order_id: order_id(),
            reason: "product_unavailable".into(),
            at: at(2),
        }]);
    assert_eq!(order.status(), OrderStatus::Rejected);
    assert_eq!(order.rejection_reason(), Some("product_unavailable"));
}

#[test]
fn only_a_pending_order_can_be_rejected_and_with_a_reason() {
    AggregateTest::<Order>::given([created(), approved()])
        .when(OrderCommand::RejectOrder {
            reason: "x".into(),
            at: at(3),
        })
        .then_error(OrderError::RejectNotPending {
            status: OrderStatus::Approved,
        });
    AggregateTest::<Order>::given([created()])
        .when(OrderCommand::RejectOrder {
            reason: " ".into(),
            at: at(3),
        })
        .then_error(OrderError::ReasonBlank);
}

#[test]
fn approve_a_pending_order() {
    let order = AggregateTest::<Order>::given([created()])
        .when(OrderCommand::ApproveOrder { at: at(2) })
        .then([approved()]);
    assert_eq!(order.status(), OrderStatus::Approved);
}

#[test]
fn start_shopping_an_approved_order() {
    let order = AggregateTest::<Order>::given([created(), approved()])
        .when(OrderCommand::StartShopping {
            list_id: list_id(),
            bot_id: bot_id(),
            at: at(3),
        })
        .then([shopping()]);
    assert_eq!(order.status(), OrderStatus::InProgress);
    assert_eq!(
        (order.shopping_list_id(), order.bot_id()),
        (Some(list_id()), Some(bot_id()))
    );
}

#[test]
fn shopping_cannot_start_before_approval() {
    AggregateTest::<Order>::given([created()])
        .when(OrderCommand::StartShopping {
            list_id: list_id(),
            bot_id: bot_id(),
            at: at(3),
        })
        .then_error(OrderError::StartShoppingNotApproved {
            status: OrderStatus::Pending,
        });
}

#[test]
fn ready_an_order_being_shopped() {
    let order = AggregateTest::<Order>::given([created(), approved(), shopping()])
        .when(OrderCommand::ReadyOrder {
            total: Money::usd(620),
            at: at(4),
        })
        .then([readied()]);
    assert_eq!(order.status(), OrderStatus::Ready);
    assert_eq!(order.ready_total(), Some(Money::usd(620)));
}

#[test]
fn ready_needs_shopping_in_progress_and_a_non_negative_total() {
    AggregateTest::<Order>::given([created(), approved()])
        .when(OrderCommand::ReadyOrder {
            total: Money::usd(620),
            at: at(4),
        })
        .then_error(OrderError::ReadyNotInProgress {
            status: OrderStatus::Approved,
        });
    AggregateTest::<Order>::given([created(), approved(), shopping()])
        .when(OrderCommand::ReadyOrder {
            total: Money::usd(-1),
            at: at(4),
        })
        .then_error(OrderError::AmountNegative);
}

#[test]
fn complete_a_ready_order() {
    let order = AggregateTest::<Order>::given([created(), approved(), shopping(), readied()])
        .when(OrderCommand::CompleteOrder {
            invoice_id: invoice_id(),
            at: at(7),
        })
        .then([OrderEvent::OrderCompleted {
            order_id: order_id(),
            invoice_id: invoice_id(),
            at: at(7),
        }]);
    assert_eq!(order.status(), OrderStatus::Completed);
    assert_eq!(order.invoice_id(), Some(invoice_id()));
}

#[test]
fn only_a_ready_order_can_be_completed() {
    AggregateTest::<Order>::given([created(), approved(), shopping()])
        .when(OrderCommand::CompleteOrder {
            invoice_id: invoice_id(),
            at: at(7),
        })
        .then_error(OrderError::CompleteNotReady {
            status: OrderStatus::InProgress,
        });
}

#[test]
fn status_serializes_snake_case() {
    let json = serde_json::to_string(&OrderStatus::InProgress).unwrap();
    assert_eq!(json, "\"in_progress\"");
    assert_eq!(OrderStatus::InProgress.as_str(), "in_progress");
    let by = serde_json::to_value(CancelledBy::Admin).unwrap();
    assert_eq!(by, "admin");
    assert_eq!(Order::STREAM_TYPE, "order");
    assert_eq!(
        OrderError::CancelAfterShoppingFinished.code(),
        "order.cancel_after_shopping_finished"
    );
}

#[test]
fn create_order_twice_is_refused() {
    AggregateTest::<Order>::given([created()])
        .when(create(items(), Money::usd(620), "tok"))
        .then_error(OrderError::AlreadyExists);
}

#[test]
fn create_order_refuses_negative_prices() {
    AggregateTest::<Order>::given_no_history()
        .when(create(vec![item(1, "A", -250, 1)], Money::usd(-250), "tok"))
        .then_error_code("order.amount_negative");
}

#[test]
fn approve_twice_is_refused() {
    AggregateTest::<Order>::given([created(), approved()])
        .when(OrderCommand::ApproveOrder { at: at(3) })
        .then_error_code("order.approve_not_pending");
}
