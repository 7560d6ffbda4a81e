//! Device permissions as the product makes them (docs/architecture.md §5, §9), on a real nats-server whose
//! only users are those `mallbots-central auth init` and `mallbots-central enroll` generated
//! (the harness runs the real binaries; no permission block is written here):
//! * a manager publishes its store's catalog and a kiosk receives it, orders, and gets the order
//!   status a real central writes, all through the consumers enrollment created; another kiosk
//!   sees none of it; the kiosk's product event is quarantined locally
//!   (`sync.forbidden_subject`: the server would answer it with a timeout only), stays waiting
//!   and is never stored;
//! * a kiosk's connection cannot read another device's subjects nor create a consumer;
//! * a wrong password or an unknown user is refused with `sync.refused`, never shown;
//! * credentials files are 0600 and the rendered config holds no clear password;
//! * re-enrolling keeps working credentials (and `--rotate` replaces them);
//! * on a 3-node cluster, an enrollment reloads every node;
//! * under account (JWT) auth (`auth init --accounts`) the flow and the confinement hold the
//!   same, with no reload for an enrollment (one server, and every node of a cluster); a
//!   rotation revokes the old key; another installation's key is refused.
//!
//! Tests share one server per binary ([`NatsServer::shared_with_auth`]) under their own subject
//! roots, stream prefixes and device ids. Needs the binary: `cargo build -p mallbots-central`.

use std::path::Path;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use mallbots_domain::ErrorCode;
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, NewProduct, Role};
use mallbots_sync::engine::{DeviceCredentials, NatsTarget, SyncError};
use mallbots_sync::store::{AppendRequest, EventMetadata, EventStore, NewEvent};
use mallbots_tests::nats::{connect_with, Enrollment, NatsCluster, NatsServer};
use mallbots_tests::procs::{Proc, CENTRAL};
use uuid::Uuid;

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", rand::random::<u32>())
}

fn device(dir: &Path, id: &str, root: &str, role: Role) -> Edge {
    let config = EdgeConfig {
        device_id: id.into(),
        subject_root: root.into(),
        role,
        ..EdgeConfig::default()
    };
    Edge::open(dir.join(format!("{id}.db")), config).unwrap()
}

fn settings(stream: &str) -> SyncSettings {
    SyncSettings {
        events_stream: stream.into(),
        stores: Vec::new(),
        create_consumers: false,
    }
}

/// One sync pass of `edge` with its credentials file.
async fn sync(edge: &Edge, url: &str, creds: &Path, stream: &str) -> Result<(), String> {
    let engine = engine(edge, &settings(stream)).map_err(|e| e.to_string())?;
    let link = engine
        .connect(&NatsTarget::with_creds(url, creds))
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    engine
        .sync_once(&link)
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    edge.clear_cache();
    Ok(())
}

/// Connects `edge`'s engine with `creds`.
async fn connect(edge: &Edge, url: &str, creds: &Path, stream: &str) -> Result<(), SyncError> {
    let engine = engine(edge, &settings(stream)).unwrap();
    engine
        .connect(&NatsTarget::with_creds(url, creds))
        .await
        .map(|_| ())
}

/// The manager's store catalog, the kiosk's order and central's answer, each device within
/// its generated permissions; another kiosk sees nothing of it; a kiosk's product event is
/// never stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_sync_within_their_generated_rights() {
    devices_sync_within_rights(NatsServer::shared_with_auth()).await;
}

/// The same under account (JWT) auth: the rights are in each device's JWT, and no
/// enrollment reloads the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_sync_within_their_jwt_rights_enrolled_without_a_reload() {
    let server = NatsServer::shared_with_accounts();
    devices_sync_within_rights(server).await;
    let log = std::fs::read_to_string(server.log_path()).unwrap();
    assert!(
        !log.contains("Reloaded server configuration"),
        "an enrollment reloaded the server under account auth"
    );
}

