//! Sign-in lockout, change events, CSV import and the two devices (orders, sales and the
//! hand-over are in [`super::orders`]).

use super::{code, harness, invoke, Harness};
use crate::events::CHANGED;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tauri::Listener;

fn sign_in(h: &Harness) {
    let good = json!({"user": "boss", "password": "s3cret"});
    invoke(&h.manager, "manager_sign_in", good).expect("sign in");
}

/// Collects the payloads of every `edge:changed` event.
fn record_changes(h: &Harness) -> Arc<Mutex<Vec<Value>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    h.app.listen_any(CHANGED, move |event| {
        let payload = serde_json::from_str(event.payload()).expect("json payload");
        sink.lock().unwrap().push(payload);
    });
    seen
}

#[test]
fn repeated_wrong_passwords_lock_the_manager_out() {
    let h = harness();
    let bad = json!({"user": "boss", "password": "guess"});
    for _ in 0..2 {
        let err = invoke(&h.manager, "manager_sign_in", bad.clone()).unwrap_err();
        assert_eq!(code(&err), "bad_credentials");
    }
    let err = invoke(&h.manager, "manager_sign_in", bad).unwrap_err();
    assert_eq!(code(&err), "locked_out", "third failure locks (policy: 3)");
    let good = json!({"user": "boss", "password": "s3cret"});
    let err = invoke(&h.manager, "manager_sign_in", good).unwrap_err();
    assert_eq!(code(&err), "locked_out", "even the right password waits");
    let err = invoke(&h.manager, "manager_stores", json!({})).unwrap_err();
    assert_eq!(code(&err), "not_signed_in");
}

#[test]
fn every_local_change_is_announced_to_the_windows() {
    let h = harness();
    let seen = record_changes(&h);
    sign_in(&h);
    assert!(seen.lock().unwrap().is_empty(), "sign-in changes no data");
    let store = invoke(
        &h.manager,
        "manager_create_store",
        json!({"store": {"name": "Tea House", "location": "Level 2"}}),
    )
    .unwrap();
    let changes = seen.lock().unwrap().clone();
    assert_eq!(
        changes,
        [json!({"topics": ["catalog", "sync"], "window": "manager"})]
    );

    let refused = json!({"storeId": store["store_id"], "participating": false});
    invoke(&h.manager, "manager_set_participation", refused).unwrap_err();
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "a refused change is not announced"
    );

    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "oat"})).unwrap();
    let item = json!({"basketId": basket["cart_id"], "productId": catalog[0]["products"][0]["product_id"]});
    invoke(&h.kiosk, "kiosk_add_item", item).unwrap();
    let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": "5550001111", "card_token": "tok"}});
    invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap();
    let last = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        last,
        json!({"topics": ["orders", "sync"], "order_id": basket["cart_id"], "window": "kiosk"})
    );
}

#[test]
fn a_csv_import_adds_good_lines_and_reports_bad_ones() {
    let h = harness();
    sign_in(&h);
    let stores = invoke(&h.manager, "manager_stores", json!({})).unwrap();
    let grocer = stores
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["store"]["name"] == "Green Grocer")
        .unwrap()["store"]["store_id"]
        .clone();
    let csv = "sku,name,description,price\n\
               PEAR-1,Conference pears,Per kg,3.20\n\
               BRD-SD,Another sourdough,,6.00\n\
               PLUM-1,Plums,,cheap\n\
               FIG-1,Figs,,4\n";
    let report = invoke(
        &h.manager,
        "manager_import_products",
        json!({"storeId": grocer, "csv": csv}),
    )
    .unwrap();
    let added: Vec<&Value> = report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["sku"])
        .collect();
    assert_eq!(added, [&json!("PEAR-1"), &json!("FIG-1")]);
    let errors: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(3, "product.sku_taken"), (4, "invalid_input")]);
    let stores = invoke(&h.manager, "manager_stores", json!({})).unwrap();
    let figs = stores
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["products"].as_array().unwrap())
        .find(|p| p["sku"] == "FIG-1")
        .expect("figs imported");
    assert_eq!(figs["price_cents"], 400);

    let bad = json!({"storeId": grocer, "csv": "just,a,header\n"});
    let err = invoke(&h.manager, "manager_import_products", bad).unwrap_err();
    assert_eq!(code(&err), "invalid_input");
}

