//! Incoming: the device's durable consumers (created by the engine, as in development) applied
//! through the inbox: applied once, own events echoed back, unknown types / newer schemas and
//! undecodable messages parked and applied after an "upgrade"; checkpoints; offline and back.

mod engine_support;

use async_nats::HeaderMap;
use engine_support::*;
use mallbots_sync::engine::envelope::*;
use mallbots_sync::engine::{
    InboxApplier, IncomingEvent, NatsTarget, RecordOnly, RetractPending, SyncEngine,
};
use mallbots_sync::store::sqlite::write;
use mallbots_sync::store::{now_ms, EventReader, InboxStatus, StoreError};
use rusqlite::Transaction;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Knows `OrderApproved` and `ProductAdded` up to a schema version that an "upgrade" raises;
/// applying writes a checkpoint `seen:<event id>` (its read model).
struct Versioned {
    max_schema: AtomicU32,
}

impl InboxApplier for Versioned {
    fn can_apply(&self, e: &IncomingEvent) -> bool {
        ["OrderApproved", "ProductAdded"].contains(&e.event_type.as_str())
            && e.schema_version <= self.max_schema.load(Ordering::SeqCst)
    }

    fn apply(&self, tx: &Transaction<'_>, e: &IncomingEvent) -> Result<(), StoreError> {
        write::set_checkpoint(tx, &format!("seen:{}", e.event_id), e.stream_seq, now_ms())
    }
}

async fn central_publish(
    js: &async_nats::jetstream::Context,
    subject: &str,
    event_type: &str,
    schema: u32,
) -> Uuid {
    let id = Uuid::now_v7();
    let mut h = HeaderMap::new();
    h.insert(H_EVENT_TYPE, event_type);
    h.insert(H_SCHEMA_VERSION, schema.to_string().as_str());
    h.insert(H_STREAM_TYPE, "order");
    h.insert(H_STREAM_ID, "o1");
    h.insert(H_OCCURRED_AT, "1700000000000");
    h.insert(H_DEVICE, "central");
    h.insert(H_MSG_ID, id.to_string().as_str());
    js.publish_with_headers(
        subject.to_owned(),
        h,
        format!(r#"{{"type":"{event_type}"}}"#).into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_apply_once_park_the_unknown_and_retry_after_upgrade() {
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let approved =
        central_publish(&js, &format!("{ROOT}.ev.order.k1.o1"), "OrderApproved", 1).await;
    let other_kiosk =
        central_publish(&js, &format!("{ROOT}.ev.order.k9.o2"), "OrderApproved", 1).await;
    let product = central_publish(
        &js,
        &format!("{ROOT}.ev.catalog.s1.product.p1"),
        "ProductAdded",
        1,
    )
    .await;
    let newer = central_publish(
        &js,
        &format!("{ROOT}.ev.catalog.s1.product.p2"),
        "ProductAdded",
        2,
    )
    .await;
    js.publish(
        format!("{ROOT}.ev.catalog.s1.product.p3"),
        "not json".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "k1.db");
    let applier = Arc::new(Versioned {
        max_schema: AtomicU32::new(1),
    });
    let engine = SyncEngine::new(
        writer.clone(),
        kiosk_config("k1"),
        applier.clone(),
        Arc::new(RetractPending),
    )
    .unwrap();
    let link = engine.connect(&NatsTarget::new(nats.url())).await.unwrap();
    let report = engine.sync_once(&link).await.unwrap();
    assert_eq!(
        (report.inbox.applied, report.inbox.parked),
        (2, 2),
        "{report:?}"
    );

    let seen = |id: Uuid| {
        let w = writer.clone();
        move || {
            w.call(move |s| s.checkpoint(&format!("seen:{id}")))
                .unwrap()
        }
    };
    assert!(seen(approved)().is_some());
    assert!(seen(product)().is_some());
    assert!(
        seen(other_kiosk)().is_none(),
        "another kiosk's order is not delivered"
    );
    assert!(seen(newer)().is_none());
    let status = engine.status().await.unwrap();
    assert_eq!(status.parked, 2);
    let orders_cp = writer.call(|s| s.checkpoint("consumer:k1-orders")).unwrap();
    assert_eq!(orders_cp, Some(1));

    // Nothing is applied twice.
    let again = engine.sync_once(&link).await.unwrap();
    assert_eq!(again.inbox.total(), 0, "{again:?}");

    // After an upgrade the newer schema applies; the undecodable message stays parked.
    applier.max_schema.store(2, Ordering::SeqCst);
    assert_eq!(engine.retry_parked().await.unwrap(), 1);
    assert!(seen(newer)().is_some());
    let row = writer.call(move |s| s.inbox_entry(newer)).unwrap().unwrap();
    assert_eq!(row.record.status, InboxStatus::Applied);
    assert_eq!(engine.status().await.unwrap().parked, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_catalog_events_come_back_as_echoes() {
    let nats = Nats::start();
    let _js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "m1.db");
    let ids = append(
        &writer,
        "product",
        "p1",
        &format!("{ROOT}.ev.catalog.s1.product.p1"),
        2,
    );
    let engine = SyncEngine::new(
        writer.clone(),
        manager_config("m1"),
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap();
    let link = engine.connect(&NatsTarget::new(nats.url())).await.unwrap();
    let report = engine.sync_once(&link).await.unwrap();
    assert_eq!(report.relay.published, 2);
    assert_eq!(report.inbox.echoed, 2, "{report:?}");
    let row = writer
        .call(move |s| s.inbox_entry(ids[1]))
        .unwrap()
        .unwrap();
    assert_eq!(row.record.status, InboxStatus::Echo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_engine_goes_offline_and_catches_up_after_reconnect() {
    let mut nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "k5.db");
    let mut config = kiosk_config("k5");
    config.poll_interval = Duration::from_millis(100);
    config.backoff.initial = Duration::from_millis(50);
    config.backoff.max = Duration::from_millis(300);
    let handle = SyncEngine::new(
        writer.clone(),
        config,
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap()
    .spawn(NatsTarget::new(nats.url()));
    let engine = handle.engine().clone();
    append(
        &writer,
        "basket",
        "b1",
        &format!("{ROOT}.ev.kiosk.k5.basket.b1"),
        5,
    );
    engine.poke();
    wait_for(
        "first events relayed",
        Duration::from_secs(10),
        async || {
            let s = engine.status().await.unwrap();
            s.online && s.waiting == 0
        },
    )
    .await;
    drop(js);

    nats.kill();
    wait_for("offline", Duration::from_secs(10), async || {
        !engine.status().await.unwrap().online
    })
    .await;
    append(
        &writer,
        "basket",
        "b1",
        &format!("{ROOT}.ev.kiosk.k5.basket.b1"),
        5,
    );
    append(
        &writer,
        "basket",
        "b2",
        &format!("{ROOT}.ev.kiosk.k5.basket.b2"),
        5,
    );
    let behind = engine.status().await.unwrap();
    assert_eq!(behind.waiting, 10);
    assert!(
        behind.oldest_waiting_at.is_some(),
        "the lag shows while offline: {behind:?}"
    );

    nats.spawn();
    wait_for(
        "caught up after reconnect",
        Duration::from_secs(20),
        async || {
            let s = engine.status().await.unwrap();
            s.online && s.waiting == 0
        },
    )
    .await;
    assert_eq!(engine.status().await.unwrap().oldest_waiting_at, None);
    let js = events_stream(&nats.url()).await;
    assert_eq!(stream_messages(&js).await.len(), 15);
    handle.shutdown().await;
}
