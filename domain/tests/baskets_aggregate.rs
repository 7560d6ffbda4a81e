//! Given / when / then tests of the `Basket` aggregate (the kiosk cart): items, totals,
//! checkout, cancellation and abandonment.

use mallbots_domain::baskets::{
    Basket, BasketCancelReason, BasketCommand, BasketError, BasketEvent, BasketItem, BasketStatus,
    ProductFacts,
};
use mallbots_domain::testing::AggregateTest;
use mallbots_domain::{Aggregate, BasketId, Currency, CustomerId, ErrorCode, Money};
use mallbots_domain::{ProductId, StoreId, Timestamp};
use uuid::Uuid;

fn basket_id() -> BasketId {
    BasketId::from_uuid(Uuid::from_u128(0xB0))
}

fn customer_id() -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0xC0))
}

fn store_id() -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(0x5701))
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn facts(sku: &str, cents: i64) -> ProductFacts {
    ProductFacts {
        product_id: ProductId::for_sku(store_id(), sku),
        store_id: store_id(),
        store_name: "Books & Co".into(),
        product_name: format!("Book {sku}"),
        price: Money::usd(cents),
        store_participating: true,
        product_available: true,
    }
}

fn started() -> BasketEvent {
    BasketEvent::BasketStarted {
        basket_id: basket_id(),
        customer_id: None,
        device_id: Some("kiosk-1".into()),
        at: at(1_000),
    }
}

fn added(sku: &str, cents: i64, quantity: i64, ms: i64) -> BasketEvent {
    let f = facts(sku, cents);
    BasketEvent::BasketItemAdded {
        basket_id: basket_id(),
        product_id: f.product_id,
        store_id: f.store_id,
        store_name: f.store_name,
        product_name: f.product_name,
        price: f.price,
        quantity,
        at: at(ms),
    }
}

fn add(sku: &str, cents: i64, quantity: i64) -> BasketCommand {
    BasketCommand::AddItem {
        product: facts(sku, cents),
        quantity,
        at: at(2_000),
    }
}

fn checkout(payment: &str) -> BasketCommand {
    BasketCommand::CheckOut {
        customer_id: Some(customer_id()),
        payment: payment.into(),
        at: at(9_000),
    }
}

#[test]
fn start_basket() {
    let basket = AggregateTest::<Basket>::given_no_history()
        .when(BasketCommand::StartBasket {
            basket_id: basket_id(),
            customer_id: None,
            device_id: Some("kiosk-1".into()),
            at: at(1_000),
        })
        .then([started()]);
    assert_eq!(basket.status(), BasketStatus::Open);
    assert_eq!(basket.id(), basket_id());
    assert_eq!(basket.device_id(), Some("kiosk-1"));
    assert_eq!(basket.total(), Money::usd(0));
    assert_eq!(
        (basket.started_at(), basket.last_activity()),
        (at(1_000), at(1_000))
    );
}

#[test]
fn start_basket_twice_is_refused() {
    AggregateTest::<Basket>::given([started()])
        .when(BasketCommand::StartBasket {
            basket_id: basket_id(),
            customer_id: None,
            device_id: None,
            at: at(2),
        })
        .then_error(BasketError::AlreadyStarted);
}

#[test]
fn commands_before_start_are_refused() {
    AggregateTest::<Basket>::given_no_history()
        .when(add("A", 100, 1))
        .then_error(BasketError::NotStarted);
}

#[test]
fn add_item_recomputes_the_total() {
    let basket = AggregateTest::<Basket>::given([started()])
        .when(add("A", 250, 3))
        .then([added("A", 250, 3, 2_000)]);
    assert_eq!(basket.total(), Money::usd(750));
    assert_eq!(basket.items().len(), 1);
    assert_eq!(basket.quantity_of(ProductId::for_sku(store_id(), "A")), 3);
    assert_eq!(basket.last_activity(), at(2_000));
}

#[test]
fn adding_a_product_again_adds_quantity_at_the_latest_price() {
    let basket = AggregateTest::<Basket>::given([started(), added("A", 250, 3, 1_500)])
        .when(add("A", 300, 2))
        .then([added("A", 300, 2, 2_000)]);
    assert_eq!(basket.items().len(), 1);
    let item: &BasketItem = &basket.items()[0];
    assert_eq!((item.quantity, item.price), (5, Money::usd(300)));
    assert_eq!(basket.total(), Money::usd(1_500));
    assert_eq!(basket.item_count(), 5);
}

