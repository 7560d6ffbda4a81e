//! The engine's writer-thread side: small transactions over the store's public statements.
//!
//! * [`receive`]: one incoming message into the inbox (applied, echo, parked or duplicate);
//! * [`mark_batch`]: acks (and lost acks found on a subject) recorded with the subject's last
//!   sequence, in one transaction;
//! * [`rebase`]: other writers' events applied, the subject's sequence advanced and the
//!   aggregate rebased, all in one transaction (a crash cannot skip the rebase);
//! * the per-subject last sequence, kept as checkpoint `subject:<subject>` (never lowered).

use super::envelope::{raw_message, IncomingEvent};
use super::hooks::{InboxApplier, RebaseOutcome, RebaseRequest, Rebaser};
use crate::store::sqlite::{read, write};
use crate::store::{now_ms, InboxRecord, InboxStatus, StoreError};
use async_nats::HeaderMap;
use rusqlite::{params, Connection, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

/// Checkpoint name of a subject's last known sequence.
pub fn subject_checkpoint(subject: &str) -> String {
    format!("subject:{subject}")
}

/// Checkpoint name of a consumer's last applied sequence.
pub fn consumer_checkpoint(consumer: &str) -> String {
    format!("consumer:{consumer}")
}

/// Checkpoint holding the Unix ms of the last completed sync pass.
pub const LAST_SYNC_CHECKPOINT: &str = "sync:last_at";

/// The last known sequence of each subject (0 if unknown).
pub fn known_seqs(
    conn: &Connection,
    subjects: &[String],
) -> Result<HashMap<String, u64>, StoreError> {
    subjects
        .iter()
        .map(|s| {
            Ok((
                s.clone(),
                read::checkpoint(conn, &subject_checkpoint(s))?.unwrap_or(0),
            ))
        })
        .collect()
}

/// Raises a subject's last known sequence to `seq` (never lowers it), in one statement.
pub fn raise_subject_seq(conn: &Connection, subject: &str, seq: u64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO checkpoints (name, position, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position),
             updated_at = excluded.updated_at",
    )?
    .execute(params![subject_checkpoint(subject), seq, now_ms()])?;
    Ok(())
}

/// One ack to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The subject.
    pub subject: String,
    /// The event.
    pub event_id: Uuid,
    /// Its stream sequence.
    pub seq: u64,
    /// The event's log position and command, when known (the relay's fast path by rowid).
    pub row: Option<(u64, Option<Uuid>)>,
}

/// Acks recorded by one statement (two bound values each).
const MARKS_PER_STATEMENT: usize = 256;

/// [`write::mark_published`] by log position, `(global_pos, seq)`, [`MARKS_PER_STATEMENT`] rows
/// per statement (rowid lookups, one statement's overhead for many rows). The event row is not
/// touched: its sequence is read from the outbox row ([`read::EVENT_SEQ`]) until the prune
/// copies it over; rewriting the (wide) event rows of every ack batch would bound the relay.
/// A row already gone (superseded or pruned) is skipped.
fn mark_by_position(conn: &Connection, rows: &[(u64, u64)], now: i64) -> Result<(), StoreError> {
    let mut rest = rows;
    while !rest.is_empty() {
        // Full statements, then halving ones: a handful of distinct statements to cache.
        let size = MARKS_PER_STATEMENT.min(1 << rest.len().ilog2());
        let (chunk, after) = rest.split_at(size);
        rest = after;
        let values = vec!["(?, ?)"; chunk.len()].join(", ");
        let sql = format!(
            "UPDATE outbox SET published_seq = v.column2, published_at = ?, last_error = NULL
             FROM (VALUES {values}) AS v WHERE outbox.global_pos = v.column1"
        );
        let bound = std::iter::once(now).chain(
            chunk
                .iter()
                .flat_map(|(pos, seq)| [*pos as i64, *seq as i64]),
        );
        conn.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(bound))?;
    }
    Ok(())
}

/// A command whose events are all published becomes `published`.
fn command_published(conn: &Connection, command: Uuid) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE commands SET status = 'published'
         WHERE status = 'pending' AND id = ?1
           AND NOT EXISTS (
               SELECT 1 FROM events e JOIN outbox o ON o.global_pos = e.global_pos
               WHERE e.command_id = ?1 AND e.superseded = 0
                 AND o.published_seq IS NULL)",
    )?
    .execute(params![command.to_string()])?;
    Ok(())
}

