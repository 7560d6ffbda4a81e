//! `mallbots sync` and `mallbots status`, as the device stored with the database
//! (`mallbots device init`).
//!
//! * `mallbots sync [--nats URL] [--enrollment FILE] [--creds FILE] [--stream NAME]
//!   [--store ID]... [--create-consumers] [--watch]` runs one full sync (relay the outbox, drain
//!   the device's consumers, relay rebased events) and prints what it did; `--watch` keeps
//!   syncing in the background (reconnecting with backoff) and abandons idle carts on a timer
//!   until Ctrl-C or SIGTERM, then prints the status. The device's role and stores come from
//!   its identity; credentials from `--enrollment` / `MALLBOTS__DEVICE__ENROLLMENT`, else the enrollment
//!   file `device init --enrollment` stored; the URL from `--nats` / `MALLBOTS__NATS__URL`, else the
//!   enrollment's.
//! * `mallbots status [--nats URL] [--enrollment FILE] [--creds FILE]`: online/offline, events
//!   waiting, last sync, conflicts, parked messages, the device. Online = the server answers
//!   (with `--nats`), else a sync completed in the last 5 s (a `sync --watch` process is
//!   running). Read-only: it works while another process writes the database.

use crate::device::{DeviceIdentity, Enrollment};
use crate::sync::{edge_error, engine, SyncSettings};
use crate::{Edge, EdgeError};
use clap::Args;
use mallbots_sync::engine::{sync_status, NatsTarget};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A `sync --watch` marks a sync at least this often; older = offline.
const ONLINE_FRESHNESS_MS: i64 = 5_000;

/// `sync ...`
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// NATS server URL(s), comma-separated [default: the enrollment's].
    #[arg(long, visible_alias = "nats-url", env = "MALLBOTS__NATS__URL")]
    pub nats: Option<String>,
    /// The device's enrollment credentials file (from `mallbots-central enroll --out FILE`)
    /// [default: the one `device init --enrollment` stored].
    #[arg(long, env = "MALLBOTS__DEVICE__ENROLLMENT")]
    pub enrollment: Option<PathBuf>,
    /// A NATS `.creds` file (JWT accounts), instead of an enrollment's user and password.
    #[arg(long, env = "MALLBOTS__NATS__CREDENTIALS_FILE")]
    pub creds: Option<PathBuf>,
    /// The CA certificate (PEM) that signed the NATS servers' TLS certificates (`tls://`
    /// URLs): connect with TLS and trust it.
    #[arg(long, env = "MALLBOTS__NATS__TLS_CA", value_name = "FILE")]
    pub nats_ca: Option<PathBuf>,
    /// Events stream name [default: the enrollment's, else EVENTS].
    #[arg(long)]
    pub stream: Option<String>,
    /// Narrow a manager device's enrolled stores to these (repeatable; a device without stored
    /// stores: the stores it manages, default every local store).
    #[arg(long = "store")]
    pub stores: Vec<String>,
    /// Create the device's consumers if missing (development only: needs consumer-create
    /// rights that enrolled devices do not have).
    #[arg(long)]
    pub create_consumers: bool,
    /// Keep syncing (and abandoning idle carts) until interrupted.
    #[arg(long)]
    pub watch: bool,
    /// With `--watch`: serve the device's sync figures (outbox depth, sync lag, conflicts, …)
    /// for Prometheus on `http://ADDR/metrics`, e.g. `127.0.0.1:9464`.
    #[arg(
        long,
        env = "MALLBOTS__METRICS__LISTEN",
        value_name = "ADDR",
        requires = "watch"
    )]
    pub metrics: Option<std::net::SocketAddr>,
    /// Publish the quarantined rows again (once their cause is fixed: re-enrolled with the
    /// right role or stores, a larger max_payload); `status` lists them with their codes.
    #[arg(long)]
    pub retry_quarantined: bool,
}

