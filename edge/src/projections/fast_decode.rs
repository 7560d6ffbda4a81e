//! A faster decoder for the event types that make up most of a rebuild's log or bytes
//! (BasketItemAdded, BasketCheckedOut, OrderCreated).
//!
//! The domain enums are internally tagged (`"type"`), which serde decodes by first buffering
//! the whole object into an intermediate tree; for these types that is half of a rebuild's
//! time. When the row's `event_type` names one of them and its schema version is current, the
//! payload is decoded straight into a struct with exactly the variant's fields (the domain's
//! own field types) and the variant is built from it. The struct refuses unknown fields and the
//! tag must match, so any payload it does not take goes to the domain's decoder, which stays
//! the authority; building the variant by name makes a field added to the domain a compile
//! error here.

use mallbots_domain::baskets::{BasketEvent, BasketItem};
use mallbots_domain::ordering::{OrderEvent, OrderItem};
use mallbots_domain::{BasketId, CustomerId, Money, OrderId, ProductId, StoreId, Timestamp};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemAdded<'a> {
    #[serde(rename = "type", borrow)]
    tag: Cow<'a, str>,
    basket_id: BasketId,
    product_id: ProductId,
    store_id: StoreId,
    store_name: String,
    product_name: String,
    price: Money,
    quantity: i64,
    at: Timestamp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckedOut<'a> {
    #[serde(rename = "type", borrow)]
    tag: Cow<'a, str>,
    basket_id: BasketId,
    customer_id: CustomerId,
    payment: String,
    items: Vec<BasketItem>,
    total: Money,
    at: Timestamp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderCreated<'a> {
    #[serde(rename = "type", borrow)]
    tag: Cow<'a, str>,
    order_id: OrderId,
    customer_id: CustomerId,
    device_id: Option<String>,
    items: Vec<OrderItem>,
    total: Money,
    payment_token: String,
    at: Timestamp,
}

/// A BasketItemAdded or BasketCheckedOut payload, or `None` (use the domain's decoder).
pub(super) fn basket(event_type: &str, payload: &str) -> Option<BasketEvent> {
    match event_type {
        "BasketItemAdded" => {
            let e: ItemAdded<'_> = serde_json::from_str(payload).ok()?;
            (e.tag == event_type).then_some(BasketEvent::BasketItemAdded {
                basket_id: e.basket_id,
                product_id: e.product_id,
                store_id: e.store_id,
                store_name: e.store_name,
                product_name: e.product_name,
                price: e.price,
                quantity: e.quantity,
                at: e.at,
            })
        }
        "BasketCheckedOut" => {
            let e: CheckedOut<'_> = serde_json::from_str(payload).ok()?;
            (e.tag == event_type).then_some(BasketEvent::BasketCheckedOut {
                basket_id: e.basket_id,
                customer_id: e.customer_id,
                payment: e.payment,
                items: e.items,
                total: e.total,
                at: e.at,
            })
        }
        _ => None,
    }
}

/// An OrderCreated payload, or `None` (use the domain's decoder).
pub(super) fn order(event_type: &str, payload: &str) -> Option<OrderEvent> {
    if event_type != "OrderCreated" {
        return None;
    }
    let e: OrderCreated<'_> = serde_json::from_str(payload).ok()?;
    (e.tag == event_type).then_some(OrderEvent::OrderCreated {
        order_id: e.order_id,
        customer_id: e.customer_id,
        device_id: e.device_id,
        items: e.items,
        total: e.total,
        payment_token: e.payment_token,
        at: e.at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mallbots_domain::DomainEvent;

    fn ids() -> (BasketId, ProductId, StoreId) {
        (
            BasketId(uuid::Uuid::now_v7()),
            ProductId(uuid::Uuid::now_v7()),
            StoreId(uuid::Uuid::now_v7()),
        )
    }

    #[test]
    fn decodes_what_the_domain_encodes_and_declines_anything_else() {
        let (basket_id, product_id, store_id) = ids();
        let added = BasketEvent::BasketItemAdded {
            basket_id,
            product_id,
            store_id,
            store_name: "S \"quoted\" é".to_owned(),
            product_name: "P".to_owned(),
            price: Money::usd(250),
            quantity: 3,
            at: Timestamp(7),
        };
        let json = serde_json::to_string(&added).unwrap();
        assert_eq!(basket(added.event_type(), &json), Some(added.clone()));
        let checked_out = BasketEvent::BasketCheckedOut {
            basket_id,
            customer_id: CustomerId(uuid::Uuid::now_v7()),
            payment: "tok".to_owned(),
            items: vec![BasketItem {
                product_id,
                store_id,
                store_name: "S".to_owned(),
                product_name: "P".to_owned(),
                price: Money::usd(250),
                quantity: 3,
            }],
            total: Money::usd(750),
            at: Timestamp(9),
        };
        let out = serde_json::to_string(&checked_out).unwrap();
        assert_eq!(basket(checked_out.event_type(), &out), Some(checked_out));
        assert_eq!(basket("BasketStarted", &json), None);
        let extra = json.replacen('{', r#"{"new_field":1,"#, 1);
        assert_eq!(basket(added.event_type(), &extra), None);

        let order_created = OrderEvent::OrderCreated {
            order_id: OrderId::from(basket_id),
            customer_id: CustomerId(uuid::Uuid::now_v7()),
            device_id: None,
            items: vec![OrderItem {
                product_id,
                store_id,
                store_name: "S".to_owned(),
                product_name: "P".to_owned(),
                price: Money::usd(250),
                quantity: 3,
            }],
            total: Money::usd(750),
            payment_token: "tok".to_owned(),
            at: Timestamp(8),
        };
        let json = serde_json::to_string(&order_created).unwrap();
        assert_eq!(
            order(order_created.event_type(), &json),
            Some(order_created.clone())
        );
        let renamed = json.replace("\"OrderCreated\"", "\"OrderApproved\"");
        assert_eq!(order("OrderCreated", &renamed), None);
    }
}
