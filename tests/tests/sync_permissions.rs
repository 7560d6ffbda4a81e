//! Device permissions as docs/deployment.md configures them, on a real nats-server: a kiosk
//! enrolled by central syncs its own events and receives its order status through the durable
//! consumers central created (replies under `_INBOX_<device>`), never sees another kiosk's
//! orders, and a product event in its outbox is quarantined locally (`sync.forbidden_subject`:
//! the server would answer it with a timeout only) and stays waiting.

use async_nats::HeaderMap;
use mallbots_central::config::TopologySettings;
use mallbots_central::enrollment::enroll;
use mallbots_central::topology::{ensure_topology, Topology};
use mallbots_edge::sync::{engine, SyncSettings};
use mallbots_edge::{Edge, EdgeConfig, Role};
use mallbots_sync::engine::envelope::*;
use mallbots_sync::engine::{DeviceRole, NatsTarget};
use mallbots_sync::store::{AppendRequest, EventMetadata, EventStore, NewEvent};
use mallbots_tests::nats::{NatsOptions, NatsServer};
use uuid::Uuid;

const ROOT: &str = "pt";

fn server_config(dir: &std::path::Path) -> std::path::PathBuf {
    let kiosk = |d: &str| {
        format!(
            r#"{{ user: {d}, password: "pw-{d}", permissions: {{
          publish: {{ allow: [
            "{ROOT}.ev.kiosk.{d}.>",
            "$JS.API.CONSUMER.INFO.EVENTS.{d}-orders", "$JS.API.CONSUMER.INFO.EVENTS.{d}-catalog",
            "$JS.API.CONSUMER.MSG.NEXT.EVENTS.{d}-orders", "$JS.API.CONSUMER.MSG.NEXT.EVENTS.{d}-catalog",
            "$JS.ACK.EVENTS.{d}-orders.>", "$JS.ACK.EVENTS.{d}-catalog.>",
            "$JS.API.DIRECT.GET.EVENTS.{ROOT}.ev.kiosk.{d}.>"
          ] }}
          subscribe: {{ allow: [ "_INBOX_{d}.>" ] }}
      }} }}"#
        )
    };
    let text = format!(
        "accounts {{\n  MALLBOTS {{\n    jetstream: enabled\n    users: [\n      {{ user: central, password: \"pw-central\" }}\n      {}\n    ]\n  }}\n}}\n",
        kiosk("k1")
    );
    let path = dir.join("nats.conf");
    std::fs::write(&path, text).unwrap();
    path
}

async fn central_event(js: &async_nats::jetstream::Context, subject: String) {
    let mut h = HeaderMap::new();
    h.insert(H_MSG_ID, Uuid::now_v7().to_string().as_str());
    h.insert(H_EVENT_TYPE, "OrderApproved");
    h.insert(H_SCHEMA_VERSION, "1");
    h.insert(H_STREAM_TYPE, "order");
    h.insert(H_STREAM_ID, Uuid::now_v7().to_string().as_str());
    h.insert(H_OCCURRED_AT, "1700000000000");
    h.insert(H_DEVICE, "central");
    let body = r#"{"type":"OrderApproved"}"#;
    js.publish_with_headers(subject, h, body.into())
        .await
        .unwrap()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_syncs_within_its_rights_and_is_refused_a_product_event() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServer::start_with(NatsOptions {
        config_file: Some(server_config(dir.path())),
        extra_args: Vec::new(),
    })
    .unwrap();
    let port = server.port();
    let central =
        async_nats::ConnectOptions::with_user_and_password("central".into(), "pw-central".into())
            .connect(format!("127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "{e}: {}",
                    std::fs::read_to_string(server.log_path()).unwrap_or_default()
                )
            });
    let js = async_nats::jetstream::new(central);
    let settings = TopologySettings {
        subject_root: ROOT.into(),
        stream_prefix: String::new(),
        duplicate_window_ms: 1_000,
        ..TopologySettings::default()
    };
    let topology = Topology::from_settings(&settings);
    ensure_topology(&js, &topology, &settings).await.unwrap();
    let enrolled = enroll(&js, &topology, "k1", &DeviceRole::Kiosk)
        .await
        .unwrap();
    assert_eq!(enrolled.consumers.len(), 2);
    central_event(&js, format!("{ROOT}.ev.order.k1.o1")).await;
    central_event(&js, format!("{ROOT}.ev.order.k2.o2")).await;

    let config = EdgeConfig {
        device_id: "k1".into(),
        subject_root: ROOT.into(),
        role: Role::Kiosk,
        ..EdgeConfig::default()
    };
    let edge = Edge::open(dir.path().join("k1.db"), config).unwrap();
    edge.start_cart(None).unwrap();
    let target = NatsTarget::new(format!("nats://k1:pw-k1@127.0.0.1:{port}"));
    let engine = engine(&edge, &SyncSettings::default(), None).unwrap();
    let link = engine.connect(&target).await.unwrap();
    let report = engine.sync_once(&link).await.unwrap();
    assert_eq!(report.relay.published, 1, "{report:?}");
    assert_eq!(
        report.inbox.applied + report.inbox.parked,
        1,
        "only its own order: {report:?}"
    );

    // A product event in the kiosk's outbox: the server refuses it.
    let product_subject = format!("{ROOT}.ev.catalog.s1.product.p1");
    let subject = product_subject.clone();
    edge.writer()
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
            s.append(AppendRequest::new("product", "p1", 0, vec![event]))
        })
        .unwrap();
    let refused = engine.sync_once(&link).await.unwrap();
    assert_eq!(
        refused.relay.quarantined, 1,
        "a kiosk may not write the catalog: {refused:?}"
    );
    let status = engine.status().await.unwrap();
    assert_eq!(status.waiting, 1, "the event stays waiting");
    assert_eq!(status.quarantine[0].code, "sync.forbidden_subject");
    let stream = js.get_stream("EVENTS").await.unwrap();
    let last = stream.direct_get_last_for_subject(product_subject).await;
    assert!(last.is_err(), "nothing stored on the product subject");
}
