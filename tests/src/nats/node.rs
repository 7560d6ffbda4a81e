//! One nats-server process with everything needed to start it again identically (same ports,
//! same store directory), plus the monitoring probes that tell when it is ready.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::{nats_server_binary, NatsOptions, START_TIMEOUT};
use crate::procs::{spawn_watchdog, Marker};

/// One nats-server process plus everything needed to start it again identically.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) name: String,
    pub(super) dir: PathBuf,
    pub(super) client_port: Option<u16>,
    pub(super) monitor_port: Option<u16>,
    pub(super) cluster: Option<ClusterArgs>,
    pub(super) options: NatsOptions,
    pub(super) child: Option<Child>,
}

#[derive(Debug, Clone)]
pub(super) struct ClusterArgs {
    pub(super) name: String,
    pub(super) port: u16,
    pub(super) routes: Vec<u16>,
}

impl Node {
    pub(super) fn store_dir(&self) -> PathBuf {
        self.dir.join("store")
    }

    pub(super) fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    pub(super) fn ports_dir(&self) -> PathBuf {
        self.dir.join("ports")
    }

    /// Spawns the process and waits for its ports file and TCP readiness (not JetStream).
    pub(super) fn spawn(&mut self) -> Result<()> {
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
    pub(super) fn wait_until<T>(
        &mut self,
        mut probe: impl FnMut() -> Option<T>,
        what: &str,
    ) -> Result<T> {
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

    pub(super) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    pub(super) fn wait_jetstream(&mut self) -> Result<()> {
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
    pub(super) fn stop(&mut self) {
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

    pub(super) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(super) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub(super) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.client_port.unwrap_or(0))
    }
}

/// The JetStream meta leader a node knows of, from its `/jsz` monitoring endpoint (a single
/// server counts as ready once `/jsz` reports its JetStream config).
pub(super) fn meta_leader(monitor_port: u16, clustered: bool) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
