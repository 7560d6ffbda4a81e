//! P6 (second half): a full read-model rebuild (truncate, scan the log, re-project every event)
//! against a raw SQLite scan of the same `events` table, in the same run. Target: rebuild ≥ 0.3 ×
//! the raw scan's events/s. (The first half of P6, cold start to the kiosk's ready marker, is
//! measured by the GUI harness.)
//!
//! `cargo run --release -p mallbots-edge --example p6_rebuild [carts]` (default 300 carts of 20
//! items, each checked out: about 7k events).

use mallbots_edge::{Edge, EdgeConfig, NewProduct};
use std::time::Instant;

const ITEMS: usize = 20;

fn seed(edge: &Edge, carts: usize) {
    let store = edge.create_store("Bench", "L1").unwrap();
    edge.set_participation(store.store_id, true).unwrap();
    let products: Vec<_> = (0..ITEMS)
        .map(|i| {
            edge.add_product(NewProduct {
                store_id: store.store_id,
                sku: format!("SKU-{i}"),
                name: format!("Product {i}"),
                description: format!("Description of product {i}"),
                price_cents: 100 + i as i64,
            })
            .unwrap()
            .product_id
        })
        .collect();
    for _ in 0..carts {
        let cart = edge.start_cart(None).unwrap();
        for p in &products {
            edge.add_item(cart.cart_id, *p, 2).unwrap();
        }
        let customer = edge
            .register_customer("Bench Customer", "+15550100")
            .unwrap();
        edge.checkout(cart.cart_id, "tok_visa", Some(customer.customer_id))
            .unwrap();
    }
}

/// Reads every event row (payload and metadata as text), the floor any rebuild has to pay.
fn raw_scan(path: &std::path::Path) -> (u64, f64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let started = Instant::now();
    let mut stmt = conn
        .prepare("SELECT global_pos, stream_type, event_type, payload, metadata FROM events ORDER BY global_pos")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let (mut count, mut bytes) = (0u64, 0usize);
    while let Some(row) = rows.next().unwrap() {
        let payload: String = row.get(3).unwrap();
        let metadata: String = row.get(4).unwrap();
        bytes += payload.len() + metadata.len();
        count += 1;
    }
    std::hint::black_box(bytes);
    (count, started.elapsed().as_secs_f64())
}

fn main() {
    let carts: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge.db");
    let edge = Edge::open(&path, EdgeConfig::default()).unwrap();
    seed(&edge, carts);
    let before = edge.dump_read_models().unwrap();

    let (raw_events, raw_secs) = raw_scan(&path);
    let started = Instant::now();
    let rebuilt = edge.rebuild_read_models().unwrap();
    let rebuild_secs = started.elapsed().as_secs_f64();
    assert_eq!(
        before,
        edge.dump_read_models().unwrap(),
        "rebuild changed the read models"
    );

    let raw_rate = raw_events as f64 / raw_secs;
    let rebuild_rate = rebuilt as f64 / rebuild_secs;
    println!("P6 rebuild: {rebuilt} events re-projected in {rebuild_secs:.3} s = {rebuild_rate:.0} events/s");
    println!("raw SQLite scan: {raw_events} events in {raw_secs:.4} s = {raw_rate:.0} events/s");
    println!(
        "ratio rebuild / raw scan: {:.3} (target >= 0.3)",
        rebuild_rate / raw_rate
    );
    let bench = serde_json::json!({
        "id": "P6", "what": "full read-model rebuild",
        "value": rebuild_rate, "unit": "events/s",
        "baseline": raw_rate, "baseline_unit": "events/s",
        "baseline_what": "raw SQLite scan of the events table",
        "ratio": rebuild_rate / raw_rate, "target": ">= 0.3 x raw scan",
        "extra": {"events": rebuilt}
    });
    println!("BENCH_JSON {bench}");
}
