//! The `mallbots` CLI as any device (issue 11 items 4, 6, 7; issue 12 items 4, 6), running the
//! real binary: the device identity kept with the database, role-enforced catalog writes, the
//! user and device in a manager edit's metadata, one writer per database across processes (a
//! `sync --watch` holds it, a second writer is refused with `edge.database_in_use`, readers
//! still work, kill -9 releases it), idle carts abandoned by the backend (after a restart, and
//! by `sync --watch`'s timer with no page), and sync as the stored role and stores.
//!
//! Needs the binary: `cargo build -p mallbots-edge` (same `CARGO_TARGET_DIR`) first.
//!
//! The sync cases run on an open nats-server (the shared one of this binary): they check which
//! consumers the CLI's sync binds for its stored role; credentials and permissions are the
//! enrollment's (issue 12 item 1), tested where they are generated.

use mallbots_central::ensure_topology;
use mallbots_central::platform::config::TopologySettings;
use mallbots_central::platform::topology::{StreamKind, Topology};
use mallbots_tests::nats::NatsServer;
use mallbots_tests::procs::{binary, Proc, EDGE_CLI};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `mallbots --db <dir>/<db> ARGS --json`: (exit code, stdout JSON, stderr).
fn cli(dir: &Path, db: &str, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(binary(EDGE_CLI).unwrap())
        .current_dir(dir)
        .env_remove("MALLBOTS__DEVICE__ID")
        .env_remove("MALLBOTS__DEVICE__USER")
        .env_remove("MALLBOTS__DEVICE__ENROLLMENT")
        .env_remove("MALLBOTS__TOPOLOGY__SUBJECT_ROOT")
        .args(["--db", db])
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(dir: &Path, db: &str, args: &[&str]) -> Value {
    let (code, json, err) = cli(dir, db, args);
    assert_eq!(code, 0, "mallbots {args:?}: {json} {err}");
    json
}

fn refused(dir: &Path, db: &str, args: &[&str]) -> String {
    let (code, json, err) = cli(dir, db, args);
    assert_ne!(code, 0, "mallbots {args:?} should fail: {json}");
    assert!(err.contains("error: "), "{err}");
    json["code"].as_str().unwrap_or_default().to_owned()
}

fn id(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {v}"))
        .to_owned()
}

#[test]
fn the_database_keeps_its_device_and_the_role_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A development database (no identity) makes the shop.
    let store = id(
        &ok(
            d,
            "desk.db",
            &["store", "create", "--name", "Deli", "--location", "L1"],
        ),
        "store_id",
    );
    let other = id(
        &ok(
            d,
            "desk.db",
            &["store", "create", "--name", "Other", "--location", "L2"],
        ),
        "store_id",
    );
    let product = id(
        &ok(
            d,
            "desk.db",
            &[
                "product",
                "add",
                "--store",
                &store,
                "--sku",
                "A",
                "--name",
                "Apple",
                "--price-cents",
                "250",
            ],
        ),
        "product_id",
    );
    let theirs = id(
        &ok(
            d,
            "desk.db",
            &[
                "product",
                "add",
                "--store",
                &other,
                "--sku",
                "B",
                "--name",
                "Bun",
                "--price-cents",
                "90",
            ],
        ),
        "product_id",
    );
    let show = ok(d, "desk.db", &["device", "show"]);
    assert_eq!(
        (show["device"].as_str(), show["initialized"].as_bool()),
        (Some("local"), Some(false))
    );

    // Usage errors name the argument; --json works after the verb.
    let (code, json, err) = cli(d, "desk.db", &["device", "init", "--role", "manager"]);
    assert_eq!((code, json["code"].as_str()), (2, Some("usage")), "{err}");
    assert!(json["message"].as_str().unwrap().contains("--id"), "{json}");
    assert_eq!(
        refused(
            d,
            "desk.db",
            &["device", "init", "--id", "m1", "--role", "manager"]
        ),
        "invalid_input"
    );

    // The manager device: its id, role and store are kept with the database.
    let init = ok(
        d,
        "desk.db",
        &[
            "device", "init", "--id", "m1", "--role", "manager", "--store", &store,
        ],
    );
    assert_eq!(init["role"], "manager");
    let show = ok(d, "desk.db", &["device", "show"]);
    assert_eq!(show["device"], "m1");
    assert_eq!(show["stores"], serde_json::json!([store]));
    assert_eq!(show["initialized"], true);
    assert_eq!(
        refused(d, "desk.db", &["--device", "m2", "store", "list"]),
        "device.mismatch"
    );
    assert_eq!(
        refused(
            d,
            "desk.db",
            &["--device", "m2", "device", "init", "--id", "m3", "--role", "depot"]
        ),
        "device.mismatch"
    );
    assert_eq!(
        refused(
            d,
            "desk.db",
            &["device", "init", "--id", "m2", "--role", "depot"]
        ),
        "device.mismatch"
    );

    // Who did it: a manager's edit needs the user, and its metadata names user and device.
    assert_eq!(
        refused(
            d,
            "desk.db",
            &["product", "reprice", &product, "--price-cents", "300"]
        ),
        "manager.user_required"
    );
    let repriced = ok(
        d,
        "desk.db",
        &[
            "--user",
            "alice",
            "product",
            "reprice",
            &product,
            "--price-cents",
            "300",
        ],
    );
    assert_eq!(repriced["price_cents"], 300);
    assert_eq!(
        refused(
            d,
            "desk.db",
            &[
                "--user",
                "alice",
                "product",
                "reprice",
                &theirs,
                "--price-cents",
                "1"
            ]
        ),
        "catalog.not_your_store"
    );
    ok(d, "desk.db", &["export", "events.jsonl"]);
    let export = std::fs::read_to_string(d.join("events.jsonl")).unwrap();
    let price: Value = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .rfind(|e| e["event_type"].as_str().unwrap_or("").contains("Price"))
        .unwrap_or_else(|| panic!("no price event in {export}"));
    assert_eq!(price["metadata"]["user"], "alice", "{price}");
    assert_eq!(price["metadata"]["device_id"], "m1", "{price}");

    // A kiosk refuses catalog commands locally, and writes nothing.
    ok(
        d,
        "kiosk.db",
        &["device", "init", "--id", "k1", "--role", "kiosk"],
    );
    assert_eq!(
        refused(
            d,
            "kiosk.db",
            &[
                "--user",
                "eve",
                "store",
                "create",
                "--name",
                "X",
                "--location",
                "Y"
            ]
        ),
        "catalog.kiosk_forbidden"
    );
    assert_eq!(ok(d, "kiosk.db", &["status"])["waiting"], 0);
    // Its carts carry its stored id without --device.
    assert_eq!(ok(d, "kiosk.db", &["cart", "start"])["device_id"], "k1");
}

