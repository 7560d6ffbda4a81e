//! The pure half of sync: given what the edge knows about a subject (its pending events, the
//! last sequence it knows, and — after a conflict or a lost ack — the messages read back from
//! the subject), decide what to do. No I/O, no clock: the relay executes the operations.
//!
//! Modeled on atuin's `SyncEngine::operations` and tested as a case table
//! (`sync/tests/engine_plan.rs`). The rules (docs/architecture.md §6):
//! * one publish in flight per subject, in order, expecting the last known sequence;
//! * an ack marks the event published; a wrong-last-sequence error or a lost ack reads the
//!   subject back from `known + 1`;
//! * a read-back message whose msg-id is one of our pending events was a lost ack: mark it
//!   published at that sequence; any other writer's message starts a rebase.
//!
//! A read-back comes in one of two shapes ([`ReadBack`]), so that no device ever needs a read
//! right wider than its own subjects (docs/architecture.md §5):
//! * [`ReadBack::Last`], the subject's last message only (`$JS.API.DIRECT.GET.<stream>.<subject>`,
//!   which a kiosk's permissions name per subject). Used on the device's **own, single-writer**
//!   subjects. Every publish carries the expected last subject sequence and goes out only after
//!   the previous event of the subject was acknowledged, so what lies on such a subject after
//!   `known_seq` is a prefix of the pending events, in order. If the last message is pending
//!   event `j`, events `0..=j` were all accepted, in order, with nothing else in between: `j`
//!   is marked at the last message's sequence ([`Operation::MarkPublished`]), and the events
//!   before it are marked accepted *at or before* it ([`Operation::MarkAccepted`]). Their exact
//!   sequences cannot be read within the device's permissions, and nothing needs them: the
//!   next publish expects the subject's last sequence (exact), and the edge only uses an
//!   event's sequence as "published" and, per aggregate, its maximum (exact).
//! * [`ReadBack::All`], every message after `known_seq` (multi-writer catalog subjects of a
//!   manager, gathered from the device's own catalog consumer, see [`super::recover`]).

use uuid::Uuid;

/// An aggregate: `(stream_type, stream_id)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamKey {
    /// Aggregate type.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
}

/// A message read back from a subject: its sequence and msg-id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteMessage {
    /// Stream sequence.
    pub seq: u64,
    /// `Nats-Msg-Id`, if it is a UUID.
    pub msg_id: Option<Uuid>,
}

/// What the edge knows about one subject it has pending events for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectView {
    /// The subject.
    pub subject: String,
    /// The aggregate its pending events belong to.
    pub stream: StreamKey,
    /// The last stream sequence known for the subject (0 = none: a new aggregate).
    pub known_seq: u64,
    /// Pending event ids, in order.
    pub pending: Vec<Uuid>,
    /// A publish on this subject awaits its ack.
    pub in_flight: bool,
    /// What was read back from the subject after a conflict or a lost ack; `None` if not read.
    pub read_back: Option<ReadBack>,
}

/// What a read-back saw (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBack {
    /// Every message after the known sequence, oldest first.
    All(Vec<RemoteMessage>),
    /// Only the subject's last message (`None`: the subject is empty). Only valid on the
    /// device's own single-writer subjects.
    Last(Option<RemoteMessage>),
}

/// How a publish ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// Stored at this sequence (possibly a duplicate msg-id, same sequence).
    Acked(u64),
    /// `Nats-Expected-Last-Subject-Sequence` was stale.
    WrongLastSequence,
    /// No ack arrived in time: it may or may not be stored.
    AckLost,
    /// The server refused it for another reason (permissions, no stream, …).
    Refused,
}

/// One step for the relay to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Publish `event_id` to `subject` expecting `expected_seq` as its last sequence.
    Publish {
        /// The subject.
        subject: String,
        /// The event.
        event_id: Uuid,
        /// `Nats-Expected-Last-Subject-Sequence`.
        expected_seq: u64,
    },
    /// Record that `event_id` is stored at `seq` (an ack, or a lost ack found on the subject).
    MarkPublished {
        /// The subject.
        subject: String,
        /// The event.
        event_id: Uuid,
        /// Its stream sequence.
        seq: u64,
    },
    /// Record that `event_id` was accepted on the subject at a sequence at or before
    /// `by_seq`, whose message (a later pending event) was read back: recorded at `by_seq`
    /// (see the module doc).
    MarkAccepted {
        /// The subject.
        subject: String,
        /// The event.
        event_id: Uuid,
        /// The sequence of the later event that proves it was accepted.
        by_seq: u64,
    },
    /// Read the subject back from `from_seq` (conflict or lost ack).
    ReadBack {
        /// The subject.
        subject: String,
        /// First sequence to read.
        from_seq: u64,
    },
    /// Other writers' messages are on the subject: apply them and re-run the aggregate's
    /// pending commands, then continue from `last_seq`.
    Rebase {
        /// The subject.
        subject: String,
        /// The aggregate.
        stream: StreamKey,
        /// Sequences of the other writers' messages, oldest first.
        foreign_seqs: Vec<u64>,
        /// The subject's last sequence after them.
        last_seq: u64,
    },
    /// Count a failed attempt and retry later (after backoff).
    RecordFailure {
        /// The subject.
        subject: String,
        /// The event.
        event_id: Uuid,
    },
    /// Pull the device's consumer.
    Fetch {
        /// Durable name.
        consumer: String,
    },
    /// Nothing to do.
    Idle,
}

