//! An order's history as the events stream holds it, for operators (`GET /orders/{id}/history`):
//! every event on the order's subjects, oldest first: the kiosk's cart, order and requests,
//! central's status changes and order lines, the desks' hand-over requests and central's
//! answers, the robot's shopping list, the payment and the invoice. Raw events (type, subject,
//! device, user, time, payload); the edge's `order history` puts them in words.

use std::time::Duration;

use async_nats::jetstream::stream::DirectGetErrorKind;
use mallbots_domain::saga::{list_id_for, payment_id_for};
use mallbots_domain::{OrderId, SagaId};
use mallbots_wire::headers::{
    header_safe_user, H_DEVICE, H_EVENT_TYPE, H_OCCURRED_AT, H_STREAM_TYPE, H_USER,
};
use mallbots_wire::subjects::{DepotKind, DeskKind, EventSubject, KioskKind, PaymentsKind};
use serde::{Deserialize, Serialize};

use super::commands::invoice_id_for;
use super::topology::{StreamKind, Topology};

/// One event of an order's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Its sequence in the events stream.
    pub seq: u64,
    /// When it happened (ms since the Unix epoch), from its header.
    pub at: Option<i64>,
    /// Its subject.
    pub subject: String,
    /// Its type, e.g. `OrderApproved`.
    pub event_type: Option<String>,
    /// Its stream type (`order`, `orderline`, `list`, `pickupreq`, `payment`, …).
    pub stream_type: Option<String>,
    /// The device that wrote it (`central` for central).
    pub device: Option<String>,
    /// The signed-in user of a desk's action.
    pub user: Option<String>,
    /// The event itself.
    pub payload: serde_json::Value,
}

/// Why a history could not be read.
#[derive(Debug, thiserror::Error)]
#[error("events stream not readable: {0}")]
pub struct HistoryError(pub String);

/// The subjects (with `*` for the writing device or store) that hold `order`'s events.
pub fn order_subjects(topology: &Topology, order: OrderId) -> Vec<String> {
    let (id, any) = (order.to_string(), || "*".to_owned());
    let saga = SagaId::from(order);
    let kiosk = |kind| EventSubject::Kiosk {
        device: any(),
        kind,
        id: id.clone(),
    };
    let subjects = [
        kiosk(KioskKind::Basket),
        kiosk(KioskKind::Order),
        kiosk(KioskKind::OrderRequest),
        EventSubject::Order {
            device: any(),
            order: id.clone(),
        },
        EventSubject::OrderLine {
            store: any(),
            order: id.clone(),
        },
        EventSubject::Desk {
            device: any(),
            kind: DeskKind::PickupRequest,
            id: id.clone(),
        },
        EventSubject::DeskAnswer {
            device: any(),
            id: id.clone(),
        },
        EventSubject::Depot {
            kind: DepotKind::List,
            id: list_id_for(saga).to_string(),
        },
        EventSubject::Payments {
            kind: PaymentsKind::Payment,
            id: payment_id_for(saga).to_string(),
        },
        EventSubject::Payments {
            kind: PaymentsKind::Invoice,
            id: invoice_id_for(order).to_string(),
        },
    ];
    subjects
        .into_iter()
        .map(|s| topology.event_subject(s))
        .collect()
}

/// Every event of `order` in the events stream, by stream sequence.
pub async fn order_history(
    js: &async_nats::jetstream::Context,
    topology: &Topology,
    order: OrderId,
) -> Result<Vec<HistoryEntry>, HistoryError> {
    let stream = js
        .get_stream(topology.stream_name(StreamKind::Events))
        .await
        .map_err(|e| HistoryError(e.to_string()))?;
    let mut entries = Vec::new();
    for subject in order_subjects(topology, order) {
        let mut next = 1;
        loop {
            let got = tokio::time::timeout(
                Duration::from_secs(5),
                stream.direct_get_next_for_subject(subject.as_str(), Some(next)),
            )
            .await
            .map_err(|_| HistoryError(format!("direct get on {subject} timed out")))?;
            let message = match got {
                Ok(m) => m,
                Err(e) if e.kind() == DirectGetErrorKind::NotFound => break,
                Err(e) => return Err(HistoryError(e.to_string())),
            };
            next = message.sequence + 1;
            let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_owned());
            entries.push(HistoryEntry {
                seq: message.sequence,
                at: header(H_OCCURRED_AT).and_then(|t| t.parse().ok()),
                subject: message.subject.to_string(),
                event_type: header(H_EVENT_TYPE),
                stream_type: header(H_STREAM_TYPE),
                device: header(H_DEVICE),
                user: header(H_USER).filter(|u| header_safe_user(u).is_some()),
                payload: without_pickup_code(
                    serde_json::from_slice(&message.payload)
                        .unwrap_or_else(|_| String::from_utf8_lossy(&message.payload).into()),
                ),
            });
        }
    }
    entries.sort_by_key(|e| e.seq);
    Ok(entries)
}

/// `payload` with the order's pickup code (OrderCreated's `pickup_code`, a desk request's typed
/// `code`) masked: the history is for people who look after orders, and the code is what
/// proves a customer at the desk.
fn without_pickup_code(mut payload: serde_json::Value) -> serde_json::Value {
    if let Some(object) = payload.as_object_mut() {
        let request = object.get("type").and_then(|t| t.as_str()) == Some("OrderPickupRequested");
        for key in ["pickup_code", "code"] {
            if key == "code" && !request {
                continue; // a refusal's `code` is its reason code, not a pickup code
            }
            if let Some(value) = object.get_mut(key) {
                if value.is_string() {
                    *value = serde_json::Value::String("••••••".to_owned());
                }
            }
        }
    }
    payload
}

#[cfg(test)]
mod pickup_code_tests {
    use super::without_pickup_code;
    use serde_json::json;

    #[test]
    fn the_history_masks_pickup_codes_and_keeps_refusal_codes() {
        let created = json!({"type": "OrderCreated", "pickup_code": "042517", "total": 1});
        assert_eq!(without_pickup_code(created)["pickup_code"], "••••••");
        let asked = json!({"type": "OrderPickupRequested", "code": "042517"});
        assert_eq!(without_pickup_code(asked)["code"], "••••••");
        let refused = json!({"type": "OrderPickupRefused", "code": "pickup.wrong_code"});
        assert_eq!(without_pickup_code(refused)["code"], "pickup.wrong_code");
        let legacy = json!({"type": "OrderCreated", "total": 1});
        assert_eq!(without_pickup_code(legacy.clone()), legacy);
    }
}
