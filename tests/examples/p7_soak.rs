//! P7 (docs/architecture.md §8): a bounded soak. Orders go the whole way, as the product wires
//! it: a nats-server with the authorization `mallbots-central auth init` generates, the real
//! `mallbots-central` (saga, payments, depot, 40 simulated bots), a kiosk and a mall-office desk
//! enrolled with `mallbots-central enroll` and syncing as themselves (in this process, as the
//! app runs them). Each order: cart, checkout at the kiosk, approval, a robot's round, ready on
//! the desk, hand-over requested by the desk, completed on the kiosk.
//!
//! After setting up and after every 1,000 orders it samples the growth that must stay flat for
//! a mall running for months: the kiosk's and the desk's database files (with WAL) and, of the
//! pages in use, their event logs (never pruned: the history) and the rest (what pruning keeps
//! flat), central's events stream (the log too:
//! bytes, messages), KV entries over every bucket, and the resident memory of
//! central and of this process (the two edges); then prints each figure's least-squares slope
//! per 1,000 orders from the first 1,000 on (the steady state; over every sample for a run of
//! 1,000 or 2,000). Never fails on a figure; it fails if orders stop completing.
//!
//! `cargo build --release -p mallbots-central && cargo run --release -p mallbots-tests
//! --example p7_soak -- [thousands=3] [rate=100]` (`bash scripts/bench.sh --soak N`).

use async_nats::jetstream;
use futures::StreamExt;
use mallbots_domain::OrderId;
use mallbots_edge::device::Enrollment as DeviceEnrollment;
use mallbots_edge::sync::{engine_tuned, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, NatsTarget, NewProduct, SyncHandle};
use mallbots_tests::bench::{self, arg};
use mallbots_tests::cli_mall::start_central;
use mallbots_tests::nats::{Enrollment, NatsServer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROOT: &str = "p7";
const PREFIX: &str = "p7_";
const BATCH: usize = 1_000;

/// A device opened on its own database and initialized from its enrollment file.
fn enrolled(dir: &Path, enrollment: &Path) -> Edge {
    let file = DeviceEnrollment::load(enrollment).expect("enrollment file");
    let identity = file.identity(enrollment);
    let config = EdgeConfig {
        device_id: identity.device_id.clone(),
        subject_root: ROOT.into(),
        role: identity.role,
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.join(format!("{}.db", identity.device_id)), config).expect("edge");
    edge.init_device(identity).expect("device init");
    edge
}

fn sync_settings() -> SyncSettings {
    SyncSettings {
        events_stream: format!("{PREFIX}EVENTS"),
        stores: Vec::new(),
        create_consumers: false,
    }
}

/// Starts `edge`'s background sync as the device of `enrollment`.
fn start_sync(edge: &Edge, url: &str, enrollment: &Path) -> SyncHandle {
    let target = NatsTarget {
        url: url.to_owned(),
        creds: Some(enrollment.to_path_buf()),
        tls_ca: None,
    };
    // Published outbox rows, inbox rows and published commands are pruned after 2 s (the
    // product keeps them 5 min, pruning every 30 s), so the bounded run reaches the steady
    // state a kiosk reaches after a few minutes.
    engine_tuned(edge, &sync_settings(), |config| {
        config.prune_interval = Duration::from_secs(1);
        config.prune_retention = Duration::from_secs(2);
    })
    .expect("engine")
    .spawn(target)
}

fn file_bytes(db: &Path) -> u64 {
    let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    size(db.to_path_buf()) + size(wal)
}

/// Bytes of the database at `db` in use (its pages less the free ones, WAL included: what the
/// file holds once checkpointed) and, of them, the event log's: the pages of `events` and its
/// indexes (SQLite's `dbstat`), which is never pruned. The rest is what must stay flat.
fn used_and_log_bytes(db: &Path) -> (u64, u64) {
    let open =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY);
    let figures = open.and_then(|conn| {
        let used: i64 = conn.query_row(
            "SELECT (page_count - freelist_count) * page_size
             FROM pragma_page_count, pragma_freelist_count, pragma_page_size",
            [],
            |r| r.get(0),
        )?;
        let log: i64 = conn.query_row(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'events'
               OR name IN (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events')",
            [],
            |r| r.get(0),
        )?;
        Ok((used as u64, log as u64))
    });
    figures.unwrap_or((0, 0))
}

/// Resident memory of `pid` in KiB (0 if unknown).
fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// One sample of everything that must stay flat.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    orders: usize,
    kiosk_db: u64,
    kiosk_used: u64,
    kiosk_log: u64,
    desk_db: u64,
    desk_used: u64,
    desk_log: u64,
    stream_bytes: u64,
    stream_messages: u64,
    kv_entries: u64,
    central_rss: u64,
    edge_rss: u64,
}

