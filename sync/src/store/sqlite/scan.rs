//! Streaming, zero-copy reads of the log for read-model rebuilds: each row is handed to a
//! closure as borrowed text ([`RawEvent`]) and decoded straight into the caller's type, skipping
//! the `serde_json::Value` step of [`crate::store::EventReader::read_all`].

use super::read::{parse_uuid, EVENT_COLUMNS};
use crate::store::error::StoreError;
use crate::store::types::{EventMetadata, StoredEvent};
use crate::store::upcast::{Compatibility, Upcasters};
use rusqlite::{params, Connection, Row};
use serde::de::DeserializeOwned;

/// One event row, borrowed from SQLite for the duration of the callback.
#[derive(Debug, Clone, Copy)]
pub struct RawEvent<'a> {
    /// Position in the log.
    pub global_pos: u64,
    /// Aggregate type.
    pub stream_type: &'a str,
    /// Aggregate id.
    pub stream_id: &'a str,
    /// Version in the stream.
    pub version: u64,
    /// Event id, hyphenated text.
    pub event_id: &'a str,
    /// Stable type name.
    pub event_type: &'a str,
    /// Schema version as written.
    pub schema_version: u32,
    /// Payload JSON as written.
    pub payload: &'a str,
    /// Metadata JSON.
    pub metadata: &'a str,
    /// When it happened, Unix milliseconds.
    pub occurred_at: i64,
    /// JetStream sequence, if published or received.
    pub stream_seq: Option<u64>,
    /// The command that produced it, hyphenated text.
    pub command_id: Option<&'a str>,
    upcasters: &'a Upcasters,
}

impl RawEvent<'_> {
    /// Decodes the payload into `E`, upcasting first when the stored version is old.
    pub fn decode<E: DeserializeOwned>(&self) -> Result<E, StoreError> {
        decode_payload(
            self.upcasters,
            self.event_type,
            self.schema_version,
            self.payload,
        )
    }

    /// Parses the metadata.
    pub fn metadata(&self) -> Result<EventMetadata, StoreError> {
        serde_json::from_str(self.metadata).map_err(|e| StoreError::codec("event metadata", e))
    }

    /// An owned, upcast [`StoredEvent`].
    pub fn to_stored(&self) -> Result<StoredEvent, StoreError> {
        let event = StoredEvent {
            global_pos: self.global_pos,
            stream_type: self.stream_type.to_owned(),
            stream_id: self.stream_id.to_owned(),
            version: self.version,
            event_id: parse_uuid(self.event_id)?,
            event_type: self.event_type.to_owned(),
            schema_version: self.schema_version,
            payload: serde_json::from_str(self.payload)
                .map_err(|e| StoreError::codec("event payload", e))?,
            metadata: self.metadata()?,
            occurred_at: self.occurred_at,
            stream_seq: self.stream_seq,
            superseded: false,
            command_id: self.command_id.map(parse_uuid).transpose()?,
        };
        self.upcasters.upcast_event(event)
    }
}

/// Decodes a stored payload into `E`, upcasting first when `schema_version` is old: what
/// [`RawEvent::decode`] does, for a payload copied out of its row (a rebuild decodes on a
/// thread of its own while the writer projects).
pub fn decode_payload<E: DeserializeOwned>(
    upcasters: &Upcasters,
    event_type: &str,
    schema_version: u32,
    payload: &str,
) -> Result<E, StoreError> {
    let context = || format!("decode {event_type}");
    match upcasters.classify(event_type, schema_version) {
        Compatibility::Current => {
            serde_json::from_str(payload).map_err(|e| StoreError::codec(context(), e))
        }
        _ => {
            let value =
                serde_json::from_str(payload).map_err(|e| StoreError::codec("event payload", e))?;
            let (value, _) = upcasters.upcast(event_type, schema_version, value)?;
            serde_json::from_value(value).map_err(|e| StoreError::codec(context(), e))
        }
    }
}

fn text<'a>(row: &'a Row<'_>, index: usize) -> Result<&'a str, StoreError> {
    row.get_ref(index)?
        .as_str()
        .map_err(|e| bad_column(index, e))
}

fn bad_column(index: usize, err: rusqlite::types::FromSqlError) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
        index,
        rusqlite::types::Type::Text,
        Box::new(err),
    ))
}

/// Calls `f` for up to `limit` non-superseded events after `after`, in log order. Returns the
/// last position visited (`after` if none), so a rebuild pages with it.
pub fn scan(
    conn: &Connection,
    upcasters: &Upcasters,
    after: u64,
    limit: usize,
    mut f: impl FnMut(&RawEvent<'_>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.global_pos > ?1 AND e.superseded = 0 \
         ORDER BY e.global_pos LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![after, limit as i64])?;
    let mut last = after;
    while let Some(row) = rows.next()? {
        let event = RawEvent {
            global_pos: row.get(0)?,
            stream_type: text(row, 1)?,
            stream_id: text(row, 2)?,
            version: row.get(3)?,
            event_id: text(row, 4)?,
            event_type: text(row, 5)?,
            schema_version: row.get(6)?,
            payload: text(row, 7)?,
            metadata: text(row, 8)?,
            occurred_at: row.get(9)?,
            stream_seq: row.get(10)?,
            command_id: row
                .get_ref(12)?
                .as_str_or_null()
                .map_err(|e| bad_column(12, e))?,
            upcasters,
        };
        f(&event)?;
        last = event.global_pos;
    }
    Ok(last)
}
