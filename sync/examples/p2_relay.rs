//! P2 / P3 (docs/architecture.md §8): the outbox relay against raw async-nats publishing, same server, same
//! run.
//!
//! * P2: relay rate over a backlog of 100k events on 10k aggregates vs a raw async-nats loop
//!   that publishes the same messages with the same headers (msg-id, expected last subject
//!   sequence, envelope) and the same in-flight window (target ≥ 0.8×).
//! * P3: time until the whole backlog is acknowledged and recorded (target ≤ 3 s).
//!
//! Spawns its own nats-server (env `NATS_SERVER`, else `<workspace>/.tools/venv/bin/nats-server`)
//! on a random port with a temp store. Sizes: `P2_AGGREGATES` (10000), `P2_PER_AGGREGATE` (10).
//! `P2_ROUNDS` (5): raw and relay alternate, each round on a fresh backlog; medians printed.
//! Run: `cargo run --release -p mallbots-sync --example p2_relay`. Prints figures, never fails
//! on speed. Profile the relay alone: `mkfifo ctl; P2_PERF_CTL=ctl perf record --control
//! fifo:ctl -D -1 -g -- target/release/examples/p2_relay` (`P2_PERF_PHASE=raw`: the raw loop).

use async_nats::jetstream::{self, message::PublishMessage, stream};
use futures::stream::{FuturesUnordered, StreamExt};
use mallbots_sync::engine::{local, DeviceRole, NatsTarget};
use mallbots_sync::engine::{outgoing_headers, RecordOnly, RetractPending, SyncConfig, SyncEngine};
use mallbots_sync::store::checkpoint::Checkpointer;
use mallbots_sync::store::{
    AppendRequest, Durability, EventMetadata, EventReader, EventStore, NewEvent, OutboxEntry,
    SqliteStore, StoreWriter,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn nats_binary() -> PathBuf {
    std::env::var_os("NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/nats-server")
        })
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(dir: &std::path::Path) -> (Server, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(nats_binary())
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nats-server (set NATS_SERVER)");
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (Server(child), port)
}

async fn create_stream(js: &jetstream::Context, name: &str, root: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let config = stream::Config {
            name: name.into(),
            subjects: vec![format!("{root}.ev.>")],
            storage: stream::StorageType::File,
            duplicate_window: Duration::from_secs(1),
            allow_direct: true,
            ..Default::default()
        };
        match js.get_or_create_stream(config).await {
            Ok(_) => return,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("create stream {name}: {e}"),
        }
    }
}

fn fill(store: &mut SqliteStore, root: &str, aggregates: usize, per: usize) {
    for a in 0..aggregates {
        let events = (0..per)
            .map(|i| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "BasketItemAdded".into(),
                schema_version: 1,
                payload: serde_json::json!({"type": "BasketItemAdded", "basket_id": a, "product_id": Uuid::now_v7(), "store_id": Uuid::now_v7(), "quantity": i + 1, "price": {"cents": 1299, "currency": "USD"}}),
                metadata: EventMetadata {
                    correlation_id: Some(Uuid::now_v7()),
                    causation_id: Some(Uuid::now_v7()),
                    device_id: Some("bench".into()),
                    user: None,
                    schema_version: 1,
                },
                occurred_at: 1_700_000_000_000 + i as i64,
                subject: Some(format!("{root}.ev.kiosk.bench.basket.b{a}")),
            })
            .collect();
        store
            .append(AppendRequest::new("basket", format!("b{a}"), 0, events))
            .unwrap();
    }
}

