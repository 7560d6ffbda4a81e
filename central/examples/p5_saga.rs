//! P5 (docs/architecture.md §8): saga efficiency. In one run against one nats-server:
//!
//! 1. the raw publish rate: async-nats publishes of a saga-command-sized payload with msg-id and
//!    headers, `window` acks in flight (the worker's batch), to a scratch stream;
//! 2. the saga with one replica, then with two replicas (in this process, each with its own NATS
//!    connection, roles saga + payments + depot): `orders` kiosk `OrderCreated` events published
//!    at once, timed until every saga has approved its order;
//! 3. JetStream operations per order: every message the replicas' clients sent to the server
//!    (publishes, acks, direct gets, KV reads and writes, pull requests) plus the kiosk's
//!    publish, divided by the orders.
//!
//! Ratio = orders/s × ops/order ÷ raw publish rate (target ≥ 0.3), and two replicas ÷ one
//! (target ≥ 0.9; one machine has no spare cores). Prints a table and `BENCH_JSON` lines
//! (`scripts/bench_report.py`).
//!
//! `cargo run --release -p mallbots-central --example p5_saga -- [NATS_URL] [ORDERS] [WINDOW]
//! [--scale]` (defaults `nats://127.0.0.1:4222`, 1000, 64); needs nats-server ≥ 2.12. With
//! `--scale` (NATS_URL a 3-node cluster, comma-separated) it prints the scale row instead: one,
//! two and three replicas on R3 streams and buckets.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;
use mallbots_central::platform::config::Settings;
use mallbots_central::platform::metrics::SENT;
use mallbots_central::platform::service::{self, Runtime};
use mallbots_central::platform::ServiceRole;
use mallbots_central::roles::saga::runner::SAGA_KV_OPS;
use mallbots_domain::customers::CustomerEvent;
use mallbots_domain::ids::*;
use mallbots_domain::ordering::{OrderEvent, OrderItem};
use mallbots_domain::products::ProductEvent;
use mallbots_domain::stores::StoreEvent;
use mallbots_domain::{Currency, DomainEvent, Money, Timestamp};
use uuid::Uuid;

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn now() -> Timestamp {
    Timestamp::from_millis(mallbots_central::platform::envelope::now_ms())
}