#[test]
fn items_keep_the_order_they_were_first_added_in() {
    let basket = Basket::from_events(&[
        started(),
        added("B", 100, 1, 2),
        added("A", 200, 1, 3),
        added("B", 100, 1, 4),
    ]);
    let names: Vec<&str> = basket
        .items()
        .iter()
        .map(|i| i.product_name.as_str())
        .collect();
    assert_eq!(names, ["Book B", "Book A"]);
    assert_eq!(basket.total(), Money::usd(400));
}

#[test]
fn add_item_needs_a_positive_quantity() {
    for quantity in [0, -2] {
        AggregateTest::<Basket>::given([started()])
            .when(add("A", 100, quantity))
            .then_error(BasketError::QuantityNotPositive);
    }
}

#[test]
fn only_participating_stores_products_can_be_added() {
    let mut product = facts("A", 100);
    product.store_participating = false;
    AggregateTest::<Basket>::given([started()])
        .when(BasketCommand::AddItem {
            product,
            quantity: 1,
            at: at(2),
        })
        .then_error_code("basket.store_not_participating");
}

#[test]
fn removed_products_cannot_be_added() {
    let mut product = facts("A", 100);
    product.product_available = false;
    AggregateTest::<Basket>::given([started()])
        .when(BasketCommand::AddItem {
            product,
            quantity: 1,
            at: at(2),
        })
        .then_error(BasketError::ProductUnavailable);
}

#[test]
fn negative_prices_are_refused() {
    AggregateTest::<Basket>::given([started()])
        .when(add("A", -1, 1))
        .then_error(BasketError::PriceNegative);
}

#[test]
fn a_cart_holds_one_currency() {
    let mut product = facts("B", 100);
    product.price = Money::new(100, Currency::parse("EUR").unwrap());
    AggregateTest::<Basket>::given([started(), added("A", 100, 1, 2)])
        .when(BasketCommand::AddItem {
            product,
            quantity: 1,
            at: at(3),
        })
        .then_error(BasketError::CurrencyMismatch);
}

#[test]
fn a_total_that_would_overflow_is_refused() {
    AggregateTest::<Basket>::given([started(), added("A", i64::MAX / 2, 1, 2)])
        .when(add("B", i64::MAX / 2, 2))
        .then_error(BasketError::TotalOverflow);
}

#[test]
fn remove_some_of_an_item() {
    let basket = AggregateTest::<Basket>::given([started(), added("A", 250, 3, 2)])
        .when(BasketCommand::RemoveItem {
            product_id: ProductId::for_sku(store_id(), "A"),
            quantity: 2,
            at: at(3_000),
        })
        .then([BasketEvent::BasketItemRemoved {
            basket_id: basket_id(),
            product_id: ProductId::for_sku(store_id(), "A"),
            quantity: 2,
            at: at(3_000),
        }]);
    assert_eq!(basket.total(), Money::usd(250));
    assert_eq!(basket.last_activity(), at(3_000));
}

#[test]
fn removing_all_of_an_item_drops_the_line() {
    let pid = ProductId::for_sku(store_id(), "A");
    let basket =
        AggregateTest::<Basket>::given([started(), added("A", 250, 3, 2), added("B", 5, 1, 3)])
            .when(BasketCommand::RemoveItem {
                product_id: pid,
                quantity: 3,
                at: at(4),
            })
            .then([BasketEvent::BasketItemRemoved {
                basket_id: basket_id(),
                product_id: pid,
                quantity: 3,
                at: at(4),
            }]);
    assert!(basket.item(pid).is_none());
    assert_eq!(basket.items().len(), 1);
    assert_eq!(basket.total(), Money::usd(5));
}

#[test]
fn removing_a_product_not_in_the_cart_is_refused() {
    AggregateTest::<Basket>::given([started()])
        .when(BasketCommand::RemoveItem {
            product_id: ProductId::for_sku(store_id(), "A"),
            quantity: 1,
            at: at(2),
        })
        .then_error(BasketError::ItemNotInBasket);
}

#[test]
fn removing_more_than_present_is_refused() {
    AggregateTest::<Basket>::given([started(), added("A", 250, 3, 2)])
        .when(BasketCommand::RemoveItem {
            product_id: ProductId::for_sku(store_id(), "A"),
            quantity: 4,
            at: at(3),
        })
        .then_error(BasketError::QuantityExceedsItem);
}

#[test]
fn removing_a_non_positive_quantity_is_refused() {
    AggregateTest::<Basket>::given([started(), added("A", 250, 3, 2)])
        .when(BasketCommand::RemoveItem {
            product_id: ProductId::for_sku(store_id(), "A"),
            quantity: 0,
            at: at(3),
        })
        .then_error(BasketError::QuantityNotPositive);
}

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