/// The publish [`plan_subject`] plans for a subject with nothing in flight and nothing read
/// back: its first pending event, expecting the known sequence. Without allocating: the
/// relay's path for every event.
pub fn next_publish(view: &SubjectView) -> Option<(Uuid, u64)> {
    if view.in_flight || view.read_back.is_some() {
        return None;
    }
    view.pending.first().map(|id| (*id, view.known_seq))
}

/// The next step for one subject.
pub fn plan_subject(view: &SubjectView) -> Vec<Operation> {
    if view.in_flight {
        return Vec::new();
    }
    let mut ops = Vec::new();
    let mut expected = view.known_seq;
    let mut remaining: &[Uuid] = &view.pending;
    match &view.read_back {
        None => {}
        Some(ReadBack::All(messages)) => {
            let mut foreign = Vec::new();
            for m in messages.iter().filter(|m| m.seq > view.known_seq) {
                // Strict order: only the next pending event can be ours (one publish in flight
                // per subject, each sent after the previous one's ack).
                let ours = foreign.is_empty()
                    && m.msg_id.is_some()
                    && m.msg_id == remaining.first().copied();
                if ours {
                    ops.push(Operation::MarkPublished {
                        subject: view.subject.clone(),
                        event_id: remaining[0],
                        seq: m.seq,
                    });
                    remaining = &remaining[1..];
                } else {
                    foreign.push(m.seq);
                }
                expected = expected.max(m.seq);
            }
            if !foreign.is_empty() {
                ops.push(Operation::Rebase {
                    subject: view.subject.clone(),
                    stream: view.stream.clone(),
                    foreign_seqs: foreign,
                    last_seq: expected,
                });
                return ops;
            }
        }
        Some(ReadBack::Last(_)) if remaining.is_empty() => return ops,
        Some(ReadBack::Last(last)) => {
            let Some(last) = last.filter(|m| m.seq > view.known_seq) else {
                // Nothing after the known sequence: publish again.
                return first_publish(view, remaining, expected);
            };
            let ours = last
                .msg_id
                .and_then(|id| remaining.iter().position(|p| *p == id));
            match ours {
                Some(j) => {
                    for event_id in &remaining[..j] {
                        ops.push(Operation::MarkAccepted {
                            subject: view.subject.clone(),
                            event_id: *event_id,
                            by_seq: last.seq,
                        });
                    }
                    ops.push(Operation::MarkPublished {
                        subject: view.subject.clone(),
                        event_id: remaining[j],
                        seq: last.seq,
                    });
                    remaining = &remaining[j + 1..];
                    expected = last.seq;
                }
                None => {
                    // Not one of ours on our own subject: the log here diverged from the
                    // server's (a restored backup, a second writer with this device's id).
                    // The server is authoritative: rebase on what can be read, its last message.
                    ops.push(Operation::Rebase {
                        subject: view.subject.clone(),
                        stream: view.stream.clone(),
                        foreign_seqs: vec![last.seq],
                        last_seq: last.seq,
                    });
                    return ops;
                }
            }
        }
    }
    ops.extend(first_publish(view, remaining, expected));
    ops
}

fn first_publish(view: &SubjectView, remaining: &[Uuid], expected: u64) -> Vec<Operation> {
    remaining
        .first()
        .map(|first| Operation::Publish {
            subject: view.subject.clone(),
            event_id: *first,
            expected_seq: expected,
        })
        .into_iter()
        .collect()
}
/// What follows a publish of `event_id` on `subject` that expected `expected_seq`.
pub fn after_publish(
    subject: &str,
    event_id: Uuid,
    expected_seq: u64,
    outcome: PublishOutcome,
) -> Operation {
    let subject = subject.to_owned();
    match outcome {
        PublishOutcome::Acked(seq) => Operation::MarkPublished {
            subject,
            event_id,
            seq,
        },
        PublishOutcome::WrongLastSequence | PublishOutcome::AckLost => Operation::ReadBack {
            subject,
            from_seq: expected_seq + 1,
        },
        PublishOutcome::Refused => Operation::RecordFailure { subject, event_id },
    }
}

/// The whole pass: every subject's next step, then a fetch of each consumer that may have
/// messages (`Some(0)` = known empty); [`Operation::Idle`] if there is nothing at all.
pub fn plan(subjects: &[SubjectView], consumers: &[(String, Option<u64>)]) -> Vec<Operation> {
    let mut ops: Vec<Operation> = subjects.iter().flat_map(plan_subject).collect();
    ops.extend(
        consumers
            .iter()
            .filter(|(_, pending)| *pending != Some(0))
            .map(|(name, _)| Operation::Fetch {
                consumer: name.clone(),
            }),
    );
    if ops.is_empty() {
        ops.push(Operation::Idle);
    }
    ops
}
