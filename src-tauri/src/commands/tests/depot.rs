//! The depot screen's command over central's bot and list events, received as sync receives
//! them (through the edge's inbox).

use super::{code, harness, invoke, Harness};
use crate::state::AppState;
use mallbots_edge::domain::bots::BotEvent;
use mallbots_edge::domain::depot::{ListEvent, ListItem, Stop};
use mallbots_edge::domain::{
    BotId, DomainEvent, OrderId, ProductId, ShoppingListId, StoreId, Timestamp,
};
use mallbots_edge::{central_message, Received};
use serde::Serialize;
use serde_json::json;
use tauri::Manager;

/// Delivers `event` on `<root>.ev.depot.<kind>.<id>` at stream sequence `seq`.
fn deliver<E: DomainEvent + Serialize>(h: &Harness, seq: u64, kind: &str, id: &str, event: &E) {
    let subject = format!("mallbots.ev.depot.{kind}.{id}");
    let msg = central_message(
        &subject,
        seq,
        kind,
        id,
        1_700_000_000_000 + seq as i64,
        event,
    )
    .expect("message");
    let state = h.app.state::<AppState>();
    assert_eq!(
        state
            .manager()
            .expect("manager device")
            .edge()
            .deliver(msg)
            .expect("deliver"),
        Received::Applied
    );
}

#[test]
fn the_depot_shows_central_bots_and_lists_with_named_stops() {
    let h = harness();
    let err = invoke(&h.manager, "manager_depot", json!({})).unwrap_err();
    assert_eq!(code(&err), "not_signed_in");
    invoke(
        &h.manager,
        "manager_sign_in",
        json!({"user": "boss", "password": "s3cret"}),
    )
    .expect("sign in");
    let empty = invoke(&h.manager, "manager_depot", json!({})).unwrap();
    assert_eq!(empty, json!({"bots": [], "lists": []}));

    let stores = invoke(&h.manager, "manager_stores", json!({})).unwrap();
    let store: StoreId = stores[0]["store"]["store_id"]
        .as_str()
        .expect("store id")
        .parse()
        .expect("uuid");
    let store_name = stores[0]["store"]["name"].clone();
    let id = |n: u128| uuid::Uuid::from_u128(n);
    let (bot, list, order) = (
        BotId::from_uuid(id(1)),
        ShoppingListId::from_uuid(id(2)),
        OrderId::from_uuid(id(3)),
    );
    let at = Timestamp::from_millis;
    let item = ListItem {
        store_id: store,
        product_id: ProductId::for_sku(store, "APL-1KG"),
        product_name: "Apples".into(),
        quantity: 3,
    };
    let (b, l) = (bot.to_string(), list.to_string());
    let online = BotEvent::BotCameOnline {
        bot_id: bot,
        name: "Scout".into(),
        at: at(1),
    };
    deliver(&h, 1, "bot", &b, &online);
    let created = ListEvent::ShoppingListCreated {
        list_id: list,
        order_id: order,
        stops: Stop::plan(&[item]),
        at: at(2),
    };
    deliver(&h, 2, "list", &l, &created);
    let assigned = ListEvent::ShoppingListAssigned {
        list_id: list,
        order_id: order,
        bot_id: bot,
        at: at(3),
    };
    deliver(&h, 3, "list", &l, &assigned);
    let arrived = BotEvent::BotArrivedAtStore {
        bot_id: bot,
        list_id: list,
        store_id: store,
        at: at(4),
    };
    deliver(&h, 4, "bot", &b, &arrived);

    let depot = invoke(&h.manager, "manager_depot", json!({})).unwrap();
    let bots = depot["bots"].as_array().expect("bots");
    assert_eq!(bots.len(), 1, "{depot}");
    assert_eq!(bots[0]["name"], "Scout");
    assert_eq!(bots[0]["status"], "shopping");
    assert_eq!(bots[0]["list_id"], json!(l));
    assert_eq!(bots[0]["store_name"], store_name);
    let lists = depot["lists"].as_array().expect("lists");
    assert_eq!(lists.len(), 1, "{depot}");
    assert_eq!(lists[0]["order_id"], json!(order.to_string()));
    assert_eq!(lists[0]["status"], "assigned");
    assert_eq!(lists[0]["bot_name"], "Scout");
    assert_eq!(
        lists[0]["stops"],
        json!([{"store_id": store.to_string(), "store_name": store_name, "quantity": 3,
            "items": [{"product_id": ProductId::for_sku(store, "APL-1KG").to_string(),
                       "product_name": "Apples", "quantity": 3}],
            "picked": false, "prepared": false}])
    );

    let err = invoke(&h.kiosk, "manager_depot", json!({})).unwrap_err();
    assert!(
        err.as_str().is_some_and(|e| e.contains("not allowed")),
        "{err}"
    );
}
