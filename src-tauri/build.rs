//! Build script: compiles tauri.conf.json, the capabilities and one `allow-…`/`deny-…` permission
//! per app command into the binary (that is what lets a capability allow single commands).

/// Every `#[tauri::command]` the app registers. A command missing here has no permission and is
/// refused in every window; keep it in sync with `commands::handler()`.
const COMMANDS: &[&str] = &[
    "app_info",
    "kiosk_catalog",
    "kiosk_start_basket",
    "kiosk_add_item",
    "kiosk_remove_item",
    "kiosk_cancel_basket",
    "kiosk_abandon_idle",
    "kiosk_checkout",
    "kiosk_order_status",
    "kiosk_request_cancel",
    "kiosk_sync_status",
    "manager_sign_in",
    "manager_sign_out",
    "manager_stores",
    "manager_create_store",
    "manager_add_product",
    "manager_set_participation",
    "manager_set_automated_shopping",
    "manager_rebrand_product",
    "manager_change_price",
    "manager_remove_product",
    "manager_import_products",
    "manager_orders",
    "manager_order",
    "manager_request_pickup",
    "manager_mark_stop_prepared",
    "manager_depot",
    "manager_sales",
    "manager_sync_status",
];

fn main() {
    ensure_frontend_dist();
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}

/// `generate_context!` refuses to compile without `frontendDist`. When the UI has not been built
/// (`npm run build` in ui/), put a page there that says so, so `cargo check` works anywhere.
fn ensure_frontend_dist() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(&dist).expect("create ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><title>MallBots</title><p>The UI is not built: run \
             <code>npm run build</code> in ui/ (scripts/test.sh does).</p>",
        )
        .expect("write placeholder ui/dist/index.html");
    }
}
