//! Central's publisher against a real nats-server: a msg-id already stored is a success (as a
//! duplicate, the same sequence), the in-process check reads a subject's last message and its
//! msg-id from the stream leader, and on an R3 cluster many concurrent publishes of one msg-id
//! (which the cluster answers "duplicate message id is in process", error 10158) all settle on
//! the one stored message. Every event carries `Mallbots-Prev-Subject-Seq`, the expected last
//! subject sequence it was appended with.
//! NATS runs open: this tests central's publisher alone (it would hold central's full rights
//! anyway); no device is involved.

use mallbots_wire::service_subjects::CommandContext;
use std::sync::Arc;

use async_nats::jetstream;
use async_nats::HeaderMap;
use mallbots_central::ensure_topology;
use mallbots_central::platform::config::TopologySettings;
use mallbots_central::platform::envelope::{self, EventMeta};
use mallbots_central::platform::inflight;
use mallbots_central::platform::metrics::{self, Metrics};
use mallbots_central::platform::publish::Publisher;
use mallbots_central::platform::topology::{StreamKind, Topology};
use mallbots_domain::bots::BotEvent;
use mallbots_domain::ids::BotId;
use mallbots_domain::Timestamp;
use mallbots_tests::nats::{NatsCluster, NatsServer};

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", rand::random::<u32>())
}

/// A publisher over a fresh topology (own subject root and stream prefix) on `url`.
async fn publisher(
    urls: Vec<String>,
    replicas: usize,
) -> (jetstream::Context, Topology, Publisher, Arc<Metrics>) {
    let settings = TopologySettings {
        subject_root: unique("r"),
        stream_prefix: unique("p"),
        replicas,
        ..Default::default()
    };
    let topology = Topology::from_settings(&settings);
    let js = jetstream::new(async_nats::connect(urls).await.expect("connect"));
    ensure_topology(&js, &topology, &settings)
        .await
        .expect("topology");
    let metrics = Arc::new(Metrics::new());
    let publisher = Publisher::new(js.clone(), topology.clone(), metrics.clone());
    (js, topology, publisher, metrics)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_msg_id_already_stored_is_a_success_and_the_check_finds_it() {
    let server = NatsServer::shared();
    let (js, topology, publisher, _) = publisher(vec![server.url()], 1).await;
    let subject = topology.subject("ev.test.thing.1");
    assert_eq!(
        inflight::last_on_subject(&js, &subject)
            .await
            .expect("read"),
        None
    );
    let first = publisher
        .publish_event(&subject, "e1", 0, HeaderMap::new(), "{}".into())
        .await
        .expect("first");
    assert!(!first.duplicate);
    // The same event again, its expectation now stale: already stored, so a success.
    let again = publisher
        .publish_event(&subject, "e1", 0, HeaderMap::new(), "{}".into())
        .await
        .expect("a stored msg-id is a success");
    assert!(again.duplicate);
    assert_eq!(again.sequence, first.sequence);
    // Another event with the stale expectation is a conflict.
    let err = publisher
        .publish_event(&subject, "e2", 0, HeaderMap::new(), "{}".into())
        .await
        .expect_err("stale expectation");
    assert!(err.to_string().contains("wrong last sequence"), "{err}");
    assert_eq!(
        inflight::last_on_subject(&js, &subject)
            .await
            .expect("read"),
        Some((first.sequence, Some("e1".to_string())))
    );
    // Commands too: a repeated msg-id is answered with the stored message.
    let cmd = topology.command_subject(CommandContext::Ordering, "ready_order");
    let c1 = publisher
        .publish(&cmd, "c1", HeaderMap::new(), "{}".into())
        .await
        .expect("command");
    let c2 = publisher
        .publish(&cmd, "c1", HeaderMap::new(), "{}".into())
        .await
        .expect("repeat");
    assert!(c2.duplicate && c2.sequence == c1.sequence);
    let stream = js
        .get_stream(topology.stream_name(StreamKind::Events))
        .await
        .expect("events stream");
    assert_eq!(
        stream
            .get_last_raw_message_by_subject(&subject)
            .await
            .unwrap()
            .sequence,
        first.sequence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishes_of_one_msg_id_on_r3_all_settle_on_one_message() {
    let cluster = NatsCluster::start(3).expect("3-node cluster");
    let (js, topology, publisher, metrics) = publisher(cluster.urls(), 3).await;
    for round in 0..5 {
        let subject = topology.subject(&format!("ev.test.thing.{round}"));
        let tasks: Vec<_> = (0..24)
            .map(|_| {
                let p = publisher.clone();
                let subject = subject.clone();
                tokio::spawn(async move {
                    p.publish_event(
                        &subject,
                        &format!("ev-{round}"),
                        0,
                        HeaderMap::new(),
                        "{}".into(),
                    )
                    .await
                })
            })
            .collect();
        let mut sequences = Vec::new();
        for t in tasks {
            let published = t
                .await
                .expect("task")
                .expect("every racing publish settles");
            sequences.push(published.sequence);
        }
        sequences.dedup();
        assert_eq!(sequences.len(), 1, "round {round}: {sequences:?}");
        let last = inflight::last_on_subject(&js, &subject)
            .await
            .expect("read");
        assert_eq!(last, Some((sequences[0], Some(format!("ev-{round}")))));
    }
    let in_process = metrics.counter_total(metrics::PUBLISH_IN_PROCESS);
    eprintln!("in-process answers checked: {in_process}");
    assert!(in_process > 0, "the race never met an in-process msg-id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_carries_the_previous_subject_sequence() {
    let server = NatsServer::shared();
    let (js, topology, publisher, _) = publisher(vec![server.url()], 1).await;
    let bot_id = BotId::from_uuid(uuid::Uuid::now_v7());
    let subject = topology.subject(&format!("ev.depot.bot.{bot_id}"));
    let mut expected = 0;
    let mut appended = Vec::new();
    for i in 0..3 {
        let event = BotEvent::BotCameOnline {
            bot_id,
            name: format!("b{i}"),
            at: Timestamp::from_millis(i),
        };
        let meta = EventMeta {
            event_id: format!("{bot_id}/{i}"),
            stream_type: "bot",
            stream_id: bot_id.to_string(),
            occurred_at: i,
            correlation_id: String::new(),
            causation_id: String::new(),
        };
        let published = envelope::append(&publisher, &subject, expected, &event, &meta)
            .await
            .expect("append");
        appended.push((published.sequence, expected));
        expected = published.sequence;
        // Another subject in between: the header is per subject, not the stream's last.
        let other = topology.subject(&format!("ev.depot.bot.other{i}"));
        publisher
            .publish_event(&other, &format!("o{i}"), 0, HeaderMap::new(), "{}".into())
            .await
            .expect("another subject");
    }
    let stream = js
        .get_stream(topology.stream_name(StreamKind::Events))
        .await
        .expect("events stream");
    for (seq, prev) in appended {
        let m = stream.get_raw_message(seq).await.expect("stored event");
        let header = m
            .headers
            .get(envelope::H_PREV_SUBJECT_SEQ)
            .map(|v| v.as_str().to_string());
        assert_eq!(header, Some(prev.to_string()), "event at {seq}");
        assert_eq!(
            m.headers.get(envelope::H_EVENT_TYPE).map(|v| v.as_str()),
            Some("BotCameOnline")
        );
    }
}
