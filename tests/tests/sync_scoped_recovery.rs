//! Recovery, quarantine and enrollment states of a kiosk under its own, scoped NATS
//! permissions (issue 12 items 2 and 4, issue 11 item 1), on a real nats-server with real
//! SQLite, a real topology and consumers made by central's enrollment.
//!
//! As it ships (docs/architecture.md §9): the server runs with the authorization `mallbots-central auth
//! init` generated (plus `max_payload: 64 KiB`), the topology is created as central does it
//! with central's credentials, and the kiosks are enrolled by the real `mallbots-central
//! enroll`, so each kiosk user has exactly the permission set `device_permissions` defines
//! (docs/deployment.md) and syncs with its credentials file.
//!
//! * lost marks after kill -9 mid-relay (several events of one subject published, their marks
//!   never committed, the dedup window long past): before the fix the relay walked the subject
//!   with the unscoped `$JS.API.DIRECT.GET.<S>` request, which this user may not make, and every
//!   later sync failed with `sync.read_back … timed out`; now it recovers with the
//!   last-message-per-subject get alone, with no duplicate and nothing lost;
//! * a catalog event forced into a kiosk's outbox and an event over the server's max_payload are
//!   quarantined at once with their codes while the kiosk's orders keep flowing;
//! * a kiosk that was never enrolled, or whose password is wrong, gets one clear state.

use mallbots_central::ensure_topology;
use mallbots_central::platform::config::TopologySettings;
use mallbots_central::platform::topology::Topology;
use mallbots_domain::ErrorCode;
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, Role};
use mallbots_sync::engine::{DeviceRole, NatsTarget, SyncEngine};
use mallbots_sync::store::{AppendRequest, EventMetadata, EventStore, NewEvent};
use mallbots_tests::nats::{connect_with, Enrollment, NatsServer};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use uuid::Uuid;

const ROOT: &str = "sr";
const MAX_PAYLOAD: usize = 64 * 1024;

struct Mall {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    server: NatsServer,
    js: async_nats::jetstream::Context,
    /// k1's credentials file (enrolled).
    k1: PathBuf,
    /// k2's credentials file (enrolled, then its consumers removed: not enrolled any more).
    k2: PathBuf,
}

impl Mall {
    async fn start() -> Mall {
        let dir = tempfile::tempdir().unwrap();
        let server = NatsServer::start_with_auth(&format!("max_payload: {MAX_PAYLOAD}")).unwrap();
        let js = async_nats::jetstream::new(server.central_client().await.unwrap());
        // A 1-second dedup window: a republish after it cannot be resolved by msg-id dedup.
        let settings = TopologySettings {
            subject_root: ROOT.into(),
            stream_prefix: String::new(),
            duplicate_window_ms: 1_000,
            ..TopologySettings::default()
        };
        let topology = Topology::from_settings(&settings);
        ensure_topology(&js, &topology, &settings).await.unwrap();
        let k1 = server.enroll(&Enrollment::kiosk("k1", ROOT)).unwrap();
        let k2 = server.enroll(&Enrollment::kiosk("k2", ROOT)).unwrap();
        // k2's enrollment is removed on central's side (its consumers deleted, as the operator
        // would): it keeps a NATS user and no consumers.
        let events = js.get_stream("EVENTS").await.unwrap();
        for c in ["k2-orders", "k2-catalog"] {
            events.delete_consumer(c).await.unwrap();
        }
        Mall {
            dir: dir.path().to_owned(),
            _dir: dir,
            server,
            js,
            k1,
            k2,
        }
    }

    /// The kiosk's target with its credentials file.
    fn creds_target(&self, device: &str) -> NatsTarget {
        let creds = match device {
            "k1" => &self.k1,
            _ => &self.k2,
        };
        NatsTarget::with_creds(self.server.url(), creds)
    }

