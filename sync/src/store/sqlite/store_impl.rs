//! [`EventStore`] for [`SqliteStore`]: each mutation is one transaction over [`super::write`].

use super::{write, SqliteStore};
use crate::store::error::StoreError;
use crate::store::now_ms;
use crate::store::records::{CommandStatus, InboxRecord, NewConflict, Snapshot};
use crate::store::traits::EventStore;
use crate::store::types::{AppendRequest, Durability, StoredEvent};
use uuid::Uuid;

impl EventStore for SqliteStore {
    fn append(&mut self, request: AppendRequest) -> Result<Vec<StoredEvent>, StoreError> {
        self.append_with(request, |_, _| Ok(()))
    }

    fn mark_published(&mut self, event_id: Uuid, stream_seq: u64) -> Result<(), StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::mark_published(tx, event_id, stream_seq, now_ms())
        })
    }

    fn record_outbox_failure(&mut self, event_id: Uuid, error: &str) -> Result<(), StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::record_outbox_failure(tx, event_id, error)
        })
    }

    fn inbox_record(&mut self, record: &InboxRecord) -> Result<bool, StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::inbox_record(tx, record, now_ms())
        })
    }

    fn set_checkpoint(&mut self, name: &str, position: u64) -> Result<(), StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::set_checkpoint(tx, name, position, now_ms())
        })
    }

    fn put_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::put_snapshot(tx, snapshot, now_ms())
        })
    }

    fn supersede_pending(
        &mut self,
        stream_type: &str,
        stream_id: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::supersede_pending(tx, stream_type, stream_id)
        })
    }

    fn set_command_status(&mut self, id: Uuid, status: CommandStatus) -> Result<(), StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::set_command_status(tx, id, status)
        })
    }

    fn record_conflict(&mut self, conflict: &NewConflict) -> Result<u64, StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::record_conflict(tx, conflict, now_ms())
        })
    }

    fn prune_outbox(&mut self, published_before: i64) -> Result<usize, StoreError> {
        self.transaction(Durability::Normal, |tx| {
            write::prune_outbox(tx, published_before)
        })
    }

    fn prune_inbox(&mut self, before_seq: u64) -> Result<usize, StoreError> {
        self.transaction(Durability::Normal, |tx| write::prune_inbox(tx, before_seq))
    }
}
