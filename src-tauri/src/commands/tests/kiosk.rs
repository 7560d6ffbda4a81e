//! Kiosk commands: catalog, cart, checkout, order status and cancellation requests.

use super::{code, harness, invoke};
use serde_json::json;

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
    let args =
        json!({"basketId": basket["cart_id"], "productId": earbuds["product_id"], "quantity": 2});
    let basket = invoke(&h.kiosk, "kiosk_add_item", args).unwrap();
    assert_eq!(
        (&basket["total_cents"], &basket["currency"]),
        (&json!(15998), &json!("USD"))
    );

    let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": "5551234567", "card_token": "tok_visa"}});
    let order = invoke(&h.kiosk, "kiosk_checkout", checkout.clone()).unwrap();
    assert_eq!(order["status"], "pending");
    assert_eq!(order["order_id"], basket["cart_id"]);
    let again = invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap_err();
    assert_eq!(code(&again), "basket.not_open");
    let status = invoke(
        &h.kiosk,
        "kiosk_order_status",
        json!({"orderId": order["order_id"]}),
    )
    .unwrap();
    assert_eq!(status["total_cents"], 15998);
}

#[test]
fn errors_reach_the_ui_as_code_and_message() {
    let h = harness();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": "5551234567", "card_token": "tok"}});
    let err = invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap_err();
    assert_eq!(code(&err), "basket.empty");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    let err = invoke(&h.kiosk, "kiosk_order_status", json!({"orderId": "nope"})).unwrap_err();
    assert_eq!(code(&err), "invalid_argument", "a malformed id");
    let err = invoke(
        &h.kiosk,
        "kiosk_order_status",
        json!({"orderId": basket["cart_id"]}),
    )
    .unwrap_err();
    assert_eq!(code(&err), "not_found", "a cart that was never ordered");
}

#[test]
fn cart_edits_keep_totals_and_closed_baskets_refuse_edits() {
    let h = harness();
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "sourdough"})).unwrap();
    let bread = catalog[0]["products"][0].clone();
    assert_eq!(bread["sku"], "BRD-SD", "search by product name: {catalog}");
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let item = json!({"basketId": basket["cart_id"], "productId": bread["product_id"]});
    invoke(&h.kiosk, "kiosk_add_item", item.clone()).unwrap();
    let two = invoke(&h.kiosk, "kiosk_add_item", item.clone()).unwrap();
    assert_eq!(two["lines"][0]["quantity"], 2);
    assert_eq!(two["total_cents"], 1250);
    let one = invoke(&h.kiosk, "kiosk_remove_item", item.clone()).unwrap();
    assert_eq!(one["total_cents"], 625);
    let none = invoke(&h.kiosk, "kiosk_remove_item", item.clone()).unwrap();
    assert_eq!(none["lines"], json!([]), "a line at zero disappears");
    assert_eq!(none["total_cents"], 0);

    let zero =
        json!({"basketId": basket["cart_id"], "productId": bread["product_id"], "quantity": 0});
    assert_eq!(
        code(&invoke(&h.kiosk, "kiosk_add_item", zero).unwrap_err()),
        "basket.quantity_not_positive"
    );
    let canceled = invoke(
        &h.kiosk,
        "kiosk_cancel_basket",
        json!({"basketId": basket["cart_id"]}),
    );
    assert_eq!(canceled.unwrap()["status"], "canceled");
    let err = invoke(&h.kiosk, "kiosk_add_item", item).unwrap_err();
    assert_eq!(code(&err), "basket.not_open");
}

#[test]
fn a_customer_can_ask_to_cancel_a_placed_order() {
    let h = harness();
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({"query": "oat milk"})).unwrap();
    let milk = catalog[0]["products"][0]["product_id"].clone();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    invoke(
        &h.kiosk,
        "kiosk_add_item",
        json!({"basketId": basket["cart_id"], "productId": milk}),
    )
    .unwrap();
    let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": "5550001111", "card_token": "tok"}});
    let order = invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap();
    assert_eq!(order["cancellation_requested"], false);
    let asked = invoke(
        &h.kiosk,
        "kiosk_request_cancel",
        json!({"orderId": order["order_id"]}),
    )
    .unwrap();
    assert_eq!(asked["cancellation_requested"], true);
    assert_eq!(
        asked["status"], "pending",
        "central decides; the kiosk only asks"
    );
    let err = invoke(
        &h.manager,
        "kiosk_request_cancel",
        json!({"orderId": order["order_id"]}),
    )
    .unwrap_err();
    assert!(
        err.as_str().unwrap_or_default().contains("not allowed"),
        "{err}"
    );
}

