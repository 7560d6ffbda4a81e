//! Shared fixtures of the ordering aggregate tests.
#![allow(dead_code, unused_imports)]

pub use mallbots_domain::baskets::{BasketEvent, BasketItem};
pub use mallbots_domain::ordering::{
    CancelledBy, Order, OrderCommand, OrderError, OrderEvent, OrderItem, OrderStatus,
};
pub use mallbots_domain::testing::AggregateTest;
pub use mallbots_domain::{Aggregate, BasketId, BotId, Currency, CustomerId, ErrorCode, InvoiceId};
pub use mallbots_domain::{Money, OrderId, ProductId, ShoppingListId, StoreId, Timestamp};
pub use uuid::Uuid;

pub fn order_id() -> OrderId {
    OrderId::from(BasketId::from_uuid(Uuid::from_u128(0xB0)))
}

pub fn customer_id() -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0xC0))
}

pub fn list_id() -> ShoppingListId {
    ShoppingListId::from_uuid(Uuid::from_u128(0x11))
}

pub fn bot_id() -> BotId {
    BotId::from_uuid(Uuid::from_u128(0xB07))
}

pub fn invoice_id() -> InvoiceId {
    InvoiceId::from_uuid(Uuid::from_u128(0x1A))
}

pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

pub fn item(store: u128, sku: &str, cents: i64, quantity: i64) -> OrderItem {
    let store_id = StoreId::from_uuid(Uuid::from_u128(store));
    OrderItem {
        product_id: ProductId::for_sku(store_id, sku),
        store_id,
        store_name: format!("Store {store}"),
        product_name: sku.into(),
        price: Money::usd(cents),
        quantity,
    }
}

pub fn items() -> Vec<OrderItem> {
    vec![
        item(1, "A", 250, 2),
        item(2, "B", 100, 1),
        item(1, "C", 5, 4),
    ]
}

/// The pickup code of the orders made here.
pub const PICKUP_CODE: &str = "042517";

pub fn create(items: Vec<OrderItem>, total: Money, payment: &str) -> OrderCommand {
    OrderCommand::CreateOrder {
        order_id: order_id(),
        customer_id: customer_id(),
        device_id: Some("kiosk-1".into()),
        items,
        total,
        payment_token: payment.into(),
        pickup_code: Some(PICKUP_CODE.into()),
        at: at(1),
    }
}

pub fn created() -> OrderEvent {
    OrderEvent::OrderCreated {
        order_id: order_id(),
        customer_id: customer_id(),
        device_id: Some("kiosk-1".into()),
        items: items(),
        total: Money::usd(620),
        payment_token: "tok".into(),
        pickup_code: Some(PICKUP_CODE.into()),
        at: at(1),
    }
}

pub fn approved() -> OrderEvent {
    OrderEvent::OrderApproved {
        order_id: order_id(),
        at: at(2),
    }
}

pub fn shopping() -> OrderEvent {
    OrderEvent::OrderShoppingStarted {
        order_id: order_id(),
        list_id: list_id(),
        bot_id: bot_id(),
        at: at(3),
    }
}

pub fn readied() -> OrderEvent {
    OrderEvent::OrderReadied {
        order_id: order_id(),
        total: Money::usd(620),
        at: at(4),
    }
}

pub fn requested() -> OrderEvent {
    OrderEvent::OrderCancellationRequested {
        order_id: order_id(),
        reason: "changed my mind".into(),
        at: at(5),
    }
}

pub fn cancel(by: CancelledBy) -> OrderCommand {
    OrderCommand::CancelOrder {
        reason: "customer request".into(),
        by,
        at: at(6),
    }
}
