//! The central service's infrastructure against a real nats-server: concurrent start-up of two
//! replicas, `/health` and `/metrics`, dead-lettering of malformed messages (and the service
//! carrying on), DLQ replay over HTTP and the CLI, in-progress acks for slow handlers, and saga
//! timers through server message scheduling.
//! NATS runs open: central's infrastructure alone (central holds every right under the
//! generated authorization, so nothing here depends on it); device rights are tested under
//! the generated authorization in `sync_permissions`, `desk_pickup` and the reliability tests.
//!
//! Tests share one nats-server per binary ([`NatsServer::shared`]) under their own subject roots.
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_nats::jetstream;
use futures::StreamExt;
use mallbots_central::ensure_topology;
use mallbots_central::platform::config::TopologySettings;
use mallbots_central::platform::dlq;
use mallbots_central::platform::metrics::Metrics;
use mallbots_central::platform::publish::Publisher;
use mallbots_central::platform::topology::{StreamKind, Topology};
use mallbots_tests::nats::NatsServer;
use mallbots_tests::procs::{Proc, CENTRAL};
use serde_json::Value;

const START: Duration = Duration::from_secs(20);

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", rand::random::<u32>())
}

/// A central replica with its own subject root and stream prefix on `url`.
fn central(url: &str, root: &str, prefix: &str, envs: &[(&str, &str)]) -> Proc {
    let mut b = Proc::builder(CENTRAL).args([
        "--nats",
        url,
        "--http",
        "127.0.0.1:0",
        "--subject-root",
        root,
        "--stream-prefix",
        prefix,
        "--duplicate-window-ms",
        "1000",
    ]);
    for (k, v) in envs {
        b = b.env(*k, *v);
    }
    b.spawn().expect("spawn mallbots-central")
}

async fn get_json(addr: SocketAddr, path: &str) -> (u16, Value) {
    let r = reqwest::get(format!("http://{addr}{path}"))
        .await
        .expect("GET");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json body"))
}

