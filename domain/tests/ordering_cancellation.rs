//! Given / when / then tests of order cancellation: a kiosk's request, central's cancel or refusal, and the rule that nothing is canceled once shopping has finished.

mod ordering_support;

use ordering_support::*;

#[test]
fn a_kiosk_requests_cancellation() {
    let order = AggregateTest::<Order>::given([created(), approved()])
        .when(OrderCommand::RequestCancellation {
            reason: " changed my mind ".into(),
            at: at(5),
        })
        .then([requested()]);
    assert!(order.cancellation_requested());
    assert_eq!(order.cancellation_request_reason(), Some("changed my mind"));
    assert_eq!(
        order.status(),
        OrderStatus::Approved,
        "a request does not cancel by itself"
    );
}

#[test]
fn a_second_request_while_one_is_unanswered_is_refused() {
    AggregateTest::<Order>::given([created(), requested()])
        .when(OrderCommand::RequestCancellation {
            reason: "".into(),
            at: at(6),
        })
        .then_error(OrderError::CancellationAlreadyRequested);
}

#[test]
fn no_cancellation_request_once_shopping_finished() {
    AggregateTest::<Order>::given([created(), approved(), shopping(), readied()])
        .when(OrderCommand::RequestCancellation {
            reason: "".into(),
            at: at(6),
        })
        .then_error(OrderError::CancelAfterShoppingFinished);
}

#[test]
fn central_cancels_an_order_being_shopped() {
    let order = AggregateTest::<Order>::given([created(), approved(), shopping(), requested()])
        .when(cancel(CancelledBy::Customer))
        .then([OrderEvent::OrderCanceled {
            order_id: order_id(),
            reason: "customer request".into(),
            by: CancelledBy::Customer,
            at: at(6),
        }]);
    assert_eq!(order.status(), OrderStatus::Canceled);
    assert_eq!(order.canceled_by(), Some(CancelledBy::Customer));
    assert_eq!(order.cancel_reason(), Some("customer request"));
    assert!(!order.cancellation_requested());
}

#[test]
fn an_admin_cancels_a_pending_order() {
    let order = AggregateTest::<Order>::given([created()])
        .when(cancel(CancelledBy::Admin))
        .result()
        .unwrap();
    assert_eq!(
        order[0].clone(),
        OrderEvent::OrderCanceled {
            order_id: order_id(),
            reason: "customer request".into(),
            by: CancelledBy::Admin,
            at: at(6),
        }
    );
}

#[test]
fn cancel_after_shopping_finished_is_refused() {
    for history in [
        vec![created(), approved(), shopping(), readied()],
        vec![
            created(),
            approved(),
            shopping(),
            readied(),
            OrderEvent::OrderCompleted {
                order_id: order_id(),
                invoice_id: invoice_id(),
                at: at(7),
            },
        ],
    ] {
        AggregateTest::<Order>::given(history)
            .when(cancel(CancelledBy::Admin))
            .then_error_code("order.cancel_after_shopping_finished");
    }
}

#[test]
fn a_closed_order_cannot_be_canceled_again() {
    let canceled = OrderEvent::OrderCanceled {
        order_id: order_id(),
        reason: "x".into(),
        by: CancelledBy::Admin,
        at: at(6),
    };
    AggregateTest::<Order>::given([created(), canceled])
        .when(cancel(CancelledBy::Admin))
        .then_error(OrderError::AlreadyClosed {
            status: OrderStatus::Canceled,
        });
}

#[test]
fn cancel_needs_a_reason() {
    AggregateTest::<Order>::given([created()])
        .when(OrderCommand::CancelOrder {
            reason: "".into(),
            by: CancelledBy::Admin,
            at: at(6),
        })
        .then_error(OrderError::ReasonBlank);
}

#[test]
fn central_refuses_a_late_cancellation_request() {
    let order =
        AggregateTest::<Order>::given([created(), approved(), shopping(), requested(), readied()])
            .when(OrderCommand::RefuseCancellation {
                reason: "shopping finished".into(),
                at: at(8),
            })
            .then([OrderEvent::OrderCancelRefused {
                order_id: order_id(),
                reason: "shopping finished".into(),
                at: at(8),
            }]);
    assert!(!order.cancellation_requested());
    assert_eq!(order.refusal_reason(), Some("shopping finished"));
    assert_eq!(order.status(), OrderStatus::Ready);
}

#[test]
fn refusing_without_a_request_is_refused() {
    AggregateTest::<Order>::given([created()])
        .when(OrderCommand::RefuseCancellation {
            reason: "no".into(),
            at: at(8),
        })
        .then_error(OrderError::NoCancellationRequested);
}

#[test]
fn canceled_events_have_a_pinned_wire_format() {
    let event = OrderEvent::OrderCanceled {
        order_id: order_id(),
        reason: "out of stock".into(),
        by: CancelledBy::Admin,
        at: at(6),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "type": "OrderCanceled",
            "order_id": "00000000-0000-0000-0000-0000000000b0",
            "reason": "out of stock",
            "by": "admin",
            "at": 6
        })
    );
}
