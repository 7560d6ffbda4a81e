//! Numbered migrations per named set, recorded in `schema_migrations` with a checksum.
//!
//! The store ships the set `"store"`; other crates pass their own sets (read-model tables) to
//! [`super::SqliteStore::open`]. Within a set, versions are 1, 2, 3... and each runs once, in its
//! own transaction. A shipped migration is never edited: a changed checksum is
//! [`StoreError::MigrationChanged`], and a database holding versions this build does not know is
//! [`StoreError::MigrationInvalid`] (it was written by a newer build).

use super::error::StoreError;
use rusqlite::{params, Connection, OptionalExtension};

/// One numbered migration of a named set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// The set, e.g. `"store"` or `"edge_read_models"`.
    pub set: &'static str,
    /// 1-based, contiguous within the set.
    pub version: u32,
    /// A short name for humans.
    pub name: &'static str,
    /// The SQL, run with `execute_batch`.
    pub sql: &'static str,
}

/// The event store's own migrations.
pub const STORE_MIGRATIONS: &[Migration] = &[
    Migration {
        set: "store",
        version: 1,
        name: "event_store",
        sql: include_str!("migrations/0001_event_store.sql"),
    },
    Migration {
        set: "store",
        version: 2,
        name: "event_indexes",
        sql: include_str!("migrations/0002_event_indexes.sql"),
    },
    Migration {
        set: "store",
        version: 3,
        name: "sync_quarantine",
        sql: include_str!("migrations/0003_sync_quarantine.sql"),
    },
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    set_name   TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    checksum   TEXT    NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (set_name, version)
)";

/// FNV-1a 64-bit of the SQL text: stable across builds and platforms.
pub fn checksum(sql: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sql.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Groups by set, sets in order of first appearance (the store's own set comes first).
fn group(migrations: &[Migration]) -> Result<Vec<(&'static str, Vec<Migration>)>, StoreError> {
    let mut sets: Vec<(&'static str, Vec<Migration>)> = Vec::new();
    for migration in migrations {
        match sets.iter_mut().find(|(set, _)| *set == migration.set) {
            Some((_, list)) => list.push(*migration),
            None => sets.push((migration.set, vec![*migration])),
        }
    }
    for (set, list) in &mut sets {
        list.sort_by_key(|m| m.version);
        for (index, migration) in list.iter().enumerate() {
            if migration.version as usize != index + 1 {
                return Err(StoreError::MigrationInvalid {
                    set: (*set).to_owned(),
                    reason: format!(
                        "expected version {} but found {} ({})",
                        index + 1,
                        migration.version,
                        migration.name
                    ),
                });
            }
        }
    }
    Ok(sets)
}

/// Applies every migration not yet applied; returns how many ran.
pub fn run(conn: &mut Connection, migrations: &[Migration], now: i64) -> Result<usize, StoreError> {
    conn.execute(CREATE_TABLE, [])?;
    let mut ran = 0;
    for (set, list) in group(migrations)? {
        let newest: Option<u32> = conn
            .query_row(
                "SELECT max(version) FROM schema_migrations WHERE set_name = ?1",
                [set],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        if let Some(newest) = newest {
            if newest as usize > list.len() {
                return Err(StoreError::MigrationInvalid {
                    set: set.to_owned(),
                    reason: format!(
                        "database is at version {newest}, this build knows {}",
                        list.len()
                    ),
                });
            }
        }
        for migration in list {
            let sum = checksum(migration.sql);
            let applied: Option<String> = conn
                .query_row(
                    "SELECT checksum FROM schema_migrations WHERE set_name = ?1 AND version = ?2",
                    params![set, migration.version],
                    |row| row.get(0),
                )
                .optional()?;
            match applied {
                Some(stored) if stored == sum => continue,
                Some(_) => {
                    return Err(StoreError::MigrationChanged {
                        set: set.to_owned(),
                        version: migration.version,
                    })
                }
                None => {}
            }
            let tx = conn.transaction()?;
            tx.execute_batch(migration.sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (set_name, version, name, checksum, applied_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![set, migration.version, migration.name, sum, now],
            )?;
            tx.commit()?;
            ran += 1;
        }
    }
    Ok(ran)
}
