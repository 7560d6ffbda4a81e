//! Kiosk use cases against a real SQLite file: customers, carts, checkout, cancellation
//! requests, idle-cart abandonment, and their rejections.

mod common;

use common::*;
use mallbots_domain::{BasketId, OrderId, ProductId};
use mallbots_edge::EdgeError;
use serde_json::Value;

fn code<T: std::fmt::Debug>(result: Result<T, EdgeError>) -> &'static str {
    result.unwrap_err().code()
}

#[test]
fn register_customer_writes_event_outbox_and_read_model() {
    let f = open();
    let c = f.edge.register_customer(" Ada ", "+1 555 0100").unwrap();
    assert_eq!(c.name, "Ada");
    assert_eq!(c.sms_number, "+15550100");
    assert_eq!(f.edge.customer(c.customer_id).unwrap(), c);
    let db = conn(&f);
    let (subject, metadata): (String, String) = db
        .query_row(
            "SELECT o.subject, e.metadata FROM outbox o JOIN events e USING (global_pos)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        subject,
        format!("test.mallbots.ev.kiosk.kiosk-1.customer.{}", c.customer_id)
    );
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(metadata["device_id"], "kiosk-1");
    assert!(metadata["correlation_id"].is_string());
    assert!(metadata["causation_id"].is_string());
    assert_eq!(count(&db, "SELECT count(*) FROM commands"), 1);
}

#[test]
fn invalid_customer_is_rejected_and_nothing_is_stored() {
    let f = open();
    assert_eq!(
        code(f.edge.register_customer("Ada", "12")),
        "customer.sms_number_invalid"
    );
    assert_eq!(
        code(f.edge.register_customer(" ", "+15550100")),
        "customer.name_blank"
    );
    assert_eq!(count(&conn(&f), "SELECT count(*) FROM events"), 0);
}

