//! Resolving a wrong-last-sequence error or a lost ack: read the subject back from the last
//! known sequence + 1 with direct gets, then follow [`plan_subject`]: our own next event found
//! there was a lost ack (recorded as published); other writers' messages start a rebase.
//!
//! Reading back first asks for the subject's last message (permitted per subject, so a kiosk
//! needs no wider read right): if it is our next pending event, it was accepted against the
//! known sequence, so nothing else can lie in between. Only when another writer's message is
//! last does it walk the subject from `known + 1` (multi-writer catalog subjects, managers).

use super::error::SyncError;
use super::hooks::RebaseOutcome;
use super::local::{self, Mark, RawMessage};
use super::plan::{plan_subject, Operation, RemoteMessage, StreamKey, SubjectView};
use super::{Link, Shared};
use crate::store::Durability;
use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::DirectGetErrorKind;
use uuid::Uuid;

/// What a recovery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing new on the subject: the next pass publishes again.
    Nothing,
    /// Lost acks found and recorded.
    Marked(u64),
    /// Other writers' events applied and the aggregate rebased.
    Rebased {
        /// Lost acks recorded first.
        marked: u64,
        /// What the rebaser did.
        outcome: RebaseOutcome,
    },
}

fn raw(m: &StreamMessage) -> RawMessage {
    RawMessage {
        subject: m.subject.to_string(),
        seq: m.sequence,
        headers: Some(m.headers.clone()),
        payload: m.payload.to_vec(),
    }
}

fn msg_id(m: &RawMessage) -> Option<Uuid> {
    m.headers
        .as_ref()?
        .get("Nats-Msg-Id")?
        .as_str()
        .parse()
        .ok()
}

/// The subject's messages after `known`, oldest first (see the module doc).
pub async fn read_back(
    link: &Link,
    subject: &str,
    known: u64,
    next_pending: Option<Uuid>,
) -> Result<Vec<RawMessage>, SyncError> {
    let err = |e: &dyn std::fmt::Display| SyncError::ReadBack {
        subject: subject.to_owned(),
        reason: e.to_string(),
    };
    let last = match link.stream.direct_get_last_for_subject(subject).await {
        Ok(m) => raw(&m),
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(err(&e)),
    };
    if last.seq <= known {
        return Ok(Vec::new());
    }
    if next_pending.is_some() && msg_id(&last) == next_pending {
        return Ok(vec![last]);
    }
    let mut out = Vec::new();
    let mut from = known + 1;
    loop {
        match link
            .stream
            .direct_get_next_for_subject(subject, Some(from))
            .await
        {
            Ok(m) => {
                from = m.sequence + 1;
                out.push(raw(&m));
            }
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => break,
            Err(e) => return Err(err(&e)),
        }
    }
    Ok(out)
}

/// Reads `subject` back and resolves it (marks lost acks, rebases on other writers' events).
pub(crate) async fn recover_subject(
    shared: &Shared,
    link: &Link,
    subject: &str,
    stream: &StreamKey,
    known: u64,
    pending: &[Uuid],
) -> Result<Recovery, SyncError> {
    let messages = read_back(link, subject, known, pending.first().copied()).await?;
    let view = SubjectView {
        subject: subject.to_owned(),
        stream: stream.clone(),
        known_seq: known,
        pending: pending.to_vec(),
        in_flight: false,
        read_back: Some(
            messages
                .iter()
                .map(|m| RemoteMessage {
                    seq: m.seq,
                    msg_id: msg_id(m),
                })
                .collect(),
        ),
    };
    let mut marks = Vec::new();
    let mut rebase = None;
    for op in plan_subject(&view) {
        match op {
            Operation::MarkPublished {
                subject,
                event_id,
                seq,
            } => marks.push(Mark {
                row: None,
                subject,
                event_id,
                seq,
            }),
            Operation::Rebase {
                foreign_seqs,
                last_seq,
                ..
            } => rebase = Some((foreign_seqs, last_seq)),
            _ => {}
        }
    }
    let marked = marks.len() as u64;
    if marks.is_empty() && rebase.is_none() {
        return Ok(Recovery::Nothing);
    }
    let applier = shared.applier.clone();
    let rebaser = shared.rebaser.clone();
    let stream = stream.clone();
    let subject = subject.to_owned();
    let outcome = shared
        .writer
        .call_async(move |store| {
            store.transaction(Durability::Normal, |tx| {
                local::mark_batch(tx, &marks)?;
                let Some((seqs, last_seq)) = rebase else {
                    return Ok(None);
                };
                let foreign: Vec<RawMessage> = messages
                    .into_iter()
                    .filter(|m| seqs.contains(&m.seq))
                    .collect();
                local::rebase(
                    tx,
                    applier.as_ref(),
                    rebaser.as_ref(),
                    (&stream.stream_type, &stream.stream_id),
                    &subject,
                    &foreign,
                    last_seq,
                )
                .map(Some)
            })
        })
        .await?;
    Ok(match outcome {
        None => Recovery::Marked(marked),
        Some(outcome) => Recovery::Rebased { marked, outcome },
    })
}