async fn devices_sync_within_rights(server: &NatsServer) {
    let url = server.url();
    let (root, prefix) = (unique("pt"), unique("pt_"));
    let stream = format!("{prefix}EVENTS");
    let mut central = Proc::builder(CENTRAL)
        .args(["--nats", &url, "--http", "127.0.0.1:0"])
        .args(server.auth().central_args())
        .args(["--subject-root", &root, "--stream-prefix", &prefix])
        .args(["--duplicate-window-ms", "1000"])
        .args(["--roles", "saga,payments,depot,bots-sim"])
        .env("MALLBOTS__SIM__BOTS", "4")
        .env("MALLBOTS__SIM__STEP_MS", "20")
        .spawn()
        .expect("spawn mallbots-central (cargo build -p mallbots-central first)");
    if let Err(e) = central.wait_for_log("mallbots-central ready", Duration::from_secs(30)) {
        panic!("central not ready: {e}\n{}", central.logs());
    }

    let dir = tempfile::tempdir().unwrap();
    let (m, k, k2) = (unique("m"), unique("k"), unique("k"));
    let manager = device(dir.path(), &m, &root, Role::Manager);
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
    let store_id = store.store_id.to_string();
    let m_creds = server
        .enroll(&Enrollment::manager(&m, &[&store_id], &root).stream_prefix(&prefix))
        .unwrap();
    sync(&manager, &url, &m_creds, &stream).await.unwrap();

    let kiosk = device(dir.path(), &k, &root, Role::Kiosk);
    let k_creds = server
        .enroll(&Enrollment::kiosk(&k, &root).stream_prefix(&prefix))
        .unwrap();
    sync(&kiosk, &url, &k_creds, &stream).await.unwrap();
    assert!(
        !kiosk.product(product.product_id).unwrap().removed,
        "the catalog reached the kiosk through its consumer"
    );
    let customer = kiosk.register_customer("Ada", "+15550104477").unwrap();
    let cart = kiosk.start_cart(Some(customer.customer_id)).unwrap();
    kiosk.add_item(cart.cart_id, product.product_id, 2).unwrap();
    let order = kiosk
        .checkout(cart.cart_id, "tok_visa", Some(customer.customer_id))
        .unwrap();
    let placed = kiosk.order(order.order_id).unwrap().status;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        sync(&kiosk, &url, &k_creds, &stream).await.unwrap();
        let status = kiosk.order(order.order_id).unwrap().status;
        if status != placed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "central's answer never reached the kiosk (status {status})\n{}",
            central.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Another kiosk: the catalog, none of the first kiosk's orders.
    let other = device(dir.path(), &k2, &root, Role::Kiosk);
    let k2_creds = server
        .enroll(&Enrollment::kiosk(&k2, &root).stream_prefix(&prefix))
        .unwrap();
    sync(&other, &url, &k2_creds, &stream).await.unwrap();
    assert!(other.product(product.product_id).is_ok());
    assert!(
        other.order(order.order_id).is_err(),
        "another kiosk's order"
    );

    // A product event in the kiosk's outbox: the server never stores it.
    let product_subject = format!("{root}.ev.catalog.{store_id}.product.{}", Uuid::now_v7());
    let subject = product_subject.clone();
    kiosk
        .writer()
        .call(move |s| {
            let event = NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "ProductRemoved".into(),
                schema_version: 1,
                payload: serde_json::json!({"type": "ProductRemoved"}),
                metadata: EventMetadata::default(),
                occurred_at: 1,
                subject: Some(subject),
            };
            s.append(AppendRequest::new("product", "p-forged", 0, vec![event]))
        })
        .unwrap();
    sync(&kiosk, &url, &k_creds, &stream).await.unwrap();
    let status = engine(&kiosk, &settings(&stream))
        .unwrap()
        .status()
        .await
        .unwrap();
    assert_eq!(status.waiting, 1, "the event stays waiting: {status:?}");
    assert_eq!(status.quarantine.len(), 1, "{status:?}");
    assert_eq!(status.quarantine[0].code, "sync.forbidden_subject");
    let js = jetstream::new(server.central_client().await.unwrap());
    let events = js.get_stream(&stream).await.unwrap();
    assert!(
        events
            .direct_get_last_for_subject(product_subject)
            .await
            .is_err(),
        "nothing stored on the product subject"
    );
    // The devices registry holds each device's role and stores.
    let kv = js.get_key_value(format!("{prefix}devices")).await.unwrap();
    let entry: serde_json::Value =
        serde_json::from_slice(&kv.get(&m).await.unwrap().expect("manager recorded")).unwrap();
    assert_eq!(
        entry,
        serde_json::json!({"device": m, "role": "manager", "stores": [store_id]})
    );
    let logs = central.logs();
    let central_creds = server.auth().central_credentials().unwrap();
    for secret in [Some(central_creds.password), central_creds.seed] {
        let secret = secret.filter(|s| !s.is_empty());
        assert!(
            secret.is_none_or(|s| !logs.contains(&s)),
            "central logged its secret"
        );
    }
}

