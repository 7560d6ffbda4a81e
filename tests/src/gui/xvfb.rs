//! A private X display per test: Xvfb on the first free display from :90, told apart from other
//! processes' displays by the pid in its lock file, and cleaned up when a killed one left files.

use super::tools::{poll, require_program};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Whether display `display` is served by the Xvfb with this pid: its lock file names the pid
/// (so a display won by another process in a race is never mistaken for ours) and its socket is
/// there.
fn xvfb_serves(display: u32, pid: u32) -> bool {
    let lock = std::fs::read_to_string(format!("/tmp/.X{display}-lock")).unwrap_or_default();
    lock.trim().parse::<u32>().ok() == Some(pid)
        && Path::new(&format!("/tmp/.X11-unix/X{display}")).exists()
}

/// Removes the lock file and socket of `display` when the process named in the lock is gone
/// (an Xvfb killed with SIGKILL leaves both behind, and 160 such displays fill the range).
pub(crate) fn remove_if_stale(display: u32) {
    let lock = format!("/tmp/.X{display}-lock");
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<u32>() else {
        return;
    };
    if !Path::new(&format!("/proc/{pid}")).exists() {
        let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{display}"));
        let _ = std::fs::remove_file(&lock);
    }
}

/// Starts Xvfb on the first display from 90 up that no one else holds.
pub(crate) fn start_xvfb() -> Result<(Child, u32)> {
    // Tests of one binary start in parallel: take turns here; other processes are told apart by
    // the pid in the display's lock file.
    static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = STARTING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let xvfb = require_program("Xvfb")?;
    for display in 90..250u32 {
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{display}"));
        let lock = PathBuf::from(format!("/tmp/.X{display}-lock"));
        remove_if_stale(display);
        if socket.exists() || lock.exists() {
            continue;
        }
        let mut child = Command::new(&xvfb)
            .arg(format!(":{display}"))
            .args(["-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", xvfb.display()))?;
        let pid = child.id();
        // Either our Xvfb serves the display, or it exits (another process took the display).
        let up = poll(Duration::from_secs(10), || {
            if xvfb_serves(display, pid) {
                return Some(true);
            }
            matches!(child.try_wait(), Ok(Some(_))).then_some(false)
        });
        match up {
            Some(true) => return Ok((child, display)),
            Some(false) => continue,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("Xvfb :{display} did not come up within 10 s");
            }
        }
    }
    bail!("no free X display between :90 and :249")
}
