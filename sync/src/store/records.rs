//! Value types of the store's side tables: outbox, inbox, commands, snapshots, conflicts.

use super::error::StoreError;
use super::types::StoredEvent;
use serde_json::Value;
use uuid::Uuid;

/// An outbox row joined with its event, as the relay needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// The event, payload exactly as written (never upcast for publishing). For the relay's own
    /// read ([`crate::store::sqlite::read::pending_outbox_from`]) the payload is not parsed
    /// (`Value::Null`): the relay publishes [`OutboxEntry::payload_json`] as it is.
    pub event: StoredEvent,
    /// The payload's JSON text as stored: what goes on the wire, byte for byte.
    pub payload_json: String,
    /// The NATS subject to publish to.
    pub subject: String,
    /// Failed publish attempts so far.
    pub attempts: u32,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// JetStream sequence once acknowledged.
    pub published_seq: Option<u64>,
    /// When the row was queued, Unix milliseconds.
    pub created_at: i64,
}

/// How an inbox row was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxStatus {
    /// Applied to the local store / read models.
    Applied,
    /// The edge's own event echoed back: only its sequence is recorded.
    Echo,
    /// Unknown type or newer schema: kept raw until an upgrade can apply it.
    Parked,
}

impl InboxStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            InboxStatus::Applied => "applied",
            InboxStatus::Echo => "echo",
            InboxStatus::Parked => "parked",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "applied" => Ok(InboxStatus::Applied),
            "echo" => Ok(InboxStatus::Echo),
            "parked" => Ok(InboxStatus::Parked),
            other => Err(StoreError::InvalidData(format!("inbox status {other:?}"))),
        }
    }
}

/// An incoming message to record in the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRecord {
    /// The event id (the message's `Nats-Msg-Id`).
    pub event_id: Uuid,
    /// The JetStream stream sequence it arrived with.
    pub stream_seq: u64,
    /// The subject it arrived on.
    pub subject: String,
    /// How it is being handled.
    pub status: InboxStatus,
    /// The raw message, kept for parked rows.
    pub raw: Option<String>,
}

/// A stored inbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    /// What was recorded.
    pub record: InboxRecord,
    /// When it was recorded, Unix milliseconds.
    pub received_at: i64,
}

/// Result of [`crate::store::SqliteStore::inbox_apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxOutcome {
    /// First delivery (or a parked row now applied): the projection ran and was committed.
    Applied,
    /// Seen before: nothing ran.
    AlreadyApplied,
}

/// A command's life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandStatus {
    /// Some of its events are not acknowledged yet; a rebase may re-run it.
    Pending,
    /// All of its events are acknowledged.
    Published,
    /// Re-run after a rebase and no longer valid.
    Rejected,
}

impl CommandStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Pending => "pending",
            CommandStatus::Published => "published",
            CommandStatus::Rejected => "rejected",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(CommandStatus::Pending),
            "published" => Ok(CommandStatus::Published),
            "rejected" => Ok(CommandStatus::Rejected),
            other => Err(StoreError::InvalidData(format!("command status {other:?}"))),
        }
    }
}

/// A stored command.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCommand {
    /// The command id.
    pub id: Uuid,
    /// Aggregate type.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
    /// The serialized command.
    pub payload: Value,
    /// The stream sequence the decision was based on.
    pub base_seq: Option<u64>,
    /// Its status.
    pub status: CommandStatus,
    /// When it was recorded, Unix milliseconds.
    pub created_at: i64,
}

/// An aggregate's folded state at a version.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Aggregate type.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
    /// The last version folded into `state`.
    pub version: u64,
    /// The serialized state.
    pub state: Value,
}

/// A sync conflict to show the user.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConflict {
    /// Aggregate type.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
    /// Machine-readable reason, e.g. `"product.removed"`.
    pub code: String,
    /// Human-readable text.
    pub message: String,
}

/// A recorded conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// Row id, increasing.
    pub id: u64,
    /// What was recorded.
    pub conflict: NewConflict,
    /// When, Unix milliseconds.
    pub at: i64,
}
