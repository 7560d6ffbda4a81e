//! Reliability (issue 7): malformed, oversized and wrong-schema messages on every consumed
//! subject, against a real nats-server (`max_payload` 64 KiB), a real `mallbots-central` process
//! (every role, simulated bots) and two real edge devices (a kiosk and a store manager on SQLite
//! files, synced by the real engine).
//!
//! **Budget.** 10,000 bad messages *per consumer*, spread over that consumer's subjects (subjects
//! carry ids, so "10,000 per subject" has no end; a consumer's subjects share one decoder and one
//! worker, so per-consumer volume is what loads it): 131,000 messages, about 75–105 s on this
//! 2-core machine. Subjects read by several consumers count for each (`ev.catalog.>` for
//! central's catalog view and both devices, `ev.kiosk.*.order.*` for the saga and
//! notifications). Scale with `MALFORMED_PER_CONSUMER` (default 10,000).
//!
//! Consumers flooded: central's `saga-orders` (kiosk `order` + `orderreq`), `notifications`
//! (kiosk `order` + `ev.order.>`), `customers-view`, `catalog-view`, `saga-replies` (replies and
//! timers), `cmd-{ordering,customers,payments,depot,notifications,diag}` (known and unknown
//! command names), `dispatch` (the work queue); the kiosk's `k-orders` (`ev.order.<k>.>`) and
//! `k-catalog`; the manager's `m-orders` (its store's orderlines, `ev.depot.>`) and `m-catalog`.
//! Kiosk `basket` subjects are read by nobody: a tenth as many go there; none may be
//! dead-lettered by anyone.
//!
//! Mix: not JSON, truncated JSON, valid JSON of the wrong schema, unknown event type, a newer
//! schema version, payloads near `max_payload`, broken or missing headers, invalid UTF-8 and
//! 5,000-deep nesting; payloads above `max_payload` are refused at publish. Meanwhile the kiosk
//! takes real orders, which must reach `completed` on the kiosk.
//!
//! Checked: central dead-letters exactly the bad messages of each consumer
//! (`<root>.dlq.<consumer>`) and stays healthy; each edge parks exactly its bad messages and
//! applies every good one once (inbox `applied + echoed` = good messages on its filters,
//! duplicates 0); every order's events appear once. Prints a `RELIABILITY {...}` figures line
//! and a `MALFORMED {...}` detail line.
//!
//! Known bugs found here are counted and printed under `known_bugs` instead of failing the
//! suite (each is described where it is counted); `MALFORMED_STRICT=1` turns them into failures.
//! Two smaller tests probe what the flood cannot: header blocks the client library cannot parse
//! and messages of exactly `max_payload` (`MALFORMED_EDGES`), and an accepted event larger than
//! `max_payload` in a device's outbox (`OVERSIZED_EVENT`).
//!
//! Needs the binaries: `cargo build -p mallbots-central -p mallbots-edge` first.

use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage};
use async_nats::HeaderMap;
use futures::StreamExt;
use mallbots_central::dlq;
use mallbots_central::envelope::EventReader;
use mallbots_central::metrics::Metrics;
use mallbots_central::publish::Publisher;
use mallbots_central::Topology;
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, NewProduct, Role};
use mallbots_sync::engine::{InboxReport, NatsTarget};
use mallbots_sync::store::sqlite::read;
use mallbots_sync::store::{StoreOptions, StoreReader, Upcasters};
use mallbots_tests::nats::{NatsOptions, NatsServer};
use mallbots_tests::procs::{Proc, CENTRAL};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use uuid::Uuid;

const MAX_PAYLOAD: usize = 64 * 1024;
const ORDERS: usize = 8;
/// The consumer no central role reads (see the BUG note in the test).
const UNHANDLED: &str = "cmd-notifications";
/// Bound of each wait (the whole test takes about 90 s on an idle 2-core machine).
const FLOW: Duration = Duration::from_secs(240);

fn per_consumer() -> usize {
    std::env::var("MALFORMED_PER_CONSUMER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Who reads a subject family: central consumers and device consumers.
struct Family {
    /// Subject for the i-th message.
    subject: Box<dyn Fn(usize) -> String + Send>,
    /// Messages to send.
    count: usize,
    /// Central consumers that read it (each dead-letters every message).
    central: &'static [&'static str],
    /// Devices that read it (each parks every message): "kiosk", "manager".
    devices: &'static [&'static str],
    /// The `Mallbots-Stream-Type` a well-formed envelope here would carry.
    stream_type: &'static str,
    /// A known event type here.
    event_type: &'static str,
}

/// The nine classes of bad message.
#[derive(Debug, Clone, Copy)]
enum Bad {
    NotJson,
    Truncated,
    WrongSchema,
    UnknownType,
    NewerSchema,
    Oversized,
    BrokenHeaders,
    InvalidUtf8,
    DeepNesting,
}

impl Bad {
    fn of(i: usize) -> Bad {
        if i % 1000 == 999 {
            return Bad::Oversized;
        }
        [
            Bad::NotJson,
            Bad::Truncated,
            Bad::WrongSchema,
            Bad::UnknownType,
            Bad::NewerSchema,
            Bad::BrokenHeaders,
            Bad::InvalidUtf8,
            Bad::DeepNesting,
        ][i % 8]
    }
}

