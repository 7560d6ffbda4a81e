//! Central under adverse conditions, against real nats-servers: a NATS outage (health reports it,
//! work resumes after), messages that exhaust MaxDeliver, replicas on a 3-node R3 cluster that
//! loses a node, and authenticated connections whose secrets never reach the logs.
//! NATS runs open where a case is about central alone (outage, MaxDeliver, cluster); the
//! authenticated case checks central's own credentials.
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures::StreamExt;
use mallbots_central::platform::dlq;
use mallbots_tests::nats::{NatsCluster, NatsServer};
use mallbots_tests::procs::{Proc, CENTRAL};
use serde_json::Value;

const START: Duration = Duration::from_secs(30);

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", rand::random::<u32>())
}

fn central(url: &str, root: &str, prefix: &str, extra: &[&str], envs: &[(&str, &str)]) -> Proc {
    let mut b = Proc::builder(CENTRAL)
        .args(["--nats", url, "--http", "127.0.0.1:0"])
        .args(["--subject-root", root, "--stream-prefix", prefix])
        .args(["--duplicate-window-ms", "1000"])
        .args(extra.iter().copied());
    for (k, v) in envs {
        b = b.env(*k, *v);
    }
    b.spawn().expect("spawn mallbots-central")
}

async fn health(addr: SocketAddr) -> Option<Value> {
    let r = reqwest::get(format!("http://{addr}/health")).await.ok()?;
    r.json().await.ok()
}

