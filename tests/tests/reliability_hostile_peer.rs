//! Reliability (issue 12): hostile peers with valid credentials, under the product's own
//! wiring (docs/architecture.md §9). NATS runs with the authorization `mallbots-central auth init` generates
//! (max_payload 64 KiB), central with its credentials, every device enrolled with
//! `mallbots-central enroll`. An honest manager (`mh`, store Deli) and an honest kiosk (`kh`)
//! are driven through the `mallbots` CLI only; a hostile kiosk (`kx`) and a hostile manager of
//! the same store (`mx`) connect with their own credentials and:
//!
//! * flood every subject their permissions allow that central reads (kiosk: its `order`,
//!   `orderreq` and `customer` subjects, and `basket`, which nobody reads; manager: Deli's
//!   catalog, its `pickupreq` and `stopreq` subjects) with the nine classes of bad message of
//!   `reliability_malformed` (not JSON, truncated, wrong schema, unknown type, newer schema,
//!   just under max_payload, broken headers, invalid UTF-8, deep nesting), each with forged
//!   metadata (`Mallbots-Device: central`, foreign stream ids);
//! * replay messages (same `Nats-Msg-Id` again), send over max_payload, send valid events that
//!   name the honest kiosk's order (a cancel on `kx`'s own subject, an `OrderCreated` with the
//!   honest order's id), and a 32 KiB header value;
//! * try what their permissions do not allow: another device's subjects, central's subjects,
//!   another store's catalog, stream creation, the unscoped direct get, KV.
//!
//! Then: every forbidden attempt was refused and stored nothing; central dead-lettered each
//! flooded message once per consumer that reads its subject, with a reason, and refused the
//! forged requests (dead-lettered with their codes); the honest kiosk's orders, placed before,
//! during and after the flood, all reach ready, unchanged; central is still up; and no
//! password of any credentials file appears in the nats-server log, central's log, the CLI's
//! output or `mallbots status --json`. One `RELIABILITY {…}` line.
//!
//! Needs the binaries: `cargo build -p mallbots-central -p mallbots-edge` first.

use async_nats::HeaderMap;
use mallbots_tests::faults::malformed::counting::dead_letters;
use mallbots_tests::faults::malformed::generators::{bad_message, Family};
use mallbots_tests::faults::malformed::MAX_PAYLOAD;
use mallbots_tests::faults::{seeded_rng, Figures};
use mallbots_tests::nats::{connect_with, Enrollment, NatsServer};
use mallbots_tests::procs::{binary, Proc, CENTRAL, EDGE_CLI};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ROOT: &str = "hp";
const STREAM: &str = "EVENTS";
/// Bad messages per flooded subject family.
const PER_FAMILY: usize = 45;

/// The CLI over one temp folder; every output is kept for the credentials check.
struct Cli {
    dir: PathBuf,
    url: String,
    outputs: std::cell::RefCell<String>,
}

impl Cli {
    fn run(&self, device: &str, args: &[&str]) -> Result<Value, Value> {
        let out = Command::new(binary(EDGE_CLI).expect("mallbots binary"))
            .arg("--db")
            .arg(self.dir.join(format!("{device}.db")))
            .args(["--device", device, "--subject-root", ROOT, "--user", "ana"])
            .arg("--json")
            .args(args)
            .output()
            .expect("run mallbots");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        self.outputs
            .borrow_mut()
            .push_str(&format!("{stdout}\n{stderr}\n"));
        let value = serde_json::from_str(stdout.trim()).unwrap_or(Value::String(stdout));
        if out.status.success() {
            Ok(value)
        } else {
            Err(value)
        }
    }

    fn ok(&self, device: &str, args: &[&str]) -> Value {
        self.run(device, args)
            .unwrap_or_else(|e| panic!("{device} {args:?}: {e}"))
    }

    fn sync(&self, device: &str) {
        self.ok(device, &["sync", "--nats", &self.url, "--stream", STREAM]);
    }

