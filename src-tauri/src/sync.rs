//! The sync engine in the background, and the bridge that turns what it did into `edge:changed`
//! events.
//!
//! The engine (`mallbots_edge::sync::engine`: the outbox relay, the device's consumers applied
//! through the edge's projections, rebase on conflict) runs on Tauri's async runtime when a NATS
//! URL is configured; without one the app is an offline edge and the status says so. The bridge
//! watches the edge's counts and the sync status (every [`WATCH_EVERY`]) and emits `catalog`,
//! `orders` and `depot` changes when central's events were applied, `sync` when the status
//! moved, so the screens stay current without polling anything themselves.

use crate::backoffice::{ConflictView, SyncStatus};
use crate::error::ApiError;
use crate::events::{emit, Changed, Topic};
use mallbots_edge::sync::SyncSettings;
use mallbots_edge::{Edge, NatsTarget, SyncEngine, SyncHandle};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::{AppHandle, Runtime};

/// How often the bridge looks for changes made by the sync.
pub const WATCH_EVERY: Duration = Duration::from_millis(400);

/// The device's sync: the engine (for its status even when offline) and, once started, the
/// running background task.
pub struct Sync {
    engine: SyncEngine,
    running: Mutex<Option<SyncHandle>>,
}

impl Sync {
    /// An engine over `edge` (not started). After a rebase it clears the edge's aggregate cache.
    /// `create_consumers` lets it create the device's consumers (development only).
    pub fn new(edge: &Arc<Edge>, create_consumers: bool) -> Result<Self, ApiError> {
        let cache_owner = Arc::clone(edge);
        let settings = SyncSettings {
            create_consumers,
            ..SyncSettings::default()
        };
        let engine = mallbots_edge::sync::engine(
            edge,
            &settings,
            Some(Arc::new(move || cache_owner.clear_cache())),
        )?;
        Ok(Self {
            engine,
            running: Mutex::new(None),
        })
    }

    /// Starts syncing with the NATS server at `url` in the background (reconnecting with
    /// backoff for as long as the app runs). Must be called inside the async runtime (from a
    /// task or `tauri::async_runtime::block_on`).
    pub fn start(&self, url: &str, creds: Option<PathBuf>) {
        let target = NatsTarget {
            url: url.to_owned(),
            creds,
        };
        let handle = self.engine.clone().spawn(target);
        if let Ok(mut running) = self.running.lock() {
            *running = Some(handle);
        }
    }

    /// Online/offline, events waiting, last sync and conflicts (newest first).
    pub async fn status(&self) -> Result<SyncStatus, ApiError> {
        let status = self
            .engine
            .status()
            .await
            .map_err(|e| ApiError::from(mallbots_edge::sync::edge_error(e)))?;
        Ok(SyncStatus {
            online: status.online,
            waiting: status.waiting,
            last_sync_at: status.last_sync_at,
            conflicts: status
                .recent_conflicts
                .into_iter()
                .map(|c| ConflictView {
                    subject: format!("{} {}", c.stream_type, c.stream_id),
                    reason: c.message,
                    at: c.at,
                })
                .collect(),
        })
    }

    /// Asks a running engine to relay the outbox now (after a local change).
    pub fn poke(&self) {
        self.engine.poke();
    }
}

/// What the bridge compares between two looks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Seen {
    events: u64,
    sync: (bool, u64, Option<i64>, usize),
}

/// Runs forever: emits `edge:changed` when the sync applied central's events or its status
/// moved. Spawn it on the async runtime.
pub async fn bridge<R: Runtime>(app: AppHandle<R>, edge: Arc<Edge>, sync: Arc<Sync>) {
    let mut last: Option<Seen> = None;
    loop {
        let counts = edge.local_counts();
        let status = sync.status().await;
        if let (Ok(counts), Ok(status)) = (counts, status) {
            let seen = Seen {
                events: counts.events,
                sync: (
                    status.online,
                    status.waiting,
                    status.last_sync_at,
                    status.conflicts.len(),
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
                    emit(&app, Changed::of(&topics));
                }
            }
            last = Some(seen);
        }
        tokio::time::sleep(WATCH_EVERY).await;
    }
}
