//! Property tests of the stores, products, customers, baskets and ordering aggregates:
//! the cart total is always Σ price × quantity, state folded from decided events equals state
//! folded from their serde round trip, and every event's JSON `type` tag is its `event_type()`.

use mallbots_domain::baskets::{Basket, BasketCommand, ProductFacts};
use mallbots_domain::customers::{Customer, CustomerCommand};
use mallbots_domain::ordering::{CancelledBy, Order, OrderCommand, OrderEvent, OrderItem};
use mallbots_domain::products::{Product, ProductCommand};
use mallbots_domain::stores::{Store, StoreCommand};
use mallbots_domain::{execute, Aggregate, DomainEvent, Money, Timestamp};
use mallbots_domain::{BasketId, BotId, CustomerId, InvoiceId, OrderId, ProductId};
use mallbots_domain::{ShoppingListId, StoreId};
use proptest::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

const STORE: StoreId = StoreId::from_uuid(Uuid::from_u128(0x5701));

fn product(index: u8) -> ProductId {
    ProductId::for_sku(STORE, &format!("SKU-{index}"))
}

fn facts(index: u8, cents: i64) -> ProductFacts {
    ProductFacts {
        product_id: product(index),
        store_id: STORE,
        store_name: "Store".into(),
        product_name: format!("Product {index}"),
        price: Money::usd(cents),
        store_participating: true,
        product_available: true,
    }
}

fn round_trip<T: Serialize + DeserializeOwned>(value: &T) -> T {
    serde_json::from_value(serde_json::to_value(value).expect("serializes")).expect("deserializes")
}

/// Runs the commands (skipping rejected ones) and checks the folding and serde invariants.
fn check_consistency<A>(commands: &[A::Command]) -> A
where
    A: Aggregate + PartialEq,
    A::Command: Serialize + DeserializeOwned + PartialEq,
{
    let mut state = A::default();
    let mut log: Vec<A::Event> = Vec::new();
    for command in commands {
        assert_eq!(&round_trip(command), command, "command serde round trip");
        if let Ok((next, events)) = execute(&state, command) {
            state = next;
            log.extend(events);
        }
    }
    assert_eq!(A::from_events(&log), state, "fold of decided events");
    let reloaded: Vec<A::Event> = log.iter().map(round_trip).collect();
    assert_eq!(reloaded, log, "event serde round trip");
    assert_eq!(
        A::from_events(&reloaded),
        state,
        "fold of round-tripped events"
    );
    for event in &log {
        let json = serde_json::to_value(event).unwrap();
        assert_eq!(json["type"], event.event_type(), "type tag of {event:?}");
        assert_eq!(event.schema_version(), 1);
        assert!(json.get("at").is_some(), "every event carries `at`: {json}");
    }
    state
}

fn at() -> impl Strategy<Value = Timestamp> {
    (0i64..1_000_000).prop_map(Timestamp::from_millis)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("  ".to_owned()),
        "[a-zA-Z ]{1,12}"
    ]
}

fn store_command() -> impl Strategy<Value = StoreCommand> {
    prop_oneof![
        (text(), text(), at()).prop_map(|(name, location, at)| StoreCommand::CreateStore {
            store_id: STORE,
            name,
            location,
            at
        }),
        (text(), at()).prop_map(|(name, at)| StoreCommand::RebrandStore { name, at }),
        at().prop_map(|at| StoreCommand::EnableParticipation { at }),
        at().prop_map(|at| StoreCommand::DisableParticipation { at }),
        at().prop_map(|at| StoreCommand::EnableAutomatedShopping { at }),
        at().prop_map(|at| StoreCommand::DisableAutomatedShopping { at }),
        at().prop_map(|at| StoreCommand::RemoveStore { at }),
    ]
}

