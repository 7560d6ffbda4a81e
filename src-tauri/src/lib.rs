//! # mallbots-app
//!
//! The Tauri v2 shell of MallBots Edge: the customer kiosk window and the store-manager window,
//! the commands they call (thin wrappers in [`commands`] over `mallbots_edge::Edge`, returning
//! `{code, message}` errors), the `edge:changed` events that keep the screens current, and the
//! capabilities that keep the kiosk away from manager commands. Not the use cases (those belong
//! to `mallbots-edge`), not the UI (that is `ui/`, built into `ui/dist`).

pub mod auth;
pub mod backoffice;
pub mod commands;
pub mod demo;
pub mod error;
pub mod events;
pub mod launch;
pub mod state;
pub mod sync;
pub mod views;
pub mod windows;

use mallbots_edge::{Edge, EdgeConfig, Role};
use std::sync::Arc;
use tauri::{Builder, Runtime};

pub use error::ApiError;
pub use launch::{LaunchOptions, WindowSet};
pub use state::AppState;

/// Registers the state and every command on a builder (the real one or `tauri::test`'s mock).
pub fn configure<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder.manage(state).invoke_handler(commands::handler())
}

/// Why the app could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The edge database could not be opened or prepared.
    #[error("could not open the edge: {0}")]
    Edge(#[from] ApiError),
    /// Tauri failed to build or run the app.
    #[error("tauri: {0}")]
    Tauri(#[from] tauri::Error),
}

/// Opens the edge database the options name (creating it and its folder if needed), seeds the
/// demo mall when asked, and abandons carts left open by a previous run.
pub fn open_edge(options: &LaunchOptions) -> Result<Arc<Edge>, ApiError> {
    let path = options.db_path();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| ApiError::internal(format!("could not create {}: {e}", dir.display())))?;
    }
    let role = if options.windows == WindowSet::Manager {
        Role::Manager
    } else {
        Role::Kiosk
    };
    let config = EdgeConfig {
        device_id: options.device_id(&path)?,
        role,
        idle_cart_ms: i64::from(options.kiosk_idle_secs) * 1000,
        ..EdgeConfig::default()
    };
    let edge = Edge::open(&path, config)?;
    if options.demo {
        demo::seed(&edge)?;
    }
    edge.abandon_idle(edge.now())?;
    Ok(Arc::new(edge))
}

/// Opens the edge for `options` and runs the app until its last window closes.
pub fn run(options: LaunchOptions) -> Result<(), RunError> {
    let edge = open_edge(&options)?;
    let sync = sync::Sync::new(&edge, options.sync_create_consumers)?;
    let state = AppState::with_sync(Arc::clone(&edge), options.manager_account()?, sync)?
        .with_kiosk_idle_secs(options.kiosk_idle_secs);
    let sync = state.sync();
    let app = configure(tauri::Builder::default(), state)
        .setup(move |app| {
            if let Some(url) = options.nats_url.clone() {
                // The engine spawns its task on the runtime: start it from inside.
                let (sync, creds) = (Arc::clone(&sync), options.nats_creds.clone());
                tauri::async_runtime::block_on(async move { sync.start(&url, creds) });
            }
            tauri::async_runtime::spawn(sync::bridge(app.handle().clone(), edge, sync));
            windows::open(app.handle(), &options)?;
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|_, _| {});
    Ok(())
}
