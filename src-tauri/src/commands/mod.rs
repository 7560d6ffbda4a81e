//! The `#[tauri::command]`s: a few lines each over [`crate::api::EdgeApi`].
//!
//! Naming: `kiosk_*` commands are for the kiosk window, `manager_*` for the manager window,
//! `app_*` for both. Each command gets an `allow-<name-with-dashes>` permission from build.rs;
//! `capabilities/kiosk.json` and `capabilities/manager.json` grant them per window.

pub mod app;
pub mod kiosk;
pub mod manager;

#[cfg(test)]
mod tests;

use tauri::ipc::Invoke;
use tauri::Runtime;

/// The invoke handler registering every command (keep in sync with `COMMANDS` in build.rs).
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app::app_info,
        kiosk::kiosk_catalog,
        kiosk::kiosk_start_basket,
        kiosk::kiosk_add_item,
        kiosk::kiosk_remove_item,
        kiosk::kiosk_cancel_basket,
        kiosk::kiosk_checkout,
        kiosk::kiosk_order_status,
        manager::manager_sign_in,
        manager::manager_sign_out,
        manager::manager_stores,
        manager::manager_create_store,
        manager::manager_add_product,
        manager::manager_set_participation,
    ]
}
