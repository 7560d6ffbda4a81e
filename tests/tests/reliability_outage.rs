//! Reliability (issue 7): NATS is stopped for 60 s while a kiosk takes 500 orders through the
//! real Edge API, its sync engine running in the background (offline, retrying with backoff);
//! then the server is started again on the same port with the same store directory. Every order
//! must reach central exactly once and come back to the kiosk with its final status, driven by a
//! real `mallbots-central` (saga, payments, depot, bot simulator) that lived through the outage
//! too.
//!
//! The outage lasts `MALLBOTS_OUTAGE_SECS` (default 60: the suite's figure; shorter for local
//! runs). Orders are spread evenly over the outage (seeded quantities). Replay a run with
//! `MALLBOTS_FAULT_SEED=<seed>`. Needs the binary: `cargo build -p mallbots-central` first.
//!
//! As it ships (docs/architecture.md §9): NATS runs with the generated authorization, central with its
//! credentials, the manager and the kiosk enrolled by `mallbots-central enroll`; the kiosk's
//! engine syncs with its credentials file, within its permissions.

use std::time::{Duration, Instant};

use mallbots_edge::sync::engine;
use mallbots_tests::faults::audit::{audit, Scope};
use mallbots_tests::faults::central::CentralSpec;
use mallbots_tests::faults::world::{
    kiosk, seed_catalog, settings, take_order, target, wait_final,
};
use mallbots_tests::faults::{env_secs, log_tail, seeded_rng, wait_until, Figures};
use mallbots_tests::nats::NatsServer;
use rand::Rng;

const ORDERS: usize = 500;
const DEVICE: &str = "k1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_orders_taken_during_a_nats_outage_all_arrive_once() {
    let started = Instant::now();
    let (seed, mut rng) = seeded_rng("outage");
    let outage = env_secs("MALLBOTS_OUTAGE_SECS", Duration::from_secs(60));
    let mut server = NatsServer::start_with_auth("").unwrap();
    let url = server.url();
    let n: u32 = rng.gen();
    let (root, prefix) = (format!("ro{n}"), format!("ro{n}_"));
    let stream = format!("{prefix}EVENTS");
    let spec = CentralSpec::new(&url, &root, &prefix, "saga,payments,depot,bots-sim", 1)
        .with_creds(server.central_creds());
    let central = spec.spawn_ready(Duration::from_secs(30)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog = seed_catalog(dir.path(), &server, &url, &root, &stream)
        .await
        .unwrap();
    let kiosk = kiosk(dir.path(), DEVICE, &server, &url, &root, &stream, catalog)
        .await
        .unwrap();
    let (edge, customer) = (kiosk.edge, kiosk.customer);

    let sync = engine(&edge, &settings(&stream))
        .unwrap()
        .spawn(target(&url, &kiosk.creds));
    wait_until(Duration::from_secs(30), "sync engine online", || {
        sync.engine().is_online().then_some(())
    })
    .unwrap();

    server.stop();
    let down_at = Instant::now();
    println!("nats stopped; taking {ORDERS} orders over {outage:?}");
    let mut orders = Vec::with_capacity(ORDERS);
    let spacing = outage.mul_f64(0.9) / ORDERS as u32;
    for i in 0..ORDERS {
        tokio::time::sleep_until((down_at + spacing * i as u32).into()).await;
        let qty = rng.gen_range(1..=3);
        orders.push(take_order(&edge, customer, catalog.product, qty).unwrap());
    }
    assert!(server.url() == url && !server.is_running());
    let offline_status = sync.engine().status().await.unwrap();
    assert!(!offline_status.online, "offline during the outage");
    assert!(
        offline_status.waiting >= ORDERS as u64,
        "{offline_status:?}"
    );
    tokio::time::sleep_until((down_at + outage).into()).await;
    server.restart().unwrap();
    let up_at = Instant::now();
    println!(
        "nats restarted after {:.1}s",
        down_at.elapsed().as_secs_f64()
    );
    wait_until(Duration::from_secs(60), "sync engine back online", || {
        sync.engine().is_online().then_some(())
    })
    .unwrap();
    let reconnect = up_at.elapsed().as_secs_f64();
    let counts = wait_final(&edge, ORDERS, Duration::from_secs(240), |c| {
        println!("settling: {c:?}");
    });
    let drained = up_at.elapsed().as_secs_f64();
    if let Err(e) = &counts {
        eprintln!(
            "seed {seed}: {e}\n--- central ---\n{}",
            log_tail(&central, 40)
        );
    }
    sync.shutdown().await;

    let js = async_nats::jetstream::new(server.central_client().await.unwrap());
    let scope = Scope {
        root: &root,
        prefix: &prefix,
        device: DEVICE,
    };
    let reported: Vec<String> = orders.iter().map(ToString::to_string).collect();
    let a = audit(&edge, &js, &scope, &reported).await.unwrap();
    let mut f = Figures::new("outage", seed);
    f.ops = orders.len() as u64;
    f.faults = 1;
    f.seconds = started.elapsed().as_secs_f64();
    f.extra
        .insert("outage_seconds".into(), outage.as_secs().into());
    f.extra
        .insert("reconnect_seconds".into(), round(reconnect).into());
    f.extra
        .insert("drain_seconds".into(), round(drained).into());
    a.record(&mut f);
    f.print();
    if !a.is_clean() {
        let kept = dir.keep();
        let _ = std::fs::copy(central.log_path(), kept.join("central.log"));
        eprintln!("seed {seed}: kept {}", kept.display());
    }
    a.assert_clean(seed);
    counts.unwrap();
    assert_eq!(
        a.orders, ORDERS,
        "seed {seed}: the kiosk holds exactly the orders taken"
    );
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
