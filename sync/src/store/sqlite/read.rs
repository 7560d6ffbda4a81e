//! Read queries on any connection (the writer's or a read-only one), mapping rows to types.

use crate::store::error::StoreError;
use crate::store::records::{
    CommandStatus, Conflict, InboxRecord, InboxRow, InboxStatus, NewConflict, OutboxEntry,
    Snapshot, StoredCommand,
};
use crate::store::types::{EventMetadata, StoredEvent};
use crate::store::upcast::Upcasters;
use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

/// The `events` columns in the order [`event_from_row`] reads them, the sequence column given.
macro_rules! event_columns {
    ($($seq:tt)+) => {
        concat!(
            "e.global_pos, e.stream_type, e.stream_id, e.version, e.event_id, e.event_type, ",
            "e.schema_version, e.payload, e.metadata, e.occurred_at, ",
            $($seq)+,
            ", e.superseded, e.command_id"
        )
    };
}

macro_rules! event_seq {
    () => {
        "COALESCE(e.stream_seq, \
         (SELECT ob.published_seq FROM outbox ob WHERE ob.global_pos = e.global_pos))"
    };
}

/// The JetStream sequence of the event row `e`: set on the row for a received event (and for
/// an own event once its outbox row is pruned, [`crate::engine::prune`]); for an own event
/// whose outbox row is still there, its acknowledged `published_seq`. The relay records an
/// ack on the outbox row alone: copying it onto the (wide) event row as well would rewrite
/// every page of the log a second time while the relay runs.
pub const EVENT_SEQ: &str = event_seq!();

/// The `events` columns (alias `e`) in the order [`event_from_row`] reads them.
pub const EVENT_COLUMNS: &str = event_columns!(event_seq!());

/// [`EVENT_COLUMNS`] joined with its outbox row (alias `o`): the sequence is read from it.
const OUTBOX_EVENT_COLUMNS: &str = event_columns!("COALESCE(e.stream_seq, o.published_seq)");

/// Parses a stored UUID.
pub fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::InvalidData(format!("uuid {text:?}: {e}")))
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::codec(what, e))
}

/// Maps the first 13 columns ([`EVENT_COLUMNS`]) of a row; payload as written.
pub fn event_from_row(row: &Row<'_>) -> Result<StoredEvent, StoreError> {
    event_from_row_parsing(row, true)
}

/// [`event_from_row`], leaving the payload unparsed (`Value::Null`) unless `parse_payload`.
fn event_from_row_parsing(row: &Row<'_>, parse_payload: bool) -> Result<StoredEvent, StoreError> {
    let event_id: String = row.get(4)?;
    let payload: String = row.get(7)?;
    let metadata: String = row.get(8)?;
    let command_id: Option<String> = row.get(12)?;
    Ok(StoredEvent {
        global_pos: row.get(0)?,
        stream_type: row.get(1)?,
        stream_id: row.get(2)?,
        version: row.get(3)?,
        event_id: parse_uuid(&event_id)?,
        event_type: row.get(5)?,
        schema_version: row.get(6)?,
        payload: if parse_payload {
            parse_json(&payload, "event payload")?
        } else {
            serde_json::Value::Null
        },
        metadata: parse_json::<EventMetadata>(&metadata, "event metadata")?,
        occurred_at: row.get(9)?,
        stream_seq: row.get(10)?,
        superseded: row.get::<_, i64>(11)? != 0,
        command_id: command_id.as_deref().map(parse_uuid).transpose()?,
    })
}

fn events(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    upcasters: Option<&Upcasters>,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let event = event_from_row(row)?;
        out.push(match upcasters {
            Some(upcasters) => upcasters.upcast_event(event)?,
            None => event,
        });
    }
    Ok(out)
}

/// See [`crate::store::EventReader::stream_version`].
pub fn stream_version(
    conn: &Connection,
    stream_type: &str,
    stream_id: &str,
) -> Result<u64, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(max(version), 0) FROM events WHERE stream_type = ?1 AND stream_id = ?2",
    )?;
    Ok(stmt.query_row(params![stream_type, stream_id], |row| row.get(0))?)
}

/// See [`crate::store::EventReader::load_stream`].
pub fn load_stream(
    conn: &Connection,
    upcasters: &Upcasters,
    stream_type: &str,
    stream_id: &str,
    from_version: u64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.stream_type = ?1 AND e.stream_id = ?2 \
         AND e.version >= ?3 AND e.superseded = 0 ORDER BY e.version"
    );
    events(
        conn,
        &sql,
        params![stream_type, stream_id, from_version],
        Some(upcasters),
    )
}

/// See [`crate::store::EventReader::read_all`].
pub fn read_all(
    conn: &Connection,
    upcasters: &Upcasters,
    after: u64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.global_pos > ?1 AND e.superseded = 0 \
         ORDER BY e.global_pos LIMIT ?2"
    );
    events(conn, &sql, params![after, limit as i64], Some(upcasters))
}

/// See [`crate::store::EventReader::event`].
pub fn event(conn: &Connection, event_id: Uuid) -> Result<Option<StoredEvent>, StoreError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.event_id = ?1");
    Ok(events(conn, &sql, params![event_id.to_string()], None)?.pop())
}

const OUTBOX_COLUMNS: &str = "o.subject, o.attempts, o.last_error, o.published_seq, o.created_at";

fn outbox_rows(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<OutboxEntry>, StoreError> {
    outbox_rows_parsing(conn, filter, args, true)
}

fn outbox_rows_parsing(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
    parse_payload: bool,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let sql = format!(
        "SELECT {OUTBOX_EVENT_COLUMNS}, {OUTBOX_COLUMNS} FROM outbox o \
         JOIN events e ON e.global_pos = o.global_pos {filter}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(OutboxEntry {
            event: event_from_row_parsing(row, parse_payload)?,
            payload_json: row.get(7)?,
            subject: row.get(13)?,
            attempts: row.get(14)?,
            last_error: row.get(15)?,
            published_seq: row.get(16)?,
            created_at: row.get(17)?,
        });
    }
    Ok(out)
}