/// Records acks and raises their subjects' sequences (one upsert per subject). A row already
/// gone (superseded or pruned) is skipped.
pub fn mark_batch(conn: &Connection, marks: &[Mark]) -> Result<(), StoreError> {
    let now = now_ms();
    let mut last: HashMap<&str, u64> = HashMap::new();
    let mut rows = Vec::with_capacity(marks.len());
    let mut commands = Vec::new();
    for m in marks {
        match m.row {
            Some((pos, command)) => {
                rows.push((pos, m.seq));
                commands.extend(command);
            }
            None => match write::mark_published(conn, m.event_id, m.seq, now) {
                Ok(()) | Err(StoreError::NotInOutbox { .. }) => {}
                Err(e) => return Err(e),
            },
        }
        let entry = last.entry(m.subject.as_str()).or_insert(0);
        *entry = (*entry).max(m.seq);
    }
    mark_by_position(conn, &rows, now)?;
    commands.sort_unstable();
    commands.dedup();
    for command in commands {
        command_published(conn, command)?;
    }
    for (subject, seq) in last {
        raise_subject_seq(conn, subject, seq)?;
    }
    Ok(())
}

/// Whether the aggregate has events not yet acknowledged.
fn has_pending(conn: &Connection, stream_type: &str, stream_id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM events e JOIN outbox o ON o.global_pos = e.global_pos
             WHERE e.stream_type = ?1 AND e.stream_id = ?2 AND e.superseded = 0
               AND o.published_seq IS NULL)",
        )?
        .query_row(params![stream_type, stream_id], |r| r.get(0))?)
}

/// How an incoming message was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Applied through the [`InboxApplier`].
    Applied,
    /// The edge's own event echoed back: its sequence recorded.
    Echo,
    /// Kept raw: cannot be decoded or applied by this build (the reason).
    Parked(String),
    /// Seen before: nothing done.
    Duplicate,
}

/// A message as received: subject, sequence, headers, payload.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// The subject.
    pub subject: String,
    /// Stream sequence.
    pub seq: u64,
    /// Headers.
    pub headers: Option<HeaderMap>,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

fn park(
    conn: &Connection,
    msg: &RawMessage,
    key: Uuid,
    exists: bool,
    why: String,
) -> Result<Received, StoreError> {
    if !exists {
        let raw = raw_message(&msg.subject, msg.seq, msg.headers.as_ref(), &msg.payload);
        write::inbox_record(
            conn,
            &InboxRecord {
                event_id: key,
                stream_seq: msg.seq,
                subject: msg.subject.clone(),
                status: InboxStatus::Parked,
                raw: Some(raw),
            },
            now_ms(),
        )?;
    }
    Ok(Received::Parked(why))
}

/// Records one incoming message in the inbox inside `tx` (see [`Received`]). Returns the
/// decoded event when it was applied or echoed. A central event that arrived before its
/// predecessor on the subject waits parked; applying a message applies the successors that
/// were waiting for it ([`super::in_order`]).
pub fn receive(
    tx: &Transaction<'_>,
    applier: &dyn InboxApplier,
    msg: &RawMessage,
) -> Result<(Received, Option<IncomingEvent>), StoreError> {
    let received = receive_one(tx, applier, msg)?;
    if matches!(received.0, Received::Applied | Received::Echo) {
        apply_waiting(tx, applier, &msg.subject, msg.seq)?;
    }
    Ok(received)
}

/// Applies the parked successors on `subject` after `seq` whose predecessors are now handled,
/// oldest first (a chain resolves in one pass).
fn apply_waiting(
    tx: &Transaction<'_>,
    applier: &dyn InboxApplier,
    subject: &str,
    seq: u64,
) -> Result<(), StoreError> {
    for raw in super::in_order::waiting_after(tx, subject, seq)? {
        if let Some((subject, seq, headers, payload)) = super::envelope::parse_raw(&raw) {
            let msg = RawMessage {
                subject,
                seq,
                headers: Some(headers),
                payload,
            };
            receive_one(tx, applier, &msg)?;
        }
    }
    Ok(())
}

