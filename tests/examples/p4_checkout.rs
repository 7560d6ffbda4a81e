//! P4 (docs/architecture.md §8): kiosk checkout → OrderShoppingStarted seen back in the kiosk's read model,
//! on one machine with a real nats-server (R1) and a real `mallbots-central` (saga, payments,
//! depot, bot simulator with enough fast bots; no notifications role, so SMS is off the path).
//!
//! A manager edge creates a store and a product and syncs; a kiosk edge syncs the catalog and
//! then runs its sync engine in the background. N carts are prepared (and relayed) first; then
//! checkouts start on a fixed clock at `rate` per second (open loop: a start time never waits
//! for an earlier order), each followed by [`SyncEngine::poke`] as the app does. A reader polls
//! the kiosk's read model; latency = first sight of status `in_progress` (or later) minus the
//! checkout's scheduled start, so a late checkout counts against the figure.
//!
//! `cargo build --release -p mallbots-central && cargo run --release -p mallbots-tests
//! --example p4_checkout -- [orders=1000] [rate=100]`. Prints p50/p90/p99/max and one
//! `BENCH_JSON` line; never fails on speed (it fails if orders never get there).
//!
//! [`SyncEngine::poke`]: mallbots_sync::engine::SyncEngine::poke

use mallbots_domain::OrderId;
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, NewProduct, Role};
use mallbots_sync::engine::NatsTarget;
use mallbots_sync::store::{StoreOptions, StoreReader, Upcasters};
use mallbots_tests::bench::{self, arg};
use mallbots_tests::nats::NatsServer;
use mallbots_tests::procs::{Proc, CENTRAL};
use std::collections::HashMap;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const ROOT: &str = "p4";
const PREFIX: &str = "p4_";
const BOTS: &str = "40";
const STEP_MS: &str = "5";
/// Statuses at or after OrderShoppingStarted.
const SHOPPING_OR_LATER: &[&str] = &["in_progress", "ready", "completed"];

fn device(dir: &std::path::Path, id: &str, role: Role) -> Edge {
    let config = EdgeConfig {
        device_id: id.into(),
        subject_root: ROOT.into(),
        role,
        ..EdgeConfig::default()
    };
    Edge::open(dir.join(format!("{id}.db")), config).expect("open edge")
}

fn settings() -> SyncSettings {
    SyncSettings {
        events_stream: format!("{PREFIX}EVENTS"),
        stores: Vec::new(),
        create_consumers: true,
    }
}

async fn sync_once(edge: &Edge, url: &str) {
    let engine = engine(edge, &settings()).expect("engine");
    let link = engine
        .connect(&NatsTarget::new(url))
        .await
        .expect("connect");
    engine.sync_once(&link).await.expect("sync once");
    edge.clear_cache();
}

fn start_central(url: &str) -> Proc {
    let mut central = Proc::builder(CENTRAL)
        .args(["--nats", url, "--http", "127.0.0.1:0"])
        .args(["--subject-root", ROOT, "--stream-prefix", PREFIX])
        .args(["--roles", "saga,payments,depot,bots-sim"])
        .env("MALLBOTS__SIM__BOTS", BOTS)
        .env("MALLBOTS__SIM__STEP_MS", STEP_MS)
        .env("RUST_LOG", "warn,mallbots_central::platform::service=info")
        .spawn()
        .expect("spawn mallbots-central (cargo build [--release] -p mallbots-central first)");
    if let Err(e) = central.wait_for_log("mallbots-central ready", Duration::from_secs(60)) {
        panic!("central not ready: {e}\n{}", central.logs());
    }
    central
}

/// Latencies from each checkout's scheduled start to: OrderCreated acknowledged by JetStream
/// (its stream sequence recorded), status `approved` seen, status `in_progress` (or later)
/// seen: the last is P4.
#[derive(Default)]
struct Stages {
    synced: Vec<Duration>,
    approved: Vec<Duration>,
    shopping: Vec<Duration>,
}

/// One order being watched.
struct Track {
    scheduled: Instant,
    synced: bool,
    approved: bool,
}

