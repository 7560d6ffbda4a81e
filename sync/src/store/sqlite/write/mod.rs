//! Write statements on a connection, meant to run inside one transaction.
//!
//! They are public so a caller holding a [`rusqlite::Transaction`] (a projection hook, an inbox
//! handler, the sync engine's rebase) can compose them atomically with its own statements.
//! This file holds the event and outbox statements; the `tables` submodule the side tables.

mod tables;

pub use tables::*;

use super::read;
use crate::store::error::StoreError;

use crate::store::types::{AppendRequest, EventMetadata, StoredEvent};
use rusqlite::{params, Connection, ErrorCode};
use uuid::Uuid;

fn constraint_message(err: &rusqlite::Error) -> Option<&str> {
    match err {
        rusqlite::Error::SqliteFailure(e, msg) if e.code == ErrorCode::ConstraintViolation => {
            Some(msg.as_deref().unwrap_or(""))
        }
        _ => None,
    }
}

/// Appends one stream's events with their outbox rows and command row. Does not commit.
pub fn append(
    conn: &Connection,
    request: &AppendRequest,
    now: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    crate::store::check_batch(request.events.len())?;
    let actual = read::stream_version(conn, &request.stream_type, &request.stream_id)?;
    if actual != request.expected_version {
        return Err(StoreError::Concurrency {
            stream: request.stream_name(),
            expected: request.expected_version,
            actual,
        });
    }
    if request.events.is_empty() {
        return Ok(Vec::new());
    }
    let command_id = request.command.as_ref().map(|c| c.id);
    if let Some(command) = &request.command {
        let payload = serde_json::to_string(&command.payload)
            .map_err(|e| StoreError::codec("command payload", e))?;
        conn.prepare_cached(
            "INSERT INTO commands (id, stream_type, stream_id, payload, base_seq, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)",
        )?
        .execute(params![
            command.id.to_string(),
            request.stream_type,
            request.stream_id,
            payload,
            command.base_seq,
            now
        ])
        .map_err(|err| match constraint_message(&err) {
            Some(_) => StoreError::DuplicateCommand {
                command_id: command.id,
            },
            None => StoreError::Sqlite(err),
        })?;
    }
    let mut insert_event = conn.prepare_cached(
        "INSERT INTO events (stream_type, stream_id, version, event_id, event_type,
             schema_version, payload, metadata, occurred_at, command_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut insert_outbox = conn.prepare_cached(
        "INSERT INTO outbox (event_id, global_pos, stream_type, stream_id, subject, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let command_text = command_id.map(|id| id.to_string());
    let mut stored = Vec::with_capacity(request.events.len());
    for (index, event) in request.events.iter().enumerate() {
        let version = request.expected_version + 1 + index as u64;
        let metadata = EventMetadata {
            schema_version: event.schema_version,
            ..event.metadata.clone()
        };
        let payload = serde_json::to_string(&event.payload)
            .map_err(|e| StoreError::codec("event payload", e))?;
        let metadata_text =
            serde_json::to_string(&metadata).map_err(|e| StoreError::codec("event metadata", e))?;
        let event_id = event.event_id.to_string();
        insert_event
            .execute(params![
                request.stream_type,
                request.stream_id,
                version,
                event_id,
                event.event_type,
                event.schema_version,
                payload,
                metadata_text,
                event.occurred_at,
                command_text,
            ])
            .map_err(|err| match constraint_message(&err) {
                Some(msg) if msg.contains("event_id") => StoreError::DuplicateEvent {
                    event_id: event.event_id,
                },
                Some(msg) if msg.contains("version") => StoreError::Concurrency {
                    stream: request.stream_name(),
                    expected: request.expected_version,
                    actual: version,
                },
                _ => StoreError::Sqlite(err),
            })?;
        let global_pos = conn.last_insert_rowid() as u64;
        if let Some(subject) = &event.subject {
            insert_outbox.execute(params![
                event_id,
                global_pos,
                request.stream_type,
                request.stream_id,
                subject,
                now
            ])?;
        }
        stored.push(StoredEvent {
            global_pos,
            stream_type: request.stream_type.clone(),
            stream_id: request.stream_id.clone(),
            version,
            event_id: event.event_id,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            payload: event.payload.clone(),
            metadata,
            occurred_at: event.occurred_at,
            stream_seq: None,
            superseded: false,
            command_id,
        });
    }
    Ok(stored)
}

/// Records an event's JetStream sequence without touching the outbox (events received from
/// central and stored locally).
pub fn set_stream_seq(
    conn: &Connection,
    event_id: Uuid,
    stream_seq: u64,
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE events SET stream_seq = ?1 WHERE event_id = ?2")?
        .execute(params![stream_seq, event_id.to_string()])?;
    Ok(())
}

/// See [`crate::store::EventStore::mark_published`].
pub fn mark_published(
    conn: &Connection,
    event_id: Uuid,
    stream_seq: u64,
    now: i64,
) -> Result<(), StoreError> {
    let id = event_id.to_string();
    let changed = conn
        .prepare_cached(
            "UPDATE outbox SET published_seq = ?1, published_at = ?2, last_error = NULL
             WHERE global_pos = (SELECT global_pos FROM events WHERE event_id = ?3)",
        )?
        .execute(params![stream_seq, now, id])?;
    if changed == 0 {
        return Err(StoreError::NotInOutbox { event_id });
    }
    set_stream_seq(conn, event_id, stream_seq)?;
    conn.prepare_cached(
        "UPDATE commands SET status = 'published'
         WHERE status = 'pending'
           AND id = (SELECT command_id FROM events WHERE event_id = ?1)
           AND NOT EXISTS (
               SELECT 1 FROM events e JOIN outbox o ON o.global_pos = e.global_pos
               WHERE e.command_id = commands.id AND e.superseded = 0
                 AND o.published_seq IS NULL)",
    )?
    .execute([id])?;
    Ok(())
}

/// See [`crate::store::EventStore::record_outbox_failure`].
pub fn record_outbox_failure(
    conn: &Connection,
    event_id: Uuid,
    error: &str,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?1
             WHERE global_pos = (SELECT global_pos FROM events WHERE event_id = ?2)",
        )?
        .execute(params![error, event_id.to_string()])?;
    if changed == 0 {
        return Err(StoreError::NotInOutbox { event_id });
    }
    Ok(())
}

/// See [`crate::store::EventStore::supersede_pending`].
pub fn supersede_pending(
    conn: &Connection,
    stream_type: &str,
    stream_id: &str,
) -> Result<Vec<Uuid>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.event_id, e.version FROM events e JOIN outbox o ON o.global_pos = e.global_pos
         WHERE e.stream_type = ?1 AND e.stream_id = ?2 AND e.superseded = 0
           AND o.published_seq IS NULL ORDER BY e.version",
    )?;
    let rows: Vec<(String, u64)> = stmt
        .query_map(params![stream_type, stream_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let Some(first_version) = rows.first().map(|(_, v)| *v) else {
        return Ok(Vec::new());
    };
    let mut ids = Vec::with_capacity(rows.len());
    for (id, _) in &rows {
        conn.prepare_cached("UPDATE events SET superseded = 1 WHERE event_id = ?1")?
            .execute([id])?;
        conn.prepare_cached(
            "DELETE FROM outbox
             WHERE global_pos = (SELECT global_pos FROM events WHERE event_id = ?1)",
        )?
        .execute([id])?;
        ids.push(read::parse_uuid(id)?);
    }
    conn.prepare_cached(
        "DELETE FROM snapshots WHERE stream_type = ?1 AND stream_id = ?2 AND version >= ?3",
    )?
    .execute(params![stream_type, stream_id, first_version])?;
    Ok(ids)
}