/// A JetStream context over `client` whose requests give up after one second.
fn js_of(client: async_nats::Client) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(1))
        .build(client)
}

/// A kiosk's own connection reads its own subject back and pulls its own consumer, and
/// nothing else: no other device's subject, no unscoped read, no consumer creation, no other
/// device's consumer, no subscription to another device's subjects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_cannot_read_another_device_s_subjects_nor_create_a_consumer() {
    kiosk_confined(NatsServer::shared_with_auth()).await;
}

/// The same confinement under account (JWT) auth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_jwt_cannot_read_another_device_s_subjects_nor_create_a_consumer() {
    kiosk_confined(NatsServer::shared_with_accounts()).await;
}

async fn kiosk_confined(server: &NatsServer) {
    let url = server.url();
    let (root, prefix) = (unique("px"), unique("px_"));
    let stream_name = format!("{prefix}EVENTS");
    let (k1, k2) = (unique("k"), unique("k"));
    let k1_creds = server
        .enroll(&Enrollment::kiosk(&k1, &root).stream_prefix(&prefix))
        .unwrap();
    let k2_creds = server
        .enroll(&Enrollment::kiosk(&k2, &root).stream_prefix(&prefix))
        .unwrap();
    let js1 = js_of(connect_with(&url, &k1_creds).await.unwrap());
    let js2 = js_of(connect_with(&url, &k2_creds).await.unwrap());
    // Each kiosk writes one event on its own subject (a device's own write).
    let own = |k: &str| format!("{root}.ev.kiosk.{k}.basket.{}", Uuid::now_v7());
    let (s1, s2) = (own(&k1), own(&k2));
    for (js, subject) in [(&js1, &s1), (&js2, &s2)] {
        js.publish(subject.clone(), "{}".into())
            .await
            .unwrap()
            .await
            .unwrap_or_else(|e| panic!("own publish on {subject}: {e}"));
    }
    let stream1 = js1.get_stream_no_info(&stream_name).await.unwrap();
    // Its own subject: allowed (the control).
    let mine = stream1.direct_get_last_for_subject(s1.clone()).await;
    assert!(mine.is_ok(), "its own subject: {mine:?}");
    // Another kiosk's subject, and the unscoped read of the whole stream: refused.
    assert!(stream1
        .direct_get_last_for_subject(s2.clone())
        .await
        .is_err());
    assert!(stream1
        .direct_get_next_for_subject(format!("{root}.ev.>"), Some(1))
        .await
        .is_err());
    assert!(stream1.direct_get(1).await.is_err());
    // Its own consumer: allowed; another's, or a new one: refused.
    assert!(js1
        .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
            format!("{k1}-orders"),
            &stream_name
        )
        .await
        .is_ok());
    assert!(js1
        .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
            format!("{k2}-orders"),
            &stream_name
        )
        .await
        .is_err());
    let created = stream1
        .create_consumer(jetstream::consumer::pull::Config {
            durable_name: Some(format!("{k1}-spy")),
            filter_subject: format!("{root}.ev.kiosk.{k2}.>"),
            ..Default::default()
        })
        .await;
    assert!(created.is_err(), "a kiosk created a consumer");
    assert!(js1.get_stream(&stream_name).await.is_err(), "stream info");
    // A core subscription to the other kiosk's subjects receives nothing.
    let c1 = connect_with(&url, &k1_creds).await.unwrap();
    let mut spy = c1
        .subscribe(format!("{root}.ev.kiosk.{k2}.>"))
        .await
        .unwrap();
    c1.flush().await.unwrap();
    js2.publish(own(&k2), "{}".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let got = tokio::time::timeout(
        Duration::from_millis(500),
        futures::StreamExt::next(&mut spy),
    )
    .await;
    assert!(
        !matches!(got, Ok(Some(_))),
        "k1 received k2's message: {got:?}"
    );
    // Central confirms the consumer was never created.
    let central = jetstream::new(server.central_client().await.unwrap());
    assert!(central
        .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
            format!("{k1}-spy"),
            &stream_name
        )
        .await
        .is_err());
}