#[test]
fn cart_totals_follow_every_edit() {
    let f = open();
    let (_, a, b) = shop(&f.edge);
    let cart = f.edge.start_cart(None).unwrap();
    assert_eq!((cart.status.as_str(), cart.total_cents), ("open", 0));
    f.edge.add_item(cart.cart_id, a.product_id, 2).unwrap();
    let view = f.edge.add_item(cart.cart_id, b.product_id, 1).unwrap();
    assert_eq!(view.total_cents, 2 * 250 + 1299);
    let view = f.edge.remove_item(cart.cart_id, a.product_id, 1).unwrap();
    assert_eq!((view.total_cents, view.item_count), (250 + 1299, 2));
    assert_eq!(f.edge.cart(cart.cart_id).unwrap(), view);
    f.edge.remove_item(cart.cart_id, a.product_id, 1).unwrap();
    let view = f.edge.cart(cart.cart_id).unwrap();
    assert_eq!(view.lines.len(), 1);
    assert_eq!(view.total_cents, 1299);
    let subjects: Vec<String> = {
        let db = conn(&f);
        let mut stmt = db
            .prepare("SELECT DISTINCT subject FROM outbox WHERE stream_type = 'basket'")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    assert_eq!(
        subjects,
        vec![format!(
            "test.mallbots.ev.kiosk.kiosk-1.basket.{}",
            cart.cart_id
        )]
    );
}

#[test]
fn a_repriced_product_is_added_at_the_latest_price() {
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let cart = f.edge.start_cart(None).unwrap();
    f.edge.add_item(cart.cart_id, a.product_id, 1).unwrap();
    f.edge.reprice_product(a.product_id, 300).unwrap();
    let view = f.edge.add_item(cart.cart_id, a.product_id, 1).unwrap();
    assert_eq!(view.total_cents, 600);
    assert_eq!(f.edge.cart(cart.cart_id).unwrap(), view);
}

#[test]
fn add_item_rejections() {
    let f = open();
    let (store, a, _) = shop(&f.edge);
    let closed = f.edge.create_store("Closed", "Level 2").unwrap();
    let c = f
        .edge
        .add_product(product(&closed, "C", "Cake", 500))
        .unwrap();
    let cart = f.edge.start_cart(None).unwrap();
    let id = cart.cart_id;
    assert_eq!(
        code(f.edge.add_item(id, c.product_id, 1)),
        "basket.store_not_participating"
    );
    assert_eq!(code(f.edge.add_item(id, ProductId::nil(), 1)), "not_found");
    assert_eq!(
        code(f.edge.add_item(BasketId::nil(), a.product_id, 1)),
        "not_found"
    );
    assert_eq!(
        code(f.edge.add_item(id, a.product_id, 0)),
        "basket.quantity_not_positive"
    );
    assert_eq!(
        code(f.edge.remove_item(id, a.product_id, 1)),
        "basket.item_not_in_basket"
    );
    f.edge.remove_product(a.product_id).unwrap();
    assert_eq!(
        code(f.edge.add_item(id, a.product_id, 1)),
        "basket.product_unavailable"
    );
    f.edge.set_participation(store.store_id, false).unwrap();
    assert_eq!(f.edge.cart(id).unwrap().total_cents, 0);
}

#[test]
fn canceled_cart_accepts_no_more_edits() {
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let cart = f.edge.start_cart(None).unwrap();
    let view = f.edge.cancel_cart(cart.cart_id).unwrap();
    assert_eq!(view.status, "canceled");
    assert_eq!(view.cancel_reason.as_deref(), Some("customer"));
    assert_eq!(
        code(f.edge.add_item(cart.cart_id, a.product_id, 1)),
        "basket.not_open"
    );
    assert_eq!(f.edge.cart(cart.cart_id).unwrap().status, "canceled");
}

#[test]
fn idle_carts_are_abandoned_and_busy_ones_kept() {
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let idle = f.edge.start_cart(None).unwrap();
    f.clock.advance(50_000);
    let busy = f.edge.start_cart(None).unwrap();
    f.clock.advance(20_000);
    let abandoned = f.edge.abandon_idle(f.edge.now()).unwrap();
    assert_eq!(abandoned.len(), 1);
    assert_eq!(abandoned[0].cart_id, idle.cart_id);
    assert_eq!(abandoned[0].cancel_reason.as_deref(), Some("abandoned"));
    let stored = f.edge.cart(idle.cart_id).unwrap();
    assert_eq!(
        (stored.status.as_str(), stored.cancel_reason.as_deref()),
        ("canceled", Some("abandoned"))
    );
    f.edge.add_item(busy.cart_id, a.product_id, 1).unwrap();
    f.clock.advance(59_000);
    assert!(f.edge.abandon_idle(f.edge.now()).unwrap().is_empty());
    f.clock.advance(1_000);
    assert_eq!(f.edge.abandon_idle(f.edge.now()).unwrap().len(), 1);
    assert!(f.edge.abandon_idle(f.edge.now()).unwrap().is_empty());
}

#[test]
fn checkout_commits_basket_and_order_together() {
    let f = open();
    let (store, a, b) = shop(&f.edge);
    let customer = f.edge.register_customer("Ada", "+15550100").unwrap();
    let cart = f.edge.start_cart(Some(customer.customer_id)).unwrap();
    f.edge.add_item(cart.cart_id, a.product_id, 3).unwrap();
    f.edge.add_item(cart.cart_id, b.product_id, 1).unwrap();
    let order = f.edge.checkout(cart.cart_id, "tok_visa", None).unwrap();
    assert_eq!(order.order_id, OrderId::from(cart.cart_id));
    assert_eq!(
        (order.status.as_str(), order.total_cents, order.synced),
        ("pending", 3 * 250 + 1299, false)
    );
    assert_eq!(order.store_ids, vec![store.store_id]);
    assert_eq!(f.edge.order(order.order_id).unwrap(), order);
    assert_eq!(f.edge.cart(cart.cart_id).unwrap().status, "checked_out");
    let db = conn(&f);
    let subject: String = db
        .query_row(
            "SELECT subject FROM outbox WHERE stream_type = 'order'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        subject,
        format!("test.mallbots.ev.kiosk.kiosk-1.order.{}", order.order_id)
    );
    let correlations = count(
        &db,
        "SELECT count(DISTINCT json_extract(metadata, '$.correlation_id')) FROM events
         WHERE event_type IN ('BasketCheckedOut', 'OrderCreated')",
    );
    assert_eq!(correlations, 1);
    assert_eq!(
        code(f.edge.checkout(cart.cart_id, "tok", None)),
        "basket.not_open"
    );
    assert_eq!(f.edge.orders(Some(store.store_id)).unwrap(), vec![order]);
}

/// Each order gets a six-digit pickup code at checkout, drawn on the kiosk: in the order view
/// the confirmation shows, in the OrderCreated central receives, and the same after a rebuild.
#[test]
fn checkout_gives_each_order_its_own_pickup_code() {
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let customer = f.edge.register_customer("Ada", "+15550100").unwrap();
    let mut codes = std::collections::HashSet::new();
    for _ in 0..5 {
        let cart = f.edge.start_cart(Some(customer.customer_id)).unwrap();
        f.edge.add_item(cart.cart_id, a.product_id, 1).unwrap();
        let order = f.edge.checkout(cart.cart_id, "tok_visa", None).unwrap();
        let code = order.pickup_code.clone().expect("a pickup code");
        assert!(mallbots_domain::ordering::is_pickup_code(&code), "{code}");
        assert_eq!(
            f.edge.order(order.order_id).unwrap().pickup_code,
            Some(code.clone())
        );
        let payload: String = conn(&f)
            .query_row(
                "SELECT payload FROM events WHERE event_type = 'OrderCreated' AND stream_id = ?1",
                [order.order_id.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(payload["pickup_code"], code.as_str());
        codes.insert(code);
    }
    assert!(codes.len() >= 4, "codes are drawn at random: {codes:?}");
    let before: Vec<_> = f.edge.orders(None).unwrap();
    f.edge.rebuild_read_models().unwrap();
    assert_eq!(
        f.edge.orders(None).unwrap(),
        before,
        "kept through a rebuild"
    );
}

#[test]
fn checkout_rejections() {
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let customer = f.edge.register_customer("Ada", "+15550100").unwrap();
    let cart = f.edge.start_cart(None).unwrap();
    let id = cart.cart_id;
    assert_eq!(
        code(f.edge.checkout(id, "tok", Some(customer.customer_id))),
        "basket.empty"
    );
    f.edge.add_item(id, a.product_id, 1).unwrap();
    assert_eq!(
        code(f.edge.checkout(id, "tok", None)),
        "basket.customer_missing"
    );
    assert_eq!(
        code(f.edge.checkout(id, " ", Some(customer.customer_id))),
        "basket.payment_missing"
    );
    assert_eq!(
        code(f.edge.checkout(BasketId::nil(), "tok", None)),
        "not_found"
    );
    assert_eq!(count(&conn(&f), "SELECT count(*) FROM rm_orders"), 0);
    let order = f
        .edge
        .checkout(id, "tok", Some(customer.customer_id))
        .unwrap();
    assert_eq!(order.customer_id, customer.customer_id);
}

#[test]
fn cancellation_request_goes_to_the_orderreq_subject() {
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let customer = f.edge.register_customer("Ada", "+15550100").unwrap();
    let cart = f.edge.start_cart(Some(customer.customer_id)).unwrap();
    f.edge.add_item(cart.cart_id, a.product_id, 1).unwrap();
    let order = f.edge.checkout(cart.cart_id, "tok", None).unwrap();
    let view = f
        .edge
        .request_order_cancellation(order.order_id, "changed my mind")
        .unwrap();
    assert!(view.cancellation_requested);
    assert_eq!(view.status, "pending");
    assert!(f.edge.order(order.order_id).unwrap().cancellation_requested);
    let subject: String = conn(&f)
        .query_row(
            "SELECT o.subject FROM outbox o JOIN events e USING (global_pos)
             WHERE e.event_type = 'OrderCancellationRequested'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        subject,
        format!("test.mallbots.ev.kiosk.kiosk-1.orderreq.{}", order.order_id)
    );
    assert_eq!(
        code(f.edge.request_order_cancellation(order.order_id, "again")),
        "order.cancellation_already_requested"
    );
    assert_eq!(
        code(f.edge.request_order_cancellation(OrderId::nil(), "x")),
        "not_found"
    );
}

#[test]
fn one_writer_per_file_and_readers_see_its_writes() {
    let f = open();
    let (_, a, b) = shop(&f.edge);
    let path = f.dir.path().join("edge.db");
    // A second writer on the same file is refused (one writer per database, issue 12).
    let err = mallbots_edge::Edge::open(&path, config()).unwrap_err();
    assert_eq!(err.code(), "edge.database_in_use");
    let reader = mallbots_edge::Edge::open_read_only(&path, config()).unwrap();
    assert!(!reader.is_writer());
    let cart = f.edge.start_cart(None).unwrap();
    for i in 0..6 {
        let product = if i % 3 == 0 {
            a.product_id
        } else {
            b.product_id
        };
        f.edge.add_item(cart.cart_id, product, 1).unwrap();
        assert_eq!(reader.cart(cart.cart_id).unwrap().item_count, i + 1);
    }
    assert_eq!(
        code(reader.add_item(cart.cart_id, a.product_id, 1)),
        "edge.read_only"
    );
    let view = reader.cart(cart.cart_id).unwrap();
    assert_eq!(view.item_count, 6);
    assert_eq!(view.total_cents, 2 * 250 + 4 * 1299);
    let before = f.edge.dump_read_models().unwrap();
    assert_eq!(
        f.edge.rebuild_read_models().unwrap() as i64,
        count(&conn(&f), "SELECT count(*) FROM events")
    );
    assert_eq!(f.edge.dump_read_models().unwrap(), before);
    // Once the writer is gone, the file may be opened for writing again.
    drop(f.edge);
    mallbots_edge::Edge::open(&path, config()).unwrap();
}

#[test]
fn edge_can_be_shared_across_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<mallbots_edge::Edge>();
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let edge = std::sync::Arc::new(f.edge);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let edge = std::sync::Arc::clone(&edge);
            std::thread::spawn(move || {
                let cart = edge.start_cart(None).unwrap();
                for _ in 0..5 {
                    edge.add_item(cart.cart_id, a.product_id, 1).unwrap();
                }
                cart.cart_id
            })
        })
        .collect();
    for handle in handles {
        let cart = handle.join().unwrap();
        assert_eq!(edge.cart(cart).unwrap().total_cents, 5 * 250);
    }
}

