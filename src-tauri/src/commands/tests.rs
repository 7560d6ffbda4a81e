//! Command tests on Tauri's mock runtime with the real tauri.conf.json and capabilities, so a
//! call is authorized exactly as in the app.

use crate::memory::MemoryEdge;
use crate::state::AppState;
use serde_json::{json, Value};
use std::sync::Arc;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    _app: App<MockRuntime>,
    kiosk: WebviewWindow<MockRuntime>,
    manager: WebviewWindow<MockRuntime>,
}

fn harness() -> Harness {
    let edge = MemoryEdge::with_demo_mall("boss", "s3cret").expect("demo mall");
    let state = AppState::new(Arc::new(edge), Some("/tmp/edge.db".into()));
    let app = crate::configure(mock_builder(), state)
        .build(tauri::generate_context!(test = true))
        .expect("mock app");
    let kiosk = WebviewWindowBuilder::new(&app, "kiosk", WebviewUrl::default())
        .build()
        .expect("kiosk window");
    let manager = WebviewWindowBuilder::new(&app, "manager", WebviewUrl::default())
        .build()
        .expect("manager window");
    Harness {
        _app: app,
        kiosk,
        manager,
    }
}

/// Invokes `cmd` from `window` as the page at tauri://localhost would.
fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_owned(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().expect("json body"))
}

fn code(err: &Value) -> &str {
    err["code"].as_str().unwrap_or("<no code>")
}

#[test]
fn kiosk_browses_fills_a_basket_and_checks_out() {
    let h = harness();
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({})).unwrap();
    let stores: Vec<&str> = catalog
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["store"]["name"].as_str().unwrap())
        .collect();
    assert!(stores.contains(&"Volt Electronics"), "{stores:?}");
    assert!(
        !stores.contains(&"Closed For Renovation"),
        "non-participating store listed"
    );
    let earbuds = catalog
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["products"].as_array().unwrap())
        .find(|p| p["sku"] == "EAR-W1")
        .unwrap()
        .clone();

    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let args = json!({"basketId": basket["id"], "productId": earbuds["id"], "quantity": 2});
    let basket = invoke(&h.kiosk, "kiosk_add_item", args).unwrap();
    assert_eq!(basket["total"], json!({"cents": 15998, "currency": "USD"}));

    let checkout = json!({"checkout": {"basket_id": basket["id"], "sms_number": "5551234567", "card_token": "tok_visa"}});
    let order = invoke(&h.kiosk, "kiosk_checkout", checkout.clone()).unwrap();
    assert_eq!(order["status"], "pending");
    assert_eq!(order["id"], basket["id"]);
    let again = invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap_err();
    assert_eq!(code(&again), "basket_closed");
    let status = invoke(
        &h.kiosk,
        "kiosk_order_status",
        json!({"orderId": order["id"]}),
    )
    .unwrap();
    assert_eq!(status["total"]["cents"], 15998);
}

#[test]
fn errors_reach_the_ui_as_code_and_message() {
    let h = harness();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let checkout = json!({"checkout": {"basket_id": basket["id"], "sms_number": "5551234567", "card_token": "tok"}});
    let err = invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap_err();
    assert_eq!(code(&err), "basket_empty");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    let err = invoke(&h.kiosk, "kiosk_order_status", json!({"orderId": "nope"})).unwrap_err();
    assert_eq!(code(&err), "not_found");
}

#[test]
fn the_kiosk_window_is_refused_manager_commands() {
    let h = harness();
    for cmd in [
        "manager_sign_in",
        "manager_stores",
        "manager_set_participation",
    ] {
        let err = invoke(&h.kiosk, cmd, json!({"user": "boss", "password": "s3cret"})).unwrap_err();
        let text = err.as_str().unwrap_or_default();
        assert!(text.contains("not allowed"), "{cmd} from kiosk: {err}");
    }
}