/// A wrong password and an unknown user are refused with the coded error, which never shows
/// a password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_are_refused_with_sync_refused() {
    let server = NatsServer::shared_with_auth();
    let url = server.url();
    let (root, prefix) = (unique("pw"), unique("pw_"));
    let stream = format!("{prefix}EVENTS");
    let k = unique("k");
    let creds_path = server
        .enroll(&Enrollment::kiosk(&k, &root).stream_prefix(&prefix))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kiosk = device(dir.path(), &k, &root, Role::Kiosk);
    connect(&kiosk, &url, &creds_path, &stream)
        .await
        .expect("the issued credentials work");

    let good = DeviceCredentials::load(&creds_path).unwrap();
    let wrong_path = dir.path().join("wrong.json");
    let wrong = DeviceCredentials {
        password: "definitely-not-the-password-42".into(),
        ..good.clone()
    };
    wrong.write(&wrong_path).unwrap();
    let err = connect(&kiosk, &url, &wrong_path, &stream)
        .await
        .expect_err("a wrong password");
    assert_eq!(err.code(), "sync.refused", "{err}");
    let shown = format!("{err} {err:?}");
    for secret in [&good.password, &wrong.password] {
        assert!(!shown.contains(secret.as_str()), "password shown: {shown}");
    }

    let ghost = unique("ghost");
    let ghost_path = dir.path().join("ghost.json");
    DeviceCredentials {
        device: ghost.clone(),
        user: ghost.clone(),
        ..good.clone()
    }
    .write(&ghost_path)
    .unwrap();
    let ghost_edge = device(dir.path(), &ghost, &root, Role::Kiosk);
    let err = connect(&ghost_edge, &url, &ghost_path, &stream)
        .await
        .expect_err("an unknown user");
    assert_eq!(err.code(), "sync.refused", "{err}");
    assert!(!format!("{err}").contains(&good.password));

    // No file at all: not enrolled, with the command that fixes it.
    let err = connect(&kiosk, &url, &dir.path().join("none.json"), &stream)
        .await
        .expect_err("no credentials file");
    assert_eq!(err.code(), "sync.not_enrolled", "{err}");
    assert!(err.to_string().contains("mallbots-central enroll"), "{err}");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Credentials files are 0600, the auth directory 0700, and the rendered server config holds
/// bcrypt hashes of every password, never one in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_private_and_the_config_holds_no_clear_password() {
    let server = NatsServer::shared_with_auth();
    let (root, prefix) = (unique("pc"), unique("pc_"));
    let (k, m, d) = (unique("k"), unique("m"), unique("d"));
    let files = [
        server
            .enroll(&Enrollment::kiosk(&k, &root).stream_prefix(&prefix))
            .unwrap(),
        server
            .enroll(&Enrollment::manager(&m, &["s1", "s2"], &root).stream_prefix(&prefix))
            .unwrap(),
        server
            .enroll(&Enrollment::depot(&d, &root).stream_prefix(&prefix))
            .unwrap(),
        server.central_creds(),
    ];
    let conf = std::fs::read_to_string(server.auth().config_path()).unwrap();
    for file in &files {
        #[cfg(unix)]
        assert_eq!(mode(file), 0o600, "{}", file.display());
        let creds = DeviceCredentials::load(file).unwrap();
        assert_eq!(creds.password.len(), 32);
        assert!(
            !conf.contains(&creds.password),
            "clear password of {} in the config",
            creds.user
        );
        assert!(
            conf.contains(&format!("user: \"{}\", password: \"$2a$", creds.user)),
            "{} has a bcrypt hash",
            creds.user
        );
    }
    #[cfg(unix)]
    assert_eq!(mode(&server.auth().dir()), 0o700);
    let kiosk = DeviceCredentials::load(&files[0]).unwrap();
    assert_eq!(
        (
            kiosk.device.as_str(),
            kiosk.role.as_str(),
            kiosk.user.as_str()
        ),
        (k.as_str(), "kiosk", k.as_str())
    );
    assert_eq!(kiosk.subject_root, root);
    assert_eq!(kiosk.stream, format!("{prefix}EVENTS"));
    assert_eq!(kiosk.nats_url.as_deref(), Some(server.url().as_str()));
    let manager = DeviceCredentials::load(&files[1]).unwrap();
    assert_eq!(manager.stores, ["s1", "s2"]);
    assert_eq!(manager.role, "manager");
}