/// `status ...`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Probe this NATS server for the online flag.
    #[arg(long, visible_alias = "nats-url", env = "MALLBOTS__NATS__URL")]
    pub nats: Option<String>,
    /// The enrollment credentials file for the probe [default: the stored one].
    #[arg(long, env = "MALLBOTS__DEVICE__ENROLLMENT")]
    pub enrollment: Option<PathBuf>,
    /// A NATS `.creds` file for the probe.
    #[arg(long, env = "MALLBOTS__NATS__CREDENTIALS_FILE")]
    pub creds: Option<PathBuf>,
}

/// The enrollment to use: `explicit`, else the stored one. A stored path whose file is gone
/// is `sync.not_enrolled`; one of another device is `device.mismatch`.
fn enrollment(
    edge: &Edge,
    explicit: Option<&PathBuf>,
) -> Result<Option<(PathBuf, Enrollment)>, EdgeError> {
    let stored = edge.device().and_then(|d| d.enrollment_path);
    let Some(path) = explicit.cloned().or(stored) else {
        return Ok(None);
    };
    if !path.exists() {
        return Err(EdgeError::refused(
            "sync.not_enrolled",
            format!(
                "not enrolled: the enrollment file {} is missing; run `mallbots-central enroll \
                 --device {} ... --out FILE` and pass it with --enrollment FILE",
                path.display(),
                edge.config().device_id
            ),
        ));
    }
    let enrollment = Enrollment::load(&path)?;
    if enrollment.device != edge.config().device_id {
        return Err(EdgeError::refused(
            "device.mismatch",
            format!(
                "{} enrolls device `{}`, this database is device `{}`",
                path.display(),
                enrollment.device,
                edge.config().device_id
            ),
        ));
    }
    Ok(Some((path, enrollment)))
}

/// Where to connect: URL(s) from `nats` or the enrollment, logging in with `creds` (a NATS
/// `.creds` file) or else the enrollment file (a password, or a JWT and seed; the engine reads
/// it, nothing prints it).
fn target(
    edge: &Edge,
    nats: Option<&str>,
    tls_ca: Option<&PathBuf>,
    creds: Option<&PathBuf>,
    enrollment: Option<&(PathBuf, Enrollment)>,
) -> Result<NatsTarget, EdgeError> {
    let (path, enrollment) = match enrollment {
        Some((p, e)) => (Some(p), Some(e)),
        None => (None, None),
    };
    let url = nats
        .map(str::to_owned)
        .or_else(|| enrollment.and_then(|e| e.nats_url.clone()))
        .or_else(|| edge.device().and_then(|d| d.nats_url))
        .ok_or_else(|| {
            EdgeError::invalid(
                "--nats",
                "no NATS URL: pass --nats URL or set MALLBOTS__NATS__URL",
            )
        })?;
    Ok(NatsTarget {
        url,
        creds: creds.or(path).cloned(),
        // `--nats-ca`, else the variable (commands without the flag, e.g. `loadgen --nats`).
        tls_ca: tls_ca
            .cloned()
            .or_else(|| std::env::var_os("MALLBOTS__NATS__TLS_CA").map(PathBuf::from)),
    })
}