/// Raw async-nats: the same messages and headers, round-robin over aggregates (so one publish
/// per subject in flight), `window` acks in flight, expected sequence tracked from acks.
async fn raw_publish(
    js: &jetstream::Context,
    store: &SqliteStore,
    from_root: &str,
    root: &str,
    window: usize,
) -> (usize, Duration) {
    let entries = store.pending_outbox(usize::MAX >> 1).unwrap();
    let mut by_subject: HashMap<String, Vec<_>> = HashMap::new();
    let mut order = Vec::new();
    for e in entries {
        let subject = e
            .subject
            .replacen(&format!("{from_root}."), &format!("{root}."), 1);
        if !by_subject.contains_key(&subject) {
            order.push(subject.clone());
        }
        by_subject.entry(subject).or_default().push(e);
    }
    let mut messages = Vec::new();
    let rounds = by_subject.values().map(Vec::len).max().unwrap_or(0);
    for round in 0..rounds {
        for subject in &order {
            if let Some(e) = by_subject[subject].get(round) {
                messages.push((subject.clone(), e.clone()));
            }
        }
    }
    let total = messages.len();
    let mut last: HashMap<String, u64> = HashMap::new();
    let mut in_flight = FuturesUnordered::new();
    let started = Instant::now();
    let mut iter = messages.into_iter().peekable();
    let mut busy = std::collections::HashSet::new();
    loop {
        while in_flight.len() < window {
            // One publish per subject in flight (the next expects the previous one's sequence).
            if iter
                .peek()
                .is_none_or(|(subject, _)| busy.contains(subject))
            {
                break;
            }
            let Some((subject, entry)) = iter.next() else {
                break;
            };
            busy.insert(subject.clone());
            let expected = last.get(&subject).copied().unwrap_or(0);
            let message = PublishMessage::build()
                .headers(outgoing_headers(&entry, "bench"))
                .payload(serde_json::to_vec(&entry.event.payload).unwrap().into())
                .message_id(entry.event.event_id.to_string())
                .expected_last_subject_sequence(expected);
            let ack = js.send_publish(subject.clone(), message).await.unwrap();
            in_flight.push(async move { (subject, ack.await) });
        }
        match in_flight.next().await {
            Some((subject, ack)) => {
                busy.remove(&subject);
                last.insert(subject, ack.expect("raw publish acked").sequence);
            }
            None => break,
        }
    }
    (total, started.elapsed())
}

/// One round's figures: raw publish (messages, time) and the relay's time for the same backlog.
struct Round {
    raw_n: usize,
    raw_time: Duration,
    floor_n: usize,
    floor_time: Duration,
    book_time: Duration,
    relay_time: Duration,
}

/// `entries` in the order the relay's acks come back: one publish in flight per subject, each
/// subject's events in order, `window` subjects at a time in log order (a subject whose ack
/// came back goes again at once, so the subjects in flight finish before later ones start),
/// round-robin within them.
fn in_ack_order(entries: Vec<OutboxEntry>, window: usize) -> Vec<OutboxEntry> {
    let mut order: Vec<String> = Vec::new();
    let mut by_subject: HashMap<String, Vec<OutboxEntry>> = HashMap::new();
    for e in entries {
        if !by_subject.contains_key(&e.subject) {
            order.push(e.subject.clone());
        }
        by_subject.entry(e.subject.clone()).or_default().push(e);
    }
    let mut out = Vec::new();
    for subjects in order.chunks(window) {
        let mut queues: Vec<std::collections::VecDeque<OutboxEntry>> = subjects
            .iter()
            .map(|s| by_subject.remove(s).unwrap().into())
            .collect();
        while queues.iter().any(|q| !q.is_empty()) {
            out.extend(queues.iter_mut().filter_map(|q| q.pop_front()));
        }
    }
    out
}

/// The relay's SQLite work for a backlog without any publishing: read pending rows in relay
/// batches, record their acks in the relay's group commits ([`local::mark_batch`], acks in the
/// order they come back, `group` per commit). Returns the time taken.
fn bookkeeping(path: &std::path::Path, batch: usize, group: usize, window: usize) -> Duration {
    let mut store = SqliteStore::open(path, &[]).unwrap();
    let _checkpointer = Checkpointer::spawn(path, store.connection()).unwrap();
    let started = Instant::now();
    let mut from = 0;
    let mut seq = 0;
    loop {
        let entries = mallbots_sync::store::sqlite::read::pending_outbox_from(
            store.connection(),
            from,
            batch,
        )
        .unwrap();
        let Some(last) = entries.last() else { break };
        from = last.event.global_pos + 1;
        for group in in_ack_order(entries, window).chunks(group) {
            let mut marks: Vec<local::Mark> = group
                .iter()
                .map(|e| {
                    seq += 1;
                    local::Mark {
                        subject: e.subject.clone(),
                        event_id: e.event.event_id,
                        seq,
                        row: Some((e.event.global_pos, e.event.command_id)),
                    }
                })
                .collect();
            marks.sort_unstable_by_key(|m| m.row.map(|(pos, _)| pos));
            store
                .transaction(Durability::Normal, |tx| local::mark_batch(tx, &marks))
                .unwrap();
        }
    }
    started.elapsed()
}

