//! The SQLite implementation: one read-write connection ([`SqliteStore`], owned by the writer
//! thread) and any number of read-only ones ([`StoreReader`]).
//!
//! Set up once, right: WAL, `foreign_keys=ON`, a busy timeout, numbered migrations, and
//! `synchronous` chosen per transaction ([`Durability`]).

pub mod read;
mod reader;
pub mod scan;
mod store_impl;
pub mod write;

pub use reader::StoreReader;
pub use scan::RawEvent;

use super::error::StoreError;
use super::migrations::{self, Migration, STORE_MIGRATIONS};
use super::now_ms;
use super::records::{InboxOutcome, InboxRecord, InboxStatus};
use super::types::{AppendRequest, Durability, StoredEvent};
use super::upcast::Upcasters;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a statement waits for a lock held by another connection.
    pub busy_timeout: Duration,
    /// Prepared-statement cache size.
    pub statement_cache: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            statement_cache: 64,
        }
    }
}

/// The read-write event store on one SQLite connection.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: Option<PathBuf>,
    options: StoreOptions,
    upcasters: Arc<Upcasters>,
    synchronous: Durability,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs the store's migrations, then
    /// `extra` (other crates' sets, e.g. read-model tables).
    pub fn open(path: impl AsRef<Path>, extra: &[Migration]) -> Result<Self, StoreError> {
        Self::open_with(path, extra, StoreOptions::default())
    }

    /// [`Self::open`] with explicit options.
    pub fn open_with(
        path: impl AsRef<Path>,
        extra: &[Migration],
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                context: format!("create {}", dir.display()),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        Self::setup(conn, Some(path.to_path_buf()), extra, options)
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory(extra: &[Migration]) -> Result<Self, StoreError> {
        Self::setup(
            Connection::open_in_memory()?,
            None,
            extra,
            StoreOptions::default(),
        )
    }

    fn setup(
        mut conn: Connection,
        path: Option<PathBuf>,
        extra: &[Migration],
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        conn.busy_timeout(options.busy_timeout)?;
        conn.set_prepared_statement_cache_capacity(options.statement_cache);
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        // The WAL file keeps its high-water size unless limited: after a checkpoint that resets
        // it, SQLite truncates it to this (P7 soak: without it a busy kiosk's WAL stayed at
        // 30 MB over a 10 MB database).
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA journal_size_limit = 4194304;",
        )?;
        let all: Vec<Migration> = STORE_MIGRATIONS.iter().chain(extra).copied().collect();
        migrations::run(&mut conn, &all, now_ms())?;
        Ok(Self {
            conn,
            path,
            options,
            upcasters: Arc::new(Upcasters::new()),
            synchronous: Durability::Normal,
        })
    }

    /// Installs the upcaster registry applied on load (readers opened later share it).
    pub fn with_upcasters(mut self, upcasters: Upcasters) -> Self {
        self.upcasters = Arc::new(upcasters);
        self
    }

    /// The shared upcaster registry.
    pub fn upcasters_arc(&self) -> Arc<Upcasters> {
        Arc::clone(&self.upcasters)
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The read-write connection, for queries on the writer thread (read models).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Sets `flag` whenever a row is inserted into the outbox on this connection (SQLite's
    /// update hook; the writer thread turns it into [`super::StoreWriter::outbox_appends`]).
    pub(crate) fn flag_outbox_inserts(
        &mut self,
        flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<(), StoreError> {
        self.conn
            .update_hook(Some(move |action, _db: &str, table: &str, _row: i64| {
                if action == rusqlite::hooks::Action::SQLITE_INSERT && table == "outbox" {
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }))?;
        Ok(())
    }

    /// Opens a read-only connection to the same file.
    pub fn reader(&self) -> Result<StoreReader, StoreError> {
        let path = self
            .path
            .as_ref()
            .ok_or(StoreError::InMemory("no file to share"))?;
        StoreReader::open(path, self.upcasters_arc(), &self.options)
    }

    /// Opens a read-only connection to an existing, migrated store file.
    pub fn open_readonly(
        path: impl AsRef<Path>,
        upcasters: Arc<Upcasters>,
    ) -> Result<StoreReader, StoreError> {
        StoreReader::open(path, upcasters, &StoreOptions::default())
    }

    /// Runs `f` in one IMMEDIATE transaction committed with `durability`; rolled back if `f`
    /// fails.
    pub fn transaction<R>(
        &mut self,
        durability: Durability,
        f: impl FnOnce(&Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        if self.synchronous != durability {
            self.conn.execute_batch(&format!(
                "PRAGMA synchronous = {}",
                durability.pragma_value()
            ))?;
            self.synchronous = durability;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Appends and runs `hook` (read-model updates) in the same transaction: either everything
    /// commits or nothing does.
    pub fn append_with(
        &mut self,
        request: AppendRequest,
        hook: impl FnOnce(&Transaction<'_>, &[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let durability = request.durability;
        self.transaction(durability, |tx| {
            let stored = write::append(tx, &request, now_ms())?;
            hook(tx, &stored)?;
            Ok(stored)
        })
    }

    /// Records an incoming event in the inbox and runs `apply` in one transaction. A repeat
    /// delivery (applied or echo row) is a no-op: [`InboxOutcome::AlreadyApplied`]. A parked row
    /// is applied now and becomes `applied`. `record.status` is ignored (always `applied`).
    pub fn inbox_apply(
        &mut self,
        record: &InboxRecord,
        apply: impl FnOnce(&Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<InboxOutcome, StoreError> {
        self.transaction(Durability::Normal, |tx| {
            match read::inbox_entry(tx, record.event_id)? {
                Some(row) if row.record.status != InboxStatus::Parked => {
                    return Ok(InboxOutcome::AlreadyApplied)
                }
                Some(_) => write::inbox_set_status(tx, record.event_id, InboxStatus::Applied)?,
                None => {
                    let applied = InboxRecord {
                        status: InboxStatus::Applied,
                        raw: None,
                        ..record.clone()
                    };
                    write::inbox_record(tx, &applied, now_ms())?;
                }
            }
            apply(tx)?;
            Ok(InboxOutcome::Applied)
        })
    }

    /// `PRAGMA integrity_check`: `"ok"` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}
