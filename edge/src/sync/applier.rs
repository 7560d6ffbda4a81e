//! [`EdgeApplier`]: central's events into the edge. Each incoming event is stored in the local
//! log under its aggregate (no outbox row: it is already central's), stamped with its stream
//! sequence, and projected into the read models, all in the inbox transaction.
//!
//! Bot and shopping-list events (a manager desk's `<root>.ev.depot.>`) feed the depot read
//! models.
//!
//! A `ProductRemoved` from central also flags every open cart holding that product: a
//! conflict (`basket.product_removed`) the kiosk shows, since checkout would be rejected.
//!
//! Order lines (`<root>.ev.store.<store>.orderline.<order>`, central's only) feed the order-line
//! read model ([`crate::projections::order_lines`]) once checked: the payload must decode as
//! [`OrderLineEvent`], match the envelope's event type and stream id, be on its own store's
//! subject and hold only that store's lines; anything else is not applied (the engine parks it).

use crate::projections;
pub use mallbots_domain::ordering::OrderLineEvent;
use mallbots_domain::{
    baskets, bots, customers, depot, desk, ordering, products, stores, DomainEvent,
};
use mallbots_sync::engine::{InboxApplier, IncomingEvent};
use mallbots_sync::store::sqlite::{read, write};
use mallbots_sync::store::{now_ms, AppendRequest, NewConflict, NewEvent, StoreError};
use mallbots_wire::subjects::{EventSubject, Subject};
use rusqlite::{params, Transaction};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Stream types without a read model on the edge that are still kept in its log.
const KEPT_OPAQUE: &[&str] = &["payment", "invoice"];

/// Whether an `orderline` event decodes and is consistent with its envelope and subject.
fn orderline_ok(event: &IncomingEvent) -> bool {
    let Ok(decoded) = serde_json::from_value::<OrderLineEvent>(event.payload.clone()) else {
        return false;
    };
    let OrderLineEvent::OrderLineUpdated {
        order_id,
        store_id,
        ref items,
        ..
    } = decoded;
    event.schema_version <= decoded.schema_version()
        && event.event_type == decoded.event_type()
        && event.stream_id == order_id.to_string()
        && event
            .subject
            .ends_with(&format!(".store.{store_id}.orderline.{order_id}"))
        && items.iter().all(|item| item.store_id == store_id)
}

/// Whether a desk answer decodes as a refusal (`OrderPickupRefused` / `StopPrepareRefused`)
/// matching its envelope, on a `…deskans.<device>.<id>` subject.
fn deskans_ok(event: &IncomingEvent) -> bool {
    let Ok(decoded) = serde_json::from_value::<desk::DeskEvent>(event.payload.clone()) else {
        return false;
    };
    let refusal = matches!(
        decoded,
        desk::DeskEvent::OrderPickupRefused { .. } | desk::DeskEvent::StopPrepareRefused { .. }
    );
    refusal
        && event.schema_version <= decoded.schema_version()
        && event.event_type == decoded.event_type()
        && matches!(
            Subject::parse(&event.subject).map(|s| s.event),
            Some(EventSubject::DeskAnswer { id, .. }) if id == event.stream_id
        )
}

fn decodes<E: DomainEvent + DeserializeOwned>(payload: &Value, schema: u32) -> bool {
    serde_json::from_value::<E>(payload.clone()).is_ok_and(|e| schema <= e.schema_version())
}

/// Whether this build knows the event's type and schema version.
pub fn known(event: &IncomingEvent) -> bool {
    let (p, v) = (&event.payload, event.schema_version);
    match event.stream_type.as_str() {
        "store" => decodes::<stores::StoreEvent>(p, v),
        "product" => decodes::<products::ProductEvent>(p, v),
        "customer" => decodes::<customers::CustomerEvent>(p, v),
        "basket" => decodes::<baskets::BasketEvent>(p, v),
        "order" => decodes::<ordering::OrderEvent>(p, v),
        "bot" => decodes::<bots::BotEvent>(p, v),
        "list" => decodes::<depot::ListEvent>(p, v),
        "orderline" => orderline_ok(event),
        desk::ANSWER_STREAM_TYPE => deskans_ok(event),
        other => KEPT_OPAQUE.contains(&other) && v <= 1,
    }
}

/// Applies central's events through the edge's projections.
#[derive(Debug, Clone, Copy, Default)]
pub struct EdgeApplier;

impl InboxApplier for EdgeApplier {
    fn can_apply(&self, event: &IncomingEvent) -> bool {
        known(event)
    }