fn product_command() -> impl Strategy<Value = ProductCommand> {
    let cents = -100i64..50_000;
    prop_oneof![
        (text(), cents.clone(), any::<bool>(), any::<bool>(), at()).prop_map(
            |(name, price, store_exists, store_removed, at)| ProductCommand::AddProduct {
                store_id: STORE,
                sku: "SKU-1".into(),
                name,
                description: "d".into(),
                price: Money::usd(price),
                store_exists,
                store_removed,
                at,
            }
        ),
        (text(), at()).prop_map(|(name, at)| ProductCommand::RebrandProduct {
            name,
            description: String::new(),
            at
        }),
        (cents.clone(), at()).prop_map(|(c, at)| ProductCommand::ChangePrice {
            new_price: Money::usd(c),
            at
        }),
        (cents.clone(), at()).prop_map(|(c, at)| ProductCommand::IncreasePrice {
            by: Money::usd(c),
            at
        }),
        (cents, at()).prop_map(|(c, at)| ProductCommand::DecreasePrice {
            by: Money::usd(c),
            at
        }),
        at().prop_map(|at| ProductCommand::RemoveProduct { at }),
    ]
}

fn customer_command() -> impl Strategy<Value = CustomerCommand> {
    let sms = prop_oneof![
        Just("+1 555 010 4477"),
        Just("5550199"),
        Just("12"),
        Just("55x0199")
    ];
    prop_oneof![
        (text(), sms.clone(), at()).prop_map(|(name, sms, at)| {
            CustomerCommand::RegisterCustomer {
                customer_id: CustomerId::from_uuid(Uuid::from_u128(7)),
                name,
                sms_number: sms.into(),
                at,
            }
        }),
        (sms, at()).prop_map(|(sms, at)| CustomerCommand::ChangeSmsNumber {
            sms_number: sms.into(),
            at
        }),
        at().prop_map(|at| CustomerCommand::AuthorizeCustomer { at }),
        at().prop_map(|at| CustomerCommand::EnableCustomer { at }),
        at().prop_map(|at| CustomerCommand::DisableCustomer { at }),
    ]
}

fn basket_command() -> impl Strategy<Value = BasketCommand> {
    prop_oneof![
        1 => at().prop_map(|at| BasketCommand::StartBasket {
            basket_id: BasketId::from_uuid(Uuid::from_u128(0xB0)),
            customer_id: None,
            device_id: Some("kiosk".into()),
            at,
        }),
        4 => (0u8..4, 0i64..10_000, -1i64..8, any::<bool>(), at()).prop_map(
            |(i, cents, quantity, participating, at)| {
                let mut product = facts(i, cents);
                product.store_participating = participating;
                BasketCommand::AddItem { product, quantity, at }
            }
        ),
        2 => (0u8..4, -1i64..8, at()).prop_map(|(i, quantity, at)| BasketCommand::RemoveItem {
            product_id: product(i),
            quantity,
            at
        }),
        1 => at().prop_map(|at| BasketCommand::CancelBasket { at }),
        1 => (0i64..500_000, at())
            .prop_map(|(idle_for_ms, now)| BasketCommand::AbandonIfIdle { idle_for_ms, now }),
        1 => (prop_oneof![Just(""), Just("tok")], at()).prop_map(|(payment, at)| {
            BasketCommand::CheckOut {
                customer_id: Some(CustomerId::from_uuid(Uuid::from_u128(7))),
                payment: payment.into(),
                at,
            }
        }),
    ]
}

fn order_command() -> impl Strategy<Value = OrderCommand> {
    let reason = prop_oneof![Just(""), Just("because")];
    let by = prop_oneof![Just(CancelledBy::Customer), Just(CancelledBy::Admin)];
    prop_oneof![
        (1i64..5, 0i64..5_000, any::<bool>(), at()).prop_map(|(quantity, cents, exact, at)| {
            let item = OrderItem {
                product_id: product(1),
                store_id: STORE,
                store_name: "Store".into(),
                product_name: "P".into(),
                price: Money::usd(cents),
                quantity,
            };
            let total = Money::usd(cents * quantity + i64::from(!exact));
            OrderCommand::CreateOrder {
                order_id: OrderId::from_uuid(Uuid::from_u128(0xB0)),
                customer_id: CustomerId::from_uuid(Uuid::from_u128(7)),
                device_id: None,
                pickup_code: None,
                items: vec![item],
                total,
                payment_token: "tok".into(),
                at,
            }
        }),
        (reason.clone(), at()).prop_map(|(r, at)| OrderCommand::RejectOrder {
            reason: r.into(),
            at
        }),
        at().prop_map(|at| OrderCommand::ApproveOrder { at }),
        at().prop_map(|at| OrderCommand::StartShopping {
            list_id: ShoppingListId::from_uuid(Uuid::from_u128(1)),
            bot_id: BotId::from_uuid(Uuid::from_u128(2)),
            at,
        }),
        (0i64..5_000, at()).prop_map(|(c, at)| OrderCommand::ReadyOrder {
            total: Money::usd(c),
            at
        }),
        at().prop_map(|at| OrderCommand::CompleteOrder {
            invoice_id: InvoiceId::from_uuid(Uuid::from_u128(3)),
            at
        }),
        (reason.clone(), at()).prop_map(|(r, at)| OrderCommand::RequestCancellation {
            reason: r.into(),
            at
        }),
        (reason.clone(), by, at()).prop_map(|(r, by, at)| OrderCommand::CancelOrder {
            reason: r.into(),
            by,
            at
        }),
        (reason, at()).prop_map(|(r, at)| OrderCommand::RefuseCancellation {
            reason: r.into(),
            at
        }),
    ]
}

