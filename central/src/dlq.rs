//! Dead letters: JetStream has none built in, so central copies a message that cannot be handled
//! to `<root>.dlq.<consumer>` (stream `DLQ`) with headers naming its origin, then terminates it.
//! Operators list and replay entries over HTTP or `mallbots-central dlq list|replay SEQ`.
//!
//! Headers on an entry: [`H_SUBJECT`], [`H_STREAM`], [`H_SEQUENCE`], [`H_CONSUMER`], [`H_ERROR`],
//! [`H_DELIVERIES`], plus the original's own non-`Nats-` headers. Its msg-id is
//! `dlq:<consumer>:<stream>:<seq>`, so a copy repeated after a crash is de-duplicated while two
//! consumers dead-lettering one message keep a copy each. A payload too large to copy beside
//! those headers keeps its first bytes and [`H_TRUNCATED`] (such an entry is not replayable).
//!
//! Messages whose ack wait ran out on their last delivery never reach a handler again; the
//! server's `MAX_DELIVERIES` advisory ([`watch_max_deliveries`]) catches those.

use std::sync::Arc;

use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::error::{DlqError, PublishError};
use crate::metrics::{self, Metrics};
use crate::publish::{Published, Publisher};
use crate::topology::{StreamKind, Topology};
use crate::worker::Delivery;

/// Original subject.
pub const H_SUBJECT: &str = "Mallbots-Dlq-Subject";
/// Original stream.
pub const H_STREAM: &str = "Mallbots-Dlq-Stream";
/// Original stream sequence.
pub const H_SEQUENCE: &str = "Mallbots-Dlq-Sequence";
/// Consumer that gave up.
pub const H_CONSUMER: &str = "Mallbots-Dlq-Consumer";
/// Why.
pub const H_ERROR: &str = "Mallbots-Dlq-Error";
/// Deliveries made.
pub const H_DELIVERIES: &str = "Mallbots-Dlq-Deliveries";
/// On an entry whose payload was cut to fit: the original payload's length in bytes.
pub const H_TRUNCATED: &str = "Mallbots-Dlq-Truncated";
/// On a replayed message: the DLQ sequence it came from.
pub const H_REPLAY_OF: &str = "Mallbots-Replay-Of";

/// One DLQ entry as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Sequence in the DLQ stream (what replay takes).
    pub seq: u64,
    /// Consumer that gave up.
    pub consumer: String,
    /// Original subject.
    pub subject: String,
    /// Original stream.
    pub stream: String,
    /// Original stream sequence.
    pub stream_sequence: u64,
    /// Why it was dead-lettered.
    pub error: String,
    /// Deliveries made.
    pub deliveries: i64,
    /// Payload (lossy UTF-8).
    pub payload: String,
}

/// Copies, lists and replays dead letters.
#[derive(Debug, Clone)]
pub struct DeadLetters {
    publisher: Publisher,
    js: async_nats::jetstream::Context,
    metrics: Arc<Metrics>,
}

