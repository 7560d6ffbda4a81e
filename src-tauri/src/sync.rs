//! Each device's sync engine in the background, and the bridge that turns what it did into
//! `edge:changed` events for that device's window.
//!
//! The engine (`mallbots_edge::sync::engine`: the outbox relay, the device's consumers applied
//! through the edge's projections, rebase on conflict) runs on Tauri's async runtime when a NATS
//! URL is configured; without one the device is an offline edge and the status says so. A
//! device with a URL but no enrollment (and no `--sync-create-consumers`) is not started at
//! all: its status is `sync.not_enrolled` with the command that fixes it, instead of a retry
//! loop against consumers that do not exist. The bridge wakes on the edge's commits (no polling
//! of the database) and emits `catalog`, `orders` and `depot` changes when central's events
//! were applied, `sync` when the status moved, to the device's own window.

use crate::backoffice::{SyncProblem, SyncState, SyncStatus};
use crate::error::ApiError;
use crate::events::{emit_to, Changed, Topic};
use mallbots_edge::sync::SyncSettings;
use mallbots_edge::{Edge, NatsTarget, SyncEngine, SyncHandle};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::{AppHandle, Runtime};

/// How long the bridge gathers a burst of commits before it looks (one event per burst).
pub const COALESCE: Duration = Duration::from_millis(30);
/// How often the bridge looks at the sync status when nothing was committed (states the
/// engine keeps in memory only).
pub const STATUS_EVERY: Duration = Duration::from_secs(5);

/// The problem code of a device that has no credentials.
pub const NOT_ENROLLED: &str = "sync.not_enrolled";
/// The problem code of a device whose credentials the server refused.
pub const REFUSED: &str = "sync.refused";

/// Who a device is, for the messages that tell an operator how to fix its sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The device id.
    pub device_id: String,
    /// `kiosk`, `manager` or `depot`.
    pub role: String,
    /// The launch flag that takes its enrollment file, e.g. `--kiosk-enrollment`.
    pub flag: String,
}

impl Identity {
    /// `mallbots-central enroll …` for this device, then the flag to start with.
    pub fn enroll_command(&self) -> String {
        let stores = if self.role == "manager" {
            " --store <store-id>"
        } else {
            ""
        };
        format!(
            "mallbots-central enroll --device {id} --role {role}{stores} --out {id}.json, then \
             start the app with {flag} {id}.json",
            id = self.device_id,
            role = self.role,
            flag = self.flag,
        )
    }

    /// The state a device is in when it has a NATS URL and no credentials.
    pub fn not_enrolled(&self) -> SyncProblem {
        SyncProblem {
            code: NOT_ENROLLED.to_owned(),
            message: format!(
                "not enrolled: device {} has no credentials for the mall's NATS server, so it \
                 does not sync",
                self.device_id
            ),
            fix: Some(self.enroll_command()),
        }
    }
}

/// One device's sync: the engine (for its status even when offline), once started the running
/// background task, and a problem found before starting (not enrolled).
pub struct DeviceSync {
    engine: SyncEngine,
    identity: Identity,
    running: Mutex<Option<SyncHandle>>,
    problem: Mutex<Option<SyncProblem>>,
}

impl DeviceSync {
    /// An engine over `edge` (not started). After a rebase it clears the edge's aggregate cache.
    pub fn new(
        edge: &Arc<Edge>,
        settings: &SyncSettings,
        identity: Identity,
    ) -> Result<Self, ApiError> {
        let engine = mallbots_edge::sync::engine(edge, settings)?;
        Ok(Self {
            engine,
            identity,
            running: Mutex::new(None),
            problem: Mutex::new(None),
        })
    }

    /// An offline engine over `edge` with default settings (tests, tools).
    pub fn offline(edge: &Arc<Edge>) -> Result<Self, ApiError> {
        let identity = Identity {
            device_id: edge.config().device_id.clone(),
            role: "kiosk".to_owned(),
            flag: "--enrollment".to_owned(),
        };
        Self::new(edge, &SyncSettings::default(), identity)
    }

    /// Who the device is.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Starts syncing with the NATS server at `url` in the background (reconnecting with
    /// backoff for as long as the app runs), with the device's enrollment file as its
    /// credentials. Must be called inside the async runtime (from a task or
    /// `tauri::async_runtime::block_on`).
    pub fn start(&self, url: &str, enrollment: Option<PathBuf>, tls_ca: Option<PathBuf>) {
        let target = nats_target(url, enrollment).with_tls_ca(tls_ca);
        let handle = self.engine.clone().spawn(target);
        if let Ok(mut running) = self.running.lock() {
            *running = Some(handle);
        }
    }

    /// Records why the device does not sync (and logs it once): it is not started.
    pub fn hold(&self, problem: SyncProblem) {
        tracing::warn!(
            device = %self.identity.device_id,
            code = %problem.code,
            fix = problem.fix.as_deref().unwrap_or(""),
            "{}",
            problem.message
        );
        if let Ok(mut slot) = self.problem.lock() {
            *slot = Some(problem);
        }
    }

