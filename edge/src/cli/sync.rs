//! `mallbots sync` and `mallbots status`.
//!
//! * `mallbots sync --nats URL [--creds FILE] [--stream EVENTS] [--store ID]... [--create-consumers]`
//!   runs one full sync (relay the outbox, drain the device's consumers, relay rebased events)
//!   and prints what it did; `--watch` keeps syncing in the background (reconnecting with
//!   backoff) until Ctrl-C or SIGTERM, then prints the status.
//! * `mallbots status [--nats URL [--creds FILE]]`: online/offline, events waiting, last sync,
//!   conflicts, parked messages. Online = the server answers (with `--nats`), else a sync
//!   completed in the last 5 s (a `sync --watch` process is running).

use crate::sync::{edge_error, engine, SyncSettings};
use crate::{Edge, EdgeError};
use clap::Parser;
use mallbots_sync::engine::{sync_status, NatsTarget};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A `sync --watch` marks a sync at least this often; older = offline.
const ONLINE_FRESHNESS_MS: i64 = 5_000;

#[derive(Debug, Parser)]
#[command(name = "sync", no_binary_name = true)]
struct SyncArgs {
    /// NATS server URL(s).
    #[arg(long, env = "MALLBOTS_NATS")]
    nats: String,
    /// The device's NATS credentials file.
    #[arg(long, env = "MALLBOTS_NATS_CREDS")]
    creds: Option<PathBuf>,
    /// Events stream name.
    #[arg(long, default_value = "EVENTS")]
    stream: String,
    /// A store this manager device manages (repeatable; default: every local store).
    #[arg(long = "store")]
    stores: Vec<String>,
    /// Create the device's consumers if missing (development only).
    #[arg(long)]
    create_consumers: bool,
    /// Keep syncing until interrupted.
    #[arg(long)]
    watch: bool,
}

#[derive(Debug, Parser)]
#[command(name = "status", no_binary_name = true)]
struct StatusArgs {
    /// Probe this NATS server for the online flag.
    #[arg(long, env = "MALLBOTS_NATS")]
    nats: Option<String>,
    /// The device's NATS credentials file.
    #[arg(long, env = "MALLBOTS_NATS_CREDS")]
    creds: Option<PathBuf>,
    /// Accepted for symmetry with the global flag.
    #[arg(long)]
    json: bool,
}

fn parse<T: Parser>(what: &str, args: &[String]) -> Result<T, EdgeError> {
    T::try_parse_from(args).map_err(|e| EdgeError::invalid(what, e.to_string()))
}

fn runtime() -> Result<tokio::runtime::Runtime, EdgeError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| EdgeError::io("start the async runtime", e))
}

async fn interrupted() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs `mallbots sync ARGS...`.
pub fn run_sync(edge: &Edge, args: &[String]) -> Result<serde_json::Value, EdgeError> {
    let args: SyncArgs = parse("sync", args)?;
    let settings = SyncSettings {
        events_stream: args.stream.clone(),
        stores: args.stores.clone(),
        create_consumers: args.create_consumers,
    };
    let rebased = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&rebased);
    let engine = engine(
        edge,
        &settings,
        Some(Arc::new(move || flag.store(true, Ordering::SeqCst))),
    )?;
    let target = NatsTarget {
        url: args.nats.clone(),
        creds: args.creds.clone(),
    };
    let rt = runtime()?;
    let result = rt.block_on(async {
        if args.watch {
            let handle = engine.clone().spawn(target);
            interrupted().await;
            handle.shutdown().await;
            let status = engine.status().await.map_err(edge_error)?;
            Ok(serde_json::to_value(status).unwrap_or_default())
        } else {
            let link = engine.connect(&target).await.map_err(edge_error)?;
            let report = engine.sync_once(&link).await.map_err(edge_error)?;
            let status = mallbots_sync::engine::SyncStatus {
                online: true,
                ..engine.status().await.map_err(edge_error)?
            };
            Ok(serde_json::json!({
                "published": report.relay.published,
                "recovered": report.relay.recovered,
                "rebased": report.relay.rebased,
                "rejected": report.relay.rejected,
                "applied": report.inbox.applied,
                "echoed": report.inbox.echoed,
                "parked": report.inbox.parked,
                "status": status,
            }))
        }
    });
    if rebased.load(Ordering::SeqCst) {
        edge.clear_cache();
    }
    result
}

/// Runs `mallbots status ARGS...`.
pub fn run_status(edge: &Edge, args: &[String]) -> Result<serde_json::Value, EdgeError> {
    let args: StatusArgs = parse("status", args)?;
    let _ = args.json;
    let status = edge.writer().call(|s| sync_status(s.connection(), false))?;
    let online = match &args.nats {
        Some(url) => {
            let rt = runtime()?;
            let target = NatsTarget {
                url: url.clone(),
                creds: args.creds.clone(),
            };
            let engine = engine(edge, &SyncSettings::default(), None)?;
            rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(3), engine.connect(&target))
                    .await
                    .is_ok_and(|r| r.is_ok())
            })
        }
        None => status
            .last_sync_at
            .is_some_and(|at| mallbots_sync::store::now_ms() - at < ONLINE_FRESHNESS_MS),
    };
    let status = mallbots_sync::engine::SyncStatus { online, ..status };
    Ok(serde_json::to_value(status).unwrap_or_default())
}

/// `mallbots status` for a person: the state (with its problem), what waits, the quarantined
/// rows with their codes, conflicts and parked messages. `--json` prints the status struct.
pub fn status_text(v: &serde_json::Value) -> String {
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let mut out = format!("sync: {}", v["state"].as_str().unwrap_or("offline"));
    if let Some(p) = v["problem"].as_object() {
        let code = p.get("code").and_then(|c| c.as_str()).unwrap_or_default();
        let message = p
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or_default();
        out.push_str(&format!(" ({code}): {message}"));
    }
    out.push_str(&format!(
        "\nwaiting: {} (quarantined {}, blocked behind them {})\nconflicts: {}\nparked: {}",
        n("waiting"),
        n("quarantined"),
        n("blocked"),
        n("conflicts"),
        n("parked")
    ));
    if let Some(at) = v["last_sync_at"].as_i64() {
        out.push_str(&format!("\nlast sync: {at} (Unix ms)"));
    }
    for q in v["quarantine"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\nquarantined {} {} on {}: {} {} ({} waiting behind it)",
            q["event_type"].as_str().unwrap_or_default(),
            q["event_id"].as_str().unwrap_or_default(),
            q["subject"].as_str().unwrap_or_default(),
            q["code"].as_str().unwrap_or_default(),
            q["reason"].as_str().unwrap_or_default(),
            q["blocked"].as_u64().unwrap_or(0),
        ));
    }
    out
}