#[test]
fn an_enrollment_file_makes_the_device_and_its_secret_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = "0193b2a4-5e1c-7c3d-8f00-000000000001";
    let secret = "Zq8vN1xK4pT7yR2wL9mB3cF6hJ0dS5aG";
    let creds = serde_json::json!({
        "device": "m7", "role": "manager", "stores": [store], "user": "m7",
        "password": secret, "subject_root": "cd1", "stream": "cd1_EVENTS",
        "nats_url": "nats://127.0.0.1:1"
    });
    std::fs::write(d.join("m7.creds.json"), creds.to_string()).unwrap();
    let (code, init, err) = cli(
        d,
        "m7.db",
        &["device", "init", "--enrollment", "m7.creds.json"],
    );
    assert_eq!(code, 0, "{init} {err}");
    assert_eq!(init["device"], "m7");
    assert_eq!(init["role"], "manager");
    assert_eq!(init["subject_root"], "cd1");
    assert_eq!(init["stream"], "cd1_EVENTS");
    assert!(
        init["enrollment"]
            .as_str()
            .unwrap()
            .ends_with("m7.creds.json"),
        "{init}"
    );
    let show = ok(d, "m7.db", &["device", "show"]);
    assert_eq!(show["stores"], serde_json::json!([store]));
    // A sync that cannot connect fails with a coded error that holds no password.
    let (code, json, err) = cli(d, "m7.db", &["--user", "u", "sync"]);
    assert_ne!(code, 0);
    assert_eq!(json["code"], "sync.connect", "{json} {err}");
    let status = ok(d, "m7.db", &["status"]);
    for text in [
        init.to_string(),
        show.to_string(),
        json.to_string(),
        err,
        status.to_string(),
    ] {
        assert!(!text.contains(secret), "secret leaked: {text}");
    }
    // The enrollment file gone: not enrolled, with the command that fixes it.
    std::fs::remove_file(d.join("m7.creds.json")).unwrap();
    let (_, json, _) = cli(d, "m7.db", &["sync"]);
    assert_eq!(json["code"], "sync.not_enrolled", "{json}");
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("mallbots-central enroll"),
        "{json}"
    );
    // A malformed file names itself and not its content.
    std::fs::write(
        d.join("bad.json"),
        format!("{{\"device\": \"m7\", \"password\": \"{secret}\""),
    )
    .unwrap();
    let (_, json, err) = cli(
        d,
        "other.db",
        &["device", "init", "--enrollment", "bad.json"],
    );
    assert_eq!(json["code"], "device.invalid_enrollment", "{json}");
    assert!(!json.to_string().contains(secret) && !err.contains(secret));
}

