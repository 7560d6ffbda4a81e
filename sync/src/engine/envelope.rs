//! The event envelope on `<root>.ev.>` (docs/central-messages.md): the payload is the domain
//! event serialized as-is; the metadata travels in headers (`Nats-Msg-Id` = event id,
//! `Mallbots-Event-Type`, `-Schema-Version`, `-Stream-Type`, `-Stream-Id`, `-Occurred-At`,
//! `-Correlation-Id`, `-Causation-Id`, `-Device`, and `-User` for a signed-in user's action), and
//! the W3C `traceparent` of the flow ([`mallbots_wire::trace`]).
//!
//! [`outgoing_headers`] builds them for an outbox row; [`IncomingEvent::decode`] reads a
//! message back, failing with a [`DecodeError`] (the message is then parked raw).

use crate::store::{EventMetadata, OutboxEntry};
use async_nats::HeaderMap;
use mallbots_wire::trace::{TraceContext, H_TRACEPARENT};
use serde_json::Value;
use uuid::Uuid;

use mallbots_wire::headers::header_safe_user;
pub use mallbots_wire::headers::{
    H_CAUSATION_ID, H_CORRELATION_ID, H_DEVICE, H_EVENT_TYPE, H_MSG_ID, H_OCCURRED_AT,
    H_SCHEMA_VERSION, H_STREAM_ID, H_STREAM_TYPE, H_USER,
};

/// The envelope headers of an outbox row, `Nats-Msg-Id` excluded (the publish builder sets it).
pub fn outgoing_headers(entry: &OutboxEntry, device: &str) -> HeaderMap {
    let e = &entry.event;
    let mut h = HeaderMap::new();
    h.insert(H_EVENT_TYPE, e.event_type.as_str());
    h.insert(H_SCHEMA_VERSION, e.schema_version.to_string().as_str());
    h.insert(H_STREAM_TYPE, e.stream_type.as_str());
    h.insert(H_STREAM_ID, e.stream_id.as_str());
    h.insert(H_OCCURRED_AT, e.occurred_at.to_string().as_str());
    if let Some(c) = e.metadata.correlation_id {
        h.insert(H_CORRELATION_ID, c.to_string().as_str());
    }
    if let Some(c) = e.metadata.causation_id {
        h.insert(H_CAUSATION_ID, c.to_string().as_str());
    }
    let device = e.metadata.device_id.as_deref().unwrap_or(device);
    h.insert(H_DEVICE, device);
    if let Some(user) = e.metadata.user.as_deref().and_then(header_safe_user) {
        h.insert(H_USER, user);
    }
    // The flow's trace (its correlation id; an event without one starts its own).
    let event_id = e.event_id.to_string();
    let correlation = e.metadata.correlation_id.unwrap_or(e.event_id);
    let trace = TraceContext::for_message(correlation, &event_id);
    h.insert(H_TRACEPARENT, trace.header_value().as_str());
    h
}

/// [`outgoing_headers`] for a publish expecting `expected` as the subject's last sequence,
/// stamped with it as the predecessor ([`super::in_order::H_PREV_SUBJECT_SEQ`]) as central
/// stamps its own events: a device receiving another writer's events on a shared subject (the
/// catalog) out of order, a redelivery after the ack wait overtaken by later messages, parks
/// the later ones until their predecessor is applied, instead of folding an older price over a
/// newer one for good (found by the deterministic simulator, docs/simulation.md).
pub fn outgoing_headers_after(entry: &OutboxEntry, device: &str, expected: u64) -> HeaderMap {
    let mut h = outgoing_headers(entry, device);
    h.insert(
        super::in_order::H_PREV_SUBJECT_SEQ,
        expected.to_string().as_str(),
    );
    h
}

/// Why a message could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A required header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header's value does not parse.
    #[error("header {header} has invalid value {value:?}")]
    BadHeader {
        /// The header.
        header: &'static str,
        /// Its value.
        value: String,
    },
    /// The payload is not JSON.
    #[error("payload is not JSON: {0}")]
    Payload(String),
}

/// An event read from JetStream (consumer delivery or direct get).
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    /// The subject it is on.
    pub subject: String,
    /// Its stream sequence.
    pub stream_seq: u64,
    /// The event id (`Nats-Msg-Id`).
    pub event_id: Uuid,
    /// Event type name.
    pub event_type: String,
    /// Payload schema version.
    pub schema_version: u32,
    /// Aggregate type.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
    /// When it happened, Unix ms.
    pub occurred_at: i64,
    /// Correlation, causation, device and user (for desk and manager actions).
    pub metadata: EventMetadata,
    /// The payload.
    pub payload: Value,
}

fn header<'a>(h: &'a HeaderMap, name: &'static str) -> Result<&'a str, DecodeError> {
    h.get(name)
        .map(|v| v.as_str())
        .ok_or(DecodeError::MissingHeader(name))
}

