//! `mallbots-central` replicas for the reliability tests: one [`CentralSpec`] per run, spawned
//! again after every kill with the same settings. Settings in the test's own environment (e.g.
//! `MALLBOTS__SAGA__TIMEOUT_MS`) reach every replica too; the spec's own values win.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::procs::{Proc, CENTRAL};

/// How to start a `mallbots-central` replica for a reliability test.
#[derive(Debug, Clone)]
pub struct CentralSpec {
    /// NATS URL(s), comma-separated.
    pub url: String,
    /// Subject root.
    pub root: String,
    /// Stream and bucket prefix.
    pub prefix: String,
    /// `--roles`.
    pub roles: String,
    /// `--replicas` of the streams (1 or 3).
    pub replicas: usize,
    /// Environment variables (simulator speed, ack wait, leases …).
    pub envs: Vec<(String, String)>,
    /// Central's credentials file (`--creds`; `auth init` wrote it), for a server with the
    /// product's authorization.
    pub creds: Option<PathBuf>,
}

impl CentralSpec {
    /// A spec with the settings the reliability tests share: fast simulated bots (10, 20 ms
    /// steps), a 3 s ack wait and bot lease (a killed replica's work comes back quickly), a 1 s
    /// dedup window (so the expected sequence is what keeps events exactly once).
    pub fn new(url: &str, root: &str, prefix: &str, roles: &str, replicas: usize) -> Self {
        let envs = [
            ("MALLBOTS__SIM__BOTS", "10"),
            ("MALLBOTS__SIM__STEP_MS", "20"),
            ("MALLBOTS__DEPOT__BOT_LEASE_MS", "3000"),
            ("MALLBOTS__TOPOLOGY__ACK_WAIT_MS", "3000"),
            ("MALLBOTS__TOPOLOGY__BACKOFF_MS", "500,1000,2000"),
            ("MALLBOTS__TOPOLOGY__MAX_DELIVER", "50"),
        ];
        Self {
            url: url.to_string(),
            root: root.to_string(),
            prefix: prefix.to_string(),
            roles: roles.to_string(),
            replicas,
            envs: envs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            creds: None,
        }
    }

    /// Central connects with its credentials file (`--creds FILE`).
    pub fn with_creds(mut self, creds: impl Into<PathBuf>) -> Self {
        self.creds = Some(creds.into());
        self
    }

    /// Spawns a replica (not waiting for it to be ready).
    pub fn spawn(&self) -> Result<Proc> {
        let mut b = Proc::builder(CENTRAL)
            .args(["--nats", &self.url, "--http", "127.0.0.1:0"])
            .args([
                "--subject-root",
                &self.root,
                "--stream-prefix",
                &self.prefix,
            ])
            .args(["--duplicate-window-ms", "1000", "--roles", &self.roles])
            .args(["--replicas", &self.replicas.to_string()]);
        if let Some(creds) = &self.creds {
            b = b.arg("--creds").arg(creds.display().to_string());
        }
        for (k, v) in &self.envs {
            b = b.env(k, v);
        }
        b.spawn()
            .context("spawn mallbots-central (cargo build -p mallbots-central first)")
    }

    /// Spawns a replica and waits until it logs that it is ready.
    pub fn spawn_ready(&self, timeout: Duration) -> Result<Proc> {
        let mut p = self.spawn()?;
        p.wait_for_log("mallbots-central ready", timeout)?;
        Ok(p)
    }
}
