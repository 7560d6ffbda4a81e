//! The simulated JetStream: what the product relies on, nothing more.
//!
//! * one log of messages per stream with per-subject last sequences;
//! * `Nats-Msg-Id` de-duplication within a window (a duplicate gets the first one's sequence),
//!   then the `Nats-Expected-Last-Subject-Sequence` check;
//! * durable pull consumers with a subject filter: ack, nak with delay, in-progress, redelivery
//!   after the ack wait (redeliveries go out before new messages, oldest first), `MaxDeliver`
//!   (then the message is dead-lettered), work-queue streams (an acked message is removed);
//! * KV buckets with revisions and compare-and-set;
//! * scheduled messages (one pending schedule per subject; a newer one replaces it).
//!
//! Everything is ordered (B-tree maps), so a run depends on its seed alone.

use async_nats::HeaderMap;
use std::collections::BTreeMap;

/// One stored message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Stream sequence.
    pub seq: u64,
    /// Subject.
    pub subject: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Payload.
    pub payload: Vec<u8>,
    /// `Nats-Msg-Id`, if any.
    pub msg_id: Option<String>,
    /// When the stream stored it (ms).
    pub published_ms: i64,
}

/// Why a publish was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishError {
    /// `Nats-Expected-Last-Subject-Sequence` was stale: the subject's last sequence is this.
    WrongLastSequence(u64),
    /// No stream takes the subject.
    NoStream,
    /// The message (headers and payload) is over the `max_payload` a device may send.
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The publisher may not publish to the subject (its enrollment's rights).
    Forbidden,
}

/// The streams the product uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StreamName {
    /// `<root>.ev.>`: the log.
    Events,
    /// Commands, replies, fired timers.
    Commands,
    /// Shopping lists offered to bots (work queue).
    Dispatch,
}

/// A stream.
#[derive(Debug, Default)]
struct Stream {
    messages: BTreeMap<u64, Message>,
    last_seq: u64,
    last_by_subject: BTreeMap<String, u64>,
    /// Each subject's sequences, ascending (an index: reads by subject are the hot path).
    by_subject: BTreeMap<String, Vec<u64>>,
    /// msg-id → (sequence, stored at ms).
    dedup: BTreeMap<String, (u64, i64)>,
    work_queue: bool,
}

/// A delivered message.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The consumer.
    pub consumer: String,
    /// The message.
    pub message: Message,
    /// Delivery count (1 on the first).
    pub delivered: u32,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    delivered: u32,
    due_ms: i64,
}

/// A durable pull consumer.
#[derive(Debug)]
struct Consumer {
    stream: StreamName,
    filters: Vec<String>,
    /// The next stream sequence not yet delivered.
    next: u64,
    pending: BTreeMap<u64, Pending>,
    ack_wait_ms: i64,
    max_deliver: u32,
}

/// A message that reached `MaxDeliver` or was terminated.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// The consumer.
    pub consumer: String,
    /// Subject of the message.
    pub subject: String,
    /// Why.
    pub reason: String,
}

/// A KV entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Value (`None`: deleted or purged).
    pub value: Option<Vec<u8>>,
    /// Revision.
    pub revision: u64,
    /// When it was written (ms), as the server's entry time.
    pub written_ms: i64,
}

/// A scheduled message.
#[derive(Debug, Clone)]
struct Scheduled {
    fire_ms: i64,
    msg_id: String,
    payload: Vec<u8>,
}

/// The simulated server.
#[derive(Debug)]
pub struct Bus {
    root: String,
    streams: BTreeMap<StreamName, Stream>,
    consumers: BTreeMap<String, Consumer>,
    buckets: BTreeMap<String, (u64, BTreeMap<String, Entry>)>,
    schedules: BTreeMap<String, Scheduled>,
    dedup_window_ms: i64,
    /// Dead letters, in order.
    pub dead_letters: Vec<DeadLetter>,
    /// The `max_payload` a device's publish may not exceed, while lowered.
    pub device_max_payload: Option<usize>,
    /// Each enrolled device's publish rights (subject patterns), as the server holds them.
    pub device_rights: BTreeMap<String, Vec<String>>,
}

