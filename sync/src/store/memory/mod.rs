//! [`MemoryStore`]: the same contract in plain collections, for fast tests of code built on
//! [`super::EventStore`]. Every method is atomic because it validates before it mutates.

mod write;

use crate::store::error::StoreError;
use crate::store::records::{
    CommandStatus, Conflict, InboxRow, InboxStatus, OutboxEntry, Snapshot, StoredCommand,
};
use crate::store::traits::EventReader;
use crate::store::types::StoredEvent;
use crate::store::upcast::Upcasters;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Debug, Clone)]
struct OutboxMeta {
    subject: String,
    attempts: u32,
    last_error: Option<String>,
    published_seq: Option<u64>,
    published_at: Option<i64>,
    created_at: i64,
}

type StreamKey = (String, String);

fn key(stream_type: &str, stream_id: &str) -> StreamKey {
    (stream_type.to_owned(), stream_id.to_owned())
}

/// An in-memory event store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// Index `global_pos - 1`.
    events: Vec<StoredEvent>,
    by_id: HashMap<Uuid, usize>,
    heads: HashMap<StreamKey, u64>,
    /// Keyed by global position, so iteration is log order.
    outbox: BTreeMap<u64, OutboxMeta>,
    inbox: HashMap<Uuid, InboxRow>,
    checkpoints: HashMap<String, u64>,
    snapshots: HashMap<StreamKey, Snapshot>,
    commands: Vec<StoredCommand>,
    conflicts: Vec<Conflict>,
    upcasters: Upcasters,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs the upcaster registry applied on load.
    pub fn with_upcasters(mut self, upcasters: Upcasters) -> Self {
        self.upcasters = upcasters;
        self
    }

    fn outbox_entry_at(&self, pos: u64, meta: &OutboxMeta) -> OutboxEntry {
        OutboxEntry {
            event: self.events[pos as usize - 1].clone(),
            payload_json: self.events[pos as usize - 1].payload.to_string(),
            subject: meta.subject.clone(),
            attempts: meta.attempts,
            last_error: meta.last_error.clone(),
            published_seq: meta.published_seq,
            created_at: meta.created_at,
        }
    }

    fn pos_of(&self, event_id: Uuid) -> Option<u64> {
        self.by_id.get(&event_id).map(|i| *i as u64 + 1)
    }
}

impl EventReader for MemoryStore {
    fn upcasters(&self) -> &Upcasters {
        &self.upcasters
    }

    fn stream_version(&self, stream_type: &str, stream_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .heads
            .get(&key(stream_type, stream_id))
            .copied()
            .unwrap_or(0))
    }

    fn load_stream(
        &self,
        stream_type: &str,
        stream_id: &str,
        from_version: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.events
            .iter()
            .filter(|e| e.stream_type == stream_type && e.stream_id == stream_id)
            .filter(|e| e.version >= from_version && !e.superseded)
            .map(|e| self.upcasters.upcast_event(e.clone()))
            .collect()
    }

    fn read_all(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.events
            .iter()
            .skip(after as usize)
            .filter(|e| !e.superseded)
            .take(limit)
            .map(|e| self.upcasters.upcast_event(e.clone()))
            .collect()
    }

    fn event(&self, event_id: Uuid) -> Result<Option<StoredEvent>, StoreError> {
        Ok(self.by_id.get(&event_id).map(|i| self.events[*i].clone()))
    }

    fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        Ok(self
            .outbox
            .iter()
            .filter(|(_, m)| m.published_seq.is_none())
            .take(limit)
            .map(|(pos, m)| self.outbox_entry_at(*pos, m))
            .collect())
    }

    fn pending_outbox_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .outbox
            .values()
            .filter(|m| m.published_seq.is_none())
            .count() as u64)
    }

    fn outbox_entry(&self, event_id: Uuid) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self
            .pos_of(event_id)
            .and_then(|pos| self.outbox.get(&pos).map(|m| self.outbox_entry_at(pos, m))))
    }

    fn inbox_entry(&self, event_id: Uuid) -> Result<Option<InboxRow>, StoreError> {
        Ok(self.inbox.get(&event_id).cloned())
    }

    fn parked_inbox(&self) -> Result<Vec<InboxRow>, StoreError> {
        let mut rows: Vec<InboxRow> = self
            .inbox
            .values()
            .filter(|r| r.record.status == InboxStatus::Parked)
            .cloned()
            .collect();
        rows.sort_by_key(|r| r.record.stream_seq);
        Ok(rows)
    }

    fn checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.checkpoints.get(name).copied())
    }

    fn snapshot(&self, stream_type: &str, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.snapshots.get(&key(stream_type, stream_id)).cloned())
    }

    fn pending_commands(
        &self,
        stream_type: &str,
        stream_id: &str,
    ) -> Result<Vec<StoredCommand>, StoreError> {
        Ok(self
            .commands
            .iter()
            .filter(|c| c.stream_type == stream_type && c.stream_id == stream_id)
            .filter(|c| c.status == CommandStatus::Pending)
            .cloned()
            .collect())
    }

    fn command(&self, id: Uuid) -> Result<Option<StoredCommand>, StoreError> {
        Ok(self.commands.iter().find(|c| c.id == id).cloned())
    }

    fn conflicts(&self, limit: usize) -> Result<Vec<Conflict>, StoreError> {
        Ok(self.conflicts.iter().rev().take(limit).cloned().collect())
    }
}
