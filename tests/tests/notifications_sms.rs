//! Notifications against a real nats-server and real `mallbots-central` replicas: order created,
//! ready and canceled each text the customer exactly once (two replicas, a repeated trigger, a
//! customer whose registration arrives after the order), written to the JSON-lines log sink; and
//! an HTTP SMS gateway (a raw TCP server here) that answers 500 first receives every message
//! again until it accepts it, with the dedupe key as `Idempotency-Key`.
//! NATS runs open: the test triggers notifications with central's own events (it stands in
//! for the saga), which under the generated authorization only central may publish.
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`) first.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use mallbots_domain::customers::CustomerEvent;
use mallbots_domain::ids::{CustomerId, OrderId};
use mallbots_domain::notifications::order_code;
use mallbots_domain::ordering::{CancelledBy, OrderEvent};
use mallbots_domain::{Money, Timestamp};
use mallbots_tests::nats::NatsServer;
use mallbots_tests::procs::{Proc, CENTRAL};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

const START: Duration = Duration::from_secs(20);

struct Env {
    url: String,
    root: String,
    prefix: String,
    js: jetstream::Context,
}

impl Env {
    async fn new() -> Self {
        let url = NatsServer::shared().url();
        let js = jetstream::new(async_nats::connect(&url).await.expect("connect"));
        Self {
            url,
            root: format!("r{}", rand::random::<u32>()),
            prefix: format!("p{}", rand::random::<u32>()),
            js,
        }
    }

    fn central(&self, envs: &[(&str, &str)]) -> Proc {
        let mut b = Proc::builder(CENTRAL).args([
            "--nats",
            &self.url,
            "--http",
            "127.0.0.1:0",
            "--subject-root",
            &self.root,
            "--stream-prefix",
            &self.prefix,
            "--duplicate-window-ms",
            "1000",
            "--roles",
            "notifications",
        ]);
        for (k, v) in envs {
            b = b.env(*k, *v);
        }
        let mut p = b.spawn().expect("spawn mallbots-central");
        p.wait_for_log("worker attached consumer=notifications", START)
            .expect("notifications worker");
        p
    }

    async fn event<E: serde::Serialize>(&self, tail: &str, event: &E) {
        let mut h = async_nats::HeaderMap::new();
        h.insert("Nats-Msg-Id", Uuid::now_v7().to_string().as_str());
        self.js
            .publish_with_headers(
                format!("{}.ev.{tail}", self.root),
                h,
                serde_json::to_vec(event).unwrap().into(),
            )
            .await
            .expect("publish")
            .await
            .expect("ack");
    }

    async fn customer(&self, number: &str) -> CustomerId {
        let customer_id = CustomerId::from_uuid(Uuid::now_v7());
        self.register(customer_id, number).await;
        customer_id
    }

    async fn register(&self, customer_id: CustomerId, number: &str) {
        let e = CustomerEvent::CustomerRegistered {
            customer_id,
            name: "Ada".into(),
            sms_number: number.into(),
            at: Timestamp::from_millis(1),
        };
        self.event(&format!("kiosk.dev1.customer.{customer_id}"), &e)
            .await;
    }

    async fn order(&self, customer_id: CustomerId, cents: i64) -> OrderId {
        let order_id = OrderId::from_uuid(Uuid::now_v7());
        let e = OrderEvent::OrderCreated {
            order_id,
            customer_id,
            device_id: Some("dev1".into()),
            items: Vec::new(),
            total: Money::usd(cents),
            payment_token: "tok".into(),
            pickup_code: Some("042517".into()),
            at: Timestamp::from_millis(2),
        };
        self.event(&format!("kiosk.dev1.order.{order_id}"), &e)
            .await;
        order_id
    }

    async fn central_event(&self, order_id: OrderId, e: &OrderEvent) {
        self.event(&format!("order.dev1.{order_id}"), e).await;
    }
}

fn ready(order_id: OrderId, cents: i64) -> OrderEvent {
    OrderEvent::OrderReadied {
        order_id,
        total: Money::usd(cents),
        at: Timestamp::from_millis(3),
    }
}

fn canceled(order_id: OrderId) -> OrderEvent {
    OrderEvent::OrderCanceled {
        order_id,
        reason: "customer".into(),
        by: CancelledBy::Customer,
        at: Timestamp::from_millis(3),
    }
}

fn log_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

async fn eventually<T, F>(timeout: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Option<T>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_ready_and_canceled_are_texted_once_each_to_the_log() {
    let env = Env::new().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sms.log");
    let log_env = [("MALLBOTS__SMS__LOG", log.to_str().unwrap())];
    let _a = env.central(&log_env);
    let _b = env.central(&log_env);

    let ada = env.customer("+15550100").await;
    let first = env.order(ada, 1234).await;
    env.central_event(first, &ready(first, 1234)).await;
    // The same trigger again (a second ready event) does not text twice.
    env.central_event(first, &ready(first, 1234)).await;
    // A customer whose registration arrives after the order is texted once it is known.
    let late = CustomerId::from_uuid(Uuid::now_v7());
    let second = env.order(late, 500).await;
    env.central_event(second, &canceled(second)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    env.register(late, "+15550199").await;

    let lines = eventually(START, "4 texts", || {
        let l = log_lines(&log);
        (l.len() >= 4).then_some(l)
    })
    .await;
    // Nothing more arrives (redeliveries and the repeated trigger are deduplicated).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let lines_after = log_lines(&log);
    assert_eq!(lines_after.len(), 4, "{lines_after:#?}");
    let mut by_key: BTreeMap<String, Value> = BTreeMap::new();
    for l in lines {
        by_key.insert(l["dedupe_key"].as_str().unwrap().to_string(), l);
    }
    let created = &by_key[&format!("order_created:{first}")];
    assert_eq!(created["to"], "+15550100");
    assert_eq!(created["kind"], "order_created");
    assert_eq!(created["order"], first.to_string());
    let body = created["body"].as_str().unwrap();
    assert!(
        body.contains(&order_code(first)) && body.contains("$12.34"),
        "{body}"
    );
    let ready_text = &by_key[&format!("order_ready:{first}")];
    let ready_body = ready_text["body"].as_str().unwrap();
    assert!(
        ready_body.contains("ready for pickup")
            && ready_body.contains("Show pickup code 042 517 at the desk"),
        "the ready text carries the order's pickup code: {ready_body}"
    );
    let canceled_text = &by_key[&format!("order_canceled:{second}")];
    assert_eq!(canceled_text["to"], "+15550199");
    assert!(canceled_text["body"]
        .as_str()
        .unwrap()
        .contains("you asked us to"));
    assert!(by_key.contains_key(&format!("order_created:{second}")));
}

/// A request the fake gateway received: idempotency key, JSON body, status answered.
type Received = Arc<Mutex<Vec<(String, Value, u16)>>>;

/// A minimal HTTP/1.1 server: the first request for each idempotency key gets 500, later 200.
async fn fake_gateway() -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let log = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body_start) = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break (String::from_utf8_lossy(&buf[..pos]).to_string(), pos + 4);
                    }
                };
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.trim()
                                .eq_ignore_ascii_case(name)
                                .then(|| v.trim().to_string())
                        })
                        .unwrap_or_default()
                };
                let len: usize = header("content-length").parse().unwrap_or(0);
                while buf.len() < body_start + len {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body: Value = serde_json::from_slice(&buf[body_start..body_start + len])
                    .unwrap_or(Value::Null);
                let key = header("idempotency-key");
                let status = {
                    let mut log = log.lock().unwrap();
                    let seen = log.iter().any(|(k, _, _)| *k == key);
                    let status = if seen { 200 } else { 500 };
                    log.push((key, body, status));
                    status
                };
                let reason = if status == 200 {
                    "OK"
                } else {
                    "Internal Server Error"
                };
                let answer = format!(
                    "HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_gateway_gets_each_text_again_after_a_500_until_it_accepts_it() {
    let env = Env::new().await;
    let (url, received) = fake_gateway().await;
    let _c = env.central(&[
        ("MALLBOTS__SMS__GATEWAY_URL", url.as_str()),
        ("MALLBOTS__SMS__RETRY_MS", "50"),
    ]);
    let bob = env.customer("+15550142").await;
    let order = env.order(bob, 990).await;
    env.central_event(order, &ready(order, 990)).await;

    let keys = [
        format!("order_created:{order}"),
        format!("order_ready:{order}"),
    ];
    eventually(START, "both texts accepted", || {
        let r = received.lock().unwrap();
        keys.iter()
            .all(|k| r.iter().any(|(key, _, s)| key == k && *s == 200))
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let r = received.lock().unwrap().clone();
    for key in &keys {
        let attempts: Vec<u16> = r
            .iter()
            .filter(|(k, _, _)| k == key)
            .map(|(_, _, s)| *s)
            .collect();
        assert_eq!(attempts, vec![500, 200], "{key}: {r:#?}");
    }
    let (_, body, _) = r
        .iter()
        .find(|(k, _, s)| *k == keys[1] && *s == 200)
        .unwrap();
    assert_eq!(body["to"], "+15550142");
    assert_eq!(body["kind"], "order_ready");
    assert_eq!(body["order"], order.to_string());
    assert!(body["body"].as_str().unwrap().contains("$9.90"));
}