    /// Online/offline, events waiting, last sync, conflicts (newest first), quarantined rows
    /// and, when the device cannot sync, why and how to fix it.
    pub async fn status(&self) -> Result<SyncStatus, ApiError> {
        let status = self
            .engine
            .status()
            .await
            .map_err(|e| ApiError::from(mallbots_edge::sync::edge_error(e)))?;
        let held = self.problem.lock().ok().and_then(|p| p.clone());
        let problem = held.or_else(|| {
            status.problem.as_ref().map(|p| {
                let (code, message) = (p.code.clone(), p.message.clone());
                let fix = (code == NOT_ENROLLED || code == REFUSED)
                    .then(|| self.identity.enroll_command());
                SyncProblem { code, message, fix }
            })
        });
        let state = match (&problem, status.online) {
            (Some(p), _) if p.code == NOT_ENROLLED => SyncState::NotEnrolled,
            (Some(p), _) if p.code == REFUSED => SyncState::Refused,
            (Some(_), _) => SyncState::Error,
            (None, true) => SyncState::Online,
            (None, false) => SyncState::Offline,
        };
        Ok(SyncStatus {
            device_id: self.identity.device_id.clone(),
            state,
            online: status.online,
            waiting: status.waiting,
            oldest_waiting_at: status.oldest_waiting_at,
            last_sync_at: status.last_sync_at,
            quarantined: status.quarantine.clone(),
            conflicts: status.recent_conflicts,
            problem,
        })
    }
}

/// The connection target of a device: its enrollment file is its credentials.
/// The engine tells the enrollment JSON (user and password) from a NATS `.creds` file by its
/// contents.
fn nats_target(url: &str, enrollment: Option<PathBuf>) -> NatsTarget {
    NatsTarget {
        url: url.to_owned(),
        creds: enrollment,
        tls_ca: None,
    }
}

/// The event count and the sync status as of one moment: read again while a commit landed
/// between them (else a look could pair the old count with the new status, and one change
/// reach the window as two, `sync` first). `None` when a read failed.
async fn look(edge: &Edge, sync: &DeviceSync) -> Option<(mallbots_edge::LocalCounts, SyncStatus)> {
    loop {
        let before = edge.local_counts().ok()?;
        let status = sync.status().await.ok()?;
        let after = edge.local_counts().ok()?;
        if after.events == before.events {
            return Some((after, status));
        }
    }
}

/// What the bridge compares between two looks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Seen {
    events: u64,
    sync: (SyncState, bool, u64, Option<i64>, usize, usize),
}

/// Runs until the device's database closes: emits `edge:changed` to `window` when the sync
/// applied central's events to `edge` or its status moved. It sleeps until the edge's writer
/// committed a change ([`mallbots_edge::Edge::commits`]: a local command, an applied central
/// event, a relay ack, a recorded sync state), coalesces a burst for [`COALESCE`], then
/// compares; a state the engine keeps only in memory is looked at every [`STATUS_EVERY`]. Spawn
/// it on the async runtime, one per device.
pub async fn bridge<R: Runtime>(
    app: AppHandle<R>,
    window: &'static str,
    edge: Arc<Edge>,
    sync: Arc<DeviceSync>,
) {
    let mut commits = edge.commits();
    let mut last: Option<Seen> = None;
    loop {
        if let Some((counts, status)) = look(&edge, &sync).await {
            let seen = Seen {
                events: counts.events,
                sync: (
                    status.state,
                    status.online,
                    status.waiting,
                    status.last_sync_at,
                    status.conflicts.len(),
                    status.quarantined.len(),
                ),
            };
            if let Some(before) = &last {
                let mut topics = Vec::new();
                if before.events != seen.events {
                    topics.extend([Topic::Catalog, Topic::Orders, Topic::Depot]);
                }
                if before.sync != seen.sync {
                    topics.push(Topic::Sync);
                }
                if !topics.is_empty() {
                    emit_to(&app, window, Changed::of(&topics));
                }
            }
            last = Some(seen);
        }
        tokio::select! {
            changed = commits.changed() => {
                if changed.is_err() {
                    return; // the database closed
                }
                tokio::time::sleep(COALESCE).await;
                commits.borrow_and_update();
            }
            _ = tokio::time::sleep(STATUS_EVERY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_enrolled_names_the_device_and_the_command_that_fixes_it() {
        let kiosk = Identity {
            device_id: "kiosk-1a2b".into(),
            role: "kiosk".into(),
            flag: "--kiosk-enrollment".into(),
        };
        let p = kiosk.not_enrolled();
        assert_eq!(p.code, NOT_ENROLLED);
        assert!(
            p.message.starts_with("not enrolled: device kiosk-1a2b"),
            "{}",
            p.message
        );
        assert_eq!(
            p.fix.as_deref(),
            Some(
                "mallbots-central enroll --device kiosk-1a2b --role kiosk --out kiosk-1a2b.json, \
                 then start the app with --kiosk-enrollment kiosk-1a2b.json"
            )
        );
        let desk = Identity {
            device_id: "desk-9".into(),
            role: "manager".into(),
            flag: "--manager-enrollment".into(),
        };
        assert!(desk
            .enroll_command()
            .contains("--role manager --store <store-id>"));
    }

    #[test]
    fn a_held_device_reports_not_enrolled_and_stays_offline() {
        let dir = tempfile::tempdir().unwrap();
        let edge = Arc::new(Edge::open(dir.path().join("k.db"), Default::default()).unwrap());
        let sync = DeviceSync::offline(&edge).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let status = rt.block_on(sync.status()).unwrap();
        assert_eq!((status.state, status.online), (SyncState::Offline, false));
        assert!(status.problem.is_none());
        sync.hold(sync.identity().not_enrolled());
        let status = rt.block_on(sync.status()).unwrap();
        assert_eq!(status.state, SyncState::NotEnrolled);
        assert_eq!(status.problem.unwrap().code, NOT_ENROLLED);
        assert_eq!(status.device_id, "local");
    }
}