/// A kiosk enrolled on a shared server (its own root, prefix and id), its credentials file as
/// first issued, and one cart synced with it.
struct EnrolledKiosk {
    url: String,
    stream: String,
    dir: tempfile::TempDir,
    out: std::path::PathBuf,
    enrollment: Enrollment,
    first: DeviceCredentials,
    kiosk: Edge,
}

async fn enrolled_kiosk(server: &NatsServer, tag: &str) -> EnrolledKiosk {
    let url = server.url();
    let (root, prefix) = (unique(tag), unique(&format!("{tag}_")));
    let stream = format!("{prefix}EVENTS");
    let k = unique("k");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k.json");
    let enrollment = Enrollment::kiosk(&k, &root)
        .stream_prefix(&prefix)
        .out(&out);
    server.enroll(&enrollment).unwrap();
    let first = DeviceCredentials::load(&out).unwrap();
    let kiosk = device(dir.path(), &k, &root, Role::Kiosk);
    kiosk.start_cart(None).unwrap();
    sync(&kiosk, &url, &out, &stream).await.unwrap();
    EnrolledKiosk {
        url,
        stream,
        dir,
        out,
        enrollment,
        first,
        kiosk,
    }
}

/// Re-enrolling a device keeps its password (its running connection and the file it holds
/// keep working); `--rotate` issues a new one and the old one is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_enrolling_keeps_working_credentials() {
    let server = NatsServer::shared_with_auth();
    let EnrolledKiosk {
        url,
        stream,
        dir,
        out,
        enrollment,
        first,
        kiosk,
    } = enrolled_kiosk(server, "pr").await;
    let held = connect_with(&url, &out).await.unwrap();

    server.enroll(&enrollment).unwrap();
    assert_eq!(DeviceCredentials::load(&out).unwrap(), first, "same file");
    kiosk.start_cart(None).unwrap();
    sync(&kiosk, &url, &out, &stream).await.unwrap();
    held.flush()
        .await
        .expect("the open connection survives the reload");
    let status = engine(&kiosk, &settings(&stream))
        .unwrap()
        .status()
        .await
        .unwrap();
    assert_eq!(status.waiting, 0, "both carts published");

    let old = dir.path().join("old.json");
    first.write(&old).unwrap();
    server.enroll(&enrollment.clone().rotate()).unwrap();
    let rotated = DeviceCredentials::load(&out).unwrap();
    assert_ne!(rotated.password, first.password);
    sync(&kiosk, &url, &out, &stream).await.unwrap();
    let err = connect(&kiosk, &url, &old, &stream)
        .await
        .expect_err("the old password");
    assert_eq!(err.code(), "sync.refused");
}

