//! Crash safety: a helper process appends in a loop and is SIGKILLed at random (seeded) moments,
//! ~30 times. After every kill the file must pass `integrity_check`, hold no torn batch, pair
//! every event with its outbox row, keep versions contiguous, keep every commit the helper
//! reported, and the restarted helper must resume at the stored head. Some kills land during
//! start-up (the first one during the migrations).
//!
//! Seed: `STORE_KILL_SEED=<n>` to reproduce; otherwise taken from the clock and printed.

use mallbots_sync::store::{EventReader, SqliteStore};
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const STREAMS: usize = 5;
const KILLS: usize = 30;

type Heads = BTreeMap<String, u64>;

/// Checks every invariant on the file; returns the heads per stream.
fn check(path: &Path) -> Heads {
    let store = SqliteStore::open(path, &[]).expect("reopen after kill");
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let conn = store.connection();
    let scalar = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        scalar("SELECT count(*) FROM events e LEFT JOIN outbox o USING (event_id) WHERE o.event_id IS NULL"),
        0,
        "every event has its outbox row"
    );
    assert_eq!(
        scalar("SELECT count(*) FROM outbox o LEFT JOIN events e USING (event_id) WHERE e.event_id IS NULL"),
        0,
        "no orphan outbox row"
    );
    let mut stmt = conn
        .prepare(
            "SELECT stream_id, count(*), min(version), max(version) FROM events GROUP BY stream_id",
        )
        .unwrap();
    let mut heads = Heads::new();
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, u64>(2)?,
                r.get::<_, u64>(3)?,
            ))
        })
        .unwrap()
    {
        let (stream, count, min, max) = row.unwrap();
        assert_eq!(
            (min, max),
            (1, count),
            "versions of {stream} are contiguous"
        );
        heads.insert(stream, max);
    }
    // No torn write: every batch is complete, and every payload sits at its own version.
    let mut batches: HashMap<String, (u64, u64)> = HashMap::new();
    for event in store.read_all(0, usize::MAX >> 1).unwrap() {
        let p = &event.payload;
        assert_eq!(p["stream"], event.stream_id.as_str());
        assert_eq!(p["version"], event.version);
        let entry = batches
            .entry(p["batch"].as_str().unwrap().to_owned())
            .or_insert((0, 0));
        entry.0 += 1;
        entry.1 = p["of"].as_u64().unwrap();
    }
    for (batch, (seen, of)) in &batches {
        assert_eq!(seen, of, "batch {batch} is whole");
    }
    assert_eq!(
        scalar("SELECT count(*) FROM commands") as usize,
        batches.len()
    );
    heads
}

#[test]
fn sigkill_never_tears_or_loses_a_commit() {
    let seed: u64 = std::env::var("STORE_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| mallbots_sync::store::now_ms() as u64);
    println!("store_kill seed = {seed} (rerun with STORE_KILL_SEED={seed})");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.db");
    let mut heads = Heads::new();
    let mut killed_mid_run = 0;

    for cycle in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_store_appender"))
            .arg(&path)
            .arg(STREAMS.to_string())
            .arg(rng.gen::<u64>().to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn store_appender");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Some cycles (always the first, which runs the migrations) are killed during start-up;
        // the others once the helper is READY (waited for with a deadline).
        let early = cycle == 0 || rng.gen_bool(0.2);
        let mut resumed = Heads::new();
        let mut ready = false;
        let deadline = Instant::now() + Duration::from_secs(20);
        if !early {
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let line = rx
                    .recv_timeout(left)
                    .expect("appender became ready in time");
                if line == "READY" {
                    ready = true;
                    break;
                }
                let mut parts = line.split(' ');
                assert_eq!(parts.next(), Some("RESUME"), "unexpected line {line:?}");
                let stream = parts.next().unwrap().to_owned();
                resumed.insert(stream, parts.next().unwrap().parse().unwrap());
            }
        }
        if ready {
            for (stream, head) in &resumed {
                let stored = heads.get(stream).copied().unwrap_or(0);
                assert_eq!(stored, *head, "cycle {cycle}: resumed {stream}");
            }
        }
        // The fault: SIGKILL after a random run time.
        let run_for = if early { 0..3_000 } else { 500..40_000 };
        std::thread::sleep(Duration::from_micros(rng.gen_range(run_for)));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            status.code().is_none(),
            "cycle {cycle}: appender exited on its own: {status}"
        );
        reader.join().unwrap();
        let mut committed = Heads::new();
        for line in rx.try_iter() {
            let mut parts = line.split(' ');
            if parts.next() == Some("COMMITTED") {
                let stream = parts.next().unwrap().to_owned();
                committed.insert(stream, parts.next().unwrap().parse().unwrap());
            }
        }
        heads = check(&path);
        for (stream, version) in &committed {
            assert!(
                heads[stream] >= *version,
                "cycle {cycle}: commit {stream}@{version} lost"
            );
        }
    }
    let total: u64 = heads.values().sum();
    println!("{KILLS} kills ({killed_mid_run} mid-run), {total} events survived: {heads:?}");
    assert_eq!(killed_mid_run, KILLS);
    assert!(total > KILLS as u64, "the appender made progress");
}
