//! [`NatsServer`]: a single JetStream server for a test binary or a test.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Result;
use tempfile::TempDir;

use super::node::Node;
use super::{AuthKind, Enrollment, NatsAuth, NatsOptions};

/// The single server's name.
const SOLO: &str = "solo";

/// A single JetStream nats-server on a random client port with its own temp store directory.
/// Stopped when dropped.
#[derive(Debug)]
pub struct NatsServer {
    node: Node,
    auth: Option<NatsAuth>,
    _dir: TempDir,
}

impl NatsServer {
    /// One server shared by all tests of this test binary (docs/architecture.md §9): started on first use,
    /// killed (and its directory removed) by its watchdog when the binary exits. Tests sharing it use their own subject root
    /// and stream prefix, and must not stop or restart it.
    pub fn shared() -> &'static NatsServer {
        static SHARED: OnceLock<NatsServer> = OnceLock::new();
        SHARED.get_or_init(|| NatsServer::start().expect("start the shared nats-server"))
    }

    /// One server with the product's authorization shared by all tests of this test binary
    /// (see [`shared`](Self::shared) and [`start_with_auth`](Self::start_with_auth)). Tests
    /// sharing it use their own subject roots, stream prefixes and device ids.
    pub fn shared_with_auth() -> &'static NatsServer {
        static SHARED: OnceLock<NatsServer> = OnceLock::new();
        SHARED.get_or_init(|| {
            NatsServer::start_with_auth("").expect("start the shared nats-server with auth")
        })
    }

    /// One server under account (JWT) auth shared by all tests of this test binary (see
    /// [`start_with_accounts`](Self::start_with_accounts)).
    pub fn shared_with_accounts() -> &'static NatsServer {
        static SHARED: OnceLock<NatsServer> = OnceLock::new();
        SHARED.get_or_init(|| {
            NatsServer::start_with_accounts("").expect("start the shared nats-server with accounts")
        })
    }

    /// Starts a server whose authorization is the one `mallbots-central auth init` generates
    /// (central's user only, until devices are enrolled with [`enroll`](Self::enroll));
    /// `extra_config` is added to its config verbatim (e.g. `max_payload: 65536`).
    pub fn start_with_auth(extra_config: &str) -> Result<Self> {
        Self::start_with_auth_kind(extra_config, AuthKind::Passwords)
    }

    /// Like [`start_with_auth`](Self::start_with_auth), under account (JWT) auth (`auth init
    /// --accounts`): enrollments need no reload.
    pub fn start_with_accounts(extra_config: &str) -> Result<Self> {
        Self::start_with_auth_kind(extra_config, AuthKind::Accounts)
    }

    fn start_with_auth_kind(extra_config: &str, kind: AuthKind) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("nats-").tempdir()?;
        let auth = NatsAuth::init_kind_in(&dir.path().join("authz"), extra_config, kind)?;
        let options = auth.node_options(SOLO, "")?;
        Self::start_in(dir, options, Some(auth))
    }

    /// Starts a server with default options and waits until JetStream is ready.
    pub fn start() -> Result<Self> {
        Self::start_with(NatsOptions::default())
    }

    /// Starts a server with a config file and/or extra arguments.
    pub fn start_with(options: NatsOptions) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("nats-").tempdir()?;
        Self::start_in(dir, options, None)
    }

    fn start_in(dir: TempDir, options: NatsOptions, auth: Option<NatsAuth>) -> Result<Self> {
        let mut node = Node {
            name: SOLO.to_string(),
            dir: dir.path().to_path_buf(),
            client_port: None,
            monitor_port: None,
            cluster: None,
            options,
            child: None,
        };
        node.spawn()?;
        node.wait_jetstream()?;
        Ok(Self {
            node,
            auth,
            _dir: dir,
        })
    }

    /// The product's authorization of this server; panics for a server started without it.
    pub fn auth(&self) -> &NatsAuth {
        self.auth
            .as_ref()
            .expect("a server started with start_with_auth / shared_with_auth")
    }

    /// Central's credentials file (`mallbots-central --creds FILE`).
    pub fn central_creds(&self) -> PathBuf {
        self.auth().central_creds()
    }

    /// Enrolls a device with the real `mallbots-central enroll` (consumers, devices bucket,
    /// credentials, config re-rendered and this server reloaded); returns its credentials file.
    pub fn enroll(&self, enrollment: &Enrollment) -> Result<PathBuf> {
        let pids: Vec<u32> = self.node.pid().into_iter().collect();
        self.auth().enroll(&self.url(), &pids, enrollment)
    }

    /// A client logged in as central (full rights).
    pub async fn central_client(&self) -> Result<async_nats::Client> {
        super::connect_with(&self.url(), &self.central_creds()).await
    }

    /// The client URL, `nats://127.0.0.1:PORT` (stable across [`restart`](Self::restart)).
    pub fn url(&self) -> String {
        self.node.url()
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.node.client_port.unwrap_or(0)
    }

    /// The JetStream store directory (kept across restarts).
    pub fn store_dir(&self) -> PathBuf {
        self.node.store_dir()
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.node.log_path()
    }

    /// Whether the process is running.
    pub fn is_running(&self) -> bool {
        self.node.child.is_some()
    }

    /// Stops the server (SIGTERM, SIGKILL after 5 s). Idempotent.
    pub fn stop(&mut self) {
        self.node.stop();
    }

    /// Kills the server with SIGKILL (a crash, not a shutdown).
    pub fn kill(&mut self) {
        self.node.kill();
    }

    /// Starts the server again on the same port with the same store directory (stopping it first
    /// if it is running) and waits until JetStream is ready.
    pub fn restart(&mut self) -> Result<()> {
        self.node.stop();
        self.node.spawn()?;
        self.node.wait_jetstream()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.node.kill();
    }
}
