//! Desk requests on the edge: `request_pickup` / `mark_stop_prepared` commit a request on the
//! desk's own subject; central's refusals arriving on `R.ev.deskans.<device>.<id>` go through
//! the inbox into `rm_desk_requests`; what the desk already knows from its order lines is refused
//! locally with the codes central would use.

use mallbots_edge::domain::depot::{ListEvent, ListItem, Stop};
use mallbots_edge::domain::desk::DeskEvent;
use mallbots_edge::domain::ordering::{OrderItem, OrderStatus};
use mallbots_edge::domain::{Money, OrderId, ProductId, ShoppingListId, StoreId, Timestamp};
use mallbots_edge::sync::OrderLineEvent;
use mallbots_edge::{central_message, Edge, EdgeConfig, Received, Role};
use uuid::Uuid;

const AT: i64 = 1_700_000_000_000;

fn desk(dir: &std::path::Path, role: Role) -> Edge {
    let config = EdgeConfig {
        device_id: "m1".into(),
        role,
        user: Some("alice".into()),
        ..EdgeConfig::default()
    };
    Edge::open(dir.join(format!("{role:?}.db")), config).unwrap()
}

fn order_line(edge: &Edge, seq: u64, order: OrderId, store: StoreId, status: OrderStatus) {
    let line = OrderLineEvent::OrderLineUpdated {
        order_id: order,
        store_id: store,
        device: "k1".into(),
        status,
        items: vec![OrderItem {
            product_id: ProductId::for_sku(store, "TEA"),
            store_id: store,
            store_name: "Grocer".into(),
            product_name: "Tea".into(),
            price: Money::usd(450),
            quantity: 1,
        }],
        order_seq: seq,
        at: Timestamp::from_millis(AT),
        placed_at: None,
        payment: None,
        invoice: None,
        phone_last4: None,
    };
    let subject = format!("mallbots.ev.store.{store}.orderline.{order}");
    let msg = central_message(&subject, seq, "orderline", &order.to_string(), AT, &line).unwrap();
    assert!(matches!(edge.deliver(msg).unwrap(), Received::Applied));
}

#[test]
fn a_pickup_request_is_recorded_and_central_refusal_shows_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let edge = desk(dir.path(), Role::Manager);
    let order = OrderId::from_uuid(Uuid::now_v7());
    let asked = edge.request_pickup(order, "123456").unwrap();
    assert_eq!(
        (asked.kind.as_str(), asked.status.as_str(), asked.order_id),
        ("pickup", "requested", Some(order))
    );
    assert_eq!(asked.user, "alice");
    assert_eq!(edge.local_counts().unwrap().outbox_pending, 1);

    let refusal = DeskEvent::OrderPickupRefused {
        order_id: order,
        code: "pickup.not_your_store".into(),
        reason: "this desk may not hand over this order".into(),
        at: Timestamp::from_millis(AT),
    };
    let subject = format!("mallbots.ev.deskans.m1.{order}");
    let msg = central_message(&subject, 7, "deskans", &order.to_string(), AT, &refusal).unwrap();
    assert!(matches!(
        edge.deliver(msg.clone()).unwrap(),
        Received::Applied
    ));
    assert!(matches!(edge.deliver(msg).unwrap(), Received::Duplicate));
    let shown = edge.pickup_request(order).unwrap().unwrap();
    assert_eq!(shown.status, "refused");
    assert_eq!(shown.code.as_deref(), Some("pickup.not_your_store"));
    assert_eq!(edge.desk_requests().unwrap().len(), 1);

    // The read model is rebuildable from the log.
    let before = edge.dump_read_models().unwrap();
    edge.rebuild_read_models().unwrap();
    assert_eq!(edge.dump_read_models().unwrap(), before);

    // A retry after the refusal is a new request.
    let again = edge.request_pickup(order, "123456").unwrap();
    assert_eq!((again.status.as_str(), again.code), ("requested", None));
}

#[test]
fn a_refusal_not_on_a_deskans_subject_is_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let edge = desk(dir.path(), Role::Manager);
    let order = OrderId::from_uuid(Uuid::now_v7());
    let refusal = DeskEvent::OrderPickupRefused {
        order_id: order,
        code: "pickup.not_ready".into(),
        reason: "x".into(),
        at: Timestamp::from_millis(AT),
    };
    let subject = format!("mallbots.ev.order.k1.{order}");
    let msg = central_message(&subject, 3, "deskans", &order.to_string(), AT, &refusal).unwrap();
    assert!(!matches!(edge.deliver(msg).unwrap(), Received::Applied));
    assert!(edge.pickup_request(order).unwrap().is_none());
}