/// Whether `subject` matches a filter or pattern (`*` one token, `>` the rest): the product's
/// own matcher.
pub use mallbots_wire::devices::subject_matches;

/// A message's size as the server counts it against `max_payload`: headers and payload.
pub fn message_size(headers: &HeaderMap, payload: usize) -> usize {
    let headers: usize = headers
        .iter()
        .map(|(name, values)| {
            let name = name.to_string().len();
            values
                .iter()
                .map(|v| name + v.as_str().len() + 4)
                .sum::<usize>()
        })
        .sum();
    "NATS/1.0\r\n\r\n".len() + headers + payload
}

impl Bus {
    /// A server for subject root `root`, de-duplicating msg-ids for `dedup_window_ms`.
    pub fn new(root: &str, dedup_window_ms: i64) -> Self {
        let mut streams = BTreeMap::new();
        streams.insert(StreamName::Events, Stream::default());
        streams.insert(StreamName::Commands, Stream::default());
        streams.insert(
            StreamName::Dispatch,
            Stream {
                work_queue: true,
                ..Stream::default()
            },
        );
        Self {
            root: root.to_owned(),
            streams,
            consumers: BTreeMap::new(),
            buckets: BTreeMap::new(),
            schedules: BTreeMap::new(),
            dedup_window_ms,
            dead_letters: Vec::new(),
            device_max_payload: None,
            device_rights: BTreeMap::new(),
        }
    }

    /// The subject root.
    pub fn root(&self) -> &str {
        &self.root
    }

    fn stream_of(&self, subject: &str) -> Option<StreamName> {
        let rest = subject.strip_prefix(&self.root)?.strip_prefix('.')?;
        let first = rest.split('.').next()?;
        match first {
            "ev" => Some(StreamName::Events),
            "cmd" | "reply" | "timer" => Some(StreamName::Commands),
            "dispatch" => Some(StreamName::Dispatch),
            _ => None,
        }
    }

    /// Stores a message (see the module docs for the checks), returning its sequence; a
    /// duplicate msg-id within the window returns the first one's sequence.
    /// A device's publish, as the server takes it from the device's connection: refused when
    /// the subject is outside the device's rights or the message is over the lowered
    /// `max_payload`; else [`Bus::publish`].
    #[allow(clippy::too_many_arguments)]
    pub fn publish_from(
        &mut self,
        device: &str,
        subject: &str,
        msg_id: Option<&str>,
        expected_last: Option<u64>,
        headers: HeaderMap,
        payload: Vec<u8>,
        now_ms: i64,
    ) -> Result<u64, PublishError> {
        let allowed = self
            .device_rights
            .get(device)
            .is_some_and(|rights| rights.iter().any(|p| subject_matches(p, subject)));
        if !allowed {
            return Err(PublishError::Forbidden);
        }
        if let Some(max) = self.device_max_payload {
            let size = message_size(&headers, payload.len());
            if size > max {
                return Err(PublishError::TooLarge { size, max });
            }
        }
        self.publish(subject, msg_id, expected_last, headers, payload, now_ms)
    }

    pub fn publish(
        &mut self,
        subject: &str,
        msg_id: Option<&str>,
        expected_last: Option<u64>,
        headers: HeaderMap,
        payload: Vec<u8>,
        now_ms: i64,
    ) -> Result<u64, PublishError> {
        let name = self.stream_of(subject).ok_or(PublishError::NoStream)?;
        let window = self.dedup_window_ms;
        let stream = self.streams.get_mut(&name).ok_or(PublishError::NoStream)?;
        stream.dedup.retain(|_, (_, at)| now_ms - *at < window);
        if let Some(id) = msg_id {
            if let Some((seq, _)) = stream.dedup.get(id) {
                return Ok(*seq);
            }
        }
        let last = stream.last_by_subject.get(subject).copied().unwrap_or(0);
        if let Some(expected) = expected_last {
            if expected != last {
                return Err(PublishError::WrongLastSequence(last));
            }
        }
        stream.last_seq += 1;
        let seq = stream.last_seq;
        stream.last_by_subject.insert(subject.to_owned(), seq);
        stream
            .by_subject
            .entry(subject.to_owned())
            .or_default()
            .push(seq);
        if let Some(id) = msg_id {
            stream.dedup.insert(id.to_owned(), (seq, now_ms));
        }
        stream.messages.insert(
            seq,
            Message {
                seq,
                subject: subject.to_owned(),
                headers,
                payload,
                msg_id: msg_id.map(str::to_owned),
                published_ms: now_ms,
            },
        );
        Ok(seq)
    }

