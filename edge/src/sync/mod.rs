//! The edge's side of sync: [`EdgeApplier`] (central's events into the log and read models)
//! and [`EdgeRebaser`] (re-run pending commands after a conflict), and [`engine`], which builds
//! a `mallbots_sync::engine::SyncEngine` over an open [`Edge`]. The CLI (`mallbots sync`,
//! `mallbots status`) and the Tauri shell both start sync through [`engine`].

mod applier;
mod rebaser;

pub use applier::{known, EdgeApplier, OrderLineEvent};
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
/// (`sync.connect` …), except store failures, which keep their own code. A URL in it loses any
/// `user:password@` (no secret in an error).
pub fn edge_error(error: SyncError) -> EdgeError {
    match error {
        SyncError::Store(e) => EdgeError::Store(e),
        SyncError::Connect { url, reason } => EdgeError::Sync(SyncError::Connect {
            url: crate::device::redact_url(&url),
            reason,
        }),
        other => EdgeError::Sync(other),
    }
}

/// The device role with its stores. A stored identity decides (a manager's enrolled stores;
/// `settings.stores` may only narrow them); without one, the configuration's role, and a
/// manager without `settings.stores` manages every local store.
pub fn device_role(edge: &Edge, settings: &SyncSettings) -> Result<DeviceRole, EdgeError> {
    let enrolled = edge.device().map(|d| d.stores).unwrap_or_default();
    if let Some(outside) = settings
        .stores
        .iter()
        .find(|s| !enrolled.is_empty() && !enrolled.contains(s))
    {
        return Err(EdgeError::refused(
            "catalog.not_your_store",
            format!(
                "store {outside} is not one of this device's stores ({})",
                enrolled.join(", ")
            ),
        ));
    }
    Ok(match edge.role() {
        Role::Kiosk if !settings.stores.is_empty() => {
            return Err(EdgeError::invalid(
                "--store",
                "a kiosk device syncs no stores (only a manager device has stores)",
            ))
        }
        Role::Kiosk => DeviceRole::Kiosk,
        Role::Manager if !settings.stores.is_empty() => DeviceRole::Manager {
            stores: settings.stores.clone(),
        },
        Role::Manager if !enrolled.is_empty() => DeviceRole::Manager { stores: enrolled },
        Role::Manager => DeviceRole::Manager {
            stores: edge
                .stores()?
                .iter()
                .map(|s| s.store_id.to_string())
                .collect(),
        },
        Role::Depot => DeviceRole::Depot,
    })
}

/// A sync engine over `edge`'s writer. After each rebase it clears the edge's aggregate cache
/// itself (a retraction does not move a stream's head version), so no caller wires that.
pub fn engine(edge: &Edge, settings: &SyncSettings) -> Result<SyncEngine, EdgeError> {
    engine_tuned(edge, settings, |_| {})
}

/// [`engine`] with its configuration adjusted by `tune` first (intervals, retention, windows:
/// the bench's soak shortens the pruning retention so a bounded run reaches the steady state).
pub fn engine_tuned(
    edge: &Edge,
    settings: &SyncSettings,
    tune: impl FnOnce(&mut SyncConfig),
) -> Result<SyncEngine, EdgeError> {
    if !edge.is_writer() {
        return Err(EdgeError::refused(
            "edge.read_only",
            "sync needs the database's writer: this edge was opened read-only",
        ));
    }
    let role = device_role(edge, settings)?;
    let cfg = edge.config();
    let mut config = SyncConfig::new(
        &cfg.device_id,
        &role,
        &cfg.subject_root,
        &settings.events_stream,
    );
    config.create_consumers = settings.create_consumers;
    tune(&mut config);
    SyncEngine::new(
        edge.writer().clone(),
        config,
        Arc::new(EdgeApplier),
        Arc::new(EdgeRebaser::new(Some(edge.cache_clearer())).with_clock(edge.clock())),
    )
    .map_err(edge_error)
}