/// A full, well-formed envelope (as central or a device writes it), with `event_type`.
fn envelope(f: &Family, event_type: &str, version: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("Mallbots-Event-Type", event_type);
    h.insert("Mallbots-Schema-Version", version);
    h.insert("Mallbots-Stream-Type", f.stream_type);
    h.insert("Mallbots-Stream-Id", Uuid::now_v7().to_string().as_str());
    h.insert("Mallbots-Occurred-At", "1700000000000");
    h.insert("Mallbots-Device", "central");
    h
}

/// The i-th bad message of family `f`: headers and payload. Every payload is one central
/// cannot decode, and every envelope one the edge cannot apply.
fn bad_message(f: &Family, i: usize) -> (Bad, HeaderMap, Vec<u8>, Option<Uuid>) {
    let class = Bad::of(i);
    let id = Uuid::now_v7();
    let sample =
        json!({"type": f.event_type, "order_id": Uuid::now_v7(), "at": 1_700_000_000_000i64,
                        "items": [{"product_id": Uuid::now_v7(), "quantity": 2}]})
        .to_string();
    let (mut h, payload) = match class {
        Bad::NotJson => (HeaderMap::new(), format!("{{not json {i}").into_bytes()),
        Bad::Truncated => (
            envelope(f, f.event_type, "1"),
            sample.as_bytes()[..sample.len() / 2].to_vec(),
        ),
        Bad::WrongSchema => {
            let p = [
                r#"{"hello":"world"}"#,
                "[1,2,3]",
                "42",
                r#""text""#,
                "null",
                "{}",
                r#"{"type":null}"#,
            ][i / 8 % 7];
            (envelope(f, f.event_type, "1"), p.as_bytes().to_vec())
        }
        Bad::UnknownType => (
            envelope(f, "TeleportOrder", "1"),
            json!({"type": "TeleportOrder", "order_id": Uuid::now_v7(), "at": 1})
                .to_string()
                .into_bytes(),
        ),
        Bad::NewerSchema => (
            // Version 2 of a known type: fields renamed, so version 1 code cannot read it.
            envelope(f, f.event_type, "2"),
            json!({"type": f.event_type, "v2": {"id": Uuid::now_v7(), "when": "2030-01-01"}})
                .to_string()
                .into_bytes(),
        ),
        Bad::Oversized => {
            let blob = "x".repeat(MAX_PAYLOAD - 4096);
            (
                envelope(f, f.event_type, "1"),
                json!({"type": f.event_type, "blob": blob})
                    .to_string()
                    .into_bytes(),
            )
        }
        Bad::BrokenHeaders => {
            let mut h = HeaderMap::new();
            h.insert(
                "Nats-Msg-Id",
                format!("not-a-uuid-{}", Uuid::now_v7().simple()).as_str(),
            );
            h.insert("Mallbots-Schema-Version", "one");
            h.insert("Mallbots-Event-Type", "");
            h.insert("Mallbots-Occurred-At", "yesterday ☠");
            (h, "\u{1F4A5} <script>alert(1)</script>".as_bytes().to_vec())
        }
        Bad::InvalidUtf8 => (
            envelope(f, f.event_type, "1"),
            vec![0xff, 0xfe, b'{', b'"', 0xc3, 0x28, b'"', b':', 0xa0, b'}'],
        ),
        Bad::DeepNesting => (
            envelope(f, f.event_type, "1"),
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        ),
    };
    let id = (!matches!(class, Bad::NotJson | Bad::BrokenHeaders)).then(|| {
        h.insert("Nats-Msg-Id", id.to_string().as_str());
        id
    });
    (class, h, payload, id)
}

