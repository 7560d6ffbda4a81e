//! Asking running nats-servers to reload the rendered config (SIGHUP), and checking that a
//! device's new credentials are accepted.

use std::path::Path;
use std::time::{Duration, Instant};

/// The pids in `DIR/*.pid` (written by `nats-server -P DIR/<name>.pid`), sorted, without
/// duplicates. Unreadable files are skipped.
pub fn server_pids(dir: &Path) -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pid"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| t.trim().parse().ok())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// Whether `pid` is a running nats-server (where `/proc` can tell; elsewhere assumed).
fn is_nats_server(pid: u32) -> Result<(), String> {
    let proc_dir = Path::new("/proc");
    if !proc_dir.is_dir() {
        return Ok(());
    }
    let cmdline = std::fs::read(proc_dir.join(pid.to_string()).join("cmdline"))
        .map_err(|_| "no such process".to_owned())?;
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    if String::from_utf8_lossy(argv0).contains("nats-server") {
        Ok(())
    } else {
        Err("not a nats-server process".to_owned())
    }
}

/// Sends SIGHUP (reload the config) to each pid that is a running nats-server. Returns, per
/// pid, `Ok` or why it was not signalled; stale pid files are reported, never signalled.
pub fn reload_servers(pids: &[u32]) -> Vec<(u32, Result<(), String>)> {
    pids.iter()
        .map(|&pid| {
            let result = is_nats_server(pid).and_then(|()| {
                let status = std::process::Command::new("kill")
                    .args(["-HUP", &pid.to_string()])
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .map_err(|e| format!("kill: {e}"))?;
                if status.success() {
                    Ok(())
                } else {
                    Err(format!("kill -HUP exited with {status}"))
                }
            });
            (pid, result)
        })
        .collect()
}

/// Waits until every server in `urls` (comma-separated) accepts `creds` (a password, or a JWT
/// and seed), polling until `timeout`. Returns the URLs (without credentials) that still refuse.
pub async fn wait_accepted(
    urls: &str,
    tls_ca: Option<&std::path::Path>,
    creds: &mallbots_wire::credentials::DeviceCredentials,
    timeout: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut pending: Vec<String> = super::without_userinfo(urls)
        .split(',')
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    loop {
        let mut still = Vec::new();
        for url in pending {
            let options =
                async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(2));
            let Ok(mut options) = creds.login(options) else {
                still.push(url);
                continue;
            };
            if let Some(ca) = tls_ca {
                options = options
                    .add_root_certificates(ca.to_path_buf())
                    .require_tls(true);
            }
            let ok = options.connect(url.as_str()).await;
            match ok {
                Ok(client) => drop(client),
                Err(_) => still.push(url),
            }
        }
        pending = still;
        if pending.is_empty() || Instant::now() >= deadline {
            return pending;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
