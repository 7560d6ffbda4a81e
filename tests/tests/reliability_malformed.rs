//! Reliability (issue 7, issue 12 item 5): malformed, oversized and wrong-schema messages on
//! every consumed subject, against a real nats-server (`max_payload` 64 KiB), a real
//! `mallbots-central` process (every role, simulated bots) and real edge devices on SQLite files
//! synced by the real engine. The generators, the flood and the counting live in
//! `mallbots_tests::faults::malformed`; this file is the scenarios and what they must show.
//! NATS runs open: the flood writes on every consumed subject, central's own included, which no
//! device may (`reliability_hostile_peer` floods what enrolled devices may write, under the
//! generated authorization).
//!
//! **Budget.** 10,000 bad messages *per consumer*, spread over that consumer's subjects (subjects
//! carry ids, so "10,000 per subject" has no end; a consumer's subjects share one decoder and one
//! worker, so per-consumer volume is what loads it): about 130,000 messages, 75–105 s on this
//! 2-core machine. Scale with `MALFORMED_PER_CONSUMER` (default 10,000). The classes are in
//! [`Bad`]; payloads above `max_payload` are refused at publish.
//!
//! Checked, all hard:
//! * central dead-letters exactly the bad messages of each consumer (`<root>.dlq.<consumer>`),
//!   one copy per consumer even where two consumers read one subject, newer or unreadable
//!   schema versions with reason `schema.unsupported`, and stays healthy; every consumer on the
//!   server drains (a consumer nobody handles would not);
//! * each edge parks exactly its bad messages and applies every good one once (inbox
//!   `applied + echoed` = good messages on its filters, duplicates 0), central's own events
//!   included; real orders taken meanwhile reach `completed` with every event once;
//! * a header block no client can parse is dead-lettered with its reason and removed from its
//!   stream, central keeps answering and a device syncing the same subjects gets past it within
//!   a bound; a message of exactly `max_payload` is dead-lettered (a cut copy, flagged);
//! * a dead-lettered event-log entry replays to its place in the log (its original msg-id and
//!   expected sequence): a no-op while the original is there, appended once it is not;
//! * an event above `max_payload` in a device's outbox does not stop the rest of the outbox.
//!
//! Prints `RELIABILITY {...}` and `MALFORMED {...}` (flood), `MALFORMED_EDGES {...}` and
//! `OVERSIZED_EVENT {...}`. Needs the binaries: `cargo build -p mallbots-central -p
//! mallbots-edge` first.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, message::PublishMessage};
use async_nats::HeaderMap;
use mallbots_central::platform::dlq;
use mallbots_central::platform::envelope::EventReader;
use mallbots_central::platform::metrics::Metrics;
use mallbots_central::platform::publish::Publisher;
use mallbots_central::Topology;
use mallbots_domain::customers::CustomerEvent;
use mallbots_domain::{CustomerId, Timestamp};
use mallbots_edge::sync::engine;
use mallbots_edge::{Edge, NewProduct, Role};
use mallbots_sync::engine::NatsTarget;
use mallbots_sync::store::{AppendRequest, EventStore, NewEvent, SqliteStore};
use mallbots_tests::faults::malformed::counting::{
    consumers_on, dead_letters, edge_outcomes, subject_counts, total, undrained,
};
use mallbots_tests::faults::malformed::flood::{device, settings, sync_loop, Flood};
use mallbots_tests::faults::malformed::generators::{
    bad_message, families, raw_hpub, Bad, UNPARSEABLE_HEADER_LINE,
};
use mallbots_tests::faults::malformed::{
    eventually, nats_conf, now_ms, per_consumer, tail, within, FLOW, MAX_PAYLOAD,
};
use mallbots_tests::nats::{NatsOptions, NatsServer};
use mallbots_tests::procs::{Proc, CENTRAL};
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

/// Real orders taken during the flood.
const ORDERS: usize = 8;
/// How long a device may take to get past a message it cannot receive: central's sweep takes
/// it out of the stream within seconds of a consumer stalling on it; a device that had it
/// delivered already sees it settled when its ack wait (30 s) runs out. Device consumers' own
/// MaxDeliver (20 × 30 s) is the backstop, not what this waits for.
const DEVICE_GETS_PAST: Duration = Duration::from_secs(90);

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

