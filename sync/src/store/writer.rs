//! The single writer thread: it owns the only read-write connection, and every mutation (UI
//! commands, relay, inbox, timers) is sent to it as a closure.
//!
//! [`StoreWriter::call`] blocks the calling thread; [`StoreWriter::call_async`] awaits a tokio
//! oneshot, so rusqlite never runs on an async worker thread. The thread stops, closing the
//! connection, when the last handle is dropped.
//!
//! Change notification: after each job that changed the database (SQLite's
//! `total_changes` moved), the writer bumps a counter that [`StoreWriter::commits`] receivers
//! wait on, so whoever shows the data (the app's windows) learns of every change, local or
//! synced, without polling. The counter moves before the job's caller gets its reply: a caller
//! that looks right after its write sees the write counted.
//!
//! Latency: a blocked thread takes tens of microseconds to be woken and scheduled, which is as
//! long as a whole NORMAL commit. So both sides spin briefly before blocking: the writer for the
//! next job ([`IDLE_SPIN`]), a blocking caller for its reply ([`REPLY_SPIN`]). Bursts of commands
//! then hand off without sleeping; an idle writer still sleeps in `recv`.

use super::error::StoreError;
use super::sqlite::SqliteStore;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the idle writer polls for the next job before sleeping.
pub const IDLE_SPIN: Duration = Duration::from_micros(50);
/// How long a blocking caller polls for its reply before sleeping.
pub const REPLY_SPIN: Duration = Duration::from_micros(200);

/// Polls `rx` for up to `spin`, then blocks. `None` when the channel is closed.
fn recv_spinning<T>(rx: &Receiver<T>, spin: Duration) -> Option<T> {
    let start = Instant::now();
    loop {
        match rx.try_recv() {
            Ok(value) => return Some(value),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if start.elapsed() < spin => std::thread::yield_now(),
            Err(TryRecvError::Empty) => return rx.recv().ok(),
        }
    }
}

/// A job: its work on the store, returning the reply to send once the writer has announced
/// what the work changed (so a caller who got its reply sees the change already counted).
type Job = Box<dyn FnOnce(&mut SqliteStore) -> Reply + Send>;

/// The reply of a finished job.
type Reply = Box<dyn FnOnce() + Send>;

#[derive(Debug)]
struct Inner {
    sender: Option<mpsc::Sender<Job>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    commits: tokio::sync::watch::Receiver<u64>,
    outbox: tokio::sync::watch::Receiver<u64>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.sender.take();
        let handle = self.thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

/// A cloneable handle to the writer thread.
#[derive(Debug, Clone)]
pub struct StoreWriter {
    inner: Arc<Inner>,
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

impl StoreWriter {
    /// Moves the store onto a new thread named `store-writer`.
    pub fn spawn(mut store: SqliteStore) -> Result<Self, StoreError> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let (changed, commits) = tokio::sync::watch::channel(0u64);
        let (outbox_grew, outbox) = tokio::sync::watch::channel(0u64);
        let appended = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&appended);
        store.flag_outbox_inserts(flag)?;
        let thread = std::thread::Builder::new()
            .name("store-writer".to_owned())
            .spawn(move || {
                let mut seen = store.connection().total_changes();
                while let Some(job) = recv_spinning(&receiver, IDLE_SPIN) {
                    let reply = job(&mut store);
                    let now = store.connection().total_changes();
                    if now != seen {
                        seen = now;
                        changed.send_modify(|n| *n += 1);
                    }
                    if appended.swap(false, Ordering::Relaxed) {
                        outbox_grew.send_modify(|n| *n += 1);
                    }
                    reply();
                }
            })
            .map_err(|source| StoreError::Io {
                context: "spawn the store writer thread".to_owned(),
                source,
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                sender: Some(sender),
                thread: Mutex::new(Some(thread)),
                commits,
                outbox,
            }),
        })
    }

    /// A receiver that changes after every writer job that changed the database (its value
    /// counts them); `changed().await` wakes on the next one. Errors once the writer is gone.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.commits.clone()
    }

    /// A receiver that changes after every writer job that added outbox rows (a local command
    /// committed events to publish): the relay sleeps on it, so no caller has to wake it. A job
    /// that rolled back may bump it too; the relay then finds nothing new.
    pub fn outbox_appends(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.outbox.clone()
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        let sender = self.inner.sender.as_ref().ok_or(StoreError::Closed)?;
        sender.send(job).map_err(|_| StoreError::Closed)
    }

    fn job<R: Send + 'static>(
        f: impl FnOnce(&mut SqliteStore) -> Result<R, StoreError> + Send + 'static,
        reply: impl FnOnce(Result<R, StoreError>) + Send + 'static,
    ) -> Job {
        Box::new(move |store: &mut SqliteStore| -> Reply {
            let result = catch_unwind(AssertUnwindSafe(|| f(store)))
                .unwrap_or_else(|panic| Err(StoreError::WriterPanicked(panic_message(panic))));
            Box::new(move || reply(result))
        })
    }

    /// Runs `f` on the writer thread and waits for its result (blocking).
    pub fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SqliteStore) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Self::job(f, move |r| {
            let _ = tx.send(r);
        }))?;
        recv_spinning(&rx, REPLY_SPIN).ok_or(StoreError::Closed)?
    }

    /// Runs `f` on the writer thread; awaits its result without blocking the async runtime.
    pub async fn call_async<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SqliteStore) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Self::job(f, move |r| {
            let _ = tx.send(r);
        }))?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}
