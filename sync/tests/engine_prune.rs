//! Pruning (docs/architecture.md §4, §8 P7) against a real nats-server and a real SQLite file: published
//! outbox rows and applied inbox rows are deleted in batches of at most 256; a consumer replayed
//! from the start of the log after pruning applies nothing twice; messages a consumer has not
//! acknowledged yet keep the inbox floor below them, so they are applied, not dropped; the
//! background engine prunes on its own.

mod engine_support;

use async_nats::HeaderMap;
use engine_support::*;
use mallbots_sync::engine::envelope::*;
use mallbots_sync::engine::prune::{inbox_floor, PRUNE_BATCH};
use mallbots_sync::engine::{
    InboxApplier, IncomingEvent, NatsTarget, RetractPending, SyncConfig, SyncEngine,
};
use mallbots_sync::store::sqlite::{read, write};
use mallbots_sync::store::{now_ms, StoreError, StoreWriter};
use rusqlite::Transaction;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Counts applies per event in checkpoint `applied:<event id>` (and keeps no event row, so
/// only the inbox and its floor stand between a redelivery and a second apply).
struct Counting;

impl InboxApplier for Counting {
    fn can_apply(&self, _: &IncomingEvent) -> bool {
        true
    }

    fn apply(&self, tx: &Transaction<'_>, e: &IncomingEvent) -> Result<(), StoreError> {
        let name = format!("applied:{}", e.event_id);
        let n = read::checkpoint(tx, &name)?.unwrap_or(0);
        write::set_checkpoint(tx, &name, n + 1, now_ms())
    }
}

async fn central_publish(js: &async_nats::jetstream::Context, subject: String) -> Uuid {
    let id = Uuid::now_v7();
    let mut h = HeaderMap::new();
    h.insert(H_EVENT_TYPE, "OrderApproved");
    h.insert(H_SCHEMA_VERSION, "1");
    h.insert(H_STREAM_TYPE, "order");
    h.insert(H_STREAM_ID, subject.rsplit('.').next().unwrap());
    h.insert(H_OCCURRED_AT, "1700000000000");
    h.insert(H_DEVICE, "central");
    h.insert(H_MSG_ID, id.to_string().as_str());
    js.publish_with_headers(subject, h, r#"{"type":"OrderApproved"}"#.into())
        .await
        .unwrap()
        .await
        .unwrap();
    id
}

fn count(writer: &StoreWriter, sql: &'static str) -> u64 {
    writer
        .call(move |s| Ok(s.connection().query_row(sql, [], |r| r.get(0))?))
        .unwrap()
}

fn applies(writer: &StoreWriter, ids: &[Uuid]) -> Vec<u64> {
    let ids = ids.to_vec();
    writer
        .call(move |s| {
            ids.iter()
                .map(|id| {
                    Ok(read::checkpoint(s.connection(), &format!("applied:{id}"))?.unwrap_or(0))
                })
                .collect()
        })
        .unwrap()
}

/// Every event's id and sequence as `seq` (an SQL expression over `events e`) reads it.
fn own_seqs(writer: &StoreWriter, seq: &'static str) -> Vec<(String, Option<u64>)> {
    writer
        .call(move |s| {
            let sql = format!("SELECT e.event_id, {seq} FROM events e ORDER BY e.global_pos");
            let mut stmt = s.connection().prepare(&sql)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

fn config() -> SyncConfig {
    let mut c = kiosk_config("k1");
    c.prune_retention = Duration::ZERO;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruned_rows_stay_exactly_once_across_a_replay() {
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "k1.db");
    let own = 300;
    for _ in 0..3 {
        append(
            &writer,
            "basket",
            "b1",
            &format!("{ROOT}.ev.kiosk.k1.basket.b1"),
            own / 3 - 1,
        );
        append_command(
            &writer,
            "basket",
            "b1",
            &format!("{ROOT}.ev.kiosk.k1.basket.b1"),
            1,
        );
    }
    let mut incoming = Vec::new();
    for i in 0..300 {
        incoming.push(central_publish(&js, format!("{ROOT}.ev.order.k1.o{}", i % 40)).await);
    }
    let engine = SyncEngine::new(
        writer.clone(),
        config(),
        Arc::new(Counting),
        Arc::new(RetractPending),
    )
    .unwrap();
    let link = engine.connect(&NatsTarget::new(nats.url())).await.unwrap();
    let report = engine.sync_once(&link).await.unwrap();
    assert_eq!(report.relay.published, own as u64);
    assert_eq!(report.inbox.applied, 300);
    assert_eq!(count(&writer, "SELECT COUNT(*) FROM outbox"), own as u64);
    assert_eq!(count(&writer, "SELECT COUNT(*) FROM inbox"), 300);

    // An ack is on the outbox row alone; readers see it as the event's sequence.
    let seqs_before = own_seqs(&writer, read::EVENT_SEQ);
    assert_eq!(seqs_before.len(), own);
    assert!(seqs_before.iter().all(|(_, seq)| seq.is_some()));
    assert_eq!(
        count(
            &writer,
            "SELECT COUNT(*) FROM events WHERE stream_seq IS NOT NULL"
        ),
        0,
        "the relay does not rewrite the event rows"
    );

    let pruned = engine.prune(&link).await.unwrap();
    const { assert!(300 > PRUNE_BATCH, "several batches") };
    assert_eq!(pruned.outbox, own as u64, "{pruned:?}");
    assert_eq!(pruned.inbox, 300, "{pruned:?}");
    assert_eq!(pruned.commands, 3, "published commands go: {pruned:?}");
    assert_eq!(count(&writer, "SELECT COUNT(*) FROM commands"), 0);
    assert!(
        pruned.floor >= 300,
        "every incoming message acknowledged: {pruned:?}"
    );
    assert_eq!(count(&writer, "SELECT COUNT(*) FROM outbox"), 0);
    assert_eq!(count(&writer, "SELECT COUNT(*) FROM inbox"), 0);
    assert_eq!(
        count(
            &writer,
            "SELECT COUNT(*) FROM events WHERE stream_seq IS NOT NULL"
        ),
        own as u64,
        "the log keeps every event with its sequence"
    );
    assert_eq!(
        own_seqs(&writer, "e.stream_seq"),
        seqs_before,
        "the prune copies each acknowledged sequence onto its event"
    );

    // The device's consumer is replayed from the start of the log: every message again.
    js.get_stream(STREAM)
        .await
        .unwrap()
        .delete_consumer("k1-orders")
        .await
        .unwrap();
    let replay = engine.sync_once(&link).await.unwrap();
    assert_eq!(replay.inbox.duplicates, 300, "{replay:?}");
    assert_eq!(replay.inbox.applied, 0);
    assert!(
        applies(&writer, &incoming).iter().all(|n| *n == 1),
        "each applied exactly once"
    );

    // New messages not yet pulled: the orders consumer has them pending, so the floor stays
    // below them, and pulling applies them.
    let mut late = Vec::new();
    for i in 0..5 {
        late.push(central_publish(&js, format!("{ROOT}.ev.order.k1.late{i}")).await);
    }
    let before = writer.call(|s| inbox_floor(s.connection())).unwrap();
    let pruned = engine.prune(&link).await.unwrap();
    assert!(pruned.floor < 601 && pruned.floor >= before, "{pruned:?}");
    let pulled = engine.sync_once(&link).await.unwrap();
    assert_eq!(pulled.inbox.applied, 5, "{pulled:?}");
    assert!(applies(&writer, &late).iter().all(|n| *n == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_engine_prunes_on_its_own() {
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "k1.db");
    let mut c = config();
    c.prune_interval = Duration::from_millis(100);
    let engine = SyncEngine::new(
        writer.clone(),
        c,
        Arc::new(Counting),
        Arc::new(RetractPending),
    )
    .unwrap();
    let handle = engine.clone().spawn(NatsTarget::new(nats.url()));
    append(
        &writer,
        "basket",
        "b2",
        &format!("{ROOT}.ev.kiosk.k1.basket.b2"),
        20,
    );
    engine.poke();
    let ids = [
        central_publish(&js, format!("{ROOT}.ev.order.k1.x1")).await,
        central_publish(&js, format!("{ROOT}.ev.order.k1.x2")).await,
    ];
    wait_for(
        "the outbox and inbox pruned",
        Duration::from_secs(20),
        async || {
            count(
                &writer,
                "SELECT COUNT(*) FROM events WHERE stream_seq IS NOT NULL",
            ) == 20
                && applies(&writer, &ids) == [1, 1]
                && count(&writer, "SELECT COUNT(*) FROM outbox") == 0
                && count(&writer, "SELECT COUNT(*) FROM inbox") == 0
        },
    )
    .await;
    handle.shutdown().await;
}