#[test]
fn the_manager_window_is_refused_kiosk_commands() {
    let h = harness();
    let err = invoke(&h.manager, "kiosk_start_basket", json!({})).unwrap_err();
    assert!(
        err.as_str().unwrap_or_default().contains("not allowed"),
        "{err}"
    );
    // …but both windows may ask who they are.
    let info = invoke(&h.manager, "app_info", json!({})).unwrap();
    assert_eq!(info["window"], "manager");
    assert_eq!(info["db_path"], "/tmp/edge.db");
}

#[test]
fn manager_commands_need_a_signed_in_manager() {
    let h = harness();
    let err = invoke(&h.manager, "manager_stores", json!({})).unwrap_err();
    assert_eq!(code(&err), "not_signed_in");
    let bad = json!({"user": "boss", "password": "wrong"});
    let err = invoke(&h.manager, "manager_sign_in", bad).unwrap_err();
    assert_eq!(code(&err), "bad_credentials");

    let good = json!({"user": "boss", "password": "s3cret"});
    let session = invoke(&h.manager, "manager_sign_in", good).unwrap();
    assert_eq!(session["user"], "boss");
    let store = invoke(
        &h.manager,
        "manager_create_store",
        json!({"store": {"name": "Tea House", "location": "Level 2"}}),
    )
    .unwrap();
    let product = json!({"product": {"store_id": store["id"], "name": "Green tea", "description": "", "sku": "GT-1", "price_cents": 450}});
    invoke(&h.manager, "manager_add_product", product.clone()).unwrap();
    let dup = invoke(&h.manager, "manager_add_product", product).unwrap_err();
    assert_eq!(code(&dup), "already_exists");

    let off = json!({"storeId": store["id"], "participating": false});
    invoke(&h.manager, "manager_set_participation", off).unwrap();
    let kiosk_view = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "tea"})).unwrap();
    assert_eq!(
        kiosk_view,
        json!([]),
        "a non-participating store is hidden from the kiosk"
    );

    invoke(&h.manager, "manager_sign_out", json!({})).unwrap();
    let err = invoke(&h.manager, "manager_stores", json!({})).unwrap_err();
    assert_eq!(code(&err), "not_signed_in");
}

#[test]
fn cart_edits_keep_totals_and_closed_baskets_refuse_edits() {
    let h = harness();
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "sourdough"})).unwrap();
    let bread = catalog[0]["products"][0].clone();
    assert_eq!(bread["sku"], "BRD-SD", "search by product name: {catalog}");
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let item = json!({"basketId": basket["id"], "productId": bread["id"]});
    invoke(&h.kiosk, "kiosk_add_item", item.clone()).unwrap();
    let two = invoke(&h.kiosk, "kiosk_add_item", item.clone()).unwrap();
    assert_eq!(two["lines"][0]["quantity"], 2);
    assert_eq!(two["total"]["cents"], 1250);
    let one = invoke(&h.kiosk, "kiosk_remove_item", item.clone()).unwrap();
    assert_eq!(one["total"]["cents"], 625);
    let none = invoke(&h.kiosk, "kiosk_remove_item", item.clone()).unwrap();
    assert_eq!(none["lines"], json!([]), "a line at zero disappears");
    assert_eq!(none["total"]["cents"], 0);

    let zero = json!({"basketId": basket["id"], "productId": bread["id"], "quantity": 0});
    assert_eq!(
        code(&invoke(&h.kiosk, "kiosk_add_item", zero).unwrap_err()),
        "invalid_input"
    );
    let canceled = invoke(
        &h.kiosk,
        "kiosk_cancel_basket",
        json!({"basketId": basket["id"]}),
    );
    assert_eq!(canceled.unwrap()["status"], "canceled");
    let err = invoke(&h.kiosk, "kiosk_add_item", item).unwrap_err();
    assert_eq!(code(&err), "basket_closed");
}

