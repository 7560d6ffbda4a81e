//! System test (docs/architecture.md §6.5): NATS is down, a kiosk takes 50 orders offline; NATS comes back,
//! the kiosk syncs, and every order reaches `ready` on the kiosk, driven by a real
//! `mallbots-central` (saga, payments, depot, bot simulator) and a manager device that set up
//! the catalog, all synced by the real engine.
//!
//! Central holds all 50 as ready, every event id appears exactly once in the stream, and every
//! event the kiosk holds with a stream sequence is the message at that sequence.
//!
//! Then the kiosk asks, offline again, to cancel one of those orders: central has moved it past
//! shopping, so the request is refused and the kiosk shows why.
//!
//! As it ships (docs/architecture.md §9): NATS runs with the generated authorization, central with its
//! credentials, the manager and the kiosk enrolled by `mallbots-central enroll`, each syncing
//! with its credentials file through the consumers enrollment created.
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, NewProduct, Role};
use mallbots_sync::engine::NatsTarget;
use mallbots_tests::nats::{Enrollment, NatsServer};
use mallbots_tests::procs::{Proc, CENTRAL};
use std::path::Path;
use std::time::{Duration, Instant};

const ORDERS: usize = 50;

fn device(dir: &std::path::Path, id: &str, root: &str, role: Role) -> Edge {
    let config = EdgeConfig {
        device_id: id.into(),
        subject_root: root.into(),
        role,
        ..EdgeConfig::default()
    };
    Edge::open(dir.join(format!("{id}.db")), config).unwrap()
}

async fn sync(edge: &Edge, url: &str, creds: &Path, stream: &str) -> Result<(), String> {
    let settings = SyncSettings {
        events_stream: stream.into(),
        stores: Vec::new(),
        create_consumers: false,
    };
    let engine = engine(edge, &settings).map_err(|e| e.to_string())?;
    let link = engine
        .connect(&NatsTarget::with_creds(url, creds))
        .await
        .map_err(|e| e.to_string())?;
    engine.sync_once(&link).await.map_err(|e| e.to_string())?;
    edge.clear_cache();
    Ok(())
}

