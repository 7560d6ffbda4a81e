//! The device identity kept with the database (issue 11 item 4, issue 12 item 4), who made a
//! manager edit (issue 11 item 7), and idle-cart abandonment owned by the backend (issue 11
//! item 6): through the Edge API on real SQLite files.

mod common;

use common::{config, shop, T0};
use mallbots_edge::{DeviceIdentity, Edge, EdgeConfig, EdgeError, ManualClock, NewProduct, Role};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn code<T: std::fmt::Debug>(result: Result<T, EdgeError>) -> &'static str {
    result.expect_err("expected a refusal").code()
}

fn open_at(path: &std::path::Path, config: EdgeConfig, clock: &ManualClock) -> Edge {
    Edge::open_with_clock(path, config, Arc::new(clock.clone())).unwrap()
}

fn desk(device: &str) -> EdgeConfig {
    EdgeConfig {
        device_id: device.into(),
        ..config()
    }
}

#[test]
fn the_identity_stays_with_the_database_and_refuses_another_device() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let clock = ManualClock::new(T0);
    {
        let edge = open_at(&path, config(), &clock);
        assert!(edge.device().is_none());
        let identity = DeviceIdentity::new("kiosk-1", Role::Kiosk, vec![], "test.mallbots");
        edge.init_device(identity.clone()).unwrap();
        assert_eq!(edge.device(), Some(identity));
        // Another id than the one the edge was opened with cannot be stored.
        let other = DeviceIdentity::new("kiosk-2", Role::Kiosk, vec![], "test.mallbots");
        assert_eq!(code(edge.init_device(other)), "device.mismatch");
        // A manager needs a store.
        let manager = DeviceIdentity::new("kiosk-1", Role::Manager, vec![], "test.mallbots");
        assert_eq!(code(edge.init_device(manager)), "invalid_input");
    }
    let reopened = Edge::open_with_clock(&path, desk("kiosk-2"), Arc::new(clock.clone()));
    assert_eq!(code(reopened), "device.mismatch");
    let other_root = EdgeConfig {
        subject_root: "elsewhere".into(),
        ..config()
    };
    assert_eq!(
        code(Edge::open_with_clock(
            &path,
            other_root,
            Arc::new(clock.clone())
        )),
        "device.mismatch"
    );
    // The stored role wins over the configuration's.
    let as_manager = EdgeConfig {
        role: Role::Manager,
        ..config()
    };
    let edge = open_at(&path, as_manager, &clock);
    assert_eq!(edge.role(), Role::Kiosk);
    assert_eq!(edge.config().role, Role::Kiosk);
    let stored = mallbots_edge::device::stored_identity(&path)
        .unwrap()
        .unwrap();
    assert_eq!(stored.device_id, "kiosk-1");
}

#[test]
fn a_kiosk_or_depot_refuses_catalog_writes_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let path = dir.path().join("k.db");
    let edge = open_at(&path, config(), &clock);
    // Before the identity, the database acts as any device (development): a shop exists.
    let (store, a, _) = shop(&edge);
    let events = edge.local_counts().unwrap().events;
    for (role, expected) in [
        (Role::Kiosk, "catalog.kiosk_forbidden"),
        (Role::Depot, "catalog.depot_forbidden"),
    ] {
        edge.init_device(DeviceIdentity::new(
            "kiosk-1",
            role,
            vec![],
            "test.mallbots",
        ))
        .unwrap();
        edge.set_user(Some("alice"));
        assert_eq!(code(edge.create_store("New", "L2")), expected);
        assert_eq!(code(edge.rebrand_store(store.store_id, "X")), expected);
        assert_eq!(
            code(edge.set_participation(store.store_id, false)),
            expected
        );
        assert_eq!(code(edge.reprice_product(a.product_id, 1)), expected);
        assert_eq!(code(edge.remove_product(a.product_id)), expected);
        let product = NewProduct {
            store_id: store.store_id,
            sku: "Z".into(),
            name: "Zed".into(),
            description: String::new(),
            price_cents: 1,
        };
        assert_eq!(code(edge.add_product(product)), expected);
        let csv = "sku,name,description,price\nQ,Q,,1.00\n".as_bytes();
        assert_eq!(
            code(edge.import_products_csv(store.store_id, csv)),
            expected
        );
    }
    assert_eq!(
        edge.local_counts().unwrap().events,
        events,
        "nothing written"
    );
    // A kiosk still sells.
    edge.init_device(DeviceIdentity::new(
        "kiosk-1",
        Role::Kiosk,
        vec![],
        "test.mallbots",
    ))
    .unwrap();
    let cart = edge.start_cart(None).unwrap();
    edge.add_item(cart.cart_id, a.product_id, 1).unwrap();
    assert_eq!(code(edge.authorize_desk_edit()), "desk.kiosk_forbidden");
}