#[test]
fn a_product_removed_while_in_the_cart_must_be_taken_out_before_paying() {
    let f = open();
    let (_, a, b) = shop(&f.edge);
    let customer = f.edge.register_customer("Ada", "+1 555 0100").unwrap();
    let cart = f.edge.start_cart(None).unwrap().cart_id;
    f.edge.add_item(cart, a.product_id, 2).unwrap();
    f.edge.add_item(cart, b.product_id, 1).unwrap();
    assert!(f.edge.cart(cart).unwrap().unavailable.is_empty());
    // A manager's removal arrives while the product sits in the cart.
    f.edge.remove_product(a.product_id).unwrap();
    assert_eq!(f.edge.cart(cart).unwrap().unavailable, vec![a.product_id]);
    assert_eq!(f.edge.unavailable_items(cart).unwrap(), vec![a.product_id]);
    let refused = f
        .edge
        .checkout(cart, "tok", Some(customer.customer_id))
        .unwrap_err();
    assert_eq!(refused.code(), "basket.item_unavailable");
    assert!(refused.to_string().contains(&a.name), "{refused}");
    assert_eq!(f.edge.cart(cart).unwrap().status, "open", "nothing written");
    f.edge.remove_item(cart, a.product_id, 2).unwrap();
    assert!(f.edge.cart(cart).unwrap().unavailable.is_empty());
    f.edge
        .checkout(cart, "tok", Some(customer.customer_id))
        .unwrap();
}
