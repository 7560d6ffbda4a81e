//! [`EventStore`] for [`MemoryStore`]: validate first, then mutate, so each call is atomic.

use super::{key, MemoryStore, OutboxMeta};
use crate::store::error::StoreError;
use crate::store::now_ms;
use crate::store::records::{
    CommandStatus, Conflict, InboxRecord, InboxRow, InboxStatus, NewConflict, Snapshot,
    StoredCommand,
};
use crate::store::traits::{EventReader, EventStore};
use crate::store::types::{AppendRequest, EventMetadata, StoredEvent};
use std::collections::HashSet;
use uuid::Uuid;

impl EventStore for MemoryStore {
    fn append(&mut self, request: AppendRequest) -> Result<Vec<StoredEvent>, StoreError> {
        crate::store::check_batch(request.events.len())?;
        let actual = self.stream_version(&request.stream_type, &request.stream_id)?;
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
        let mut seen = HashSet::new();
        for event in &request.events {
            if self.by_id.contains_key(&event.event_id) || !seen.insert(event.event_id) {
                return Err(StoreError::DuplicateEvent {
                    event_id: event.event_id,
                });
            }
        }
        if let Some(command) = &request.command {
            if self.commands.iter().any(|c| c.id == command.id) {
                return Err(StoreError::DuplicateCommand {
                    command_id: command.id,
                });
            }
        }
        let now = now_ms();
        let command_id = request.command.as_ref().map(|c| c.id);
        if let Some(command) = &request.command {
            self.commands.push(StoredCommand {
                id: command.id,
                stream_type: request.stream_type.clone(),
                stream_id: request.stream_id.clone(),
                payload: command.payload.clone(),
                base_seq: command.base_seq,
                status: CommandStatus::Pending,
                created_at: now,
            });
        }
        let mut stored = Vec::with_capacity(request.events.len());
        for (index, event) in request.events.into_iter().enumerate() {
            let global_pos = self.events.len() as u64 + 1;
            let stored_event = StoredEvent {
                global_pos,
                stream_type: request.stream_type.clone(),
                stream_id: request.stream_id.clone(),
                version: request.expected_version + 1 + index as u64,
                event_id: event.event_id,
                event_type: event.event_type,
                schema_version: event.schema_version,
                payload: event.payload,
                metadata: EventMetadata {
                    schema_version: event.schema_version,
                    ..event.metadata
                },
                occurred_at: event.occurred_at,
                stream_seq: None,
                superseded: false,
                command_id,
            };
            if let Some(subject) = event.subject {
                self.outbox.insert(
                    global_pos,
                    OutboxMeta {
                        subject,
                        attempts: 0,
                        last_error: None,
                        published_seq: None,
                        published_at: None,
                        created_at: now,
                    },
                );
            }
            self.by_id.insert(event.event_id, self.events.len());
            self.events.push(stored_event.clone());
            stored.push(stored_event);
        }
        let head = stored.last().map(|e| e.version).unwrap_or(actual);
        self.heads
            .insert(key(&request.stream_type, &request.stream_id), head);
        Ok(stored)
    }

    fn mark_published(&mut self, event_id: Uuid, stream_seq: u64) -> Result<(), StoreError> {
        let pos = self
            .pos_of(event_id)
            .filter(|pos| self.outbox.contains_key(pos))
            .ok_or(StoreError::NotInOutbox { event_id })?;
        let meta = self.outbox.get_mut(&pos).expect("checked above");
        meta.published_seq = Some(stream_seq);
        meta.published_at = Some(now_ms());
        meta.last_error = None;
        let event = &mut self.events[pos as usize - 1];
        event.stream_seq = Some(stream_seq);
        let Some(command_id) = event.command_id else {
            return Ok(());
        };
        let all_published = self.events.iter().enumerate().all(|(i, e)| {
            e.command_id != Some(command_id)
                || e.superseded
                || self
                    .outbox
                    .get(&(i as u64 + 1))
                    .is_none_or(|m| m.published_seq.is_some())
        });
        if let Some(command) = self.commands.iter_mut().find(|c| c.id == command_id) {
            if all_published && command.status == CommandStatus::Pending {
                command.status = CommandStatus::Published;
            }
        }
        Ok(())
    }

    fn record_outbox_failure(&mut self, event_id: Uuid, error: &str) -> Result<(), StoreError> {
        let pos = self
            .pos_of(event_id)
            .ok_or(StoreError::NotInOutbox { event_id })?;
        let meta = self
            .outbox
            .get_mut(&pos)
            .ok_or(StoreError::NotInOutbox { event_id })?;
        meta.attempts += 1;
        meta.last_error = Some(error.to_owned());
        Ok(())
    }

    fn inbox_record(&mut self, record: &InboxRecord) -> Result<bool, StoreError> {
        if self.inbox.contains_key(&record.event_id) {
            return Ok(false);
        }
        let row = InboxRow {
            record: record.clone(),
            received_at: now_ms(),
        };
        self.inbox.insert(record.event_id, row);
        Ok(true)
    }

    fn set_checkpoint(&mut self, name: &str, position: u64) -> Result<(), StoreError> {
        self.checkpoints.insert(name.to_owned(), position);
        Ok(())
    }

    fn put_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let k = key(&snapshot.stream_type, &snapshot.stream_id);
        self.snapshots.insert(k, snapshot.clone());
        Ok(())
    }

    fn supersede_pending(
        &mut self,
        stream_type: &str,
        stream_id: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut ids = Vec::new();
        let mut first_version = None;
        for (index, event) in self.events.iter_mut().enumerate() {
            let pos = index as u64 + 1;
            let pending = self
                .outbox
                .get(&pos)
                .is_some_and(|m| m.published_seq.is_none());
            if event.stream_type == stream_type
                && event.stream_id == stream_id
                && !event.superseded
                && pending
            {
                event.superseded = true;
                self.outbox.remove(&pos);
                first_version.get_or_insert(event.version);
                ids.push(event.event_id);
            }
        }
        let k = key(stream_type, stream_id);
        if let (Some(first), Some(snapshot)) = (first_version, self.snapshots.get(&k)) {
            if snapshot.version >= first {
                self.snapshots.remove(&k);
            }
        }
        Ok(ids)
    }

    fn set_command_status(&mut self, id: Uuid, status: CommandStatus) -> Result<(), StoreError> {
        let command = self
            .commands
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or(StoreError::UnknownCommand { command_id: id })?;
        command.status = status;
        Ok(())
    }

    fn record_conflict(&mut self, conflict: &NewConflict) -> Result<u64, StoreError> {
        let id = self.conflicts.len() as u64 + 1;
        self.conflicts.push(Conflict {
            id,
            conflict: conflict.clone(),
            at: now_ms(),
        });
        Ok(id)
    }

    fn prune_outbox(&mut self, published_before: i64) -> Result<usize, StoreError> {
        let before = self.outbox.len();
        self.outbox
            .retain(|_, m| m.published_at.is_none_or(|at| at >= published_before));
        Ok(before - self.outbox.len())
    }

    fn prune_inbox(&mut self, before_seq: u64) -> Result<usize, StoreError> {
        let before = self.inbox.len();
        self.inbox.retain(|_, r| {
            r.record.status == InboxStatus::Parked || r.record.stream_seq >= before_seq
        });
        Ok(before - self.inbox.len())
    }
}
