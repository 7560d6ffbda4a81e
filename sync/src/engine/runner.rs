//! [`SyncEngine`]: connect, run one full sync ([`SyncEngine::sync_once`]), or run in the
//! background ([`SyncEngine::spawn`]) with reconnect and backoff; [`SyncEngine::status`].
//!
//! In the background the relay and the consumers run as two loops on one connection: the
//! relay drains the outbox, then waits for [`SyncEngine::poke`] (a new local commit) or the
//! poll interval; each consumer is followed continuously (the server pushes into an open pull
//! request) and whatever has arrived is applied at once. Any NATS failure drops the
//! connection, marks the engine offline and reconnects after [`super::Backoff::delay`]. A third loop prunes the
//! outbox and inbox every [`SyncConfig::prune_interval`].

use super::error::SyncError;
use super::inbox::{self, InboxReport};
use super::link::{Link, NatsTarget};
use super::local::LAST_SYNC_CHECKPOINT;
use super::prune::{self, PruneReport};
use super::relay::{relay_pass, RelayReport};
use super::status::{sync_status, SyncStatus};
use super::{InboxApplier, Rebaser, Shared, SyncConfig};
use crate::store::{now_ms, Durability, StoreError, StoreWriter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// What one full sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The relay, summed over its passes.
    pub relay: RelayReport,
    /// The consumers, summed.
    pub inbox: InboxReport,
}

fn add(a: &mut RelayReport, b: &RelayReport) {
    a.published += b.published;
    a.recovered += b.recovered;
    a.rebased += b.rebased;
    a.rejected += b.rejected;
    a.quarantined += b.quarantined;
    a.pending_at_start = a.pending_at_start.max(b.pending_at_start);
}

fn add_inbox(a: &mut InboxReport, b: &InboxReport) {
    a.applied += b.applied;
    a.echoed += b.echoed;
    a.parked += b.parked;
    a.duplicates += b.duplicates;
}

