//! Single-subject aggregates of the payments context (`<root>.ev.payments.payment.<id>`,
//! `…invoice.<id>`): folded from their history, appended with the expected last subject sequence.
//! Event ids derive from the causing command id, so a retried command sees its events stored.

use std::collections::HashSet;

use mallbots_domain::{Aggregate, DomainEvent};

use super::io::PaymentsIo;
use crate::platform::envelope::{self, EventMeta, StoredEvent};
use crate::platform::error::PublishError;

/// An aggregate as loaded from its subject.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    /// The folded state.
    pub state: A,
    /// The subject's last sequence (0 if empty).
    pub last_seq: u64,
    /// Event ids stored on it.
    pub event_ids: HashSet<String>,
}

impl<A> Loaded<A> {
    /// Whether the first event caused by `cause` is stored already.
    pub fn has_cause(&self, cause: &str) -> bool {
        self.event_ids.contains(&envelope::event_id_for(cause, 0))
    }
}

/// Folds a subject's `history`; undecodable payloads are skipped with a warning.
pub fn fold<A: Aggregate>(history: Vec<StoredEvent>) -> Loaded<A> {
    let mut state = A::default();
    let mut event_ids = HashSet::new();
    let mut last_seq = 0;
    for stored in history {
        match serde_json::from_slice::<A::Event>(&stored.payload) {
            Ok(event) => state.apply(&event),
            Err(e) => tracing::warn!(subject = %stored.subject, seq = stored.sequence, error = %e,
                "undecodable event skipped"),
        }
        last_seq = stored.sequence;
        event_ids.insert(stored.msg_id);
    }
    Loaded {
        state,
        last_seq,
        event_ids,
    }
}

/// Where and for whom events are appended.
#[derive(Debug, Clone)]
pub struct Target {
    /// The aggregate's subject.
    pub subject: String,
    /// Aggregate type (`payment`, `invoice`).
    pub stream_type: &'static str,
    /// Aggregate id.
    pub stream_id: String,
    /// Correlation id (the order).
    pub correlation: String,
}

/// Appends `events` caused by `cause` after `expected`; a concurrent write fails with
/// [`PublishError::WrongLastSequence`] (reload and decide again).
pub async fn append<E: DomainEvent, I: PaymentsIo>(
    io: &I,
    target: &Target,
    mut expected: u64,
    cause: &str,
    events: &[E],
    at: i64,
) -> Result<(), PublishError> {
    for (i, event) in events.iter().enumerate() {
        let meta = EventMeta {
            event_id: envelope::event_id_for(cause, i as u32),
            stream_type: target.stream_type,
            stream_id: target.stream_id.clone(),
            occurred_at: at,
            correlation_id: target.correlation.clone(),
            causation_id: cause.to_string(),
        };
        let payload = serde_json::to_vec(event).map_err(|e| PublishError::Other {
            subject: target.subject.clone(),
            reason: e.to_string(),
        })?;
        let headers = envelope::headers(event, &meta);
        expected = io
            .append(
                &target.subject,
                expected,
                &meta.event_id,
                headers,
                bytes::Bytes::from(payload),
            )
            .await?;
    }
    Ok(())
}