    /// The last sequence of `subject` (0: none).
    pub fn last_on_subject(&self, subject: &str) -> u64 {
        self.stream_of(subject)
            .and_then(|n| self.streams.get(&n))
            .and_then(|s| s.last_by_subject.get(subject).copied())
            .unwrap_or(0)
    }

    /// The last message of `subject` (a direct get by subject).
    pub fn last_message(&self, subject: &str) -> Option<&Message> {
        let stream = self.streams.get(&self.stream_of(subject)?)?;
        stream.messages.get(stream.last_by_subject.get(subject)?)
    }

    /// Every message of `subject`, oldest first.
    pub fn history(&self, subject: &str) -> Vec<&Message> {
        let Some(stream) = self.stream_of(subject).and_then(|n| self.streams.get(&n)) else {
            return Vec::new();
        };
        stream
            .by_subject
            .get(subject)
            .map(|seqs| seqs.iter().filter_map(|s| stream.messages.get(s)).collect())
            .unwrap_or_default()
    }

    /// The messages of `subject` decoded as `E`, oldest first (one that does not decode is
    /// skipped).
    pub fn decoded<E: serde::de::DeserializeOwned>(&self, subject: &str) -> Vec<E> {
        self.history(subject)
            .into_iter()
            .filter_map(|m| serde_json::from_slice(&m.payload).ok())
            .collect()
    }

    /// The first message of a subject matching `filter` (a wildcard may stand for a token):
    /// the oldest of the subjects' first messages.
    pub fn first_matching(&self, filter: &str) -> Option<&Message> {
        let stream = self.streams.get(&self.stream_of(filter)?)?;
        stream
            .by_subject
            .iter()
            .filter(|(subject, _)| subject_matches(filter, subject))
            .filter_map(|(_, seqs)| seqs.iter().find_map(|s| stream.messages.get(s)))
            .min_by_key(|m| m.seq)
    }

    /// Every message of the events stream matching `filter`, oldest first.
    pub fn events_matching(&self, filter: &str) -> Vec<&Message> {
        self.streams[&StreamName::Events]
            .messages
            .values()
            .filter(|m| subject_matches(filter, &m.subject))
            .collect()
    }

    /// Creates durable consumer `name` (kept if it exists).
    pub fn add_consumer(
        &mut self,
        name: &str,
        stream: StreamName,
        filters: &[String],
        ack_wait_ms: i64,
        max_deliver: u32,
    ) {
        self.consumers
            .entry(name.to_owned())
            .or_insert_with(|| Consumer {
                stream,
                filters: filters.to_vec(),
                next: 1,
                pending: BTreeMap::new(),
                ack_wait_ms,
                max_deliver,
            });
    }