/// On a 3-node cluster with the generated authorization, one enrollment reloads every node:
/// each node accepts the device at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_reloads_every_node_of_a_cluster() {
    let cluster = NatsCluster::start_with_auth(3, "").unwrap();
    let (root, prefix) = (unique("pk"), unique("pk_"));
    let k = unique("k");
    let creds = cluster
        .enroll(
            &Enrollment::kiosk(&k, &root)
                .stream_prefix(&prefix)
                .central_args(["--replicas", "3"]),
        )
        .unwrap();
    for url in cluster.urls() {
        let client = connect_with(&url, &creds)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e:#}"));
        let js = js_of(client);
        let subject = format!("{root}.ev.kiosk.{k}.basket.{}", Uuid::now_v7());
        js.publish(subject.clone(), "{}".into())
            .await
            .unwrap()
            .await
            .unwrap_or_else(|e| panic!("{url}: own publish: {e}"));
    }
    let central = jetstream::new(cluster.central_client().await.unwrap());
    let info = central
        .get_stream(format!("{prefix}EVENTS"))
        .await
        .unwrap()
        .cached_info()
        .clone();
    assert_eq!(info.config.num_replicas, 3);
    assert_eq!(info.state.messages, 3);
}

/// Under account (JWT) auth: re-enrolling keeps the device's key; `--rotate` issues a new key
/// and revokes the old one (the account's JWT changes, the server reloads it): the old key's
/// open connection is closed and its file refused; a key signed by another installation's
/// account is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_account_auth_a_rotation_revokes_the_old_key_and_foreign_keys_are_refused() {
    let server = NatsServer::shared_with_accounts();
    let EnrolledKiosk {
        url,
        stream,
        dir,
        out,
        enrollment,
        first,
        kiosk,
    } = enrolled_kiosk(server, "pj").await;
    assert!(first.uses_jwt() && first.password.is_empty());

    server.enroll(&enrollment).unwrap();
    assert_eq!(DeviceCredentials::load(&out).unwrap(), first, "same key");

    let old = dir.path().join("old.json");
    first.write(&old).unwrap();
    let held = connect_with(&url, &old).await.unwrap();
    server.enroll(&enrollment.clone().rotate()).unwrap();
    let rotated = DeviceCredentials::load(&out).unwrap();
    assert_ne!(rotated.seed, first.seed);
    // The server drops a connection of the revoked key when it reloads the account.
    let deadline = Instant::now() + Duration::from_secs(10);
    while held.connection_state() == async_nats::connection::State::Connected {
        assert!(
            Instant::now() < deadline,
            "the revoked key's connection stayed up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kiosk.start_cart(None).unwrap();
    sync(&kiosk, &url, &out, &stream).await.unwrap();
    let err = connect(&kiosk, &url, &old, &stream)
        .await
        .expect_err("the revoked key");
    assert_eq!(err.code(), "sync.refused");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(first.seed.as_deref().unwrap()), "{shown}");

    // Another installation's operator and account: its central key means nothing here.
    let foreign = mallbots_tests::nats::NatsAuth::init_kind_in(
        &dir.path().join("foreign"),
        "",
        mallbots_tests::nats::AuthKind::Accounts,
    )
    .unwrap();
    let refused = connect_with(&url, &foreign.central_creds()).await;
    assert!(refused.is_err(), "a foreign key connected");
}

/// On a 3-node cluster under account auth, an enrollment needs no reload: every node accepts
/// the new device's key at once (each trusts the operator, not a user list).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_account_auth_every_node_accepts_a_new_device_without_a_reload() {
    let cluster = NatsCluster::start_with_accounts(3, "").unwrap();
    let (root, prefix) = (unique("pq"), unique("pq_"));
    let k = unique("k");
    let creds = cluster
        .auth()
        .enroll(
            &cluster.url(),
            &[],
            &Enrollment::kiosk(&k, &root)
                .stream_prefix(&prefix)
                .central_args(["--replicas", "3"]),
        )
        .unwrap();
    for url in cluster.urls() {
        let client = connect_with(&url, &creds)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e:#}"));
        let subject = format!("{root}.ev.kiosk.{k}.basket.{}", Uuid::now_v7());
        js_of(client)
            .publish(subject, "{}".into())
            .await
            .unwrap()
            .await
            .unwrap_or_else(|e| panic!("{url}: own publish: {e}"));
    }
    for i in 0..cluster.len() {
        let log = std::fs::read_to_string(cluster.log_path(i)).unwrap();
        assert!(
            !log.contains("Reloaded server configuration"),
            "node {i} reloaded"
        );
    }
}