/// The independent model of a cart: product → (unit price, quantity).
fn model_total(model: &BTreeMap<ProductId, (i64, i64)>) -> i64 {
    model
        .values()
        .map(|(price, quantity)| price * quantity)
        .sum()
}

proptest! {
    #[test]
    fn basket_total_is_the_sum_of_price_times_quantity(commands in prop::collection::vec(basket_command(), 0..40)) {
        let mut basket = Basket::default();
        let mut model: BTreeMap<ProductId, (i64, i64)> = BTreeMap::new();
        for command in &commands {
            let Ok((next, _)) = execute(&basket, command) else { continue };
            if next.is_open() {
                match command {
                    BasketCommand::AddItem { product, quantity, .. } => {
                        let line = model.entry(product.product_id).or_insert((0, 0));
                        *line = (product.price.cents, line.1 + quantity);
                    }
                    BasketCommand::RemoveItem { product_id, quantity, .. } => {
                        let line = model.get_mut(product_id).expect("removed item was in the model");
                        line.1 -= quantity;
                        if line.1 == 0 {
                            model.remove(product_id);
                        }
                    }
                    _ => {}
                }
            }
            basket = next;
            let sum: i64 = basket.items().iter().map(|i| i.price.cents * i.quantity).sum();
            prop_assert_eq!(basket.total(), Money::usd(sum));
            prop_assert_eq!(sum, model_total(&model));
            prop_assert!(basket.items().iter().all(|i| i.quantity > 0));
            prop_assert_eq!(basket.items().len(), model.len());
        }
    }

    #[test]
    fn store_state_is_consistent(commands in prop::collection::vec(store_command(), 0..30)) {
        let store: Store = check_consistency(&commands);
        prop_assert!(!(store.is_removed() && store.participating()));
    }

    #[test]
    fn product_state_is_consistent(commands in prop::collection::vec(product_command(), 0..30)) {
        let product: Product = check_consistency(&commands);
        prop_assert!(!product.price().is_negative(), "price never below zero");
    }

    #[test]
    fn customer_state_is_consistent(commands in prop::collection::vec(customer_command(), 0..30)) {
        let customer: Customer = check_consistency(&commands);
        if customer.is_registered() {
            let digits = customer.sms_number().trim_start_matches('+');
            prop_assert!((7..=15).contains(&digits.len()));
        }
    }

    #[test]
    fn basket_state_is_consistent(commands in prop::collection::vec(basket_command(), 0..40)) {
        check_consistency::<Basket>(&commands);
    }

    #[test]
    fn order_state_is_consistent(commands in prop::collection::vec(order_command(), 0..30)) {
        check_consistency::<Order>(&commands);
    }

    #[test]
    fn a_closed_order_only_answers_a_pending_request(commands in prop::collection::vec(order_command(), 0..40)) {
        let mut order = Order::default();
        for command in &commands {
            let Ok((next, events)) = execute(&order, command) else { continue };
            if order.exists() && order.status().is_closed() {
                let refusal_only = events.iter().all(|e| matches!(e, OrderEvent::OrderCancelRefused { .. }));
                prop_assert!(refusal_only, "closed order {:?} emitted {:?}", order.status(), events);
            }
            order = next;
        }
    }
}
