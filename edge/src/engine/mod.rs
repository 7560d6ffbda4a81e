//! [`Edge`]: one open edge database: the writer thread (the only read-write connection), a
//! read-only connection for queries, the configuration, the clock, the aggregate cache and the
//! background WAL checkpoint ([`mallbots_sync::store::checkpoint`]).
//!
//! Use cases live in [`crate::kiosk`] and [`crate::manager`], queries in [`crate::queries`];
//! all are methods on [`Edge`].

pub mod cache;
pub mod execute;
pub mod lock;

use crate::config::{Clock, EdgeConfig, SystemClock};
use crate::device::{self, DeviceIdentity};
use crate::error::EdgeError;
use crate::projections;
use crate::subjects::Subjects;
use cache::AggregateCache;
use execute::Target;
use lock::WriterLock;
use mallbots_domain::{Aggregate, DomainError, Timestamp};
use mallbots_sync::store::checkpoint::Checkpointer;
use mallbots_sync::store::{Durability, EventMetadata, SqliteStore, StoreReader, StoreWriter};
use rusqlite::config::DbConfig;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use uuid::Uuid;

/// One open edge database. `Send + Sync`: share it (e.g. as Tauri state) behind an `Arc`.
#[derive(Debug)]
pub struct Edge {
    writer: StoreWriter,
    cache: Arc<Mutex<AggregateCache>>,
    reader: Mutex<StoreReader>,
    config: EdgeConfig,
    subjects: Subjects,
    clock: Arc<dyn Clock>,
    path: PathBuf,
    /// The device stored with the database (`device init`), if any.
    pub(crate) identity: RwLock<Option<DeviceIdentity>>,
    /// The signed-in user stamped into metadata (starts as `config.user`).
    pub(crate) user: RwLock<Option<String>>,
    _checkpointer: Option<Checkpointer>,
    /// The cross-process writer lock; `None` = opened read-only.
    writer_lock: Option<WriterLock>,
}