    /// The next message for `consumer`: a due redelivery first (oldest first), else the next new
    /// message; `None` if there is nothing.
    pub fn fetch(&mut self, consumer: &str, now_ms: i64) -> Option<Delivery> {
        let c = self.consumers.get_mut(consumer)?;
        let stream = self.streams.get_mut(&c.stream)?;
        loop {
            let due = c
                .pending
                .iter()
                .find(|(_, p)| p.due_ms <= now_ms)
                .map(|(seq, p)| (*seq, *p));
            let (seq, delivered) = match due {
                Some((seq, p)) => (seq, p.delivered + 1),
                None => {
                    let next = stream
                        .messages
                        .range(c.next..)
                        .find(|(_, m)| c.filters.iter().any(|f| subject_matches(f, &m.subject)))
                        .map(|(seq, _)| *seq)?;
                    c.next = next + 1;
                    (next, 1)
                }
            };
            let Some(message) = stream.messages.get(&seq).cloned() else {
                c.pending.remove(&seq);
                continue;
            };
            if delivered > c.max_deliver {
                c.pending.remove(&seq);
                if stream.work_queue {
                    stream.messages.remove(&seq);
                }
                self.dead_letters.push(DeadLetter {
                    consumer: consumer.to_owned(),
                    subject: message.subject,
                    reason: format!("max deliver ({}) reached", c.max_deliver),
                });
                return None;
            }
            c.pending.insert(
                seq,
                Pending {
                    delivered,
                    due_ms: now_ms + c.ack_wait_ms,
                },
            );
            return Some(Delivery {
                consumer: consumer.to_owned(),
                message,
                delivered,
            });
        }
    }

    /// Acknowledges `seq` on `consumer` (a work queue drops the message).
    pub fn ack(&mut self, consumer: &str, seq: u64) {
        if let Some(c) = self.consumers.get_mut(consumer) {
            if c.pending.remove(&seq).is_some() {
                if let Some(stream) = self.streams.get_mut(&c.stream) {
                    if stream.work_queue {
                        stream.messages.remove(&seq);
                    }
                }
            }
        }
    }

    /// Asks for redelivery of `seq` after `delay_ms`.
    pub fn nak(&mut self, consumer: &str, seq: u64, delay_ms: i64, now_ms: i64) {
        if let Some(p) = self
            .consumers
            .get_mut(consumer)
            .and_then(|c| c.pending.get_mut(&seq))
        {
            p.due_ms = now_ms + delay_ms;
        }
    }

    /// Work still going on: restarts `seq`'s ack wait.
    pub fn in_progress(&mut self, consumer: &str, seq: u64, now_ms: i64) {
        if let Some(c) = self.consumers.get_mut(consumer) {
            let wait = c.ack_wait_ms;
            if let Some(p) = c.pending.get_mut(&seq) {
                p.due_ms = now_ms + wait;
            }
        }
    }

