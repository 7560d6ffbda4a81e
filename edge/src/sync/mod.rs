//! The edge's side of sync: [`EdgeApplier`] (central's events into the log and read models)
//! and [`EdgeRebaser`] (re-run pending commands after a conflict), and [`engine`], which builds
//! a `mallbots_sync::engine::SyncEngine` over an open [`Edge`]. The CLI (`mallbots sync`,
//! `mallbots status`) and the Tauri shell both start sync through [`engine`].

mod applier;
mod rebaser;

pub use applier::{known, EdgeApplier};
pub use rebaser::{AfterRebase, EdgeRebaser};

use crate::config::Role;
use crate::{Edge, EdgeError};
use mallbots_sync::engine::{DeviceRole, SyncConfig, SyncEngine, SyncError};
use std::sync::Arc;

/// How this device syncs, beyond what [`crate::EdgeConfig`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    /// The events stream (default `EVENTS`).
    pub events_stream: String,
    /// A manager's stores; empty = every store in the local catalog.
    pub stores: Vec<String>,
    /// Create the device's consumers if missing (development: needs consumer-create rights).
    pub create_consumers: bool,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            events_stream: "EVENTS".to_owned(),
            stores: Vec::new(),
            create_consumers: false,
        }
    }
}

/// A sync failure as an [`EdgeError`]: [`EdgeError::Sync`] with the engine's code
/// (`sync.connect` …), except store failures, which keep their own code.
pub fn edge_error(error: SyncError) -> EdgeError {
    match error {
        SyncError::Store(e) => EdgeError::Store(e),
        other => EdgeError::Sync(other),
    }
}

/// The device role with its stores (a manager without `--store` manages every local store).
pub fn device_role(edge: &Edge, settings: &SyncSettings) -> Result<DeviceRole, EdgeError> {
    Ok(match edge.config().role {
        Role::Kiosk => DeviceRole::Kiosk,
        Role::Manager if !settings.stores.is_empty() => DeviceRole::Manager {
            stores: settings.stores.clone(),
        },
        Role::Manager => DeviceRole::Manager {
            stores: edge
                .stores()?
                .iter()
                .map(|s| s.store_id.to_string())
                .collect(),
        },
    })
}

/// A sync engine over `edge`'s writer; `after_rebase` runs after each rebase (pass one that
/// calls [`Edge::clear_cache`]).
pub fn engine(
    edge: &Edge,
    settings: &SyncSettings,
    after_rebase: Option<AfterRebase>,
) -> Result<SyncEngine, EdgeError> {
    let role = device_role(edge, settings)?;
    let cfg = edge.config();
    let mut config = SyncConfig::new(
        &cfg.device_id,
        &role,
        &cfg.subject_root,
        &settings.events_stream,
    );
    config.create_consumers = settings.create_consumers;
    SyncEngine::new(
        edge.writer().clone(),
        config,
        Arc::new(EdgeApplier),
        Arc::new(EdgeRebaser::new(after_rebase)),
    )
    .map_err(edge_error)
}