    fn status(&self, device: &str, order: &str) -> String {
        self.ok(device, &["order", "show", order])["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

fn id(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
        .to_owned()
}

fn family(
    subject: impl Fn(usize) -> String + Send + 'static,
    central: &'static [&'static str],
    stream_type: &'static str,
    event_type: &'static str,
) -> Family {
    Family {
        subject: Box::new(subject),
        count: PER_FAMILY,
        central,
        devices: &[],
        stream_type,
        event_type,
    }
}

/// Publishes through `js` (a hostile device's own connection): `Ok` when the stream stored it.
async fn publish(
    js: &async_nats::jetstream::Context,
    subject: String,
    headers: HeaderMap,
    payload: Vec<u8>,
) -> Result<(), String> {
    let ack = js
        .publish_with_headers(subject, headers, payload.into())
        .await
        .map_err(|e| e.to_string())?;
    ack.await.map(|_| ()).map_err(|e| e.to_string())
}

/// A context whose acks time out after a second (a forbidden publish gets no ack).
fn context(client: async_nats::Client) -> async_nats::jetstream::Context {
    async_nats::jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(1))
        .build(client)
}

/// Whether the stream holds a message with `msg_id` on `subject`.
async fn stored_with_id(js: &async_nats::jetstream::Context, subject: &str, msg_id: &str) -> bool {
    let stream = js.get_stream(STREAM).await.expect("events stream");
    let mut next = 1;
    while let Ok(m) = stream
        .direct_get_next_for_subject(subject, Some(next))
        .await
    {
        if m.headers.get("Nats-Msg-Id").map(|v| v.as_str()) == Some(msg_id) {
            return true;
        }
        next = m.sequence + 1;
    }
    false
}

/// A well-formed `OrderCreated` (the domain's own serialization) for `order`.
fn order_created(order: &str, customer: &str, product: &str, store: &str) -> Value {
    use mallbots_domain::ordering::{OrderEvent, OrderItem};
    use mallbots_domain::{Money, Timestamp};
    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> T {
        serde_json::from_value(json!(s)).expect("an id")
    }
    let event = OrderEvent::OrderCreated {
        order_id: parse(order),
        customer_id: parse(customer),
        device_id: Some("kh".into()),
        items: vec![OrderItem {
            product_id: parse(product),
            store_id: parse(store),
            store_name: "Deli".into(),
            product_name: "Soup".into(),
            price: Money::usd(450),
            quantity: 1,
        }],
        total: Money::usd(450),
        payment_token: "tok_visa".into(),
        pickup_code: None,
        at: Timestamp::from_millis(1_700_000_000_000),
    };
    serde_json::to_value(event).expect("json")
}

fn envelope(event_type: &str, stream_type: &str, stream_id: &str, device: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("Nats-Msg-Id", uuid::Uuid::now_v7().to_string().as_str());
    h.insert("Mallbots-Event-Type", event_type);
    h.insert("Mallbots-Schema-Version", "1");
    h.insert("Mallbots-Stream-Type", stream_type);
    h.insert("Mallbots-Stream-Id", stream_id);
    h.insert("Mallbots-Occurred-At", "1700000000000");
    h.insert("Mallbots-Device", device);
    h
}

fn secrets(files: &[&Path]) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            v["password"].as_str().expect("a password").to_owned()
        })
        .collect()
}

