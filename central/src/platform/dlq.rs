//! Dead letters: JetStream has none built in, so central copies a message that cannot be handled
//! to `<root>.dlq.<consumer>` (stream `DLQ`) with headers naming its origin, then terminates it.
//! Operators list and replay entries over HTTP or `mallbots-central dlq list|replay SEQ`.
//!
//! Headers on an entry: [`H_SUBJECT`], [`H_STREAM`], [`H_SEQUENCE`], [`H_CONSUMER`], [`H_ERROR`],
//! [`H_DELIVERIES`], the original's msg-id and expected last subject sequence ([`H_MSG_ID`],
//! [`H_EXPECTED_SEQ`], what an event-log replay needs), plus the original's own non-`Nats-`
//! headers. Its msg-id is `dlq:<consumer>:<stream>:<seq>`, so a copy repeated after a crash is
//! de-duplicated while two consumers dead-lettering one message keep a copy each. A payload too
//! large to copy beside those headers keeps its first bytes and [`H_TRUNCATED`] (such an entry
//! is not replayable).
//!
//! Messages whose ack wait ran out on their last delivery never reach a handler again; the
//! server's `MAX_DELIVERIES` advisory ([`DeadLetters::watch_max_deliveries`]) catches those.
//! A message whose header block no client can parse never reaches a handler either (async-nats
//! drops the connection it arrives on) and its advisory is easily missed while that connection
//! comes back: [`DeadLetters::sweep_unreadable`] finds every consumer stalled on one, devices'
//! included, reads it through the JSON `STREAM.MSG.GET` API ([`read_stored`]) and quarantines it
//! ([`DeadLetters::quarantine`]: a copy with reason `headers.unparseable`, then deleted from its
//! stream, which settles it for every consumer at once).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::platform::error::{DlqError, PublishError};
use crate::platform::handler::Delivery;
use crate::platform::metrics::{self, Metrics};
use crate::platform::publish::{Published, Publisher};
use crate::platform::topology::{StreamKind, Topology};

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
/// The original's `Nats-Msg-Id`, if it had one.
pub const H_MSG_ID: &str = "Mallbots-Dlq-Msg-Id";
/// The original's `Nats-Expected-Last-Subject-Sequence`, if it had one.
pub const H_EXPECTED_SEQ: &str = "Mallbots-Dlq-Expected-Last-Subject-Sequence";
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
            // What an event-log replay needs to put the message back where it was meant to go.
            for (from, to) in [
                ("Nats-Msg-Id", H_MSG_ID),
                ("Nats-Expected-Last-Subject-Sequence", H_EXPECTED_SEQ),
            ] {
                if let Some(v) = original.get(from) {
                    headers.insert(to, v.as_str());
                }
            }
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

    /// Re-publishes entry `seq` to its original subject, then deletes the entry.
    ///
    /// * A command, reply or dispatch message goes out with a fresh msg-id and header
    ///   [`H_REPLAY_OF`].
    /// * An event-log message keeps its identity: its original msg-id ([`H_MSG_ID`]) and the
    ///   expected last subject sequence it was written with ([`H_EXPECTED_SEQ`], else the
    ///   `Mallbots-Prev-Subject-Seq` header). If the subject already holds that msg-id right after
    ///   the expected sequence (the original is still in the log), the replay is a no-op
    ///   (`duplicate`, the entry stays); if someone else wrote the subject since, it is refused
    ///   ([`DlqError::Conflict`]); otherwise it is appended exactly where the original was meant
    ///   to go (e.g. one quarantined for an unreadable header block).
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
        let published = if self.topology().is_event_subject(&subject) {
            self.replay_event(seq, &m.headers, &subject, headers, m.payload.clone())
                .await?
        } else {
            let msg_id = format!("replay:{}:{seq}", stream.cached_info().config.name);
            self.publisher
                .publish(&subject, &msg_id, headers, m.payload.clone())
                .await
                .map_err(|e| DlqError::Nats(e.to_string()))?
        };
        if !published.duplicate {
            stream
                .delete_message(seq)
                .await
                .map_err(|e| DlqError::Nats(e.to_string()))?;
        }
        Ok(published)
    }

    async fn replay_event(
        &self,
        seq: u64,
        entry: &HeaderMap,
        subject: &str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<Published, DlqError> {
        let get = |name: &str| entry.get(name).map(|v| v.as_str().to_string());
        let refused = |why: &str| DlqError::EventLogReplay {
            seq,
            subject: subject.to_string(),
            why: why.to_string(),
        };
        let msg_id = get(H_MSG_ID).ok_or_else(|| refused("no original msg-id"))?;
        let expected: u64 = get(H_EXPECTED_SEQ)
            .or_else(|| get(mallbots_wire::headers::H_PREV_SUBJECT_SEQ))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| refused("no expected last subject sequence"))?;
        let events = self.topology().stream_name(StreamKind::Events);
        let next = read_stored_with(
            &self.js,
            &events,
            serde_json::json!({"seq": expected + 1, "next_by_subj": subject}),
        )
        .await?;
        if let Some(next) = next {
            let id = next
                .headers
                .get("Nats-Msg-Id")
                .map(|v| v.as_str().to_string());
            if id.as_deref() == Some(msg_id.as_str()) {
                return Ok(Published {
                    sequence: next.seq,
                    duplicate: true,
                });
            }
            return Err(DlqError::Conflict {
                seq,
                subject: subject.to_string(),
                expected,
            });
        }
        // `publish_event` sets the prev-sequence header again (to `expected`).
        let published = self
            .publisher
            .publish_event(subject, &msg_id, expected, headers, payload)
            .await
            .map_err(|e| match e {
                PublishError::WrongLastSequence { .. } => DlqError::Conflict {
                    seq,
                    subject: subject.to_string(),
                    expected,
                },
                e => DlqError::Nats(e.to_string()),
            })?;
        if published.duplicate {
            // Answered as a duplicate although the subject does not hold it: the server's
            // de-duplication window still remembers the msg-id of an original that was taken
            // out of the log. Nothing was stored; it can be replayed once the window has passed.
            let there = read_stored(&self.js, &events, published.sequence).await?;
            let ours = there.is_some_and(|m| {
                m.subject == subject
                    && m.headers.get("Nats-Msg-Id").map(|v| v.as_str()) == Some(msg_id.as_str())
            });
            if !ours {
                return Err(DlqError::DedupWindow { seq, msg_id });
            }
        }
        Ok(published)
    }

    /// Copies messages the server gave up on (ack wait expired on the last delivery) to the DLQ,
    /// from `MAX_DELIVERIES` advisories; one replica per queue group handles each advisory. The
    /// original is read through the JSON `STREAM.MSG.GET` API ([`read_stored`]), so a message
    /// whose header block no client can parse is copied too (and then removed from its stream,
    /// see [`DeadLetters::quarantine`]).
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
        loop {
            let advisory = tokio::select! {
                _ = shutdown.changed() => return,
                next = sub.next() => match next { Some(m) => m, None => return },
            };
            let Ok(a) = serde_json::from_slice::<MaxDeliveries>(&advisory.payload) else {
                continue;
            };
            if !self.is_ours(&a.stream) {
                continue;
            }
            if let Ok(Some(m)) = read_stored(&self.js, &a.stream, a.stream_seq).await {
                let error = "max deliveries reached (ack wait expired)";
                let _ = self
                    .quarantine(&a.consumer, &a.stream, &m, a.deliveries, error)
                    .await;
            }
        }
    }

    /// Whether `stream` is one of the topology's streams that consumers read.
    fn is_ours(&self, stream: &str) -> bool {
        [
            StreamKind::Events,
            StreamKind::Commands,
            StreamKind::Dispatch,
        ]
        .iter()
        .any(|k| self.topology().stream_name(*k) == stream)
    }

    /// Copies `m` (read from `stream`) to the DLQ for `consumer` with `error`. A message whose
    /// header block cannot be parsed is then deleted from its stream: no client can receive it
    /// (async-nats drops the connection it arrives on), so left in place it would stall every
    /// consumer whose filter covers it, devices' included, each for its MaxDeliver × ack wait,
    /// and again for every consumer created later. Deleting it settles it for every consumer at
    /// once (the server treats a deleted pending message as acknowledged). Other messages stay.
    pub async fn quarantine(
        &self,
        consumer: &str,
        stream: &str,
        m: &StoredMessage,
        deliveries: i64,
        error: &str,
    ) -> Result<(), DlqError> {
        let reason;
        let error = match &m.header_error {
            Some(e) => {
                reason = format!("headers.unparseable: {e}; {error}");
                reason.as_str()
            }
            None => error,
        };
        self.copy_raw(Origin {
            consumer,
            stream,
            seq: m.seq,
            subject: &m.subject,
            headers: Some(&m.headers),
            payload: m.payload.clone(),
            deliveries,
            error,
        })
        .await
        .map_err(|e| DlqError::Nats(e.to_string()))?;
        if m.header_error.is_some() {
            let s = self
                .js
                .get_stream_no_info(stream)
                .await
                .map_err(|e| DlqError::Nats(e.to_string()))?;
            // Another replica may have deleted it first: that is the same outcome.
            if let Err(e) = s.delete_message(m.seq).await {
                tracing::debug!(stream, seq = m.seq, error = %e, "unreadable message not deleted");
            }
        }
        Ok(())
    }

    /// Every [`SWEEP_EVERY`], finds consumers stuck on a message no client can receive and
    /// quarantines it ([`DeadLetters::quarantine`]). Such a message drops the connection of
    /// whoever it is delivered to, so neither the worker (never sees it) nor the max-deliveries
    /// advisory (core NATS, published while the receiving replica reconnects) can be relied on.
    /// A consumer is stuck when it has unacknowledged messages and its ack floor has not moved
    /// since the previous sweep; then the messages after its floor (up to [`SWEEP_SCAN`], each
    /// read once while the floor stays) are read through the JSON `STREAM.MSG.GET` API, whose
    /// base64 headers arrive intact. Every
    /// consumer on the topology's streams is looked at, devices' too: central creates theirs.
    ///
    /// Run it on its own connection: the workers' connection is the one the bad message drops.
    pub async fn sweep_unreadable(self, mut shutdown: watch::Receiver<bool>) {
        let mut floors: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(SWEEP_EVERY) => {}
            }
            for kind in [
                StreamKind::Events,
                StreamKind::Commands,
                StreamKind::Dispatch,
            ] {
                let name = self.topology().stream_name(kind);
                if let Err(e) = self.sweep_stream(&name, &mut floors).await {
                    tracing::debug!(stream = %name, error = %e, "sweep failed; next time");
                }
            }
        }
    }

    async fn sweep_stream(
        &self,
        name: &str,
        floors: &mut BTreeMap<(String, String), (u64, u64)>,
    ) -> Result<(), String> {
        let stream = self
            .js
            .get_stream_no_info(name)
            .await
            .map_err(|e| e.to_string())?;
        let mut consumers = stream.consumers();
        while let Some(info) = consumers.next().await {
            let info = info.map_err(|e| e.to_string())?;
            let key = (name.to_string(), info.name.clone());
            let floor = info.ack_floor.stream_sequence;
            if info.num_ack_pending == 0 {
                floors.remove(&key);
                continue;
            }
            // (floor at the previous sweep, last sequence read since).
            let scanned = match floors.get(&key) {
                Some((before, scanned)) if *before == floor => *scanned,
                _ => {
                    floors.insert(key, (floor, floor));
                    continue;
                }
            };
            let filters = if info.config.filter_subjects.is_empty() {
                vec![info.config.filter_subject.clone()]
            } else {
                info.config.filter_subjects.clone()
            };
            let last = info
                .delivered
                .stream_sequence
                .min(floor.saturating_add(SWEEP_SCAN));
            let mut read_up_to = scanned;
            for seq in scanned + 1..=last {
                let m = match read_stored(&self.js, name, seq).await {
                    Ok(Some(m)) => m,
                    Ok(None) => {
                        read_up_to = seq;
                        continue;
                    }
                    Err(_) => break,
                };
                read_up_to = seq;
                let covered = filters
                    .iter()
                    .any(|f| f.is_empty() || matches(f, &m.subject));
                if m.header_error.is_some() && covered {
                    let error = "found by the sweep: the consumer cannot receive it";
                    if let Err(e) = self
                        .quarantine(&info.name, name, &m, info.num_redelivered as i64 + 1, error)
                        .await
                    {
                        tracing::warn!(consumer = %info.name, seq, error = %e, "quarantine failed");
                        read_up_to = seq - 1;
                        break;
                    }
                }
            }
            floors.insert(key, (floor, read_up_to));
        }
        Ok(())
    }
}

