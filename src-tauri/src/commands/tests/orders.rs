//! The manager's orders, sales and hand-over. The desk knows the mall's orders only as central
//! reports them (its `OrderLineUpdated` events on `mallbots.ev.store.<store>.orderline.<order>`):
//! here they are received through the desk's inbox exactly as its sync would receive them
//! ([`mallbots_edge::Edge::deliver`]), for orders a kiosk of the same app really placed. The
//! whole way through central runs in `tests/tests/gui_mall_journey.rs`.

use super::{code, harness, invoke, Harness};
use crate::state::AppState;
use mallbots_edge::domain::ordering::OrderLineEvent;
use mallbots_edge::domain::ordering::{OrderItem, OrderStatus};
use mallbots_edge::domain::payments::{InvoiceStatus, PaymentStatus};
use mallbots_edge::domain::{Money, Timestamp};
use mallbots_edge::{central_message, Received};
use serde_json::{json, Value};
use tauri::Manager;

fn sign_in(h: &Harness) {
    let good = json!({"user": "boss", "password": "s3cret"});
    invoke(&h.manager, "manager_sign_in", good).expect("sign in");
}

/// Places an order on the kiosk window: `quantity` of the first product found for `query`.
/// Returns the order id and the product as the kiosk's catalog shows it.
fn place_order(h: &Harness, query: &str, quantity: i64, phone: &str) -> (String, Value) {
    let catalog = invoke(&h.kiosk, "kiosk_catalog", json!({ "query": query })).unwrap();
    let mut product = catalog[0]["products"][0].clone();
    product["storeName"] = catalog[0]["store"]["name"].clone();
    let basket = invoke(&h.kiosk, "kiosk_start_basket", json!({})).unwrap();
    let item = json!({"basketId": basket["cart_id"], "productId": product["product_id"], "quantity": quantity});
    invoke(&h.kiosk, "kiosk_add_item", item).unwrap();
    let checkout = json!({"checkout": {"basket_id": basket["cart_id"], "sms_number": phone, "card_token": "tok"}});
    invoke(&h.kiosk, "kiosk_checkout", checkout).unwrap();
    (basket["cart_id"].as_str().unwrap().to_owned(), product)
}

/// Central's report of `order`'s line at the product's store reaching `status` (its
/// `order_seq`-th change), delivered to the manager device as stream message `stream_seq`.
fn central_reports(
    h: &Harness,
    order: &str,
    product: &Value,
    quantity: i64,
    phone: &str,
    (status, order_seq, stream_seq): (OrderStatus, u64, u64),
) {
    let state = h.app.state::<AppState>();
    let desk = state.manager().unwrap().edge();
    let now = desk.now().0;
    let store = serde_json::from_value(product["store_id"].clone()).expect("store id");
    let order_id = serde_json::from_value(json!(order)).expect("order id");
    let (payment, invoice) = match status {
        OrderStatus::Ready => (
            Some(PaymentStatus::Authorized),
            Some(InvoiceStatus::Pending),
        ),
        OrderStatus::Completed => (Some(PaymentStatus::Captured), Some(InvoiceStatus::Paid)),
        _ => (Some(PaymentStatus::Authorized), None),
    };
    let event = OrderLineEvent::OrderLineUpdated {
        order_id,
        store_id: store,
        device: "test-kiosk".into(),
        status,
        items: vec![OrderItem {
            product_id: serde_json::from_value(product["product_id"].clone()).expect("product id"),
            store_id: store,
            store_name: product["storeName"].as_str().unwrap().to_owned(),
            product_name: product["name"].as_str().unwrap().to_owned(),
            price: Money::usd(product["price_cents"].as_i64().unwrap()),
            quantity,
        }],
        order_seq,
        at: Timestamp::from_millis(now),
        placed_at: Some(Timestamp::from_millis(now - 1_000)),
        payment,
        invoice,
        phone_last4: Some(phone[phone.len() - 4..].to_owned()),
    };
    let subject = format!("mallbots.ev.store.{store}.orderline.{order}");
    let message =
        central_message(&subject, stream_seq, "orderline", order, now, &event).expect("message");
    assert_eq!(desk.deliver(message).unwrap(), Received::Applied);
}

