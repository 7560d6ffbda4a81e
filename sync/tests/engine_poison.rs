//! A message whose header block the client library cannot parse (a header line without a
//! colon: nats-server stores it, async-nats drops the connection reading it) must not loop for
//! ever on a device consumer: the edge never sees it, so it cannot park it; the consumer's
//! MaxDeliver (`consumer_config`, [`DEVICE_MAX_DELIVER`] in production, 2 here with a 1 s ack
//! wait to keep the test short) makes the server give up on it, and the device goes on
//! applying what follows.

mod engine_support;

use async_nats::HeaderMap;
use engine_support::*;
use mallbots_sync::engine::envelope::*;
use mallbots_sync::engine::inbox::DEVICE_MAX_DELIVER;
use mallbots_sync::engine::{consumer_config, NatsTarget, RecordOnly, RetractPending, SyncEngine};
use mallbots_sync::store::EventReader;
use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Publishes `HPUB` with a header block async-nats cannot parse, over raw TCP.
fn publish_poison(port: u16, subject: &str) {
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap(); // INFO
    let mut w = stream;
    let headers = "NATS/1.0\r\nThis line has no colon\r\n\r\n";
    let payload = "{}";
    write!(
        w,
        "CONNECT {{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1}}\r\n\
         HPUB {subject} {} {}\r\n{headers}{payload}\r\nPING\r\n",
        headers.len(),
        headers.len() + payload.len()
    )
    .unwrap();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert!(!line.starts_with("-ERR"), "server refused: {line}");
        if line.starts_with("PONG") {
            return;
        }
    }
}

async fn good_event(js: &async_nats::jetstream::Context, subject: &str) -> Uuid {
    let id = Uuid::now_v7();
    let mut h = HeaderMap::new();
    h.insert(H_EVENT_TYPE, "ProductAdded");
    h.insert(H_SCHEMA_VERSION, "1");
    h.insert(H_STREAM_TYPE, "product");
    h.insert(H_STREAM_ID, "p1");
    h.insert(H_OCCURRED_AT, "1700000000000");
    h.insert(H_DEVICE, "m1");
    h.insert(H_MSG_ID, id.to_string().as_str());
    js.publish_with_headers(subject.to_owned(), h, "{}".into())
        .await
        .unwrap()
        .await
        .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_header_block_does_not_loop_for_ever() {
    const { assert!(DEVICE_MAX_DELIVER > 1, "device consumers have a MaxDeliver") };
    let nats = Nats::start();
    let js = events_stream(&nats.url()).await;
    let mut config = kiosk_config("kp");
    config.consumers.retain(|c| c.name == "kp-catalog");
    let spec = config.consumers[0].clone();
    let mut consumer = consumer_config(&spec);
    assert_eq!(consumer.max_deliver, DEVICE_MAX_DELIVER);
    consumer.max_deliver = 2;
    consumer.ack_wait = Duration::from_secs(1);
    let stream = js.get_stream(STREAM).await.unwrap();
    stream.create_consumer(consumer).await.unwrap();

    let subject = format!("{ROOT}.ev.catalog.s1.product.p1");
    publish_poison(nats.port, &subject);
    // PONG means the server read the HPUB; JetStream stores it a moment later (a plain publish
    // has no ack), so the count is polled (seen at 0 right after PONG under a loaded CI run).
    let mut stored_messages = 0;
    for _ in 0..100 {
        stored_messages = js
            .get_stream(STREAM)
            .await
            .unwrap()
            .cached_info()
            .state
            .messages;
        if stored_messages == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored_messages, 1, "the server stored it");

    let dir = tempfile::tempdir().unwrap();
    let writer = open_store(dir.path(), "kp.db");
    let engine = SyncEngine::new(
        writer.clone(),
        config,
        Arc::new(RecordOnly),
        Arc::new(RetractPending),
    )
    .unwrap();
    let handle = engine.clone().spawn(NatsTarget::new(nats.url()));
    // Let the poison be delivered (and given up on) before the good message exists, so the
    // good one is never in a batch behind it.
    let mut info = stream.consumer_info("kp-catalog").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while info.num_ack_pending > 0 || info.num_pending > 0 || info.delivered.stream_sequence < 1 {
        assert!(
            Instant::now() < deadline,
            "the poison is still redelivered: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        info = stream.consumer_info("kp-catalog").await.unwrap();
    }
    let good = good_event(&js, &subject).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let applied = writer.call(move |s| s.inbox_entry(good)).unwrap().is_some();
        if applied && engine.is_online() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the device goes on applying what follows"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The good message's ack reaches the server just after it is applied: wait for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = stream.consumer_info("kp-catalog").await.unwrap();
        if (info.num_pending, info.num_ack_pending) == (0, 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing left to redeliver: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle.shutdown().await;
}
