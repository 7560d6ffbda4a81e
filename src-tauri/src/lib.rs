//! # mallbots-app
//!
//! The Tauri v2 shell of MallBots Edge: the customer kiosk window and the store-manager window,
//! the commands they call (thin wrappers in [`commands`] over [`api::EdgeApi`]), and the
//! capabilities that keep the kiosk away from manager commands. Not the use cases themselves
//! (those belong to `mallbots-edge`), not the UI (that is `ui/`, built into `ui/dist`).

pub mod api;
pub mod auth;
pub mod backoffice;
pub mod commands;
pub mod csv_import;
pub mod demo;
pub mod error;
pub mod events;
pub mod launch;
pub mod memory;
pub mod state;
pub mod windows;

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
    /// The use-case API could not be set up.
    #[error("could not open the edge: {0}")]
    Edge(#[from] ApiError),
    /// Tauri failed to build or run the app.
    #[error("tauri: {0}")]
    Tauri(#[from] tauri::Error),
}

/// Builds the state for `options` and runs the app until its last window closes.
pub fn run(options: LaunchOptions) -> Result<(), RunError> {
    let edge = memory::MemoryEdge::with_demo_mall()?;
    let state = AppState::new(
        Arc::new(edge),
        options.manager_account()?,
        options.db.clone(),
    )
    .with_kiosk_idle_secs(options.kiosk_idle_secs);
    let app = configure(tauri::Builder::default(), state)
        .setup(move |app| {
            windows::open(app.handle(), &options)?;
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|_, _| {});
    Ok(())
}
