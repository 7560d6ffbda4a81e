//! Server-authoritative rebase with the real edge (domain aggregates, read models) against a
//! real nats-server with central's topology (1-second dedup window), as a case table:
//! * two managers reprice one product offline: the second is rebased, still valid, republished;
//! * a manager reprices a product another manager removed meanwhile: rejected, conflict shown;
//! * a product removed centrally while a kiosk's offline cart holds it: conflict with reason.
//!
//! As it ships (docs/architecture.md §9): the shared server runs with the generated authorization, every
//! device is enrolled by `mallbots-central enroll` (managers for the store they edit) and syncs
//! with its credentials file through the consumers enrollment created; the topology is created
//! as central does it, with central's credentials. Device ids carry the world's tag (they are
//! NATS user names, unique per server).

use mallbots_central::ensure_topology;
use mallbots_central::platform::config::TopologySettings;
use mallbots_central::platform::topology::{StreamKind, Topology};
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, NewProduct, Role};
use mallbots_sync::engine::{NatsTarget, SyncEngine, SyncReport};
use mallbots_tests::nats::{Enrollment, NatsServer};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

struct World {
    root: String,
    stream: String,
    url: String,
    dir: tempfile::TempDir,
    server: &'static NatsServer,
    creds: Mutex<HashMap<String, PathBuf>>,
}

impl World {
    async fn new() -> World {
        let server = NatsServer::shared_with_auth();
        let tag = Uuid::now_v7().simple().to_string();
        let root = format!("r{}", &tag[20..]);
        let settings = TopologySettings {
            subject_root: root.clone(),
            stream_prefix: format!("{root}_"),
            duplicate_window_ms: 1_000,
            ..TopologySettings::default()
        };
        let topology = Topology::from_settings(&settings);
        let client = server.central_client().await.unwrap();
        let js = async_nats::jetstream::new(client);
        ensure_topology(&js, &topology, &settings).await.unwrap();
        World {
            stream: topology.stream_name(StreamKind::Events),
            root,
            url: server.url(),
            dir: tempfile::tempdir().unwrap(),
            server,
            creds: Mutex::new(HashMap::new()),
        }
    }

    /// Device `id` of this world (its id made unique with the world's tag).
    fn device(&self, id: &str, role: Role) -> Arc<Edge> {
        let config = EdgeConfig {
            device_id: format!("{id}{}", self.root),
            subject_root: self.root.clone(),
            role,
            ..EdgeConfig::default()
        };
        Arc::new(Edge::open(self.dir.path().join(format!("{id}.db")), config).unwrap())
    }

    /// Enrolls `edge` with `mallbots-central enroll`: a kiosk without stores, a manager for
    /// `stores`.
    fn enroll(&self, edge: &Edge, stores: &[&str]) {
        let id = edge.config().device_id.clone();
        let enrollment = match stores {
            [] => Enrollment::kiosk(&id, &self.root),
            _ => Enrollment::manager(&id, stores, &self.root),
        };
        let creds = self
            .server
            .enroll(&enrollment.stream_prefix(&format!("{}_", self.root)))
            .unwrap();
        self.creds.lock().unwrap().insert(id, creds);
    }

    async fn sync(&self, edge: &Arc<Edge>) -> SyncReport {
        let settings = SyncSettings {
            events_stream: self.stream.clone(),
            stores: Vec::new(),
            create_consumers: false,
        };
        let id = &edge.config().device_id;
        let creds = self.creds.lock().unwrap().get(id).cloned();
        let creds = creds.unwrap_or_else(|| panic!("{id} not enrolled"));
        // The engine clears the edge's aggregate cache after a rebase by itself.
        let engine: SyncEngine = engine(edge, &settings).unwrap();
        let link = engine
            .connect(&NatsTarget::with_creds(self.url.clone(), creds))
            .await
            .unwrap();
        engine.sync_once(&link).await.unwrap()
    }
}

fn conflicts(edge: &Edge) -> Vec<(String, String)> {
    edge.writer()
        .call(|s| mallbots_sync::engine::sync_status(s.connection(), false))
        .unwrap()
        .recent_conflicts
        .into_iter()
        .map(|c| (c.code, c.message))
        .collect()
}