/// Polls the kiosk's database until every order sent on `rx` reaches shopping (or gives up
/// `patience` after the last progress); returns the stages and the orders that never got there.
fn watch(
    db: &std::path::Path,
    rx: mpsc::Receiver<(OrderId, Instant)>,
    total: usize,
    patience: Duration,
) -> (Stages, HashMap<OrderId, String>) {
    let reader = StoreReader::open(db, Arc::new(Upcasters::default()), &StoreOptions::default())
        .expect("read-only connection");
    let conn = reader.connection();
    let status = |order: &OrderId| -> Option<String> {
        conn.prepare_cached("SELECT status FROM rm_orders WHERE order_id = ?1")
            .and_then(|mut s| s.query_row([order.to_string()], |r| r.get(0)))
            .ok()
    };
    let synced = |order: &OrderId| -> bool {
        conn.prepare_cached(
            "SELECT stream_seq IS NOT NULL FROM events
             WHERE stream_type = 'order' AND stream_id = ?1 AND version = 1",
        )
        .and_then(|mut s| s.query_row([order.to_string()], |r| r.get(0)))
        .unwrap_or(false)
    };
    let mut outstanding: HashMap<OrderId, Track> = HashMap::new();
    let mut stages = Stages::default();
    let mut received = 0;
    let mut last_progress = Instant::now();
    while stages.shopping.len() < total {
        while let Ok((order, scheduled)) = rx.try_recv() {
            let track = Track {
                scheduled,
                synced: false,
                approved: false,
            };
            outstanding.insert(order, track);
            received += 1;
            last_progress = Instant::now();
        }
        let mut done = Vec::new();
        for (order, track) in outstanding.iter_mut() {
            let now = status(order).unwrap_or_default();
            if !track.synced && synced(order) {
                track.synced = true;
                stages.synced.push(track.scheduled.elapsed());
            }
            if !track.approved && (now == "approved" || SHOPPING_OR_LATER.contains(&now.as_str())) {
                track.approved = true;
                stages.approved.push(track.scheduled.elapsed());
            }
            if SHOPPING_OR_LATER.contains(&now.as_str()) {
                stages.shopping.push(track.scheduled.elapsed());
                done.push(*order);
            }
        }
        if !done.is_empty() {
            last_progress = Instant::now();
        }
        for order in done {
            outstanding.remove(&order);
        }
        if received == total && last_progress.elapsed() > patience {
            break;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let stuck = outstanding
        .keys()
        .map(|o| (*o, status(o).unwrap_or_else(|| "missing".to_owned())))
        .collect();
    (stages, stuck)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

async fn run(orders: usize, rate: f64) {
    let server = NatsServer::start().expect("start nats-server");
    let url = server.url();
    let central = start_central(&url);
    let dir = tempfile::tempdir().unwrap();

    let manager = device(dir.path(), "m1", Role::Manager);
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
    sync_once(&manager, &url).await;

    let kiosk = Arc::new(device(dir.path(), "k1", Role::Kiosk));
    let customer = kiosk.register_customer("Ada", "+15550104477").unwrap();
    sync_once(&kiosk, &url).await;
    assert!(!kiosk.product(product.product_id).unwrap().removed);
    let sync = engine(&kiosk, &settings()).unwrap();
    let handle = sync.clone().spawn(NatsTarget::new(url.clone()));

    // Carts prepared (and relayed) before the measured phase; a few warm-up orders.
    let warmup = 5.min(orders);
    let mut carts = Vec::with_capacity(orders + warmup);
    for i in 0..orders + warmup {
        let cart = kiosk.start_cart(Some(customer.customer_id)).unwrap();
        kiosk
            .add_item(cart.cart_id, product.product_id, 1 + (i % 3) as i64)
            .unwrap();
        carts.push(cart.cart_id);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while sync.status().await.unwrap().waiting > 0 || !sync.is_online() {
        assert!(Instant::now() < deadline, "the carts never synced");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (tx, rx) = mpsc::channel();
    let db = kiosk.path().to_path_buf();
    let warm_watch = std::thread::spawn(move || watch(&db, rx, warmup, Duration::from_secs(60)));
    for cart in carts.drain(..warmup) {
        let order = kiosk.checkout(cart, "tok_visa", None).unwrap().order_id;
        tx.send((order, Instant::now())).unwrap();
    }
    let (warm, stuck) = warm_watch.join().unwrap();
    if warm.shopping.len() < warmup {
        panic!(
            "warm-up orders never reached shopping: {stuck:?}\ncentral log:\n{}",
            central.logs()
        );
    }
    println!(
        "P4: {orders} orders at {rate}/s (open loop), R1, {BOTS} simulated bots, step {STEP_MS} ms"
    );

    // The measured phase: checkouts on a fixed clock.
    let (tx, rx) = mpsc::channel();
    let db = kiosk.path().to_path_buf();
    let watcher = std::thread::spawn(move || watch(&db, rx, orders, Duration::from_secs(30)));
    let issuer = {
        let kiosk = kiosk.clone();
        std::thread::spawn(move || {
            let interval = Duration::from_secs_f64(1.0 / rate);
            let start = Instant::now() + Duration::from_millis(20);
            let mut checkout_times = Vec::with_capacity(carts.len());
            for (i, cart) in carts.into_iter().enumerate() {
                let scheduled = start + interval * i as u32;
                if let Some(wait) = scheduled.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let t = Instant::now();
                let order = kiosk.checkout(cart, "tok_visa", None).unwrap().order_id;
                checkout_times.push(t.elapsed());
                tx.send((order, scheduled)).unwrap();
            }
            (checkout_times, start.elapsed())
        })
    };
    let (mut checkout_times, issue_time) = issuer.join().unwrap();
    let (mut stages, stuck) = tokio::task::spawn_blocking(move || watcher.join().unwrap())
        .await
        .unwrap();
    handle.shutdown().await;
    if !stuck.is_empty() {
        let mut some: Vec<_> = stuck.iter().take(5).collect();
        some.sort();
        println!(
            "{} orders did not reach shopping, e.g. {some:?}",
            stuck.len()
        );
        let log = central.logs();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        println!(
            "central log (last lines, newest first):\n{}",
            tail.join("\n")
        );
    }
    drop(central);

    if stages.shopping.is_empty() {
        panic!("no order reached shopping");
    }
    let mut latencies = std::mem::take(&mut stages.shopping);
    latencies.sort();
    stages.synced.sort();
    stages.approved.sort();
    let p50_of = |v: &[Duration]| {
        if v.is_empty() {
            f64::NAN
        } else {
            percentile(v, 0.5)
        }
    };
    let p99_of = |v: &[Duration]| {
        if v.is_empty() {
            f64::NAN
        } else {
            percentile(v, 0.99)
        }
    };
    println!(
        "stages (p50 / p99 from the scheduled start): synced to JetStream {:.1} / {:.1} ms, \
         approved seen {:.1} / {:.1} ms",
        p50_of(&stages.synced),
        p99_of(&stages.synced),
        p50_of(&stages.approved),
        p99_of(&stages.approved)
    );
    checkout_times.sort();
    let (p50, p90, p99) = (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
    );
    let max = latencies.last().unwrap().as_secs_f64() * 1e3;
    let offered = orders as f64 / issue_time.as_secs_f64();
    println!(
        "checkout -> shopping seen on kiosk: p50 {p50:.1} ms  p90 {p90:.1} ms  p99 {p99:.1} ms  \
         max {max:.1} ms  ({} of {orders} reached shopping; offered {offered:.1}/s)",
        latencies.len()
    );
    println!(
        "local checkout commit: p50 {:.2} ms  p99 {:.2} ms",
        percentile(&checkout_times, 0.5),
        percentile(&checkout_times, 0.99)
    );
    let met = p50 <= 50.0 && p99 <= 250.0 && stuck.is_empty();
    println!(
        "P4 target p50 <= 50 ms, p99 <= 250 ms: {}",
        if met { "met" } else { "missed" }
    );
    let bench = serde_json::json!({
        "id": "P4", "what": "checkout -> OrderShoppingStarted seen on the kiosk (R1, open loop)",
        "value": p50, "unit": "ms p50",
        "target": "p50 <= 50 ms, p99 <= 250 ms", "met": met,
        "extra": {"p50_ms": p50, "p90_ms": p90, "p99_ms": p99, "max_ms": max,
                  "orders": orders, "reached": latencies.len(), "rate": rate,
                  "offered_rate": offered, "bots": BOTS, "step_ms": STEP_MS,
                  "checkout_p99_ms": percentile(&checkout_times, 0.99),
                  "synced_p50_ms": p50_of(&stages.synced), "synced_p99_ms": p99_of(&stages.synced),
                  "approved_p50_ms": p50_of(&stages.approved),
                  "approved_p99_ms": p99_of(&stages.approved)}
    });
    println!("BENCH_JSON {bench}");
}

fn main() {
    let orders: usize = arg(1, 1000);
    let rate: f64 = arg(2, 100.0);
    bench::run(run(orders.max(1), rate.max(0.1)));
}
