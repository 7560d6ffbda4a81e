//! The edge's event store: events, outbox, commands, inbox, checkpoints, snapshots and
//! conflicts in one SQLite file (docs/architecture.md §4).
//!
//! Generic over serialized events: payloads are JSON values and event types are strings; the
//! typed helpers in [`typed`] bridge to [`mallbots_domain::Aggregate`]. The contract is
//! [`EventReader`] + [`EventStore`], implemented by [`SqliteStore`] (production) and
//! [`MemoryStore`] (tests). In the app, the one [`SqliteStore`] lives on the writer thread behind
//! a [`StoreWriter`]; queries use [`StoreReader`]s.
//!
//! What it is not: the relay, the inbox consumer or the sync engine; they use this module.
//!
//! ```
//! use mallbots_sync::store::*;
//! use serde_json::json;
//!
//! # fn main() -> Result<(), StoreError> {
//! # let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(dir.path().join("edge.db"), &[])?;
//! let reader = store.reader()?;
//! let writer = StoreWriter::spawn(store)?;
//! let event = NewEvent {
//!     event_id: uuid::Uuid::now_v7(),
//!     event_type: "BasketStarted".into(),
//!     schema_version: 1,
//!     payload: json!({"type": "BasketStarted"}),
//!     metadata: EventMetadata::default(),
//!     occurred_at: 1_700_000_000_000,
//!     subject: Some("mallbots.ev.kiosk.k1.basket.b1".into()),
//! };
//! let request = AppendRequest::new("basket", "b1", 0, vec![event]);
//! let stored = writer.call(move |s| s.append(request))?;
//! assert_eq!(stored[0].version, 1);
//! assert_eq!(reader.pending_outbox(10)?.len(), 1);
//! # Ok(())
//! # }
//! ```

pub mod checkpoint;
pub mod error;
pub mod memory;
pub mod migrations;
pub mod records;
pub mod sqlite;
pub mod traits;
pub mod typed;
pub mod types;
pub mod upcast;
pub mod writer;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use migrations::{Migration, STORE_MIGRATIONS};
pub use records::{
    CommandStatus, Conflict, InboxOutcome, InboxRecord, InboxRow, InboxStatus, NewConflict,
    OutboxEntry, Snapshot, StoredCommand,
};
pub use sqlite::{RawEvent, SqliteStore, StoreOptions, StoreReader};
pub use traits::{EventReader, EventStore};
pub use typed::{
    append_events, decode_event, encode_event, encode_events, load_aggregate, replay_aggregate,
    snapshot_if_due, Appended, EventContext, Loaded, SnapshotPolicy,
};
pub use types::{
    stream_name, AppendRequest, CommandRecord, Durability, EventMetadata, NewEvent, StoredEvent,
};
pub use upcast::{Compatibility, Upcasters};
pub use writer::StoreWriter;

/// The most events one append may carry: transactions stay small (events + outbox rows ≤ 256
/// rows each); larger imports are split by the caller.
pub const MAX_APPEND_EVENTS: usize = 128;

/// Fails with [`StoreError::BatchTooLarge`] above [`MAX_APPEND_EVENTS`].
pub(crate) fn check_batch(len: usize) -> Result<(), StoreError> {
    if len > MAX_APPEND_EVENTS {
        return Err(StoreError::BatchTooLarge {
            len,
            max: MAX_APPEND_EVENTS,
        });
    }
    Ok(())
}

/// Wall-clock Unix milliseconds, for the store's own bookkeeping columns (`created_at`,
/// `received_at`, `published_at`); event times always come from the caller.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