/// The status JSON with the device added.
fn with_device(edge: &Edge, status: serde_json::Value) -> serde_json::Value {
    let mut status = status;
    let device: Option<DeviceIdentity> = edge.device();
    status["device"] = super::device::show(edge).json;
    if device.is_none() {
        status["device"]["initialized"] = false.into();
    }
    status
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

/// Runs `mallbots sync ...`.
pub fn run_sync(edge: &Edge, args: &SyncArgs) -> Result<serde_json::Value, EdgeError> {
    let enrollment = enrollment(edge, args.enrollment.as_ref())?;
    if let Some((path, e)) = &enrollment {
        // Sync with an enrollment makes (or refreshes) the stored identity from it.
        if edge.device().as_ref() != Some(&e.identity(path)) {
            edge.init_device(e.identity(path))?;
        }
    }
    let events_stream = args
        .stream
        .clone()
        .or_else(|| enrollment.as_ref().map(|(_, e)| e.stream.clone()))
        .or_else(|| edge.device().and_then(|d| d.events_stream))
        .unwrap_or_else(|| "EVENTS".to_owned());
    let settings = SyncSettings {
        events_stream,
        stores: args.stores.clone(),
        create_consumers: args.create_consumers,
    };
    let released = if args.retry_quarantined {
        edge.release_quarantined()?
    } else {
        0
    };
    let engine = engine(edge, &settings)?;
    let target = target(
        edge,
        args.nats.as_deref(),
        args.nats_ca.as_ref(),
        args.creds.as_ref(),
        enrollment.as_ref(),
    )?;
    let rt = runtime()?;
    let result = if args.watch {
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| abandon_until(edge, &stop));
            let result = rt.block_on(async {
                let _metrics = match args.metrics {
                    Some(addr) => Some(serve_metrics(edge, &engine, addr).await?),
                    None => None,
                };
                let handle = engine.clone().spawn(target);
                interrupted().await;
                handle.shutdown().await;
                let status = engine.status().await.map_err(edge_error)?;
                Ok(serde_json::to_value(status).unwrap_or_default())
            });
            stop.store(true, Ordering::SeqCst);
            result
        })
    } else {
        rt.block_on(async {
            let link = engine.connect(&target).await.map_err(edge_error)?;
            let (bar, watcher) = backlog_bar(&engine);
            let report = engine.sync_once(&link).await;
            watcher.abort();
            bar.finish_and_clear();
            let report = report.map_err(edge_error)?;
            let status = engine.status().await.map_err(edge_error)?.with_online(true);
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
        })
    };
    result.map(|mut v| {
        if args.retry_quarantined {
            v["released"] = released.into();
        }
        with_device(edge, v)
    })
}