/// Every message on the stream under `root`: (sequence, msg-id).
async fn stream_log(
    events: &async_nats::jetstream::stream::Stream,
    root: &str,
) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut seq = 1;
    while let Ok(m) = events
        .direct_get_next_for_subject(format!("{root}.ev.>"), Some(seq))
        .await
    {
        let id = m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned());
        out.push((m.sequence, id.unwrap_or_default()));
        seq = m.sequence + 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_orders_taken_offline_all_reach_ready() {
    let mut server = NatsServer::start_with_auth("").unwrap();
    let url = server.url();
    let root = "off";
    let prefix = "off_";
    let stream = format!("{prefix}EVENTS");
    let mut central = Proc::builder(CENTRAL)
        .args(["--nats", &url, "--http", "127.0.0.1:0"])
        .args(server.auth().central_args())
        .args(["--subject-root", root, "--stream-prefix", prefix])
        .args(["--duplicate-window-ms", "1000"])
        .args(["--roles", "saga,payments,depot,bots-sim"])
        .env("MALLBOTS__SIM__BOTS", "10")
        .env("MALLBOTS__SIM__STEP_MS", "20")
        .env("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "5000")
        .env("MALLBOTS__TOPOLOGY__BACKOFF_MS", "200,500,1000")
        .spawn()
        .expect("spawn mallbots-central (cargo build -p mallbots-central first)");
    if let Err(e) = central.wait_for_log("mallbots-central ready", Duration::from_secs(30)) {
        panic!("central not ready: {e}\n{}", central.logs());
    }

    let dir = tempfile::tempdir().unwrap();
    let manager = device(dir.path(), "m1", root, Role::Manager);
    let store = manager.create_store("Grocer", "Level 0").unwrap();
    manager.set_participation(store.store_id, true).unwrap();
    manager
        .set_automated_shopping(store.store_id, true)
        .unwrap();
    let product = manager
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "TEA".into(),
            name: "Tea".into(),
            description: String::new(),
            price_cents: 450,
        })
        .unwrap();
    let store_id = store.store_id.to_string();
    let m_creds = server
        .enroll(&Enrollment::manager("m1", &[&store_id], root).stream_prefix(prefix))
        .unwrap();
    sync(&manager, &url, &m_creds, &stream).await.unwrap();

    let kiosk = device(dir.path(), "k1", root, Role::Kiosk);
    let creds = server
        .enroll(&Enrollment::kiosk("k1", root).stream_prefix(prefix))
        .unwrap();
    let customer = kiosk.register_customer("Ada", "+15550104477").unwrap();
    sync(&kiosk, &url, &creds, &stream).await.unwrap();
    assert!(!kiosk.product(product.product_id).unwrap().removed);

    server.stop();
    assert!(
        sync(&kiosk, &url, &creds, &stream).await.is_err(),
        "offline"
    );
    let mut orders = Vec::new();
    for i in 0..ORDERS {
        let cart = kiosk.start_cart(Some(customer.customer_id)).unwrap();
        kiosk
            .add_item(cart.cart_id, product.product_id, 1 + (i % 3) as i64)
            .unwrap();
        let order = kiosk
            .checkout(cart.cart_id, "tok_visa", Some(customer.customer_id))
            .unwrap();
        orders.push(order.order_id);
    }
    server.restart().unwrap();

    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let _ = sync(&kiosk, &url, &creds, &stream).await;
        let statuses: Vec<String> = orders
            .iter()
            .map(|o| kiosk.order(*o).unwrap().status)
            .collect();
        let ready = statuses.iter().filter(|s| *s == "ready").count();
        if ready == ORDERS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{ready}/{ORDERS} ready; statuses: {statuses:?}\ncentral log:\n{}",
            central
                .logs()
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .join("\n")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let js = async_nats::jetstream::new(server.central_client().await.unwrap());
    let events = js.get_stream(&stream).await.unwrap();
    // Central holds every order as ready: the last event on each order's status subject.
    for order in &orders {
        let last = events
            .direct_get_last_for_subject(format!("{root}.ev.order.k1.{order}"))
            .await
            .unwrap();
        let last_type = last.headers.get("Mallbots-Event-Type").map(|v| v.as_str());
        assert_eq!(last_type, Some("OrderReadied"), "order {order} on central");
    }
    // Every event id appears exactly once in the stream, and every event the kiosk holds
    // with a stream sequence is the message at that sequence.
    let log = stream_log(&events, root).await;
    let mut seen = std::collections::HashSet::new();
    for (seq, id) in &log {
        assert!(
            seen.insert(id.clone()),
            "event {id} twice in the stream (again at {seq})"
        );
    }
    let by_seq: std::collections::HashMap<u64, String> = log.into_iter().collect();
    let mut export = Vec::new();
    kiosk.export_events(&mut export).unwrap();
    let mut checked = 0;
    for line in String::from_utf8(export).unwrap().lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(seq) = event["stream_seq"].as_u64() else {
            continue;
        };
        assert_eq!(
            by_seq.get(&seq).map(String::as_str),
            event["event_id"].as_str(),
            "the kiosk's event at stream sequence {seq}"
        );
        checked += 1;
    }
    assert!(
        checked >= ORDERS * 4,
        "the kiosk's carts, orders and statuses: {checked}"
    );

    // A kiosk that stopped syncing asks to cancel an order central has meanwhile moved past
    // shopping: the request is refused and the kiosk shows why.
    let cart = kiosk.start_cart(Some(customer.customer_id)).unwrap();
    kiosk.add_item(cart.cart_id, product.product_id, 1).unwrap();
    let late = kiosk
        .checkout(cart.cart_id, "tok_visa", Some(customer.customer_id))
        .unwrap()
        .order_id;
    let settings = SyncSettings {
        events_stream: stream.clone(),
        stores: Vec::new(),
        create_consumers: false,
    };
    let relay_only = engine(&kiosk, &settings).unwrap();
    let link = relay_only
        .connect(&NatsTarget::with_creds(url.clone(), &creds))
        .await
        .unwrap();
    relay_only.relay(&link).await.unwrap();
    let status_subject = format!("{root}.ev.order.k1.{late}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let last = events
            .direct_get_last_for_subject(status_subject.clone())
            .await;
        let last_type = last.ok().and_then(|m| {
            m.headers
                .get("Mallbots-Event-Type")
                .map(|v| v.as_str().to_owned())
        });
        if last_type.as_deref() == Some("OrderReadied") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "central never readied {late}: {last_type:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(
        kiosk.order(late).unwrap().status,
        "ready",
        "the kiosk has not seen it"
    );
    kiosk
        .request_order_cancellation(late, "changed my mind")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let _ = sync(&kiosk, &url, &creds, &stream).await;
        let order = kiosk.order(late).unwrap();
        if order.reason.as_deref() == Some("order.cancel_after_shopping_finished") {
            assert_eq!(order.status, "ready", "the order goes on");
            break;
        }
        assert!(Instant::now() < deadline, "refusal not shown: {order:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
