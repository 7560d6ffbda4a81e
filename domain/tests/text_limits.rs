//! Free text entered by people is bounded and free of control characters in every context that
//! takes it (stores, products, customers, cart checkout): each limit is inclusive, counted in
//! characters (a 2-byte `Ω` counts once), and each breach has its own code. Keeps one event far
//! below the NATS `max_payload` whatever a manager or a kiosk types.

use mallbots_domain::baskets::{self, Basket, BasketCommand, BasketEvent};
use mallbots_domain::customers::{self, Customer, CustomerCommand};
use mallbots_domain::products::{self, Product, ProductCommand, ProductEvent};
use mallbots_domain::stores::{self, Store, StoreCommand, StoreEvent};
use mallbots_domain::{Aggregate, BasketId, CustomerId, ErrorCode, Money, ProductId};
use mallbots_domain::{StoreId, Timestamp};
use uuid::Uuid;

fn at() -> Timestamp {
    Timestamp::from_millis(1)
}

fn store_id() -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(0x5701))
}

/// `n` two-byte characters.
fn omegas(n: usize) -> String {
    "Ω".repeat(n)
}

fn create_store(name: &str, location: &str) -> Result<Vec<StoreEvent>, String> {
    let command = StoreCommand::CreateStore {
        store_id: store_id(),
        name: name.into(),
        location: location.into(),
        at: at(),
    };
    Store::default()
        .decide(&command)
        .map_err(|e| e.code().to_owned())
}

fn created_store() -> Store {
    let mut store = Store::default();
    for event in create_store("Corner", "L1").unwrap() {
        store.apply(&event);
    }
    store
}

#[test]
fn store_name_and_location_are_bounded() {
    let max = stores::MAX_NAME_CHARS;
    assert_eq!(max, 120);
    assert!(create_store(&omegas(max), "L1").is_ok());
    assert_eq!(
        create_store(&omegas(max + 1), "L1").unwrap_err(),
        "store.name_too_long"
    );
    // Surrounding whitespace does not count.
    assert!(create_store(&format!("  {}  ", omegas(max)), "L1").is_ok());
    let loc = stores::MAX_LOCATION_CHARS;
    assert!(create_store("S", &omegas(loc)).is_ok());
    assert_eq!(
        create_store("S", &omegas(loc + 1)).unwrap_err(),
        "store.location_too_long"
    );
    let huge = "x".repeat(1024 * 1024);
    assert_eq!(
        create_store(&huge, "L1").unwrap_err(),
        "store.name_too_long"
    );
    let rebrand = StoreCommand::RebrandStore {
        name: omegas(max + 1),
        at: at(),
    };
    let err = created_store().decide(&rebrand).unwrap_err();
    assert_eq!(err.code(), "store.name_too_long");
    assert!(err.to_string().contains("120"), "{err}");
}

#[test]
fn store_text_refuses_control_characters() {
    for bad in ["Tea\0Time", "Line\nBreak", "Esc\u{1b}[2J", "Del\u{7f}"] {
        assert_eq!(create_store(bad, "L1").unwrap_err(), "store.name_invalid");
        assert_eq!(
            create_store("S", bad).unwrap_err(),
            "store.location_invalid"
        );
    }
    let rebrand = StoreCommand::RebrandStore {
        name: "A\0B".into(),
        at: at(),
    };
    assert_eq!(
        created_store().decide(&rebrand).unwrap_err().code(),
        "store.name_invalid"
    );
    // Unicode text that is not a control character is fine.
    for good in [
        "\u{202e}gnp.exe\u{202c}",
        "🛒 Tea 👩‍👩‍👧‍👦",
        "Cafe\u{301}",
        "<b>x</b>",
    ] {
        assert!(create_store(good, good).is_ok(), "{good:?}");
    }
}

fn add_product(sku: &str, name: &str, description: &str) -> Result<Vec<ProductEvent>, String> {
    let command = ProductCommand::AddProduct {
        store_id: store_id(),
        sku: sku.into(),
        name: name.into(),
        description: description.into(),
        price: Money::usd(100),
        store_exists: true,
        store_removed: false,
        at: at(),
    };
    Product::default()
        .decide(&command)
        .map_err(|e| e.code().to_owned())
}

#[test]
fn product_sku_name_and_description_are_bounded() {
    let (sku, name, desc) = (
        products::MAX_SKU_CHARS,
        products::MAX_NAME_CHARS,
        products::MAX_DESCRIPTION_CHARS,
    );
    assert_eq!((sku, name, desc), (64, 120, 2_000));
    assert!(add_product(&omegas(sku), &omegas(name), &omegas(desc)).is_ok());
    let cases = [
        (
            omegas(sku + 1),
            omegas(1),
            String::new(),
            "product.sku_too_long",
        ),
        (
            omegas(1),
            omegas(name + 1),
            String::new(),
            "product.name_too_long",
        ),
        (
            omegas(1),
            omegas(1),
            omegas(desc + 1),
            "product.description_too_long",
        ),
    ];
    for (s, n, d, code) in cases {
        assert_eq!(add_product(&s, &n, &d).unwrap_err(), code);
    }
}