/// Polls `probe` until it returns Some or `timeout` passes.
async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stream_messages(js: &jetstream::Context, name: &str) -> u64 {
    match js.get_stream(name).await {
        Ok(s) => s.get_info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_start_concurrently_and_answer_health_and_metrics() {
    let server = NatsServer::shared();
    let (root, prefix) = (unique("r"), unique("p"));
    let mut a = central(&server.url(), &root, &prefix, &[]);
    let mut b = central(&server.url(), &root, &prefix, &[]);
    for p in [&mut a, &mut b] {
        p.wait_for_log("mallbots-central ready", START)
            .expect("ready");
        let logs = p.logs();
        assert!(
            !logs.contains("topology not ready"),
            "topology error:\n{logs}"
        );
        let addr = p.http_addr(START).expect("http addr");
        let (status, health) = get_json(addr, "/health").await;
        assert_eq!(status, 200);
        assert_eq!(health["status"], "ok");
        assert_eq!(health["nats"], "connected");
        assert_eq!(health["roles"].as_array().map(Vec::len), Some(5));
        let text = reqwest::get(format!("http://{addr}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("mallbots_dispatch_queue_depth 0"), "{text}");
    }
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    for kind in ["EVENTS", "COMMANDS", "DISPATCH", "DLQ"] {
        js.get_stream(format!("{prefix}{kind}"))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    let mut s = js.get_stream(format!("{prefix}COMMANDS")).await.unwrap();
    let info = s.info().await.unwrap();
    assert_eq!(info.config.duplicate_window, Duration::from_secs(1));
    assert!(info.config.allow_message_schedules);
    for bucket in ["sagas", "lists", "bots", "catalog", "devices"] {
        js.get_key_value(format!("{prefix}{bucket}"))
            .await
            .unwrap_or_else(|e| panic!("{bucket}: {e}"));
    }
    // Graceful shutdown on SIGTERM.
    let status = a.terminate(Duration::from_secs(15)).expect("exit");
    assert!(status.success(), "exit status {status}");
    assert!(a.logs().contains("stopped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_dead_lettered_and_service_keeps_running() {
    let server = NatsServer::shared();
    let (root, prefix) = (unique("r"), unique("p"));
    let mut c = central(&server.url(), &root, &prefix, &[]);
    let addr = c.http_addr(START).expect("http addr");
    c.wait_for_log("worker attached", START).expect("worker");
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client.clone());
    let subject = format!("{root}.cmd.diag.ping");
    let mut acks = Vec::new();
    for i in 0..1000 {
        let body = format!("{{not json {i}");
        acks.push(js.publish(subject.clone(), body.into()).await.unwrap());
    }
    for ack in acks {
        ack.await.expect("ack");
    }
    let mut pongs = client
        .subscribe(format!("{root}.diag.pong.after"))
        .await
        .unwrap();
    js.publish(subject.clone(), r#"{"id":"after"}"#.into())
        .await
        .unwrap()
        .await
        .unwrap();
    let pong = tokio::time::timeout(START, pongs.next())
        .await
        .expect("pong in time")
        .expect("pong");
    let pong: Value = serde_json::from_slice(&pong.payload).unwrap();
    assert_eq!(pong["id"], "after");
    assert_eq!(pong["stream_sequence"], 1001);

    let dlq_stream = format!("{prefix}DLQ");
    eventually(START, "1000 dead letters", || async {
        (stream_messages(&js, &dlq_stream).await == 1000).then_some(())
    })
    .await;
    let s = js.get_stream(&dlq_stream).await.unwrap();
    let m = s.get_raw_message(1).await.unwrap();
    assert_eq!(m.subject.as_str(), format!("{root}.dlq.cmd-diag"));
    assert_eq!(m.headers.get(dlq::H_SUBJECT).unwrap().as_str(), subject);
    assert_eq!(m.headers.get(dlq::H_CONSUMER).unwrap().as_str(), "cmd-diag");
    let seq: u64 = m
        .headers
        .get(dlq::H_SEQUENCE)
        .unwrap()
        .as_str()
        .parse()
        .unwrap();
    assert!((1..=1000).contains(&seq));
    assert!(m
        .headers
        .get(dlq::H_ERROR)
        .unwrap()
        .as_str()
        .starts_with("decode:"));
    assert!(m.payload.starts_with(b"{not json"));

    let (status, list) = get_json(addr, "/dlq?limit=5").await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 5);
    assert_eq!(list[0]["consumer"], "cmd-diag");
    let (_, health) = get_json(addr, "/health").await;
    assert_eq!(health["status"], "ok");
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("mallbots_dead_letters_total{consumer=\"cmd-diag\"} 1000"),
        "{text}"
    );
    assert!(text.contains("outcome=\"decode_error\"} 1000"), "{text}");
    assert!(c.is_running());
    // The pinged message's stream (COMMANDS) keeps nothing unacked for cmd-diag.
    let mut consumer: jetstream::consumer::PullConsumer = js
        .get_consumer_from_stream("cmd-diag", format!("{prefix}COMMANDS"))
        .await
        .unwrap();
    let info = consumer.info().await.unwrap();
    assert_eq!(info.num_pending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_replay_over_http_and_cli() {
    let server = NatsServer::shared();
    let (root, prefix) = (unique("r"), unique("p"));
    let mut c = central(&server.url(), &root, &prefix, &[]);
    let addr = c.http_addr(START).expect("http addr");
    c.wait_for_log("worker attached", START).expect("worker");
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    let subject = format!("{root}.cmd.diag.ping");
    for id in ["a", "b"] {
        let body = format!(r#"{{"id":"{id}","fail":"boom {id}"}}"#);
        js.publish(subject.clone(), body.into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let dlq_stream = format!("{prefix}DLQ");
    eventually(START, "2 dead letters", || async {
        (stream_messages(&js, &dlq_stream).await == 2).then_some(())
    })
    .await;
    let (_, list) = get_json(addr, "/dlq").await;
    let first = list[0]["seq"].as_u64().unwrap();
    assert_eq!(list[0]["error"], "boom a");

    let client = reqwest::Client::new();
    let r = client
        .post(format!("http://{addr}/dlq/replay/{first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The replay fails again (same payload) and comes back carrying its origin.
    let replayed = eventually(START, "replayed entry", || async {
        let (_, list) = get_json(addr, "/dlq").await;
        let list = list.as_array().cloned().unwrap_or_default();
        (list.len() == 2 && list.iter().all(|e| e["seq"] != first)).then_some(list)
    })
    .await;
    let newest = replayed.last().unwrap()["seq"].as_u64().unwrap();
    let m = js
        .get_stream(&dlq_stream)
        .await
        .unwrap()
        .get_raw_message(newest)
        .await
        .unwrap();
    assert_eq!(
        m.headers.get(dlq::H_REPLAY_OF).unwrap().as_str(),
        first.to_string()
    );

    let missing = client
        .post(format!("http://{addr}/dlq/replay/99999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "dlq.not_found");

    // The CLI sees the same entries.
    let common = [
        "--nats",
        &server.url(),
        "--subject-root",
        &root,
        "--stream-prefix",
        &prefix,
    ];
    let mut list_cli = Proc::builder(CENTRAL)
        .args(common)
        .args(["dlq", "list"])
        .spawn()
        .unwrap();
    let status = list_cli.wait_exit(START).unwrap();
    assert!(status.success(), "{}", list_cli.logs());
    let out = list_cli.logs();
    let json_start = out.find('[').expect("json list");
    // The log shares the file (stderr): take the first JSON value, whatever is logged after it.
    let listed: Value = serde_json::Deserializer::from_str(&out[json_start..])
        .into_iter::<Value>()
        .next()
        .expect("a json list")
        .expect("json");
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let second = listed[0]["seq"].as_u64().unwrap();
    let mut replay_cli = Proc::builder(CENTRAL)
        .args(common)
        .args(["dlq", "replay", &second.to_string()])
        .spawn()
        .unwrap();
    assert!(
        replay_cli.wait_exit(START).unwrap().success(),
        "{}",
        replay_cli.logs()
    );
    eventually(START, "cli replay dead-lettered again", || async {
        let (_, list) = get_json(addr, "/dlq").await;
        let list = list.as_array().cloned().unwrap_or_default();
        (list.len() == 2 && list.iter().all(|e| e["seq"].as_u64() != Some(second))).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_handlers_send_in_progress_instead_of_being_redelivered() {
    let server = NatsServer::shared();
    let (root, prefix) = (unique("r"), unique("p"));
    let envs = [
        ("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "600"),
        ("MALLBOTS__TOPOLOGY__BACKOFF_MS", ""),
    ];
    let mut c = central(&server.url(), &root, &prefix, &envs);
    c.wait_for_log("worker attached", START).expect("worker");
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client.clone());
    let mut pongs = client
        .subscribe(format!("{root}.diag.pong.>"))
        .await
        .unwrap();
    js.publish(
        format!("{root}.cmd.diag.ping"),
        r#"{"id":"slow","work_ms":2000}"#.into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let pong = tokio::time::timeout(START, pongs.next())
        .await
        .unwrap()
        .unwrap();
    let pong: Value = serde_json::from_slice(&pong.payload).unwrap();
    assert_eq!(pong["delivered"], 1, "redelivered despite +WPI");
    // No second pong: the message was never redelivered.
    let again = tokio::time::timeout(Duration::from_millis(1500), pongs.next()).await;
    assert!(again.is_err(), "unexpected second pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saga_timers_fire_through_server_message_scheduling() {
    let server = NatsServer::shared();
    let settings = TopologySettings {
        subject_root: unique("r"),
        stream_prefix: unique("p"),
        duplicate_window_ms: 1000,
        ..Default::default()
    };
    let topology = Topology::from_settings(&settings);
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    ensure_topology(&js, &topology, &settings)
        .await
        .expect("topology");
    ensure_topology(&js, &topology, &settings)
        .await
        .expect("idempotent");
    let publisher = Publisher::new(js.clone(), topology.clone(), Arc::new(Metrics::new()));
    // Millisecond precision: 1.5 s ahead, so the first schedule cannot fire before it is replaced.
    let at = SystemTime::now() + Duration::from_millis(1500);
    let published_at = Instant::now();
    // A later schedule for the same saga replaces the first one.
    publisher
        .schedule_timer("saga1", at, "t1", r#"{"step":1}"#.into())
        .await
        .expect("schedule");
    publisher
        .schedule_timer("saga1", at, "t2", r#"{"step":2}"#.into())
        .await
        .expect("reschedule");
    let err = publisher
        .publish(
            &topology.subject("ev.order.d.1"),
            "x",
            Default::default(),
            "{}".into(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("event subject"));

    let stream = js
        .get_stream(topology.stream_name(StreamKind::Commands))
        .await
        .unwrap();
    let timer = topology.timer_subject("saga1");
    let fired = eventually(Duration::from_secs(10), "timer firing", || async {
        stream.get_last_raw_message_by_subject(&timer).await.ok()
    })
    .await;
    assert_eq!(&fired.payload[..], br#"{"step":2}"#);
    assert!(
        published_at.elapsed() >= Duration::from_millis(1000),
        "fired early: {:?}",
        published_at.elapsed()
    );
    assert_eq!(
        fired.headers.get("Nats-Scheduler").map(|v| v.as_str()),
        Some(topology.schedule_subject("saga1").as_str())
    );
    // Only one firing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let info = stream.get_info().await.unwrap();
    let timers = info.state.messages;
    assert_eq!(timers, 1, "exactly one fired timer and no pending schedule");

    // Events: expected last subject sequence is enforced.
    let subject = topology.subject("ev.order.dev1.o1");
    let first = publisher
        .publish_event(&subject, "e1", 0, Default::default(), "{}".into())
        .await
        .expect("first event");
    let stale = publisher
        .publish_event(&subject, "e2", 0, Default::default(), "{}".into())
        .await
        .unwrap_err();
    assert!(matches!(
        stale,
        mallbots_central::platform::error::PublishError::WrongLastSequence { expected: 0, .. }
    ));
    assert_eq!(
        publisher.last_subject_sequence(&subject).await.unwrap(),
        first.sequence
    );
    let missing = topology.subject("ev.order.dev1.none");
    assert_eq!(publisher.last_subject_sequence(&missing).await.unwrap(), 0);
    let second = publisher
        .publish_event(
            &subject,
            "e2",
            first.sequence,
            Default::default(),
            "{}".into(),
        )
        .await
        .expect("expected sequence matches");
    assert!(second.sequence > first.sequence);
    let dup = publisher
        .publish_event(&subject, "e1", 0, Default::default(), "{}".into())
        .await;
    // Same msg-id inside the window: de-duplicated, or refused by the expectation.
    if let Ok(p) = dup {
        assert!(p.duplicate);
        assert_eq!(p.sequence, first.sequence);
    }
}