/// One round: a fresh backlog (own stream and subjects), the raw loop over its rows, then the
/// relay over the same rows.
/// Drops a phase's stream once measured and lets the server settle, so each phase starts from
/// the same server state (the relay, measured last in a round, would otherwise run beside two
/// more 100k-message streams than the raw loop had).
async fn settle_server(js: &jetstream::Context, stream: &str) {
    js.delete_stream(stream).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// With `P2_PERF_CTL=FIFO` (perf record's `--control fifo:FIFO -D -1`), profiles one phase
/// alone, `P2_PERF_PHASE` (`relay`, the default, or `raw`): `enable` before it, `disable` after.
fn perf_control_phase(phase: &str, command: &str) {
    let wanted = std::env::var("P2_PERF_PHASE").unwrap_or_else(|_| "relay".into());
    if let (Some(fifo), true) = (std::env::var_os("P2_PERF_CTL"), wanted == phase) {
        let _ = std::fs::write(fifo, format!("{command}\n"));
    }
}

async fn round(url: &str, js: &jetstream::Context, dir: &std::path::Path, n: usize) -> Round {
    let aggregates = env_usize("P2_AGGREGATES", 10_000);
    let per = env_usize("P2_PER_AGGREGATE", 10);
    let total = aggregates * per;
    let (relay_root, raw_root) = (format!("rl{n}"), format!("rw{n}"));
    let relay_stream = format!("RELAY_EVENTS_{n}");
    create_stream(js, &relay_stream, &relay_root).await;
    create_stream(js, &format!("RAW_EVENTS_{n}"), &raw_root).await;

    let mut store = SqliteStore::open(dir.join(format!("bench{n}.db")), &[]).unwrap();
    let started = Instant::now();
    fill(&mut store, &relay_root, aggregates, per);
    println!(
        "round {n}: backlog of {total} events over {aggregates} aggregates (filled in {:?})",
        started.elapsed()
    );
    let mut config = SyncConfig::new("bench", &DeviceRole::Kiosk, &relay_root, &relay_stream);
    config.relay_batch = env_usize("P2_RELAY_BATCH", config.relay_batch);
    config.ack_group = env_usize("P2_ACK_GROUP", config.ack_group);
    let window = config.in_flight;

    // Raw first (reads the same outbox rows, publishes them to the raw stream).
    perf_control_phase("raw", "enable");
    let (raw_n, raw_time) = raw_publish(js, &store, &relay_root, &raw_root, window).await;
    perf_control_phase("raw", "disable");
    settle_server(js, &format!("RAW_EVENTS_{n}")).await;

    // The floor: raw again, with the relay's SQLite bookkeeping for the same rows (on a copy
    // of the store) running beside it on its own thread, as the relay's writer thread does.
    let floor_root = format!("rf{n}");
    create_stream(js, &format!("FLOOR_EVENTS_{n}"), &floor_root).await;
    let copy = dir.join(format!("floor{n}.db"));
    store
        .connection()
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    let (batch, group) = (config.relay_batch, config.ack_group);
    let book = std::thread::spawn(move || bookkeeping(&copy, batch, group, window));
    let (floor_n, floor_raw) = raw_publish(js, &store, &relay_root, &floor_root, window).await;
    let book_time = book.join().unwrap();
    let floor_time = floor_raw.max(book_time);
    settle_server(js, &format!("FLOOR_EVENTS_{n}")).await;

    // The store as the edge runs it: a background checkpointer beside the writer.
    let _checkpointer =
        Checkpointer::spawn(&dir.join(format!("bench{n}.db")), store.connection()).unwrap();
    let writer = StoreWriter::spawn(store).unwrap();
    config.consumers.clear();
    let engine = SyncEngine::new(
        writer.clone(),
        config,
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap();
    let link = engine.connect(&NatsTarget::new(url)).await.unwrap();
    perf_control_phase("relay", "enable");
    let started = Instant::now();
    let report = engine.sync_once(&link).await.unwrap();
    let relay_time = started.elapsed();
    perf_control_phase("relay", "disable");
    let waiting = writer.call(|s| s.pending_outbox_count()).unwrap();
    assert_eq!(waiting, 0, "every outbox row acknowledged");
    assert_eq!(report.relay.published as usize, total);
    settle_server(js, &relay_stream).await;
    println!(
        "round {n}: raw {:.0} msg/s, raw beside the bookkeeping {:.0} msg/s (bookkeeping alone {book_time:?}), relay {:.0} events/s",
        raw_n as f64 / raw_time.as_secs_f64(),
        floor_n as f64 / floor_time.as_secs_f64(),
        total as f64 / relay_time.as_secs_f64()
    );
    Round {
        raw_n,
        raw_time,
        floor_n,
        floor_time,
        book_time,
        relay_time,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let aggregates = env_usize("P2_AGGREGATES", 10_000);
    let per = env_usize("P2_PER_AGGREGATE", 10);
    let rounds = env_usize("P2_ROUNDS", 5).max(1);
    let total = aggregates * per;
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = start_server(&dir.path().join("js"));
    let url = format!("nats://127.0.0.1:{port}");
    let js = jetstream::new(async_nats::connect(&url).await.unwrap());
    let window = SyncConfig::new("bench", &DeviceRole::Kiosk, "rl", "RELAY_EVENTS").in_flight;

    // Raw and relay alternate, each round on its own backlog; the medians are reported.
    let mut results = Vec::new();
    for n in 0..rounds {
        results.push(round(&url, &js, dir.path(), n).await);
    }
    let raw_rate = median(
        results
            .iter()
            .map(|r| r.raw_n as f64 / r.raw_time.as_secs_f64())
            .collect(),
    );
    let relay_rate = median(
        results
            .iter()
            .map(|r| total as f64 / r.relay_time.as_secs_f64())
            .collect(),
    );
    let ratios: Vec<f64> = results
        .iter()
        .map(|r| {
            (r.raw_time.as_secs_f64() / r.raw_n as f64) * total as f64 / r.relay_time.as_secs_f64()
        })
        .collect();
    let ratio = median(ratios.clone());
    let floor_ratios: Vec<f64> = results
        .iter()
        .map(|r| {
            (r.floor_n as f64 / r.floor_time.as_secs_f64())
                / (r.raw_n as f64 / r.raw_time.as_secs_f64())
        })
        .collect();
    let floor_ratio = median(floor_ratios.clone());
    let book_time = median(results.iter().map(|r| r.book_time.as_secs_f64()).collect());
    let relay_time = median(results.iter().map(|r| r.relay_time.as_secs_f64()).collect());
    let raw_time = median(
        results
            .iter()
            .map(|r| r.raw_time.as_secs_f64() * total as f64 / r.raw_n as f64)
            .collect(),
    );

    println!("raw async-nats publish (window {window}), median of {rounds}: {raw_rate:.0} msg/s");
    println!("relay (sync_once, acks recorded), median of {rounds}: {relay_rate:.0} events/s");
    println!(
        "P2 relay / raw = {ratio:.2} (median of the rounds' ratios {ratios:.2?}; target >= 0.8)"
    );
    println!(
        "P2 floor: raw publish beside the relay's SQLite bookkeeping (no publishing logic) = {floor_ratio:.2} x raw \
         (rounds {floor_ratios:.2?}; the bookkeeping alone takes {book_time:.2} s of one core)"
    );
    println!("P3 backlog fully synced in {relay_time:.2} s (target <= 3 s)");
    let p2 = serde_json::json!({
        "id": "P2", "what": "outbox relay to JetStream (acks recorded)",
        "value": relay_rate, "unit": "events/s",
        "baseline": raw_rate, "baseline_unit": "msg/s",
        "baseline_what": "raw async-nats publish, same headers, window and server",
        "ratio": ratio, "target": ">= 0.8 x raw",
        "extra": {"events": total, "window": window, "rounds": rounds, "round_ratios": ratios,
                  "floor_ratio": floor_ratio, "floor_round_ratios": floor_ratios,
                  "bookkeeping_s": book_time,
                  "floor_what": "raw publish with the relay's SQLite bookkeeping for the same rows running beside it"}
    });
    println!("BENCH_JSON {p2}");
    let p3 = serde_json::json!({
        "id": "P3", "what": "backlog fully synced after reconnect",
        "value": relay_time, "unit": "s",
        "baseline": raw_time, "baseline_unit": "s",
        "baseline_what": "raw publish of the same number of messages",
        "ratio": raw_time / relay_time,
        "target": "<= 3 s",
        "extra": {"events": total, "rounds": rounds}
    });
    println!("BENCH_JSON {p3}");
}
