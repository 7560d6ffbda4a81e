//! The outbox relay: pending outbox rows go to JetStream in order per aggregate, pipelined
//! across aggregates (up to [`SyncConfig::in_flight`] acks awaited at once, one per subject).
//!
//! Each publish carries `Nats-Msg-Id` = event id and `Nats-Expected-Last-Subject-Sequence` =
//! the subject's last known sequence. A subject's next event goes out as soon as the previous
//! one is acknowledged (expecting that sequence), as a raw publisher would; acks are recorded
//! in group commits (one writer transaction per batch, one batch at a time) behind the
//! publishes. After a crash, the acknowledged-but-unrecorded messages are the subject's next
//! pending events in order: the first republish finds them (msg-id duplicate or
//! wrong-last-sequence, then a read-back from the known sequence, [`super::recover`]) and the
//! [`super::plan`] marks each as a lost ack.

use super::config::SyncConfig;
use super::envelope::outgoing_headers_after;
use super::error::SyncError;
use super::local::{self, Mark};
use super::plan::{after_publish, next_publish, Operation, PublishOutcome};
use super::recover::{self, Recovery};
use super::Shared;
use crate::store::OutboxEntry;
use async_nats::jetstream::context::{PublishAckFuture, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use futures::future::{AbortHandle, Abortable, Aborted};
use futures::stream::{FuturesUnordered, StreamExt};
use queues::{read_chunk, ChunkFuture, Queues};
use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use uuid::Uuid;

mod queues;

/// What one relay pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Events acknowledged by JetStream.
    pub published: u64,
    /// Lost acks found on the subject and recorded.
    pub recovered: u64,
    /// Aggregates rebased after other writers' events.
    pub rebased: u64,
    /// Pending commands rejected by rebases (conflicts recorded).
    pub rejected: u64,
    /// Outbox rows the pass read.
    pub pending_at_start: u64,
    /// Rows quarantined by this pass (refused: forbidden subject, too large, rejected).
    pub quarantined: u64,
}

impl RelayReport {
    /// The pass found rows and moved some of them: the outbox may hold more (a full batch, or
    /// rows committed meanwhile), so another pass is worth making.
    pub fn may_have_more(&self) -> bool {
        self.pending_at_start > 0 && self.published + self.recovered + self.rebased > 0
    }
}