/// Both managers know store + product at 10.00; returns them and the product.
async fn two_managers(w: &World) -> (Arc<Edge>, Arc<Edge>, mallbots_domain::ids::ProductId) {
    let a = w.device("ma", Role::Manager);
    let b = w.device("mb", Role::Manager);
    let store = a.create_store("Books", "Level 1").unwrap();
    let store_id = store.store_id.to_string();
    w.enroll(&a, &[&store_id]);
    w.enroll(&b, &[&store_id]);
    let product = a
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "B-1".into(),
            name: "Atlas".into(),
            description: String::new(),
            price_cents: 1_000,
        })
        .unwrap();
    let synced = w.sync(&a).await;
    assert_eq!(synced.relay.published, 2, "{synced:?}");
    let got = w.sync(&b).await;
    assert_eq!(got.inbox.applied, 2, "{got:?}");
    assert_eq!(b.product(product.product_id).unwrap().price_cents, 1_000);
    (a, b, product.product_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managers_offline_rebase_case_table() {
    // (case, a's offline action, b's offline price, b's price after sync, conflict code)
    let cases: [(&str, bool, i64, i64, Option<&str>); 2] = [
        (
            "both reprice: b rebased and republished",
            false,
            1_800,
            1_800,
            None,
        ),
        (
            "a removes, b reprices: b rejected",
            true,
            1_800,
            1_000,
            Some("product."),
        ),
    ];
    for (name, a_removes, b_price, b_after, conflict) in cases {
        let w = World::new().await;
        let (a, b, product) = two_managers(&w).await;
        if a_removes {
            a.remove_product(product).unwrap();
        } else {
            a.reprice_product(product, 1_500).unwrap();
        }
        b.reprice_product(product, b_price).unwrap();
        w.sync(&a).await;
        let report = w.sync(&b).await;
        assert_eq!(report.relay.rebased, 1, "{name}: {report:?}");
        let view = b.product(product).unwrap();
        match conflict {
            None => {
                assert_eq!(report.relay.rejected, 0, "{name}");
                assert_eq!(view.price_cents, b_after, "{name}");
                // a learns b's rebased price: both converge on the server's order.
                w.sync(&a).await;
                assert_eq!(a.product(product).unwrap().price_cents, b_after, "{name}");
                assert!(conflicts(&b).is_empty(), "{name}");
            }
            Some(code) => {
                assert_eq!(report.relay.rejected, 1, "{name}");
                assert!(view.removed, "{name}: b shows the product removed");
                let shown = conflicts(&b);
                assert_eq!(shown.len(), 1, "{name}: {shown:?}");
                assert!(shown[0].0.starts_with(code), "{name}: {shown:?}");
                assert!(
                    shown[0].1.contains("change price rejected"),
                    "{name}: {shown:?}"
                );
            }
        }
        let waiting = b
            .writer()
            .call(|s| mallbots_sync::engine::sync_status(s.connection(), false))
            .unwrap()
            .waiting;
        assert_eq!(waiting, 0, "{name}: nothing left to publish");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_removed_while_an_offline_cart_holds_it_is_a_conflict() {
    let w = World::new().await;
    let manager = w.device("m1", Role::Manager);
    let store = manager.create_store("Toys", "Level 2").unwrap();
    manager.set_participation(store.store_id, true).unwrap();
    w.enroll(&manager, &[&store.store_id.to_string()]);
    let product = manager
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "T-1".into(),
            name: "Kite".into(),
            description: String::new(),
            price_cents: 2_500,
        })
        .unwrap();
    w.sync(&manager).await;
    let kiosk = w.device("k1", Role::Kiosk);
    w.enroll(&kiosk, &[]);
    w.sync(&kiosk).await;
    let cart = kiosk.start_cart(None).unwrap();
    kiosk.add_item(cart.cart_id, product.product_id, 2).unwrap();

    manager.remove_product(product.product_id).unwrap();
    w.sync(&manager).await;
    let report = w.sync(&kiosk).await;
    assert!(report.inbox.applied >= 1, "{report:?}");
    let shown = conflicts(&kiosk);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].0, "basket.product_removed");
    assert!(shown[0].1.contains("Kite"), "{shown:?}");
    assert!(kiosk.product(product.product_id).unwrap().removed);
}
