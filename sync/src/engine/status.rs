//! The sync status the UI shows (docs/architecture.md §6.4): online or not, events waiting to be published,
//! the last completed sync, conflicts and parked messages, the connection state with its
//! problem (not enrolled, credentials refused), and the quarantined outbox rows. A plain query
//! on any connection, so a read-only handle (or another process, `mallbots status`) can
//! answer it.
//!
//! [`SyncStatus::state`] is one of:
//! * `online`: connected (or, asked outside the engine, a sync completed recently);
//! * `offline`: not connected; retrying with backoff;
//! * `not_enrolled`: the device's consumers do not exist on the server (`sync.not_enrolled`,
//!   the problem's message names the `mallbots-central enroll` command that fixes it);
//! * `refused`: the server refused the device's credentials (`sync.refused`).
//!
//! Quarantine codes ([`QuarantinedRow::code`]): `sync.forbidden_subject` (the device may not
//! publish there), `sync.too_large` (over the server's `max_payload` or the stream's maximum
//! message size), `sync.rejected` (the stream refused it otherwise).

use super::local::LAST_SYNC_CHECKPOINT;
use crate::store::sqlite::read;
use crate::store::StoreError;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// A conflict as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Conflict"))]
pub struct ConflictView {
    /// Aggregate type.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
    /// Machine-readable reason.
    pub code: String,
    /// Text for the user.
    pub message: String,
    /// When, Unix ms.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
}

/// Why the device cannot sync, as the engine last recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncProblem {
    /// `sync.not_enrolled` or `sync.refused`.
    pub code: String,
    /// Text for the user (never a credential).
    pub message: String,
    /// Unix ms since when.
    pub since: i64,
}

/// An outbox row the server refuses, set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Quarantined"))]
pub struct QuarantinedRow {
    /// The event.
    pub event_id: String,
    /// Its event type.
    pub event_type: String,
    /// Aggregate type.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
    /// The subject it would go to.
    pub subject: String,
    /// `sync.forbidden_subject`, `sync.too_large` or `sync.rejected`.
    pub code: String,
    /// Text for the user.
    pub reason: String,
    /// When, Unix ms.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// Later events of the same aggregate (or subject) waiting behind it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub blocked: u64,
}

/// The sync status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Connected to NATS now (always `false` when asked outside a running engine).
    pub online: bool,
    /// `online`, `offline`, `not_enrolled` or `refused` (see the module doc).
    pub state: String,
    /// Why the device cannot sync (with `not_enrolled` and `refused`).
    pub problem: Option<SyncProblem>,
    /// Outbox rows not yet acknowledged (quarantined and blocked rows included).
    pub waiting: u64,
    /// When the oldest change still to send (not quarantined) was made, Unix ms: how far
    /// behind central is of this device (`None`: nothing to send).
    pub oldest_waiting_at: Option<i64>,
    /// Outbox rows quarantined (refused by the server; see [`QuarantinedRow`]).
    pub quarantined: u64,
    /// Outbox rows waiting behind a quarantined row of their aggregate or subject.
    pub blocked: u64,
    /// The quarantined rows, oldest first (at most 20).
    pub quarantine: Vec<QuarantinedRow>,
    /// Unix ms of the last completed sync, if any.
    pub last_sync_at: Option<i64>,
    /// Conflicts recorded so far.
    pub conflicts: u64,
    /// Incoming messages parked until an upgrade.
    pub parked: u64,
    /// The most recent conflicts, newest first (at most 20).
    pub recent_conflicts: Vec<ConflictView>,
}

impl SyncStatus {
    /// This status as seen by someone who knows whether the device is online right now (a
    /// probe, a pass that just connected): `online` and a `state` that agrees with it, unless
    /// the device is held by a problem (not enrolled, refused), which stays.
    pub fn with_online(mut self, online: bool) -> Self {
        self.online = online;
        if self.problem.is_none() {
            self.state = if online { "online" } else { "offline" }.to_owned();
        }
        self
    }
}

/// Reads the status from `conn`; `online` comes from the caller (the running engine).
pub fn sync_status(conn: &Connection, online: bool) -> Result<SyncStatus, StoreError> {
    let count =
        |sql: &str| -> Result<u64, StoreError> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let recent = read::conflicts(conn, 20)?
        .into_iter()
        .map(|c| ConflictView {
            stream_type: c.conflict.stream_type,
            stream_id: c.conflict.stream_id,
            code: c.conflict.code,
            message: c.conflict.message,
            at: c.at,
        })
        .collect();
    let persisted: Option<(String, Option<String>, Option<String>, i64)> = conn
        .query_row(
            "SELECT state, code, message, since FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (state, problem) = match persisted {
        Some((state, Some(code), Some(message), since))
            if state == "not_enrolled" || state == "refused" =>
        {
            (
                state,
                Some(SyncProblem {
                    code,
                    message,
                    since,
                }),
            )
        }
        _ => (if online { "online" } else { "offline" }.to_owned(), None),
    };
    let quarantine = quarantined_rows(conn)?;
    Ok(SyncStatus {
        online,
        state,
        problem,
        waiting: read::pending_outbox_count(conn)?,
        oldest_waiting_at: conn
            .prepare_cached(
                "SELECT created_at FROM outbox
                 WHERE published_seq IS NULL AND quarantine_code IS NULL
                 ORDER BY global_pos LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?,
        quarantined: count(
            "SELECT COUNT(*) FROM outbox
             WHERE quarantine_code IS NOT NULL AND published_seq IS NULL",
        )?,
        blocked: count(BLOCKED_COUNT)?,
        quarantine,
        last_sync_at: read::checkpoint(conn, LAST_SYNC_CHECKPOINT)?.map(|v| v as i64),
        conflicts: count("SELECT COUNT(*) FROM conflicts")?,
        parked: count("SELECT COUNT(*) FROM inbox WHERE status = 'parked'")?,
        recent_conflicts: recent,
    })
}

/// Pending rows not quarantined themselves whose subject or aggregate has a quarantined
/// pending row.
const BLOCKED_COUNT: &str = "SELECT COUNT(*) FROM outbox o
     WHERE o.published_seq IS NULL AND o.quarantine_code IS NULL
       AND EXISTS (SELECT 1 FROM outbox q
           WHERE q.quarantine_code IS NOT NULL AND q.published_seq IS NULL
             AND q.global_pos < o.global_pos
             AND (q.subject = o.subject
                  OR (q.stream_type = o.stream_type AND q.stream_id = o.stream_id)))";

fn quarantined_rows(conn: &Connection) -> Result<Vec<QuarantinedRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.event_id, e.event_type, o.stream_type, o.stream_id, o.subject,
                o.quarantine_code, o.quarantine_reason, o.quarantined_at,
                (SELECT COUNT(*) FROM outbox b
                  WHERE b.published_seq IS NULL AND b.quarantine_code IS NULL
                    AND b.global_pos > o.global_pos
                    AND (b.subject = o.subject
                         OR (b.stream_type = o.stream_type AND b.stream_id = o.stream_id)))
         FROM outbox o JOIN events e ON e.global_pos = o.global_pos
         WHERE o.quarantine_code IS NOT NULL AND o.published_seq IS NULL
         ORDER BY o.global_pos LIMIT 20",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(QuarantinedRow {
            event_id: r.get(0)?,
            event_type: r.get(1)?,
            stream_type: r.get(2)?,
            stream_id: r.get(3)?,
            subject: r.get(4)?,
            code: r.get(5)?,
            reason: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            at: r.get::<_, Option<i64>>(7)?.unwrap_or_default(),
            blocked: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