fn receive_one(
    tx: &Transaction<'_>,
    applier: &dyn InboxApplier,
    msg: &RawMessage,
) -> Result<(Received, Option<IncomingEvent>), StoreError> {
    let super::in_order::InboxRow {
        key,
        existing,
        handled_at_other_seq,
        parked_at_other_seq,
    } = super::in_order::inbox_row(tx, msg)?;
    if existing.is_some_and(|status| status != InboxStatus::Parked) {
        return Ok((Received::Duplicate, None));
    }
    let parked_before = existing.is_some();
    if let Some(status) = handled_at_other_seq {
        return receive_repeat(tx, applier, msg, key, parked_before, status);
    }
    let event =
        match IncomingEvent::decode(&msg.subject, msg.seq, msg.headers.as_ref(), &msg.payload) {
            Ok(event) => event,
            Err(e) => return Ok((park(tx, msg, key, parked_before, e.to_string())?, None)),
        };
    let record = |status| InboxRecord {
        event_id: key,
        stream_seq: msg.seq,
        subject: msg.subject.clone(),
        status,
        raw: None,
    };
    if read::event(tx, event.event_id)?.is_some() {
        if parked_before {
            // Parked here, applied since through its repeat at another sequence.
            write::inbox_set_status(tx, key, InboxStatus::Echo)?;
        } else {
            write::inbox_record(tx, &record(InboxStatus::Echo), now_ms())?;
        }
        let pending =
            read::outbox_entry(tx, event.event_id)?.is_some_and(|o| o.published_seq.is_none());
        if pending {
            write::mark_published(tx, event.event_id, msg.seq, now_ms())?;
        }
        raise_subject_seq(tx, &msg.subject, msg.seq)?;
        return Ok((Received::Echo, Some(event)));
    }
    let floor = super::prune::inbox_floor(tx)?;
    if !parked_before && msg.seq <= floor {
        // At or below the inbox floor: handled before, its inbox row since pruned.
        return Ok((Received::Duplicate, None));
    }
    if let Some(prev) = super::in_order::prev_subject_seq(msg.headers.as_ref()) {
        if super::in_order::predecessor_missing(tx, &msg.subject, prev, floor)? {
            let why = format!("waiting for sequence {prev} of its subject");
            return Ok((park(tx, msg, key, parked_before, why)?, None));
        }
    }
    if !applier.can_apply(&event) {
        let why = format!(
            "{} v{} is not known to this build",
            event.event_type, event.schema_version
        );
        return Ok((park(tx, msg, key, parked_before, why)?, None));
    }
    tx.execute_batch("SAVEPOINT inbox_apply")?;
    if let Err(e) = applier.apply(tx, &event) {
        tx.execute_batch("ROLLBACK TO inbox_apply; RELEASE inbox_apply")?;
        return Ok((park(tx, msg, key, parked_before, e.to_string())?, None));
    }
    tx.execute_batch("RELEASE inbox_apply")?;
    if parked_before {
        write::inbox_set_status(tx, key, InboxStatus::Applied)?;
    } else {
        write::inbox_record(tx, &record(InboxStatus::Applied), now_ms())?;
    }
    if let Some(original) = parked_at_other_seq {
        write::inbox_set_status(tx, original, InboxStatus::Applied)?;
    }
    if !has_pending(tx, &event.stream_type, &event.stream_id)? {
        raise_subject_seq(tx, &msg.subject, msg.seq)?;
    }
    Ok((Received::Applied, Some(event)))
}

/// A message carrying an event handled before at another sequence: nothing is applied again;
/// once its predecessor on the subject is handled it is recorded as handled too (with the
/// original's status) and the successors waiting for it are applied.
fn receive_repeat(
    tx: &Transaction<'_>,
    applier: &dyn InboxApplier,
    msg: &RawMessage,
    key: Uuid,
    parked_before: bool,
    original: InboxStatus,
) -> Result<(Received, Option<IncomingEvent>), StoreError> {
    let floor = super::prune::inbox_floor(tx)?;
    if let Some(prev) = super::in_order::prev_subject_seq(msg.headers.as_ref()) {
        if super::in_order::predecessor_missing(tx, &msg.subject, prev, floor)? {
            let why = format!("waiting for sequence {prev} of its subject");
            return Ok((park(tx, msg, key, parked_before, why)?, None));
        }
    }
    if parked_before {
        write::inbox_set_status(tx, key, original)?;
    } else {
        let record = InboxRecord {
            event_id: key,
            stream_seq: msg.seq,
            subject: msg.subject.clone(),
            status: original,
            raw: None,
        };
        write::inbox_record(tx, &record, now_ms())?;
    }
    tracing::debug!(subject = %msg.subject, seq = msg.seq, "an event handled before, again at another sequence");
    let stream = IncomingEvent::decode(&msg.subject, msg.seq, msg.headers.as_ref(), &msg.payload)
        .ok()
        .map(|e| (e.stream_type, e.stream_id));
    let own_pending = match &stream {
        Some((stream_type, stream_id)) => has_pending(tx, stream_type, stream_id)?,
        None => true,
    };
    if !own_pending {
        raise_subject_seq(tx, &msg.subject, msg.seq)?;
    }
    apply_waiting(tx, applier, &msg.subject, msg.seq)?;
    Ok((Received::Duplicate, None))
}