/// How often [`DeadLetters::sweep_unreadable`] looks for stuck consumers.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// How many messages past a stuck consumer's ack floor the sweep reads.
pub const SWEEP_SCAN: u64 = 64;

/// A message read from its stream through the JSON `STREAM.MSG.GET` API.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// Its subject.
    pub subject: String,
    /// Its stream sequence.
    pub seq: u64,
    /// The header lines that parse (all of them unless [`header_error`](Self::header_error)).
    pub headers: HeaderMap,
    /// Why the header block cannot be parsed by a client, if it cannot.
    pub header_error: Option<String>,
    /// The payload.
    pub payload: Bytes,
}

/// Reads message `seq` of `stream` through the JSON `STREAM.MSG.GET` API (headers arrive
/// base64-encoded, so a block no client could parse is read too); `None` if there is none.
pub async fn read_stored(
    js: &async_nats::jetstream::Context,
    stream: &str,
    seq: u64,
) -> Result<Option<StoredMessage>, DlqError> {
    read_stored_with(js, stream, serde_json::json!({ "seq": seq })).await
}

/// [`read_stored`] with a raw `STREAM.MSG.GET` request (`seq`, `next_by_subj`, `last_by_subj`).
pub async fn read_stored_with(
    js: &async_nats::jetstream::Context,
    stream: &str,
    request: serde_json::Value,
) -> Result<Option<StoredMessage>, DlqError> {
    #[derive(Deserialize)]
    struct Raw {
        subject: String,
        seq: u64,
        #[serde(default)]
        hdrs: Option<String>,
        #[serde(default)]
        data: Option<String>,
    }
    #[derive(Deserialize)]
    struct Answer {
        message: Option<Raw>,
        error: Option<serde_json::Value>,
    }
    let answer: Answer = js
        .request(format!("STREAM.MSG.GET.{stream}"), &request)
        .await
        .map_err(|e| DlqError::Nats(e.to_string()))?;
    let Some(raw) = answer.message else {
        return match answer.error {
            Some(e) if e["code"] == 404 => Ok(None),
            e => Err(DlqError::Nats(format!("msg get {stream} {request}: {e:?}"))),
        };
    };
    let decode = |s: Option<&String>| -> Result<Vec<u8>, DlqError> {
        s.map_or(Ok(Vec::new()), |s| {
            base64_decode(s)
                .ok_or_else(|| DlqError::Nats(format!("msg get {stream} {request}: bad base64")))
        })
    };
    let block = decode(raw.hdrs.as_ref())?;
    let (headers, header_error) = if block.is_empty() {
        (HeaderMap::new(), None)
    } else {
        parse_header_block(&block)
    };
    Ok(Some(StoredMessage {
        subject: raw.subject,
        seq: raw.seq,
        headers,
        header_error,
        payload: Bytes::from(decode(raw.data.as_ref())?),
    }))
}

