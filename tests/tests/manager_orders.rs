//! System test (issue 11, item 3): the manager sees the mall's orders for their stores.
//!
//! A real nats-server and a real `mallbots-central` (saga, payments, depot, bot simulator). Two
//! managers set up their stores' catalogs (Deli by `m1`, Books by `m2`); two kiosks, each the
//! `mallbots` CLI binary with `sync`, take orders holding Deli's products (one also Books'), and
//! one order of Books only. Every device is enrolled with the real `mallbots-central enroll`
//! command, which creates its consumers; no device creates its own, and the test publishes
//! nothing: every status change and order line comes from central.
//!
//! `m1`, syncing, sees both kiosks' Deli orders move to ready through central's order lines
//! (status history, payment, invoice, kiosk, phone's last digits), never the Books-only order
//! nor Books' lines; finds them by status, day and phone suffix, through its API and the
//! `mallbots orders` / `mallbots order show` CLI; and its sales figure counts them.
//!
//! NATS runs with the authorization the product generates (`mallbots-central auth init`); each
//! device syncs with the credentials file its enrollment wrote.
//!
//! Needs the binaries: `cargo build -p mallbots-central -p mallbots-edge` (same
//! `CARGO_TARGET_DIR`) first.

use mallbots_edge::domain::ordering::OrderStatus;
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{utc_day, Edge, EdgeConfig, NewProduct, OrderFilter, Role};
use mallbots_sync::engine::NatsTarget;
use mallbots_tests::nats::{Enrollment, NatsServer};
use mallbots_tests::procs::{binary, Proc, CENTRAL, EDGE_CLI};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ROOT: &str = "mo";
const PREFIX: &str = "mo_";
const FLOW: Duration = Duration::from_secs(60);