    /// A target with a password given in the URL (a wrong one).
    fn target(&self, device: &str, password: &str) -> NatsTarget {
        NatsTarget::new(format!(
            "nats://{device}:{password}@127.0.0.1:{}",
            self.server.port()
        ))
    }

    fn kiosk(&self, device: &str) -> Edge {
        let config = EdgeConfig {
            device_id: device.into(),
            subject_root: ROOT.into(),
            role: Role::Kiosk,
            ..EdgeConfig::default()
        };
        Edge::open(self.dir.join(format!("{device}.db")), config).unwrap()
    }

    /// `(sequence, msg-id)` of every message on `subject`, oldest first (read as central).
    async fn on_subject(&self, subject: &str) -> Vec<(u64, String)> {
        let stream = self.js.get_stream("EVENTS").await.unwrap();
        let mut out = Vec::new();
        let mut from = 1;
        while let Ok(m) = stream
            .direct_get_next_for_subject(subject, Some(from))
            .await
        {
            from = m.sequence + 1;
            let id = m
                .headers
                .get("Nats-Msg-Id")
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default();
            out.push((m.sequence, id));
        }
        out
    }

    fn server_log(&self) -> String {
        std::fs::read_to_string(self.server.log_path()).unwrap_or_default()
    }
}

/// Appends `n` events to aggregate `(stream_type, id)` straight through the store, each with an
/// outbox row for `subject` and a payload of `size` bytes; returns their ids.
fn append_raw(
    edge: &Edge,
    stream_type: &str,
    id: &str,
    subject: &str,
    n: usize,
    size: usize,
) -> Vec<Uuid> {
    let (stream_type, id, subject) = (stream_type.to_owned(), id.to_owned(), subject.to_owned());
    edge.writer()
        .call(move |s| {
            use mallbots_sync::store::EventReader;
            let version = s.stream_version(&stream_type, &id)?;
            let events: Vec<NewEvent> = (0..n)
                .map(|i| NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "TestNoted".into(),
                    schema_version: 1,
                    payload: serde_json::json!({"type": "TestNoted", "i": i, "pad": "x".repeat(size)}),
                    metadata: EventMetadata::default(),
                    occurred_at: 1,
                    subject: Some(subject.clone()),
                })
                .collect();
            let ids = events.iter().map(|e| e.event_id).collect();
            s.append(AppendRequest::new(&stream_type, &id, version, events))?;
            Ok(ids)
        })
        .unwrap()
}

