//! P1 micro-benchmark: single-event appends per second through the store (events + outbox row +
//! command check, over the writer thread) against raw rusqlite insert+commit with the same
//! pragmas and payload. Prints figures and ratios; never fails on speed.
//!
//! `cargo run --release -p mallbots-sync --example raw_vs_store -- [events] [durability]`
//! (`durability` = `normal` (default) or `full`).

use mallbots_sync::store::{
    AppendRequest, Durability, EventMetadata, EventReader, EventStore, NewEvent, SqliteStore,
    StoreError, StoreWriter,
};
use rusqlite::{params, Connection};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

const AGGREGATES: usize = 100;

fn payload(i: usize) -> Value {
    json!({"type": "BasketItemAdded", "product": Uuid::now_v7(), "quantity": i % 7 + 1,
           "price": {"cents": 1299, "currency": "EUR"}})
}

fn new_event(i: usize) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "BasketItemAdded".to_owned(),
        schema_version: 1,
        payload: payload(i),
        metadata: EventMetadata {
            device_id: Some("kiosk-1".to_owned()),
            ..EventMetadata::default()
        },
        occurred_at: 1_700_000_000_000,
        subject: Some(format!("mallbots.ev.kiosk.k1.basket.b{}", i % AGGREGATES)),
    }
}

fn raw(path: &std::path::Path, n: usize, durability: Durability) -> rusqlite::Result<Duration> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {}; PRAGMA foreign_keys = ON;
         CREATE TABLE events (global_pos INTEGER PRIMARY KEY, stream_type TEXT NOT NULL,
             stream_id TEXT NOT NULL, version INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
             event_type TEXT NOT NULL, schema_version INTEGER NOT NULL, payload TEXT NOT NULL,
             metadata TEXT NOT NULL, occurred_at INTEGER NOT NULL,
             UNIQUE (stream_type, stream_id, version));",
        durability.pragma_value()
    ))?;
    let mut versions = vec![0u64; AGGREGATES];
    let start = Instant::now();
    for i in 0..n {
        let event = new_event(i);
        let a = i % AGGREGATES;
        versions[a] += 1;
        let tx = conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO events (stream_type, stream_id, version, event_id, event_type,
                 schema_version, payload, metadata, occurred_at)
             VALUES ('basket', ?1, ?2, ?3, ?4, 1, ?5, ?6, ?7)",
        )?
        .execute(params![
            format!("b{a}"),
            versions[a],
            event.event_id.to_string(),
            event.event_type,
            event.payload.to_string(),
            serde_json::to_string(&event.metadata).unwrap(),
            event.occurred_at
        ])?;
        tx.commit()?;
    }
    Ok(start.elapsed())
}

fn request(i: usize, version: u64, durability: Durability) -> AppendRequest {
    AppendRequest::new(
        "basket",
        format!("b{}", i % AGGREGATES),
        version,
        vec![new_event(i)],
    )
    .with_durability(durability)
}

fn direct(
    path: &std::path::Path,
    n: usize,
    durability: Durability,
) -> Result<Duration, StoreError> {
    let mut store = SqliteStore::open(path, &[])?;
    let mut versions = vec![0u64; AGGREGATES];
    let start = Instant::now();
    for i in 0..n {
        store.append(request(i, versions[i % AGGREGATES], durability))?;
        versions[i % AGGREGATES] += 1;
    }
    Ok(start.elapsed())
}

fn via_writer(
    path: &std::path::Path,
    n: usize,
    durability: Durability,
) -> Result<(Duration, Vec<Duration>), StoreError> {
    let writer = StoreWriter::spawn(SqliteStore::open(path, &[])?)?;
    let mut versions = vec![0u64; AGGREGATES];
    let mut latencies = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let req = request(i, versions[i % AGGREGATES], durability);
        let t = Instant::now();
        writer.call(move |s| s.append(req))?;
        latencies.push(t.elapsed());
        versions[i % AGGREGATES] += 1;
    }
    Ok((start.elapsed(), latencies))
}

/// Full scan of the raw table, reading every column (the floor for a read-model rebuild).
fn raw_scan(path: &std::path::Path) -> rusqlite::Result<(usize, Duration)> {
    let conn = Connection::open(path)?;
    let start = Instant::now();
    let mut stmt = conn.prepare(
        "SELECT global_pos, stream_type, stream_id, version, event_id, event_type, schema_version,
             payload, metadata, occurred_at FROM events ORDER BY global_pos",
    )?;
    let mut rows = stmt.query([])?;
    let mut count = 0;
    while let Some(row) = rows.next()? {
        let payload: String = row.get(7)?;
        let metadata: String = row.get(8)?;
        let id: String = row.get(4)?;
        count += usize::from(!payload.is_empty() && !metadata.is_empty() && !id.is_empty());
    }
    Ok((count, start.elapsed()))
}

