//! The sync status the UI shows (DESIGN §6.4): online or not, events waiting to be published,
//! the last completed sync, conflicts and parked messages. A plain query on any connection, so
//! a read-only handle (or another process, `mallbots status`) can answer it.

use super::local::LAST_SYNC_CHECKPOINT;
use crate::store::sqlite::read;
use crate::store::StoreError;
use rusqlite::Connection;
use serde::Serialize;

/// A conflict as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    pub at: i64,
}

/// The sync status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Connected to NATS now (always `false` when asked outside a running engine).
    pub online: bool,
    /// Outbox rows not yet acknowledged.
    pub waiting: u64,
    /// Unix ms of the last completed sync, if any.
    pub last_sync_at: Option<i64>,
    /// Conflicts recorded so far.
    pub conflicts: u64,
    /// Incoming messages parked until an upgrade.
    pub parked: u64,
    /// The most recent conflicts, newest first (at most 20).
    pub recent_conflicts: Vec<ConflictView>,
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
    Ok(SyncStatus {
        online,
        waiting: read::pending_outbox_count(conn)?,
        last_sync_at: read::checkpoint(conn, LAST_SYNC_CHECKPOINT)?.map(|v| v as i64),
        conflicts: count("SELECT COUNT(*) FROM conflicts")?,
        parked: count("SELECT COUNT(*) FROM inbox WHERE status = 'parked'")?,
        recent_conflicts: recent,
    })
}