/// Starts the `--metrics` endpoint; it stops when the returned guard drops.
async fn serve_metrics(
    edge: &Edge,
    engine: &mallbots_sync::engine::SyncEngine,
    addr: std::net::SocketAddr,
) -> Result<AbortOnDrop, EdgeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| EdgeError::io(format!("listen for metrics on {addr}"), e))?;
    let bound = listener.local_addr().unwrap_or(addr);
    tracing::info!("metrics on http://{bound}/metrics");
    let device = edge.device().map(|d| d.device_id).unwrap_or_default();
    let task = tokio::spawn(super::metrics::serve(listener, engine.clone(), device));
    Ok(AbortOnDrop(task))
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A bar of the outbox draining during a one-shot sync (on a terminal only): the changes
/// waiting when it starts, then how many are left, read from the engine's status ten times a
/// second.
fn backlog_bar(
    engine: &mallbots_sync::engine::SyncEngine,
) -> (indicatif::ProgressBar, tokio::task::JoinHandle<()>) {
    let bar = super::progress::bar("sending");
    if bar.is_hidden() {
        return (bar, tokio::spawn(async {}));
    }
    let (engine, shown) = (engine.clone(), bar.clone());
    let watcher = tokio::spawn(async move {
        let mut start = None;
        loop {
            if let Ok(status) = engine.status().await {
                let start = *start.get_or_insert(status.waiting);
                shown.set_length(start);
                shown.set_position(start.saturating_sub(status.waiting));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    (bar, watcher)
}

/// Sync running in the background of another command of this process (`loadgen --nats`): the
/// process stays the database's one writer while it takes orders and relays them.
pub struct Background {
    rt: tokio::runtime::Runtime,
    handle: mallbots_sync::engine::SyncHandle,
}

impl Background {
    /// Starts syncing with `url` (this device's stored enrollment supplies credentials).
    pub fn start(
        edge: &Edge,
        url: &str,
        stream: &str,
        create_consumers: bool,
    ) -> Result<Self, EdgeError> {
        let enrollment = enrollment(edge, None)?;
        let settings = SyncSettings {
            events_stream: stream.to_owned(),
            stores: Vec::new(),
            create_consumers,
        };
        let engine = engine(edge, &settings)?;
        let target = target(edge, Some(url), None, None, enrollment.as_ref())?;
        let rt = runtime()?;
        let handle = {
            let _entered = rt.enter();
            engine.clone().spawn(target)
        };
        Ok(Self { rt, handle })
    }

    /// Stops syncing (waiting for the current pass).
    pub fn finish(self) {
        self.rt.block_on(self.handle.shutdown());
    }
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background").finish_non_exhaustive()
    }
}

/// The `sync --watch` abandonment timer: [`Edge::abandon_tick`] every
/// [`Edge::abandonment_period`] until `stop`.
fn abandon_until(edge: &Edge, stop: &AtomicBool) {
    let period = edge.abandonment_period();
    while !stop.load(Ordering::SeqCst) {
        if let Err(err) = edge.abandon_tick() {
            tracing::warn!(code = err.code(), "cart abandonment failed: {err}");
        }
        let mut waited = Duration::ZERO;
        while waited < period && !stop.load(Ordering::SeqCst) {
            let step = Duration::from_millis(50).min(period - waited);
            std::thread::sleep(step);
            waited += step;
        }
    }
}

/// Runs `mallbots status ...` (read-only).
pub fn run_status(edge: &Edge, args: &StatusArgs) -> Result<serde_json::Value, EdgeError> {
    let status = edge.read(|r| Ok(sync_status(r.connection(), false)?))?;
    let online = match &args.nats {
        Some(url) => {
            let enrollment = enrollment(edge, args.enrollment.as_ref())?;
            let target = target(
                edge,
                Some(url),
                None,
                args.creds.as_ref(),
                enrollment.as_ref(),
            )?;
            let rt = runtime()?;
            let stream = enrollment
                .as_ref()
                .map(|(_, e)| e.stream.clone())
                .or_else(|| edge.device().and_then(|d| d.events_stream))
                .unwrap_or_else(|| "EVENTS".to_owned());
            let config = mallbots_sync::engine::SyncConfig::new(
                &edge.config().device_id,
                &mallbots_sync::engine::DeviceRole::Kiosk,
                &edge.config().subject_root,
                &stream,
            );
            // Connect only (no relay, no consumer): fine on a read-only edge.
            let probe = mallbots_sync::engine::SyncEngine::new(
                edge.writer().clone(),
                config,
                Arc::new(crate::sync::EdgeApplier),
                Arc::new(crate::sync::EdgeRebaser::new(None)),
            )
            .map_err(edge_error)?;
            rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(3), probe.connect(&target))
                    .await
                    .is_ok_and(|r| r.is_ok())
            })
        }
        None => status
            .last_sync_at
            .is_some_and(|at| mallbots_sync::store::now_ms() - at < ONLINE_FRESHNESS_MS),
    };
    let status = status.with_online(online);
    Ok(with_device(
        edge,
        serde_json::to_value(status).unwrap_or_default(),
    ))
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
    if let Some(at) = v["oldest_waiting_at"].as_i64() {
        out.push_str(&format!(
            "\noldest waiting since: {}",
            crate::days::utc_time(at)
        ));
    }
    if let Some(at) = v["last_sync_at"].as_i64() {
        out.push_str(&format!("\nlast sync: {}", crate::days::utc_time(at)));
    }
    let device = &v["device"];
    if let Some(id) = device["device"].as_str() {
        let role = device["role"].as_str().unwrap_or("kiosk");
        let stores: Vec<&str> = device["stores"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str())
            .collect();
        out.push_str(&format!("\ndevice: {id} ({role})"));
        if stores == ["*"] {
            out.push_str(", every store");
        } else if !stores.is_empty() {
            out.push_str(&format!(", stores {}", stores.join(", ")));
        }
        if device["initialized"] == false {
            out.push_str(" (not initialized: `mallbots device init`)");
        }
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
