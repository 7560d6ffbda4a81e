//! Start-up and shutdown of one central replica: connect to NATS, create the topology, start one
//! worker per handled consumer, serve HTTP, and on shutdown stop pulling, finish in-flight work
//! and close the listener.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::{jetstream, Client, ConnectOptions, ServerAddr};
use tokio::sync::watch;

use crate::config::Settings;
use crate::diag::PingHandler;
use crate::dlq::DeadLetters;
use crate::error::CentralError;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::publish::Publisher;
use crate::roles::HandlerRegistry;
use crate::topology::{ensure_topology, Topology};
use crate::worker::Worker;

/// Connects with the configured credentials; logs connection events (never the credentials).
pub async fn connect(settings: &Settings) -> Result<Client, CentralError> {
    let n = &settings.nats;
    let fail = |reason: String| CentralError::Connect {
        url: n.url.clone(),
        reason,
    };
    let addrs = n
        .url
        .split(',')
        .map(|s| s.trim().parse::<ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let mut options = ConnectOptions::new()
        .name(&n.connection_name)
        .event_callback(|event| async move { tracing::info!(%event, "nats connection event") });
    if let Some(path) = &n.credentials_file {
        options = options
            .credentials_file(path)
            .await
            .map_err(|e| fail(format!("credentials file: {}", e.kind())))?;
    }
    if let (Some(user), Some(password)) = (&n.user, &n.password) {
        options = options.user_and_password(user.clone(), password.expose().to_string());
    }
    if let Some(token) = &n.token {
        options = options.token(token.expose().to_string());
    }
    options
        .connect(addrs)
        .await
        .map_err(|e| fail(e.to_string()))
}

/// The handlers this binary ships; roles add theirs here as they are written.
pub fn default_registry(client: &Client, settings: &Settings) -> HandlerRegistry {
    let mut registry = HandlerRegistry::new();
    registry.register(
        "cmd-diag",
        PingHandler::new(
            client.clone(),
            &settings.topology.subject_root,
            &settings.nats.connection_name,
        ),
    );
    registry
}

/// Creates the topology, retrying on transient JetStream errors. Requests get a short timeout:
/// on a cluster, two replicas creating the same R3 stream or bucket at the same instant can leave
/// one request unanswered, and the retry (idempotent) then succeeds at once.
pub async fn ensure_topology_with_retry(
    js: &jetstream::Context,
    topology: &Topology,
    settings: &Settings,
) -> Result<(), CentralError> {
    let mut js = js.clone();
    js.set_timeout(Duration::from_secs(2));
    let mut delay = Duration::from_millis(100);
    for attempt in 1.. {
        match ensure_topology(&js, topology, &settings.topology).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 10 => {
                tracing::warn!(attempt, error = %e, "topology not ready; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the retry loop returns")
}

/// Runs a replica with `registry` on `listener` until `shutdown` completes.
pub async fn run(
    settings: Settings,
    listener: tokio::net::TcpListener,
    registry: Option<HandlerRegistry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CentralError> {
    tracing::info!(settings = ?settings, "starting mallbots-central");
    let client = connect(&settings).await?;
    let js = jetstream::new(client.clone());
    let topology = Topology::from_settings(&settings.topology);
    ensure_topology_with_retry(&js, &topology, &settings).await?;
    let metrics = Arc::new(Metrics::new());
    let publisher = Publisher::new(js.clone(), topology.clone(), metrics.clone());
    let dead_letters = DeadLetters::new(js.clone(), publisher, metrics.clone());
    let registry = registry.unwrap_or_else(|| default_registry(&client, &settings));

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for spec in topology.consumers(&settings.topology) {
        if spec.role.is_some_and(|r| !settings.roles.contains(&r)) {
            continue;
        }
        let Some(handler) = registry.get(&spec.name) else {
            continue;
        };
        let worker = Worker {
            consumer: spec.name.clone(),
            stream: topology.stream_name(spec.stream),
            js: js.clone(),
            handler,
            dead_letters: dead_letters.clone(),
            metrics: metrics.clone(),
            root: topology.root().to_string(),
            batch: settings.worker.batch,
            concurrency: settings.worker.concurrency,
            ack_wait: settings.topology.ack_wait(),
            max_deliver: spec.max_deliver,
        };
        tasks.push(tokio::spawn(worker.run(stop_rx.clone())));
    }
    tasks.push(tokio::spawn(
        dead_letters
            .clone()
            .watch_max_deliveries(client.clone(), stop_rx.clone()),
    ));

    let state = AppState {
        client: client.clone(),
        js,
        topology,
        roles: settings.roles.clone(),
        metrics,
        dead_letters,
    };
    let addr = listener
        .local_addr()
        .map_err(|e| CentralError::Http(e.to_string()))?;
    tracing::info!("http listening on {addr}");
    let mut http_stop = stop_rx.clone();
    let http_task = tokio::spawn(http::serve(listener, state, async move {
        let _ = http_stop.wait_for(|stop| *stop).await;
    }));
    tracing::info!(roles = ?settings.roles, "mallbots-central ready");

    shutdown.await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), http_task).await;
    let _ = client.flush().await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
