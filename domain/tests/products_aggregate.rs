//! Given / when / then tests of the `Product` aggregate: catalog adds, rebrands, price changes
//! and removal, with every rule's rejection.

use mallbots_domain::products::{Product, ProductCommand, ProductError, ProductEvent};
use mallbots_domain::testing::AggregateTest;
use mallbots_domain::{Aggregate, Currency, ErrorCode, Money, ProductId, StoreId, Timestamp};
use uuid::Uuid;

fn store_id() -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(0x5701))
}

fn product_id() -> ProductId {
    ProductId::for_sku(store_id(), "BK-001")
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn add(sku: &str, name: &str, price: Money) -> ProductCommand {
    ProductCommand::AddProduct {
        store_id: store_id(),
        sku: sku.into(),
        name: name.into(),
        description: " A novel ".into(),
        price,
        store_exists: true,
        store_removed: false,
        at: at(1),
    }
}

fn added() -> ProductEvent {
    ProductEvent::ProductAdded {
        product_id: product_id(),
        store_id: store_id(),
        sku: "BK-001".into(),
        name: "Dune".into(),
        description: "A novel".into(),
        price: Money::usd(1999),
        at: at(1),
    }
}

fn removed() -> ProductEvent {
    ProductEvent::ProductRemoved {
        product_id: product_id(),
        store_id: store_id(),
        at: at(3),
    }
}

fn increased(delta: i64, price: i64, ms: i64) -> ProductEvent {
    ProductEvent::ProductPriceIncreased {
        product_id: product_id(),
        store_id: store_id(),
        delta: Money::usd(delta),
        price: Money::usd(price),
        at: at(ms),
    }
}

fn decreased(delta: i64, price: i64, ms: i64) -> ProductEvent {
    ProductEvent::ProductPriceDecreased {
        product_id: product_id(),
        store_id: store_id(),
        delta: Money::usd(delta),
        price: Money::usd(price),
        at: at(ms),
    }
}

#[test]
fn add_product_derives_its_id_from_store_and_sku() {
    let command = add(" BK-001 ", " Dune ", Money::usd(1999));
    assert_eq!(command.product_id(), Some(product_id()));
    let product = AggregateTest::<Product>::given_no_history()
        .when(command)
        .then([added()]);
    assert_eq!(product.id(), product_id());
    assert_eq!(product.store_id(), store_id());
    assert_eq!(
        (product.sku(), product.name(), product.description()),
        ("BK-001", "Dune", "A novel")
    );
    assert_eq!(product.price(), Money::usd(1999));
    assert!(product.is_available());
}

#[test]
fn adding_a_sku_the_store_already_sells_is_refused() {
    AggregateTest::<Product>::given([added()])
        .when(add("BK-001", "Dune again", Money::usd(10)))
        .then_error(ProductError::SkuTaken);
}

#[test]
fn a_removed_sku_may_be_added_again() {
    let product = AggregateTest::<Product>::given([added(), removed()])
        .when(add("BK-001", "Dune", Money::usd(1999)))
        .then([added()]);
    assert!(product.is_available() && !product.is_removed());
}

#[test]
fn add_product_needs_an_existing_store() {
    let mut command = add("BK-001", "Dune", Money::usd(1));
    if let ProductCommand::AddProduct { store_exists, .. } = &mut command {
        *store_exists = false;
    }
    AggregateTest::<Product>::given_no_history()
        .when(command)
        .then_error(ProductError::StoreNotFound);
}

#[test]
fn add_product_to_a_removed_store_is_refused() {
    let mut command = add("BK-001", "Dune", Money::usd(1));
    if let ProductCommand::AddProduct { store_removed, .. } = &mut command {
        *store_removed = true;
    }
    AggregateTest::<Product>::given_no_history()
        .when(command)
        .then_error_code("product.store_removed");
}

#[test]
fn add_product_rejects_blank_sku_blank_name_and_negative_price() {
    AggregateTest::<Product>::given_no_history()
        .when(add("  ", "Dune", Money::usd(1)))
        .then_error(ProductError::SkuBlank);
    AggregateTest::<Product>::given_no_history()
        .when(add("BK-001", "", Money::usd(1)))
        .then_error(ProductError::NameBlank);
    AggregateTest::<Product>::given_no_history()
        .when(add("BK-001", "Dune", Money::usd(-1)))
        .then_error(ProductError::PriceNegative);
}

#[test]
fn a_free_product_is_allowed() {
    let product = AggregateTest::<Product>::given_no_history()
        .when(add("BK-001", "Dune", Money::usd(0)))
        .result()
        .expect("price 0 is not negative");
    assert_eq!(product.len(), 1);
}

#[test]
fn rebrand_product() {
    let product = AggregateTest::<Product>::given([added()])
        .when(ProductCommand::RebrandProduct {
            name: "Dune (paperback)".into(),
            description: "".into(),
            at: at(2),
        })
        .then([ProductEvent::ProductRebranded {
            product_id: product_id(),
            store_id: store_id(),
            name: "Dune (paperback)".into(),
            description: "".into(),
            at: at(2),
        }]);
    assert_eq!(product.name(), "Dune (paperback)");
    assert_eq!(product.description(), "");
}

#[test]
fn rebrand_product_rejects_blank_name() {
    AggregateTest::<Product>::given([added()])
        .when(ProductCommand::RebrandProduct {
            name: " ".into(),
            description: "x".into(),
            at: at(2),
        })
        .then_error(ProductError::NameBlank);
}

#[test]
fn commands_on_a_missing_product_are_not_found() {
    AggregateTest::<Product>::given_no_history()
        .when(ProductCommand::ChangePrice {
            new_price: Money::usd(5),
            at: at(2),
        })
        .then_error(ProductError::NotFound);
}

#[test]
fn change_price_up_emits_an_increase_by_the_difference() {
    let product = AggregateTest::<Product>::given([added()])
        .when(ProductCommand::ChangePrice {
            new_price: Money::usd(2499),
            at: at(2),
        })
        .then([increased(500, 2499, 2)]);
    assert_eq!(product.price(), Money::usd(2499));
}

#[test]
fn change_price_down_emits_a_decrease_by_the_difference() {
    let product = AggregateTest::<Product>::given([added()])
        .when(ProductCommand::ChangePrice {
            new_price: Money::usd(999),
            at: at(2),
        })
        .then([decreased(1000, 999, 2)]);
    assert_eq!(product.price(), Money::usd(999));
}

#[test]
fn change_price_rejects_same_price_negative_price_and_other_currency() {
    AggregateTest::<Product>::given([added()])
        .when(ProductCommand::ChangePrice {
            new_price: Money::usd(1999),
            at: at(2),
        })
        .then_error(ProductError::PriceUnchanged);
    AggregateTest::<Product>::given([added()])
        .when(ProductCommand::ChangePrice {
            new_price: Money::usd(-1),
            at: at(2),
        })
        .then_error(ProductError::PriceNegative);
    let eur = Currency::parse("EUR").unwrap();
    AggregateTest::<Product>::given([added()])
        .when(ProductCommand::ChangePrice {
            new_price: Money::new(1000, eur),
            at: at(2),
        })
        .then_error(ProductError::CurrencyMismatch);
}

#[test]
fn increase_price() {
    let product = AggregateTest::<Product>::given([added()])
        .when(ProductCommand::IncreasePrice {
            by: Money::usd(1),
            at: at(2),
        })
        .then([increased(1, 2000, 2)]);
    assert_eq!(product.price(), Money::usd(2000));
}

#[test]
fn an_increase_must_increase() {
    for by in [0, -100] {
        AggregateTest::<Product>::given([added()])
            .when(ProductCommand::IncreasePrice {
                by: Money::usd(by),
                at: at(2),
            })
            .then_error(ProductError::IncreaseNotPositive);
    }
}

#[test]
fn an_increase_that_overflows_is_refused() {
    AggregateTest::<Product>::given([added()])
        .when(ProductCommand::IncreasePrice {
            by: Money::usd(i64::MAX),
            at: at(2),
        })
        .then_error(ProductError::PriceOverflow);
}

#[test]
fn decrease_price_down_to_zero() {
    let product = AggregateTest::<Product>::given([added()])
        .when(ProductCommand::DecreasePrice {
            by: Money::usd(1999),
            at: at(2),
        })
        .then([decreased(1999, 0, 2)]);
    assert_eq!(product.price(), Money::usd(0));
}

#[test]
fn a_decrease_must_be_positive_and_not_go_below_zero() {
    AggregateTest::<Product>::given([added()])
        .when(ProductCommand::DecreasePrice {
            by: Money::usd(0),
            at: at(2),
        })
        .then_error(ProductError::DecreaseNotPositive);
    AggregateTest::<Product>::given([added(), decreased(1000, 999, 2)])
        .when(ProductCommand::DecreasePrice {
            by: Money::usd(1000),
            at: at(3),
        })
        .then_error(ProductError::PriceNegative);
}

#[test]
fn remove_product() {
    let product = AggregateTest::<Product>::given([added()])
        .when(ProductCommand::RemoveProduct { at: at(3) })
        .then([removed()]);
    assert!(product.is_removed() && !product.is_available() && product.exists());
}

#[test]
fn a_removed_product_accepts_no_edits() {
    for command in [
        ProductCommand::RebrandProduct {
            name: "X".into(),
            description: "".into(),
            at: at(4),
        },
        ProductCommand::IncreasePrice {
            by: Money::usd(1),
            at: at(4),
        },
        ProductCommand::RemoveProduct { at: at(4) },
    ] {
        AggregateTest::<Product>::given([added(), removed()])
            .when(command)
            .then_error(ProductError::Removed);
    }
}

#[test]
fn error_codes_are_namespaced() {
    let errors = [
        ProductError::SkuTaken,
        ProductError::SkuBlank,
        ProductError::NameBlank,
        ProductError::PriceNegative,
        ProductError::CurrencyMismatch,
        ProductError::PriceUnchanged,
        ProductError::IncreaseNotPositive,
        ProductError::DecreaseNotPositive,
        ProductError::PriceOverflow,
        ProductError::StoreNotFound,
        ProductError::StoreRemoved,
        ProductError::NotFound,
        ProductError::Removed,
    ];
    let mut codes: Vec<&str> = errors.iter().map(ErrorCode::code).collect();
    assert!(codes.iter().all(|c| c.starts_with("product.")));
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(ProductError::SkuTaken.code(), "product.sku_taken");
    assert_eq!(Product::STREAM_TYPE, "product");
}

#[test]
fn price_events_have_a_pinned_wire_format() {
    let json = serde_json::to_value(increased(500, 2499, 2)).unwrap();
    assert_eq!(json["type"], "ProductPriceIncreased");
    assert_eq!(
        json["delta"],
        serde_json::json!({"cents": 500, "currency": "USD"})
    );
    assert_eq!(
        json["price"],
        serde_json::json!({"cents": 2499, "currency": "USD"})
    );
    assert_eq!(json["product_id"], product_id().to_string());
    assert_eq!(json["store_id"], store_id().to_string());
    assert_eq!(json["at"], 2);
}
