//! P1: local add-item commands through the `Edge` API (load → decide → append with outbox,
//! command row and read models in one commit) vs raw rusqlite insert+commit with the same
//! pragmas and payload, in the same run; and whether latency stays flat as a cart grows.
//!
//! `cargo run --release -p mallbots-edge --example p1_add_item [carts] [--relay URL DEVICE]`
//! (default 30 carts of 100 distinct items). With `--relay` the edge is kiosk DEVICE (enrolled
//! beforehand: `mallbots-central --nats URL enroll --device DEVICE`) and its sync engine runs
//! throughout the timed adds, relaying each command's events to the server as it would in the
//! mall (docs/architecture.md §8: P1 is measured with the relay running); the figures then also
//! say how far behind the relay was when the last add returned and how long it took to catch up.
//!
//! A third figure is the floor: the rows one add-item leaves (command, event, outbox row, cart
//! line, cart totals) written by hand-written SQL in one transaction on a database with the
//! edge's own schema. It bounds what any implementation keeping the edge's guarantee (all of
//! them in one commit) can reach against the raw single-row commit.

use mallbots_domain::ProductId;
use mallbots_edge::sync::SyncSettings;
use mallbots_edge::{Edge, EdgeConfig, NewProduct};
use mallbots_sync::engine::NatsTarget;
use mallbots_sync::store::checkpoint::WRITER_FALLBACK_FRAMES;
use std::time::{Duration, Instant};

const ITEMS: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Rate and latency percentiles (ms) of one run.
struct Figures {
    rate: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
}

fn summary(name: &str, mut samples: Vec<Duration>, total: Duration) -> Figures {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let figures = Figures {
        rate: samples.len() as f64 / total.as_secs_f64(),
        p50_ms: ms(percentile(&samples, 0.5)),
        p90_ms: ms(percentile(&samples, 0.9)),
        p99_ms: ms(percentile(&samples, 0.99)),
    };
    let rate = samples.len() as f64 / total.as_secs_f64();
    println!(
        "{name:<28} {:>9.0} ops/s  p50 {:>7.1} µs  p99 {:>7.1} µs  max {:>8.1} µs",
        rate,
        micros(percentile(&samples, 0.5)),
        micros(percentile(&samples, 0.99)),
        micros(*samples.last().unwrap()),
    );
    figures
}

/// An edge with a participating store of `ITEMS` products, after a warm-up cart; the
/// products and the stored payload `payload|metadata` of one BasketItemAdded.
fn edge_setup(dir: &std::path::Path, device: Option<&str>) -> (Edge, Vec<ProductId>, String) {
    let mut config = EdgeConfig::default();
    if let Some(device) = device {
        config.device_id = device.to_owned();
    }
    let edge = Edge::open(dir.join("edge.db"), config).unwrap();
    let store = edge.create_store("Bench", "L1").unwrap();
    edge.set_participation(store.store_id, true).unwrap();
    let products: Vec<_> = (0..ITEMS)
        .map(|i| {
            edge.add_product(NewProduct {
                store_id: store.store_id,
                sku: format!("SKU-{i}"),
                name: format!("Product {i}"),
                description: String::new(),
                price_cents: 100 + i as i64,
            })
            .unwrap()
            .product_id
        })
        .collect();
    let warm = edge.start_cart(None).unwrap();
    for p in &products {
        edge.add_item(warm.cart_id, *p, 1).unwrap();
    }
    let payload: String = rusqlite::Connection::open(dir.join("edge.db"))
        .unwrap()
        .query_row(
            "SELECT payload || '|' || metadata FROM events WHERE event_type = 'BasketItemAdded' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (edge, products, payload)
}

/// One cart of add-items; each command's latency.
fn edge_cart(edge: &Edge, products: &[ProductId], by_index: &mut [Vec<Duration>]) -> Vec<Duration> {
    let cart = edge.start_cart(None).unwrap();
    let mut samples = Vec::with_capacity(products.len());
    for (i, p) in products.iter().enumerate() {
        let t = Instant::now();
        edge.add_item(cart.cart_id, *p, 1).unwrap();
        let d = t.elapsed();
        by_index[i].push(d);
        samples.push(d);
    }
    samples
}

/// The raw baseline's database: WAL, synchronous=NORMAL, foreign keys, the edge writer's
/// `wal_autocheckpoint`, an events table with the same uniqueness constraints (event id;
/// stream and version).
fn raw_setup(dir: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join("raw.db")).unwrap();
    let _: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    // The edge's writer connection raises the auto-checkpoint (it checkpoints in the
    // background): the same pragma here.
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_FALLBACK_FRAMES)
        .unwrap();
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         CREATE TABLE events (global_pos INTEGER PRIMARY KEY, stream_id TEXT NOT NULL,
             version INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,
             metadata TEXT NOT NULL, UNIQUE (stream_id, version));",
    )
    .unwrap();
    conn
}