#[test]
fn what_the_order_lines_already_say_is_refused_locally_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let edge = desk(dir.path(), Role::Manager);
    let store = StoreId::from_uuid(Uuid::now_v7());
    let (shopping, done, ready) = (
        OrderId::from_uuid(Uuid::now_v7()),
        OrderId::from_uuid(Uuid::now_v7()),
        OrderId::from_uuid(Uuid::now_v7()),
    );
    order_line(&edge, 10, shopping, store, OrderStatus::InProgress);
    order_line(&edge, 11, done, store, OrderStatus::Ready);
    order_line(&edge, 12, done, store, OrderStatus::Completed);
    order_line(&edge, 13, ready, store, OrderStatus::Ready);
    let code = |o| {
        edge.request_pickup(o, "123456")
            .unwrap_err()
            .code()
            .to_owned()
    };
    assert_eq!(code(shopping), "pickup.not_ready");
    assert_eq!(code(done), "pickup.already_completed");
    assert_eq!(edge.local_counts().unwrap().outbox_pending, 0);
    assert!(edge.desk_requests().unwrap().is_empty());
    assert_eq!(
        edge.request_pickup(ready, "123456").unwrap().status,
        "requested"
    );
    // Once its lines say completed, the request shows as completed.
    order_line(&edge, 14, ready, store, OrderStatus::Completed);
    assert_eq!(
        edge.pickup_request(ready).unwrap().unwrap().status,
        "completed"
    );
}

#[test]
fn a_kiosk_makes_no_desk_requests() {
    let dir = tempfile::tempdir().unwrap();
    let kiosk = desk(dir.path(), Role::Kiosk);
    let order = OrderId::from_uuid(Uuid::now_v7());
    let err = kiosk.request_pickup(order, "123456").unwrap_err();
    assert_eq!(err.code(), "pickup.not_your_store");
    let err = kiosk
        .mark_stop_prepared(ShoppingListId::from_uuid(Uuid::now_v7()), StoreId::nil())
        .unwrap_err();
    assert_eq!(err.code(), "stop.not_your_store");
    assert_eq!(kiosk.local_counts().unwrap().outbox_pending, 0);
}

#[test]
fn a_stop_is_marked_prepared_and_shown_on_the_depot_view() {
    let dir = tempfile::tempdir().unwrap();
    let edge = desk(dir.path(), Role::Manager);
    let store = StoreId::from_uuid(Uuid::now_v7());
    let list = ShoppingListId::from_uuid(Uuid::now_v7());
    let items = [ListItem {
        store_id: store,
        product_id: ProductId::for_sku(store, "TEA"),
        product_name: "Tea".into(),
        quantity: 1,
    }];
    let created = ListEvent::ShoppingListCreated {
        list_id: list,
        order_id: OrderId::from_uuid(Uuid::now_v7()),
        stops: Stop::plan(&items),
        at: Timestamp::from_millis(AT),
    };
    let subject = format!("mallbots.ev.depot.list.{list}");
    let msg = central_message(&subject, 1, "list", &list.to_string(), AT, &created).unwrap();
    edge.deliver(msg).unwrap();
    let other = StoreId::from_uuid(Uuid::now_v7());
    assert_eq!(
        edge.mark_stop_prepared(list, other).unwrap_err().code(),
        "stop.unknown_stop"
    );
    edge.mark_stop_prepared(list, store).unwrap();
    let shown = edge.stop_request(list, store).unwrap().unwrap();
    assert_eq!(
        (shown.kind.as_str(), shown.status.as_str()),
        ("stop", "requested")
    );
    assert!(!edge.depot_lists(10).unwrap()[0].stops[0].prepared);
    let prepared = ListEvent::StopPreparedAtCounter {
        list_id: list,
        store_id: store,
        at: Timestamp::from_millis(AT + 1),
    };
    let msg = central_message(&subject, 2, "list", &list.to_string(), AT, &prepared).unwrap();
    edge.deliver(msg).unwrap();
    assert!(edge.depot_lists(10).unwrap()[0].stops[0].prepared);
}