    /// Terminates `seq` (never redelivered) and dead-letters it with `reason`.
    pub fn term(&mut self, consumer: &str, seq: u64, subject: &str, reason: &str) {
        self.ack(consumer, seq);
        self.dead_letters.push(DeadLetter {
            consumer: consumer.to_owned(),
            subject: subject.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// Messages `consumer` has not yet had acknowledged (delivered or not).
    pub fn backlog(&self, consumer: &str) -> usize {
        let Some(c) = self.consumers.get(consumer) else {
            return 0;
        };
        let stream = &self.streams[&c.stream];
        let new = stream
            .messages
            .range(c.next..)
            .filter(|(_, m)| c.filters.iter().any(|f| subject_matches(f, &m.subject)))
            .count();
        new + c.pending.len()
    }

    /// Consumer names.
    pub fn consumer_names(&self) -> Vec<String> {
        self.consumers.keys().cloned().collect()
    }

    /// KV `bucket`'s keys with a value, in order.
    pub fn kv_keys(&self, bucket: &str) -> Vec<String> {
        self.buckets
            .get(bucket)
            .map(|(_, entries)| {
                entries
                    .iter()
                    .filter(|(_, e)| e.value.is_some())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// KV `bucket`'s entry for `key`.
    pub fn kv_get(&self, bucket: &str, key: &str) -> Option<Entry> {
        self.buckets.get(bucket)?.1.get(key).cloned()
    }

    /// Writes `value` (or deletes with `None`) at `now` if `key`'s revision is `expected` (0:
    /// absent or deleted); the new revision, or `None` on a wrong revision.
    pub fn kv_swap(
        &mut self,
        bucket: &str,
        key: &str,
        value: Option<Vec<u8>>,
        expected: u64,
        now: i64,
    ) -> Option<u64> {
        let (revision, entries) = self.buckets.entry(bucket.to_owned()).or_default();
        let current = entries.get(key);
        let ok = match current {
            None => expected == 0,
            Some(e) => e.revision == expected || (e.value.is_none() && expected == 0),
        };
        if !ok {
            return None;
        }
        *revision += 1;
        entries.insert(
            key.to_owned(),
            Entry {
                value,
                revision: *revision,
                written_ms: now,
            },
        );
        Some(*revision)
    }

    /// Schedules `payload` on `subject` at `fire_ms` (replacing a pending schedule there).
    pub fn schedule(&mut self, subject: &str, fire_ms: i64, msg_id: &str, payload: Vec<u8>) {
        self.schedules.insert(
            subject.to_owned(),
            Scheduled {
                fire_ms,
                msg_id: msg_id.to_owned(),
                payload,
            },
        );
    }

    /// Publishes the schedules due at `now_ms`; how many fired.
    pub fn fire_schedules(&mut self, now_ms: i64) -> usize {
        let due: Vec<String> = self
            .schedules
            .iter()
            .filter(|(_, s)| s.fire_ms <= now_ms)
            .map(|(subject, _)| subject.clone())
            .collect();
        for subject in &due {
            if let Some(s) = self.schedules.remove(subject) {
                let _ = self.publish(
                    subject,
                    Some(&s.msg_id),
                    None,
                    HeaderMap::new(),
                    s.payload,
                    now_ms,
                );
            }
        }
        due.len()
    }

    /// The earliest pending schedule, if any.
    pub fn next_schedule_ms(&self) -> Option<i64> {
        self.schedules.values().map(|s| s.fire_ms).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus() -> Bus {
        Bus::new("m", 1000)
    }

    #[test]
    fn expected_sequence_and_dedup() {
        let mut b = bus();
        let h = HeaderMap::new;
        assert_eq!(
            b.publish("m.ev.a", Some("1"), Some(0), h(), vec![], 0),
            Ok(1)
        );
        assert_eq!(
            b.publish("m.ev.a", Some("1"), Some(0), h(), vec![], 10),
            Ok(1)
        );
        assert_eq!(
            b.publish("m.ev.a", Some("2"), Some(0), h(), vec![], 20),
            Err(PublishError::WrongLastSequence(1))
        );
        // Past the window the msg-id is forgotten: only the expected sequence protects.
        assert_eq!(
            b.publish("m.ev.a", Some("1"), Some(0), h(), vec![], 5000),
            Err(PublishError::WrongLastSequence(1))
        );
    }

    #[test]
    fn redelivery_after_ack_wait_and_max_deliver() {
        let mut b = bus();
        b.publish("m.cmd.x", None, None, HeaderMap::new(), vec![], 0)
            .unwrap();
        b.add_consumer("c", StreamName::Commands, &["m.cmd.>".into()], 100, 2);
        assert_eq!(b.fetch("c", 0).unwrap().delivered, 1);
        assert!(b.fetch("c", 50).is_none());
        assert_eq!(b.fetch("c", 100).unwrap().delivered, 2);
        assert!(b.fetch("c", 200).is_none());
        assert_eq!(b.dead_letters.len(), 1);
    }

    #[test]
    fn kv_compare_and_set() {
        let mut b = bus();
        assert_eq!(b.kv_swap("k", "a", Some(vec![1]), 0, 5), Some(1));
        assert_eq!(b.kv_swap("k", "a", Some(vec![2]), 0, 6), None);
        assert_eq!(b.kv_swap("k", "a", Some(vec![2]), 1, 7), Some(2));
        assert_eq!(b.kv_get("k", "a").map(|e| e.written_ms), Some(7));
    }

    #[test]
    fn wildcards() {
        assert!(subject_matches("m.ev.order.k1.>", "m.ev.order.k1.abc"));
        assert!(subject_matches(
            "m.ev.kiosk.*.order.*",
            "m.ev.kiosk.k1.order.x"
        ));
        assert!(!subject_matches(
            "m.ev.kiosk.*.order.*",
            "m.ev.kiosk.k1.basket.x"
        ));
    }
}