/// How [`Edge`] opens its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The one writer: takes the database's writer lock (`edge.database_in_use` if another
    /// process holds it), abandons idle carts at open, runs the WAL checkpointer.
    Write,
    /// Queries only, while another process may write: no lock; every command is refused with
    /// `edge.read_only`.
    ReadOnly,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn read_lock<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn write_lock<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Edge {
    /// Opens (creating if needed) the database at `path` as its one writer, runs the store's,
    /// the read models' and the device identity's migrations, starts the writer thread and
    /// abandons carts left idle (see [`Access::Write`]). Uses the system clock.
    ///
    /// A database with a stored device identity must be opened with its device id and subject
    /// root (`device.mismatch`); its role replaces `config.role`.
    pub fn open(path: impl AsRef<Path>, config: EdgeConfig) -> Result<Self, EdgeError> {
        Self::open_with_clock(path, config, Arc::new(SystemClock))
    }

    /// [`Edge::open`] with an injected clock (tests).
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        config: EdgeConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EdgeError> {
        Self::open_with_access(path, config, clock, Access::Write)
    }

    /// Opens for queries only, while another process may be the writer ([`Access::ReadOnly`]).
    pub fn open_read_only(path: impl AsRef<Path>, config: EdgeConfig) -> Result<Self, EdgeError> {
        Self::open_with_access(path, config, Arc::new(SystemClock), Access::ReadOnly)
    }

    /// [`Edge::open`] or [`Edge::open_read_only`] with an injected clock.
    pub fn open_with_access(
        path: impl AsRef<Path>,
        mut config: EdgeConfig,
        clock: Arc<dyn Clock>,
        access: Access,
    ) -> Result<Self, EdgeError> {
        config.validate()?;
        let path = path.as_ref().to_path_buf();
        // Before any migration runs: a second writer must not even migrate.
        let writer_lock = match access {
            Access::Write => Some(WriterLock::acquire(&path)?),
            Access::ReadOnly => None,
        };
        let migrations: Vec<_> = projections::MIGRATIONS
            .iter()
            .chain(device::MIGRATIONS)
            .copied()
            .collect();
        let store = SqliteStore::open(&path, &migrations)?;
        let identity = device::load(store.connection())?;
        if let Some(identity) = &identity {
            device::check_matches(identity, &config.device_id, &config.subject_root)?;
            config.role = identity.role;
        }
        let reader = store.reader()?;
        // Query-planner stability: without it SQLite re-prepares statements whose plan could
        // depend on a bound value, costing a parse per execution on the hot path.
        for conn in [store.connection(), reader.connection()] {
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        }
        let checkpointer = match access {
            Access::Write => Some(Checkpointer::spawn(&path, store.connection())?),
            Access::ReadOnly => None,
        };
        let writer = StoreWriter::spawn(store)?;
        let edge = Self {
            writer,
            cache: Arc::new(Mutex::new(AggregateCache::default())),
            reader: Mutex::new(reader),
            subjects: Subjects::new(&config.subject_root, &config.device_id),
            user: RwLock::new(config.user.clone()),
            identity: RwLock::new(identity),
            config,
            clock,
            path,
            _checkpointer: checkpointer,
            writer_lock,
        };
        if access == Access::Write {
            // A cart left open by a crashed or closed kiosk is abandoned at the next start.
            edge.abandon_idle(edge.now())?;
        }
        Ok(edge)
    }

    /// Whether this edge is the database's writer ([`Access::Write`]).
    pub fn is_writer(&self) -> bool {
        self.writer_lock.is_some()
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &EdgeConfig {
        &self.config
    }

    /// The subjects this device writes to.
    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current time from the edge's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The clock (time and ids).
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// A new id from the clock's source ([`Clock::new_id`]).
    pub fn new_id(&self) -> Uuid {
        self.clock.new_id()
    }

    /// The writer thread, for the sync engine (relay, inbox). Use
    /// [`crate::projections::project`] inside inbox transactions.
    pub fn writer(&self) -> &StoreWriter {
        &self.writer
    }

    /// A receiver that changes after every commit that changed this database (local
    /// commands, applied central events, relay acks, sync states): await `changed()` to learn
    /// of changes without polling. On a read-only edge it never changes.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.writer.commits()
    }

    /// Forgets every cached aggregate (after a rebase superseded events).
    pub fn clear_cache(&self) {
        lock(&self.cache).clear();
    }

    /// A function that clears this edge's aggregate cache from any thread (the sync engine's
    /// rebaser calls it).
    pub(crate) fn cache_clearer(&self) -> crate::sync::AfterRebase {
        let cache = Arc::clone(&self.cache);
        Arc::new(move || lock(&cache).clear())
    }

    /// Metadata for a new user action: correlation and causation = the command id.
    pub(crate) fn metadata(&self, command_id: Uuid) -> EventMetadata {
        EventMetadata {
            correlation_id: Some(command_id),
            causation_id: Some(command_id),
            device_id: Some(self.config.device_id.clone()),
            user: self.user(),
            schema_version: 0,
        }
    }

    /// A write target with a fresh command id and the clock's time.
    pub(crate) fn target(&self, stream_id: impl ToString, subject: String) -> Target {
        let command_id = self.new_id();
        Target {
            ids: Arc::clone(&self.clock),
            stream_id: stream_id.to_string(),
            subject,
            metadata: self.metadata(command_id),
            command_id,
            occurred_at: self.now().0,
        }
    }

    /// Runs `f` on the writer thread with the store and the aggregate cache.
    pub(crate) fn with_writer<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SqliteStore, &mut AggregateCache) -> Result<R, EdgeError> + Send + 'static,
    ) -> Result<R, EdgeError> {
        if !self.is_writer() {
            return Err(EdgeError::refused(
                "edge.read_only",
                format!(
                    "{} was opened read-only (another process may be writing it)",
                    self.path.display()
                ),
            ));
        }
        let cache = Arc::clone(&self.cache);
        self.writer
            .call(move |store| Ok(f(store, &mut lock(&cache))))?
    }

    /// load → decide → append one command on one stream (see [`execute::run_one`]); returns
    /// `view` of the new state.
    pub(crate) fn execute<A, V: Send + 'static>(
        &self,
        target: Target,
        durability: Durability,
        build: impl Fn(&A) -> Result<A::Command, EdgeError> + Send + 'static,
        view: impl FnOnce(&A) -> V + Send + 'static,
    ) -> Result<V, EdgeError>
    where
        A: Aggregate + Send + 'static,
        A::Command: Serialize,
        A::Event: projections::Projectable,
        DomainError: From<A::Error>,
    {
        self.with_writer(move |store, cache| {
            execute::run_one::<A, V>(store, cache, &target, durability, &build, view)
                .map(|(v, _)| v)
        })
    }

    /// Runs a query on the read-only connection.
    pub(crate) fn read<R>(
        &self,
        f: impl FnOnce(&StoreReader) -> Result<R, EdgeError>,
    ) -> Result<R, EdgeError> {
        f(&lock(&self.reader))
    }
}
