//! Support of `tests/tests/reliability_malformed.rs`: what bad messages look like and where they
//! go ([`generators`]), sending them fast and syncing devices meanwhile ([`flood`]), and
//! counting what central dead-lettered and what each edge parked or applied ([`counting`]).

pub mod counting;
pub mod flood;
pub mod generators;

use std::time::{Duration, Instant};

use crate::procs::Proc;

/// The server's `max_payload` in these tests (64 KiB; written to the server's config file).
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// Bound of each wait (the whole flood takes about 90 s on an idle 2-core machine).
pub const FLOW: Duration = Duration::from_secs(240);

/// Messages per central consumer: env `MALFORMED_PER_CONSUMER`, default 10,000.
pub fn per_consumer() -> usize {
    std::env::var("MALFORMED_PER_CONSUMER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// A `nats.conf` in `dir` with the tests' `max_payload`.
pub fn nats_conf(dir: &std::path::Path) -> std::path::PathBuf {
    let conf = dir.join("nats.conf");
    std::fs::write(&conf, format!("max_payload: {MAX_PAYLOAD}\n")).expect("nats.conf");
    conf
}

/// Polls `probe` every 100 ms until it yields, failing the test after [`FLOW`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + FLOW;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `probe` every 200 ms for up to `bound`; whether it yielded in time.
pub async fn within<F, Fut>(bound: Duration, mut probe: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    tokio::time::timeout(bound, async {
        while !probe().await {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .is_ok()
}

/// The last 30 lines of a process's log.
pub fn tail(p: &Proc) -> String {
    super::log_tail(p, 30)
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