fn families(root: &str, store: &str, n: usize) -> Vec<Family> {
    let r = root.to_owned();
    let at = move |tail: String| format!("{r}.{tail}");
    let id = || Uuid::now_v7();
    let mut out = Vec::new();
    let mut add = |count,
                   central,
                   devices,
                   stream_type,
                   event_type,
                   subject: Box<dyn Fn(usize) -> String + Send>| {
        out.push(Family {
            subject,
            count,
            central,
            devices,
            stream_type,
            event_type,
        })
    };
    let a = at.clone();
    add(
        n / 2,
        &["saga-orders", "notifications"][..],
        &[][..],
        "order",
        "OrderCreated",
        Box::new(move |i| a(format!("ev.kiosk.evil{}.order.{}", i % 7, id()))),
    );
    let a = at.clone();
    add(
        n / 2,
        &["saga-orders"],
        &[],
        "order",
        "OrderCancellationRequested",
        Box::new(move |i| a(format!("ev.kiosk.evil{}.orderreq.{}", i % 7, id()))),
    );
    let a = at.clone();
    add(
        n,
        &["customers-view"],
        &[],
        "customer",
        "CustomerRegistered",
        Box::new(move |i| a(format!("ev.kiosk.evil{}.customer.{}", i % 7, id()))),
    );
    let a = at.clone();
    add(
        n / 10,
        &[],
        &[],
        "basket",
        "BasketStarted",
        Box::new(move |i| a(format!("ev.kiosk.evil{}.basket.{}", i % 7, id()))),
    );
    let a = at.clone();
    add(
        n,
        &["catalog-view"],
        &["kiosk", "manager"],
        "product",
        "ProductAdded",
        Box::new(move |i| {
            let kind = if i % 2 == 0 { "product" } else { "store" };
            a(format!("ev.catalog.{}.{kind}.{}", id(), id()))
        }),
    );
    let a = at.clone();
    add(
        n,
        &["notifications"],
        &["kiosk"],
        "order",
        "OrderApproved",
        Box::new(move |_| a(format!("ev.order.k1.{}", id()))),
    );
    let (a, s) = (at.clone(), store.to_owned());
    add(
        n / 2,
        &[],
        &["manager"],
        "orderline",
        "OrderLineAdded",
        Box::new(move |_| a(format!("ev.store.{s}.orderline.{}", id()))),
    );
    let a = at.clone();
    add(
        n / 2,
        &[],
        &["manager"],
        "list",
        "ShoppingListCreated",
        Box::new(move |i| {
            a(format!(
                "ev.depot.{}.{}",
                if i % 2 == 0 { "bot" } else { "list" },
                id()
            ))
        }),
    );
    let commands: [(&'static [&'static str], &'static [&'static str]); 6] = [
        (
            &["cmd-ordering"],
            &[
                "approve_order",
                "start_shopping",
                "ready_order",
                "cancel_order",
                "complete_order",
                "record_pickup",
                "teleport",
            ],
        ),
        (
            &["cmd-customers"],
            &["authorize_customer", "delete_everything"],
        ),
        (
            &["cmd-payments"],
            &[
                "authorize_payment",
                "void_payment",
                "create_invoice",
                "capture",
                "refund_twice",
            ],
        ),
        (
            &["cmd-depot"],
            &[
                "create_shopping_list",
                "cancel_shopping_list",
                "initiate_shopping",
                "cancel_list",
                "bot_offline",
                "self_destruct",
            ],
        ),
        (&["cmd-notifications"], &["notify_customer", "spam"]),
        (&["cmd-diag"], &["ping", "pong"]),
    ];
    for (consumer, names) in commands {
        let a = at.clone();
        let context = consumer[0].trim_start_matches("cmd-");
        add(
            n,
            consumer,
            &[],
            "command",
            "Command",
            Box::new(move |i| a(format!("cmd.{context}.{}", names[i % names.len()]))),
        );
    }
    let a = at.clone();
    add(
        n,
        &["saga-replies"],
        &[],
        "saga",
        "SagaInput",
        Box::new(move |i| {
            a(format!(
                "{}.{}",
                if i % 2 == 0 { "reply" } else { "timer" },
                id()
            ))
        }),
    );
    let a = at.clone();
    add(
        n,
        &["dispatch"],
        &[],
        "list",
        "ListAvailable",
        Box::new(move |_| a(format!("dispatch.{}", id()))),
    );
    out
}

/// Publishes with many acks in flight; every publish must be stored.
struct Flood {
    js: jetstream::Context,
    pending: Vec<PublishAckFuture>,
    sent: u64,
}

