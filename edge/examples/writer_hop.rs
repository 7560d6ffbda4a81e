//! How much of a command is the hand-off to the writer thread: round trips of an empty job
//! through `StoreWriter::call` (the path every `Edge` command takes), next to an empty
//! transaction committed on the writer (BEGIN IMMEDIATE + COMMIT, nothing written); and how
//! many WAL frames (pages) one add-item commits.
//!
//! `cargo run --release -p mallbots-edge --example writer_hop [n]` (default 20,000).

use mallbots_edge::{Edge, EdgeConfig, NewProduct};
use mallbots_sync::store::Durability;
use std::time::{Duration, Instant};

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    println!(
        "{name:<34} p50 {:>7.1} µs  p90 {:>7.1} µs  p99 {:>8.1} µs  max {:>9.1} µs",
        at(0.5).as_secs_f64() * 1e6,
        at(0.9).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        samples.last().unwrap().as_secs_f64() * 1e6
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let edge = Edge::open(dir.path().join("edge.db"), EdgeConfig::default()).unwrap();
    let writer = edge.writer();
    let time = |f: &dyn Fn()| {
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect::<Vec<_>>()
    };
    report(
        "writer round trip (empty job)",
        time(&|| writer.call(|_| Ok(())).unwrap()),
    );
    report(
        "writer + empty transaction",
        time(&|| {
            writer
                .call(|s| s.transaction(Durability::Normal, |_| Ok(())))
                .unwrap()
        }),
    );
    // WAL frames of one add-item: truncate the WAL, run one command, read the WAL's size.
    let store = edge.create_store("S", "L").unwrap();
    edge.set_participation(store.store_id, true).unwrap();
    let cart = edge.start_cart(None).unwrap();
    let db = rusqlite::Connection::open(dir.path().join("edge.db")).unwrap();
    let wal = dir.path().join("edge.db-wal");
    let mut frames = Vec::new();
    for i in 0..20 {
        let product = edge
            .add_product(NewProduct {
                store_id: store.store_id,
                sku: format!("SKU-{i}"),
                name: format!("P{i}"),
                description: String::new(),
                price_cents: 100,
            })
            .unwrap();
        db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        edge.add_item(cart.cart_id, product.product_id, 1).unwrap();
        let bytes = std::fs::metadata(&wal).unwrap().len();
        frames.push(bytes.saturating_sub(32) / (4096 + 24));
    }
    println!("WAL frames per add-item commit: {frames:?}");
}