#[test]
fn products_of_a_paused_store_cannot_be_added() {
    let h = harness();
    invoke(
        &h.manager,
        "manager_sign_in",
        json!({"user": "boss", "password": "s3cret"}),
    )
    .unwrap();
    let stores = invoke(&h.manager, "manager_stores", json!({})).unwrap();
    let volt = stores
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["store"]["name"] == "Volt Electronics")
        .unwrap()
        .clone();
    let off = json!({"storeId": volt["store"]["id"], "participating": false});
    invoke(&h.manager, "manager_set_participation", off).unwrap();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let item = json!({"basketId": basket["id"], "productId": volt["products"][0]["id"]});
    let err = invoke(&h.kiosk, "kiosk_add_item", item).unwrap_err();
    assert_eq!(code(&err), "product_unavailable");
}

#[test]
fn managers_edit_products_and_store_switches() {
    let h = harness();
    invoke(
        &h.manager,
        "manager_sign_in",
        json!({"user": "boss", "password": "s3cret"}),
    )
    .unwrap();
    let stores = invoke(&h.manager, "manager_stores", json!({})).unwrap();
    let grocer = stores
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["store"]["name"] == "Green Grocer")
        .unwrap()
        .clone();
    let bread = grocer["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sku"] == "BRD-SD")
        .unwrap()
        .clone();

    let price = json!({"productId": bread["id"], "priceCents": 699});
    let repriced = invoke(&h.manager, "manager_change_price", price.clone()).unwrap();
    assert_eq!(repriced["price"]["cents"], 699);
    let same = invoke(&h.manager, "manager_change_price", price).unwrap_err();
    assert_eq!(code(&same), "unchanged");
    let negative = json!({"productId": bread["id"], "priceCents": -1});
    let err = invoke(&h.manager, "manager_change_price", negative).unwrap_err();
    assert_eq!(code(&err), "invalid_input");

    let rename = json!({"productId": bread["id"], "name": "Rye loaf", "description": "Dark"});
    let renamed = invoke(&h.manager, "manager_rebrand_product", rename).unwrap();
    assert_eq!(
        (renamed["name"].as_str(), renamed["description"].as_str()),
        (Some("Rye loaf"), Some("Dark"))
    );
    let blank = json!({"productId": bread["id"], "name": "  "});
    let err = invoke(&h.manager, "manager_rebrand_product", blank).unwrap_err();
    assert_eq!(code(&err), "invalid_input");

    let bots_off = json!({"storeId": grocer["store"]["id"], "enabled": false});
    let store = invoke(
        &h.manager,
        "manager_set_automated_shopping",
        bots_off.clone(),
    )
    .unwrap();
    assert_eq!(store["automated_shopping"], false);
    let again = invoke(&h.manager, "manager_set_automated_shopping", bots_off).unwrap_err();
    assert_eq!(code(&again), "unchanged");

    let gone = json!({"productId": bread["id"]});
    invoke(&h.manager, "manager_remove_product", gone.clone()).unwrap();
    let err = invoke(&h.manager, "manager_remove_product", gone).unwrap_err();
    assert_eq!(code(&err), "not_found");
    let kiosk = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "loaf"})).unwrap();
    assert_eq!(kiosk, json!([]), "a removed product is not offered");
}

#[test]
fn a_customer_can_ask_to_cancel_a_placed_order() {
    let h = harness();
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "oat milk"})).unwrap();
    let milk = catalog[0]["products"][0]["id"].clone();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    invoke(
        &h.kiosk,
        "kiosk_add_item",
        json!({"basketId": basket["id"], "productId": milk}),
    )
    .unwrap();
    let checkout = json!({"checkout": {"basket_id": basket["id"], "sms_number": "5550001111", "card_token": "tok"}});
    let order = invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap();
    assert_eq!(order["cancel_requested"], false);
    let asked = invoke(
        &h.kiosk,
        "kiosk_request_cancel",
        json!({"orderId": order["id"]}),
    )
    .unwrap();
    assert_eq!(asked["cancel_requested"], true);
    assert_eq!(
        asked["status"], "pending",
        "central decides; the kiosk only asks"
    );
    let err = invoke(
        &h.manager,
        "kiosk_request_cancel",
        json!({"orderId": order["id"]}),
    )
    .unwrap_err();
    assert!(
        err.as_str().unwrap_or_default().contains("not allowed"),
        "{err}"
    );
}
