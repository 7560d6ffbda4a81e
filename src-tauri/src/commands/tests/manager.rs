//! Manager commands: sign-in, stores, products and store switches.

use super::{code, harness, harness_one_database, invoke};
use serde_json::json;

#[test]
fn manager_commands_need_a_signed_in_manager() {
    // One database for both windows: the kiosk sees the manager's store without a central.
    let h = harness_one_database();
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
    let product = json!({"product": {"store_id": store["store_id"], "name": "Green tea", "description": "", "sku": "GT-1", "price_cents": 450}});
    invoke(&h.manager, "manager_add_product", product.clone()).unwrap();
    let dup = invoke(&h.manager, "manager_add_product", product).unwrap_err();
    assert_eq!(code(&dup), "product.sku_taken");

    assert_eq!(store["participating"], false, "a new store starts paused");
    let kiosk_view = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "tea"})).unwrap();
    assert_eq!(
        kiosk_view,
        json!([]),
        "a paused store is hidden from the kiosk"
    );
    let on = json!({"storeId": store["store_id"], "participating": true});
    invoke(&h.manager, "manager_set_participation", on.clone()).unwrap();
    let kiosk_view = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "tea"})).unwrap();
    assert_eq!(kiosk_view[0]["products"][0]["sku"], "GT-1");
    let again = invoke(&h.manager, "manager_set_participation", on).unwrap_err();
    assert_eq!(code(&again), "store.already_participating");

    invoke(&h.manager, "manager_sign_out", json!({})).unwrap();
    let err = invoke(&h.manager, "manager_stores", json!({})).unwrap_err();
    assert_eq!(code(&err), "not_signed_in");
}

#[test]
fn products_of_a_paused_store_cannot_be_added() {
    // One database for both windows: the kiosk sees the pause without a central.
    let h = harness_one_database();
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
    let off = json!({"storeId": volt["store"]["store_id"], "participating": false});
    invoke(&h.manager, "manager_set_participation", off).unwrap();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let item =
        json!({"basketId": basket["cart_id"], "productId": volt["products"][0]["product_id"]});
    let err = invoke(&h.kiosk, "kiosk_add_item", item).unwrap_err();
    assert_eq!(code(&err), "basket.store_not_participating");
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

    let price = json!({"productId": bread["product_id"], "priceCents": 699});
    let repriced = invoke(&h.manager, "manager_change_price", price.clone()).unwrap();
    assert_eq!(repriced["price_cents"], 699);
    let same = invoke(&h.manager, "manager_change_price", price).unwrap_err();
    assert_eq!(code(&same), "product.price_unchanged");
    let negative = json!({"productId": bread["product_id"], "priceCents": -1});
    let err = invoke(&h.manager, "manager_change_price", negative).unwrap_err();
    assert_eq!(code(&err), "product.price_negative");

    let rename =
        json!({"productId": bread["product_id"], "name": "Rye loaf", "description": "Dark"});
    let renamed = invoke(&h.manager, "manager_rebrand_product", rename).unwrap();
    assert_eq!(
        (renamed["name"].as_str(), renamed["description"].as_str()),
        (Some("Rye loaf"), Some("Dark"))
    );
    let blank = json!({"productId": bread["product_id"], "name": "  "});
    let err = invoke(&h.manager, "manager_rebrand_product", blank).unwrap_err();
    assert_eq!(code(&err), "product.name_blank");

    let bots_off = json!({"storeId": grocer["store"]["store_id"], "enabled": false});
    let store = invoke(
        &h.manager,
        "manager_set_automated_shopping",
        bots_off.clone(),
    )
    .unwrap();
    assert_eq!(store["automated_shopping"], false);
    let again = invoke(&h.manager, "manager_set_automated_shopping", bots_off).unwrap_err();
    assert_eq!(code(&again), "store.automated_shopping_already_disabled");

    let gone = json!({"productId": bread["product_id"]});
    invoke(&h.manager, "manager_remove_product", gone.clone()).unwrap();
    let err = invoke(&h.manager, "manager_remove_product", gone).unwrap_err();
    assert_eq!(code(&err), "product.removed");
    let stores = invoke(&h.manager, "manager_stores", json!({})).unwrap();
    assert!(
        !stores.to_string().contains("Rye loaf"),
        "a removed product is not listed"
    );
    let kiosk = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "sourdough"})).unwrap();
    assert_eq!(
        kiosk[0]["products"][0]["price_cents"], 625,
        "the kiosk is another device: it learns of the manager's edits only through central"
    );
}
