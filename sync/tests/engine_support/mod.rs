//! Shared by the engine's NATS tests: a real nats-server per test (random port, temp store,
//! killed on drop), the events stream with a 1-second dedup window, and edge stores on real
//! SQLite files. The binary: env `NATS_SERVER`, else `<workspace>/.tools/venv/bin/nats-server`.
#![allow(dead_code)]

use async_nats::jetstream::{self, stream};
use mallbots_sync::engine::{DeviceRole, SyncConfig};
use mallbots_sync::store::{
    AppendRequest, CommandRecord, EventMetadata, NewEvent, SqliteStore, StoreWriter,
};
use serde_json::json;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use uuid::Uuid;

/// Subject root used by the engine tests.
pub const ROOT: &str = "mb";
/// Events stream name used by the engine tests.
pub const STREAM: &str = "T_EVENTS";

pub fn nats_binary() -> PathBuf {
    std::env::var_os("NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/nats-server")
        })
}

/// A nats-server with JetStream on a random port.
pub struct Nats {
    pub port: u16,
    dir: TempDir,
    child: Option<Child>,
}

impl Nats {
    pub fn start() -> Nats {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut nats = Nats {
            port,
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        nats.spawn();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn spawn(&mut self) {
        let child = Command::new(nats_binary())
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server (set NATS_SERVER)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Creates the events stream over `ROOT.ev.>` (file storage, 1 s dedup window); retries while
/// JetStream starts.
pub async fn events_stream(url: &str) -> jetstream::Context {
    let client = async_nats::connect(url).await.unwrap();
    let js = jetstream::new(client);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let config = stream::Config {
            name: STREAM.into(),
            subjects: vec![format!("{ROOT}.ev.>")],
            storage: stream::StorageType::File,
            duplicate_window: Duration::from_secs(1),
            allow_direct: true,
            ..Default::default()
        };
        match js.get_or_create_stream(config).await {
            Ok(_) => return js,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("create stream: {e}"),
        }
    }
}

/// An edge store on a real file in `dir`.
pub fn open_store(dir: &std::path::Path, name: &str) -> StoreWriter {
    StoreWriter::spawn(SqliteStore::open(dir.join(name), &[]).unwrap()).unwrap()
}

pub fn kiosk_config(device: &str) -> SyncConfig {
    let mut c = SyncConfig::new(device, &DeviceRole::Kiosk, ROOT, STREAM);
    c.create_consumers = true;
    c.ack_timeout = Duration::from_secs(2);
    c
}

pub fn manager_config(device: &str) -> SyncConfig {
    let role = DeviceRole::Manager {
        stores: vec!["s1".into()],
    };
    let mut c = SyncConfig::new(device, &role, ROOT, STREAM);
    c.create_consumers = true;
    c.ack_timeout = Duration::from_secs(2);
    c
}

/// Appends `n` events to one aggregate, each with an outbox row for `subject`.
pub fn append(
    writer: &StoreWriter,
    stream_type: &str,
    stream_id: &str,
    subject: &str,
    n: usize,
) -> Vec<Uuid> {
    append_as(writer, stream_type, stream_id, subject, n, false)
}

/// [`append`], recorded as one command (a row in `commands`, as every edge command writes).
pub fn append_command(
    writer: &StoreWriter,
    stream_type: &str,
    stream_id: &str,
    subject: &str,
    n: usize,
) -> Vec<Uuid> {
    append_as(writer, stream_type, stream_id, subject, n, true)
}

fn append_as(
    writer: &StoreWriter,
    stream_type: &str,
    stream_id: &str,
    subject: &str,
    n: usize,
    command: bool,
) -> Vec<Uuid> {
    let stream_type = stream_type.to_owned();
    let stream_id = stream_id.to_owned();
    let subject = subject.to_owned();
    writer
        .call(move |s| {
            use mallbots_sync::store::{EventReader, EventStore};
            let version = s.stream_version(&stream_type, &stream_id)?;
            let events = (0..n)
                .map(|i| NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "Counted".into(),
                    schema_version: 1,
                    payload: json!({"type": "Counted", "n": i}),
                    metadata: EventMetadata::default(),
                    occurred_at: 1_700_000_000_000 + i as i64,
                    subject: Some(subject.clone()),
                })
                .collect();
            let mut request = AppendRequest::new(&stream_type, &stream_id, version, events);
            if command {
                request = request.with_command(CommandRecord {
                    id: Uuid::now_v7(),
                    payload: json!({"type": "Count", "n": n}),
                    base_seq: None,
                });
            }
            let stored = s.append(request)?;
            Ok(stored.into_iter().map(|e| e.event_id).collect())
        })
        .unwrap()
}

/// Every message on the stream: (subject, seq, msg-id).
pub async fn stream_messages(js: &jetstream::Context) -> Vec<(String, u64, String)> {
    let stream = js.get_stream(STREAM).await.unwrap();
    let mut out = Vec::new();
    let mut seq = 1;
    loop {
        match stream
            .direct_get_next_for_subject(format!("{ROOT}.ev.>"), Some(seq))
            .await
        {
            Ok(m) => {
                let id = m
                    .headers
                    .get("Nats-Msg-Id")
                    .map(|v| v.as_str().to_owned())
                    .unwrap_or_default();
                seq = m.sequence + 1;
                out.push((m.subject.to_string(), m.sequence, id));
            }
            Err(_) => return out,
        }
    }
}

/// Polls `check` until it holds or `timeout` passes.
pub async fn wait_for(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
