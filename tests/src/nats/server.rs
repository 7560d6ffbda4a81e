//! [`NatsServer`]: a single JetStream server for a test binary or a test.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Result;
use tempfile::TempDir;

use super::node::Node;
use super::NatsOptions;

/// A single JetStream nats-server on a random client port with its own temp store directory.
/// Stopped when dropped.
#[derive(Debug)]
pub struct NatsServer {
    node: Node,
    _dir: TempDir,
}

impl NatsServer {
    /// One server shared by all tests of this test binary (DESIGN §9): started on first use,
    /// killed (and its directory removed) by its watchdog when the binary exits. Tests sharing it use their own subject root
    /// and stream prefix, and must not stop or restart it.
    pub fn shared() -> &'static NatsServer {
        static SHARED: OnceLock<NatsServer> = OnceLock::new();
        SHARED.get_or_init(|| NatsServer::start().expect("start the shared nats-server"))
    }

    /// Starts a server with default options and waits until JetStream is ready.
    pub fn start() -> Result<Self> {
        Self::start_with(NatsOptions::default())
    }

    /// Starts a server with a config file and/or extra arguments.
    pub fn start_with(options: NatsOptions) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("nats-").tempdir()?;
        let mut node = Node {
            name: "solo".to_string(),
            dir: dir.path().to_path_buf(),
            client_port: None,
            monitor_port: None,
            cluster: None,
            options,
            child: None,
        };
        node.spawn()?;
        node.wait_jetstream()?;
        Ok(Self { node, _dir: dir })
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