fn fresh_engine(edge: &Edge) -> SyncEngine {
    engine(edge, &SyncSettings::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_recovers_lost_marks_with_its_own_read_rights_only() {
    let mall = Mall::start().await;
    let edge = mall.kiosk("k1");
    let subject = format!("{ROOT}.ev.kiosk.k1.basket.b1");
    let first = append_raw(&edge, "basket", "b1", &subject, 4, 10);

    let target = mall.creds_target("k1");
    let engine = fresh_engine(&edge);
    let link = engine.connect(&target).await.unwrap();
    let report = engine.sync_once(&link).await.unwrap();
    assert_eq!(report.relay.published, 4, "{report:?}");
    let stored = mall.on_subject(&subject).await;
    assert_eq!(stored.len(), 4);

    // The kiosk may not make the unscoped direct get the old recovery walked with: it only
    // times out (nats-server logs a publish violation).
    let kiosk_stream = async_nats::jetstream::ContextBuilder::new()
        .timeout(Duration::from_millis(500))
        .build(connect_with(&mall.server.url(), &mall.k1).await.unwrap())
        .get_stream_no_info("EVENTS")
        .await
        .unwrap();
    assert!(
        kiosk_stream
            .direct_get_next_for_subject(&subject, Some(1))
            .await
            .is_err(),
        "the kiosk must not be able to walk a subject"
    );
    assert!(
        kiosk_stream
            .direct_get_last_for_subject(&subject)
            .await
            .is_ok(),
        "the last message of its own subject it may read"
    );

    // kill -9 between the publishes and the group commit of their marks: the four events are
    // on the server, the database has none of their acks (nor the subject's sequence). One
    // more event is appended after the restart.
    edge.writer()
        .call({
            let subject = subject.clone();
            move |s| {
                let c = s.connection();
                c.execute(
                    "UPDATE outbox SET published_seq = NULL, published_at = NULL WHERE subject = ?1",
                    [&subject],
                )?;
                c.execute("UPDATE events SET stream_seq = NULL", [])?;
                c.execute(
                    "DELETE FROM checkpoints WHERE name = ?1",
                    [format!("subject:{subject}")],
                )?;
                Ok(())
            }
        })
        .unwrap();
    let later = append_raw(&edge, "basket", "b1", &subject, 1, 10);
    // Past the dedup window: a republish is refused by the expected subject sequence, so the
    // relay must read the subject back.
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let restarted = fresh_engine(&edge);
    let link = restarted.connect(&target).await.unwrap();
    let started = Instant::now();
    let report = restarted
        .sync_once(&link)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", e.code()));
    assert_eq!(report.relay.recovered, 4, "{report:?}");
    assert_eq!(report.relay.published, 1, "{report:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no read-back timeout"
    );
    let status = restarted.status().await.unwrap();
    assert_eq!((status.waiting, status.quarantined), (0, 0), "{status:?}");

    let stored = mall.on_subject(&subject).await;
    let ids: Vec<String> = stored.iter().map(|(_, id)| id.clone()).collect();
    let expected: Vec<String> = first.iter().chain(&later).map(Uuid::to_string).collect();
    assert_eq!(ids, expected, "every event once, in order");
    // The last event records its true sequence; the earlier ones are at or before theirs' bound.
    let last_seq = edge
        .writer()
        .call({
            let id = later[0];
            move |s| {
                use mallbots_sync::store::EventReader;
                Ok(s.event(id)?.and_then(|e| e.stream_seq))
            }
        })
        .unwrap();
    assert_eq!(last_seq, Some(stored[4].0));
    let log = mall.server_log();
    assert!(
        !log.contains("Publish Violation - Subject \"$JS.API.DIRECT.GET.EVENTS\"")
            || log
                .matches("Publish Violation - Subject \"$JS.API.DIRECT.GET.EVENTS\"")
                .count()
                == 1,
        "only the probe above made the unscoped direct get"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_is_quarantined_at_once_and_the_orders_still_flow() {
    let mall = Mall::start().await;
    let edge = mall.kiosk("k1");
    let target = mall.creds_target("k1");
    let engine = fresh_engine(&edge);
    let link = engine.connect(&target).await.unwrap();

    // A catalog event forced into the kiosk's outbox (the Edge API refuses it locally), a
    // second event of that product behind it, an event over the server's max_payload, and the
    // kiosk's own order and basket events around them.
    let product = format!("{ROOT}.ev.catalog.s1.product.p1");
    let order = format!("{ROOT}.ev.kiosk.k1.order.o1");
    let basket = format!("{ROOT}.ev.kiosk.k1.basket.big");
    let forbidden = append_raw(&edge, "product", "p1", &product, 1, 10);
    let orders_before = append_raw(&edge, "order", "o1", &order, 2, 10);
    let too_large = append_raw(&edge, "basket", "big", &basket, 1, MAX_PAYLOAD + 1);
    let blocked = append_raw(&edge, "product", "p1", &product, 1, 10);
    let orders_after = append_raw(&edge, "order", "o1", &order, 1, 10);

    let started = Instant::now();
    let report = engine.sync_once(&link).await.unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "quarantined at once: {took:?}"
    );
    assert_eq!(report.relay.quarantined, 2, "{report:?}");
    assert_eq!(report.relay.published, 3, "the orders flow: {report:?}");
    let on_order: Vec<String> = mall
        .on_subject(&order)
        .await
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let expected: Vec<String> = orders_before
        .iter()
        .chain(&orders_after)
        .map(Uuid::to_string)
        .collect();
    assert_eq!(on_order, expected);
    assert!(mall.on_subject(&product).await.is_empty());
    assert!(mall.on_subject(&basket).await.is_empty());

    let status = engine.status().await.unwrap();
    assert_eq!(status.quarantined, 2, "{status:?}");
    assert_eq!(
        status.blocked, 1,
        "the product's later event waits: {status:?}"
    );
    assert_eq!(
        status.waiting, 3,
        "quarantined and blocked rows stay waiting"
    );
    let codes: Vec<(&str, &str, u64)> = status
        .quarantine
        .iter()
        .map(|q| (q.event_id.as_str(), q.code.as_str(), q.blocked))
        .collect();
    let (f, t) = (forbidden[0].to_string(), too_large[0].to_string());
    assert_eq!(
        codes,
        vec![
            (f.as_str(), "sync.forbidden_subject", 1),
            (t.as_str(), "sync.too_large", 0)
        ]
    );
    let _ = blocked;
    // The status as JSON (what `mallbots status --json` and the app's indicator read).
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["quarantine"][0]["code"], "sync.forbidden_subject");
    assert!(json["problem"].is_null());

    // A later sync neither retries nor fails on them.
    let again = engine.sync_once(&link).await.unwrap();
    assert_eq!((again.relay.published, again.relay.quarantined), (0, 0));
    assert!(
        !mall.server_log().contains("Publish Violation"),
        "nothing forbidden was sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_enrolled_and_refused_devices_get_one_clear_state() {
    let mall = Mall::start().await;
    // k2 has a NATS user but its enrollment was removed: no consumers.
    let edge = mall.kiosk("k2");
    let engine = fresh_engine(&edge);
    let link = engine.connect(&mall.creds_target("k2")).await.unwrap();
    let err = engine.sync_once(&link).await.unwrap_err();
    assert_eq!(err.code(), "sync.not_enrolled");
    assert!(
        err.to_string()
            .contains("not enrolled: run `mallbots-central enroll --device k2 --role kiosk"),
        "{err}"
    );
    let status = engine.status().await.unwrap();
    assert_eq!(status.state, "not_enrolled");
    let problem = status.problem.expect("a problem");
    assert_eq!(problem.code, "sync.not_enrolled");

    // A wrong password: refused, and the password appears nowhere.
    let edge = mall.kiosk("k1");
    let engine = fresh_engine(&edge);
    let secret = "wrong-secret-4711";
    let err = engine
        .connect(&mall.target("k1", secret))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "sync.refused");
    let status = engine.status().await.unwrap();
    assert_eq!(status.state, "refused");
    let text = format!("{err} {err:?} {}", serde_json::to_string(&status).unwrap());
    assert!(
        !text.contains(secret),
        "no secret in errors or status: {text}"
    );
    assert!(!format!("{:?}", mall.target("k1", secret)).contains(secret));

    // In the background it backs off instead of retrying every 200 ms, and recovers once the
    // device is given its right credentials.
    let handle = engine.clone().spawn(mall.target("k1", secret));
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(engine.status().await.unwrap().state, "refused");
    handle.shutdown().await;
    let handle = engine.clone().spawn(mall.creds_target("k1"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = engine.status().await.unwrap();
        if status.state == "online" && status.problem.is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "back online: {status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle.shutdown().await;
}

/// Belt and braces: a device whose local idea of its rights is wider than the server's (here:
/// any subject) publishes and gets no ack, only the server's asynchronous permissions violation
/// naming the subject: the row is quarantined on it in well under a second (not after the 5 s
/// ack timeout), instead of read back for ever, and the order behind it is published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_the_server_forbids_is_quarantined_on_its_error_before_the_ack_timeout() {
    use mallbots_sync::engine::{RecordOnly, RetractPending, SyncConfig};
    let mall = Mall::start().await;
    let edge = mall.kiosk("k1");
    let mut config = SyncConfig::new("k1", &DeviceRole::Kiosk, ROOT, "EVENTS");
    config.publish_allowed = vec![">".into()];
    config.ack_timeout = Duration::from_secs(5);
    let engine = SyncEngine::new(
        edge.writer().clone(),
        config,
        std::sync::Arc::new(RecordOnly),
        std::sync::Arc::new(RetractPending),
    )
    .unwrap();
    let product = format!("{ROOT}.ev.catalog.s1.product.p1");
    let order = format!("{ROOT}.ev.kiosk.k1.order.o1");
    let forbidden = append_raw(&edge, "product", "p1", &product, 1, 10);
    append_raw(&edge, "order", "o1", &order, 1, 10);
    let link = engine.connect(&mall.creds_target("k1")).await.unwrap();
    let started = Instant::now();
    let report = engine.sync_once(&link).await.unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "quarantined on the server's -ERR, before the ack timeout: {took:?}"
    );
    assert_eq!((report.relay.published, report.relay.quarantined), (1, 1));
    let status = engine.status().await.unwrap();
    assert_eq!(status.quarantine[0].event_id, forbidden[0].to_string());
    assert_eq!(status.quarantine[0].code, "sync.forbidden_subject");
    assert!(mall.on_subject(&product).await.is_empty());
}

/// A device that synced under the wrong role has its catalog rows quarantined; once it is
/// re-enrolled with the right one, `mallbots sync --retry-quarantined` publishes them (the
/// operator's way out, through the product's own commands only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantined_rows_go_out_after_a_re_enrollment_with_retry_quarantined() {
    let mall = Mall::start().await;
    let db = mall.dir.join("m9.db");
    let cli = |args: &[&str]| -> serde_json::Value {
        let out = tokio::task::block_in_place(|| {
            std::process::Command::new(
                mallbots_tests::procs::binary(mallbots_tests::procs::EDGE_CLI).unwrap(),
            )
            .arg("--db")
            .arg(&db)
            .args([
                "--device",
                "m9",
                "--subject-root",
                ROOT,
                "--user",
                "ana",
                "--json",
            ])
            .args(args)
            .output()
            .unwrap()
        });
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "mallbots {args:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(stdout.trim()).unwrap()
    };
    // Written before the device was enrolled (a database without an identity acts as any).
    let store = cli(&["store", "create", "--name", "Tea", "--location", "L1"]);
    let store = store["store_id"].as_str().unwrap().to_owned();
    let subject = format!("{ROOT}.ev.catalog.{store}.store.{store}");

    let as_kiosk =
        tokio::task::block_in_place(|| mall.server.enroll(&Enrollment::kiosk("m9", ROOT)))
            .unwrap()
            .display()
            .to_string();
    let synced = cli(&["sync", "--enrollment", &as_kiosk]);
    assert!(
        synced["status"]["quarantined"].as_u64().unwrap() >= 1,
        "a kiosk may not write the catalog: {synced}"
    );
    assert_eq!(
        synced["status"]["quarantine"][0]["code"], "sync.forbidden_subject",
        "{synced}"
    );
    assert!(mall.on_subject(&subject).await.is_empty());
    let still = cli(&["sync"]);
    assert_eq!(still["published"], 0, "quarantined rows wait: {still}");

    let office = Enrollment::mall_office("m9", ROOT).rotate();
    let as_manager = tokio::task::block_in_place(|| mall.server.enroll(&office))
        .unwrap()
        .display()
        .to_string();
    let synced = cli(&["sync", "--enrollment", &as_manager, "--retry-quarantined"]);
    assert!(synced["released"].as_u64().unwrap() >= 1, "{synced}");
    assert_eq!(synced["status"]["quarantined"], 0, "{synced}");
    assert_eq!(synced["device"]["role"], "manager", "{synced}");
    assert_eq!(mall.on_subject(&subject).await.len(), 1, "published once");
}