/// `ITEMS` raw insert+commits of the payload as one stream ("cart" `cart`).
fn raw_cart(conn: &rusqlite::Connection, cart: usize, payload: &str) -> Vec<Duration> {
    let (payload, metadata) = payload.split_once('|').unwrap();
    let mut samples = Vec::with_capacity(ITEMS);
    for i in 0..ITEMS {
        let t = Instant::now();
        let tx = conn.unchecked_transaction().unwrap();
        tx.prepare_cached(
            "INSERT INTO events (stream_id, version, event_id, payload, metadata)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .unwrap()
        .execute(rusqlite::params![
            format!("cart-{cart}"),
            i as i64 + 1,
            uuid::Uuid::now_v7().to_string(),
            payload,
            metadata
        ])
        .unwrap();
        tx.commit().unwrap();
        samples.push(t.elapsed());
    }
    samples
}

/// The floor's database: a fresh edge database (so the very same tables, indexes and pragmas),
/// written by hand-written SQL only.
fn floor_setup(dir: &std::path::Path) -> rusqlite::Connection {
    let path = dir.join("floor.db");
    drop(Edge::open(&path, EdgeConfig::default()).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_FALLBACK_FRAMES)
        .unwrap();
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .unwrap();
    conn
}

/// One cart of the floor: per add-item, in one transaction, exactly the rows the edge leaves
/// (the command, the event, its outbox row, the cart line, the cart's totals) and nothing
/// else: no aggregate, no decision, no encoding. No implementation that keeps the edge's
/// guarantee (event, outbox and read models in one commit) can write them faster. Without
/// `command_row`, the command row is left out too (as if a rebase could do without it).
fn floor_cart(conn: &rusqlite::Connection, payload: &str, command_row: bool) -> Vec<Duration> {
    use rusqlite::params;
    let (payload, metadata) = payload.split_once('|').unwrap();
    let basket = uuid::Uuid::now_v7().to_string();
    let subject = format!("mallbots.ev.kiosk.bench.basket.{basket}");
    conn.execute(
        "INSERT INTO rm_carts (basket_id, status, started_at, last_activity)
         VALUES (?1, 'open', 0, 0)",
        [&basket],
    )
    .unwrap();
    let mut samples = Vec::with_capacity(ITEMS);
    for i in 0..ITEMS {
        let t = Instant::now();
        let tx = conn.unchecked_transaction().unwrap();
        let (command, event) = (
            uuid::Uuid::now_v7().to_string(),
            uuid::Uuid::now_v7().to_string(),
        );
        if command_row {
            tx.prepare_cached(
                "INSERT INTO commands (id, stream_type, stream_id, payload, base_seq, status,
                 created_at) VALUES (?1, 'basket', ?2, ?3, NULL, 'pending', 0)",
            )
            .unwrap()
            .execute(params![command, basket, payload])
            .unwrap();
        }
        tx.prepare_cached(
            "INSERT INTO events (stream_type, stream_id, version, event_id, event_type,
             schema_version, payload, metadata, occurred_at, command_id)
             VALUES ('basket', ?1, ?2, ?3, 'BasketItemAdded', 1, ?4, ?5, 0, ?6)",
        )
        .unwrap()
        .execute(params![
            basket,
            i as i64 + 1,
            event,
            payload,
            metadata,
            command
        ])
        .unwrap();
        let position = tx.last_insert_rowid();
        tx.prepare_cached(
            "INSERT INTO outbox (event_id, global_pos, stream_type, stream_id, subject, created_at)
             VALUES (?1, ?2, 'basket', ?3, ?4, 0)",
        )
        .unwrap()
        .execute(params![event, position, basket, subject])
        .unwrap();
        tx.prepare_cached(
            "INSERT INTO rm_cart_lines (basket_id, product_id, store_id, store_name,
             product_name, price_cents, currency, quantity, position)
             VALUES (?1, ?2, ?3, 'Bench', 'Product', 100, 'USD', 1, ?4)",
        )
        .unwrap()
        .execute(params![basket, format!("product-{i}"), "store", i as i64])
        .unwrap();
        tx.prepare_cached(
            "UPDATE rm_carts SET total_cents = total_cents + 100, item_count = item_count + 1,
             next_position = next_position + 1, last_activity = ?1 WHERE basket_id = ?2",
        )
        .unwrap()
        .execute(params![i as i64, basket])
        .unwrap();
        tx.commit().unwrap();
        samples.push(t.elapsed());
    }
    samples
}

