//! Given / when / then tests of a cart's start and item edits: quantities, participation, availability, currency and re-computed totals.

mod baskets_support;

use baskets_support::*;

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
