//! Order lines for store managers: after each order status change central appends, every store
//! involved gets the order's status and that store's lines on
//! `<root>.ev.store.<store>.orderline.<order>` (central is its only writer). `order_seq` is the
//! stream sequence of the order event it reflects, so a reader keeps the highest.

use mallbots_domain::ordering::{Order, OrderItem};
use mallbots_domain::{DomainEvent, OrderId, StoreId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::envelope::{self, EventMeta};
use crate::error::PublishError;
use crate::publish::Publisher;

/// The event on an order-line subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum OrderLineEvent {
    /// The order's status as that store sees it.
    OrderLineUpdated {
        /// The order.
        order_id: OrderId,
        /// The store.
        store_id: StoreId,
        /// The kiosk that placed it.
        device: String,
        /// The order status (`approved`, `in_progress`, …).
        status: String,
        /// The lines of this store.
        items: Vec<OrderItem>,
        /// Stream sequence of the order event this reflects.
        order_seq: u64,
        /// When.
        at: Timestamp,
    },
}

impl DomainEvent for OrderLineEvent {
    fn event_type(&self) -> &'static str {
        "OrderLineUpdated"
    }
}

/// Appends one line event per store of `order`, caused by order event `cause` at `order_seq`.
pub async fn publish_lines(
    publisher: &Publisher,
    order: &Order,
    device: &str,
    cause: &str,
    order_seq: u64,
    at: Timestamp,
) -> Result<(), PublishError> {
    let topology = publisher.topology();
    for store in order.store_ids() {
        let subject = topology.subject(&format!("ev.store.{store}.orderline.{}", order.id()));
        let event = OrderLineEvent::OrderLineUpdated {
            order_id: order.id(),
            store_id: store,
            device: device.to_string(),
            status: order.status().as_str().to_string(),
            items: order
                .items()
                .iter()
                .filter(|i| i.store_id == store)
                .cloned()
                .collect(),
            order_seq,
            at,
        };
        let meta = EventMeta {
            event_id: envelope::derived_id(cause, &format!("line/{store}")).to_string(),
            stream_type: "orderline",
            stream_id: order.id().to_string(),
            occurred_at: at.millis(),
            correlation_id: order.id().to_string(),
            causation_id: cause.to_string(),
        };
        for attempt in 0.. {
            let expected = publisher.last_subject_sequence(&subject).await?;
            match envelope::append(publisher, &subject, expected, &event, &meta).await {
                Ok(_) => break,
                Err(PublishError::WrongLastSequence { .. }) if attempt < 10 => continue,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
