//! One message of central's events stream received through the inbox without a NATS
//! connection: [`Edge::deliver`] runs exactly what the sync engine's consumer runs for a
//! delivery, and [`central_message`] wraps a domain event in central's envelope (the headers of
//! `central/src/platform/envelope.rs`). Tools replay captured messages with them; tests feed a desk
//! central's bot and list events as sync would.

use crate::error::EdgeError;
use crate::sync::EdgeApplier;
use crate::Edge;
use mallbots_domain::DomainEvent;
use mallbots_sync::engine::envelope::parse_raw;
use mallbots_sync::engine::local::receive;
pub use mallbots_sync::engine::local::{RawMessage, Received};
use mallbots_sync::store::Durability;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// `event` as central appends it on `subject` at stream sequence `seq`: the payload is the
/// event as JSON, the metadata travels in `Nats-Msg-Id` and `Mallbots-*` headers. The event id
/// is derived from subject and sequence, so the same message twice is a redelivery.
pub fn central_message<E: DomainEvent + Serialize>(
    subject: &str,
    seq: u64,
    stream_type: &str,
    stream_id: &str,
    occurred_at: i64,
    event: &E,
) -> Result<RawMessage, EdgeError> {
    let payload = serde_json::to_string(event)
        .map_err(|e| EdgeError::invalid("event", format!("not serializable: {e}")))?;
    let event_id = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{subject}/{seq}").as_bytes());
    let raw = json!({
        "subject": subject,
        "stream_seq": seq,
        "headers": {
            "Nats-Msg-Id": event_id.to_string(),
            "Mallbots-Event-Type": event.event_type(),
            "Mallbots-Schema-Version": event.schema_version().to_string(),
            "Mallbots-Stream-Type": stream_type,
            "Mallbots-Stream-Id": stream_id,
            "Mallbots-Occurred-At": occurred_at.to_string(),
            "Mallbots-Device": "central",
        },
        "payload": payload,
    });
    let (subject, seq, headers, payload) = parse_raw(&raw.to_string())
        .ok_or_else(|| EdgeError::invalid("message", "envelope did not round-trip"))?;
    Ok(RawMessage {
        subject,
        seq,
        headers: Some(headers),
        payload,
    })
}

impl Edge {
    /// Receives one message of central's events stream through the inbox, in its own writer
    /// transaction, exactly as the sync engine's consumer does: recorded in `inbox` (a
    /// redelivery is [`Received::Duplicate`]), applied with [`EdgeApplier`] into the log and
    /// read models, or parked when this build cannot apply it.
    pub fn deliver(&self, message: RawMessage) -> Result<Received, EdgeError> {
        if !self.is_writer() {
            return Err(EdgeError::refused(
                "edge.read_only",
                "this edge was opened read-only: it cannot receive messages",
            ));
        }
        let received = self.writer().call(move |store| {
            store.transaction(Durability::Normal, |tx| {
                receive(tx, &EdgeApplier, &message).map(|(r, _)| r)
            })
        })?;
        self.clear_cache();
        Ok(received)
    }
}
