//! Shared fixtures of the baskets aggregate tests.
#![allow(dead_code, unused_imports)]

pub use mallbots_domain::baskets::{
    Basket, BasketCancelReason, BasketCommand, BasketError, BasketEvent, BasketItem, BasketStatus,
    ProductFacts,
};
pub use mallbots_domain::testing::AggregateTest;
pub use mallbots_domain::{Aggregate, BasketId, Currency, CustomerId, ErrorCode, Money};
pub use mallbots_domain::{ProductId, StoreId, Timestamp};
pub use uuid::Uuid;

pub fn basket_id() -> BasketId {
    BasketId::from_uuid(Uuid::from_u128(0xB0))
}

pub fn customer_id() -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0xC0))
}

pub fn store_id() -> StoreId {
    StoreId::from_uuid(Uuid::from_u128(0x5701))
}

pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

pub fn facts(sku: &str, cents: i64) -> ProductFacts {
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

pub fn started() -> BasketEvent {
    BasketEvent::BasketStarted {
        basket_id: basket_id(),
        customer_id: None,
        device_id: Some("kiosk-1".into()),
        at: at(1_000),
    }
}

pub fn added(sku: &str, cents: i64, quantity: i64, ms: i64) -> BasketEvent {
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

pub fn add(sku: &str, cents: i64, quantity: i64) -> BasketCommand {
    BasketCommand::AddItem {
        product: facts(sku, cents),
        quantity,
        at: at(2_000),
    }
}

pub fn checkout(payment: &str) -> BasketCommand {
    BasketCommand::CheckOut {
        customer_id: Some(customer_id()),
        payment: payment.into(),
        at: at(9_000),
    }
}