/// Reads the whole log through the store in pages, as a read-model rebuild does.
fn store_scan(path: &std::path::Path) -> Result<(usize, Duration), StoreError> {
    let store = SqliteStore::open(path, &[])?;
    let start = Instant::now();
    let (mut after, mut count) = (0, 0);
    loop {
        let page = store.read_all(after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.global_pos;
        count += page.len();
    }
    Ok((count, start.elapsed()))
}

/// The benchmark payload as a typed event.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct ItemAdded {
    product: Uuid,
    quantity: u32,
    price: Price,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Price {
    cents: i64,
    currency: String,
}

/// Streams the log through `scan`, decoding each payload into a typed event.
fn typed_scan(path: &std::path::Path) -> Result<(usize, Duration), StoreError> {
    let store = SqliteStore::open(path, &[])?;
    let start = Instant::now();
    let (mut after, mut count) = (0, 0);
    loop {
        let last = store.scan(after, 1000, |raw| {
            let _event: ItemAdded = raw.decode()?;
            count += 1;
            Ok(())
        })?;
        if last == after {
            break;
        }
        after = last;
    }
    Ok((count, start.elapsed()))
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let durability = match args.get(2).map(String::as_str) {
        Some("full") => Durability::Full,
        _ => Durability::Normal,
    };
    let rounds = 3;
    let dir = tempfile::tempdir()?;
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    // Warm-up pass so the page cache and allocator are in the same state for every variant.
    raw(&dir.path().join("warm.db"), n / 10, durability)?;

    // Interleaved rounds, median of each: the machine is shared, so single runs are noisy.
    let (mut raws, mut directs, mut writers, mut latencies) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        raws.push(raw(
            &dir.path().join(format!("raw{round}.db")),
            n,
            durability,
        )?);
        directs.push(direct(
            &dir.path().join(format!("direct{round}.db")),
            n,
            durability,
        )?);
        let (time, lat) = via_writer(&dir.path().join(format!("writer{round}.db")), n, durability)?;
        writers.push(time);
        latencies.extend(lat);
    }
    let (raw_time, direct_time, writer_time) = (median(raws), median(directs), median(writers));
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];

    println!(
        "single-event appends, {n} events over {AGGREGATES} aggregates, synchronous={}, \
         median of {rounds} rounds",
        durability.pragma_value()
    );
    println!(
        "  raw rusqlite insert+commit : {:>9.0} events/s",
        rate(raw_time)
    );
    println!(
        "  store, same thread         : {:>9.0} events/s  ({:.2} x raw)",
        rate(direct_time),
        raw_time.as_secs_f64() / direct_time.as_secs_f64()
    );
    println!(
        "  store via writer thread    : {:>9.0} events/s  ({:.2} x raw)",
        rate(writer_time),
        raw_time.as_secs_f64() / writer_time.as_secs_f64()
    );
    println!(
        "  writer call latency        : p50 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    // Scans: the same files, three times each, medians.
    let (mut scans, mut counts): ([Vec<Duration>; 3], Vec<usize>) = Default::default();
    for _ in 0..rounds {
        let results = [
            raw_scan(&dir.path().join("raw0.db"))?,
            store_scan(&dir.path().join("direct0.db"))?,
            typed_scan(&dir.path().join("direct0.db"))?,
        ];
        for (k, (count, time)) in results.into_iter().enumerate() {
            scans[k].push(time);
            counts.push(count);
        }
    }
    let [raw_scan_time, read_all_time, typed_time] = scans.map(median);
    assert!(
        counts.iter().all(|c| *c == n),
        "every scan saw every event: {counts:?}"
    );
    println!("full scan of the log, {n} events, median of {rounds}:");
    println!(
        "  raw SELECT of every column : {:>9.0} events/s",
        rate(raw_scan_time)
    );
    println!(
        "  store read_all (JSON Value): {:>9.0} events/s  ({:.2} x raw)",
        rate(read_all_time),
        raw_scan_time.as_secs_f64() / read_all_time.as_secs_f64()
    );
    println!(
        "  store scan + typed decode  : {:>9.0} events/s  ({:.2} x raw)",
        rate(typed_time),
        raw_scan_time.as_secs_f64() / typed_time.as_secs_f64()
    );
    Ok(())
}
