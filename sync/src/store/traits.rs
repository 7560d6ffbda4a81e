//! The store contract: [`EventReader`] (queries) and [`EventStore`] (mutations).
//!
//! Two implementations, [`super::SqliteStore`] and [`super::MemoryStore`], pass one contract test
//! suite (`sync/tests/store_contract.rs`). Read-only SQLite connections
//! ([`super::StoreReader`]) implement [`EventReader`] only.

use super::error::StoreError;
use super::records::{
    CommandStatus, Conflict, InboxRecord, InboxRow, NewConflict, OutboxEntry, Snapshot,
    StoredCommand,
};
use super::types::{AppendRequest, StoredEvent};
use super::upcast::Upcasters;
use uuid::Uuid;

/// Queries over the store. Load paths (`load_stream`, `read_all`) return upcast payloads;
/// outbox entries carry payloads exactly as written.
pub trait EventReader {
    /// The registry applied on load.
    fn upcasters(&self) -> &Upcasters;

    /// The stream's head version (highest version, superseded rows included); 0 if empty.
    fn stream_version(&self, stream_type: &str, stream_id: &str) -> Result<u64, StoreError>;

    /// The stream's non-superseded events with `version >= from_version`, in version order.
    fn load_stream(
        &self,
        stream_type: &str,
        stream_id: &str,
        from_version: u64,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Up to `limit` non-superseded events with `global_pos > after`, in log order.
    fn read_all(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// One event by id (superseded or not), payload as written.
    fn event(&self, event_id: Uuid) -> Result<Option<StoredEvent>, StoreError>;

    /// Up to `limit` unpublished outbox rows in log order (hence in order per aggregate).
    fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;

    /// The number of unpublished outbox rows.
    fn pending_outbox_count(&self) -> Result<u64, StoreError>;

    /// One outbox row by event id.
    fn outbox_entry(&self, event_id: Uuid) -> Result<Option<OutboxEntry>, StoreError>;

    /// One inbox row by event id.
    fn inbox_entry(&self, event_id: Uuid) -> Result<Option<InboxRow>, StoreError>;

    /// Parked inbox rows, oldest sequence first.
    fn parked_inbox(&self) -> Result<Vec<InboxRow>, StoreError>;

    /// A named checkpoint (per projection, per consumer).
    fn checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError>;

    /// The latest snapshot of a stream.
    fn snapshot(&self, stream_type: &str, stream_id: &str) -> Result<Option<Snapshot>, StoreError>;

    /// A stream's pending commands, oldest first.
    fn pending_commands(
        &self,
        stream_type: &str,
        stream_id: &str,
    ) -> Result<Vec<StoredCommand>, StoreError>;

    /// One command by id.
    fn command(&self, id: Uuid) -> Result<Option<StoredCommand>, StoreError>;

    /// The most recent `limit` conflicts, newest first.
    fn conflicts(&self, limit: usize) -> Result<Vec<Conflict>, StoreError>;
}

/// Mutations. Every method is one transaction.
pub trait EventStore: EventReader {
    /// Appends events to one stream if its head is `expected_version`, with one outbox row per
    /// event that has a subject and the command row, all in one transaction.
    fn append(&mut self, request: AppendRequest) -> Result<Vec<StoredEvent>, StoreError>;

    /// Records the JetStream sequence of an acknowledged event (outbox row and event row); a
    /// command whose events are all published becomes [`CommandStatus::Published`].
    fn mark_published(&mut self, event_id: Uuid, stream_seq: u64) -> Result<(), StoreError>;

    /// Counts a failed publish attempt.
    fn record_outbox_failure(&mut self, event_id: Uuid, error: &str) -> Result<(), StoreError>;

    /// Records an inbox row unless one exists: `true` if it was new.
    fn inbox_record(&mut self, record: &InboxRecord) -> Result<bool, StoreError>;

    /// Sets a checkpoint.
    fn set_checkpoint(&mut self, name: &str, position: u64) -> Result<(), StoreError>;

    /// Stores a snapshot, replacing an older one of the same stream.
    fn put_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError>;

    /// Marks the stream's unpublished events superseded (a rebase): they stay stored but are no
    /// longer loaded or relayed; their outbox rows go, snapshots covering them are dropped.
    /// Returns their ids in version order.
    fn supersede_pending(
        &mut self,
        stream_type: &str,
        stream_id: &str,
    ) -> Result<Vec<Uuid>, StoreError>;

    /// Sets a command's status.
    fn set_command_status(&mut self, id: Uuid, status: CommandStatus) -> Result<(), StoreError>;

    /// Records a conflict; returns its id.
    fn record_conflict(&mut self, conflict: &NewConflict) -> Result<u64, StoreError>;

    /// Deletes published outbox rows published before `published_before` (Unix ms).
    fn prune_outbox(&mut self, published_before: i64) -> Result<usize, StoreError>;

    /// Deletes applied and echo inbox rows with `stream_seq < before_seq` (parked rows stay).
    fn prune_inbox(&mut self, before_seq: u64) -> Result<usize, StoreError>;
}