/// The sync engine of one device.
#[derive(Clone)]
pub struct SyncEngine {
    shared: Arc<Shared>,
    online: Arc<AtomicBool>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("device", &self.shared.config.device_id)
            .field("online", &self.online.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A running background engine: its status and a way to stop it.
#[derive(Debug)]
pub struct SyncHandle {
    engine: SyncEngine,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl SyncHandle {
    /// The engine (status, poke).
    pub fn engine(&self) -> &SyncEngine {
        &self.engine
    }

    /// Stops the background task and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl SyncEngine {
    /// An engine over the store `writer` for `config`.
    pub fn new(
        writer: StoreWriter,
        config: SyncConfig,
        applier: Arc<dyn InboxApplier>,
        rebaser: Arc<dyn Rebaser>,
    ) -> Result<Self, SyncError> {
        config.validate()?;
        Ok(Self {
            shared: Arc::new(Shared {
                writer,
                config,
                applier,
                rebaser,
                relay_from: Default::default(),
                last_state: Default::default(),
            }),
            online: Arc::new(AtomicBool::new(false)),
            wake: Arc::new(Notify::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SyncConfig {
        &self.shared.config
    }

    /// Connects with the device's inbox prefix and credentials, and binds the events stream.
    /// Refused credentials are recorded as the `refused` state.
    pub async fn connect(&self, target: &NatsTarget) -> Result<Link, SyncError> {
        let result = super::link::connect(&self.shared.config, target).await;
        if let Err(e @ SyncError::Refused { .. }) = &result {
            self.note_failure(e).await;
        }
        result
    }

    /// Records the connection state (`online`, `offline`, `not_enrolled`, `refused`) and its
    /// problem, writing and logging only when it changes.
    async fn set_state(&self, state: &'static str, problem: Option<(&'static str, String)>) {
        let key = (state.to_owned(), problem.as_ref().map(|p| p.0.to_owned()));
        {
            let mut last = self
                .shared
                .last_state
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if last.as_ref() == Some(&key) {
                return;
            }
            *last = Some(key);
        }
        match &problem {
            Some((code, message)) => tracing::error!(code, "{message}"),
            None => tracing::info!(state, "sync state"),
        }
        let result = self
            .shared
            .writer
            .call_async(move |s| {
                s.transaction(Durability::Normal, |tx| {
                    super::local::set_sync_state(
                        tx,
                        state,
                        problem.as_ref().map(|(c, m)| (*c, m.as_str())),
                    )
                })
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record the sync state");
        }
    }

    /// Records what a failure means for the device's state (see [`SyncError::state`]).
    async fn note_failure(&self, e: &SyncError) {
        use mallbots_domain::ErrorCode;
        match e.state() {
            "offline" => self.set_state("offline", None).await,
            state => self.set_state(state, Some((e.code(), e.to_string()))).await,
        }
    }

    /// Binds every consumer of the device (a missing one is [`SyncError::NotEnrolled`]).
    async fn bind_all(
        &self,
        link: &Link,
    ) -> Result<Vec<(String, async_nats::jetstream::consumer::PullConsumer)>, SyncError> {
        let mut bound = Vec::new();
        for spec in &self.shared.config.consumers {
            bound.push((
                spec.name.clone(),
                inbox::bind(&self.shared, link, spec).await?,
            ));
        }
        Ok(bound)
    }

    /// Wakes the background relay (call after a local commit).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Whether the background engine is connected.
    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Relaxed)
    }

    /// The status (online, waiting, last sync, conflicts).
    pub async fn status(&self) -> Result<SyncStatus, SyncError> {
        let online = self.is_online();
        Ok(self
            .shared
            .writer
            .call_async(move |s| sync_status(s.connection(), online))
            .await?)
    }

    /// Relays until the outbox is empty (or a pass makes no progress).
    pub async fn relay(&self, link: &Link) -> Result<RelayReport, SyncError> {
        let mut total = RelayReport::default();
        loop {
            let pass = self.relay_once(link).await?;
            add(&mut total, &pass);
            if !pass.may_have_more() {
                return Ok(total);
            }
        }
    }

    /// One relay pass.
    async fn relay_once(&self, link: &Link) -> Result<RelayReport, SyncError> {
        relay_pass(&self.shared, link).await
    }

    /// Pulls every consumer once (waiting up to `wait` each), or until drained if `wait` is
    /// `None`.
    pub async fn pull(
        &self,
        link: &Link,
        wait: Option<std::time::Duration>,
    ) -> Result<InboxReport, SyncError> {
        let mut total = InboxReport::default();
        for spec in &self.shared.config.consumers {
            let consumer = inbox::bind(&self.shared, link, spec).await?;
            loop {
                let (report, remaining) =
                    inbox::pull_batch(&self.shared, &spec.name, &consumer, wait).await?;
                add_inbox(&mut total, &report);
                if wait.is_some() || report.total() == 0 || remaining == 0 {
                    break;
                }
            }
        }
        Ok(total)
    }

    async fn mark_synced(&self) -> Result<(), SyncError> {
        self.shared
            .writer
            .call_async(|s| {
                s.transaction(Durability::Normal, |tx| {
                    crate::store::sqlite::write::set_checkpoint(
                        tx,
                        LAST_SYNC_CHECKPOINT,
                        now_ms() as u64,
                        now_ms(),
                    )
                })
            })
            .await?;
        Ok(())
    }

    /// Applies parked incoming messages this build now understands; returns how many.
    pub async fn retry_parked(&self) -> Result<u64, SyncError> {
        let applier = self.shared.applier.clone();
        Ok(self
            .shared
            .writer
            .call_async(move |s| {
                s.transaction(Durability::Normal, |tx| {
                    super::local::retry_parked(tx, applier.as_ref())
                })
            })
            .await?)
    }

    /// One full sync: relay, drain the consumers, relay again (rebases may queue events).
    /// A device that is not enrolled fails with [`SyncError::NotEnrolled`] before relaying,
    /// and the state is recorded for the status.
    pub async fn sync_once(&self, link: &Link) -> Result<SyncReport, SyncError> {
        let result = self.sync_once_inner(link).await;
        match &result {
            Ok(_) => self.set_state("online", None).await,
            Err(e) => self.note_failure(e).await,
        }
        result
    }

    async fn sync_once_inner(&self, link: &Link) -> Result<SyncReport, SyncError> {
        self.bind_all(link).await?;
        let mut report = SyncReport {
            relay: self.relay(link).await?,
            inbox: self.pull(link, None).await?,
        };
        let again = self.relay(link).await?;
        add(&mut report.relay, &again);
        self.mark_synced().await?;
        Ok(report)
    }

    /// Relays until the link drops: after each pass it sleeps until a local commit adds outbox
    /// rows ([`StoreWriter::outbox_appends`], then [`SyncConfig::relay_linger`] more, so a burst
    /// goes as one batch), a [`Self::poke`], or the poll interval. The last-sync time is
    /// written at most every [`SyncConfig::mark_synced_every`], not once per pass.
    async fn relay_loop(&self, link: &Link) -> Result<(), SyncError> {
        let mut outbox = self.shared.writer.outbox_appends();
        let config = &self.shared.config;
        let mut marked: Option<std::time::Instant> = None;
        loop {
            if link.client.connection_state() != async_nats::connection::State::Connected {
                return Err(SyncError::Connect {
                    url: "(current connection)".to_owned(),
                    reason: "connection lost".to_owned(),
                });
            }
            outbox.borrow_and_update();
            let pass = self.relay_once(link).await?;
            if marked.is_none_or(|at| at.elapsed() >= config.mark_synced_every) {
                self.mark_synced().await?;
                marked = Some(std::time::Instant::now());
            }
            if pass.may_have_more() {
                // Rows may remain (a full batch, or commits made during the pass): look again
                // once a few more have gathered.
                tokio::time::sleep(config.relay_linger).await;
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(config.poll_interval) => {}
                _ = self.wake.notified() => {}
                appended = outbox.changed() => {
                    if appended.is_err() {
                        return Err(SyncError::Store(StoreError::Closed));
                    }
                    tokio::time::sleep(config.relay_linger).await;
                }
            }
        }
    }

    async fn pull_loop(
        &self,
        bound: Vec<(String, async_nats::jetstream::consumer::PullConsumer)>,
    ) -> Result<(), SyncError> {
        if bound.is_empty() {
            return std::future::pending().await;
        }
        let follows = bound
            .iter()
            .map(|(name, consumer)| inbox::follow(&self.shared, name, consumer));
        futures::future::try_join_all(follows).await.map(|_| ())
    }

    /// Prunes the outbox and inbox once (see [`super::prune`]): reads the consumers' ack
    /// floors from the server, raises the inbox floor, deletes what is safe in small
    /// transactions.
    pub async fn prune(&self, link: &Link) -> Result<PruneReport, SyncError> {
        let mut bound = Vec::new();
        for spec in &self.shared.config.consumers {
            bound.push((
                spec.name.clone(),
                inbox::bind(&self.shared, link, spec).await?,
            ));
        }
        let floor = prune::server_floor(&bound).await?;
        prune::prune_local(&self.shared, floor, self.shared.config.prune_retention).await
    }

    async fn prune_loop(&self, link: &Link) -> Result<(), SyncError> {
        loop {
            tokio::time::sleep(self.shared.config.prune_interval).await;
            let report = self.prune(link).await?;
            if report.inbox + report.outbox > 0 {
                tracing::debug!(?report, "pruned");
            }
        }
    }

    async fn connected(
        &self,
        link: &Link,
        bound: Vec<(String, async_nats::jetstream::consumer::PullConsumer)>,
    ) -> Result<(), SyncError> {
        tokio::try_join!(
            self.relay_loop(link),
            self.pull_loop(bound),
            self.prune_loop(link)
        )
        .map(|_| ())
    }

    /// Runs until `stop` turns true: connect, sync continuously, reconnect with a growing,
    /// jittered backoff. A device that is not enrolled or whose credentials are refused shows
    /// that state (logged once per change) and backs off up to [`super::Backoff::max`].
    async fn run(self, target: NatsTarget, mut stop: watch::Receiver<bool>) {
        // Consecutive failures; a connection that stayed up a while starts the count again.
        let mut failures = 0u32;
        while !*stop.borrow() {
            let mut up_since = None;
            let outcome = async {
                let link = self.connect(&target).await?;
                let bound = self.bind_all(&link).await?;
                self.online.store(true, Ordering::Relaxed);
                up_since = Some(std::time::Instant::now());
                self.set_state("online", None).await;
                self.connected(&link, bound).await
            };
            let result = tokio::select! {
                r = outcome => r,
                _ = stop.changed() => break,
            };
            self.online.store(false, Ordering::Relaxed);
            if let Err(e) = result {
                if !e.is_transient() {
                    tracing::error!(error = %e, "sync stopped");
                    break;
                }
                if up_since.is_some_and(|t| t.elapsed() > std::time::Duration::from_secs(10)) {
                    failures = 0;
                }
                failures = failures.saturating_add(1);
                let delay = self.shared.config.backoff.jittered(failures);
                let changed = {
                    let last = self
                        .shared
                        .last_state
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    last.as_ref().map(|(s, _)| s.as_str()) != Some(e.state())
                };
                self.note_failure(&e).await;
                if changed && e.state() == "offline" {
                    tracing::warn!(error = %e, ?delay, "sync offline; retrying");
                } else {
                    tracing::debug!(error = %e, ?delay, "sync still failing; retrying");
                }
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.changed() => break,
                }
            }
        }
        self.online.store(false, Ordering::Relaxed);
    }

    /// Starts the engine as a background tokio task.
    pub fn spawn(self, target: NatsTarget) -> SyncHandle {
        let (stop, rx) = watch::channel(false);
        let engine = self.clone();
        let task = tokio::spawn(self.run(target, rx));
        SyncHandle { engine, stop, task }
    }
}