    fn apply(&self, tx: &Transaction<'_>, event: &IncomingEvent) -> Result<(), StoreError> {
        let version = read::stream_version(tx, &event.stream_type, &event.stream_id)?;
        let new = NewEvent {
            event_id: event.event_id,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            payload: event.payload.clone(),
            metadata: event.metadata.clone(),
            occurred_at: event.occurred_at,
            subject: None,
        };
        let request = AppendRequest::new(&event.stream_type, &event.stream_id, version, vec![new]);
        let mut stored = write::append(tx, &request, now_ms())?;
        write::set_stream_seq(tx, event.event_id, event.stream_seq)?;
        for e in &mut stored {
            e.stream_seq = Some(event.stream_seq);
            projections::project(tx, e)?;
        }
        if event.event_type == "ProductRemoved" {
            flag_carts_holding(tx, &event.stream_id)?;
        }
        Ok(())
    }
}

/// Records a conflict on every open cart that holds `product`.
fn flag_carts_holding(tx: &Transaction<'_>, product: &str) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT l.basket_id, l.product_name FROM rm_cart_lines l
         JOIN rm_carts c ON c.basket_id = l.basket_id
         WHERE l.product_id = ?1 AND c.status = 'open'",
    )?;
    let carts: Vec<(String, String)> = stmt
        .query_map(params![product], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (basket, name) in carts {
        write::record_conflict(
            tx,
            &NewConflict {
                stream_type: "basket".into(),
                stream_id: basket,
                code: "basket.product_removed".into(),
                message: format!("{name} is no longer sold: remove it from the cart to check out"),
            },
            now_ms(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mallbots_sync::store::EventMetadata;
    use serde_json::json;
    use uuid::Uuid;

    const STORE: &str = "0190f5a0-0000-7000-8000-000000000001";
    const OTHER: &str = "0190f5a0-0000-7000-8000-000000000002";
    const ORDER: &str = "0190f5a0-0000-7000-8000-0000000000aa";

    fn line(store: &str) -> Value {
        json!({"product_id": "0190f5a0-0000-7000-8000-0000000000bb", "store_id": store,
               "store_name": "Corner", "product_name": "Tea",
               "price": {"cents": 250, "currency": "USD"}, "quantity": 2})
    }

    /// The payload central's `publish_lines` sends for one store of an order.
    fn payload() -> Value {
        json!({"type": "OrderLineUpdated", "order_id": ORDER, "store_id": STORE,
               "device": "kiosk-1", "status": "approved", "items": [line(STORE)],
               "order_seq": 7, "at": 1_700_000_000_000_i64})
    }

    fn incoming(payload: Value) -> IncomingEvent {
        IncomingEvent {
            subject: format!("m.ev.store.{STORE}.orderline.{ORDER}"),
            stream_seq: 3,
            event_id: Uuid::now_v7(),
            event_type: "OrderLineUpdated".into(),
            schema_version: 1,
            stream_type: "orderline".into(),
            stream_id: ORDER.into(),
            occurred_at: 1,
            metadata: EventMetadata::default(),
            payload,
        }
    }

    fn with(field: &str, value: Value) -> IncomingEvent {
        let mut p = payload();
        p[field] = value;
        incoming(p)
    }

    #[test]
    fn central_order_lines_are_known() {
        assert!(known(&incoming(payload())));
        assert!(EdgeApplier.can_apply(&incoming(payload())));
        assert!(known(&with("items", json!([]))));
    }

    #[test]
    fn malformed_order_lines_are_not_applied() {
        let mut cases = vec![
            ("any JSON", incoming(json!({"hello": "world"}))),
            ("not an object", incoming(json!("x"))),
            ("unknown type", with("type", json!("OrderLineDeleted"))),
            ("unknown status", with("status", json!("teleported"))),
            (
                "bad order id",
                with("order_id", json!("'; DROP TABLE events;--")),
            ),
            ("missing items", with("items", Value::Null)),
            ("negative seq", with("order_seq", json!(-1))),
            ("another store's line", with("items", json!([line(OTHER)]))),
            ("other store id", with("store_id", json!(OTHER))),
        ];
        let mut e = incoming(payload());
        e.event_type = "StoreCreated".into();
        cases.push(("envelope type differs", e));
        let mut e = incoming(payload());
        e.stream_id = Uuid::now_v7().to_string();
        cases.push(("stream id differs", e));
        let mut e = incoming(payload());
        e.schema_version = 2;
        cases.push(("newer schema", e));
        let mut e = incoming(payload());
        e.subject = format!("m.ev.store.{OTHER}.orderline.{ORDER}");
        cases.push(("on another store's subject", e));
        for (label, event) in cases {
            assert!(!known(&event), "{label} was accepted");
            assert!(!EdgeApplier.can_apply(&event), "{label}");
        }
    }
}