fn nats_with_max_payload(dir: &std::path::Path) -> NatsServer {
    NatsServer::start_with(NatsOptions {
        config_file: Some(nats_conf(dir)),
        extra_args: Vec::new(),
    })
    .expect("nats-server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_bad_messages_per_consumer_are_dead_lettered_or_parked() {
    let started = Instant::now();
    let n = per_consumer();
    let dir = tempfile::tempdir().unwrap();
    let server = nats_with_max_payload(dir.path());
    let url = server.url();
    let (root, prefix) = ("mf", "mf_");
    let topology = Topology::new(root, prefix);
    let events = format!("{prefix}EVENTS");
    let mut central = Proc::builder(CENTRAL)
        .args(["--nats", &url, "--http", "127.0.0.1:0"])
        .args(["--subject-root", root, "--stream-prefix", prefix])
        .env("MALLBOTS__SIM__BOTS", "20")
        .env("MALLBOTS__SIM__STEP_MS", "20")
        // The flood queues 10,000 commands ahead of each real one (devices cannot publish
        // commands; the test can): give saga steps room instead of timing them out.
        .env("MALLBOTS__SAGA__TIMEOUT_MS", "300000")
        // More dead-letter copies in flight per consumer: the flood is copy-bound.
        .env("MALLBOTS__WORKER__CONCURRENCY", "32")
        .env("MALLBOTS__WORKER__BATCH", "256")
        .env("RUST_LOG", "error,mallbots_central::platform::service=info")
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
    let mut schema_expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut parked_expected: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_class: BTreeMap<String, u64> = BTreeMap::new();
    let mut flood = Flood::new(js.clone());
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
                if matches!(class, Bad::NewerSchema | Bad::BrokenHeaders) {
                    *schema_expected.entry(c.to_string()).or_default() += 1;
                }
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
    let publisher = Publisher::new(js.clone(), topology.clone(), Arc::new(Metrics::new()));
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

    // Every consumer the server has on central's streams (central's and the devices') drains:
    // one that no replica handles would keep its messages pending and fail here.
    let streams: Vec<String> = ["EVENTS", "COMMANDS", "DISPATCH"]
        .iter()
        .map(|s| format!("{prefix}{s}"))
        .collect();
    let consumers = consumers_on(&js, &streams).await;
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
    let unread = undrained(&js, &consumers).await.len();
    stop.send(true).unwrap();
    let [manager_report, kiosk_report] = loops;
    let manager_report = manager_report.await.unwrap();
    let kiosk_report = kiosk_report.await.unwrap();

    // Central: one dead letter per bad message and consumer (by original stream + sequence),
    // including both consumers of the kiosk order subjects.
    let dlq = dead_letters(&js, &format!("{prefix}DLQ")).await;
    let mut lost_central = 0u64;
    let mut collapsed = 0u64;
    for (consumer, want) in &dlq_expected {
        let got = dlq
            .get(consumer.as_str())
            .map_or(0, |d| d.distinct.len() as u64);
        if ["saga-orders", "notifications"].contains(&consumer.as_str()) {
            collapsed += want.saturating_sub(got);
        }
        lost_central += want.abs_diff(got);
    }
    let dlq_duplicates: u64 = dlq
        .values()
        .map(|d| d.entries - d.distinct.len() as u64)
        .sum();
    let unexpected: Vec<&String> = dlq
        .keys()
        .filter(|k| !dlq_expected.contains_key(*k))
        .collect();
    let schema_unsupported: BTreeMap<&String, u64> = dlq
        .iter()
        .map(|(k, d)| (k, d.reasons.get("schema.unsupported").copied().unwrap_or(0)))
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

    // Edges: each bad message with an event id as its inbox recorded it, and good messages
    // parked. Every bad one must be parked: none applied, none missing.
    let kiosk_seen = edge_outcomes(&dir.path().join("k1.db"), "kiosk", &tracked);
    let manager_seen = edge_outcomes(&dir.path().join("m1.db"), "manager", &tracked);
    let opaque_applied: u64 = manager_seen
        .not_parked
        .iter()
        .filter(|(k, _)| k.ends_with("/applied"))
        .map(|(_, n)| n)
        .sum();
    let mut edge_not_parked = kiosk_seen.not_parked.clone();
    edge_not_parked.extend(manager_seen.not_parked.clone());
    let mut lost_edge = 0u64;
    for (device, report, good, seen) in [
        ("kiosk", &kiosk_report, kiosk_good, &kiosk_seen),
        ("manager", &manager_report, manager_good, &manager_seen),
    ] {
        let not_parked: u64 = seen.not_parked.values().sum();
        lost_edge += not_parked;
        lost_edge += report
            .parked
            .abs_diff(parked_expected[device] - not_parked + seen.good_parked);
        lost_edge += (report.applied + report.echoed).abs_diff(good - seen.good_parked);
    }
    let good_parked = kiosk_seen.good_parked + manager_seen.good_parked;

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
               "schema_unsupported": schema_unsupported,
               "orders_completed": orders.len(),
               "kiosk": {"applied": kiosk_report.applied, "echoed": kiosk_report.echoed,
                         "parked": kiosk_report.parked, "good_on_filters": kiosk_good},
               "manager": {"applied": manager_report.applied, "echoed": manager_report.echoed,
                           "parked": manager_report.parked, "good_on_filters": manager_good},
               "edge_not_parked": edge_not_parked,
               "former_bugs": {"dlq_copies_collapsed": collapsed,
                               "unread_without_handler": unread,
                               "edge_applied_opaque_bad": opaque_applied,
                               "central_events_parked_at_edge": good_parked},
               "flood_seconds": flooded_at.as_secs_f64()})
    );
    assert!(
        unexpected.is_empty(),
        "unexpected dead letters: {unexpected:?}"
    );
    assert_eq!(
        (collapsed, unread, opaque_applied, good_parked),
        (0, 0, 0, 0),
        "collapsed DLQ copies, unread consumers, bad events applied or good events parked \
         (see MALFORMED above)"
    );
    assert_eq!(lost, 0, "lost (see MALFORMED above)");
    assert_eq!(duplicates, 0, "duplicates applied (see MALFORMED above)");
    assert_eq!(dlq_duplicates, 0, "one DLQ copy per message and consumer");
    // `dispatch` is central's own work queue (only central publishes there), read by the
    // depot's dispatcher rather than a consumer worker: it dead-letters these as undecodable
    // instead (counted above), without looking at the version header.
    for (consumer, want) in schema_expected.iter().filter(|(c, _)| *c != "dispatch") {
        assert_eq!(
            schema_unsupported.get(consumer).copied().unwrap_or(0),
            *want,
            "{consumer}: newer or unreadable schema versions dead-lettered as schema.unsupported"
        );
    }
    assert_eq!(health["status"], "ok", "{health}");
    assert!(central.is_running());
}

