//! Side-table statements: inbox, checkpoints, snapshots, commands, conflicts, pruning.

use crate::store::error::StoreError;
use crate::store::records::{CommandStatus, InboxRecord, InboxStatus, NewConflict, Snapshot};
use rusqlite::{params, Connection};
use uuid::Uuid;

/// See [`crate::store::EventStore::inbox_record`].
pub fn inbox_record(conn: &Connection, record: &InboxRecord, now: i64) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO inbox (event_id, stream_seq, subject, received_at, status, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_id) DO NOTHING",
        )?
        .execute(params![
            record.event_id.to_string(),
            record.stream_seq,
            record.subject,
            now,
            record.status.as_str(),
            record.raw
        ])?;
    Ok(changed == 1)
}

/// Changes an inbox row's status (a parked row applied after an upgrade drops its raw copy).
pub fn inbox_set_status(
    conn: &Connection,
    event_id: Uuid,
    status: InboxStatus,
) -> Result<(), StoreError> {
    let sql = if status == InboxStatus::Parked {
        "UPDATE inbox SET status = ?1 WHERE event_id = ?2"
    } else {
        "UPDATE inbox SET status = ?1, raw = NULL WHERE event_id = ?2"
    };
    conn.prepare_cached(sql)?
        .execute(params![status.as_str(), event_id.to_string()])?;
    Ok(())
}

/// See [`crate::store::EventStore::set_checkpoint`].
pub fn set_checkpoint(
    conn: &Connection,
    name: &str,
    position: u64,
    now: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO checkpoints (name, position, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET position = excluded.position,
             updated_at = excluded.updated_at",
    )?
    .execute(params![name, position, now])?;
    Ok(())
}

/// See [`crate::store::EventStore::put_snapshot`].
pub fn put_snapshot(conn: &Connection, snapshot: &Snapshot, now: i64) -> Result<(), StoreError> {
    let state = serde_json::to_string(&snapshot.state)
        .map_err(|e| StoreError::codec("snapshot state", e))?;
    conn.prepare_cached(
        "INSERT INTO snapshots (stream_type, stream_id, version, state, taken_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (stream_type, stream_id) DO UPDATE SET version = excluded.version,
             state = excluded.state, taken_at = excluded.taken_at",
    )?
    .execute(params![
        snapshot.stream_type,
        snapshot.stream_id,
        snapshot.version,
        state,
        now
    ])?;
    Ok(())
}

/// See [`crate::store::EventStore::set_command_status`].
pub fn set_command_status(
    conn: &Connection,
    id: Uuid,
    status: CommandStatus,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached("UPDATE commands SET status = ?1 WHERE id = ?2")?
        .execute(params![status.as_str(), id.to_string()])?;
    if changed == 0 {
        return Err(StoreError::UnknownCommand { command_id: id });
    }
    Ok(())
}

/// See [`crate::store::EventStore::record_conflict`].
pub fn record_conflict(
    conn: &Connection,
    conflict: &NewConflict,
    now: i64,
) -> Result<u64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO conflicts (stream_type, stream_id, code, message, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        conflict.stream_type,
        conflict.stream_id,
        conflict.code,
        conflict.message,
        now
    ])?;
    Ok(conn.last_insert_rowid() as u64)
}

/// See [`crate::store::EventStore::prune_outbox`].
pub fn prune_outbox(conn: &Connection, published_before: i64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM outbox WHERE published_seq IS NOT NULL AND published_at < ?1")?
        .execute([published_before])?)
}

/// See [`crate::store::EventStore::prune_inbox`].
pub fn prune_inbox(conn: &Connection, before_seq: u64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM inbox WHERE stream_seq < ?1 AND status != 'parked'")?
        .execute([before_seq])?)
}