/// Applies other writers' messages on `subject`, sets the subject's sequence to `last_seq` and
/// rebases the aggregate, in one transaction.
pub fn rebase(
    tx: &Transaction<'_>,
    applier: &dyn InboxApplier,
    rebaser: &dyn Rebaser,
    stream: (&str, &str),
    subject: &str,
    foreign: &[RawMessage],
    last_seq: u64,
) -> Result<RebaseOutcome, StoreError> {
    let mut events = Vec::with_capacity(foreign.len());
    for msg in foreign {
        let key = IncomingEvent::inbox_key(&msg.subject, msg.seq, msg.headers.as_ref());
        match receive(tx, applier, msg)? {
            (Received::Echo, _) => {}
            (_, Some(event)) => events.push(event),
            (_, None) => {
                // Applied earlier by the consumer (or parked): decode for the rebaser if we can.
                if let Ok(event) =
                    IncomingEvent::decode(&msg.subject, msg.seq, msg.headers.as_ref(), &msg.payload)
                {
                    if read::inbox_entry(tx, key)?
                        .is_some_and(|r| r.record.status == InboxStatus::Applied)
                    {
                        events.push(event);
                    }
                }
            }
        }
    }
    raise_subject_seq(tx, subject, last_seq)?;
    let request = RebaseRequest {
        stream_type: stream.0,
        stream_id: stream.1,
        subject,
        foreign: &events,
    };
    rebaser.rebase(tx, &request)
}

/// Retries every parked message (after an upgrade taught the applier new types or schema
/// versions); returns how many were applied now.
pub fn retry_parked(tx: &Transaction<'_>, applier: &dyn InboxApplier) -> Result<u64, StoreError> {
    let mut applied = 0;
    for row in read::parked_inbox(tx)? {
        let Some(raw) = row.record.raw.as_deref() else {
            continue;
        };
        let Some((subject, seq, headers, payload)) = super::envelope::parse_raw(raw) else {
            continue;
        };
        let msg = RawMessage {
            subject,
            seq,
            headers: Some(headers),
            payload,
        };
        if matches!(
            receive(tx, applier, &msg)?.0,
            Received::Applied | Received::Echo
        ) {
            applied += 1;
        }
    }
    Ok(applied)
}

/// Quarantine codes (the status and the UI branch on them).
pub mod codes {
    /// The device may not publish to the row's subject (its NATS permissions do not allow it).
    pub const FORBIDDEN_SUBJECT: &str = "sync.forbidden_subject";
    /// The message is larger than the server's `max_payload` (or the stream's max message size).
    pub const TOO_LARGE: &str = "sync.too_large";
    /// The server (stream) rejected the message for another reason, e.g. its schema or headers.
    pub const REJECTED: &str = "sync.rejected";
}

/// Sets the pending outbox row at `global_pos` aside with a coded reason (it stays
/// unpublished; later rows of its aggregate and subject wait behind it). Returns whether a row
/// was quarantined now.
pub fn quarantine(
    conn: &Connection,
    global_pos: u64,
    code: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE outbox SET quarantine_code = ?2, quarantine_reason = ?3, quarantined_at = ?4,
                 attempts = attempts + 1, last_error = ?3
             WHERE global_pos = ?1 AND published_seq IS NULL AND quarantine_code IS NULL",
        )?
        .execute(params![global_pos, code, reason, now_ms()])?
        > 0)
}

/// Takes every quarantined pending row out of quarantine (its cause fixed: a re-enrollment, a
/// larger `max_payload`), so the relay publishes it and the rows waiting behind it again.
/// Returns how many were released.
pub fn release_quarantined(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE outbox SET quarantine_code = NULL, quarantine_reason = NULL,
                 quarantined_at = NULL
             WHERE quarantine_code IS NOT NULL AND published_seq IS NULL",
        )?
        .execute([])?)
}

/// What the relay must hold back: the subjects and aggregates of quarantined pending rows.
#[derive(Debug, Clone, Default)]
pub struct Blocked {
    /// Subjects with a quarantined pending row.
    pub subjects: std::collections::HashSet<String>,
    /// Aggregates `(stream_type, stream_id)` with a quarantined pending row.
    pub streams: std::collections::HashSet<(String, String)>,
}

impl Blocked {
    /// Whether a row on `subject` of aggregate `stream` must wait.
    pub fn holds(&self, subject: &str, stream_type: &str, stream_id: &str) -> bool {
        self.subjects.contains(subject)
            || self
                .streams
                .contains(&(stream_type.to_owned(), stream_id.to_owned()))
    }