#[test]
fn the_desk_sees_a_kiosk_order_and_its_sales_once_central_reports_them() {
    let h = harness();
    sign_in(&h);
    let (order, earbuds) = place_order(&h, "earbuds", 1, "5550001111");
    assert_eq!(
        invoke(&h.manager, "manager_orders", json!({})).unwrap(),
        json!([]),
        "the kiosk's order reaches the desk through central only"
    );
    let kiosk_status = invoke(&h.kiosk, "kiosk_sync_status", json!({})).unwrap();
    assert!(
        kiosk_status["waiting"].as_u64().unwrap() >= 3,
        "basket, item and checkout wait on the kiosk: {kiosk_status}"
    );

    let report =
        |status, seq| central_reports(&h, &order, &earbuds, 1, "5550001111", (status, seq, seq));
    report(OrderStatus::Approved, 1);
    let orders = invoke(&h.manager, "manager_orders", json!({})).unwrap();
    assert_eq!(orders[0]["order_id"], json!(order));
    assert_eq!(orders[0]["status"], "approved");
    assert_eq!(orders[0]["total_cents"], 7999);
    assert!(orders[0]["placed_at"].as_i64().unwrap() > 1_700_000_000_000);
    let sales = invoke(&h.manager, "manager_sales", json!({"days": 7})).unwrap();
    assert_eq!(sales[6]["orders"], 0, "approved is not sold yet: {sales}");

    report(OrderStatus::Ready, 2);
    for args in [
        json!({"days": 7}),
        json!({"days": 7, "storeId": earbuds["store_id"]}),
    ] {
        let sales = invoke(&h.manager, "manager_sales", args).unwrap();
        let sales = sales.as_array().unwrap();
        assert_eq!(sales.len(), 7);
        assert_eq!(sales[6]["orders"], 1, "today is last: {sales:?}");
        assert_eq!(sales[6]["total_cents"], 7999);
    }
    let err = invoke(&h.manager, "manager_sales", json!({"days": 0})).unwrap_err();
    assert_eq!(code(&err), "invalid_input");
    let status = invoke(&h.manager, "manager_sync_status", json!({})).unwrap();
    assert!(status["waiting"].is_u64(), "{status}");
}

#[test]
fn the_orders_view_filters_and_details_an_order() {
    let h = harness();
    sign_in(&h);
    let mut ids = Vec::new();
    for (n, phone) in [(1, "5550001111"), (2, "5550002222")] {
        let (order, oat) = place_order(&h, "oat", 2, phone);
        central_reports(&h, &order, &oat, 2, phone, (OrderStatus::Approved, 1, n));
        ids.push(order);
    }
    let all = invoke(&h.manager, "manager_orders", json!({})).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let by_phone = json!({"filter": {"phone_digits": "2222"}});
    let found = invoke(&h.manager, "manager_orders", by_phone).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["order_id"], json!(ids[1]));
    assert_eq!(found[0]["phone_last4"], "2222");
    assert_eq!(found[0]["item_count"], 2);
    assert_eq!(found[0]["store_names"], json!(["Green Grocer"]));
    let ready = json!({"filter": {"status": "ready"}});
    assert_eq!(
        invoke(&h.manager, "manager_orders", ready).unwrap(),
        json!([])
    );
    let future = json!({"filter": {"from_day": "2999-01-01"}});
    assert_eq!(
        invoke(&h.manager, "manager_orders", future).unwrap(),
        json!([])
    );
    let bad = json!({"filter": {"status": "lost"}});
    let err = invoke(&h.manager, "manager_orders", bad).unwrap_err();
    assert_eq!(code(&err), "invalid_input");

    let detail = invoke(&h.manager, "manager_order", json!({"orderId": ids[0]})).unwrap();
    assert_eq!(detail["order"]["order_id"], json!(ids[0]));
    assert_eq!(detail["order"]["status"], "approved");
    assert_eq!(detail["lines"][0]["items"][0]["quantity"], 2);
    let history: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["pending", "approved"], "placed, then approved");
    assert_eq!(detail["order"]["payment"], "authorized");
    let unknown = json!({"orderId": "0192f0c0-0000-7000-8000-000000000009"});
    let err = invoke(&h.manager, "manager_order", unknown).unwrap_err();
    assert_eq!(code(&err), "not_found");
    let err = invoke(&h.kiosk, "manager_order", json!({"orderId": ids[0]})).unwrap_err();
    assert!(
        err.as_str().unwrap_or_default().contains("not allowed"),
        "{err}"
    );
}