/// Why a row cannot be published as it is: `(code, reason)` (see [`local::codes`]).
type Refusal = (&'static str, String);

/// The local check before a publish: the device's publish rights (the server would answer a
/// forbidden publish with a timeout only). The size is checked by the client against the
/// server's `max_payload` (headers and payload, before any ack is awaited): a refusal
/// [`server_refusal`] turns into a quarantine.
fn refusal(shared: &Shared, entry: &OutboxEntry) -> Option<Refusal> {
    if !shared.config.may_publish(&entry.subject) {
        return Some((
            local::codes::FORBIDDEN_SUBJECT,
            format!(
                "this device ({} {}) may not publish to {}",
                shared.config.role_name, shared.config.device_id, entry.subject
            ),
        ));
    }
    None
}

/// A refusal the server gave for this message alone (not the connection, not the stream as
/// a whole): the row is quarantined instead of failing the pass.
fn server_refusal(e: &async_nats::jetstream::context::PublishError) -> Option<Refusal> {
    if e.kind() == PublishErrorKind::MaxPayloadExceeded {
        return Some((local::codes::TOO_LARGE, e.to_string()));
    }
    if e.kind() != PublishErrorKind::Other {
        return None;
    }
    let api = std::error::Error::source(e)?.downcast_ref::<async_nats::jetstream::Error>()?;
    // 10054: message size exceeds the stream's maximum.
    let code = if api.code() == 10054 {
        local::codes::TOO_LARGE
    } else {
        local::codes::REJECTED
    };
    Some((code, api.to_string()))
}

type AckFuture = Pin<Box<dyn Future<Output = (usize, Uuid, u64, Acked)> + Send>>;

/// How a publish ended: the planner's outcome, the error text, and whether the server refused
/// this message alone (quarantine).
struct Acked {
    outcome: PublishOutcome,
    error: String,
    refusal: Option<Refusal>,
}
type FlushFuture = Pin<Box<dyn Future<Output = Result<(), SyncError>> + Send>>;

fn outcome_of(
    result: Result<
        async_nats::jetstream::publish::PublishAck,
        async_nats::jetstream::context::PublishError,
    >,
) -> Acked {
    match result {
        Ok(ack) => Acked {
            outcome: PublishOutcome::Acked(ack.sequence),
            error: String::new(),
            refusal: None,
        },
        Err(e) => {
            let outcome = match e.kind() {
                PublishErrorKind::WrongLastSequence => PublishOutcome::WrongLastSequence,
                PublishErrorKind::TimedOut => PublishOutcome::AckLost,
                _ => PublishOutcome::Refused,
            };
            Acked {
                outcome,
                error: e.to_string(),
                refusal: server_refusal(&e),
            }
        }
    }
}

async fn send(
    shared: &Shared,
    link: &super::Link,
    entry: &mut OutboxEntry,
    expected: u64,
) -> Result<Result<PublishAckFuture, Refusal>, SyncError> {
    let headers = outgoing_headers_after(entry, &shared.config.device_id, expected);
    // The payload as stored: no parse and re-encode on the way out, and no copy either (the
    // row is never sent again from this pass: a retry or a later pass reads it again).
    let payload = std::mem::take(&mut entry.payload_json).into_bytes();
    let message = PublishMessage::build()
        .headers(headers)
        .payload(payload.into())
        .message_id(entry.event.event_id.to_string())
        .expected_last_subject_sequence(expected);
    match link.js.send_publish(entry.subject.clone(), message).await {
        Ok(ack) => Ok(Ok(ack)),
        Err(e) => match server_refusal(&e) {
            Some(refusal) => Ok(Err(refusal)),
            None => Err(SyncError::Publish {
                subject: entry.subject.clone(),
                reason: e.to_string(),
            }),
        },
    }
}

/// Quarantines the row at `global_pos` (see [`local::quarantine`]), logging it once.
async fn quarantine(
    shared: &Shared,
    entry: &OutboxEntry,
    (code, reason): Refusal,
) -> Result<(), SyncError> {
    tracing::warn!(
        subject = %entry.subject, event = %entry.event.event_id, code, %reason,
        "outbox row quarantined; the rest of the outbox keeps flowing"
    );
    let pos = entry.event.global_pos;
    shared
        .writer
        .call_async(move |s| {
            s.transaction(crate::store::Durability::Normal, |tx| {
                local::quarantine(tx, pos, code, &reason)
            })
        })
        .await?;
    Ok(())
}

/// Records a group of acks in one commit (on the outbox rows: [`local::mark_batch`]).
fn flush(shared: &Shared, mut marks: Vec<Mark>) -> FlushFuture {
    // In log order: neighbouring rows share pages (acks arrive round-robin across subjects).
    marks.sort_unstable_by_key(|m| m.row.map(|(pos, _)| pos));
    let writer = shared.writer.clone();
    Box::pin(async move {
        writer
            .call_async(move |store| {
                store.transaction(crate::store::Durability::Normal, |tx| {
                    local::mark_batch(tx, &marks)
                })
            })
            .await?;
        Ok(())
    })
}

/// How many chunks of [`SyncConfig::relay_batch`] rows one pass reads at most before it ends
/// (then the caller's next pass goes on, after this one recovered what needs a read-back).
const CHUNKS_PER_PASS: usize = 8;

/// One pass over the pending outbox rows: read in chunks of [`SyncConfig::relay_batch`], the
/// next chunk read while the current one is published (at most [`CHUNKS_PER_PASS`]).
pub(crate) async fn relay_pass(
    shared: &Shared,
    link: &super::Link,
) -> Result<RelayReport, SyncError> {
    let config: &SyncConfig = &shared.config;
    let limit = config.relay_batch;
    let from = shared.relay_from.load(Ordering::Relaxed);
    let chunk = read_chunk(shared, from, limit).await?;
    let mut report = RelayReport {
        pending_at_start: chunk.entries.len() as u64,
        ..RelayReport::default()
    };
    let mut flushing: FuturesUnordered<FlushFuture> = FuturesUnordered::new();
    let Some(last) = chunk.entries.last() else {
        return Ok(report);
    };
    // The next chunk starts after the last row read; more chunks while each comes back full.
    let mut next_read = last.event.global_pos + 1;
    let mut chunks_left = (chunk.entries.len() == limit).then_some(CHUNKS_PER_PASS - 1);
    let mut reading: Option<ChunkFuture> = None;
    let mut blocked = shared
        .writer
        .call_async(|s| local::blocked(s.connection()))
        .await?;
    let mut ready: VecDeque<usize> = VecDeque::new();
    let mut queues = Queues::default();
    queues.admit(shared, chunk, &blocked, &mut ready);

    let mut in_flight: FuturesUnordered<AckFuture> = FuturesUnordered::new();
    let mut unflushed: Vec<Mark> = Vec::new();
    let mut unflushed_since: Option<std::time::Instant> = None;
    let mut to_recover: Vec<usize> = Vec::new();
    let mut failure: Option<SyncError> = None;
    let mut quarantined: Vec<(Refusal, OutboxEntry)> = Vec::new();
    let mut violation = Box::pin(link.violations.changed());
    violation.as_mut().enable();

    loop {
        while failure.is_none() && in_flight.len() < config.in_flight {
            let Some(i) = ready.pop_front() else {
                break;
            };
            let queue = &mut queues.list[i];
            // The planner's next publish for a subject with nothing in flight or read back.
            let next = next_publish(&queue.view);
            let entry = next
                .and_then(|(id, _)| queue.entries.front_mut().filter(|e| e.event.event_id == id));
            if let (Some((event_id, expected_seq)), Some(entry)) = (next, entry) {
                let sent = match &queue.refused {
                    Some(refused) => Ok(Err(Box::new((refused.clone(), entry.clone())))),
                    None => send(shared, link, entry, expected_seq)
                        .await
                        .map(|r| r.map_err(|refused| Box::new((refused, entry.clone())))),
                };
                match sent {
                    Ok(Ok(ack)) => {
                        // A forbidden publish is never acked: the server's -ERR naming the
                        // subject aborts the wait (then quarantined below).
                        let (abort, registration) = AbortHandle::new_pair();
                        queue.waiting = Some(abort);
                        queue.view.in_flight = true;
                        in_flight.push(Box::pin(async move {
                            let acked = match Abortable::new(ack.into_future(), registration).await
                            {
                                Ok(result) => outcome_of(result),
                                Err(Aborted) => Acked {
                                    outcome: PublishOutcome::AckLost,
                                    // The subject is named by the refusal made below.
                                    error: "permissions violation".to_owned(),
                                    refusal: None,
                                },
                            };
                            (i, event_id, expected_seq, acked)
                        }));
                    }
                    Ok(Err(boxed)) => {
                        quarantined.push(*boxed);
                    }
                    Err(e) => failure = Some(e),
                }
            }
            for (refused, entry) in quarantined.drain(..) {
                quarantine(shared, &entry, refused).await?;
                report.quarantined += 1;
                let e = &entry.event;
                blocked.add(&entry.subject, &e.stream_type, &e.stream_id);
                // The rest of the subject and of the aggregate waits behind the row.
                for q in 0..queues.list.len() {
                    let k = &queues.list[q].view.stream;
                    if k.stream_type == e.stream_type && k.stream_id == e.stream_id {
                        queues.clear(q);
                    }
                }
                queues.clear(i);
            }
        }
        // The next chunk is read once the queued rows run low, while the rest go out.
        if reading.is_none() && failure.is_none() && queues.unsent(in_flight.len()) <= limit / 2 {
            if let Some(left) = chunks_left.filter(|left| *left > 0) {
                chunks_left = Some(left - 1);
                reading = Some(read_chunk(shared, next_read, limit));
            }
        }
        let group_due = unflushed.len() >= config.ack_group
            || in_flight.is_empty()
            || unflushed_since.is_some_and(|t| t.elapsed() >= config.ack_linger);
        if !unflushed.is_empty() && flushing.is_empty() && group_due {
            flushing.push(flush(shared, std::mem::take(&mut unflushed)));
            unflushed_since = None;
        }
        if in_flight.is_empty() && flushing.is_empty() && reading.is_none() {
            break;
        }
        tokio::select! {
            () = &mut violation => {
                violation = Box::pin(link.violations.changed());
                violation.as_mut().enable();
                for q in &queues.list {
                    if let Some(abort) = q.waiting.as_ref().filter(|_| link.violated(&q.view.subject)) {
                        abort.abort();
                    }
                }
            }
            Some(chunk) = async {
                match reading.as_mut() {
                    Some(read) => Some(read.await),
                    None => None,
                }
            }, if reading.is_some() => {
                reading = None;
                let chunk = chunk?;
                // After a failure the pass ends: what was read stays pending for the next.
                if failure.is_none() {
                    if chunk.entries.len() < limit {
                        chunks_left = None;
                    }
                    if let Some(last) = chunk.entries.last() {
                        next_read = last.event.global_pos + 1;
                    }
                    report.pending_at_start += chunk.entries.len() as u64;
                    queues.admit(shared, chunk, &blocked, &mut ready);
                }
            }
            Some((i, event_id, expected, acked)) = in_flight.next(), if !in_flight.is_empty() => {
                queues.list[i].waiting = None;
                queues.list[i].view.in_flight = false;
                let subject = &queues.list[i].view.subject;
                let Acked { outcome, error, mut refusal } = acked;
                // A publish the server forbids times out; the -ERR it sent names the subject.
                if outcome == PublishOutcome::AckLost && link.violated(subject) {
                    refusal = Some((
                        local::codes::FORBIDDEN_SUBJECT,
                        format!("the server refused the publish to {subject} (permissions violation)"),
                    ));
                }
                let outcome = if refusal.is_some() { PublishOutcome::Refused } else { outcome };
                match after_publish(subject, event_id, expected, outcome) {
                    Operation::MarkPublished { subject, seq, .. } => {
                        report.published += 1;
                        queues.list[i].view.known_seq = seq;
                        let row = queues
                            .pop_front(i)
                            .filter(|e| e.event.event_id == event_id)
                            .map(|e| (e.event.global_pos, e.event.command_id));
                        // The subject's next event goes out now, expecting this sequence;
                        // the ack is recorded by a later group commit. It goes first: the
                        // subjects in flight finish before later ones start, so the acks of one
                        // group commit lie close together in the log (fewer pages written)
                        // instead of spread over the whole pass.
                        if !queues.list[i].entries.is_empty() {
                            ready.push_front(i);
                        }
                        unflushed.push(Mark { subject, event_id, seq, row });
                        unflushed_since.get_or_insert_with(std::time::Instant::now);
                    }
                    Operation::ReadBack { .. } => to_recover.push(i),
                    _ if refusal.is_some() => {
                        // The server refused this message alone: quarantine it, hold the rest
                        // of its subject, go on with the others.
                        let entry = queues.pop_front(i).filter(|e| e.event.event_id == event_id);
                        if let (Some(entry), Some(refused)) = (entry, refusal) {
                            quarantine(shared, &entry, refused).await?;
                            report.quarantined += 1;
                            let e = &entry.event;
                            blocked.add(&entry.subject, &e.stream_type, &e.stream_id);
                        }
                        queues.clear(i);
                    }
                    _ => {
                        let subject = subject.clone();
                        let writer = shared.writer.clone();
                        let reason = error.clone();
                        writer.call_async(move |s| {
                            use crate::store::EventStore;
                            s.record_outbox_failure(event_id, &reason)
                        }).await?;
                        failure.get_or_insert(SyncError::Publish { subject, reason: error });
                    }
                }
            }
            Some(flushed) = flushing.next(), if !flushing.is_empty() => {
                flushed?;
            }
        }
    }
    // Everything this pass read and did not publish is still pending; everything before it is
    // published, so the next pass starts at the first of them.
    shared.relay_from.store(
        queues.lowest_queued().unwrap_or(next_read),
        Ordering::Relaxed,
    );
    for i in to_recover {
        let queue = &queues.list[i];
        let (subject, view_known) = (&queue.view.subject, queue.view.known_seq);
        // Every pending event of the subject, not only those this pass read: what lies on the
        // subject after the known sequence may reach past the pass's rows (an earlier process
        // published further before it was killed), and the plan must recognise all of it.
        let on_subject = subject.clone();
        let pending: Vec<Uuid> = shared
            .writer
            .call_async(move |s| local::pending_on_subject(s.connection(), &on_subject))
            .await?;
        let recovered = recover::recover_subject(
            shared,
            link,
            subject,
            &queue.view.stream,
            view_known,
            &pending,
        )
        .await;
        let recovered = match recovered {
            Ok(r) => r,
            // A subject that cannot be read back now stays pending (its failure recorded on
            // the row); the rest of the outbox keeps flowing.
            Err(SyncError::ReadBack { subject, reason }) => {
                tracing::warn!(%subject, %reason, "read-back failed; the subject waits");
                if let Some(first) = pending.first().copied() {
                    let reason = format!("sync.read_back: {reason}");
                    shared
                        .writer
                        .call_async(move |s| {
                            use crate::store::EventStore;
                            s.record_outbox_failure(first, &reason)
                        })
                        .await?;
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        match recovered {
            Recovery::Nothing => {}
            Recovery::Marked(n) => report.recovered += n,
            Recovery::Rebased { marked, outcome } => {
                report.recovered += marked;
                report.rebased += 1;
                report.rejected += outcome.rejected as u64;
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(report),
    }
}
