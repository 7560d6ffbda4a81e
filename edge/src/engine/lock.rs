//! One writer per database across processes (docs/architecture.md §4: one writer thread owns the only
//! read-write connection; issue 12: the app and `mallbots sync --watch` must not both write).
//!
//! [`WriterLock`] is an exclusive advisory lock (`flock`) on `<db>.lock` beside the database,
//! held for as long as the [`crate::Edge`] that writes lives. The OS releases it when the
//! process dies, kill -9 included, so there is nothing stale to clean up. A second process that
//! would write gets `edge.database_in_use` at once; readers (`status`, `show`, `list` …) open
//! read-only and take no lock.

use crate::error::EdgeError;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The held lock; released on drop (and by the OS if the process dies).
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    path: PathBuf,
}

/// `<db>.lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

impl WriterLock {
    /// Takes the lock of the database at `db` without waiting, or `edge.database_in_use`
    /// naming the holder's pid when it wrote one.
    pub fn acquire(db: &Path) -> Result<Self, EdgeError> {
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| EdgeError::io(format!("create {}", dir.display()), e))?;
        }
        let path = lock_path(db);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| EdgeError::io(format!("open {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let by = if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (process {holder})")
                };
                return Err(EdgeError::refused(
                    "edge.database_in_use",
                    format!(
                        "{} is open for writing by another process{by}: one writer per database; \
                         stop it or use its window, read-only commands still work",
                        db.display()
                    ),
                ));
            }
            Err(TryLockError::Error(e)) => {
                return Err(EdgeError::io(format!("lock {}", path.display()), e))
            }
        }
        // Diagnostics only: the lock itself is the flock, not this text.
        let _ = file
            .set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| write!(file, "{}", std::process::id()))
            .and_then(|_| file.flush());
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("edge.db");
        let first = WriterLock::acquire(&db).unwrap();
        assert_eq!(first.path(), dir.path().join("edge.db.lock"));
        let err = WriterLock::acquire(&db).unwrap_err();
        assert_eq!(err.code(), "edge.database_in_use");
        assert!(err.to_string().contains(&std::process::id().to_string()));
        drop(first);
        WriterLock::acquire(&db).unwrap();
    }
}