/// Raw publishes per second with `window` acks in flight, to a stream of `replicas` replicas.
async fn raw_rate(
    js: &jetstream::Context,
    prefix: &str,
    n: usize,
    window: usize,
    replicas: usize,
) -> AnyResult<f64> {
    let name = format!("{prefix}RAW");
    js.create_stream(stream::Config {
        name: name.clone(),
        subjects: vec![format!("{prefix}raw.>")],
        num_replicas: replicas,
        ..Default::default()
    })
    .await?;
    let payload = bytes::Bytes::from(vec![b'x'; 420]);
    let started = Instant::now();
    let mut acks = std::collections::VecDeque::new();
    for i in 0..n {
        let mut h = HeaderMap::new();
        h.insert("Nats-Msg-Id", Uuid::now_v7().to_string().as_str());
        h.insert("Mallbots-Event-Type", "Raw");
        let ack = js
            .publish_with_headers(format!("{prefix}raw.{}", i % 1000), h, payload.clone())
            .await?;
        acks.push_back(ack);
        if acks.len() >= window {
            acks.pop_front().expect("ack").await?;
        }
    }
    for ack in acks {
        ack.await?;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    js.delete_stream(&name).await?;
    Ok(rate)
}

struct Kiosk {
    js: jetstream::Context,
    root: String,
}

impl Kiosk {
    async fn append<E: DomainEvent>(&self, tail: &str, event: &E) -> AnyResult<()> {
        let subject = format!("{}.{tail}", self.root);
        let mut h = HeaderMap::new();
        h.insert("Mallbots-Event-Type", event.event_type());
        h.insert("Mallbots-Device", "bench");
        let msg = jetstream::message::PublishMessage::build()
            .headers(h)
            .payload(serde_json::to_vec(event)?.into())
            .message_id(Uuid::now_v7().to_string());
        self.js.send_publish(subject, msg).await?.await?;
        Ok(())
    }
}

/// What one saga run measured.
struct SagaRun {
    orders_per_s: f64,
    ops_per_order: f64,
    publishes_per_order: f64,
    saga_kv_per_order: f64,
}

/// Runs `replicas` in-process replicas against `orders` orders, streams and buckets with
/// `stream_replicas` replicas.
async fn saga_run(
    url: &str,
    replicas: usize,
    orders: usize,
    stream_replicas: usize,
) -> AnyResult<SagaRun> {
    let n = rand_suffix();
    let root = format!("p5r{n}");
    let prefix = format!("p5r{n}_");
    let mut settings = Settings::default();
    settings.nats.url = url.to_string();
    settings.roles = vec![ServiceRole::Saga, ServiceRole::Payments, ServiceRole::Depot];
    settings.topology.subject_root = root.clone();
    settings.topology.stream_prefix = prefix.clone();
    settings.topology.replicas = stream_replicas;
    let runtimes: Arc<Mutex<Vec<Runtime>>> = Arc::default();
    let mut stops = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..replicas {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        stops.push(tx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let slot = runtimes.clone();
        let s = settings.clone();
        handles.push(tokio::spawn(async move {
            let setup = move |rt: &Runtime, reg: &mut mallbots_central::HandlerRegistry| {
                slot.lock().expect("slot").push(rt.clone());
                mallbots_central::app::setup(rt, reg);
            };
            service::run(s, listener, setup, async {
                let _ = rx.await;
            })
            .await
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while runtimes.lock().expect("slot").len() < replicas {
        if Instant::now() > deadline {
            return Err("replicas did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rts = runtimes.lock().expect("slot").clone();
    let client = connect(url).await?;
    let kiosk = Kiosk {
        js: jetstream::new(client),
        root: root.clone(),
    };
    // Catalog and customer, then wait for the views.
    let store = StoreId(Uuid::now_v7());
    let at = now();
    let st = format!("ev.catalog.{store}.store.{store}");
    kiosk
        .append(
            &st,
            &StoreEvent::StoreCreated {
                store_id: store,
                name: "S".into(),
                location: "L".into(),
                at,
            },
        )
        .await?;
    kiosk
        .append(
            &st,
            &StoreEvent::StoreParticipationEnabled {
                store_id: store,
                at,
            },
        )
        .await?;
    let product = ProductId::for_sku(store, "P-1");
    kiosk
        .append(
            &format!("ev.catalog.{store}.product.{product}"),
            &ProductEvent::ProductAdded {
                product_id: product,
                store_id: store,
                sku: "P-1".into(),
                name: "Tea".into(),
                description: String::new(),
                price: Money::new(250, Currency::default()),
                at,
            },
        )
        .await?;
    let customer = CustomerId(Uuid::now_v7());
    kiosk
        .append(
            &format!("ev.kiosk.bench.customer.{customer}"),
            &CustomerEvent::CustomerRegistered {
                customer_id: customer,
                name: "Ada".into(),
                sms_number: "+15550104477".into(),
                at,
            },
        )
        .await?;
    let kv = kiosk.js.get_key_value(format!("{prefix}catalog")).await?;
    let kvc = kiosk.js.get_key_value(format!("{prefix}customers")).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while kv.get(format!("product.{product}")).await?.is_none()
        || kvc.get(format!("customer.{customer}")).await?.is_none()
        || !kv
            .get(format!("store.{store}"))
            .await?
            .is_some_and(|v| String::from_utf8_lossy(&v).contains("ParticipationEnabled"))
    {
        if Instant::now() > deadline {
            return Err("views not ready".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent_before: u64 = rts.iter().map(out_messages).sum();
    let publishes_before: u64 = rts.iter().map(|rt| counter(rt, SENT)).sum();
    let kv_before: u64 = rts.iter().map(|rt| counter(rt, SAGA_KV_OPS)).sum();
    let approved_before: u64 = rts.iter().map(approved).sum();
    let started = Instant::now();
    let mut acks = std::collections::VecDeque::new();
    for _ in 0..orders {
        let order = OrderId(Uuid::now_v7());
        let event = OrderEvent::OrderCreated {
            order_id: order,
            customer_id: customer,
            device_id: Some("bench".into()),
            items: vec![OrderItem {
                product_id: product,
                store_id: store,
                store_name: "S".into(),
                product_name: "Tea".into(),
                price: Money::new(250, Currency::default()),
                quantity: 1,
            }],
            total: Money::new(250, Currency::default()),
            payment_token: "tok_visa".into(),
            pickup_code: None,
            at: now(),
        };
        let msg = jetstream::message::PublishMessage::build()
            .payload(serde_json::to_vec(&event)?.into())
            .message_id(Uuid::now_v7().to_string())
            .expected_last_subject_sequence(0);
        acks.push_back(
            kiosk
                .js
                .send_publish(format!("{root}.ev.kiosk.bench.order.{order}"), msg)
                .await?,
        );
        if acks.len() >= 64 {
            acks.pop_front().expect("ack").await?;
        }
    }
    for ack in acks {
        ack.await?;
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done: u64 = rts.iter().map(approved).sum::<u64>() - approved_before;
        if done >= orders as u64 {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("only {done} of {orders} approved").into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let sent: u64 = rts.iter().map(out_messages).sum::<u64>() - sent_before;
    let publishes: u64 = rts.iter().map(|rt| counter(rt, SENT)).sum::<u64>() - publishes_before;
    let kv: u64 = rts.iter().map(|rt| counter(rt, SAGA_KV_OPS)).sum::<u64>() - kv_before;
    for stop in stops {
        let _ = stop.send(());
    }
    for h in handles {
        let _ = h.await;
    }
    let n = orders as f64;
    Ok(SagaRun {
        orders_per_s: n / elapsed,
        ops_per_order: (sent as f64 + n) / n,
        publishes_per_order: publishes as f64 / n,
        saga_kv_per_order: kv as f64 / n,
    })
}

fn counter(rt: &Runtime, name: &'static str) -> u64 {
    rt.metrics.counter_total(name)
}

fn out_messages(rt: &Runtime) -> u64 {
    rt.client
        .statistics()
        .out_messages
        .load(std::sync::atomic::Ordering::Relaxed)
}

fn approved(rt: &Runtime) -> u64 {
    rt.metrics.counter(
        mallbots_central::platform::metrics::SAGA_OUTCOMES,
        &[("outcome", "approved")],
    )
}

/// Connects to one server or to a cluster given as comma-separated URLs.
async fn connect(url: &str) -> AnyResult<async_nats::Client> {
    let addrs = url
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<async_nats::ServerAddr>, _>>()?;
    Ok(async_nats::connect(addrs).await?)
}

fn rand_suffix() -> u32 {
    (Uuid::now_v7().as_u128() as u32) ^ std::process::id()
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    let orders: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let window: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let client = connect(&url).await?;
    let js = jetstream::new(client);
    let prefix = format!("p5raw{}_", rand_suffix());
    if args.next().as_deref() == Some("--scale") {
        return scale(&js, &url, orders, window, &prefix).await;
    }
    let raw_before = raw_rate(&js, &prefix, 20_000, window, 1).await?;
    let one = saga_run(&url, 1, orders, 1).await?;
    let two = saga_run(&url, 2, orders, 1).await?;
    let raw_after = raw_rate(&js, &format!("{prefix}b"), 20_000, window, 1).await?;
    let raw = (raw_before + raw_after) / 2.0;
    let (one_rate, one_ops) = (one.orders_per_s, one.ops_per_order);
    let (two_rate, two_ops) = (two.orders_per_s, two.ops_per_order);
    let ratio_one = one_rate * one_ops / raw;
    let ratio_two = two_rate * two_ops / raw;
    let scaling = two_rate / one_rate;
    println!("P5 saga efficiency ({orders} orders, raw window {window})");
    println!(
        "  raw publish rate   {raw:>10.0} msg/s (before {raw_before:.0}, after {raw_after:.0})"
    );
    for (label, r, ratio) in [
        ("one replica ", &one, ratio_one),
        ("two replicas", &two, ratio_two),
    ] {
        println!(
            "  {label}       {:>10.1} orders/s  {:>5.1} JS ops/order ({:.1} publishes, {:.1} saga KV)  ratio {ratio:.3}",
            r.orders_per_s, r.ops_per_order, r.publishes_per_order, r.saga_kv_per_order
        );
    }
    println!("  two / one          {scaling:>10.3} (targets: ratio >= 0.3, two/one >= 0.9)");
    let json = serde_json::json!({
        "id": "P5", "what": "saga orders/s x JS ops/order (one replica)", "value": one_rate * one_ops,
        "unit": "ops/s", "baseline": raw, "baseline_what": "raw async publish, same window",
        "ratio": ratio_one, "target": ">= 0.3",
        "extra": {"orders": orders, "window": window, "one_rate": one_rate, "one_ops": one_ops,
                  "two_rate": two_rate, "two_ops": two_ops, "two_over_one": scaling}
    });
    println!("BENCH_JSON {json}");
    let json2 = serde_json::json!({
        "id": "P5", "what": "saga orders/s, two replicas vs one", "value": two_rate,
        "unit": "orders/s", "baseline": one_rate, "baseline_what": "one replica",
        "ratio": scaling, "target": ">= 0.9"
    });
    println!("BENCH_JSON {json2}");
    Ok(())
}

/// The scale row (`--scale`, on a 3-node cluster: `scale_cluster` in the tests crate starts
/// one): one, two and three replicas on R3 streams and buckets, each with its orders/s and the
/// JetStream cost of an order, against raw R3 publishes measured before and after.
async fn scale(
    js: &jetstream::Context,
    url: &str,
    orders: usize,
    window: usize,
    prefix: &str,
) -> AnyResult<()> {
    const R: usize = 3;
    let raw_before = raw_rate(js, prefix, 10_000, window, R).await?;
    let mut runs = Vec::new();
    for replicas in 1..=3 {
        runs.push((replicas, saga_run(url, replicas, orders, R).await?));
    }
    let raw_after = raw_rate(js, &format!("{prefix}b"), 10_000, window, R).await?;
    let raw = (raw_before + raw_after) / 2.0;
    let one = runs[0].1.orders_per_s;
    println!("Scale: {orders} orders approved, 3-node cluster, R{R} streams and buckets");
    println!(
        "  raw R{R} publish rate {raw:>8.0} msg/s (before {raw_before:.0}, after {raw_after:.0})"
    );
    for (replicas, r) in &runs {
        let ratio = r.orders_per_s * r.ops_per_order / raw;
        println!(
            "  {replicas} replica(s)   {:>8.1} orders/s ({:.2}x one)  {:>5.1} JS ops/order ({:.1} publishes, {:.1} saga KV)  ratio {ratio:.3}",
            r.orders_per_s, r.orders_per_s / one, r.ops_per_order, r.publishes_per_order, r.saga_kv_per_order
        );
        let json = serde_json::json!({
            "id": "Scale", "what": format!("saga orders/s, {replicas} replica(s), 3 nodes R{R}"),
            "value": r.orders_per_s, "unit": "orders/s", "baseline": raw,
            "baseline_unit": "msg/s", "baseline_what": "raw async publish to an R3 stream, same window",
            "ratio": ratio, "target": "report (issue 13 item 6)",
            "extra": {"replicas": replicas, "stream_replicas": R, "orders": orders,
                      "ops_per_order": r.ops_per_order, "publishes_per_order": r.publishes_per_order,
                      "saga_kv_per_order": r.saga_kv_per_order, "over_one": r.orders_per_s / one}
        });
        println!("BENCH_JSON {json}");
    }
    Ok(())
}