async fn wait_health(addr: SocketAddr, nats: &str) {
    let deadline = Instant::now() + START;
    loop {
        if let Some(h) = health(addr).await {
            if h["nats"] == nats {
                return;
            }
        }
        assert!(Instant::now() < deadline, "health never showed nats={nats}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publishes a ping (retrying while the cluster settles) and waits for its pong.
async fn ping(client: &async_nats::Client, root: &str, id: &str) -> Value {
    let js = jetstream::new(client.clone());
    let mut pongs = client
        .subscribe(format!("{root}.diag.pong.{id}"))
        .await
        .unwrap();
    let subject = format!("{root}.cmd.diag.ping");
    let body = format!(r#"{{"id":"{id}"}}"#);
    let deadline = Instant::now() + START;
    loop {
        let attempt = async {
            js.publish(subject.clone(), body.clone().into())
                .await?
                .await
        };
        match attempt.await {
            Ok(_) => break,
            Err(e) => {
                assert!(Instant::now() < deadline, "ping publish failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let pong = tokio::time::timeout(START, pongs.next())
        .await
        .expect("pong in time")
        .expect("pong");
    serde_json::from_slice(&pong.payload).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_shows_an_outage_and_work_resumes_after_it() {
    let mut server = NatsServer::start().expect("nats");
    let (root, prefix) = (unique("r"), unique("p"));
    let mut c = central(&server.url(), &root, &prefix, &[], &[]);
    let addr = c.http_addr(START).unwrap();
    c.wait_for_log("worker attached", START).unwrap();
    wait_health(addr, "connected").await;

    server.stop();
    wait_health(addr, "disconnected").await;
    assert_eq!(health(addr).await.unwrap()["status"], "degraded");
    server.restart().expect("restart");
    wait_health(addr, "connected").await;

    let client = async_nats::connect(server.url()).await.unwrap();
    let pong = ping(&client, &root, "after-outage").await;
    assert_eq!(pong["id"], "after-outage");
    assert!(c.is_running());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_exhausting_max_deliver_are_dead_lettered() {
    let server = NatsServer::shared();
    let (root, prefix) = (unique("r"), unique("p"));
    let envs = [
        ("MALLBOTS__TOPOLOGY__MAX_DELIVER", "3"),
        ("MALLBOTS__TOPOLOGY__BACKOFF_MS", ""),
    ];
    let mut c = central(&server.url(), &root, &prefix, &[], &envs);
    c.wait_for_log("worker attached", START).unwrap();
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    js.publish(
        format!("{root}.cmd.diag.ping"),
        r#"{"id":"never","nak_until_delivery":100}"#.into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let dlq_name = format!("{prefix}DLQ");
    let deadline = Instant::now() + START;
    let entry = loop {
        if let Ok(s) = js.get_stream(&dlq_name).await {
            if let Ok(m) = s.get_raw_message(1).await {
                break m;
            }
        }
        assert!(Instant::now() < deadline, "no dead letter");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let h = |name: &str| entry.headers.get(name).unwrap().as_str().to_string();
    assert_eq!(h(dlq::H_DELIVERIES), "3");
    assert!(
        h(dlq::H_ERROR).contains("max deliveries (3)"),
        "{}",
        h(dlq::H_ERROR)
    );
    assert_eq!(h(dlq::H_SEQUENCE), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_work_on_a_three_node_cluster_losing_a_node() {
    let mut cluster = NatsCluster::start(3).expect("cluster");
    let (root, prefix) = (unique("r"), unique("p"));
    let url = cluster.url();
    let mut a = central(&url, &root, &prefix, &["--replicas", "3"], &[]);
    let mut b = central(&url, &root, &prefix, &["--replicas", "3"], &[]);
    for p in [&mut a, &mut b] {
        p.wait_for_log("mallbots-central ready", START).unwrap();
    }
    let client = async_nats::connect(cluster.urls()).await.unwrap();
    let js = jetstream::new(client.clone());
    for kind in ["EVENTS", "COMMANDS", "DISPATCH", "DLQ"] {
        let mut s = js.get_stream(format!("{prefix}{kind}")).await.unwrap();
        assert_eq!(s.info().await.unwrap().config.num_replicas, 3, "{kind}");
    }
    assert_eq!(ping(&client, &root, "before").await["id"], "before");
    cluster.kill_node(0);
    assert_eq!(ping(&client, &root, "degraded").await["id"], "degraded");
    assert!(a.is_running() && b.is_running());
}

/// On a server with the authorization `mallbots-central auth init` generates, central without
/// credentials is refused; with its credentials file, or with user and password in its URL, it
/// runs and never logs the password (settings and URLs are logged redacted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticated_connection_never_logs_its_password() {
    let server = NatsServer::start_with_auth("").expect("nats with auth");
    let (root, prefix) = (unique("r"), unique("p"));

    let mut refused = central(&server.url(), &root, &prefix, &[], &[]);
    let status = refused.wait_exit(START).expect("exits without credentials");
    assert!(!status.success());
    assert!(
        refused.logs().contains("central.connect"),
        "{}",
        refused.logs()
    );

    let password = server.auth().central_credentials().unwrap().password;
    let creds = server.central_creds().to_string_lossy().into_owned();
    let debug = [("RUST_LOG", "debug")];
    let mut c = central(&server.url(), &root, &prefix, &["--creds", &creds], &debug);
    c.wait_for_log("mallbots-central ready", START).unwrap();
    let logs = c.logs();
    assert!(logs.contains("[redacted]"), "settings are logged, redacted");
    assert!(!logs.contains(&password), "password leaked:\n{logs}");
    drop(c);

    let url = format!("nats://central:{password}@127.0.0.1:{}", server.port());
    let mut u = central(&url, &root, &prefix, &[], &debug);
    u.wait_for_log("mallbots-central ready", START).unwrap();
    let logs = u.logs();
    assert!(
        logs.contains("nats://***@127.0.0.1"),
        "the URL is logged, redacted"
    );
    assert!(!logs.contains(&password), "password leaked:\n{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_of_a_killed_replica_is_redelivered_to_another() {
    let server = NatsServer::shared();
    let (root, prefix) = (unique("r"), unique("p"));
    let ack_wait = [
        ("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "1000"),
        ("MALLBOTS__TOPOLOGY__BACKOFF_MS", ""),
    ];
    let env_a = [
        ack_wait[0],
        ack_wait[1],
        ("MALLBOTS__NATS__CONNECTION_NAME", "replica-a"),
    ];
    let mut a = central(&server.url(), &root, &prefix, &[], &env_a);
    a.wait_for_log("worker attached", START).unwrap();
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client.clone());
    let mut pongs = client
        .subscribe(format!("{root}.diag.pong.slow"))
        .await
        .unwrap();
    js.publish(
        format!("{root}.cmd.diag.ping"),
        r#"{"id":"slow","work_ms":4000}"#.into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    // Wait until replica A holds the message, then start B and crash A.
    let mut consumer: jetstream::consumer::PullConsumer = js
        .get_consumer_from_stream("cmd-diag", format!("{prefix}COMMANDS"))
        .await
        .unwrap();
    let deadline = Instant::now() + START;
    while consumer.info().await.unwrap().num_ack_pending != 1 {
        assert!(Instant::now() < deadline, "A never took the message");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let env_b = [
        ack_wait[0],
        ack_wait[1],
        ("MALLBOTS__NATS__CONNECTION_NAME", "replica-b"),
    ];
    let mut b = central(&server.url(), &root, &prefix, &[], &env_b);
    b.wait_for_log("worker attached", START).unwrap();
    a.kill_9();
    assert!(!a.is_running());

    let pong = tokio::time::timeout(START, pongs.next())
        .await
        .expect("pong")
        .unwrap();
    let pong: Value = serde_json::from_slice(&pong.payload).unwrap();
    assert_eq!(pong["replica"], "replica-b");
    assert_eq!(pong["delivered"], 2);
}
