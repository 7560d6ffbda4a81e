//! The store's error type: one enum with specific variants and stable, machine-readable codes.
//!
//! Optimistic-concurrency conflicts are an explicit variant ([`StoreError::Concurrency`]) so the
//! use-case layer can retry or rebase on it without parsing messages.

use mallbots_domain::ErrorCode;
use uuid::Uuid;

/// Everything that can go wrong in the event store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream's head moved since the caller loaded it.
    #[error("concurrent modification of {stream}: expected version {expected}, found {actual}")]
    Concurrency {
        /// `stream_type/stream_id`.
        stream: String,
        /// The version the caller decided against.
        expected: u64,
        /// The version actually stored.
        actual: u64,
    },
    /// An event with this id is already stored.
    #[error("event {event_id} is already stored")]
    DuplicateEvent {
        /// The duplicated event id.
        event_id: Uuid,
    },
    /// More events in one append than a transaction may hold (docs/architecture.md §4: ≤ 256 rows).
    #[error("{len} events in one append, at most {max} allowed")]
    BatchTooLarge {
        /// Events requested.
        len: usize,
        /// The limit, [`crate::store::MAX_APPEND_EVENTS`].
        max: usize,
    },
    /// A command with this id is already stored.
    #[error("command {command_id} is already stored")]
    DuplicateCommand {
        /// The duplicated command id.
        command_id: Uuid,
    },
    /// No outbox row exists for this event (never queued, or already pruned).
    #[error("event {event_id} has no outbox row")]
    NotInOutbox {
        /// The event id looked up.
        event_id: Uuid,
    },
    /// No command with this id is stored.
    #[error("command {command_id} is not stored")]
    UnknownCommand {
        /// The command id looked up.
        command_id: Uuid,
    },
    /// An event's schema version is newer than this build knows: park it until an upgrade.
    #[error("{event_type} schema version {schema_version} is newer than the known {known}")]
    SchemaTooNew {
        /// The event type.
        event_type: String,
        /// The version found.
        schema_version: u32,
        /// The newest version this build knows.
        known: u32,
    },
    /// An upcaster failed to convert an old payload.
    #[error("upcasting {event_type} v{schema_version} failed: {message}")]
    Upcast {
        /// The event type.
        event_type: String,
        /// The version the failing upcaster starts from.
        schema_version: u32,
        /// What the upcaster reported.
        message: String,
    },
    /// A shipped migration's SQL no longer matches what was applied.
    #[error("migration {set}#{version} changed after it was applied")]
    MigrationChanged {
        /// The migration set.
        set: String,
        /// The migration number.
        version: u32,
    },
    /// Migrations are not numbered 1, 2, 3... within a set, or the database is from a newer build.
    #[error("migration set {set} is invalid: {reason}")]
    MigrationInvalid {
        /// The migration set.
        set: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A stored value could not be decoded (corrupt id, unknown status...).
    #[error("invalid stored data: {0}")]
    InvalidData(String),
    /// JSON encoding or decoding failed.
    #[error("codec error ({context}): {source}")]
    Codec {
        /// What was being encoded or decoded.
        context: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A projection hook refused the change; the whole transaction was rolled back.
    #[error("projection failed [{code}]: {message}")]
    Projection {
        /// The hook's machine-readable code.
        code: &'static str,
        /// A human-readable message.
        message: String,
    },
    /// The database's directory could not be created, or the writer thread not spawned.
    #[error("i/o error ({context}): {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The operation needs a file-backed database (e.g. opening a read-only connection).
    #[error("the store is in memory: {0}")]
    InMemory(&'static str),
    /// A closure sent to the writer thread panicked (its transaction was rolled back; the
    /// thread keeps serving).
    #[error("a store writer job panicked: {0}")]
    WriterPanicked(String),
    /// The writer thread has stopped; no more work can be sent to it.
    #[error("the store writer is closed")]
    Closed,
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// A codec error with context.
    pub fn codec(context: impl Into<String>, source: serde_json::Error) -> Self {
        StoreError::Codec {
            context: context.into(),
            source,
        }
    }

    /// True for the optimistic-concurrency conflict.
    pub fn is_concurrency(&self) -> bool {
        matches!(self, StoreError::Concurrency { .. })
    }
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Concurrency { .. } => "store.concurrency",
            StoreError::DuplicateEvent { .. } => "store.duplicate_event",
            StoreError::BatchTooLarge { .. } => "store.batch_too_large",
            StoreError::DuplicateCommand { .. } => "store.duplicate_command",
            StoreError::NotInOutbox { .. } => "store.not_in_outbox",
            StoreError::UnknownCommand { .. } => "store.unknown_command",
            StoreError::SchemaTooNew { .. } => "store.schema_too_new",
            StoreError::Upcast { .. } => "store.upcast_failed",
            StoreError::MigrationChanged { .. } => "store.migration_changed",
            StoreError::MigrationInvalid { .. } => "store.migration_invalid",
            StoreError::InvalidData(_) => "store.invalid_data",
            StoreError::Codec { .. } => "store.codec",
            StoreError::Projection { code, .. } => code,
            StoreError::Io { .. } => "store.io",
            StoreError::InMemory(_) => "store.in_memory",
            StoreError::WriterPanicked(_) => "store.writer_panicked",
            StoreError::Closed => "store.closed",
            StoreError::Sqlite(_) => "store.sqlite",
        }
    }
}