/// Runs a workspace binary to completion; its stdout, or a panic with its output.
fn run(name: &str, args: &[&str]) -> String {
    let out = Command::new(binary(name).expect("cargo build -p mallbots-central -p mallbots-edge"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `mallbots-central enroll` against the test's server: the device's credentials file.
fn enroll(server: &NatsServer, device: &str, stores: &[String]) -> PathBuf {
    let enrollment = if stores.is_empty() {
        Enrollment::kiosk(device, ROOT)
    } else {
        let stores: Vec<&str> = stores.iter().map(String::as_str).collect();
        Enrollment::manager(device, &stores, ROOT)
    };
    server
        .enroll(&enrollment.stream_prefix(PREFIX))
        .expect("enroll")
}

/// A kiosk: the `mallbots` CLI on its own database.
struct Kiosk {
    db: PathBuf,
    device: &'static str,
    url: String,
    creds: PathBuf,
}

impl Kiosk {
    /// `mallbots --json ARGS` as this kiosk: the JSON document it printed.
    fn cli(&self, args: &[&str]) -> Value {
        let db = self.db.display().to_string();
        let mut all = vec!["--db", &db, "--device", self.device, "--subject-root", ROOT];
        all.push("--json");
        all.extend(args);
        let out = run(EDGE_CLI, &all);
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    fn sync(&self) -> Value {
        let stream = format!("{PREFIX}EVENTS");
        let creds = self.creds.display().to_string();
        self.cli(&[
            "sync",
            "--nats",
            &self.url,
            "--enrollment",
            &creds,
            "--stream",
            &stream,
        ])
    }

    /// Registers a customer and checks a cart of (product, qty) out; the order id.
    fn order(&self, phone: &str, lines: &[(&str, i64)]) -> String {
        let customer = self.cli(&["customer", "register", "--name", "Ada", "--phone", phone]);
        let customer = customer["customer_id"].as_str().unwrap().to_owned();
        let cart = self.cli(&["cart", "start", "--customer", &customer]);
        let cart = cart["cart_id"].as_str().unwrap().to_owned();
        for (product, qty) in lines {
            self.cli(&["cart", "add", &cart, product, "--qty", &qty.to_string()]);
        }
        let order = self.cli(&["checkout", &cart, "--card", "tok_visa"]);
        order["order_id"].as_str().unwrap().to_owned()
    }
}

fn manager(dir: &Path, id: &str) -> Edge {
    let config = EdgeConfig {
        device_id: id.into(),
        subject_root: ROOT.into(),
        role: Role::Manager,
        ..EdgeConfig::default()
    };
    Edge::open(dir.join(format!("{id}.db")), config).unwrap()
}

/// One sync of a manager desk through the consumers enrollment created.
async fn sync(edge: &Edge, url: &str, creds: &Path, stores: &[String]) {
    let settings = SyncSettings {
        events_stream: format!("{PREFIX}EVENTS"),
        stores: stores.to_vec(),
        create_consumers: false,
    };
    let engine = engine(edge, &settings).unwrap();
    let link = engine
        .connect(&NatsTarget::with_creds(url, creds))
        .await
        .unwrap();
    engine.sync_once(&link).await.unwrap();
}

fn product(edge: &Edge, store: mallbots_edge::domain::StoreId, sku: &str, cents: i64) -> String {
    edge.add_product(NewProduct {
        store_id: store,
        sku: sku.into(),
        name: sku.into(),
        description: String::new(),
        price_cents: cents,
    })
    .unwrap()
    .product_id
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sees_both_kiosks_orders_of_its_store_move_to_ready() {
    let server = NatsServer::start_with_auth("").unwrap();
    let url = server.url();
    let mut central = Proc::builder(CENTRAL)
        .args(["--nats", &url, "--http", "127.0.0.1:0"])
        .args(server.auth().central_args())
        .args(["--subject-root", ROOT, "--stream-prefix", PREFIX])
        .args(["--duplicate-window-ms", "1000"])
        .args(["--roles", "saga,payments,depot,bots-sim"])
        .env("MALLBOTS__SIM__BOTS", "2")
        .env("MALLBOTS__SIM__STEP_MS", "20")
        .spawn()
        .expect("spawn mallbots-central (cargo build -p mallbots-central first)");
    if let Err(e) = central.wait_for_log("mallbots-central ready", Duration::from_secs(30)) {
        panic!("central not ready: {e}");
    }
    let dir = tempfile::tempdir().unwrap();

    // Two managers, each its store's catalog.
    let m1 = manager(dir.path(), "m1");
    let deli = m1.create_store("Deli", "Level 1").unwrap().store_id;
    m1.set_participation(deli, true).unwrap();
    m1.set_automated_shopping(deli, true).unwrap();
    let tea = product(&m1, deli, "Tea", 250);
    let cake = product(&m1, deli, "Cake", 400);
    let m2 = manager(dir.path(), "m2");
    let books = m2.create_store("Books", "Level 2").unwrap().store_id;
    m2.set_participation(books, true).unwrap();
    m2.set_automated_shopping(books, true).unwrap();
    let atlas = product(&m2, books, "Atlas", 2_000);
    let (deli_id, books_id) = (vec![deli.to_string()], vec![books.to_string()]);
    let m1_creds = enroll(&server, "m1", &deli_id);
    let m2_creds = enroll(&server, "m2", &books_id);
    sync(&m1, &url, &m1_creds, &deli_id).await;
    sync(&m2, &url, &m2_creds, &books_id).await;

    // Two kiosks (the CLI), enrolled, take orders.
    let kiosk = |device| Kiosk {
        db: dir.path().join(format!("{device}.db")),
        device,
        url: url.clone(),
        creds: enroll(&server, device, &[]),
    };
    let (k1, k2) = (kiosk("k1"), kiosk("k2"));
    for k in [&k1, &k2] {
        k.sync();
    }
    let a = k1.order("+15550104477", &[(&tea, 2)]);
    let b = k2.order("+15550101234", &[(&cake, 1), (&atlas, 1)]);
    let c = k2.order("+15550109999", &[(&atlas, 2)]);
    for k in [&k1, &k2] {
        let report = k.sync();
        assert!(report["published"].as_u64().unwrap() > 0, "{report}");
    }

    // m1 syncs until both Deli orders are ready.
    let deadline = Instant::now() + FLOW;
    let ready = loop {
        sync(&m1, &url, &m1_creds, &deli_id).await;
        let ready = m1
            .manager_orders(&OrderFilter {
                status: Some(OrderStatus::Ready),
                ..OrderFilter::default()
            })
            .unwrap();
        if ready.len() >= 2 {
            break ready;
        }
        assert!(
            Instant::now() < deadline,
            "not ready in time: {:#?}\n{}",
            m1.manager_orders(&OrderFilter::default()).unwrap(),
            central.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let ids: Vec<String> = ready.iter().map(|o| o.order_id.to_string()).collect();
    assert_eq!(ids, [b.clone(), a.clone()], "newest placed first");
    let all = m1.manager_orders(&OrderFilter::default()).unwrap();
    assert_eq!(all.len(), 2, "never the Books-only order {c}: {all:#?}");

    // Each order as the desk sees it: its kiosk, Deli's lines only, payment, invoice, phone.
    let detail = |id: &str| m1.manager_order(id.parse().unwrap()).unwrap().unwrap();
    let (da, db) = (detail(&a), detail(&b));
    assert_eq!(
        (da.order.device_id.as_str(), db.order.device_id.as_str()),
        ("k1", "k2")
    );
    assert_eq!((da.order.total_cents, da.order.item_count), (500, 2));
    assert_eq!(
        (db.order.total_cents, db.order.item_count),
        (400, 1),
        "Deli's share only"
    );
    assert_eq!(db.lines.len(), 1);
    assert_eq!(db.lines[0].store_name, "Deli");
    assert_eq!(db.lines[0].items[0].product_name, "Cake");
    for d in [&da, &db] {
        assert_eq!(d.order.payment.as_deref(), Some("authorized"));
        assert_eq!(d.order.invoice.as_deref(), Some("pending"));
        let statuses: Vec<&str> = d.history.iter().map(|h| h.status.as_str()).collect();
        assert_eq!(
            statuses,
            ["pending", "approved", "in_progress", "ready"],
            "{:#?}",
            d.history
        );
        assert!(d.history.windows(2).all(|w| w[0].at <= w[1].at));
    }
    assert_eq!(
        (
            da.order.phone_last4.as_deref(),
            db.order.phone_last4.as_deref()
        ),
        (Some("4477"), Some("1234"))
    );

    // Search by phone suffix, status and day.
    let find = |filter: OrderFilter| -> Vec<String> {
        let orders = m1.manager_orders(&filter).unwrap();
        orders.iter().map(|o| o.order_id.to_string()).collect()
    };
    let phone = |p: &str| OrderFilter {
        phone_suffix: Some(p.into()),
        ..OrderFilter::default()
    };
    assert_eq!(find(phone("4477")), [a.as_str()]);
    assert_eq!(find(phone("234")), [b.as_str()]);
    assert!(find(phone("9999")).is_empty(), "order {c} is Books' only");
    let status = |s| OrderFilter {
        status: Some(s),
        ..OrderFilter::default()
    };
    assert!(find(status(OrderStatus::Approved)).is_empty());
    let today = utc_day(mallbots_sync::store::now_ms());
    let placed = utc_day(da.order.placed_at);
    let day = |from: &str, to: &str| OrderFilter {
        from_day: Some(from.into()),
        to_day: Some(to.into()),
        ..OrderFilter::default()
    };
    assert_eq!(find(day(&placed, &today)).len(), 2);
    assert!(find(day("2000-01-01", "2000-01-02")).is_empty());

    // The sales figure: both orders reached ready, so both are Deli's sales of that day.
    let sales = m1.sales_per_day(deli).unwrap();
    assert_eq!(sales.len(), 1, "{sales:?}");
    assert_eq!(
        (sales[0].orders, sales[0].items, sales[0].total_cents),
        (2, 3, 900)
    );
    assert_eq!(
        sales[0].day,
        utc_day(da.history[3].at.min(db.history[3].at))
    );

    // The same through the CLI on m1's database.
    let m1_db = m1.path().display().to_string();
    drop(m1);
    let desk_cli = |args: &[&str]| -> Value {
        let mut all = vec![
            "--db",
            m1_db.as_str(),
            "--device",
            "m1",
            "--subject-root",
            ROOT,
        ];
        all.push("--json");
        all.extend(args);
        serde_json::from_str(run(EDGE_CLI, &all).trim()).unwrap()
    };
    let by_phone = desk_cli(&["orders", "--phone", "4477"]);
    assert_eq!(by_phone.as_array().unwrap().len(), 1, "{by_phone}");
    assert_eq!(by_phone[0]["order_id"], a.as_str());
    assert_eq!(by_phone[0]["status"], "ready");
    let by_status = desk_cli(&[
        "orders", "--status", "ready", "--from", &placed, "--to", &today,
    ]);
    assert_eq!(by_status.as_array().unwrap().len(), 2, "{by_status}");
    let store_only = desk_cli(&["orders", "--status", "ready", "--store", &deli.to_string()]);
    assert_eq!(store_only.as_array().unwrap().len(), 2, "{store_only}");
    let shown = desk_cli(&["order", "show", &b]);
    assert_eq!(shown["order"]["device_id"], "k2", "{shown}");
    assert_eq!(shown["lines"][0]["total_cents"], 400);
    assert_eq!(shown["history"][3]["status"], "ready");
    // The kiosk still shows its own order as it knows it.
    assert_eq!(k1.cli(&["order", "show", &a])["order_id"], a.as_str());
}