/// See [`crate::store::EventReader::pending_outbox`].
pub fn pending_outbox(conn: &Connection, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
    outbox_rows(
        conn,
        "WHERE o.published_seq IS NULL ORDER BY o.global_pos LIMIT ?1",
        params![limit as i64],
    )
}

/// Up to `limit` unpublished outbox rows at log position `from` or later, in log order (the
/// relay's cursor: every row before `from` is known to be published, so they are not scanned).
/// The payloads stay JSON text ([`OutboxEntry::payload_json`]): the relay publishes them as
/// stored, with no parse and re-encode.
pub fn pending_outbox_from(
    conn: &Connection,
    from: u64,
    limit: usize,
) -> Result<Vec<OutboxEntry>, StoreError> {
    outbox_rows_parsing(
        conn,
        "WHERE o.global_pos >= ?1 AND o.published_seq IS NULL ORDER BY o.global_pos LIMIT ?2",
        params![from as i64, limit as i64],
        false,
    )
}

/// See [`crate::store::EventReader::pending_outbox_count`].
pub fn pending_outbox_count(conn: &Connection) -> Result<u64, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT count(*) FROM outbox WHERE published_seq IS NULL")?;
    Ok(stmt.query_row([], |row| row.get(0))?)
}

/// See [`crate::store::EventReader::outbox_entry`].
pub fn outbox_entry(conn: &Connection, event_id: Uuid) -> Result<Option<OutboxEntry>, StoreError> {
    Ok(outbox_rows(conn, "WHERE e.event_id = ?1", params![event_id.to_string()])?.pop())
}

fn inbox_rows(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<InboxRow>, StoreError> {
    let sql = format!(
        "SELECT event_id, stream_seq, subject, status, raw, received_at FROM inbox {filter}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let event_id: String = row.get(0)?;
        let status: String = row.get(3)?;
        out.push(InboxRow {
            record: InboxRecord {
                event_id: parse_uuid(&event_id)?,
                stream_seq: row.get(1)?,
                subject: row.get(2)?,
                status: InboxStatus::parse(&status)?,
                raw: row.get(4)?,
            },
            received_at: row.get(5)?,
        });
    }
    Ok(out)
}

/// See [`crate::store::EventReader::inbox_entry`].
pub fn inbox_entry(conn: &Connection, event_id: Uuid) -> Result<Option<InboxRow>, StoreError> {
    Ok(inbox_rows(conn, "WHERE event_id = ?1", params![event_id.to_string()])?.pop())
}

/// See [`crate::store::EventReader::parked_inbox`].
pub fn parked_inbox(conn: &Connection) -> Result<Vec<InboxRow>, StoreError> {
    inbox_rows(conn, "WHERE status = 'parked' ORDER BY stream_seq", [])
}

/// See [`crate::store::EventReader::checkpoint`].
pub fn checkpoint(conn: &Connection, name: &str) -> Result<Option<u64>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT position FROM checkpoints WHERE name = ?1")?;
    Ok(stmt.query_row([name], |row| row.get(0)).optional()?)
}

/// See [`crate::store::EventReader::snapshot`].
pub fn snapshot(
    conn: &Connection,
    stream_type: &str,
    stream_id: &str,
) -> Result<Option<Snapshot>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, state FROM snapshots WHERE stream_type = ?1 AND stream_id = ?2",
    )?;
    let found: Option<(u64, String)> = stmt
        .query_row(params![stream_type, stream_id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    found
        .map(|(version, state)| {
            Ok(Snapshot {
                stream_type: stream_type.to_owned(),
                stream_id: stream_id.to_owned(),
                version,
                state: parse_json(&state, "snapshot state")?,
            })
        })
        .transpose()
}

fn commands(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<StoredCommand>, StoreError> {
    let sql = format!(
        "SELECT id, stream_type, stream_id, payload, base_seq, status, created_at \
         FROM commands {filter}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let payload: String = row.get(3)?;
        let status: String = row.get(5)?;
        out.push(StoredCommand {
            id: parse_uuid(&id)?,
            stream_type: row.get(1)?,
            stream_id: row.get(2)?,
            payload: parse_json(&payload, "command payload")?,
            base_seq: row.get(4)?,
            status: CommandStatus::parse(&status)?,
            created_at: row.get(6)?,
        });
    }
    Ok(out)
}

/// See [`crate::store::EventReader::pending_commands`].
pub fn pending_commands(
    conn: &Connection,
    stream_type: &str,
    stream_id: &str,
) -> Result<Vec<StoredCommand>, StoreError> {
    commands(
        conn,
        "WHERE stream_type = ?1 AND stream_id = ?2 AND status = 'pending' \
         ORDER BY created_at, rowid",
        params![stream_type, stream_id],
    )
}

/// See [`crate::store::EventReader::command`].
pub fn command(conn: &Connection, id: Uuid) -> Result<Option<StoredCommand>, StoreError> {
    Ok(commands(conn, "WHERE id = ?1", params![id.to_string()])?.pop())
}

/// See [`crate::store::EventReader::conflicts`].
pub fn conflicts(conn: &Connection, limit: usize) -> Result<Vec<Conflict>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, stream_type, stream_id, code, message, at FROM conflicts \
         ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |row| {
        Ok(Conflict {
            id: row.get(0)?,
            conflict: NewConflict {
                stream_type: row.get(1)?,
                stream_id: row.get(2)?,
                code: row.get(3)?,
                message: row.get(4)?,
            },
            at: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
