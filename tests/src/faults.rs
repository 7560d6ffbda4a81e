//! Shared pieces of the reliability tests (`tests/tests/reliability_*.rs`): a seeded RNG whose
//! seed is printed (and can be replayed with env `MALLBOTS_FAULT_SEED`), the figures line every
//! test prints (`RELIABILITY {"test":..,"ops":..,"faults":..,"lost":0,"duplicates":0,..}`) and
//! polled waits with deadlines; spawned `mallbots-central` replicas ([`central`]); a scan of the
//! EVENTS stream counting what is missing or there more than once ([`stream`]); a seeded
//! catalog and kiosk ([`world`]); and the end-to-end audit of a run ([`audit`]).

pub mod audit;
pub mod central;
pub mod malformed;
pub mod stream;
pub mod world;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Map, Value};

use crate::procs::Proc;

/// Env variable that replays a run: the seed printed by an earlier run.
pub const SEED_ENV: &str = "MALLBOTS_FAULT_SEED";

/// A seeded RNG for test `name`: the seed comes from [`SEED_ENV`], else from the clock; it is
/// printed either way so a failing run can be replayed.
pub fn seeded_rng(name: &str) -> (u64, StdRng) {
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            nanos ^ u64::from(std::process::id()).rotate_left(32)
        });
    say(&format!(
        "RELIABILITY {name}: seed {seed} (replay with {SEED_ENV}={seed})"
    ));
    (seed, StdRng::seed_from_u64(seed))
}

/// A duration from env `var` in whole seconds, else `default` (long fault phases can be
/// shortened for local runs; the suite uses the default).
pub fn env_secs(var: &str, default: Duration) -> Duration {
    std::env::var(var)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(default, Duration::from_secs)
}

/// What a reliability test did and found.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The test's short name (`kill9`, `outage`, `cluster`).
    pub test: String,
    /// The seed it ran with.
    pub seed: u64,
    /// Operations done (orders taken).
    pub ops: u64,
    /// Faults injected.
    pub faults: u64,
    /// Events committed at the edge but missing from the stream (or never answered).
    pub lost: u64,
    /// Events on the stream, or saga steps applied, more than once.
    pub duplicates: u64,
    /// Wall time of the whole test.
    pub seconds: f64,
    /// Further figures, in insertion order of their keys.
    pub extra: Map<String, Value>,
}

impl Figures {
    /// Empty figures for `test`.
    pub fn new(test: &str, seed: u64) -> Self {
        Self {
            test: test.to_string(),
            seed,
            ops: 0,
            faults: 0,
            lost: 0,
            duplicates: 0,
            seconds: 0.0,
            extra: Map::new(),
        }
    }

    /// The line printed: `RELIABILITY {json}`.
    pub fn line(&self) -> String {
        let mut v = json!({
            "test": self.test,
            "seed": self.seed,
            "ops": self.ops,
            "faults": self.faults,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "seconds": (self.seconds * 10.0).round() / 10.0,
        });
        if let Some(obj) = v.as_object_mut() {
            obj.extend(self.extra.clone());
        }
        format!("RELIABILITY {v}")
    }

    /// Prints [`line`](Self::line) straight to stderr: the test harness captures only the
    /// print macros, so the figures show in a plain `cargo test` run too.
    pub fn print(&self) {
        say(&self.line());
    }
}

/// Writes `line` to stderr past the test harness's output capture.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Polls `probe` every 20 ms until it yields, failing after `timeout` with `what`.
pub fn wait_until<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last `n` lines of a process's log.
pub fn log_tail(proc: &Proc, n: usize) -> String {
    let logs = proc.logs();
    let lines: Vec<&str> = logs.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Every consumer of `stream` with its delivery state (pending, waiting for ack, redelivered,
/// acknowledged floor), one per line: what a stalled run's logs must keep.
pub async fn consumers_report(js: &async_nats::jetstream::Context, stream: &str) -> String {
    use futures::StreamExt;
    let stream = match js.get_stream(stream).await {
        Ok(s) => s,
        Err(e) => return format!("stream {stream}: {e}\n"),
    };
    let mut out = format!("{:?}\n", stream.cached_info().state);
    let mut consumers = stream.consumers();
    while let Some(info) = consumers.next().await {
        match info {
            Ok(i) => out.push_str(&format!(
                "{}: filters {:?} pending {} ack_pending {} redelivered {} waiting {} \
                 delivered {:?} ack_floor {:?} max_deliver {}\n",
                i.name,
                if i.config.filter_subjects.is_empty() {
                    vec![i.config.filter_subject.clone()]
                } else {
                    i.config.filter_subjects.clone()
                },
                i.num_pending,
                i.num_ack_pending,
                i.num_redelivered,
                i.num_waiting,
                i.delivered,
                i.ack_floor,
                i.config.max_deliver,
            )),
            Err(e) => out.push_str(&format!("consumer listing: {e}\n")),
        }
    }
    out
}

/// The last non-empty line of a log file, shortened to 160 characters ("what was running").
pub fn last_line(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let line = text.lines().rev().find(|l| !l.trim().is_empty());
    line.unwrap_or("(no output yet)")
        .chars()
        .take(160)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_line_is_one_json_document() {
        let mut f = Figures::new("kill9", 7);
        f.ops = 3;
        f.extra.insert("kills_edge".into(), json!(2));
        let line = f.line();
        let v: Value = serde_json::from_str(line.strip_prefix("RELIABILITY ").unwrap()).unwrap();
        assert_eq!(v["test"], "kill9");
        assert_eq!(v["seed"], 7);
        assert_eq!(v["lost"], 0);
        assert_eq!(v["kills_edge"], 2);
    }

    #[test]
    fn waits_fail_after_their_deadline() {
        let mut n = 0;
        assert_eq!(
            wait_until(Duration::from_secs(5), "n", || {
                n += 1;
                (n == 3).then_some(n)
            })
            .unwrap(),
            3
        );
        assert!(wait_until(Duration::from_millis(50), "never", || None::<()>).is_err());
    }
}
