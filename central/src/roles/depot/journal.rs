//! The depot's side of the event envelope (docs/central-messages.md, headers from
//! [`crate::platform::envelope`]): appending a depot event to `<root>.ev.depot.{list,bot}.<id>` with an
//! expected last subject sequence, and reading a subject's events after a sequence (direct gets),
//! decoded, with their ids, which the KV mirror's catch-up needs.

use async_nats::jetstream::stream::DirectGetErrorKind;
use async_nats::jetstream::{self, stream::Stream};
use bytes::Bytes;
use mallbots_domain::DomainEvent;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::error::DepotError;
use crate::platform::envelope::{headers, EventMeta};
use crate::platform::publish::Publisher;
use crate::platform::topology::StreamKind;

const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x6d61_6c6c_626f_7473_6465_706f_7465_7674);

/// A deterministic id (UUIDv5) for `what`, e.g. the n-th event of a command: a retry re-creates
/// the same id, so the event log and the KV mirror recognise work already done.
pub fn derived_id(what: &str) -> String {
    Uuid::new_v5(&EVENT_NAMESPACE, what.as_bytes()).to_string()
}

pub use crate::platform::envelope::now_ms;

/// Who caused an event: correlation (order) and causation (command or delivery) ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cause {
    /// Correlation id, the order id when known.
    pub correlation_id: String,
    /// Causation id, the command id or dispatch delivery.
    pub causation_id: String,
}

/// One event read back from (or appended to) the log.
#[derive(Debug, Clone)]
pub struct Read<E> {
    /// `Nats-Msg-Id`, the event id.
    pub id: String,
    /// Stream sequence.
    pub seq: u64,
    /// The decoded event.
    pub event: E,
}

/// Appends and reads events of the `EVENTS` stream.
#[derive(Clone, Debug)]
pub struct Journal {
    publisher: Publisher,
    stream: Stream<()>,
}

impl Journal {
    /// A journal over the events stream of `publisher`'s topology.
    pub async fn open(js: &jetstream::Context, publisher: &Publisher) -> Result<Self, DepotError> {
        let name = publisher.topology().stream_name(StreamKind::Events);
        let stream = js
            .get_stream_no_info(&name)
            .await
            .map_err(|e| DepotError::Read {
                subject: name,
                reason: e.to_string(),
            })?;
        Ok(Self {
            publisher: publisher.clone(),
            stream,
        })
    }

    /// The publisher (for commands and replies).
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// Appends `event` with id `id` to `subject`, expecting `expected` as its last sequence.
    #[allow(clippy::too_many_arguments)]
    pub async fn append<E: DomainEvent>(
        &self,
        subject: &str,
        stream_type: &'static str,
        stream_id: &str,
        id: &str,
        expected: u64,
        event: &E,
        at: i64,
        cause: &Cause,
    ) -> Result<u64, DepotError> {
        let meta = EventMeta {
            event_id: id.to_string(),
            stream_type,
            stream_id: stream_id.to_string(),
            occurred_at: at,
            correlation_id: cause.correlation_id.clone(),
            causation_id: cause.causation_id.clone(),
        };
        let h = headers(event, &meta);
        let payload = serde_json::to_vec(event).map_err(|e| DepotError::decode("event", e))?;
        let published = self
            .publisher
            .publish_event(subject, id, expected, h, Bytes::from(payload))
            .await?;
        Ok(published.sequence)
    }

    /// Events on `subject` (wildcards allowed) with a sequence greater than `after`, oldest first.
    pub async fn read_after<E: DeserializeOwned>(
        &self,
        subject: &str,
        after: u64,
    ) -> Result<Vec<Read<E>>, DepotError> {
        let mut out = Vec::new();
        let mut next = after + 1;
        loop {
            match self
                .stream
                .direct_get_next_for_subject(subject, Some(next))
                .await
            {
                Ok(m) => {
                    next = m.sequence + 1;
                    let id = m
                        .headers
                        .get("Nats-Msg-Id")
                        .map(|v| v.as_str().to_string())
                        .unwrap_or_default();
                    let event = serde_json::from_slice(&m.payload)
                        .map_err(|e| DepotError::decode(format!("{subject}#{}", m.sequence), e))?;
                    out.push(Read {
                        id,
                        seq: m.sequence,
                        event,
                    });
                }
                Err(e) if e.kind() == DirectGetErrorKind::NotFound => return Ok(out),
                Err(e) => {
                    return Err(DepotError::Read {
                        subject: subject.to_string(),
                        reason: e.to_string(),
                    })
                }
            }
        }
    }
}