    /// Holds `subject` and its aggregate from now on.
    pub fn add(&mut self, subject: &str, stream_type: &str, stream_id: &str) {
        self.subjects.insert(subject.to_owned());
        self.streams
            .insert((stream_type.to_owned(), stream_id.to_owned()));
    }
}

/// The quarantined pending rows' subjects and aggregates.
pub fn blocked(conn: &Connection) -> Result<Blocked, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject, stream_type, stream_id FROM outbox
         WHERE quarantine_code IS NOT NULL AND published_seq IS NULL",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Blocked::default();
    while let Some(row) = rows.next()? {
        let (subject, st, sid): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        out.add(&subject, &st, &sid);
    }
    Ok(out)
}

/// Records the engine's connection state (`online`, `offline`, `not_enrolled`, `refused`)
/// with its problem (code, message); `since` only moves when the state or code changes.
pub fn set_sync_state(
    conn: &Connection,
    state: &str,
    problem: Option<(&str, &str)>,
) -> Result<(), StoreError> {
    let (code, message) = problem.unzip();
    conn.prepare_cached(
        "INSERT INTO sync_state (id, state, code, message, since) VALUES (1, ?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET
             since = CASE WHEN state IS excluded.state AND code IS excluded.code
                          THEN since ELSE excluded.since END,
             state = excluded.state, code = excluded.code, message = excluded.message",
    )?
    .execute(params![state, code, message, now_ms()])?;
    Ok(())
}

/// The pending (not quarantined, not superseded) events on `subject`, in order.
pub fn pending_on_subject(conn: &Connection, subject: &str) -> Result<Vec<Uuid>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.event_id FROM outbox o JOIN events e ON e.global_pos = o.global_pos
         WHERE o.subject = ?1 AND o.published_seq IS NULL AND o.quarantine_code IS NULL
           AND e.superseded = 0
         ORDER BY o.global_pos",
    )?;
    let rows = stmt.query_map([subject], |r| r.get::<_, String>(0))?;
    rows.map(|r| read::parse_uuid(&r?)).collect()
}

/// What this device's log holds of `subject` after `after` (the messages its consumer
/// received: inbox rows, and the aggregate's applied events with their sequences), oldest
/// first, as `(sequence, msg-id)`.
pub fn received_after(
    conn: &Connection,
    subject: &str,
    stream: (&str, &str),
    after: u64,
) -> Result<Vec<(u64, Option<Uuid>)>, StoreError> {
    let mut seen: std::collections::BTreeMap<u64, Option<Uuid>> = Default::default();
    let mut stmt = conn.prepare_cached(
        "SELECT stream_seq, event_id FROM inbox WHERE stream_seq > ?1 AND subject = ?2",
    )?;
    let mut rows = stmt.query(params![after, subject])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(1)?;
        seen.insert(row.get(0)?, id.parse().ok());
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT seq, event_id FROM (SELECT {} AS seq, e.event_id FROM events e
         WHERE e.stream_type = ?1 AND e.stream_id = ?2) WHERE seq > ?3",
        read::EVENT_SEQ
    ))?;
    let mut rows = stmt.query(params![stream.0, stream.1, after])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(1)?;
        seen.entry(row.get(0)?).or_insert(id.parse().ok());
    }
    Ok(seen.into_iter().collect())
}

/// Rebases an aggregate over other writers' events this device's consumer already applied
/// (at `foreign_seqs`), sets the subject's sequence to `last_seq`, in one transaction.
pub fn rebase_received(
    tx: &Transaction<'_>,
    rebaser: &dyn Rebaser,
    stream: (&str, &str),
    subject: &str,
    foreign_seqs: &[u64],
    last_seq: u64,
) -> Result<RebaseOutcome, StoreError> {
    let upcasters = crate::store::Upcasters::new();
    let events: Vec<IncomingEvent> = read::load_stream(tx, &upcasters, stream.0, stream.1, 1)?
        .into_iter()
        .filter(|e| e.stream_seq.is_some_and(|s| foreign_seqs.contains(&s)))
        .map(|e| IncomingEvent {
            subject: subject.to_owned(),
            stream_seq: e.stream_seq.unwrap_or_default(),
            event_id: e.event_id,
            event_type: e.event_type,
            schema_version: e.schema_version,
            stream_type: e.stream_type,
            stream_id: e.stream_id,
            occurred_at: e.occurred_at,
            metadata: e.metadata,
            payload: e.payload,
        })
        .collect();
    raise_subject_seq(tx, subject, last_seq)?;
    let request = RebaseRequest {
        stream_type: stream.0,
        stream_id: stream.1,
        subject,
        foreign: &events,
    };
    rebaser.rebase(tx, &request)
}
