//! Test helper for `tests/store_kill.rs`: appends batches of events to a SQLite event store in a
//! loop until it is killed.
//!
//! Usage: `store_appender <db> <streams> <seed>`. On start it prints `RESUME <stream> <head>` for
//! every stream and `READY`; after each commit `COMMITTED <stream> <head>`. Every payload names
//! its own stream, version and batch, so a reader can detect torn or misplaced writes.

use mallbots_sync::store::{
    AppendRequest, CommandRecord, Durability, EventMetadata, EventReader, EventStore, NewEvent,
    SqliteStore, StoreError,
};
use serde_json::json;
use std::process::ExitCode;
use uuid::Uuid;

/// The stream type every helper event uses.
const STREAM_TYPE: &str = "killtest";

fn next(state: &mut u64) -> u64 {
    // xorshift64*: deterministic per seed, no dependency.
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn run(db: &str, streams: usize, seed: u64) -> Result<(), StoreError> {
    let mut store = SqliteStore::open(db, &[])?;
    let mut heads = Vec::with_capacity(streams);
    for s in 0..streams {
        let head = store.stream_version(STREAM_TYPE, &format!("s{s}"))?;
        println!("RESUME s{s} {head}");
        heads.push(head);
    }
    println!("READY");
    let mut rng = seed.max(1);
    loop {
        let s = (next(&mut rng) % streams as u64) as usize;
        let n = 1 + next(&mut rng) % 4;
        let stream_id = format!("s{s}");
        let batch = Uuid::now_v7();
        let events = (0..n)
            .map(|i| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "Appended".to_owned(),
                schema_version: 1,
                payload: json!({
                    "stream": stream_id, "version": heads[s] + 1 + i, "batch": batch, "of": n,
                    "filler": "x".repeat(200),
                }),
                metadata: EventMetadata::default(),
                occurred_at: 0,
                subject: Some(format!("mallbots.ev.test.{stream_id}")),
            })
            .collect();
        let durability = match next(&mut rng) % 5 {
            0 => Durability::Full,
            _ => Durability::Normal,
        };
        let request = AppendRequest::new(STREAM_TYPE, stream_id.clone(), heads[s], events)
            .with_command(CommandRecord {
                id: batch,
                payload: json!({ "n": n }),
                base_seq: None,
            })
            .with_durability(durability);
        store.append(request)?;
        heads[s] += n;
        println!("COMMITTED {stream_id} {}", heads[s]);
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(db), Some(streams), Some(seed)) = (
        args.get(1),
        args.get(2).and_then(|s| s.parse::<usize>().ok()),
        args.get(3).and_then(|s| s.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: store_appender <db> <streams> <seed>");
        return ExitCode::from(2);
    };
    match run(db, streams.max(1), seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("store_appender: {err}");
            ExitCode::FAILURE
        }
    }
}