#[test]
fn a_refused_checkout_registers_no_customer() {
    use tauri::Manager;
    let h = harness();
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({})).unwrap();
    let product = catalog[0]["products"][0]["product_id"].clone();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let args = json!({"basketId": basket["cart_id"], "productId": product});
    invoke(&h.kiosk, "kiosk_add_item", args).unwrap();
    let state = h.app.state::<crate::AppState>();
    let counts = || state.kiosk().unwrap().edge().local_counts().unwrap();
    let before = counts();
    for (phone, token, want) in [
        ("5551234567", "  ", "basket.payment_missing"),
        ("5551234567", &*"t".repeat(129), "basket.payment_too_long"),
        ("12", "tok_visa", "customer.sms_number_invalid"),
    ] {
        let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": phone, "card_token": token}});
        let err = invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap_err();
        assert_eq!(code(&err), want);
        assert_eq!(counts(), before, "{want}: a refused checkout wrote events");
    }
    let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": "555 123 4567", "card_token": "tok_visa"}});
    let order = invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap();
    assert_eq!(order["sms_number"], "5551234567");
    assert_eq!(counts().events, before.events + 3);
}

#[test]
fn arguments_of_the_wrong_type_are_coded_errors() {
    let h = harness();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let calls = [
        ("kiosk_cancel_basket", json!({"basketId": 7})),
        ("kiosk_cancel_basket", json!({})),
        (
            "kiosk_add_item",
            json!({"basketId": basket["cart_id"], "productId": "p", "quantity": "2"}),
        ),
        (
            "kiosk_add_item",
            json!({"basketId": basket["cart_id"], "productId": "p", "quantity": u64::MAX}),
        ),
        ("kiosk_checkout", json!({"checkout": {"basket_id": 1}})),
    ];
    for (cmd, args) in calls {
        let err = invoke(&h.kiosk, cmd, args.clone()).unwrap_err();
        assert_eq!(code(&err), "invalid_argument", "{cmd} {args}: {err}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

/// A product a manager removed while it sat in the basket: the basket says so (`unavailable`),
/// checkout is refused with a coded, plain message until the customer takes it out.
#[test]
fn a_product_removed_while_in_the_basket_blocks_checkout_until_taken_out() {
    let h = harness();
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({})).unwrap();
    let earbuds = catalog
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["products"].as_array().unwrap())
        .find(|p| p["sku"] == "EAR-W1")
        .unwrap()
        .clone();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let args =
        json!({"basketId": basket["cart_id"], "productId": earbuds["product_id"], "quantity": 2});
    let basket = invoke(&h.kiosk, "kiosk_add_item", args).unwrap();
    assert_eq!(basket["unavailable"], json!([]));
    // The removal as it reaches the kiosk's database (here written on the kiosk's own edge).
    use tauri::Manager;
    let state = h.app.state::<crate::AppState>();
    let product = earbuds["product_id"].as_str().unwrap().parse().unwrap();
    state
        .kiosk()
        .unwrap()
        .edge()
        .remove_product(product)
        .unwrap();
    let now = invoke(
        &h.kiosk,
        "kiosk_basket",
        json!({"basketId": basket["cart_id"]}),
    )
    .unwrap();
    assert_eq!(now["unavailable"], json!([earbuds["product_id"]]));
    let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": "5551234567", "card_token": "tok_visa"}});
    let refused = invoke(&h.kiosk, "kiosk_checkout", checkout.clone()).unwrap_err();
    assert_eq!(code(&refused), "basket.item_unavailable");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("no longer sold"),
        "{refused}"
    );
    let args =
        json!({"basketId": basket["cart_id"], "productId": earbuds["product_id"], "quantity": 2});
    let emptied = invoke(&h.kiosk, "kiosk_remove_item", args).unwrap();
    assert_eq!(emptied["unavailable"], json!([]));
}
