//! Read-only connections, and the [`EventReader`] implementation both connection kinds share.

use super::read;
use super::{SqliteStore, StoreOptions};
use crate::store::error::StoreError;
use crate::store::records::{Conflict, InboxRow, OutboxEntry, Snapshot, StoredCommand};
use crate::store::traits::EventReader;
use crate::store::types::StoredEvent;
use crate::store::upcast::Upcasters;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

/// A read-only connection for queries off the writer thread (UI reads, status).
#[derive(Debug)]
pub struct StoreReader {
    conn: Connection,
    upcasters: Arc<Upcasters>,
}

impl StoreReader {
    /// Opens `path` read-only. The database must exist and be migrated (open a [`SqliteStore`]
    /// first).
    pub fn open(
        path: impl AsRef<Path>,
        upcasters: Arc<Upcasters>,
        options: &StoreOptions,
    ) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(options.busy_timeout)?;
        conn.set_prepared_statement_cache_capacity(options.statement_cache);
        Ok(Self { conn, upcasters })
    }

    /// The read-only connection, for read-model queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

macro_rules! impl_event_reader {
    ($ty:ty) => {
        impl $ty {
            /// Streams up to `limit` events after `after` to `f` without copying them (see
            /// [`super::scan`]); returns the last position visited.
            pub fn scan(
                &self,
                after: u64,
                limit: usize,
                f: impl FnMut(&super::RawEvent<'_>) -> Result<(), StoreError>,
            ) -> Result<u64, StoreError> {
                super::scan::scan(&self.conn, &self.upcasters, after, limit, f)
            }
        }

        impl EventReader for $ty {
            fn upcasters(&self) -> &Upcasters {
                &self.upcasters
            }
            fn stream_version(
                &self,
                stream_type: &str,
                stream_id: &str,
            ) -> Result<u64, StoreError> {
                read::stream_version(&self.conn, stream_type, stream_id)
            }
            fn load_stream(
                &self,
                stream_type: &str,
                stream_id: &str,
                from_version: u64,
            ) -> Result<Vec<StoredEvent>, StoreError> {
                read::load_stream(
                    &self.conn,
                    &self.upcasters,
                    stream_type,
                    stream_id,
                    from_version,
                )
            }
            fn read_all(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
                read::read_all(&self.conn, &self.upcasters, after, limit)
            }
            fn event(&self, event_id: Uuid) -> Result<Option<StoredEvent>, StoreError> {
                read::event(&self.conn, event_id)
            }
            fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
                read::pending_outbox(&self.conn, limit)
            }
            fn pending_outbox_count(&self) -> Result<u64, StoreError> {
                read::pending_outbox_count(&self.conn)
            }
            fn outbox_entry(&self, event_id: Uuid) -> Result<Option<OutboxEntry>, StoreError> {
                read::outbox_entry(&self.conn, event_id)
            }
            fn inbox_entry(&self, event_id: Uuid) -> Result<Option<InboxRow>, StoreError> {
                read::inbox_entry(&self.conn, event_id)
            }
            fn parked_inbox(&self) -> Result<Vec<InboxRow>, StoreError> {
                read::parked_inbox(&self.conn)
            }
            fn checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
                read::checkpoint(&self.conn, name)
            }
            fn snapshot(
                &self,
                stream_type: &str,
                stream_id: &str,
            ) -> Result<Option<Snapshot>, StoreError> {
                read::snapshot(&self.conn, stream_type, stream_id)
            }
            fn pending_commands(
                &self,
                stream_type: &str,
                stream_id: &str,
            ) -> Result<Vec<StoredCommand>, StoreError> {
                read::pending_commands(&self.conn, stream_type, stream_id)
            }
            fn command(&self, id: Uuid) -> Result<Option<StoredCommand>, StoreError> {
                read::command(&self.conn, id)
            }
            fn conflicts(&self, limit: usize) -> Result<Vec<Conflict>, StoreError> {
                read::conflicts(&self.conn, limit)
            }
        }
    };
}

impl_event_reader!(StoreReader);
impl_event_reader!(SqliteStore);