/// Parses a `NATS/1.0` header block as async-nats does when it receives one (the rules of its
/// connection reader), leniently: every line that parses is kept, and the first reason the
/// client would refuse the block is returned beside them.
pub fn parse_header_block(block: &[u8]) -> (HeaderMap, Option<String>) {
    let mut headers = HeaderMap::new();
    let Ok(text) = std::str::from_utf8(block) else {
        return (headers, Some("header block is not UTF-8".into()));
    };
    let mut error: Option<String> = None;
    let mut lines = text.lines().peekable();
    match lines
        .next()
        .map(|l| l.strip_prefix("NATS/1.0").map(str::trim))
    {
        None | Some(None) => {
            error = Some("header block does not begin with NATS/1.0".into());
        }
        Some(Some(suffix)) => {
            let status = suffix.split_once(' ').map_or(suffix, |(s, _)| s.trim());
            if !status.is_empty() && status.parse::<async_nats::StatusCode>().is_err() {
                error = Some(format!("bad status {status:?}"));
            }
        }
    }
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            error.get_or_insert_with(|| format!("header line without a colon: {:?}", clip(line)));
            continue;
        };
        let Ok(name) = name.parse::<async_nats::HeaderName>() else {
            error.get_or_insert_with(|| format!("bad header name {:?}", clip(name)));
            continue;
        };
        let mut value = value.trim_start().to_owned();
        while let Some(v) = lines.next_if(|s| s.starts_with(char::is_whitespace)) {
            value.push_str(v);
        }
        value.truncate(value.trim_end().len());
        headers.append(name, value.as_str());
    }
    (headers, error)
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Standard base64 (with or without padding); `None` if `s` is not base64.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Whether NATS subject `subject` matches filter `filter` (`*` one token, `>` the rest).
pub fn matches(filter: &str, subject: &str) -> bool {
    let mut s = subject.split('.');
    for f in filter.split('.') {
        match (f, s.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (f, Some(t)) if f == t => {}
            _ => return false,
        }
    }
    s.next().is_none()
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

    #[test]
    fn header_blocks_are_parsed_as_the_client_does_keeping_what_parses() {
        let (h, err) = parse_header_block(b"NATS/1.0\r\nNats-Msg-Id: a\r\nX-Y:  b \r\n\r\n");
        assert_eq!(err, None);
        assert_eq!(h.get("Nats-Msg-Id").unwrap().as_str(), "a");
        assert_eq!(h.get("X-Y").unwrap().as_str(), "b");
        let (h, err) =
            parse_header_block(b"NATS/1.0\r\nno colon in this header\r\nNats-Msg-Id: m1\r\n\r\n");
        assert!(err.unwrap().contains("without a colon"));
        assert_eq!(
            h.get("Nats-Msg-Id").unwrap().as_str(),
            "m1",
            "good lines kept"
        );
        assert!(parse_header_block(b"HTTP/1.1\r\n\r\n").1.is_some());
        assert!(parse_header_block(b"NATS/1.0\r\nbad name: v\r\n\r\n")
            .1
            .is_some());
        assert!(parse_header_block(&[0xff, 0xfe]).1.is_some());
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64_decode("TkFUUy8xLjA=").unwrap(), b"NATS/1.0");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YWI").unwrap(), b"ab");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn subjects_match_filters() {
        assert!(matches("m.ev.>", "m.ev.kiosk.k1.order.1"));
        assert!(matches("m.ev.kiosk.*.order.*", "m.ev.kiosk.k1.order.1"));
        assert!(!matches("m.ev.kiosk.*.order.*", "m.ev.kiosk.k1.order.1.x"));
        assert!(!matches("m.ev.kiosk.*.order.*", "m.ev.kiosk.k1.customer.1"));
        assert!(!matches("m.ev.>", "m.ev"));
        assert!(matches("m.cmd.diag.ping", "m.cmd.diag.ping"));
    }
}
