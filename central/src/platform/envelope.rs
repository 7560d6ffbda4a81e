//! The event envelope on `<root>.ev.>` (docs/central-messages.md): the payload is the domain event
//! enum serialized as-is, the metadata travels in `Mallbots-*` headers. This module builds those
//! headers for events central appends, reads them back, and loads a subject's history with direct
//! gets (no consumer needed for an aggregate central reads).

use async_nats::jetstream::stream::DirectGetErrorKind;
use async_nats::HeaderMap;
use bytes::Bytes;
use mallbots_domain::DomainEvent;
use uuid::Uuid;

use crate::platform::error::PublishError;
use crate::platform::publish::{Published, Publisher};
use crate::platform::topology::StreamKind;

pub use mallbots_wire::headers::{
    H_CAUSATION_ID, H_CORRELATION_ID, H_DEVICE, H_EVENT_TYPE, H_OCCURRED_AT, H_PREV_SUBJECT_SEQ,
    H_SCHEMA_VERSION, H_STREAM_ID, H_STREAM_TYPE,
};

/// Metadata of one event central appends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMeta {
    /// The event id (`Nats-Msg-Id`).
    pub event_id: String,
    /// Aggregate type.
    pub stream_type: &'static str,
    /// Aggregate id.
    pub stream_id: String,
    /// When (ms).
    pub occurred_at: i64,
    /// Correlation id.
    pub correlation_id: String,
    /// Causation id.
    pub causation_id: String,
}

/// The deterministic event id for the `index`-th event caused by `cause` (a command id):
/// UUIDv5 of the cause, so a retried command re-creates the same id.
pub fn event_id_for(cause: &str, index: u32) -> String {
    const NS: Uuid = Uuid::from_u128(0x6d61_6c6c_626f_7473_6576_656e_7469_6473);
    Uuid::new_v5(&NS, format!("{cause}/{index}").as_bytes()).to_string()
}

/// A derived id (UUIDv5) for follow-up command `what` caused by `cause`.
pub fn derived_id(cause: &str, what: &str) -> Uuid {
    const NS: Uuid = Uuid::from_u128(0x6d61_6c6c_626f_7473_666f_6c6c_6f77_7570);
    Uuid::new_v5(&NS, format!("{cause}/{what}").as_bytes())
}

/// The headers of `event` with `meta`.
pub fn headers<E: DomainEvent>(event: &E, meta: &EventMeta) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(H_EVENT_TYPE, event.event_type());
    h.insert(
        H_SCHEMA_VERSION,
        event.schema_version().to_string().as_str(),
    );
    h.insert(H_STREAM_TYPE, meta.stream_type);
    h.insert(H_STREAM_ID, meta.stream_id.as_str());
    h.insert(H_OCCURRED_AT, meta.occurred_at.to_string().as_str());
    h.insert(H_CORRELATION_ID, meta.correlation_id.as_str());
    h.insert(H_CAUSATION_ID, meta.causation_id.as_str());
    h.insert(H_DEVICE, "central");
    h
}

/// Appends `event` to `subject` expecting `expected` as the subject's last sequence.
pub async fn append<E: DomainEvent>(
    publisher: &Publisher,
    subject: &str,
    expected: u64,
    event: &E,
    meta: &EventMeta,
) -> Result<Published, PublishError> {
    let payload = serde_json::to_vec(event).map_err(|e| PublishError::Other {
        subject: subject.to_string(),
        reason: e.to_string(),
    })?;
    publisher
        .publish_event(
            subject,
            &meta.event_id,
            expected,
            headers(event, meta),
            Bytes::from(payload),
        )
        .await
}

/// One stored event as read back.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The subject it is on.
    pub subject: String,
    /// Stream sequence.
    pub sequence: u64,
    /// `Nats-Msg-Id` (the event id), empty if absent.
    pub msg_id: String,
    /// Raw payload.
    pub payload: Bytes,
}

impl StoredEvent {
    fn from_message(m: async_nats::jetstream::message::StreamMessage) -> Self {
        let msg_id = m
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        Self {
            subject: m.subject.to_string(),
            sequence: m.sequence,
            msg_id,
            payload: m.payload,
        }
    }
}

/// Reads event subjects of the `EVENTS` stream with direct gets.
#[derive(Clone, Debug)]
pub struct EventReader {
    stream: async_nats::jetstream::stream::Stream<()>,
}

impl EventReader {
    /// A reader over the events stream of `publisher`'s topology.
    pub async fn new(
        js: &async_nats::jetstream::Context,
        publisher: &Publisher,
    ) -> Result<Self, PublishError> {
        let name = publisher.topology().stream_name(StreamKind::Events);
        let stream = js
            .get_stream_no_info(&name)
            .await
            .map_err(|e| PublishError::Other {
                subject: name,
                reason: e.to_string(),
            })?;
        Ok(Self { stream })
    }

    /// Every event on `subject` (may contain wildcards), oldest first.
    pub async fn history(&self, subject: &str) -> Result<Vec<StoredEvent>, PublishError> {
        let mut out = Vec::new();
        let mut next = 1;
        loop {
            match self
                .stream
                .direct_get_next_for_subject(subject, Some(next))
                .await
            {
                Ok(m) => {
                    next = m.sequence + 1;
                    out.push(StoredEvent::from_message(m));
                }
                Err(e) if e.kind() == DirectGetErrorKind::NotFound => return Ok(out),
                Err(e) => {
                    return Err(PublishError::Other {
                        subject: subject.to_string(),
                        reason: e.to_string(),
                    })
                }
            }
        }
    }

    /// The first event on `subject` (may contain wildcards), if any.
    pub async fn first(&self, subject: &str) -> Result<Option<StoredEvent>, PublishError> {
        match self.stream.direct_get_first_for_subject(subject).await {
            Ok(m) => Ok(Some(StoredEvent::from_message(m))),
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
            Err(e) => Err(PublishError::Other {
                subject: subject.to_string(),
                reason: e.to_string(),
            }),
        }
    }

    /// The last event on `subject` (may contain wildcards), if any.
    pub async fn last(&self, subject: &str) -> Result<Option<StoredEvent>, PublishError> {
        match self.stream.direct_get_last_for_subject(subject).await {
            Ok(m) => Ok(Some(StoredEvent::from_message(m))),
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
            Err(e) => Err(PublishError::Other {
                subject: subject.to_string(),
                reason: e.to_string(),
            }),
        }
    }
}

/// Milliseconds since the epoch now (central's clock, used only where no message time exists).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_derive_deterministically_from_their_cause() {
        assert_eq!(event_id_for("c1", 0), event_id_for("c1", 0));
        assert_ne!(event_id_for("c1", 0), event_id_for("c1", 1));
        assert_ne!(event_id_for("c1", 0), event_id_for("c2", 0));
        assert_eq!(derived_id("c1", "void"), derived_id("c1", "void"));
        assert_ne!(derived_id("c1", "void"), derived_id("c1", "cancel_list"));
    }
}
