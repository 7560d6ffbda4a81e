//! Background WAL checkpoints, off the command path (and off the relay's group commits).
//!
//! SQLite's default auto-checkpoint runs inside the commit that pushes the WAL past 1,000
//! frames: that command then copies the whole WAL into the database file and fsyncs both, which
//! is milliseconds, every ~100 commands (a command commits ~10 pages). Here a thread with its
//! own connection runs a PASSIVE checkpoint (never blocks the writer or readers) every
//! [`INTERVAL`] if anything was committed since the last one, and the writer's own
//! auto-checkpoint is raised to [`WRITER_FALLBACK_FRAMES`]: under a continuous burst a passive
//! checkpoint cannot catch up with the writer, so the writer still checkpoints (cheaply, most
//! frames are already copied) and resets the WAL now and then; when commands come at human pace
//! the writer never does.
//!
//! The connection only checkpoints; it never writes a row (the writer thread stays the only
//! writer of data).

use super::error::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the thread looks at the WAL.
pub const INTERVAL: Duration = Duration::from_millis(50);
/// The writer connection's `wal_autocheckpoint` (SQLite's default is 1,000).
pub const WRITER_FALLBACK_FRAMES: i64 = 8_000;

/// The checkpoint thread; stops (after a last checkpoint) when dropped. The edge runs one beside
/// its writer; so does the P2 benchmark, so the relay is measured as it ships.
#[derive(Debug)]
pub struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// `PRAGMA wal_checkpoint(PASSIVE)`.
fn passive(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

impl Checkpointer {
    /// Opens a second connection to the (existing, WAL-mode) database at `path` and starts the
    /// thread. `writer` is the writer thread's connection, whose auto-checkpoint is raised.
    pub fn spawn(path: &Path, writer: &Connection) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_FALLBACK_FRAMES)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".to_owned())
            .spawn(move || {
                // `data_version` moves when another connection commits: an idle database is
                // left alone (no fsyncs for nothing).
                let mut seen = None;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    let version = conn
                        .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
                        .ok();
                    if version.is_some() && version == seen {
                        continue;
                    }
                    seen = version;
                    if let Err(err) = passive(&conn) {
                        tracing::debug!("background checkpoint: {err}");
                    }
                }
                let _ = passive(&conn);
            })
            .map_err(|source| StoreError::Io {
                context: "spawn the WAL checkpoint thread".to_owned(),
                source,
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
