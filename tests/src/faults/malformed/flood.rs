//! Sending the flood ([`Flood`]: many publish acks in flight) and running the devices meanwhile
//! ([`device`], [`sync_loop`]: the real sync engine in passes until told to stop).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage};
use async_nats::HeaderMap;
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, Role};
use mallbots_sync::engine::{InboxReport, NatsTarget};
use tokio::sync::watch;

/// Publishes with many acks in flight; every publish must be stored.
pub struct Flood {
    /// Where to publish.
    pub js: jetstream::Context,
    /// Acks not awaited yet.
    pub pending: Vec<PublishAckFuture>,
    /// Messages sent.
    pub sent: u64,
}

impl Flood {
    /// A flood over `js`.
    pub fn new(js: jetstream::Context) -> Self {
        Self {
            js,
            pending: Vec::new(),
            sent: 0,
        }
    }

    /// Sends one message (awaits the acks every 2,000).
    pub async fn send(&mut self, subject: String, headers: HeaderMap, payload: Vec<u8>) {
        let msg = PublishMessage::build()
            .headers(headers)
            .payload(payload.into());
        let ack = self
            .js
            .send_publish(subject, msg)
            .await
            .expect("publish accepted");
        self.pending.push(ack);
        self.sent += 1;
        if self.pending.len() >= 2_000 {
            self.flush().await;
        }
    }

    /// Awaits every ack: each message must be stored.
    pub async fn flush(&mut self) {
        for ack in self.pending.drain(..) {
            ack.await.expect("stored in its stream");
        }
    }
}

/// An edge device `id` with `role` on a SQLite file in `dir`.
pub fn device(dir: &std::path::Path, id: &str, root: &str, role: Role) -> Arc<Edge> {
    let config = EdgeConfig {
        device_id: id.into(),
        subject_root: root.into(),
        role,
        ..EdgeConfig::default()
    };
    Arc::new(Edge::open(dir.join(format!("{id}.db")), config).expect("edge db"))
}

/// Sync settings on `stream`, creating the device's consumers.
pub fn settings(stream: &str) -> SyncSettings {
    SyncSettings {
        events_stream: stream.into(),
        stores: Vec::new(),
        create_consumers: true,
    }
}

/// Syncs `edge` in passes until `stop`, then once more; returns the inbox totals.
pub async fn sync_loop(
    edge: Arc<Edge>,
    url: String,
    stream: String,
    mut stop: watch::Receiver<bool>,
) -> InboxReport {
    let engine = engine(&edge, &settings(&stream)).expect("engine");
    let link = engine
        .connect(&NatsTarget::new(url))
        .await
        .expect("connect");
    let mut total = InboxReport::default();
    loop {
        let stopping = *stop.borrow();
        match engine.sync_once(&link).await {
            Ok(r) => {
                total.applied += r.inbox.applied;
                total.echoed += r.inbox.echoed;
                total.parked += r.inbox.parked;
                total.duplicates += r.inbox.duplicates;
                edge.clear_cache();
            }
            Err(e) => eprintln!("sync pass failed (retrying): {e}"),
        }
        if stopping {
            return total;
        }
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
}