#[test]
fn product_text_refuses_control_characters_but_descriptions_keep_line_breaks() {
    assert_eq!(
        add_product("A\0", "N", "").unwrap_err(),
        "product.sku_invalid"
    );
    assert_eq!(
        add_product("A\nB", "N", "").unwrap_err(),
        "product.sku_invalid"
    );
    assert_eq!(
        add_product("A", "N\0", "").unwrap_err(),
        "product.name_invalid"
    );
    assert_eq!(
        add_product("A", "N", "d\0").unwrap_err(),
        "product.description_invalid"
    );
    let events = add_product("A", "N", "line one\nline two\ttabbed").unwrap();
    assert!(
        matches!(&events[0], ProductEvent::ProductAdded { description, .. }
        if description == "line one\nline two\ttabbed")
    );
}

#[test]
fn product_rebrand_is_bounded_too() {
    let mut product = Product::default();
    for event in add_product("A", "N", "").unwrap() {
        product.apply(&event);
    }
    assert_eq!(product.id(), ProductId::for_sku(store_id(), "A"));
    let rebrand = |name: String, description: String| ProductCommand::RebrandProduct {
        name,
        description,
        at: at(),
    };
    let err = |c| product.decide(&c).unwrap_err().code();
    assert_eq!(
        err(rebrand(omegas(121), String::new())),
        "product.name_too_long"
    );
    assert_eq!(
        err(rebrand("N".into(), omegas(2_001))),
        "product.description_too_long"
    );
    assert_eq!(
        err(rebrand("N".into(), "a\u{0}b".into())),
        "product.description_invalid"
    );
    assert!(product.decide(&rebrand(omegas(120), omegas(2_000))).is_ok());
}

fn register(name: &str) -> Result<(), String> {
    let command = CustomerCommand::RegisterCustomer {
        customer_id: CustomerId::from_uuid(Uuid::from_u128(0xC0)),
        name: name.into(),
        sms_number: "+15550104477".into(),
        at: at(),
    };
    Customer::default()
        .decide(&command)
        .map(drop)
        .map_err(|e| e.code().to_owned())
}

#[test]
fn customer_name_is_bounded_and_single_line() {
    assert_eq!(customers::MAX_NAME_CHARS, 120);
    assert!(register(&omegas(120)).is_ok());
    assert_eq!(
        register(&omegas(121)).unwrap_err(),
        "customer.name_too_long"
    );
    assert_eq!(register("Ada\0").unwrap_err(), "customer.name_invalid");
    assert_eq!(
        register("Ada\r\nEvil").unwrap_err(),
        "customer.name_invalid"
    );
    assert_eq!(register("   ").unwrap_err(), "customer.name_blank");
}

#[test]
fn card_token_is_bounded_and_single_line() {
    assert_eq!(baskets::MAX_PAYMENT_CHARS, 128);
    let product = ProductId::for_sku(store_id(), "A");
    let history = [
        BasketEvent::BasketStarted {
            basket_id: BasketId::from_uuid(Uuid::from_u128(0xB0)),
            customer_id: Some(CustomerId::from_uuid(Uuid::from_u128(0xC0))),
            device_id: None,
            at: at(),
        },
        BasketEvent::BasketItemAdded {
            basket_id: BasketId::from_uuid(Uuid::from_u128(0xB0)),
            product_id: product,
            store_id: store_id(),
            store_name: "S".into(),
            product_name: "A".into(),
            price: Money::usd(100),
            quantity: 1,
            at: at(),
        },
    ];
    let mut basket = Basket::default();
    for event in &history {
        basket.apply(event);
    }
    let checkout = |payment: String| {
        basket
            .decide(&BasketCommand::CheckOut {
                customer_id: None,
                payment,
                at: at(),
            })
            .map_err(|e| e.code())
    };
    let events = checkout(format!(" {} ", "t".repeat(128))).unwrap();
    assert!(
        matches!(&events[0], BasketEvent::BasketCheckedOut { payment, .. }
        if payment.len() == 128)
    );
    assert_eq!(
        checkout("t".repeat(129)).unwrap_err(),
        "basket.payment_too_long"
    );
    assert_eq!(
        checkout("x".repeat(1024 * 1024)).unwrap_err(),
        "basket.payment_too_long"
    );
    assert_eq!(
        checkout("tok\0".into()).unwrap_err(),
        "basket.payment_invalid"
    );
    assert_eq!(
        checkout("tok\nx".into()).unwrap_err(),
        "basket.payment_invalid"
    );
    assert_eq!(checkout(" ".into()).unwrap_err(), "basket.payment_missing");
}
