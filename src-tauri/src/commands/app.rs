//! Commands both windows may call.

use crate::error::ApiError;
use crate::state::AppState;
use serde::Serialize;
use tauri::{Runtime, State, WebviewWindow};

/// What the app tells a window about itself.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppInfo {
    /// The app's version.
    pub version: String,
    /// The label of the calling window (`kiosk` or `manager`).
    pub window: String,
    /// The edge database of the window's device.
    pub db_path: String,
    /// The window's device id.
    pub device_id: String,
    /// Seconds without a touch after which the kiosk resets to its start screen.
    pub kiosk_idle_secs: u32,
    /// The mall's phone format for the kiosk's number pad (`north_american`, `international`).
    pub phone_format: String,
}

/// The app's version, the calling window, its device's database and id, the kiosk idle time.
#[tauri::command]
pub async fn app_info<R: Runtime>(
    window: WebviewWindow<R>,
    state: State<'_, AppState>,
) -> Result<AppInfo, ApiError> {
    let edge = state.device_of(window.label())?.edge();
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        window: window.label().to_owned(),
        db_path: edge.path().display().to_string(),
        device_id: edge.config().device_id.clone(),
        kiosk_idle_secs: state.kiosk_idle_secs(),
        phone_format: edge.phone_format()?,
    })
}