fn parsed<T: std::str::FromStr>(h: &HeaderMap, name: &'static str) -> Result<T, DecodeError> {
    let text = header(h, name)?;
    text.parse().map_err(|_| DecodeError::BadHeader {
        header: name,
        value: text.to_owned(),
    })
}

/// A correlation or causation id. Central derives some causes from what happened rather than
/// from a command (`online/<session>/<bot>`, `<list>/<seq>/<delivered>`): such a text is kept as
/// the UUIDv5 of its text (stable, so every device agrees), never a reason to refuse the event.
fn optional_uuid(h: &HeaderMap, name: &'static str) -> Result<Option<Uuid>, DecodeError> {
    match h.get(name).map(|v| v.as_str().trim()) {
        None | Some("") => Ok(None),
        Some(text) => {
            Ok(Some(Uuid::parse_str(text).unwrap_or_else(|_| {
                Uuid::new_v5(&Uuid::NAMESPACE_OID, text.as_bytes())
            })))
        }
    }
}

impl IncomingEvent {
    /// Reads an event from a message's parts.
    pub fn decode(
        subject: &str,
        stream_seq: u64,
        headers: Option<&HeaderMap>,
        payload: &[u8],
    ) -> Result<Self, DecodeError> {
        let h = headers.ok_or(DecodeError::MissingHeader(H_MSG_ID))?;
        let schema_version: u32 = parsed(h, H_SCHEMA_VERSION)?;
        let payload: Value =
            serde_json::from_slice(payload).map_err(|e| DecodeError::Payload(e.to_string()))?;
        Ok(Self {
            subject: subject.to_owned(),
            stream_seq,
            event_id: parsed(h, H_MSG_ID)?,
            event_type: header(h, H_EVENT_TYPE)?.to_owned(),
            schema_version,
            stream_type: header(h, H_STREAM_TYPE)?.to_owned(),
            stream_id: header(h, H_STREAM_ID)?.to_owned(),
            occurred_at: parsed(h, H_OCCURRED_AT)?,
            metadata: EventMetadata {
                correlation_id: optional_uuid(h, H_CORRELATION_ID)?,
                causation_id: optional_uuid(h, H_CAUSATION_ID)?,
                device_id: h.get(H_DEVICE).map(|v| v.as_str().to_owned()),
                user: h
                    .get(H_USER)
                    .and_then(|v| header_safe_user(v.as_str()))
                    .map(str::to_owned),
                schema_version,
            },
            payload,
        })
    }

    /// The event id a message is keyed by in the inbox even when it does not decode: its
    /// `Nats-Msg-Id` if that is a UUID, else UUIDv5 of `subject/sequence`.
    pub fn inbox_key(subject: &str, stream_seq: u64, headers: Option<&HeaderMap>) -> Uuid {
        headers
            .and_then(|h| h.get(H_MSG_ID))
            .and_then(|v| v.as_str().parse().ok())
            .unwrap_or_else(|| {
                Uuid::new_v5(
                    &Uuid::NAMESPACE_OID,
                    format!("{subject}/{stream_seq}").as_bytes(),
                )
            })
    }
}

/// The raw form kept for a parked message: subject, sequence, headers and payload as JSON.
pub fn raw_message(
    subject: &str,
    stream_seq: u64,
    headers: Option<&HeaderMap>,
    payload: &[u8],
) -> String {
    let headers: serde_json::Map<String, Value> = headers
        .map(|h| {
            h.iter()
                .map(|(k, v)| {
                    let first = v.first().map(|x| x.as_str()).unwrap_or_default();
                    (k.to_string(), Value::String(first.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({
        "subject": subject,
        "stream_seq": stream_seq,
        "headers": headers,
        "payload": String::from_utf8_lossy(payload),
    })
    .to_string()
}

/// Rebuilds a message's parts from [`raw_message`] text (to retry a parked row).
pub fn parse_raw(raw: &str) -> Option<(String, u64, HeaderMap, Vec<u8>)> {
    let v: Value = serde_json::from_str(raw).ok()?;
    let mut h = HeaderMap::new();
    for (k, val) in v.get("headers")?.as_object()? {
        // A corrupted row must not panic the writer thread: invalid names/values are skipped.
        let name = k.parse::<async_nats::header::HeaderName>();
        let value = val.as_str().map(str::parse::<async_nats::HeaderValue>);
        if let (Ok(name), Some(Ok(value))) = (name, value) {
            h.insert(name, value);
        }
    }
    Some((
        v.get("subject")?.as_str()?.to_owned(),
        v.get("stream_seq")?.as_u64()?,
        h,
        v.get("payload")?.as_str()?.as_bytes().to_vec(),
    ))
}
