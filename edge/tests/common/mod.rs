//! Shared test setup: an `Edge` on a real SQLite file in a temp dir with a manual clock.
#![allow(dead_code)]

use mallbots_edge::{Edge, EdgeConfig, ManualClock, NewProduct, ProductView, StoreView};
use std::sync::Arc;

pub const T0: i64 = 1_700_000_000_000;

pub struct Fixture {
    pub edge: Edge,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
}

pub fn config() -> EdgeConfig {
    EdgeConfig {
        device_id: "kiosk-1".into(),
        subject_root: "test.mallbots".into(),
        idle_cart_ms: 60_000,
        ..EdgeConfig::default()
    }
}

pub fn open() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let edge = Edge::open_with_clock(
        dir.path().join("edge.db"),
        config(),
        Arc::new(clock.clone()),
    )
    .unwrap();
    Fixture { edge, clock, dir }
}

/// A participating store with two products (A: 250 cents, B: 1299 cents).
pub fn shop(edge: &Edge) -> (StoreView, ProductView, ProductView) {
    let store = edge.create_store("Corner Shop", "Level 1").unwrap();
    edge.set_participation(store.store_id, true).unwrap();
    let a = edge
        .add_product(product(&store, "A-1", "Apple juice", 250))
        .unwrap();
    let b = edge
        .add_product(product(&store, "B-2", "Bread", 1299))
        .unwrap();
    let store = edge.store(store.store_id).unwrap();
    (store, a, b)
}

pub fn product(store: &StoreView, sku: &str, name: &str, price_cents: i64) -> NewProduct {
    NewProduct {
        store_id: store.store_id,
        sku: sku.into(),
        name: name.into(),
        description: String::new(),
        price_cents,
    }
}

/// Opens a plain connection to the fixture's database (for checking tables directly).
pub fn conn(f: &Fixture) -> rusqlite::Connection {
    rusqlite::Connection::open(f.dir.path().join("edge.db")).unwrap()
}

pub fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}