impl DeadLetters {
    /// Dead letters for the topology of `publisher`.
    pub fn new(
        js: async_nats::jetstream::Context,
        publisher: Publisher,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            publisher,
            js,
            metrics,
        }
    }

    fn topology(&self) -> &Topology {
        self.publisher.topology()
    }

    /// Copies a delivered message to `<root>.dlq.<consumer>` with `error`.
    pub async fn copy(
        &self,
        consumer: &str,
        delivery: &Delivery,
        error: &str,
    ) -> Result<Published, PublishError> {
        self.copy_raw(Origin {
            consumer,
            stream: delivery.stream(),
            seq: delivery.stream_sequence(),
            subject: delivery.subject(),
            headers: delivery.headers(),
            payload: delivery.payload().clone(),
            deliveries: delivery.delivered(),
            error,
        })
        .await
    }

    async fn copy_raw(&self, o: Origin<'_>) -> Result<Published, PublishError> {
        let mut headers = HeaderMap::new();
        if let Some(original) = o.headers {
            for (name, values) in original.iter() {
                let name: &str = name.as_ref();
                if name.starts_with("Nats-") || name.starts_with("Mallbots-Dlq-") {
                    continue;
                }
                for value in values {
                    headers.append(name, value.as_str());
                }
            }
        }
        let error: String = o
            .error
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(1024)
            .collect();
        headers.insert(H_SUBJECT, o.subject);
        headers.insert(H_STREAM, o.stream);
        headers.insert(H_SEQUENCE, o.seq.to_string().as_str());
        headers.insert(H_CONSUMER, o.consumer);
        headers.insert(H_ERROR, error.as_str());
        headers.insert(H_DELIVERIES, o.deliveries.to_string().as_str());
        // Several consumers may dead-letter one message (kiosk order subjects feed the saga and
        // notifications): one copy per consumer.
        let msg_id = format!("dlq:{}:{}:{}", o.consumer, o.stream, o.seq);
        let subject = self.topology().dlq_subject(o.consumer);
        let payload = fit_payload(o.payload, self.publisher.max_payload(), &mut headers);
        let published = self
            .publisher
            .publish(&subject, &msg_id, headers, payload)
            .await?;
        self.metrics
            .inc(metrics::DEAD_LETTERS, &[("consumer", o.consumer)]);
        tracing::warn!(consumer = o.consumer, subject = o.subject, seq = o.seq, %error, "dead-lettered");
        Ok(published)
    }

    async fn dlq_stream(&self) -> Result<async_nats::jetstream::stream::Stream, DlqError> {
        self.js
            .get_stream(self.topology().stream_name(StreamKind::Dlq))
            .await
            .map_err(|e| DlqError::Nats(e.to_string()))
    }

    /// Up to `limit` entries with DLQ sequence ≥ `from`, oldest first.
    pub async fn list(&self, from: u64, limit: usize) -> Result<Vec<DeadLetter>, DlqError> {
        let stream = self.dlq_stream().await?;
        let state = stream
            .get_info()
            .await
            .map_err(|e| DlqError::Nats(e.to_string()))?
            .state;
        let mut out = Vec::new();
        let mut seq = from.max(state.first_sequence);
        while seq <= state.last_sequence && out.len() < limit && state.messages > 0 {
            if let Ok(m) = stream.get_raw_message(seq).await {
                out.push(entry(m.sequence, &m.headers, &m.payload));
            }
            seq += 1;
        }
        Ok(out)
    }

    /// Re-publishes entry `seq` to its original subject (fresh msg-id, header
    /// [`H_REPLAY_OF`]), then deletes the entry. Event-log entries are refused: re-appending
    /// would duplicate the event.
    pub async fn replay(&self, seq: u64) -> Result<Published, DlqError> {
        let stream = self.dlq_stream().await?;
        let m = stream
            .get_raw_message(seq)
            .await
            .map_err(|_| DlqError::NotFound(seq))?;
        let subject = m
            .headers
            .get(H_SUBJECT)
            .map(|v| v.as_str().to_string())
            .ok_or(DlqError::MissingSubject(seq))?;
        if self.topology().is_event_subject(&subject) {
            return Err(DlqError::EventLogReplay { seq, subject });
        }
        if let Some(original) = m.headers.get(H_TRUNCATED) {
            return Err(DlqError::Truncated {
                seq,
                kept: m.payload.len(),
                original: original.as_str().to_string(),
            });
        }
        let mut headers = HeaderMap::new();
        for (name, values) in m.headers.iter() {
            let name: &str = name.as_ref();
            if name.starts_with("Nats-") || name.starts_with("Mallbots-Dlq-") {
                continue;
            }
            for value in values {
                headers.append(name, value.as_str());
            }
        }
        headers.insert(H_REPLAY_OF, seq.to_string().as_str());
        let msg_id = format!("replay:{}:{seq}", stream.cached_info().config.name);
        let published = self
            .publisher
            .publish(&subject, &msg_id, headers, m.payload.clone())
            .await
            .map_err(|e| DlqError::Nats(e.to_string()))?;
        stream
            .delete_message(seq)
            .await
            .map_err(|e| DlqError::Nats(e.to_string()))?;
        Ok(published)
    }

    /// Copies messages the server gave up on (ack wait expired on the last delivery) to the DLQ,
    /// from `MAX_DELIVERIES` advisories; one replica per queue group handles each advisory.
    pub async fn watch_max_deliveries(
        self,
        client: async_nats::Client,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let subject = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.*.*".to_string();
        let group = format!("{}-dlq-advisories", self.topology().root());
        let Ok(mut sub) = client.queue_subscribe(subject, group).await else {
            tracing::warn!("cannot subscribe to max-deliveries advisories");
            return;
        };
        let ours = |s: &str| {
            [
                StreamKind::Events,
                StreamKind::Commands,
                StreamKind::Dispatch,
            ]
            .iter()
            .any(|k| self.topology().stream_name(*k) == s)
        };
        loop {
            let advisory = tokio::select! {
                _ = shutdown.changed() => return,
                next = sub.next() => match next { Some(m) => m, None => return },
            };
            let Ok(a) = serde_json::from_slice::<MaxDeliveries>(&advisory.payload) else {
                continue;
            };
            if !ours(&a.stream) {
                continue;
            }
            let Ok(stream) = self.js.get_stream(&a.stream).await else {
                continue;
            };
            if let Ok(m) = stream.get_raw_message(a.stream_seq).await {
                let _ = self
                    .copy_raw(Origin {
                        consumer: &a.consumer,
                        stream: &a.stream,
                        seq: a.stream_seq,
                        subject: m.subject.as_str(),
                        headers: Some(&m.headers),
                        payload: m.payload.clone(),
                        deliveries: a.deliveries,
                        error: "max deliveries reached (ack wait expired)",
                    })
                    .await;
            }
        }
    }
}