#[test]
fn hostile_devices_with_valid_credentials_change_nothing_and_orders_complete() {
    let started = Instant::now();
    let (seed, mut rng) = seeded_rng("hostile-peer");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = NatsServer::start_with_auth(&format!("max_payload: {MAX_PAYLOAD}")).unwrap();
    let url = server.url();
    let mut central = Proc::builder(CENTRAL)
        .args([
            "--nats",
            &url,
            "--http",
            "127.0.0.1:0",
            "--subject-root",
            ROOT,
        ])
        .args(server.auth().central_args())
        .env("MALLBOTS__SIM__BOTS", "3")
        .env("MALLBOTS__SIM__STEP_MS", "20")
        .env("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "5000")
        .env("MALLBOTS__TOPOLOGY__BACKOFF_MS", "200,500,1000")
        .spawn()
        .expect("spawn mallbots-central");
    central
        .wait_for_log("mallbots-central ready", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("central not ready: {e}\n{}", central.logs()));
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli {
        dir: dir.path().to_owned(),
        url: url.clone(),
        outputs: Default::default(),
    };
    let central_js = rt.block_on(async { context(server.central_client().await.unwrap()) });

    // The honest manager's store, then every device enrolled with the product's command.
    let deli = cli.ok(
        "mh",
        &["store", "create", "--name", "Deli", "--location", "L1"],
    );
    let deli = id(&deli, "store_id");
    cli.ok("mh", &["store", "participate", &deli, "on"]);
    cli.ok("mh", &["store", "automated", &deli, "on"]);
    let soup = cli.ok(
        "mh",
        &[
            "product",
            "add",
            "--store",
            &deli,
            "--sku",
            "SOUP",
            "--name",
            "Soup",
            "--price-cents",
            "450",
        ],
    );
    let soup = id(&soup, "product_id");
    let enroll = |e: Enrollment| server.enroll(&e).expect("mallbots-central enroll");
    let mh = enroll(Enrollment::manager("mh", &[&deli], ROOT));
    let kh = enroll(Enrollment::kiosk("kh", ROOT));
    let kx = enroll(Enrollment::kiosk("kx", ROOT));
    let mx = enroll(Enrollment::manager("mx", &[&deli], ROOT));
    for (device, file) in [("mh", &mh), ("kh", &kh)] {
        cli.ok(
            device,
            &[
                "device",
                "init",
                "--enrollment",
                &file.display().to_string(),
            ],
        );
    }
    cli.sync("mh");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cli.ok("kh", &["catalog"]).to_string().contains(&soup) {
        assert!(Instant::now() < deadline, "the catalog on the honest kiosk");
        cli.sync("kh");
    }
    std::thread::sleep(Duration::from_millis(500)); // central's catalog view
    let customer = cli.ok(
        "kh",
        &[
            "customer",
            "register",
            "--name",
            "Ana",
            "--phone",
            "+15550100001",
        ],
    );
    let customer = id(&customer, "customer_id");
    let place = |cli: &Cli| {
        let cart = id(
            &cli.ok("kh", &["cart", "start", "--customer", &customer]),
            "cart_id",
        );
        cli.ok("kh", &["cart", "add", &cart, &soup]);
        let order = id(
            &cli.ok("kh", &["checkout", &cart, "--card", "tok_visa"]),
            "order_id",
        );
        cli.sync("kh");
        order
    };
    let mut honest: Vec<String> = (0..2).map(|_| place(&cli)).collect();

    // The hostile devices, each on its own connection with its own credentials.
    let (hk, hm) = rt.block_on(async {
        (
            context(connect_with(&url, &kx).await.expect("kx connects")),
            context(connect_with(&url, &mx).await.expect("mx connects")),
        )
    });
    let victim = honest[0].clone();
    let families: Vec<(Family, &async_nats::jetstream::Context)> = vec![
        (
            family(
                |_| format!("{ROOT}.ev.kiosk.kx.order.{}", uuid::Uuid::now_v7()),
                &["saga-orders", "notifications"],
                "order",
                "OrderCreated",
            ),
            &hk,
        ),
        (
            family(
                |_| format!("{ROOT}.ev.kiosk.kx.orderreq.{}", uuid::Uuid::now_v7()),
                &["saga-orders"],
                "order",
                "OrderCancellationRequested",
            ),
            &hk,
        ),
        (
            family(
                |_| format!("{ROOT}.ev.kiosk.kx.customer.{}", uuid::Uuid::now_v7()),
                &["customers-view"],
                "customer",
                "CustomerRegistered",
            ),
            &hk,
        ),
        (
            family(
                |_| format!("{ROOT}.ev.kiosk.kx.basket.{}", uuid::Uuid::now_v7()),
                &[],
                "basket",
                "BasketStarted",
            ),
            &hk,
        ),
        (
            family(
                {
                    let d = deli.clone();
                    move |_| format!("{ROOT}.ev.catalog.{d}.product.{}", uuid::Uuid::now_v7())
                },
                &["catalog-view"],
                "product",
                "ProductAdded",
            ),
            &hm,
        ),
        (
            family(
                |_| format!("{ROOT}.ev.desk.mx.pickupreq.{}", uuid::Uuid::now_v7()),
                &["desk-pickup"],
                "pickup",
                "OrderPickupRequested",
            ),
            &hm,
        ),
        (
            family(
                |_| format!("{ROOT}.ev.desk.mx.stopreq.{}", uuid::Uuid::now_v7()),
                &["desk-stops"],
                "stop",
                "StopPreparedAtCounter",
            ),
            &hm,
        ),
    ];
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut stored = 0u64;
    let mut replayed = 0u64;
    let mut faults = 0u64;
    for (n, (f, js)) in families.iter().enumerate() {
        for i in 0..f.count {
            let (_, headers, payload, _) = bad_message(f, i + n);
            let subject = (f.subject)(i);
            faults += 1;
            rt.block_on(publish(
                js,
                subject.clone(),
                headers.clone(),
                payload.clone(),
            ))
            .unwrap_or_else(|e| panic!("{subject}: a permitted publish refused: {e}"));
            stored += 1;
            for c in f.central {
                *expected.entry((*c).to_owned()).or_default() += 1;
            }
            // Now and then the same message again: a replay the stream drops (same msg-id).
            if headers.get("Nats-Msg-Id").is_some() && rng.gen_ratio(1, 6) {
                faults += 1;
                replayed += 1;
                rt.block_on(publish(js, subject, headers, payload))
                    .expect("replay acked");
            }
        }
        // An honest order in the middle of the flood.
        if n == 3 {
            honest.push(place(&cli));
        }
    }

    // Valid events naming the honest kiosk's order, on the hostile kiosk's own subjects.
    let cancel = json!({"type": "OrderCancellationRequested", "order_id": victim,
        "reason": "mine now", "at": 1_700_000_000_000_i64});
    let h = envelope("OrderCancellationRequested", "order", &victim, "kh");
    rt.block_on(publish(
        &hk,
        format!("{ROOT}.ev.kiosk.kx.orderreq.{victim}"),
        h,
        cancel.to_string().into_bytes(),
    ))
    .expect("kx may write its own subject");
    let hijack = order_created(&victim, &customer, &soup, &deli);
    let h = envelope("OrderCreated", "order", &victim, "kh");
    rt.block_on(publish(
        &hk,
        format!("{ROOT}.ev.kiosk.kx.order.{victim}"),
        h,
        hijack.to_string().into_bytes(),
    ))
    .expect("kx may write its own subject");
    let mut huge = envelope("OrderCreated", "order", "x", "kx");
    huge.insert("Mallbots-Correlation-Id", "z".repeat(32 * 1024).as_str());
    let fresh = uuid::Uuid::now_v7().to_string();
    let _ = rt.block_on(publish(
        &hk,
        format!("{ROOT}.ev.kiosk.kx.order.{fresh}"),
        huge,
        b"{}".to_vec(),
    ));
    faults += 3;
    *expected.entry("saga-orders".into()).or_default() += 2; // the cancel and the hijack

    // Over max_payload: refused before it is stored.
    let over = rt.block_on(publish(
        &hk,
        format!("{ROOT}.ev.kiosk.kx.basket.{}", uuid::Uuid::now_v7()),
        HeaderMap::new(),
        vec![b'x'; MAX_PAYLOAD + 1],
    ));
    assert!(over.is_err(), "a message over max_payload is refused");
    faults += 1;

    // What the permissions do not allow: refused, nothing stored.
    let forbidden = [
        (
            &hk,
            format!("{ROOT}.ev.kiosk.kh.order.{}", uuid::Uuid::now_v7()),
        ),
        (&hk, format!("{ROOT}.ev.order.kh.{victim}")),
        (
            &hk,
            format!("{ROOT}.ev.catalog.{deli}.product.{}", uuid::Uuid::now_v7()),
        ),
        (
            &hm,
            format!("{ROOT}.ev.catalog.{}.product.x", uuid::Uuid::now_v7()),
        ),
        (&hm, format!("{ROOT}.ev.kiosk.kh.orderreq.{victim}")),
        (&hm, format!("{ROOT}.ev.deskans.mx.{victim}")),
    ];
    for (js, subject) in &forbidden {
        let h = envelope("OrderCreated", "order", "x", "central");
        let msg_id = h.get("Nats-Msg-Id").unwrap().as_str().to_owned();
        let result = rt.block_on(publish(js, subject.clone(), h, b"{}".to_vec()));
        assert!(
            result.is_err(),
            "{subject}: a forbidden publish was accepted"
        );
        assert!(
            !rt.block_on(stored_with_id(&central_js, subject, &msg_id)),
            "{subject}: stored"
        );
        faults += 1;
    }
    let requests = [
        "$JS.API.STREAM.CREATE.HOSTILE".to_owned(),
        format!("$JS.API.DIRECT.GET.{STREAM}"),
        "$JS.API.STREAM.LIST".to_owned(),
        format!("$JS.API.CONSUMER.CREATE.{STREAM}"),
        "$KV.devices.kx".to_owned(),
    ];
    for subject in &requests {
        let client = hk.client();
        let asked = rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(2),
                client.request(
                    subject.clone(),
                    r#"{"last_by_subj":"hp.ev.kiosk.kh.order.x"}"#.into(),
                ),
            )
            .await
        });
        let answered = matches!(asked, Ok(Ok(ref m)) if !String::from_utf8_lossy(&m.payload).contains("error"));
        assert!(!answered, "{subject}: answered {asked:?}");
        faults += 1;
    }
    assert!(
        rt.block_on(central_js.get_stream("HOSTILE")).is_err(),
        "no stream created"
    );

    // The honest kiosk goes on: one more order after the flood, then every order ready.
    honest.push(place(&cli));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        cli.sync("kh");
        let statuses: Vec<String> = honest.iter().map(|o| cli.status("kh", o)).collect();
        if statuses.iter().all(|s| s == "ready") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "honest orders: {statuses:?}\n{}",
            central
                .logs()
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(central.is_running(), "central is still up");

    // Central dead-lettered every flooded message once per consumer, with a reason, and
    // refused the forged requests.
    let deadline = Instant::now() + Duration::from_secs(40);
    let letters = loop {
        let letters = rt.block_on(dead_letters(&central_js, "DLQ"));
        let short: Vec<String> = expected
            .iter()
            .filter(|(c, want)| letters.get(*c).map_or(0, |l| l.distinct.len() as u64) < **want)
            .map(|(c, want)| {
                format!(
                    "{c}: {} of {want}",
                    letters.get(c).map_or(0, |l| l.distinct.len())
                )
            })
            .collect();
        if short.is_empty() {
            break letters;
        }
        assert!(Instant::now() < deadline, "dead letters missing: {short:?}");
        std::thread::sleep(Duration::from_millis(300));
    };
    for (consumer, want) in &expected {
        let got = &letters[consumer];
        assert_eq!(
            got.entries,
            got.distinct.len() as u64,
            "{consumer}: one copy each"
        );
        assert!(got.entries >= *want, "{consumer}: {} < {want}", got.entries);
        assert!(
            !got.reasons.contains_key(""),
            "{consumer}: a dead letter without a reason"
        );
    }
    let saga_reasons = format!("{:?}", letters["saga-orders"].reasons);
    eprintln!("saga-orders dead letters by reason: {saga_reasons}");
    assert_eq!(
        letters["saga-orders"].reasons.get("order.not_your_order"),
        Some(&2),
        "the foreign cancel and the hijacking OrderCreated: {saga_reasons}"
    );
    cli.sync("kh");
    assert_eq!(
        cli.status("kh", &victim),
        "ready",
        "the victim's order untouched"
    );

    // No credential in any captured log or output.
    let status = cli.ok("kh", &["status"]).to_string();
    let logs = format!(
        "{}\n{}\n{}\n{status}",
        std::fs::read_to_string(server.log_path()).unwrap_or_default(),
        std::fs::read_to_string(central.log_path()).unwrap_or_default(),
        cli.outputs.borrow(),
    );
    let central_creds = server.central_creds();
    for (n, secret) in secrets(&[&mh, &kh, &kx, &mx, &central_creds])
        .iter()
        .enumerate()
    {
        assert!(
            !logs.contains(secret.as_str()),
            "password {n} appears in a log or output"
        );
    }

    let mut f = Figures::new("hostile_peer", seed);
    f.ops = honest.len() as u64;
    f.faults = faults;
    f.seconds = started.elapsed().as_secs_f64();
    f.extra.insert("stored".into(), stored.into());
    f.extra.insert("replayed".into(), replayed.into());
    f.extra.insert(
        "forbidden_refused".into(),
        (forbidden.len() + requests.len()).into(),
    );
    f.extra.insert(
        "dead_letters".into(),
        json!(letters
            .iter()
            .map(|(c, l)| (c.clone(), l.entries))
            .collect::<BTreeMap<_, _>>()),
    );
    f.print();
    drop(central);
}