#[test]
fn changes_made_outside_the_commands_reach_the_windows_through_the_sync_bridge() {
    use crate::state::AppState;
    use tauri::Manager;
    let h = harness();
    let seen = record_changes(&h);
    let state = h.app.state::<AppState>();
    let manager = state.manager().expect("manager device");
    let bridge = crate::sync::bridge(
        h.app.handle().clone(),
        "manager",
        manager.edge_arc(),
        manager.sync(),
    );
    let task = tauri::async_runtime::spawn(bridge);
    // Changes land as the inbox would write them: straight into the edge, no command, no emit
    // of their own. The bridge's first look is its baseline, so keep changing until one is seen.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut n = 0;
    let announced = loop {
        n += 1;
        let name = format!("Pop-up {n}");
        manager.edge().create_store(&name, "Atrium").expect("store");
        let changes = seen.lock().unwrap().clone();
        if let Some(change) = changes
            .iter()
            .find(|c| c["topics"].to_string().contains("catalog"))
        {
            break change.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no change announced: {changes:?}"
        );
        std::thread::sleep(crate::sync::COALESCE);
    };
    assert_eq!(
        announced["topics"],
        json!(["catalog", "orders", "depot", "sync"])
    );
    assert_eq!(announced["window"], "manager", "to the device's own window");
    task.abort();
}

#[test]
fn the_kiosk_and_the_manager_are_two_devices() {
    let h = harness();
    let seen = record_changes(&h);
    sign_in(&h);
    let kiosk_waiting = |h: &Harness| {
        invoke(&h.kiosk, "kiosk_sync_status", json!({})).unwrap()["waiting"]
            .as_u64()
            .unwrap()
    };
    let manager_status = invoke(&h.manager, "manager_sync_status", json!({})).unwrap();
    assert_eq!(manager_status["device_id"], "test-desk");
    assert_eq!(manager_status["state"], "offline");
    assert!(manager_status["problem"].is_null());
    let kiosk_status = invoke(&h.kiosk, "kiosk_sync_status", json!({})).unwrap();
    assert_eq!(kiosk_status["device_id"], "test-kiosk");
    assert_eq!(
        kiosk_status["waiting"], 0,
        "the demo catalog is the manager's"
    );
    assert!(
        manager_status["waiting"].as_u64().unwrap() > 10,
        "{manager_status}"
    );

    // A kiosk order is the kiosk's to send, and announced to the kiosk window only.
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "earbuds"})).unwrap();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let item = json!({"basketId": basket["cart_id"], "productId": catalog[0]["products"][0]["product_id"]});
    invoke(&h.kiosk, "kiosk_add_item", item).unwrap();
    let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": "5550001111", "card_token": "tok"}});
    invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap();
    let kiosk_after_order = kiosk_waiting(&h);
    assert!(kiosk_after_order >= 3, "{kiosk_after_order}");
    let after = invoke(&h.manager, "manager_sync_status", json!({})).unwrap();
    assert_eq!(
        after["waiting"], manager_status["waiting"],
        "not the manager's"
    );
    let orders = invoke(&h.manager, "manager_orders", json!({})).unwrap();
    assert_eq!(
        orders,
        json!([]),
        "the desk learns of orders from central only"
    );

    // A manager's store is the manager's: the kiosk does not have it until central says so.
    invoke(
        &h.manager,
        "manager_create_store",
        json!({"store": {"name": "Tea House", "location": "Level 2"}}),
    )
    .unwrap();
    let stores = invoke(&h.manager, "manager_stores", json!({})).unwrap();
    assert!(stores.to_string().contains("Tea House"));
    assert_eq!(
        kiosk_waiting(&h),
        kiosk_after_order,
        "the kiosk sends nothing of it"
    );
    let windows: Vec<Value> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| c["window"].clone())
        .collect();
    assert_eq!(windows.first(), Some(&json!("kiosk")), "{windows:?}");
    assert_eq!(windows.last(), Some(&json!("manager")), "{windows:?}");
}