#[test]
fn sync_and_status_list_their_flags() {
    let out = Command::new(binary(EDGE_CLI).unwrap())
        .args(["sync", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--nats",
        "--enrollment",
        "--creds",
        "--stream",
        "--store",
        "--watch",
        "--create-consumers",
        "--json",
    ] {
        assert!(help.contains(flag), "sync --help lacks {flag}:\n{help}");
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, json, _) = cli(dir.path(), "x.db", &["sync", "--bogus"]);
    assert_eq!((code, json["code"].as_str()), (2, Some("usage")));
    assert!(
        json["message"].as_str().unwrap().contains("--bogus"),
        "{json}"
    );
    let (code, json, _) = cli(dir.path(), "x.db", &["sync"]);
    assert_eq!(code, 1);
    assert_eq!(json["code"], "invalid_input");
    assert!(
        json["message"].as_str().unwrap().contains("--nats"),
        "{json}"
    );
}

#[test]
fn a_cart_left_open_is_abandoned_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        "k.db",
        &["device", "init", "--id", "k1", "--role", "kiosk"],
    );
    let cart = id(
        &ok(d, "k.db", &["--idle-cart-ms", "400", "cart", "start"]),
        "cart_id",
    );
    std::thread::sleep(Duration::from_millis(600));
    // The next process that opens the database as its writer abandons it: no page involved.
    ok(
        d,
        "k.db",
        &[
            "--idle-cart-ms",
            "400",
            "customer",
            "register",
            "--name",
            "Ada",
            "--phone",
            "+15550100",
        ],
    );
    let view = ok(d, "k.db", &["cart", "show", &cart]);
    assert_eq!(
        (view["status"].as_str(), view["cancel_reason"].as_str()),
        (Some("canceled"), Some("abandoned")),
        "{view}"
    );
}

fn topology(root: &str) -> (TopologySettings, Topology) {
    let settings = TopologySettings {
        subject_root: root.into(),
        stream_prefix: format!("{root}_"),
        duplicate_window_ms: 1_000,
        ..TopologySettings::default()
    };
    let topology = Topology::from_settings(&settings);
    (settings, topology)
}

