//! Resolving a wrong-last-sequence error or a lost ack within the device's own permissions
//! (docs/architecture.md §5: a device reads back its own subjects only, never the whole stream), then
//! following [`plan_subject`]: our own events found there were lost acks (recorded as
//! published); other writers' messages start a rebase.
//!
//! Two read-backs, by who may write the subject:
//! * **the device's own single-writer subjects** (`R.ev.kiosk.<device>.>`,
//!   `R.ev.desk.<device>.>`): the subject's last message only,
//!   `$JS.API.DIRECT.GET.<stream>.<subject>`, which the device's permissions name per subject
//!   ([`ReadBack::Last`]; why that is enough is proved in [`super::plan`]). Never the unscoped
//!   `$JS.API.DIRECT.GET.<stream>` (a request with the subject in its body), which a kiosk may
//!   not make: it only times out.
//! * **multi-writer subjects** (a manager's catalog): the device's own consumer already
//!   receives every message of them (`<device>-catalog`). It is drained through the inbox until
//!   the server has nothing pending or unacknowledged for it: our own events come back as
//!   echoes (marked published at their exact sequences), other writers' events are applied.
//!   What the log then holds of the subject after the known sequence is the complete read-back
//!   ([`ReadBack::All`]), and the rebase re-runs the pending commands against it (docs/architecture.md §6).

use super::config::subject_matches;
use super::error::SyncError;
use super::hooks::RebaseOutcome;
use super::local::{self, Mark, RawMessage};
use super::plan::{plan_subject, Operation, ReadBack, RemoteMessage, StreamKey, SubjectView};
use super::{Link, Shared};
use crate::store::Durability;
use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::DirectGetErrorKind;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What a recovery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing new on the subject (or not readable yet): the next pass publishes again.
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

/// The subject's last message (`None`: the subject is empty), with the one read a device's
/// permissions allow on its own subjects: `$JS.API.DIRECT.GET.<stream>.<subject>`.
pub async fn read_last(link: &Link, subject: &str) -> Result<Option<RawMessage>, SyncError> {
    match link.stream.direct_get_last_for_subject(subject).await {
        Ok(m) => Ok(Some(raw(&m))),
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
        Err(e) => Err(SyncError::ReadBack {
            subject: subject.to_owned(),
            reason: e.to_string(),
        }),
    }
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
    if shared.config.is_own_subject(subject) {
        recover_own(shared, link, subject, stream, known, pending).await
    } else {
        recover_shared(shared, link, subject, stream).await
    }
}

/// Marks and the rebase (if any) a plan asks for.
fn split_plan(ops: Vec<Operation>) -> (Vec<Mark>, Option<(Vec<u64>, u64)>) {
    let mut marks = Vec::new();
    let mut rebase = None;
    for op in ops {
        match op {
            Operation::MarkPublished {
                subject,
                event_id,
                seq,
            }
            | Operation::MarkAccepted {
                subject,
                event_id,
                by_seq: seq,
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
    (marks, rebase)
}

fn recovery(marked: u64, outcome: Option<RebaseOutcome>) -> Recovery {
    match outcome {
        None => Recovery::Marked(marked),
        Some(outcome) => Recovery::Rebased { marked, outcome },
    }
}

/// A single-writer subject of this device: the last message per subject decides.
async fn recover_own(
    shared: &Shared,
    link: &Link,
    subject: &str,
    stream: &StreamKey,
    known: u64,
    pending: &[Uuid],
) -> Result<Recovery, SyncError> {
    let last = read_last(link, subject).await?;
    let view = SubjectView {
        subject: subject.to_owned(),
        stream: stream.clone(),
        known_seq: known,
        pending: pending.to_vec(),
        in_flight: false,
        read_back: Some(ReadBack::Last(last.as_ref().map(|m| RemoteMessage {
            seq: m.seq,
            msg_id: msg_id(m),
        }))),
    };
    let (marks, rebase) = split_plan(plan_subject(&view));
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
                let Some((_, last_seq)) = rebase else {
                    return Ok(None);
                };
                let foreign: Vec<RawMessage> = last.into_iter().collect();
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
    Ok(recovery(marked, outcome))
}

/// How long a recovery waits for the device's consumer to catch up before leaving the subject
/// to the next pass.
fn catch_up_deadline(shared: &Shared) -> Duration {
    shared.config.ack_timeout.min(Duration::from_secs(5))
}

/// A subject other devices write too (a manager's catalog): drain the device's consumer that
/// receives it, then decide from what the log holds.
async fn recover_shared(
    shared: &Shared,
    link: &Link,
    subject: &str,
    stream: &StreamKey,
) -> Result<Recovery, SyncError> {
    let Some(spec) = shared
        .config
        .consumers
        .iter()
        .find(|c| c.filters.iter().any(|f| subject_matches(f, subject)))
    else {
        tracing::warn!(%subject, "no consumer of this device receives the subject: cannot read it back");
        return Ok(Recovery::Nothing);
    };
    let mut consumer = super::inbox::bind(shared, link, spec).await?;
    let deadline = Instant::now() + catch_up_deadline(shared);
    // Our own events that came back through the consumer are marked there (exact sequences).
    let mut echoed = 0;
    loop {
        let (report, _) = super::inbox::pull_batch(shared, &spec.name, &consumer, None).await?;
        echoed += report.echoed;
        let info = consumer.info().await.map_err(|e| SyncError::Consumer {
            consumer: spec.name.clone(),
            reason: e.to_string(),
        })?;
        if info.num_pending == 0 && info.num_ack_pending == 0 {
            break;
        }
        if Instant::now() >= deadline {
            tracing::debug!(%subject, consumer = %spec.name, "consumer not caught up yet; retrying later");
            return Ok(if echoed > 0 {
                Recovery::Marked(echoed)
            } else {
                Recovery::Nothing
            });
        }
        if report.total() == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let subject = subject.to_owned();
    let stream = stream.clone();
    let rebaser = shared.rebaser.clone();
    let outcome = shared
        .writer
        .call_async(move |store| {
            store.transaction(Durability::Normal, |tx| {
                let known = crate::store::sqlite::read::checkpoint(
                    tx,
                    &local::subject_checkpoint(&subject),
                )?
                .unwrap_or(0);
                let pending = local::pending_on_subject(tx, &subject)?;
                let received = local::received_after(
                    tx,
                    &subject,
                    (&stream.stream_type, &stream.stream_id),
                    known,
                )?;
                let view = SubjectView {
                    subject: subject.clone(),
                    stream: stream.clone(),
                    known_seq: known,
                    pending,
                    in_flight: false,
                    read_back: Some(ReadBack::All(
                        received
                            .into_iter()
                            .map(|(seq, msg_id)| RemoteMessage { seq, msg_id })
                            .collect(),
                    )),
                };
                let (marks, rebase) = split_plan(plan_subject(&view));
                let marked = marks.len() as u64;
                local::mark_batch(tx, &marks)?;
                let outcome = match rebase {
                    Some((foreign, last_seq)) => Some(local::rebase_received(
                        tx,
                        rebaser.as_ref(),
                        (&stream.stream_type, &stream.stream_id),
                        &subject,
                        &foreign,
                        last_seq,
                    )?),
                    None => None,
                };
                Ok((marked, outcome))
            })
        })
        .await?;
    Ok(match outcome {
        (0, None) if echoed == 0 => Recovery::Nothing,
        (marked, outcome) => recovery(marked + echoed, outcome),
    })
}