/// Where a dead letter came from.
struct Origin<'a> {
    consumer: &'a str,
    stream: &'a str,
    seq: u64,
    subject: &'a str,
    headers: Option<&'a HeaderMap>,
    payload: Bytes,
    deliveries: i64,
    error: &'a str,
}

#[derive(Deserialize)]
struct MaxDeliveries {
    stream: String,
    consumer: String,
    stream_seq: u64,
    deliveries: i64,
}

/// Room kept for the dead letter's own headers when a payload near the server's limit is copied.
const DLQ_HEADER_ROOM: usize = 8 * 1024;

/// The payload to copy: whole when it fits beside the headers, else its first bytes with
/// [`H_TRUNCATED`] giving the original length (the original stays in its stream at its
/// sequence); a message of exactly `max_payload` can still be dead-lettered.
fn fit_payload(payload: Bytes, max_payload: usize, headers: &mut HeaderMap) -> Bytes {
    let room = max_payload.saturating_sub(DLQ_HEADER_ROOM).max(1024);
    if payload.len() <= room {
        return payload;
    }
    headers.insert(H_TRUNCATED, payload.len().to_string().as_str());
    payload.slice(..room)
}

fn entry(seq: u64, headers: &HeaderMap, payload: &Bytes) -> DeadLetter {
    let h = |name: &str| {
        headers
            .get(name)
            .map(|v| v.as_str().to_string())
            .unwrap_or_default()
    };
    DeadLetter {
        seq,
        consumer: h(H_CONSUMER),
        subject: h(H_SUBJECT),
        stream: h(H_STREAM),
        stream_sequence: h(H_SEQUENCE).parse().unwrap_or(0),
        error: h(H_ERROR),
        deliveries: h(H_DELIVERIES).parse().unwrap_or(0),
        payload: String::from_utf8_lossy(payload).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_that_fits_is_copied_whole() {
        let mut h = HeaderMap::new();
        let p = Bytes::from(vec![b'x'; 1000]);
        assert_eq!(fit_payload(p.clone(), 64 * 1024, &mut h), p);
        assert!(h.get(H_TRUNCATED).is_none());
    }

    #[test]
    fn a_payload_at_the_server_limit_is_cut_and_marked() {
        let mut h = HeaderMap::new();
        let p = Bytes::from(vec![b'x'; 64 * 1024]);
        let kept = fit_payload(p, 64 * 1024, &mut h);
        assert_eq!(kept.len(), 64 * 1024 - DLQ_HEADER_ROOM);
        assert_eq!(h.get(H_TRUNCATED).unwrap().as_str(), "65536");
    }
}