async fn setup(root: &str) -> (async_nats::jetstream::Context, String) {
    let server = NatsServer::shared();
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let (settings, topology) = topology(root);
    ensure_topology(&js, &topology, &settings).await.unwrap();
    (js, topology.stream_name(StreamKind::Events))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_binds_the_stored_role_and_stores() {
    let root = format!("cds{}", std::process::id());
    let (js, stream) = setup(&root).await;
    let url = NatsServer::shared().url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = id(
        &ok(
            d,
            "m.db",
            &[
                "--subject-root",
                &root,
                "store",
                "create",
                "--name",
                "Deli",
                "--location",
                "L1",
            ],
        ),
        "store_id",
    );
    ok(
        d,
        "m.db",
        &[
            "--subject-root",
            &root,
            "device",
            "init",
            "--id",
            "m1",
            "--role",
            "manager",
            "--store",
            &store,
        ],
    );
    let other = "0193b2a4-5e1c-7c3d-8f00-0000000000ff";
    assert_eq!(
        refused(
            d,
            "m.db",
            &[
                "sync",
                "--nats",
                &url,
                "--stream",
                &stream,
                "--create-consumers",
                "--store",
                other
            ]
        ),
        "catalog.not_your_store"
    );
    let report = ok(
        d,
        "m.db",
        &[
            "sync",
            "--nats",
            &url,
            "--stream",
            &stream,
            "--create-consumers",
        ],
    );
    assert_eq!(report["published"], 1, "the store's creation: {report}");
    assert_eq!(report["device"]["role"], "manager");
    ok(
        d,
        "k.db",
        &[
            "--subject-root",
            &root,
            "device",
            "init",
            "--id",
            "k1",
            "--role",
            "kiosk",
        ],
    );
    assert_eq!(
        refused(
            d,
            "k.db",
            &["sync", "--nats", &url, "--stream", &stream, "--store", &store]
        ),
        "invalid_input"
    );
    ok(
        d,
        "k.db",
        &[
            "sync",
            "--nats",
            &url,
            "--stream",
            &stream,
            "--create-consumers",
        ],
    );
    let events = js.get_stream(&stream).await.unwrap();
    let filters = |info: async_nats::jetstream::consumer::Info| {
        let mut f = info.config.filter_subjects.clone();
        if !info.config.filter_subject.is_empty() {
            f.push(info.config.filter_subject.clone());
        }
        f.sort();
        f
    };
    let m1 = filters(events.consumer_info("m1-orders").await.unwrap().clone());
    assert_eq!(
        m1,
        vec![
            format!("{root}.ev.depot.>"),
            format!("{root}.ev.deskans.m1.>"),
            format!("{root}.ev.store.{store}.orderline.>")
        ]
    );
    let k1 = filters(events.consumer_info("k1-orders").await.unwrap().clone());
    assert_eq!(k1, vec![format!("{root}.ev.order.k1.>")]);
}

/// Polls `f` until it returns true or `timeout` passes.
fn eventually(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_writer_per_database_across_processes() {
    let root = format!("cdw{}", std::process::id());
    let (_js, stream) = setup(&root).await;
    let url = NatsServer::shared().url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    ok(
        &d,
        "k.db",
        &[
            "--subject-root",
            &root,
            "device",
            "init",
            "--id",
            "k1",
            "--role",
            "kiosk",
        ],
    );
    let cart = id(&ok(&d, "k.db", &["cart", "start"]), "cart_id");
    let db = d.join("k.db").to_string_lossy().into_owned();
    let mut watch = Proc::builder(EDGE_CLI)
        .args([
            "--db",
            &db,
            "--idle-cart-ms",
            "1500",
            "sync",
            "--watch",
            "--nats",
            &url,
            "--stream",
            &stream,
            "--create-consumers",
        ])
        .spawn()
        .unwrap();
    // The watcher syncs (status turns online from its last sync) ...
    eventually(Duration::from_secs(20), "sync --watch online", || {
        assert!(watch.is_running(), "sync --watch exited: {}", watch.logs());
        ok(&d, "k.db", &["status"])["online"] == true
    });
    // ... a second writer is refused at once; readers still work.
    assert_eq!(
        refused(&d, "k.db", &["cart", "start"]),
        "edge.database_in_use"
    );
    assert_eq!(
        refused(
            &d,
            "k.db",
            &["customer", "register", "--name", "A", "--phone", "1"]
        ),
        "edge.database_in_use"
    );
    assert_eq!(ok(&d, "k.db", &["device", "show"])["device"], "k1");
    assert_eq!(ok(&d, "k.db", &["cart", "show", &cart])["status"], "open");
    // Its timer abandons the idle cart with no page open.
    eventually(
        Duration::from_secs(10),
        "the watcher's timer to abandon the cart",
        || ok(&d, "k.db", &["cart", "show", &cart])["status"] == "canceled",
    );
    assert_eq!(
        ok(&d, "k.db", &["cart", "show", &cart])["cancel_reason"],
        "abandoned"
    );
    // kill -9 releases the lock: the next writer succeeds.
    watch.kill_9();
    let started = ok(&d, "k.db", &["cart", "start"]);
    assert_eq!(started["status"], "open");
}
