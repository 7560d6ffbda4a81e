//! [`EdgeApplier`]: central's events into the edge. Each incoming event is stored in the local
//! log under its aggregate (no outbox row: it is already central's), stamped with its stream
//! sequence, and projected into the read models, all in the inbox transaction.
//!
//! Bot and shopping-list events (a manager desk's `<root>.ev.depot.>`) feed the depot read
//! models.
//!
//! A `ProductRemoved` from central also flags every open cart holding that product: a
//! conflict (`basket.product_removed`) the kiosk shows, since checkout would be rejected.

use crate::projections;
use mallbots_domain::{baskets, bots, customers, depot, ordering, products, stores, DomainEvent};
use mallbots_sync::engine::{InboxApplier, IncomingEvent};
use mallbots_sync::store::sqlite::{read, write};
use mallbots_sync::store::{now_ms, AppendRequest, NewConflict, NewEvent, StoreError};
use rusqlite::{params, Transaction};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Stream types without a read model on the edge that are still kept in its log.
const KEPT_OPAQUE: &[&str] = &["payment", "invoice", "orderline"];

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
