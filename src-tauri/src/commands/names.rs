// Every `#[tauri::command]` the app registers, the one list of their names. build.rs includes
// this file to generate one `allow-…`/`deny-…` permission per command (a command missing here has
// no permission and is refused in every window); `commands::tests::names` checks that
// `commands::handler()`, the capabilities and `ui/src/lib/api.ts` use exactly these names.
// (Plain comments: build.rs `include!`s the file.)

/// The app's command names.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "kiosk_catalog",
    "kiosk_start_basket",
    "kiosk_basket",
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
    "manager_place_store",
    "manager_rebrand_product",
    "manager_change_price",
    "manager_remove_product",
    "manager_import_products",
    "manager_orders",
    "manager_order",
    "manager_order_trail",
    "manager_product_trail",
    "manager_bot_trail",
    "manager_request_pickup",
    "manager_mark_stop_prepared",
    "manager_depot",
    "manager_sales",
    "manager_sync_status",
];