/// The relay of `--relay`: the edge's sync engine running against the server.
struct Relay {
    runtime: tokio::runtime::Runtime,
    handle: mallbots_sync::engine::SyncHandle,
}

impl Relay {
    fn start(edge: &Edge, url: &str) -> Relay {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let engine = mallbots_edge::sync::engine(edge, &SyncSettings::default()).unwrap();
        let handle = {
            let _inside = runtime.enter();
            engine.spawn(NatsTarget::new(url))
        };
        Relay { runtime, handle }
    }

    /// Outbox rows the relay still has to publish. The bench's catalog is made on this kiosk
    /// (to keep the program one process), and a kiosk may not publish catalog events: the
    /// relay quarantines those at set-up, as it would in the mall; they are not counted.
    fn waiting(&self) -> u64 {
        let engine = self.handle.engine().clone();
        self.runtime
            .block_on(engine.status())
            .map(|s| s.waiting - s.quarantined - s.blocked)
            .unwrap_or(u64::MAX)
    }

    /// Waits until the outbox is empty; the time it took.
    fn drain(&self) -> Duration {
        let started = Instant::now();
        while self.waiting() > 0 {
            if started.elapsed() > Duration::from_secs(60) {
                let engine = self.handle.engine().clone();
                let status = self.runtime.block_on(engine.status());
                panic!("the relay did not catch up in a minute: {status:?}");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        started.elapsed()
    }

    fn stop(self) {
        self.runtime.block_on(self.handle.shutdown());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let carts: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(30);
    let relay_to = args
        .iter()
        .position(|a| a == "--relay")
        .map(|i| (args[i + 1].clone(), args[i + 2].clone()));
    let dir = tempfile::tempdir().unwrap();
    let mode = relay_to
        .as_ref()
        .map_or("no relay".to_owned(), |(url, device)| {
            format!("relay running (kiosk {device} -> {url})")
        });
    println!("P1: {carts} carts x {ITEMS} distinct items, WAL + synchronous=NORMAL, {mode}");
    let (edge, products, payload) = edge_setup(dir.path(), relay_to.as_ref().map(|r| r.1.as_str()));
    let relay = relay_to.as_ref().map(|(url, _)| Relay::start(&edge, url));
    if let Some(relay) = &relay {
        relay.drain();
    }
    let raw = raw_setup(dir.path());
    raw_cart(&raw, 0, &payload);
    // The edge's commands, then the raw commits. Between them the edge's WAL is checkpointed
    // (untimed): its background checkpoint must not run on the raw side's clock.
    let mut by_index: Vec<Vec<Duration>> = (0..ITEMS).map(|_| Vec::with_capacity(carts)).collect();
    let mut edge_all = Vec::with_capacity(carts * ITEMS);
    let started = Instant::now();
    for _ in 0..carts {
        edge_all.extend(edge_cart(&edge, &products, &mut by_index));
    }
    let edge_total = started.elapsed();
    let relay_figures = relay.map(|relay| {
        let behind = relay.waiting();
        let catch_up = relay.drain();
        relay.stop();
        println!(
            "relay: {behind} events not yet published when the last add returned; caught up {:.0} ms later",
            catch_up.as_secs_f64() * 1e3
        );
        serde_json::json!({"behind_at_end": behind, "catch_up_ms": catch_up.as_secs_f64() * 1e3})
    });
    rusqlite::Connection::open(dir.path().join("edge.db"))
        .unwrap()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let mut raw_all = Vec::with_capacity(carts * ITEMS);
    let started = Instant::now();
    for cart in 1..=carts {
        raw_all.extend(raw_cart(&raw, cart, &payload));
    }
    let raw_total = started.elapsed();
    let floor = floor_setup(dir.path());
    floor_cart(&floor, &payload, true);
    let mut floor_runs = [true, false].map(|command_row| {
        let mut samples = Vec::with_capacity(carts * ITEMS);
        let started = Instant::now();
        for _ in 0..carts {
            samples.extend(floor_cart(&floor, &payload, command_row));
        }
        (samples, started.elapsed())
    });
    let (floor_all, floor_total) = std::mem::take(&mut floor_runs[0]);
    let (bare_all, bare_total) = std::mem::take(&mut floor_runs[1]);
    let edge_rate = summary("edge add_item", edge_all, edge_total);
    let raw_rate = summary("raw rusqlite insert+commit", raw_all, raw_total);
    let floor_rate = summary("floor: its rows by hand, 1 tx", floor_all, floor_total);
    let bare_rate = summary("floor without the command row", bare_all, bare_total);
    println!(
        "ratio edge / raw: {:.2} (target >= 0.5); floor / raw: {:.2} (the most any implementation \
         writing the same rows in one commit reaches); edge / floor: {:.2}",
        edge_rate.rate / raw_rate.rate,
        floor_rate.rate / raw_rate.rate,
        edge_rate.rate / floor_rate.rate
    );
    println!(
        "floor without the command row / raw: {:.2}",
        bare_rate.rate / raw_rate.rate
    );
    let band = |range: std::ops::Range<usize>| {
        let mut v: Vec<Duration> = range.flat_map(|i| by_index[i].clone()).collect();
        v.sort();
        (percentile(&v, 0.5), percentile(&v, 0.99))
    };
    let (early50, early99) = band(0..10);
    let (late50, late99) = band(90..100);
    println!(
        "flat as a cart grows: items 1..10 p50 {:.1} µs p99 {:.1} µs; items 91..100 p50 {:.1} µs p99 {:.1} µs; late/early p50 {:.2}",
        micros(early50),
        micros(early99),
        micros(late50),
        micros(late99),
        late50.as_secs_f64() / early50.as_secs_f64()
    );
    let bench = serde_json::json!({
        "id": "P1", "what": if relay_to.is_some() { "add-item command incl. commit (edge API), relay running" } else { "add-item command incl. commit (edge API), no relay" },
        "value": edge_rate.rate, "unit": "cmds/s",
        "baseline": raw_rate.rate, "baseline_unit": "commits/s",
        "baseline_what": "raw rusqlite insert+commit, same pragmas and payload",
        "ratio": edge_rate.rate / raw_rate.rate,
        "target": ">= 0.5 x raw; p99 <= 2 ms; flat as a cart grows",
        "extra": {"p50_ms": edge_rate.p50_ms, "p90_ms": edge_rate.p90_ms, "p99_ms": edge_rate.p99_ms,
                  "raw_p99_ms": raw_rate.p99_ms,
                  "late_over_early_p50": late50.as_secs_f64() / early50.as_secs_f64(),
                  "relay": relay_figures, "floor_rate": floor_rate.rate,
                  "floor_over_raw": floor_rate.rate / raw_rate.rate,
                  "edge_over_floor": edge_rate.rate / floor_rate.rate,
                  "floor_without_command_row_over_raw": bare_rate.rate / raw_rate.rate}
    });
    println!("BENCH_JSON {bench}");
}
