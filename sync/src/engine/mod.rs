//! The sync engine (docs/architecture.md §6): the outbox relay to JetStream, conflict and lost-ack recovery
//! with a server-authoritative rebase, the device's durable consumers applied through the
//! inbox, reconnect with backoff and the status query.
//!
//! The decisions are pure ([`plan`], tested as a case table); the I/O around them:
//! [`relay`] (pipelined publishes, group-committed acks), [`recover`] (read a subject back),
//! [`inbox`] (pull consumers), [`local`] (the writer-thread transactions), [`prune`]
//! (outbox and inbox rows deleted once safe) and [`runner`]
//! ([`SyncEngine`]: `sync once` or a background task). The edge plugs in its domain through
//! [`InboxApplier`] and [`Rebaser`]. rusqlite only ever runs on the store's writer thread.
//!
//! ```no_run
//! use std::sync::Arc;
//! use mallbots_sync::engine::*;
//! use mallbots_sync::store::{SqliteStore, StoreWriter};
//! # async fn demo() -> Result<(), SyncError> {
//! let writer = StoreWriter::spawn(SqliteStore::open("edge.db", &[])?)?;
//! let config = SyncConfig::new("k1", &DeviceRole::Kiosk, "mallbots", "EVENTS");
//! let engine = SyncEngine::new(writer, config, Arc::new(RecordOnly), Arc::new(RetractPending))?;
//! let link = engine.connect(&NatsTarget::new("nats://127.0.0.1:4222")).await?;
//! let report = engine.sync_once(&link).await?;
//! println!("{} published", report.relay.published);
//! # Ok(()) }
//! ```

pub mod config;
pub use mallbots_wire::credentials;
pub mod envelope;
pub mod error;
pub mod hooks;
pub mod in_order;
pub mod inbox;
pub mod link;
pub mod local;
pub mod plan;
pub mod prune;
pub mod recover;
pub mod relay;
pub mod runner;
pub mod status;

pub use config::{
    device_consumers, device_permissions, Backoff, DeviceConsumer, DevicePermissions, DeviceRole,
    SyncConfig,
};
pub use credentials::{redact_url, DeviceCredentials};
pub use envelope::{outgoing_headers, outgoing_headers_after, DecodeError, IncomingEvent};
pub use error::SyncError;
pub use hooks::{InboxApplier, RebaseOutcome, RebaseRequest, Rebaser, RecordOnly, RetractPending};
pub use inbox::{consumer_config, InboxReport, DEVICE_MAX_DELIVER};
pub use link::{Link, NatsTarget};
pub use plan::{
    plan, plan_subject, Operation, PublishOutcome, ReadBack, RemoteMessage, StreamKey, SubjectView,
};
pub use prune::PruneReport;
pub use relay::RelayReport;
pub use runner::{SyncEngine, SyncHandle, SyncReport};
pub use status::{sync_status, ConflictView, QuarantinedRow, SyncProblem, SyncStatus};

use crate::store::StoreWriter;
use std::sync::Arc;

/// What every part of the engine shares.
pub(crate) struct Shared {
    pub(crate) writer: StoreWriter,
    pub(crate) config: SyncConfig,
    pub(crate) applier: Arc<dyn InboxApplier>,
    pub(crate) rebaser: Arc<dyn Rebaser>,
    /// The relay's cursor: every outbox row before this log position is published (0 until
    /// the first pass; only ever moves forward, since new rows get higher positions).
    pub(crate) relay_from: std::sync::atomic::AtomicU64,
    /// The connection state last recorded (`state`, problem code), so it is written and
    /// logged once per change.
    pub(crate) last_state: std::sync::Mutex<Option<(String, Option<String>)>>,
}
