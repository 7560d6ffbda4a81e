//! The relay on a 3-node JetStream cluster (R3 streams, 1-second dedup window, docs/architecture.md §9): a
//! kiosk's backlog is relayed exactly once and in order per aggregate while one node is killed
//! mid-way and later restarted.
//!
//! As it ships (docs/architecture.md §9): the cluster runs with the generated authorization, the manager and
//! the kiosk are enrolled by `mallbots-central enroll` and sync with their credentials files,
//! through the consumers enrollment created. The topology is created as central does it, with
//! central's credentials.

use mallbots_central::ensure_topology;
use mallbots_central::platform::config::TopologySettings;
use mallbots_central::platform::topology::{StreamKind, Topology};
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, NewProduct, Role};
use mallbots_sync::engine::NatsTarget;
use mallbots_tests::nats::{Enrollment, NatsCluster};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

async fn sync_until_done(edge: &Edge, urls: &str, creds: &Path, stream: &str) {
    let settings = SyncSettings {
        events_stream: stream.into(),
        stores: Vec::new(),
        create_consumers: false,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let engine = engine(edge, &settings).unwrap();
        if let Ok(link) = engine.connect(&NatsTarget::with_creds(urls, creds)).await {
            if engine.sync_once(&link).await.is_ok() && engine.status().await.unwrap().waiting == 0
            {
                return;
            }
        }
        assert!(Instant::now() < deadline, "backlog never synced");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_relay_is_exactly_once_across_a_node_loss() {
    let mut cluster = NatsCluster::start_with_auth(3, "").unwrap();
    let urls = cluster.urls().join(",");
    let settings = TopologySettings {
        subject_root: "r3".into(),
        stream_prefix: "r3_".into(),
        replicas: 3,
        duplicate_window_ms: 1_000,
        ..TopologySettings::default()
    };
    let topology = Topology::from_settings(&settings);
    let js = async_nats::jetstream::new(cluster.central_client().await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(e) = ensure_topology(&js, &topology, &settings).await {
        assert!(Instant::now() < deadline, "topology: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stream = topology.stream_name(StreamKind::Events);

    let dir = tempfile::tempdir().unwrap();
    let config = |id: &str, role| EdgeConfig {
        device_id: id.into(),
        subject_root: "r3".into(),
        role,
        ..EdgeConfig::default()
    };
    let manager = Edge::open(dir.path().join("m.db"), config("m1", Role::Manager)).unwrap();
    let store = manager.create_store("Deli", "Level 3").unwrap();
    manager.set_participation(store.store_id, true).unwrap();
    let product = manager
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "D-1".into(),
            name: "Olives".into(),
            description: String::new(),
            price_cents: 300,
        })
        .unwrap();
    let store_id = store.store_id.to_string();
    let m_creds = cluster
        .enroll(&Enrollment::manager("m1", &[&store_id], "r3").stream_prefix("r3_"))
        .unwrap();
    sync_until_done(&manager, &urls, &m_creds, &stream).await;
    let kiosk = Edge::open(dir.path().join("k.db"), config("k1", Role::Kiosk)).unwrap();
    let creds = cluster
        .enroll(&Enrollment::kiosk("k1", "r3").stream_prefix("r3_"))
        .unwrap();
    sync_until_done(&kiosk, &urls, &creds, &stream).await;

    let mut carts = Vec::new();
    for _ in 0..60 {
        let cart = kiosk.start_cart(None).unwrap();
        for _ in 0..4 {
            kiosk.add_item(cart.cart_id, product.product_id, 1).unwrap();
        }
        carts.push(cart.cart_id);
    }
    cluster.kill_node(2);
    sync_until_done(&kiosk, &cluster.urls()[..2].join(","), &creds, &stream).await;
    cluster.restart_node(2).unwrap();
    for cart in &carts[..20] {
        kiosk.add_item(*cart, product.product_id, 1).unwrap();
    }
    sync_until_done(&kiosk, &urls, &creds, &stream).await;

    let events = js.get_stream(&stream).await.unwrap();
    let mut per_subject: HashMap<String, Vec<u64>> = HashMap::new();
    let mut ids = HashSet::new();
    let mut seq = 1;
    let mut total = 0;
    while let Ok(m) = events
        .direct_get_next_for_subject("r3.ev.kiosk.k1.basket.>", Some(seq))
        .await
    {
        seq = m.sequence + 1;
        total += 1;
        let id = m.headers.get("Nats-Msg-Id").unwrap().as_str().to_owned();
        assert!(ids.insert(id), "duplicate event at {}", m.sequence);
        per_subject
            .entry(m.subject.to_string())
            .or_default()
            .push(m.sequence);
    }
    assert_eq!(
        total,
        60 * 5 + 20,
        "started + 4 adds per cart, then 20 more adds"
    );
    assert_eq!(per_subject.len(), 60);
}
