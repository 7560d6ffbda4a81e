//! [`NatsCluster`]: a JetStream cluster of several nodes on loopback.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{bail, Result};
use tempfile::TempDir;

use super::free_port;
use super::node::{meta_leader, ClusterArgs, Node};
use super::{AuthKind, Enrollment, NatsAuth, NatsOptions};

/// A JetStream cluster of `n` nodes on loopback, each with its own server name, store directory,
/// client port and cluster port, routed to all others. Stopped when dropped.
#[derive(Debug)]
pub struct NatsCluster {
    nodes: Vec<Node>,
    auth: Option<NatsAuth>,
    _dir: TempDir,
}

impl NatsCluster {
    /// One 3-node cluster shared by all tests of this test binary; see [`NatsServer::shared`].
    pub fn shared() -> &'static NatsCluster {
        static SHARED: OnceLock<NatsCluster> = OnceLock::new();
        SHARED.get_or_init(|| NatsCluster::start(3).expect("start the shared nats cluster"))
    }

    /// One 3-node cluster with the product's authorization shared by all tests of this test
    /// binary; see [`start_with_auth`](Self::start_with_auth).
    pub fn shared_with_auth() -> &'static NatsCluster {
        static SHARED: OnceLock<NatsCluster> = OnceLock::new();
        SHARED.get_or_init(|| {
            NatsCluster::start_with_auth(3, "").expect("start the shared nats cluster with auth")
        })
    }

    /// Starts `n` nodes whose authorization is the one `mallbots-central auth init` generates
    /// (one auth directory for all nodes; [`enroll`](Self::enroll) reloads every running node);
    /// `extra_config` is added to the config verbatim.
    pub fn start_with_auth(n: usize, extra_config: &str) -> Result<Self> {
        Self::start_with_auth_kind(n, extra_config, AuthKind::Passwords)
    }

    /// Like [`start_with_auth`](Self::start_with_auth), under account (JWT) auth (`auth init
    /// --accounts`): enrollments need no reload.
    pub fn start_with_accounts(n: usize, extra_config: &str) -> Result<Self> {
        Self::start_with_auth_kind(n, extra_config, AuthKind::Accounts)
    }

    fn start_with_auth_kind(n: usize, extra_config: &str, kind: AuthKind) -> Result<Self> {
        let mut attempt = 1;
        loop {
            let dir = tempfile::Builder::new().prefix("nats-cluster-").tempdir()?;
            let auth = NatsAuth::init_kind_in(&dir.path().join("authz"), extra_config, kind)?;
            let options = NatsOptions::default();
            match Self::start_once(n, dir, options, Some(auth)) {
                Err(e) if attempt < 3 && format!("{e:#}").contains("address already in use") => {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Starts `n` nodes and waits until every node knows the JetStream meta leader.
    pub fn start(n: usize) -> Result<Self> {
        Self::start_with(n, NatsOptions::default())
    }

    /// Like [`start`](Self::start), with the same options for every node. Route ports must be
    /// chosen before any node starts, so another process may take one meanwhile: a start that
    /// fails on a port already in use is tried again with fresh ports (up to three times).
    pub fn start_with(n: usize, options: NatsOptions) -> Result<Self> {
        let mut attempt = 1;
        loop {
            let dir = tempfile::Builder::new().prefix("nats-cluster-").tempdir()?;
            match Self::start_once(n, dir, options.clone(), None) {
                Err(e) if attempt < 3 && format!("{e:#}").contains("address already in use") => {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn start_once(
        n: usize,
        dir: TempDir,
        options: NatsOptions,
        auth: Option<NatsAuth>,
    ) -> Result<Self> {
        if n == 0 {
            bail!("a cluster needs at least one node");
        }
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
        if let Some(auth) = &auth {
            for node in &mut nodes {
                let block = node.cluster.as_ref().map(|c| {
                    let routes: Vec<String> = c
                        .routes
                        .iter()
                        .map(|p| format!("\"nats://127.0.0.1:{p}\""))
                        .collect();
                    format!(
                        "cluster {{ name: \"{}\", listen: \"127.0.0.1:{}\", routes: [{}] }}",
                        c.name,
                        c.port,
                        routes.join(", ")
                    )
                });
                node.options = auth.node_options(&node.name, &block.unwrap_or_default())?;
            }
        }
        let mut cluster = Self {
            nodes,
            auth,
            _dir: dir,
        };
        for node in &mut cluster.nodes {
            node.spawn()?;
        }
        for node in &mut cluster.nodes {
            node.wait_jetstream()?;
        }
        Ok(cluster)
    }

    /// The product's authorization of this cluster; panics for one started without it.
    pub fn auth(&self) -> &NatsAuth {
        self.auth
            .as_ref()
            .expect("a cluster started with start_with_auth / shared_with_auth")
    }

    /// Central's credentials file (`mallbots-central --creds FILE`).
    pub fn central_creds(&self) -> PathBuf {
        self.auth().central_creds()
    }

    /// Enrolls a device with the real `mallbots-central enroll`, reloading every running node;
    /// returns its credentials file. Returns once every running node accepts the credentials.
    pub fn enroll(&self, enrollment: &Enrollment) -> Result<PathBuf> {
        let pids: Vec<u32> = self.nodes.iter().filter_map(Node::pid).collect();
        let running: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.pid().is_some())
            .map(Node::url)
            .collect();
        self.auth().enroll(&running.join(","), &pids, enrollment)
    }

    /// A client logged in as central (full rights), to any node.
    pub async fn central_client(&self) -> Result<async_nats::Client> {
        super::connect_with(&self.url(), &self.central_creds()).await
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