impl Flood {
    async fn send(&mut self, subject: String, headers: HeaderMap, payload: Vec<u8>) {
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

    async fn flush(&mut self) {
        for ack in self.pending.drain(..) {
            ack.await.expect("stored in its stream");
        }
    }
}

fn device(dir: &std::path::Path, id: &str, root: &str, role: Role) -> Arc<Edge> {
    let config = EdgeConfig {
        device_id: id.into(),
        subject_root: root.into(),
        role,
        ..EdgeConfig::default()
    };
    Arc::new(Edge::open(dir.join(format!("{id}.db")), config).expect("edge db"))
}

/// Syncs `edge` in passes until `stop`, then once more; returns the inbox totals.
async fn sync_loop(
    edge: Arc<Edge>,
    url: String,
    stream: String,
    mut stop: watch::Receiver<bool>,
) -> InboxReport {
    let settings = SyncSettings {
        events_stream: stream,
        stores: Vec::new(),
        create_consumers: true,
    };
    let engine = engine(&edge, &settings, None).expect("engine");
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

async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + FLOW;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Messages per subject matching `filter` in `stream`.
async fn subject_counts(
    js: &jetstream::Context,
    stream: &str,
    filter: &str,
) -> BTreeMap<String, u64> {
    let s = js.get_stream(stream).await.expect("stream");
    let mut info = s.info_with_subjects(filter).await.expect("subjects");
    let mut out = BTreeMap::new();
    while let Some(entry) = info.next().await {
        let (subject, n) = entry.expect("subject count");
        out.insert(subject, n as u64);
    }
    out
}

async fn total(js: &jetstream::Context, stream: &str, filters: &[String]) -> u64 {
    let mut n = 0;
    for f in filters {
        n += subject_counts(js, stream, f).await.values().sum::<u64>();
    }
    n
}

/// The consumers that still have messages pending or unacknowledged (empty = drained).
async fn undrained(js: &jetstream::Context, consumers: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (stream, name) in consumers {
        let info = match js
            .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(name, stream)
            .await
        {
            Ok(mut c) => c.info().await.map(|i| (i.num_pending, i.num_ack_pending)),
            Err(e) => {
                out.push(format!("{name}: {e}"));
                continue;
            }
        };
        match info {
            Ok((0, 0)) => {}
            Ok((pending, acks)) => out.push(format!("{name}: {pending} pending, {acks} unacked")),
            Err(e) => out.push(format!("{name}: {e}")),
        }
    }
    out
}

/// Waits until the kiosk shows `order` with `status`; on timeout shows central's log.
async fn wait_status(kiosk: &Edge, order: mallbots_domain::OrderId, status: &str, central: &Proc) {
    let deadline = Instant::now() + FLOW;
    loop {
        let now = kiosk.order(order).map(|o| o.status);
        if now.as_deref().ok() == Some(status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "order {order} not {status} at the kiosk: {now:?}\n{}",
            tail(central)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A parked row of a good message: central's (`Mallbots-Device: central`, which no bad message
/// here claims together with a causation id) with a `Mallbots-Causation-Id` that is not a UUID.
/// BUG (reported to central and sync): central's depot events carry causation ids such as
/// `online/<session>/<bot>`; the edge decoder requires a UUID, so every depot event is parked on
/// manager devices and their depot screens never fill.
fn parked_good(raw: Option<&str>) -> bool {
    let Some(v) = raw.and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()) else {
        return false;
    };
    let h = &v["headers"];
    let causation = h["Mallbots-Causation-Id"].as_str();
    h["Mallbots-Device"] == "central" && causation.is_some_and(|c| Uuid::parse_str(c).is_err())
}

/// The last lines of a process's log.
fn tail(p: &Proc) -> String {
    let logs = p.logs();
    let lines: Vec<&str> = logs.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_bad_messages_per_consumer_are_dead_lettered_or_parked() {
    let started = Instant::now();
    let n = per_consumer();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nats.conf");
    std::fs::write(&conf, format!("max_payload: {MAX_PAYLOAD}\n")).unwrap();
    let server = NatsServer::start_with(NatsOptions {
        config_file: Some(conf),
        extra_args: Vec::new(),
    })
    .expect("nats-server");
    let url = server.url();
    let (root, prefix) = ("mf", "mf_");
    let events = format!("{prefix}EVENTS");
    let mut central = Proc::builder(CENTRAL)
        .args(["--nats", &url, "--http", "127.0.0.1:0"])
        .args(["--subject-root", root, "--stream-prefix", prefix])
        .env("MALLBOTS_SIM_BOTS", "20")
        .env("MALLBOTS_SIM_STEP_MS", "20")
        // The flood queues 10,000 commands ahead of each real one (devices cannot publish
        // commands; the test can): give saga steps room instead of timing them out.
        .env("MALLBOTS__SAGA__TIMEOUT_MS", "300000")
        // More dead-letter copies in flight per consumer: the flood is copy-bound.
        .env("MALLBOTS__WORKER__CONCURRENCY", "32")
        .env("MALLBOTS__WORKER__BATCH", "256")
        .env("RUST_LOG", "error")
        .spawn()
        .expect("spawn mallbots-central (cargo build -p mallbots-central first)");
    let http = central.http_addr(Duration::from_secs(30)).expect("http");
    central
        .wait_for_log("mallbots-central ready", Duration::from_secs(30))
        .expect("central ready");
    let js = jetstream::new(async_nats::connect(&url).await.unwrap());

    // The catalog, set up by a manager device and seen by central before the flood.
    let manager = device(dir.path(), "m1", root, Role::Manager);
    let store = manager.create_store("Grocer", "Level 0").unwrap();
    manager.set_participation(store.store_id, true).unwrap();
    manager
        .set_automated_shopping(store.store_id, true)
        .unwrap();
    let product = manager
        .add_product(NewProduct {
            store_id: store.store_id,
            sku: "TEA".into(),
            name: "Tea".into(),
            description: String::new(),
            price_cents: 450,
        })
        .unwrap();
    let kiosk = device(dir.path(), "k1", root, Role::Kiosk);
    let customer = kiosk.register_customer("Ada", "+15550104477").unwrap();
    let (stop, stop_rx) = watch::channel(false);
    let loops = [&manager, &kiosk].map(|edge| {
        tokio::spawn(sync_loop(
            Arc::clone(edge),
            url.clone(),
            events.clone(),
            stop_rx.clone(),
        ))
    });
    let catalog = js.get_key_value(format!("{prefix}catalog")).await.unwrap();
    eventually("central's catalog view has the product", || async {
        catalog
            .get(format!("product.{}", product.product_id))
            .await
            .ok()
            .flatten()
    })
    .await;
    eventually("the kiosk has the catalog", || async {
        kiosk
            .product(product.product_id)
            .ok()
            .filter(|p| !p.removed)
    })
    .await;

    // The flood, round-robin over the families, with real orders in between.
    let families = families(root, &store.store_id.to_string(), n);
    let mut dlq_expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut parked_expected: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_class: BTreeMap<String, u64> = BTreeMap::new();
    let mut flood = Flood {
        js: js.clone(),
        pending: Vec::new(),
        sent: 0,
    };
    let mut refused = 0u64;
    let mut tracked: Vec<(&str, Bad, Uuid)> = Vec::new();
    for f in &families {
        // Above max_payload: refused at publish, stored nowhere.
        let too_big = vec![b'x'; MAX_PAYLOAD + 1];
        let result = js.publish((f.subject)(0), too_big.into()).await;
        assert!(result.is_err(), "an oversized publish was accepted");
        refused += 1;
    }
    let rounds = families.iter().map(|f| f.count).max().unwrap_or(0);
    let mut orders = Vec::new();
    for i in 0..rounds {
        for f in families.iter().filter(|f| i < f.count) {
            let (class, headers, payload, id) = bad_message(f, i);
            *by_class.entry(format!("{class:?}")).or_default() += 1;
            for c in f.central {
                *dlq_expected.entry(c.to_string()).or_default() += 1;
            }
            for d in f.devices {
                if let Some(id) = id {
                    tracked.push((*d, class, id));
                }
                *parked_expected.entry(d).or_default() += 1;
            }
            flood.send((f.subject)(i), headers, payload).await;
        }
        if orders.len() < ORDERS && i * ORDERS >= orders.len() * rounds {
            let cart = kiosk.start_cart(Some(customer.customer_id)).unwrap();
            kiosk.add_item(cart.cart_id, product.product_id, 2).unwrap();
            let order = kiosk
                .checkout(cart.cart_id, "tok_visa", Some(customer.customer_id))
                .unwrap();
            orders.push(order.order_id);
        }
    }
    flood.flush().await;
    let flooded_at = started.elapsed();

    // Real orders go on: ready through the bots, then picked up.
    for order in &orders {
        wait_status(&kiosk, *order, "ready", &central).await;
    }
    let publisher = Publisher::new(
        js.clone(),
        Topology::new(root, prefix),
        Arc::new(Metrics::new()),
    );
    for order in &orders {
        let command_id = Uuid::now_v7().to_string();
        let body = json!({"command_id": command_id, "order_id": order, "at": now_ms()});
        publisher
            .publish(
                &format!("{root}.cmd.ordering.complete_order"),
                &command_id,
                HeaderMap::new(),
                serde_json::to_vec(&body).unwrap().into(),
            )
            .await
            .expect("complete_order");
    }
    for order in &orders {
        wait_status(&kiosk, *order, "completed", &central).await;
    }

    // Everything read by everyone, then the books.
    let mut consumers: Vec<(String, String)> = Vec::new();
    for spec in Topology::new(root, prefix).consumers(&Default::default()) {
        let stream = Topology::new(root, prefix).stream_name(spec.stream);
        if spec.name != UNHANDLED {
            consumers.push((stream, spec.name));
        }
    }
    for name in ["k1-orders", "k1-catalog", "m1-orders", "m1-catalog"] {
        consumers.push((events.clone(), name.to_owned()));
    }
    let deadline = Instant::now() + FLOW;
    loop {
        let left = undrained(&js, &consumers).await;
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not drained: {left:?}\n{}",
            tail(&central)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    let [manager_report, kiosk_report] = loops;
    let manager_report = manager_report.await.unwrap();
    let kiosk_report = kiosk_report.await.unwrap();

    let dlq = dead_letters(&js, &format!("{prefix}DLQ")).await;
    // BUG (reported to central): topology creates `cmd-notifications` but no role registers a
    // handler, so its messages are never read, never dead-lettered, and age out of COMMANDS.
    // Accepted here either way: all dead-lettered (fixed) or all still pending (the bug).
    let mut unread = 0;
    if !dlq.contains_key(UNHANDLED) {
        let want = dlq_expected.remove(UNHANDLED).unwrap_or(0);
        let mut c: jetstream::consumer::PullConsumer = js
            .get_consumer_from_stream(UNHANDLED, format!("{prefix}COMMANDS"))
            .await
            .expect("consumer");
        unread = c.info().await.expect("info").num_pending;
        assert_eq!(unread, want, "{UNHANDLED}: neither dead-lettered nor kept");
    }
    // Central: every bad message has a dead letter (by original stream + sequence). BUG
    // (reported to central): the DLQ msg-id is `dlq:<stream>:<seq>` without the consumer, so
    // when two consumers dead-letter one message (kiosk order subjects: saga-orders and
    // notifications) the second copy is dropped as a duplicate. Counted as `collapsed`, not
    // lost, as long as the message has a dead letter under one of them.
    let mut lost_central = 0u64;
    let mut collapsed = 0u64;
    let union = |names: &[&str]| -> u64 {
        let mut all = std::collections::BTreeSet::new();
        for name in names {
            if let Some(d) = dlq.get(*name) {
                all.extend(d.distinct.iter().cloned());
            }
        }
        all.len() as u64
    };
    for (consumer, want) in &dlq_expected {
        let got = dlq
            .get(consumer.as_str())
            .map_or(0, |d| d.distinct.len() as u64);
        if ["saga-orders", "notifications"].contains(&consumer.as_str()) && got < *want {
            collapsed += want - got;
        } else {
            lost_central += want.abs_diff(got);
        }
    }
    // saga-orders ∪ notifications must cover all their messages: n/2 + n/2 + n distinct.
    let shared_want = (n / 2 + n / 2 + n) as u64;
    lost_central += shared_want.abs_diff(union(&["saga-orders", "notifications"]));
    let dlq_duplicates: u64 = dlq
        .values()
        .map(|d| d.entries - d.distinct.len() as u64)
        .sum();
    let unexpected: Vec<&String> = dlq
        .keys()
        .filter(|k| !dlq_expected.contains_key(*k))
        .collect();

    let kiosk_filters = [
        format!("{root}.ev.order.k1.>"),
        format!("{root}.ev.catalog.>"),
    ];
    let manager_filters = [
        format!("{root}.ev.store.{}.orderline.>", store.store_id),
        format!("{root}.ev.depot.>"),
        format!("{root}.ev.catalog.>"),
    ];
    let kiosk_good = total(&js, &events, &kiosk_filters).await - parked_expected["kiosk"];
    let manager_good = total(&js, &events, &manager_filters).await - parked_expected["manager"];

    // Edges: each bad message with an event id, as its inbox recorded it, and the good
    // messages parked (see `parked_good`).
    let mut edge_outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut good_parked: BTreeMap<&str, u64> = BTreeMap::new();
    for device in ["kiosk", "manager"] {
        let file = if device == "kiosk" { "k1.db" } else { "m1.db" };
        let reader = StoreReader::open(
            dir.path().join(file),
            Arc::new(Upcasters::new()),
            &StoreOptions::default(),
        )
        .expect("read the edge db");
        let conn = reader.connection();
        for (d, class, id) in tracked.iter().filter(|t| t.0 == device) {
            let status = match read::inbox_entry(conn, *id).expect("inbox") {
                Some(row) => format!("{:?}", row.record.status).to_lowercase(),
                None => "missing".to_owned(),
            };
            if status != "parked" {
                *edge_outcomes
                    .entry(format!("{d}/{class:?}/{status}"))
                    .or_default() += 1;
            }
        }
        let parked = read::parked_inbox(conn).expect("parked rows");
        let good = parked
            .iter()
            .filter(|r| parked_good(r.record.raw.as_deref()))
            .count();
        good_parked.insert(device, good as u64);
    }
    // BUG (reported to the app engineer): the edge keeps `orderline` events opaque and applies
    // any JSON payload of schema version 1, so wrong-schema and unknown-type events on those
    // subjects enter the manager's log instead of being parked.
    let opaque_applied: u64 = edge_outcomes
        .iter()
        .filter(|(k, _)| k.starts_with("manager/") && k.ends_with("/applied"))
        .filter(|(k, _)| {
            ["/WrongSchema/", "/UnknownType/", "/Oversized/"]
                .iter()
                .any(|c| k.contains(c))
        })
        .map(|(_, n)| n)
        .sum();
    let not_parked = |device: &str| -> u64 {
        edge_outcomes
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{device}/")))
            .map(|(_, n)| n)
            .sum()
    };
    let unexplained_not_parked = not_parked("kiosk") + not_parked("manager") - opaque_applied;
    let mut lost_edge = unexplained_not_parked;
    for (device, report, good) in [
        ("kiosk", &kiosk_report, kiosk_good),
        ("manager", &manager_report, manager_good),
    ] {
        let bad_parked = parked_expected[device] - not_parked(device);
        let opaque = if device == "manager" {
            opaque_applied
        } else {
            0
        };
        lost_edge += (report.parked - good_parked[device]).abs_diff(bad_parked);
        lost_edge += (report.applied + report.echoed).abs_diff(good - good_parked[device] + opaque);
    }

    // Each order's status events appear once on its subject.
    let reader = EventReader::new(&js, &publisher).await.expect("reader");
    let mut order_duplicates = 0u64;
    for order in &orders {
        let subject = format!("{root}.ev.order.k1.{order}");
        let mut types: Vec<String> = reader
            .history(&subject)
            .await
            .expect("history")
            .iter()
            .map(|e| {
                let v: serde_json::Value = serde_json::from_slice(&e.payload).unwrap_or_default();
                v["type"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        assert!(
            types.contains(&"OrderCompleted".to_owned()),
            "{subject}: {types:?}"
        );
        let all = types.len();
        types.sort();
        types.dedup();
        order_duplicates += (all - types.len()) as u64;
    }
    let duplicates = kiosk_report.duplicates + manager_report.duplicates + order_duplicates;
    let lost = lost_central + lost_edge;
    let health: serde_json::Value = reqwest::get(format!("http://{http}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    if std::env::var_os("MALFORMED_KEEP").is_some() {
        eprintln!("kept {}", dir.keep().display());
        return;
    }
    println!(
        "RELIABILITY {}",
        json!({"test": "malformed", "ops": flood.sent + orders.len() as u64,
               "faults": flood.sent + refused, "lost": lost, "duplicates": duplicates,
               "seconds": (seconds * 10.0).round() / 10.0})
    );
    let dead_letters: BTreeMap<&String, u64> = dlq.iter().map(|(k, d)| (k, d.entries)).collect();
    println!(
        "MALFORMED {}",
        json!({"per_consumer": n, "bad_sent": flood.sent, "refused_at_publish": refused,
               "by_class": by_class, "dead_letters": dead_letters, "dlq_duplicates": dlq_duplicates,
               "orders_completed": orders.len(),
               "kiosk": {"applied": kiosk_report.applied, "echoed": kiosk_report.echoed,
                         "parked": kiosk_report.parked, "good_on_filters": kiosk_good},
               "manager": {"applied": manager_report.applied, "echoed": manager_report.echoed,
                           "parked": manager_report.parked, "good_on_filters": manager_good},
               "edge_not_parked": edge_outcomes,
               "known_bugs": {"dlq_copies_collapsed": collapsed,
                              "unread_without_handler": {(UNHANDLED): unread},
                              "edge_applied_opaque_bad": opaque_applied,
                              "central_events_parked_at_edge": good_parked},
               "flood_seconds": flooded_at.as_secs_f64()})
    );
    assert!(
        unexpected.is_empty(),
        "unexpected dead letters: {unexpected:?}"
    );
    assert_eq!(lost, 0, "lost (see MALFORMED above)");
    if std::env::var_os("MALFORMED_STRICT").is_some() {
        let parked_good: u64 = good_parked.values().sum();
        assert_eq!(
            (collapsed, unread, opaque_applied, parked_good),
            (0, 0, 0, 0),
            "known bugs still present (see MALFORMED above)"
        );
    }
    assert_eq!(duplicates, 0, "duplicates applied (see MALFORMED above)");
    assert_eq!(health["status"], "ok", "{health}");
    assert!(central.is_running());
}

/// Dead letters of one consumer: entries, and the distinct originals (stream, sequence).
#[derive(Debug, Default)]
struct DeadLetterCount {
    entries: u64,
    distinct: std::collections::BTreeSet<(String, u64)>,
}

/// Reads the whole DLQ stream once (an ordered consumer) and groups it by consumer.
async fn dead_letters(js: &jetstream::Context, stream: &str) -> BTreeMap<String, DeadLetterCount> {
    let s = js.get_stream(stream).await.expect("DLQ stream");
    let total = s.get_info().await.expect("info").state.messages;
    let mut out: BTreeMap<String, DeadLetterCount> = BTreeMap::new();
    if total == 0 {
        return out;
    }
    let consumer = s
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("ordered consumer");
    let mut messages = consumer.messages().await.expect("messages");
    let mut read = 0;
    while read < total {
        let m = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("DLQ read in time")
            .expect("DLQ message")
            .expect("DLQ message ok");
        read += 1;
        let h = |name: &str| {
            m.headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default()
        };
        let entry = out.entry(h(dlq::H_CONSUMER)).or_default();
        entry.entries += 1;
        entry
            .distinct
            .insert((h(dlq::H_STREAM), h(dlq::H_SEQUENCE).parse().unwrap_or(0)));
    }
    out
}

/// Publishes `payload` with a raw header block `header` on `subject` over a plain TCP
/// connection (what a device's own client could send; async-nats refuses to build such headers).
fn raw_hpub(port: u16, subject: &str, header: &str, payload: &[u8]) {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("tcp");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut info = String::new();
    reader.read_line(&mut info).expect("INFO");
    let mut w = stream;
    let total = header.len() + payload.len();
    write!(
        w,
        "CONNECT {{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1}}\r\n\
         HPUB {subject} {} {total}\r\n{header}",
        header.len()
    )
    .unwrap();
    w.write_all(payload).unwrap();
    w.write_all(b"\r\nPING\r\n").unwrap();
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok() && !line.contains("PONG") {
        assert!(!line.starts_with("-ERR"), "server refused: {line}");
        line.clear();
    }
}

/// Two messages that reach past the decoder: a header block the client library cannot parse,
/// and a message whose size is exactly the server's `max_payload` (its dead-letter copy, with
/// the `Mallbots-Dlq-*` headers added, cannot be that small). After each, central must still
/// answer a ping, and the bad message must be dead-lettered, not silently dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparseable_headers_and_max_size_messages_do_not_wedge_central() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nats.conf");
    std::fs::write(&conf, format!("max_payload: {MAX_PAYLOAD}\n")).unwrap();
    let server = NatsServer::start_with(NatsOptions {
        config_file: Some(conf),
        extra_args: Vec::new(),
    })
    .expect("nats-server");
    let (root, prefix) = ("mh", "mh_");
    let mut central = Proc::builder(CENTRAL)
        .args(["--nats", &server.url(), "--http", "127.0.0.1:0"])
        .args(["--subject-root", root, "--stream-prefix", prefix])
        .args(["--roles", "saga"])
        .env("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "2000")
        .env("MALLBOTS__TOPOLOGY__BACKOFF_MS", "200,400")
        .env("MALLBOTS__TOPOLOGY__MAX_DELIVER", "3")
        .spawn()
        .expect("spawn mallbots-central");
    central
        .wait_for_log("mallbots-central ready", Duration::from_secs(30))
        .expect("central ready");
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client.clone());
    let ping = |id: &'static str| {
        let (client, js) = (client.clone(), js.clone());
        async move {
            let mut pongs = client
                .subscribe(format!("{root}.diag.pong.{id}"))
                .await
                .unwrap();
            js.publish(
                format!("{root}.cmd.diag.ping"),
                format!(r#"{{"id":"{id}"}}"#).into(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
            tokio::time::timeout(Duration::from_secs(30), pongs.next())
                .await
                .ok()
                .flatten()
                .is_some()
        }
    };
    assert!(ping("before").await, "central answers");
    let dlq_count = || async {
        let s = js.get_stream(format!("{prefix}DLQ")).await.unwrap();
        s.get_info().await.unwrap().state.messages
    };

    let disconnects = |p: &Proc| p.logs().matches("event=disconnected").count();
    raw_hpub(
        server.port(),
        &format!("{root}.cmd.diag.ping"),
        "NATS/1.0\r\nno colon in this header\r\n\r\n",
        br#"{"id":"hdr"}"#,
    );
    // Each delivery drops central's connection (async-nats cannot parse the block) until
    // MaxDeliver; the max-deliveries advisory then dead-letters it from the stream.
    let header_dead_lettered = tokio::time::timeout(Duration::from_secs(15), async {
        while dlq_count().await < 1 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .is_ok();
    let header_disconnects = disconnects(&central);
    let header_ok = ping("after-bad-header").await;

    // The same block on a catalog subject, read by a kiosk whose consumer (like every device
    // consumer) has no MaxDeliver: does its sync get past it?
    let kiosk = device(dir.path(), "k9", root, Role::Kiosk);
    let settings = SyncSettings {
        events_stream: format!("{prefix}EVENTS"),
        stores: Vec::new(),
        create_consumers: true,
    };
    let engine = engine(&kiosk, &settings, None).expect("engine");
    let link = engine
        .connect(&NatsTarget::new(server.url()))
        .await
        .expect("link");
    engine.sync_once(&link).await.expect("first sync");
    raw_hpub(
        server.port(),
        &format!(
            "{root}.ev.catalog.{}.product.{}",
            Uuid::now_v7(),
            Uuid::now_v7()
        ),
        "NATS/1.0\r\nno colon in this header\r\n\r\n",
        b"{}",
    );
    let mut edge_passes_failed = 0;
    let edge_got_past = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match engine.sync_once(&link).await {
                Ok(r) if r.inbox.parked > 0 => return,
                Ok(_) => {}
                Err(_) => edge_passes_failed += 1,
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .is_ok();

    // Exactly max_payload on the wire (headers + payload).
    let mut h = HeaderMap::new();
    h.insert("Nats-Msg-Id", "max-size-1");
    let header_len = "NATS/1.0\r\nNats-Msg-Id: max-size-1\r\n\r\n".len();
    let body = format!(
        r#"{{"id":"big","pad":"{}"}}"#,
        "x".repeat(MAX_PAYLOAD - header_len - 21)
    );
    assert_eq!(body.len() + header_len, MAX_PAYLOAD);
    let before = dlq_count().await;
    js.send_publish(
        format!("{root}.cmd.diag.ping"),
        PublishMessage::build().headers(h).payload(body.into()),
    )
    .await
    .expect("a max-size publish is accepted")
    .await
    .expect("stored");
    let big_ok = ping("after-max-size").await;
    let big_dead_lettered = tokio::time::timeout(Duration::from_secs(10), async {
        while dlq_count().await <= before {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .is_ok();
    println!(
        "MALFORMED_EDGES {}",
        json!({"bad_header": {"central_disconnects": header_disconnects,
                              "dead_lettered": header_dead_lettered,
                              "central_answers_after": header_ok,
                              "edge_got_past_within_10s": edge_got_past,
                              "edge_sync_passes_failed": edge_passes_failed},
               "max_size": {"central_answers_after": big_ok, "dead_lettered": big_dead_lettered}})
    );
    assert!(central.is_running(), "{}", tail(&central));
    assert!(
        header_ok && big_ok,
        "central stopped answering:\n{}",
        tail(&central)
    );
    // BUGS (reported): a message at max_payload cannot be dead-lettered (the copy's extra
    // headers exceed max_payload: it is dropped after MaxDeliver); an unparseable header block
    // drops every client connection it is delivered to: central's until MaxDeliver (and the
    // max-deliveries advisory, core NATS, is then often missed during the reconnect, so the
    // message is not dead-lettered either), a device's forever (device consumers have no
    // MaxDeliver). Failed with MALFORMED_STRICT=1.
    if std::env::var_os("MALFORMED_STRICT").is_some() {
        assert!(
            header_dead_lettered,
            "the bad header block was not dead-lettered"
        );
        assert!(big_dead_lettered, "max-size message not dead-lettered");
        assert!(
            edge_got_past,
            "the kiosk never got past the bad header block"
        );
    }
}

/// Hostile input that the edge accepts can still be too big to sync: a store name of 1 MiB
/// (accepted by the commands, see `reliability_hostile_cli`) makes an event above the server's
/// `max_payload`. It must not stop the device from syncing everything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_above_max_payload_does_not_stop_the_device_syncing() {
    let server = NatsServer::start().expect("nats-server");
    let (root, stream) = ("ob", "ob_EVENTS");
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    js.create_stream(jetstream::stream::Config {
        name: stream.into(),
        subjects: vec![format!("{root}.ev.>")],
        ..Default::default()
    })
    .await
    .expect("events stream");
    let dir = tempfile::tempdir().unwrap();
    let manager = device(dir.path(), "m7", root, Role::Manager);
    let huge = manager.create_store(&"Ω".repeat(512 * 1024), "L0");
    let small = manager.create_store("Small", "L1").expect("a normal store");
    let settings = SyncSettings {
        events_stream: stream.into(),
        stores: Vec::new(),
        create_consumers: true,
    };
    let engine = engine(&manager, &settings, None).expect("engine");
    let link = engine
        .connect(&NatsTarget::new(server.url()))
        .await
        .expect("link");
    let mut errors = Vec::new();
    for _ in 0..3 {
        if let Err(e) = engine.sync_once(&link).await {
            errors.push(e.to_string().chars().take(160).collect::<String>());
        }
    }
    let subject = format!("{root}.ev.catalog.{0}.store.{0}", small.store_id);
    let published = subject_counts(&js, stream, &subject)
        .await
        .values()
        .sum::<u64>();
    let pending = manager.local_counts().expect("counts").outbox_pending;
    println!(
        "OVERSIZED_EVENT {}",
        json!({"huge_name_accepted": huge.is_ok(), "small_store_published": published > 0,
               "outbox_pending": pending, "sync_errors": errors})
    );
    // BUG (reported to sync and app): an event above max_payload fails `send_publish` before
    // anything is sent, the relay pass returns the error, and every later `sync_once` fails
    // at the same row: the device syncs nothing any more. Failed with MALFORMED_STRICT=1.
    if std::env::var_os("MALFORMED_STRICT").is_some() {
        assert!(published > 0, "the small store never synced: {errors:?}");
    }
}