#[test]
fn a_manager_edits_only_its_stores_and_every_edit_names_user_and_device() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let path = dir.path().join("m.db");
    let edge = open_at(&path, desk("desk-1"), &clock);
    let (mine, a, _) = shop(&edge);
    let (theirs, b, _) = {
        let s = edge.create_store("Other", "L3").unwrap();
        let p = edge
            .add_product(NewProduct {
                store_id: s.store_id,
                sku: "O".into(),
                name: "Other".into(),
                description: String::new(),
                price_cents: 100,
            })
            .unwrap();
        (s, p, ())
    };
    edge.init_device(DeviceIdentity::new(
        "desk-1",
        Role::Manager,
        vec![mine.store_id.to_string()],
        "test.mallbots",
    ))
    .unwrap();
    // No signed-in user: refused.
    assert_eq!(
        code(edge.reprice_product(a.product_id, 300)),
        "manager.user_required"
    );
    assert_eq!(code(edge.authorize_desk_edit()), "manager.user_required");
    edge.set_user(Some("alice"));
    edge.authorize_desk_edit().unwrap();
    let repriced = edge.reprice_product(a.product_id, 300).unwrap();
    assert_eq!(repriced.price_cents, 300);
    assert_eq!(
        code(edge.reprice_product(b.product_id, 1)),
        "catalog.not_your_store"
    );
    assert_eq!(
        code(edge.rebrand_store(theirs.store_id, "Mine now")),
        "catalog.not_your_store"
    );
    assert_eq!(
        code(edge.create_store("Another", "L4")),
        "catalog.not_your_store"
    );
    // The price change's metadata names the user and the device, in the export too.
    let mut out = Vec::new();
    edge.export_events(&mut out).unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let price = lines
        .iter()
        .rev()
        .find(|e| e["event_type"].as_str().unwrap_or("").contains("Price"))
        .unwrap_or_else(|| panic!("no price event in {lines:?}"));
    assert_eq!(price["metadata"]["user"], "alice", "{price}");
    assert_eq!(price["metadata"]["device_id"], "desk-1", "{price}");
    // Signed out: refused again; a kiosk's edits never need a user.
    edge.set_user(None);
    assert_eq!(
        code(edge.rebrand_store(mine.store_id, "X")),
        "manager.user_required"
    );
}

#[test]
fn a_cart_left_open_is_abandoned_when_the_process_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let path = dir.path().join("k.db");
    let cart = {
        let edge = open_at(&path, config(), &clock);
        let (_, a, _) = shop(&edge);
        let cart = edge.start_cart(None).unwrap();
        edge.add_item(cart.cart_id, a.product_id, 1).unwrap();
        cart.cart_id
        // The "crash": the edge goes away with the cart open, no page ever abandons it.
    };
    clock.advance(config().idle_cart_ms - 1);
    let edge = open_at(&path, config(), &clock);
    assert_eq!(edge.cart(cart).unwrap().status, "open", "not idle yet");
    drop(edge);
    clock.advance(1);
    let edge = open_at(&path, config(), &clock);
    let view = edge.cart(cart).unwrap();
    assert_eq!(
        (view.status.as_str(), view.cancel_reason.as_deref()),
        ("canceled", Some("abandoned"))
    );
}

#[test]
fn the_backend_timer_abandons_idle_carts_without_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let edge = Arc::new(open_at(&dir.path().join("k.db"), config(), &clock));
    let (_, a, _) = shop(&edge);
    let cart = edge.start_cart(None).unwrap();
    edge.add_item(cart.cart_id, a.product_id, 1).unwrap();
    let timer = edge.spawn_abandonment(Duration::from_millis(20)).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(edge.cart(cart.cart_id).unwrap().status, "open");
    clock.advance(config().idle_cart_ms);
    let deadline = Instant::now() + Duration::from_secs(5);
    while edge.cart(cart.cart_id).unwrap().status == "open" {
        assert!(
            Instant::now() < deadline,
            "the timer never abandoned the cart"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let view = edge.cart(cart.cart_id).unwrap();
    assert_eq!(view.cancel_reason.as_deref(), Some("abandoned"));
    timer.stop();
    // Stopped: a cart idle now stays open.
    let later = edge.start_cart(None).unwrap();
    clock.advance(config().idle_cart_ms);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(edge.cart(later.cart_id).unwrap().status, "open");
}