/// What `mallbots-central dlq replay SEQ` printed, as JSON. While the event stream's msg-id
/// window still remembers an original taken out of the log (`dlq.dedup_window`), it is run
/// again, for up to 10 s.
fn replay(url: &str, root: &str, prefix: &str, seq: u64) -> serde_json::Value {
    let bin = mallbots_tests::procs::binary(CENTRAL).expect("mallbots-central built");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = std::process::Command::new(&bin)
            .args([
                "--nats",
                url,
                "--subject-root",
                root,
                "--stream-prefix",
                prefix,
            ])
            .args(["dlq", "replay", &seq.to_string()])
            .output()
            .expect("run mallbots-central dlq replay");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            return serde_json::from_slice(&out.stdout).expect("replay prints JSON");
        }
        assert!(
            stderr.contains("dlq.dedup_window") && Instant::now() < deadline,
            "dlq replay {seq}: {stderr}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The DLQ entries of `consumer`: (DLQ sequence, original sequence, error).
async fn entries_of(
    js: &jetstream::Context,
    prefix: &str,
    consumer: &str,
) -> Vec<(u64, u64, String)> {
    let s = js.get_stream(format!("{prefix}DLQ")).await.unwrap();
    let state = s.get_info().await.unwrap().state;
    let mut out = Vec::new();
    if state.messages == 0 {
        return out;
    }
    for seq in state.first_sequence..=state.last_sequence {
        let Ok(m) = s.get_raw_message(seq).await else {
            continue;
        };
        let h = |name: &str| {
            m.headers
                .get(name)
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default()
        };
        if h(dlq::H_CONSUMER) == consumer {
            out.push((
                seq,
                h(dlq::H_SEQUENCE).parse().unwrap_or(0),
                h(dlq::H_ERROR),
            ));
        }
    }
    out
}

/// Messages that reach past the decoder:
/// * a header block no client library can parse, on a command subject and on a catalog
///   subject a kiosk syncs: async-nats drops the connection it arrives on, so central's worker
///   never sees it. Central must dead-letter it with its reason (its sweep finds the consumer
///   stalled on it and reads it through the JSON `STREAM.MSG.GET` API) and take it out of its
///   stream, keep answering, and the kiosk must get past it within [`DEVICE_GETS_PAST`]; the
///   same on a subject only the kiosk reads, where no central delivery (and so no
///   max-deliveries advisory) exists and only the sweep can find it;
/// * a message of exactly `max_payload` (its dead-letter copy, with the `Mallbots-Dlq-*`
///   headers, cannot be that large): dead-lettered as a cut copy flagged `Mallbots-Dlq-Truncated`;
/// * replays of event-log dead letters: one whose original is still in the log is a no-op,
///   one taken out of the log (the unreadable header block, its good header lines kept) lands
///   at its place with its original msg-id and is then read by central.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparseable_headers_and_max_size_messages_do_not_wedge_central() {
    let dir = tempfile::tempdir().unwrap();
    let server = nats_with_max_payload(dir.path());
    let (root, prefix) = ("mh", "mh_");
    let mut central = Proc::builder(CENTRAL)
        .args(["--nats", &server.url(), "--http", "127.0.0.1:0"])
        .args(["--subject-root", root, "--stream-prefix", prefix])
        .args(["--roles", "saga"])
        .env("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "2000")
        .env("MALLBOTS__TOPOLOGY__BACKOFF_MS", "200,400")
        .env("MALLBOTS__TOPOLOGY__MAX_DELIVER", "3")
        .env("MALLBOTS__TOPOLOGY__DUPLICATE_WINDOW_MS", "1000")
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
    use futures::StreamExt;
    assert!(ping("before").await, "central answers");
    let bad_block = format!("NATS/1.0\r\n{UNPARSEABLE_HEADER_LINE}\r\n\r\n");
    let gone = |stream: String, seq: u64| {
        let js = js.clone();
        async move {
            let s = js.get_stream(stream).await.unwrap();
            s.get_raw_message(seq).await.is_err()
        }
    };

    // On a command subject: central's own consumer.
    raw_hpub(
        server.port(),
        &format!("{root}.cmd.diag.ping"),
        &bad_block,
        br#"{"id":"hdr"}"#,
    );
    let header_dead_lettered = within(Duration::from_secs(30), || async {
        !entries_of(&js, prefix, "cmd-diag").await.is_empty()
    })
    .await;
    let diag = entries_of(&js, prefix, "cmd-diag").await;
    let header_reason = diag.first().map(|e| e.2.clone()).unwrap_or_default();
    let header_removed = match diag.first() {
        Some(e) => gone(format!("{prefix}COMMANDS"), e.1).await,
        None => false,
    };
    let header_disconnects = central.logs().matches("event=disconnected").count();
    let header_ok = ping("after-bad-header").await;

    // On a catalog subject, read by central's catalog view and by a kiosk: the kiosk must get
    // past it and apply what a manager writes after it.
    let kiosk = device(dir.path(), "k9", root, Role::Kiosk);
    let events = format!("{prefix}EVENTS");
    let engine_k = engine(&kiosk, &settings(&events)).expect("engine");
    let link_k = engine_k
        .connect(&NatsTarget::new(server.url()))
        .await
        .expect("link");
    engine_k.sync_once(&link_k).await.expect("first sync");
    raw_hpub(
        server.port(),
        &format!(
            "{root}.ev.catalog.{}.product.{}",
            Uuid::now_v7(),
            Uuid::now_v7()
        ),
        &bad_block,
        b"{}",
    );
    let manager = device(dir.path(), "m9", root, Role::Manager);
    let after = manager.create_store("After", "L2").expect("a store");
    let engine_m = engine(&manager, &settings(&events)).expect("engine");
    let link_m = engine_m
        .connect(&NatsTarget::new(server.url()))
        .await
        .expect("link");
    // The manager only relays (its own catalog consumer would meet the same message).
    engine_m
        .relay(&link_m)
        .await
        .expect("the manager publishes its store");
    let passes_failed = std::sync::atomic::AtomicU64::new(0);
    let passes_hung = std::sync::atomic::AtomicU64::new(0);
    let edge_started = Instant::now();
    let edge_got_past = within(DEVICE_GETS_PAST, || async {
        // A pass whose fetch meets the message loses its connection and its pull request
        // with it; a no-wait fetch then waits for ever (sync engine, h-syncsec's side): the
        // pass is abandoned after 10 s and the next one starts, as a watch loop's heartbeat
        // would.
        match tokio::time::timeout(Duration::from_secs(10), engine_k.sync_once(&link_k)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => {
                passes_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(_) => {
                passes_hung.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        kiosk.clear_cache();
        kiosk.store(after.store_id).is_ok()
    })
    .await;
    let edge_seconds = edge_started.elapsed().as_secs_f64();
    let store_on_stream = subject_counts(
        &js,
        &events,
        &format!("{root}.ev.catalog.{0}.store.{0}", after.store_id),
    )
    .await
    .values()
    .sum::<u64>();
    let kiosk_consumer = {
        let mut c: jetstream::consumer::PullConsumer = js
            .get_consumer_from_stream("k9-catalog", &events)
            .await
            .expect("k9-catalog");
        let i = c.info().await.expect("info");
        json!({"pending": i.num_pending, "unacked": i.num_ack_pending,
               "redelivered": i.num_redelivered, "ack_floor": i.ack_floor.stream_sequence,
               "delivered": i.delivered.stream_sequence})
    };
    let catalog_dead_letters = entries_of(&js, prefix, "catalog-view").await.len()
        + entries_of(&js, prefix, "k9-catalog").await.len()
        + entries_of(&js, prefix, "m9-catalog").await.len();

    // On a subject only the kiosk reads here (central's `notifications` consumer exists, but no
    // replica of this run handles it): no central delivery, so no max-deliveries advisory;
    // only the sweep of stalled consumers can find it.
    let device_only = format!("{root}.ev.order.k9.{}", Uuid::now_v7());
    raw_hpub(server.port(), &device_only, &bad_block, b"{}");
    let sweep_started = Instant::now();
    let kiosk_orders_settled = || async {
        let mut c: jetstream::consumer::PullConsumer = js
            .get_consumer_from_stream("k9-orders", &events)
            .await
            .expect("k9-orders");
        let i = c.info().await.expect("info");
        i.num_pending == 0 && i.num_ack_pending == 0 && i.delivered.stream_sequence > 0
    };
    let sweep_got_past = within(DEVICE_GETS_PAST, || async {
        let _ = tokio::time::timeout(Duration::from_secs(10), engine_k.sync_once(&link_k)).await;
        !entries_of(&js, prefix, "k9-orders").await.is_empty() && kiosk_orders_settled().await
    })
    .await;
    let sweep_seconds = sweep_started.elapsed().as_secs_f64();
    let swept = entries_of(&js, prefix, "k9-orders").await;
    let swept_reason = swept.first().map(|e| e.2.clone()).unwrap_or_default();
    let swept_removed = match swept.first() {
        Some(e) => gone(events.clone(), e.1).await,
        None => false,
    };

    // Exactly max_payload on the wire (headers + payload).
    let mut h = HeaderMap::new();
    h.insert("Nats-Msg-Id", "max-size-1");
    let header_len = "NATS/1.0\r\nNats-Msg-Id: max-size-1\r\n\r\n".len();
    let body = format!(
        r#"{{"id":"big","pad":"{}"}}"#,
        "x".repeat(MAX_PAYLOAD - header_len - 21)
    );
    assert_eq!(body.len() + header_len, MAX_PAYLOAD);
    let big_len = body.len();
    let before = entries_of(&js, prefix, "cmd-diag").await.len();
    js.send_publish(
        format!("{root}.cmd.diag.ping"),
        PublishMessage::build().headers(h).payload(body.into()),
    )
    .await
    .expect("a max-size publish is accepted")
    .await
    .expect("stored");
    let big_ok = ping("after-max-size").await;
    let big_dead_lettered = within(Duration::from_secs(30), || async {
        entries_of(&js, prefix, "cmd-diag").await.len() > before
    })
    .await;
    let big_truncated = match entries_of(&js, prefix, "cmd-diag").await.last() {
        Some((seq, ..)) => {
            let s = js.get_stream(format!("{prefix}DLQ")).await.unwrap();
            let m = s.get_raw_message(*seq).await.unwrap();
            m.headers
                .get(dlq::H_TRUNCATED)
                .map(|v| v.as_str().to_owned())
        }
        None => None,
    };

    // Replays into the event log. (a) Its original still in the log: a no-op.
    let customer_subject = |id: Uuid| format!("{root}.ev.kiosk.k9.customer.{id}");
    let kept_id = Uuid::now_v7();
    let mut h = HeaderMap::new();
    h.insert("Mallbots-Event-Type", "CustomerRegistered");
    h.insert("Mallbots-Schema-Version", "1");
    js.send_publish(
        customer_subject(kept_id),
        PublishMessage::build()
            .headers(h)
            .message_id(Uuid::now_v7().to_string())
            .expected_last_subject_sequence(0)
            .payload(r#"{"type":"CustomerRegistered"}"#.into()),
    )
    .await
    .unwrap()
    .await
    .expect("stored");
    // (b) A valid registration whose header block has one unreadable line: dead-lettered,
    // taken out of the log, then replayed.
    let customer = Uuid::now_v7();
    let event_id = Uuid::now_v7();
    let registered = serde_json::to_vec(&CustomerEvent::CustomerRegistered {
        customer_id: CustomerId::from(customer),
        name: "Grace".into(),
        sms_number: "+15550100001".into(),
        at: Timestamp(now_ms()),
    })
    .unwrap();
    raw_hpub(
        server.port(),
        &customer_subject(customer),
        &format!(
            "NATS/1.0\r\nNats-Msg-Id: {event_id}\r\nNats-Expected-Last-Subject-Sequence: 0\r\n\
             Mallbots-Event-Type: CustomerRegistered\r\nMallbots-Schema-Version: 1\r\n\
             Mallbots-Stream-Type: customer\r\nMallbots-Stream-Id: {customer}\r\n\
             {UNPARSEABLE_HEADER_LINE}\r\n\r\n"
        ),
        &registered,
    );
    let view_entries = || async {
        let mut e = entries_of(&js, prefix, "customers-view").await;
        e.sort();
        e
    };
    let both = within(Duration::from_secs(30), || async {
        view_entries().await.len() >= 2
    })
    .await;
    assert!(
        both,
        "both customer messages dead-lettered: {:?}",
        view_entries().await
    );
    let entries = view_entries().await;
    let (kept, quarantined) = (&entries[0], &entries[1]);
    let no_op = replay(&server.url(), root, prefix, kept.0);
    let kept_count = subject_counts(&js, &events, &customer_subject(kept_id)).await;
    let landed = replay(&server.url(), root, prefix, quarantined.0);
    let customers = js
        .get_key_value(format!("{prefix}customers"))
        .await
        .unwrap();
    let customer_known = within(Duration::from_secs(30), || async {
        customers
            .get(format!("customer.{customer}"))
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let replayed_id = {
        let s = js.get_stream(&events).await.unwrap();
        let m = s
            .get_last_raw_message_by_subject(&customer_subject(customer))
            .await
            .expect("the replayed registration is in the log");
        m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned())
    };

    println!(
        "MALFORMED_EDGES {}",
        json!({"bad_header": {"central_disconnects": header_disconnects,
                              "dead_lettered": header_dead_lettered, "reason": header_reason,
                              "removed_from_stream": header_removed,
                              "central_answers_after": header_ok,
                              "edge_got_past": edge_got_past, "edge_seconds": edge_seconds,
                              "store_after_it_on_stream": store_on_stream,
                              "kiosk_consumer": kiosk_consumer,
                              "catalog_dead_letters": catalog_dead_letters,
                              "edge_sync_passes_failed": passes_failed.into_inner(),
                              "edge_sync_passes_hung": passes_hung.into_inner()},
               "device_only_bad_header": {"dead_letters": swept.len(), "reason": swept_reason,
                                          "removed_from_stream": swept_removed,
                                          "kiosk_got_past": sweep_got_past,
                                          "seconds": sweep_seconds},
               "max_size": {"central_answers_after": big_ok, "dead_lettered": big_dead_lettered,
                            "truncated_from": big_truncated},
               "replay": {"original_in_log": no_op, "original_removed": landed,
                          "customer_known_after": customer_known}})
    );
    assert!(central.is_running(), "{}", tail(&central));
    assert!(
        header_ok && big_ok,
        "central stopped answering:\n{}",
        tail(&central)
    );
    assert!(
        header_dead_lettered,
        "the bad header block was not dead-lettered"
    );
    assert!(
        header_reason.starts_with("headers.unparseable"),
        "reason: {header_reason}"
    );
    assert!(
        header_removed,
        "the unreadable message is still in its stream"
    );
    assert!(
        edge_got_past,
        "the kiosk did not get past the bad header block within {DEVICE_GETS_PAST:?}"
    );
    assert!(
        sweep_got_past,
        "a bad header block only a device reads was not swept within {DEVICE_GETS_PAST:?}"
    );
    assert_eq!(
        swept.len(),
        1,
        "one dead letter, under the device's consumer"
    );
    assert!(
        swept_reason.starts_with("headers.unparseable") && swept_reason.contains("sweep"),
        "reason: {swept_reason}"
    );
    assert!(swept_removed, "the swept message is still in the event log");
    assert!(big_dead_lettered, "max-size message not dead-lettered");
    assert_eq!(
        big_truncated,
        Some(big_len.to_string()),
        "flagged with the original payload's length"
    );
    assert!(kept.2.starts_with("decode"), "{kept:?}");
    assert!(
        quarantined.2.starts_with("headers.unparseable"),
        "{quarantined:?}"
    );
    assert_eq!(no_op["duplicate"], true, "{no_op}");
    assert_eq!(
        kept_count.values().sum::<u64>(),
        1,
        "the no-op appended nothing"
    );
    assert_eq!(landed["duplicate"], false, "{landed}");
    assert_eq!(
        replayed_id,
        Some(event_id.to_string()),
        "the original msg-id"
    );
    assert!(customer_known, "central read the replayed registration");
    let left: Vec<u64> = view_entries().await.iter().map(|e| e.0).collect();
    assert_eq!(
        left,
        vec![kept.0],
        "a landed replay removes its entry, a no-op keeps it"
    );
}

/// An event above the server's `max_payload` in a device's outbox must not stop the rest of
/// the outbox. The domain caps names, so no command makes such an event any more: this test
/// appends one through the store API directly (`SqliteStore::append`, bypassing the domain's
/// limits, as an older build, a bug or a hand-edited database could), in front of a normal
/// store the manager then creates. Asserted on outcome: the small store reaches the stream and
/// the big row is not left in front of it (whether it is quarantined or retried is the relay's
/// business).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_above_max_payload_does_not_stop_the_device_syncing() {
    let dir = tempfile::tempdir().unwrap();
    let server = nats_with_max_payload(dir.path());
    let (root, stream) = ("ob", "ob_EVENTS");
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    js.create_stream(jetstream::stream::Config {
        name: stream.into(),
        subjects: vec![format!("{root}.ev.>")],
        ..Default::default()
    })
    .await
    .expect("events stream");
    // The device's database exists (its schema made by the app), then the big event is
    // appended behind its back.
    drop(device(dir.path(), "m7", root, Role::Manager));
    let huge_id = Uuid::now_v7();
    let huge_name = "Ω".repeat(MAX_PAYLOAD);
    {
        let mut store = SqliteStore::open(
            dir.path().join("m7.db"),
            mallbots_edge::projections::MIGRATIONS,
        )
        .expect("open the device's store");
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "StoreCreated".into(),
            schema_version: 1,
            payload: json!({"type": "StoreCreated", "store_id": huge_id, "name": huge_name,
                            "location": "L0", "at": now_ms()}),
            metadata: Default::default(),
            occurred_at: now_ms(),
            subject: Some(format!("{root}.ev.catalog.{huge_id}.store.{huge_id}")),
        };
        store
            .append(AppendRequest::new(
                "store",
                huge_id.to_string(),
                0,
                vec![event],
            ))
            .expect("appended through the store API");
    }
    let manager = device(dir.path(), "m7", root, Role::Manager);
    let small = manager.create_store("Small", "L1").expect("a normal store");
    let engine = engine(&manager, &settings(stream)).expect("engine");
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
    let huge_subject = format!("{root}.ev.catalog.{huge_id}.store.{huge_id}");
    let huge_on_stream = subject_counts(&js, stream, &huge_subject)
        .await
        .values()
        .sum::<u64>();
    let pending = manager.local_counts().expect("counts").outbox_pending;
    println!(
        "OVERSIZED_EVENT {}",
        json!({"small_store_published": published > 0, "huge_on_stream": huge_on_stream,
               "outbox_pending": pending, "sync_errors": errors})
    );
    assert_eq!(
        huge_on_stream, 0,
        "an event above max_payload cannot be stored"
    );
    assert!(
        published > 0,
        "the small store never synced behind the big row: {errors:?}"
    );
    assert!(
        pending <= 1,
        "only the big row may stay unpublished: {pending}"
    );
}