#[test]
fn a_hand_over_is_refused_by_the_desk_until_the_order_is_ready_then_sent_to_central() {
    let h = harness();
    let (order, apples) = place_order(&h, "apples", 1, "5550003333");
    // The code the kiosk's confirmation shows the customer, with its QR code.
    let placed = invoke(&h.kiosk, "kiosk_order_status", json!({ "orderId": order })).unwrap();
    let pickup_code = placed["pickup_code"].as_str().unwrap().to_owned();
    assert_eq!(pickup_code.len(), 6, "{placed}");
    assert!(
        placed["pickup_qr"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;charset=utf-8,%3C"),
        "{placed}"
    );
    let ask = json!({ "orderId": order, "code": pickup_code });
    let err = invoke(&h.manager, "manager_request_pickup", ask.clone()).unwrap_err();
    assert_eq!(code(&err), "not_signed_in");
    sign_in(&h);
    let err = invoke(
        &h.manager,
        "manager_request_pickup",
        json!({"orderId": "x", "code": "123456"}),
    )
    .unwrap_err();
    assert_eq!(code(&err), "invalid_argument");
    let err = invoke(
        &h.manager,
        "manager_request_pickup",
        json!({ "orderId": order }),
    )
    .unwrap_err();
    assert_eq!(code(&err), "invalid_argument", "the code is asked for");

    central_reports(
        &h,
        &order,
        &apples,
        1,
        "5550003333",
        (OrderStatus::Approved, 1, 1),
    );
    let err = invoke(&h.manager, "manager_request_pickup", ask.clone()).unwrap_err();
    assert_eq!(code(&err), "pickup.not_ready", "{err}");
    let listed = invoke(&h.manager, "manager_orders", json!({})).unwrap();
    assert_eq!(
        listed[0]["pickup"],
        serde_json::Value::Null,
        "a refusal sends nothing"
    );

    central_reports(
        &h,
        &order,
        &apples,
        1,
        "5550003333",
        (OrderStatus::Ready, 2, 2),
    );
    let answer = invoke(&h.manager, "manager_request_pickup", ask.clone()).unwrap();
    assert_eq!(answer["status"], "requested", "{answer}");
    let listed = invoke(&h.manager, "manager_orders", json!({})).unwrap();
    assert_eq!(listed[0]["pickup"]["status"], "requested");
    let status = invoke(&h.manager, "manager_sync_status", json!({})).unwrap();
    assert!(
        status["waiting"].as_u64().unwrap() >= 1,
        "the request waits for central: {status}"
    );

    central_reports(
        &h,
        &order,
        &apples,
        1,
        "5550003333",
        (OrderStatus::Completed, 3, 3),
    );
    let detail = invoke(&h.manager, "manager_order", ask.clone()).unwrap();
    assert_eq!(detail["order"]["status"], "completed");
    assert_eq!(detail["order"]["payment"], "captured");
    let err = invoke(&h.manager, "manager_request_pickup", ask.clone()).unwrap_err();
    assert_eq!(code(&err), "pickup.already_completed", "{err}");
    for cmd in ["manager_request_pickup", "manager_mark_stop_prepared"] {
        let err = invoke(&h.kiosk, cmd, ask.clone()).unwrap_err();
        assert!(
            err.as_str().unwrap_or_default().contains("not allowed"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn a_counter_preparation_is_sent_for_a_list_the_desk_has_not_seen_yet() {
    let h = harness();
    sign_in(&h);
    let stop = json!({"listId": "0192f0c0-0000-7000-8000-000000000002", "storeId": "0192f0c0-0000-7000-8000-000000000001"});
    invoke(&h.manager, "manager_mark_stop_prepared", stop).expect("queued for central");
    let status = invoke(&h.manager, "manager_sync_status", json!({})).unwrap();
    assert!(status["waiting"].as_u64().unwrap() >= 1, "{status}");
    let bad = json!({"listId": "nope", "storeId": "0192f0c0-0000-7000-8000-000000000001"});
    let err = invoke(&h.manager, "manager_mark_stop_prepared", bad).unwrap_err();
    assert_eq!(code(&err), "invalid_argument");
}
