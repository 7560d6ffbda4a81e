//! Given / when / then tests of how a cart ends: checkout, cancellation by the customer and abandonment when idle.

mod baskets_support;

use baskets_support::*;

#[test]
fn cancel_basket_by_the_customer() {
    let basket = AggregateTest::<Basket>::given([started()])
        .when(BasketCommand::CancelBasket { at: at(5) })
        .then([BasketEvent::BasketCanceled {
            basket_id: basket_id(),
            reason: BasketCancelReason::Customer,
            at: at(5),
        }]);
    assert_eq!(basket.status(), BasketStatus::Canceled);
    assert_eq!(basket.cancel_reason(), Some(BasketCancelReason::Customer));
}

#[test]
fn check_out_uses_the_customer_given_at_start() {
    let start = BasketEvent::BasketStarted {
        basket_id: basket_id(),
        customer_id: Some(customer_id()),
        device_id: None,
        at: at(1),
    };
    let events = AggregateTest::<Basket>::given([start, added("A", 1, 1, 2)])
        .when(BasketCommand::CheckOut {
            customer_id: None,
            payment: "tok".into(),
            at: at(3),
        })
        .result()
        .unwrap();
    assert!(
        matches!(&events[..], [BasketEvent::BasketCheckedOut { customer_id: c, .. }] if *c == customer_id())
    );
}

#[test]
fn check_out_needs_a_customer() {
    AggregateTest::<Basket>::given([started(), added("A", 1, 1, 2)])
        .when(BasketCommand::CheckOut {
            customer_id: None,
            payment: "tok".into(),
            at: at(3),
        })
        .then_error(BasketError::CustomerMissing);
}

#[test]
fn check_out_of_an_empty_cart_is_refused() {
    AggregateTest::<Basket>::given([started()])
        .when(checkout("tok"))
        .then_error_code("basket.empty");
}

#[test]
fn check_out_of_a_cart_emptied_again_is_refused() {
    let removed = BasketEvent::BasketItemRemoved {
        basket_id: basket_id(),
        product_id: ProductId::for_sku(store_id(), "A"),
        quantity: 1,
        at: at(3),
    };
    AggregateTest::<Basket>::given([started(), added("A", 1, 1, 2), removed])
        .when(checkout("tok"))
        .then_error(BasketError::Empty);
}

#[test]
fn check_out_needs_a_payment() {
    AggregateTest::<Basket>::given([started(), added("A", 1, 1, 2)])
        .when(checkout("   "))
        .then_error_code("basket.payment_missing");
}

#[test]
fn no_edits_after_check_out_or_cancel() {
    let checked_out = BasketEvent::BasketCheckedOut {
        basket_id: basket_id(),
        customer_id: customer_id(),
        payment: "tok".into(),
        items: vec![],
        total: Money::usd(1),
        at: at(3),
    };
    let canceled = BasketEvent::BasketCanceled {
        basket_id: basket_id(),
        reason: BasketCancelReason::Abandoned,
        at: at(3),
    };
    for end in [checked_out, canceled] {
        for command in [
            add("A", 1, 1),
            BasketCommand::RemoveItem {
                product_id: ProductId::for_sku(store_id(), "A"),
                quantity: 1,
                at: at(4),
            },
            BasketCommand::CancelBasket { at: at(4) },
            BasketCommand::AbandonIfIdle {
                idle_for_ms: 0,
                now: at(10_000),
            },
            checkout("tok"),
        ] {
            AggregateTest::<Basket>::given([started(), added("A", 1, 1, 2), end.clone()])
                .when(command)
                .then_error(BasketError::NotOpen);
        }
    }
}

#[test]
fn an_idle_cart_is_abandoned() {
    let basket = AggregateTest::<Basket>::given([started(), added("A", 1, 1, 2_000)])
        .when(BasketCommand::AbandonIfIdle {
            idle_for_ms: 60_000,
            now: at(62_000),
        })
        .then([BasketEvent::BasketCanceled {
            basket_id: basket_id(),
            reason: BasketCancelReason::Abandoned,
            at: at(62_000),
        }]);
    assert_eq!(basket.cancel_reason(), Some(BasketCancelReason::Abandoned));
}

#[test]
fn a_recently_used_cart_is_not_abandoned() {
    AggregateTest::<Basket>::given([started(), added("A", 1, 1, 2_000)])
        .when(BasketCommand::AbandonIfIdle {
            idle_for_ms: 60_000,
            now: at(61_999),
        })
        .then_error(BasketError::NotIdle);
}

#[test]
fn abandonment_needs_a_non_negative_idle_period() {
    AggregateTest::<Basket>::given([started()])
        .when(BasketCommand::AbandonIfIdle {
            idle_for_ms: -1,
            now: at(5_000),
        })
        .then_error(BasketError::IdlePeriodNegative);
}

#[test]
fn error_codes_are_namespaced() {
    let errors = [
        BasketError::AlreadyStarted,
        BasketError::NotStarted,
        BasketError::NotOpen,
        BasketError::QuantityNotPositive,
        BasketError::StoreNotParticipating,
        BasketError::ProductUnavailable,
        BasketError::PriceNegative,
        BasketError::CurrencyMismatch,
        BasketError::TotalOverflow,
        BasketError::ItemNotInBasket,
        BasketError::QuantityExceedsItem,
        BasketError::Empty,
        BasketError::PaymentMissing,
        BasketError::CustomerMissing,
        BasketError::NotIdle,
        BasketError::IdlePeriodNegative,
    ];
    let mut codes: Vec<&str> = errors.iter().map(ErrorCode::code).collect();
    assert!(codes.iter().all(|c| c.starts_with("basket.")));
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(Basket::STREAM_TYPE, "basket");
}

#[test]
fn check_out_snapshots_items_and_total() {
    let history = [started(), added("A", 250, 2, 2), added("B", 100, 1, 3)];
    let snapshot = Basket::from_events(&history).items().to_vec();
    let basket = AggregateTest::<Basket>::given(history)
        .when(checkout(" tok_visa_4242 "))
        .then([BasketEvent::BasketCheckedOut {
            basket_id: basket_id(),
            customer_id: customer_id(),
            payment: "tok_visa_4242".into(),
            items: snapshot,
            total: Money::usd(600),
            at: at(9_000),
        }]);
    assert_eq!(basket.status(), BasketStatus::CheckedOut);
    assert_eq!(basket.payment(), Some("tok_visa_4242"));
    assert_eq!(basket.customer_id(), Some(customer_id()));
}

#[test]
fn cancel_events_have_a_pinned_wire_format() {
    let event = BasketEvent::BasketCanceled {
        basket_id: basket_id(),
        reason: BasketCancelReason::Abandoned,
        at: at(7),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "type": "BasketCanceled",
            "basket_id": "00000000-0000-0000-0000-0000000000b0",
            "reason": "abandoned",
            "at": 7
        })
    );
    let command = BasketCommand::AbandonIfIdle {
        idle_for_ms: 5,
        now: at(7),
    };
    let json = serde_json::to_value(&command).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type": "AbandonIfIdle", "idle_for_ms": 5, "now": 7})
    );
}
