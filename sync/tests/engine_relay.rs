//! The outbox relay against a real nats-server with a 1-second dedup window, so the expected
//! subject sequence (not msg-id dedup) is what keeps events exactly once.

mod engine_support;

use engine_support::*;
use mallbots_sync::engine::{RecordOnly, RetractPending, SyncConfig, SyncEngine, SyncStatus};
use mallbots_sync::store::{EventReader, StoreWriter};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn engine(writer: &StoreWriter, device: &str) -> SyncEngine {
    engine_with(writer, kiosk_config(device))
}

fn engine_with(writer: &StoreWriter, config: SyncConfig) -> SyncEngine {
    SyncEngine::new(
        writer.clone(),
        config,
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap()
}

fn subject(device: &str, basket: usize) -> String {
    format!("{ROOT}.ev.kiosk.{device}.basket.b{basket}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_every_event_once_in_order_and_records_sequences() {
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "k1.db");
    let mut ids = Vec::new();
    for b in 0..20 {
        ids.push(append(
            &writer,
            "basket",
            &format!("b{b}"),
            &subject("k1", b),
            10,
        ));
    }
    let engine = engine(&writer, "k1");
    let link = engine
        .connect(&mallbots_sync::engine::NatsTarget::new(nats.url()))
        .await
        .unwrap();
    let report = engine.sync_once(&link).await.unwrap();
    assert_eq!(report.relay.published, 200);

    let messages = stream_messages(&js).await;
    assert_eq!(messages.len(), 200);
    let unique: HashSet<_> = messages.iter().map(|m| &m.2).collect();
    assert_eq!(unique.len(), 200, "each event stored once");
    for (b, events) in ids.iter().enumerate() {
        let on_subject: Vec<_> = messages
            .iter()
            .filter(|m| m.0 == subject("k1", b))
            .map(|m| m.2.clone())
            .collect();
        let expected: Vec<_> = events.iter().map(|id| id.to_string()).collect();
        assert_eq!(on_subject, expected, "order per aggregate");
    }
    let status: SyncStatus = engine.status().await.unwrap();
    assert_eq!(status.waiting, 0);
    assert!(status.last_sync_at.is_some());
    let seqs = writer
        .call(move |s| {
            Ok(ids[3]
                .iter()
                .map(|id| s.event(*id).unwrap().unwrap().stream_seq)
                .collect::<Vec<_>>())
        })
        .unwrap();
    assert!(
        seqs.iter().all(Option::is_some),
        "stream_seq recorded on every event"
    );

    // A second run publishes nothing more.
    let again = engine.sync_once(&link).await.unwrap();
    assert_eq!(again.relay.published, 0);
    assert_eq!(stream_messages(&js).await.len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_ack_is_found_on_the_subject_after_the_dedup_window() {
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "k2.db");
    let ids = append(&writer, "basket", "b1", &subject("k2", 1), 3);

    // A previous run published the first event and died before recording the ack.
    let first = writer.call(|s| s.pending_outbox(1)).unwrap();
    let seq = published_by_a_dead_run(&js, &first, "k2").await;
    let published_at = Instant::now();
    // Let the 1 s dedup window pass: only the expected sequence can prevent a duplicate now.
    tokio::time::sleep_until((published_at + Duration::from_millis(1_200)).into()).await;

    let engine = engine(&writer, "k2");
    let link = engine
        .connect(&mallbots_sync::engine::NatsTarget::new(nats.url()))
        .await
        .unwrap();
    let report = engine.sync_once(&link).await.unwrap();
    assert_eq!(report.relay.recovered, 1, "{report:?}");
    assert_eq!(report.relay.published, 2);
    assert_eq!(report.relay.rebased, 0);
    let messages = stream_messages(&js).await;
    let got: Vec<_> = messages.iter().map(|m| m.2.clone()).collect();
    let want: Vec<_> = ids.iter().map(|i| i.to_string()).collect();
    assert_eq!(got, want, "each event exactly once, in order");
    let recorded = writer
        .call(move |s| s.event(ids[0]))
        .unwrap()
        .unwrap()
        .stream_seq;
    assert_eq!(recorded, Some(seq));
}

/// Publishes `entries` to the stream as an earlier run of the relay would have (same headers,
/// msg-id, expected sequences), without recording anything: a run that died before its acks
/// were recorded. Returns the last sequence.
async fn published_by_a_dead_run(
    js: &async_nats::jetstream::Context,
    entries: &[mallbots_sync::store::OutboxEntry],
    device: &str,
) -> u64 {
    let mut seq = 0;
    for entry in entries {
        let message = async_nats::jetstream::message::PublishMessage::build()
            .headers(mallbots_sync::engine::outgoing_headers(entry, device))
            .payload(serde_json::to_vec(&entry.event.payload).unwrap().into())
            .message_id(entry.event.event_id.to_string())
            .expected_last_subject_sequence(seq);
        seq = js
            .send_publish(entry.subject.clone(), message)
            .await
            .unwrap()
            .await
            .unwrap()
            .sequence;
    }
    seq
}

/// The lost acks reach past the rows one read takes (the dead run read more at a time, or was
/// further along): the read-back must be matched against every pending event of the subject,
/// not only those read, or the subject's own events look like another writer's and are
/// rebased away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_acks_beyond_the_rows_read_are_found_not_rebased() {
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "k5.db");
    let ids = append(&writer, "basket", "b1", &subject("k5", 1), 10);
    let entries = writer.call(|s| s.pending_outbox(8)).unwrap();
    let published_at = Instant::now();
    let last_seq = published_by_a_dead_run(&js, &entries, "k5").await;
    tokio::time::sleep_until((published_at + Duration::from_millis(1_200)).into()).await;

    let mut config = kiosk_config("k5");
    config.relay_batch = 4;
    let engine = engine_with(&writer, config);
    let link = engine
        .connect(&mallbots_sync::engine::NatsTarget::new(nats.url()))
        .await
        .unwrap();
    let report = engine.sync_once(&link).await.unwrap();
    assert_eq!(report.relay.rebased, 0, "{report:?}");
    assert_eq!(report.relay.recovered, 8, "{report:?}");
    assert_eq!(report.relay.published, 2, "{report:?}");
    let got: Vec<_> = stream_messages(&js)
        .await
        .into_iter()
        .map(|m| m.2)
        .collect();
    let want: Vec<_> = ids.iter().map(|i| i.to_string()).collect();
    assert_eq!(got, want, "each event exactly once, in order");
    let eighth = ids[7];
    let recorded = writer.call(move |s| s.event(eighth)).unwrap().unwrap();
    assert_eq!(recorded.stream_seq, Some(last_seq));
    assert!(!recorded.superseded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_on_the_subject_rebases_the_aggregate() {
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let product = format!("{ROOT}.ev.catalog.s1.product.p1");
    let a = open_store(dir.path(), "a.db");
    let b = open_store(dir.path(), "b.db");
    append(&a, "product", "p1", &product, 1);
    let b_ids = append(&b, "product", "p1", &product, 2);
    let target = mallbots_sync::engine::NatsTarget::new(nats.url());
    let ea = SyncEngine::new(
        a.clone(),
        manager_config("ma"),
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap();
    let eb = SyncEngine::new(
        b.clone(),
        manager_config("mb"),
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap();
    ea.sync_once(&ea.connect(&target).await.unwrap())
        .await
        .unwrap();
    let report = eb
        .sync_once(&eb.connect(&target).await.unwrap())
        .await
        .unwrap();
    assert_eq!(report.relay.rebased, 1, "{report:?}");
    assert_eq!(
        stream_messages(&js).await.len(),
        1,
        "b's stale events never stored"
    );
    let status = eb.status().await.unwrap();
    assert_eq!(status.waiting, 0);
    assert_eq!(status.conflicts, 1);
    assert_eq!(status.recent_conflicts[0].code, "sync.conflict");
    let superseded = b
        .call(move |s| s.event(b_ids[0]))
        .unwrap()
        .unwrap()
        .superseded;
    assert!(superseded, "b's events retracted, kept");
}

/// A manager's catalog subject (multi-writer) after kill -9 mid-relay: its events are on the
/// server, their marks lost, the dedup window past, and another manager wrote the product
/// after them. The recovery reads nothing with direct gets: the device's own catalog consumer
/// brings its events back (echoes: marked at their exact sequences) and the other writer's
/// event (applied), then the aggregate is rebased over it (docs/architecture.md §6).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_recovers_lost_marks_on_a_shared_subject_through_its_consumer() {
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let product = format!("{ROOT}.ev.catalog.s1.product.p9");
    let a = open_store(dir.path(), "a.db");
    let target = mallbots_sync::engine::NatsTarget::new(nats.url());
    let ea = SyncEngine::new(
        a.clone(),
        manager_config("ma"),
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap();
    let ids = append(&a, "product", "p9", &product, 3);
    let link = ea.connect(&target).await.unwrap();
    assert_eq!(ea.relay(&link).await.unwrap().published, 3);
    let true_seqs: Vec<u64> = stream_messages(&js).await.iter().map(|m| m.1).collect();
    // Lost marks: nothing of the three acks survived the kill.
    a.call(move |s| {
        let c = s.connection();
        c.execute(
            "UPDATE outbox SET published_seq = NULL, published_at = NULL",
            [],
        )?;
        c.execute("UPDATE events SET stream_seq = NULL", [])?;
        c.execute("DELETE FROM checkpoints WHERE name LIKE 'subject:%'", [])?;
        Ok(())
    })
    .unwrap();
    // Another manager writes the product after them.
    let b = open_store(dir.path(), "b.db");
    let eb = SyncEngine::new(
        b.clone(),
        manager_config("mb"),
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap();
    let b_link = eb.connect(&target).await.unwrap();
    // (b learns the subject's sequence from its own catalog consumer.)
    eb.sync_once(&b_link).await.unwrap();
    let foreign = append(&b, "product", "p9", &product, 1);
    assert_eq!(eb.relay(&b_link).await.unwrap().published, 1);
    // One more local change of a's, made while its relay was down.
    let later = append(&a, "product", "p9", &product, 1);
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    let restarted = SyncEngine::new(
        a.clone(),
        manager_config("ma"),
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap();
    let link = restarted.connect(&target).await.unwrap();
    let report = restarted.sync_once(&link).await.unwrap();
    assert_eq!(report.relay.rebased, 1, "{report:?}");
    let messages = stream_messages(&js).await;
    let got: Vec<String> = messages.iter().map(|m| m.2.clone()).collect();
    let want: Vec<String> = ids.iter().chain(&foreign).map(Uuid::to_string).collect();
    assert_eq!(
        got, want,
        "a's three events once, b's after them; a's stale one retracted"
    );
    let recorded: Vec<Option<u64>> = a
        .call(move |s| {
            Ok(ids
                .iter()
                .map(|id| s.event(*id).unwrap().unwrap().stream_seq)
                .collect())
        })
        .unwrap();
    let exact: Vec<Option<u64>> = true_seqs.iter().map(|s| Some(*s)).collect();
    assert_eq!(recorded, exact, "echoes give the exact sequences");
    let status = restarted.status().await.unwrap();
    assert_eq!((status.waiting, status.conflicts), (0, 1), "{status:?}");
    let superseded = a
        .call(move |s| s.event(later[0]))
        .unwrap()
        .unwrap()
        .superseded;
    assert!(superseded, "the stale change is retracted, kept");
}
