//! Event-side value types: what goes into an append and what comes back out of a load.
//!
//! The store is generic over serialized events: a payload is a `serde_json::Value` and an event
//! type is a string. Typed helpers over [`mallbots_domain::Aggregate`] live in [`super::typed`].

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Metadata stored beside every event (the `metadata` JSON column).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// The id shared by everything one user action caused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    /// The command or event that directly caused this event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// The device that wrote the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The signed-in user, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The schema version the payload was WRITTEN with (set by the store on append; upcasting on
    /// load changes [`StoredEvent::schema_version`], never this).
    #[serde(default)]
    pub schema_version: u32,
}

/// One event to append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// Globally unique; becomes the NATS `Nats-Msg-Id`.
    pub event_id: Uuid,
    /// Stable type name, e.g. `"BasketItemAdded"`.
    pub event_type: String,
    /// Version of the payload's schema.
    pub schema_version: u32,
    /// The serialized event.
    pub payload: Value,
    /// Correlation, causation, device, user.
    pub metadata: EventMetadata,
    /// When it happened, Unix milliseconds (supplied by the caller).
    pub occurred_at: i64,
    /// The NATS subject to relay it to; `None` keeps the event local (no outbox row).
    pub subject: Option<String>,
}

/// One stored event, every column of the `events` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Position in the local log (the SQLite rowid), strictly increasing.
    pub global_pos: u64,
    /// Aggregate type, e.g. `"basket"`.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
    /// 1-based, contiguous per stream (superseded events keep their version).
    pub version: u64,
    /// The event id.
    pub event_id: Uuid,
    /// Stable type name.
    pub event_type: String,
    /// Schema version of `payload` as returned (after upcasting on load paths).
    pub schema_version: u32,
    /// The event payload.
    pub payload: Value,
    /// The stored metadata (its `schema_version` is the version as written).
    pub metadata: EventMetadata,
    /// When it happened, Unix milliseconds.
    pub occurred_at: i64,
    /// JetStream stream sequence once published (or received); `None` while pending or local.
    pub stream_seq: Option<u64>,
    /// Retracted by a rebase: kept, never folded.
    pub superseded: bool,
    /// The command whose decision produced it, if recorded.
    pub command_id: Option<Uuid>,
}

impl StoredEvent {
    /// `stream_type/stream_id`.
    pub fn stream_name(&self) -> String {
        stream_name(&self.stream_type, &self.stream_id)
    }
}

/// `stream_type/stream_id`, the form used in errors and logs.
pub fn stream_name(stream_type: &str, stream_id: &str) -> String {
    format!("{stream_type}/{stream_id}")
}

/// How hard a commit must hit the disk (`PRAGMA synchronous` for that transaction).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=NORMAL`: survives an application crash (WAL).
    #[default]
    Normal,
    /// `synchronous=FULL`: survives power loss (checkout).
    Full,
}

impl Durability {
    /// The `PRAGMA synchronous` value.
    pub fn pragma_value(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

/// The command a batch of events was decided from, stored in the same transaction so a rebase
/// can re-run it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRecord {
    /// The command id (also the payment gateway's idempotency key where relevant).
    pub id: Uuid,
    /// The serialized command.
    pub payload: Value,
    /// The stream sequence the decision was based on, if the stream was ever synced.
    pub base_seq: Option<u64>,
}

/// One atomic append to one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendRequest {
    /// Aggregate type.
    pub stream_type: String,
    /// Aggregate id.
    pub stream_id: String,
    /// The version decided against; 0 = a new stream.
    pub expected_version: u64,
    /// Events, in order; versions `expected_version + 1 ..` are assigned.
    pub events: Vec<NewEvent>,
    /// The command to record beside them.
    pub command: Option<CommandRecord>,
    /// Commit durability.
    pub durability: Durability,
}

impl AppendRequest {
    /// A request with no command and `Durability::Normal`.
    pub fn new(
        stream_type: impl Into<String>,
        stream_id: impl Into<String>,
        expected_version: u64,
        events: Vec<NewEvent>,
    ) -> Self {
        Self {
            stream_type: stream_type.into(),
            stream_id: stream_id.into(),
            expected_version,
            events,
            command: None,
            durability: Durability::Normal,
        }
    }

    /// Records this command beside the events.
    pub fn with_command(mut self, command: CommandRecord) -> Self {
        self.command = Some(command);
        self
    }

    /// Sets the commit durability.
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// `stream_type/stream_id`.
    pub fn stream_name(&self) -> String {
        stream_name(&self.stream_type, &self.stream_id)
    }
}