async fn sample(
    js: &jetstream::Context,
    orders: usize,
    kiosk: &Edge,
    desk: &Edge,
    central_pid: u32,
) -> Sample {
    let mut s = Sample {
        orders,
        kiosk_db: file_bytes(kiosk.path()),
        desk_db: file_bytes(desk.path()),
        central_rss: rss_kib(&central_pid.to_string()),
        edge_rss: rss_kib("self"),
        ..Sample::default()
    };
    (s.kiosk_used, s.kiosk_log) = used_and_log_bytes(kiosk.path());
    (s.desk_used, s.desk_log) = used_and_log_bytes(desk.path());
    let mut streams = js.streams();
    while let Some(Ok(info)) = streams.next().await {
        let name = info.config.name.as_str();
        if name == format!("{PREFIX}EVENTS") {
            s.stream_bytes = info.state.bytes;
            s.stream_messages = info.state.messages;
        } else if name.starts_with("KV_") {
            s.kv_entries += info.state.messages;
        }
    }
    s
}

/// Least-squares slope of `y` over `x` (per unit of `x`).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// Places `count` orders at about `rate` per second, hands each over once the desk sees it
/// ready, and waits until the kiosk sees every one completed.
async fn batch(
    kiosk: &Edge,
    desk: &Edge,
    product: mallbots_domain::ProductId,
    count: usize,
    rate: f64,
) {
    let customer = kiosk
        .register_customer("Soak", "+15550109999")
        .map(|c| c.customer_id)
        .ok();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut open: Vec<OrderId> = Vec::with_capacity(count);
    for i in 0..count {
        if let Some(wait) = (start + interval * i as u32).checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        let cart = kiosk.start_cart(customer).expect("cart");
        kiosk
            .add_item(cart.cart_id, product, 1 + (i % 3) as i64)
            .expect("add item");
        open.push(
            kiosk
                .checkout(cart.cart_id, "tok_visa", None)
                .expect("checkout")
                .order_id,
        );
    }
    let mut asked = std::collections::HashSet::new();
    let mut last_progress = Instant::now();
    while !open.is_empty() {
        let before = open.len() + asked.len();
        for order in &open {
            if asked.contains(order) {
                continue;
            }
            // The code the customer reads off the kiosk's confirmation and shows at the desk.
            let code = kiosk.order(*order).ok().and_then(|o| o.pickup_code);
            if desk.order_line_status(*order).ok().flatten().as_deref() == Some("ready")
                && desk
                    .request_pickup(*order, code.as_deref().unwrap_or_default())
                    .is_ok()
            {
                asked.insert(*order);
            }
        }
        open.retain(|o| {
            kiosk
                .order(*o)
                .map(|v| v.status != "completed")
                .unwrap_or(true)
        });
        asked.retain(|o| open.contains(o));
        if open.len() + asked.len() != before {
            last_progress = Instant::now();
        }
        assert!(
            last_progress.elapsed() < Duration::from_secs(120),
            "{} orders stopped completing (e.g. {:?}: kiosk {:?}, desk {:?})",
            open.len(),
            open[0],
            kiosk.order(open[0]).map(|v| v.status),
            desk.order_line_status(open[0]),
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn run(thousands: usize, rate: f64) {
    let server = NatsServer::start_with_auth("").expect("nats-server with authorization");
    let url = server.url();
    let central = start_central(
        &server,
        ROOT,
        PREFIX,
        &[
            ("MALLBOTS__SIM__BOTS", "40"),
            ("MALLBOTS__SIM__STEP_MS", "5"),
            // Finished sagas and lists are forgotten a second after they finish and their
            // markers expire two seconds later (defaults: 60 s and 15 min), so a run of a few
            // thousand orders reaches the steady state a mall reaches after a quarter of an hour:
            // the buckets then hold the orders in flight and the last seconds' markers only.
            ("MALLBOTS__SAGA__FINISHED_KEY_GRACE_MS", "1000"),
            ("MALLBOTS__DEPOT__FINISHED_LIST_GRACE_MS", "1000"),
            ("MALLBOTS__TOPOLOGY__FORGOTTEN_MARKER_TTL_MS", "2000"),
            ("RUST_LOG", "warn,mallbots_central::platform::service=info"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    if std::env::var_os("P7_KEEP").is_some() {
        println!("databases kept in {}", dir.path().display());
    }
    let enroll = |e: Enrollment| server.enroll(&e.stream_prefix(PREFIX)).expect("enroll");
    let kiosk_file = enroll(Enrollment::kiosk("soak-kiosk", ROOT));
    let desk_file = enroll(Enrollment::mall_office("soak-office", ROOT));
    let kiosk = Arc::new(enrolled(dir.path(), &kiosk_file));
    let desk = Arc::new(enrolled(dir.path(), &desk_file));
    desk.set_user(Some("soak"));

    let store = desk.create_store("Grocer", "Level 0").unwrap();
    desk.set_participation(store.store_id, true).unwrap();
    desk.set_automated_shopping(store.store_id, true).unwrap();
    let product = desk
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "TEA".into(),
            name: "Tea".into(),
            description: String::new(),
            price_cents: 450,
        })
        .unwrap();
    let desk_sync = start_sync(&desk, &url, &desk_file);
    let kiosk_sync = start_sync(&kiosk, &url, &kiosk_file);
    let deadline = Instant::now() + Duration::from_secs(60);
    while kiosk.product(product.product_id).is_err() {
        assert!(
            Instant::now() < deadline,
            "the catalog never reached the kiosk"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let creds = server
        .auth()
        .central_credentials()
        .expect("central credentials");
    let client = creds
        .login(async_nats::ConnectOptions::new())
        .expect("central credentials")
        .connect(url.as_str())
        .await
        .expect("connect as central");
    let js = jetstream::new(client);
    let pid = central.pid().expect("central pid");
    println!(
        "P7 soak: {thousands} x {BATCH} orders at <= {rate}/s, kiosk + desk + central (40 bots)"
    );
    println!(
        "{:>7} {:>10} {:>10} {:>10} {:>10} {:>12} {:>9} {:>9} {:>12} {:>10}",
        "orders",
        "kiosk KiB",
        "(its log)",
        "desk KiB",
        "(its log)",
        "stream KiB",
        "messages",
        "KV",
        "central KiB",
        "edges KiB"
    );
    let mut samples = Vec::new();
    let mut push = |s: Sample| {
        println!(
            "{:>7} {:>10} {:>10} {:>10} {:>10} {:>12} {:>9} {:>9} {:>12} {:>10}",
            s.orders,
            s.kiosk_db / 1024,
            s.kiosk_log / 1024,
            s.desk_db / 1024,
            s.desk_log / 1024,
            s.stream_bytes / 1024,
            s.stream_messages,
            s.kv_entries,
            s.central_rss,
            s.edge_rss
        );
        samples.push(s);
    };
    push(sample(&js, 0, &kiosk, &desk, pid).await);
    let started = Instant::now();
    for k in 1..=thousands {
        batch(&kiosk, &desk, product.product_id, BATCH, rate).await;
        push(sample(&js, k * BATCH, &kiosk, &desk, pid).await);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut buckets = Vec::new();
    let mut streams = js.streams();
    while let Some(Ok(info)) = streams.next().await {
        if let Some(bucket) = info.config.name.strip_prefix("KV_") {
            buckets.push(format!("{bucket} {}", info.state.messages));
        }
    }
    buckets.sort();
    println!("KV entries by bucket at the end: {}", buckets.join(", "));
    kiosk_sync.shutdown().await;
    desk_sync.shutdown().await;
    drop(central);
    if std::env::var_os("P7_KEEP").is_some() {
        let _ = dir.keep();
    }

    // The steady state: from the first 1,000 orders on (that batch warms caches, fills the
    // buckets' in-flight orders and markers), when there are two samples or more after it.
    let steady = if samples.len() > 2 {
        &samples[1..]
    } else {
        &samples[..]
    };
    let per_1000 = |f: fn(&Sample) -> u64| {
        let points: Vec<(f64, f64)> = steady
            .iter()
            .map(|s| (s.orders as f64 / BATCH as f64, f(s) as f64))
            .collect();
        slope(&points)
    };
    let slopes = serde_json::json!({
        "kiosk_db_kib": per_1000(|s| s.kiosk_db) / 1024.0,
        "kiosk_log_kib": per_1000(|s| s.kiosk_log) / 1024.0,
        "kiosk_rest_kib": per_1000(|s| s.kiosk_used.saturating_sub(s.kiosk_log)) / 1024.0,
        "desk_db_kib": per_1000(|s| s.desk_db) / 1024.0,
        "desk_log_kib": per_1000(|s| s.desk_log) / 1024.0,
        "desk_rest_kib": per_1000(|s| s.desk_used.saturating_sub(s.desk_log)) / 1024.0,
        "stream_kib": per_1000(|s| s.stream_bytes) / 1024.0,
        "stream_messages": per_1000(|s| s.stream_messages),
        "kv_entries": per_1000(|s| s.kv_entries),
        "central_rss_kib": per_1000(|s| s.central_rss),
        "edges_rss_kib": per_1000(|s| s.edge_rss),
    });
    println!(
        "slope per 1,000 orders (least squares over the samples from {} orders on): {slopes}",
        steady[0].orders
    );
    println!(
        "{} orders completed in {elapsed:.1} s ({:.1} orders/s)",
        thousands * BATCH,
        (thousands * BATCH) as f64 / elapsed
    );
    let bench = serde_json::json!({
        "id": "P7", "what": "growth per 1,000 completed orders (kiosk, desk, central)",
        "value": slopes["kiosk_db_kib"], "unit": "KiB kiosk database per 1,000 orders",
        "target": "flat", "met": serde_json::Value::Null,
        "extra": {"slopes": slopes, "orders": thousands * BATCH, "seconds": elapsed}
    });
    println!("BENCH_JSON {bench}");
}

fn main() {
    let thousands: usize = arg(1, 3);
    let rate: f64 = arg(2, 100.0);
    bench::run(run(thousands.max(1), rate.max(0.1)));
}
