//! Start-up and shutdown of one central replica: connect to NATS, create the topology, start one
//! worker per handled consumer, serve HTTP, and on shutdown stop pulling, finish in-flight work
//! and close the listener.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use async_nats::{Client, ConnectErrorKind, ConnectOptions, ServerAddr};
use mallbots_wire::credentials::{self, DeviceCredentials};
use tokio::sync::watch;

use crate::platform::config::Settings;
use crate::platform::diag::PingHandler;
use crate::platform::dlq::DeadLetters;
use crate::platform::error::CentralError;
use crate::platform::http::{self, HttpState};
use crate::platform::metrics::Metrics;
use crate::platform::provision::ensure_topology;
use crate::platform::publish::Publisher;
use crate::platform::topology::{Bucket, Topology};
use crate::platform::worker::Worker;
use crate::platform::HandlerRegistry;

/// Connects with the configured credentials; logs connection events (never the credentials).
pub async fn connect(settings: &Settings) -> Result<Client, CentralError> {
    let n = &settings.nats;
    let fail = |reason: String| CentralError::Connect {
        url: mallbots_wire::credentials::redact_url(&n.url),
        reason,
    };
    let (urls, url_user) = credentials::split_userinfo(&n.url);
    let addrs = urls
        .split(',')
        .map(|s| s.trim().parse::<ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let mut options = ConnectOptions::new()
        .name(&n.connection_name)
        .event_callback(|event| async move { tracing::info!(%event, "nats connection event") });
    if let Some(ca) = &n.tls_ca {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let Some(path) = &n.credentials_file {
        // Central's credentials JSON (`auth init`) or a NATS .creds file, told by its contents.
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(format!("credentials file: {}", e.kind())))?;
        if credentials::is_credentials_json(&text) {
            let creds = DeviceCredentials::parse(&text)
                .map_err(|e| fail(format!("credentials file: {e}")))?;
            options = creds
                .login(options)
                .map_err(|e| fail(format!("credentials file: {}", e.kind())))?;
        } else {
            options = options
                .credentials_file(path)
                .await
                .map_err(|e| fail(format!("credentials file: {}", e.kind())))?;
        }
    }
    if let Some((user, password)) = url_user {
        options = options.user_and_password(user, password);
    }
    if let (Some(user), Some(password)) = (&n.user, &n.password) {
        options = options.user_and_password(user.clone(), password.expose().to_string());
    }
    if let Some(token) = &n.token {
        options = options.token(token.expose().to_string());
    }
    options.connect(addrs).await.map_err(|e| match e.kind() {
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
            fail("authorization violation: the server refused central's credentials".to_owned())
        }
        _ => fail(e.to_string()),
    })
}

/// Everything a role needs to build its handlers and background tasks.
#[derive(Clone)]
pub struct Runtime {
    /// The NATS connection.
    pub client: Client,
    /// JetStream over it.
    pub js: jetstream::Context,
    /// Subject, stream and bucket names.
    pub topology: Topology,
    /// Publishing with msg-id / expected-sequence headers.
    pub publisher: Publisher,
    /// Dead-letter access.
    pub dead_letters: DeadLetters,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// The replica's settings.
    pub settings: Arc<Settings>,
    /// Becomes true when the replica shuts down; background tasks must return then.
    pub shutdown: watch::Receiver<bool>,
}

impl Runtime {
    /// A KV bucket of the topology.
    pub async fn bucket(&self, bucket: Bucket) -> Result<kv::Store, CentralError> {
        let name = self.topology.bucket_name(bucket);
        self.js
            .get_key_value(&name)
            .await
            .map_err(|e| CentralError::Bucket {
                reason: e.to_string(),
                name,
            })
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("topology", &self.topology)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Registers the handlers every replica runs whatever its roles: the diagnostics ping
/// (`cmd-diag`). Each role's set-up calls this, then adds its own.
pub fn register_builtin(rt: &Runtime, registry: &mut HandlerRegistry) {
    registry.register(
        "cmd-diag",
        PingHandler::new(
            rt.client.clone(),
            rt.topology.root(),
            &rt.settings.nats.connection_name,
        ),
    );
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
    let mut delays = super::retry::delays(Duration::from_millis(100), Duration::from_secs(2));
    for attempt in 1.. {
        match ensure_topology(&js, topology, &settings.topology).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 10 => {
                tracing::warn!(attempt, error = %e, "topology not ready; retrying");
                let delay = delays.next().unwrap_or(Duration::from_secs(2));
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the retry loop returns")
}

/// Runs a replica on `listener` until `shutdown` completes. `setup` fills the handler registry
/// (and background tasks) from the [`Runtime`]; [`register_builtin`] is the minimal set-up.
/// Consumers are only worked if their role is configured and a handler is registered.
pub async fn run<S>(
    settings: Settings,
    listener: tokio::net::TcpListener,
    setup: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CentralError>
where
    S: FnOnce(&Runtime, &mut HandlerRegistry),
{
    tracing::info!(settings = ?settings, "starting mallbots-central");
    let client = connect(&settings).await?;
    let js = jetstream::new(client.clone());
    let topology = Topology::from_settings(&settings.topology);
    ensure_topology_with_retry(&js, &topology, &settings).await?;
    let metrics = Arc::new(Metrics::new());
    let publisher = Publisher::new(js.clone(), topology.clone(), metrics.clone());
    let dead_letters = DeadLetters::new(js.clone(), publisher.clone(), metrics.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let rt = Runtime {
        client: client.clone(),
        js: js.clone(),
        topology: topology.clone(),
        publisher,
        dead_letters: dead_letters.clone(),
        metrics: metrics.clone(),
        settings: Arc::new(settings.clone()),
        shutdown: stop_rx.clone(),
    };
    let mut registry = HandlerRegistry::new();
    setup(&rt, &mut registry);

    let mut tasks = Vec::new();
    for (name, task) in registry.take_background() {
        tracing::info!(task = %name, "background task started");
        tasks.push(tokio::spawn(task));
    }
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
            // With a back-off list the server redelivers the first delivery after backoff[0],
            // not after ack_wait: progress must be sent within the shorter of the two.
            ack_wait: spec
                .backoff
                .first()
                .map_or(settings.topology.ack_wait(), |first| {
                    (*first).min(settings.topology.ack_wait())
                }),
            max_deliver: spec.max_deliver,
            backoff: spec.backoff.clone(),
        };
        tasks.push(tokio::spawn(worker.run(stop_rx.clone())));
    }
    tasks.push(tokio::spawn(
        dead_letters
            .clone()
            .watch_max_deliveries(client.clone(), stop_rx.clone()),
    ));
    // The sweep for messages no client can receive gets its own connection: such a message
    // drops the connection it is delivered to, i.e. the workers'.
    match connect(&settings).await {
        Ok(sweeper) => {
            let js = jetstream::new(sweeper);
            let publisher = Publisher::new(js.clone(), topology.clone(), metrics.clone());
            let sweep = DeadLetters::new(js, publisher, metrics.clone());
            tasks.push(tokio::spawn(sweep.sweep_unreadable(stop_rx.clone())));
        }
        Err(e) => {
            tracing::warn!(error = %e, "no sweep connection; unreadable messages wait for MaxDeliver")
        }
    }

    let state = HttpState {
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
