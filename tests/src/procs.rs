//! Spawned workspace binaries (`mallbots-central`, `mallbots`, `mallbots-app`) for system tests.
//!
//! Binaries are found in env `MALLBOTS_BIN_DIR`, else in the target directory this test executable
//! was built into (`target/<profile>/deps/<test>` → `target/<profile>/`); build them first
//! (`cargo build -p mallbots-central`). Output (stdout and stderr) goes to a log file in a temp
//! directory; tests poll it with [`Proc::wait_for_log`]. A process is killed when dropped, and by
//! a watchdog ([`spawn_watchdog`]) if the test binary dies without dropping it.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

/// The central service binary.
pub const CENTRAL: &str = "mallbots-central";
/// The edge CLI binary.
pub const EDGE_CLI: &str = "mallbots";
/// The Tauri app binary.
pub const APP: &str = "mallbots-app";

/// Directory holding the workspace binaries: env `MALLBOTS_BIN_DIR`, else the profile directory of
/// the running test executable.
pub fn bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("MALLBOTS_BIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let exe = std::env::current_exe().context("current_exe")?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    Ok(dir)
}

/// Full path of workspace binary `name`, or an error telling how to build it.
pub fn binary(name: &str) -> Result<PathBuf> {
    let path = bin_dir()?.join(name);
    if !path.is_file() {
        bail!(
            "{} not found: build it first (cargo build -p <its crate>) with the same \
             CARGO_TARGET_DIR, or set MALLBOTS_BIN_DIR",
            path.display()
        );
    }
    Ok(path)
}

/// Environment variable set on every spawned binary; its value (the process's unique temp dir)
/// lets the watchdog recognise the process.
pub const MARKER_ENV: &str = "MALLBOTS_TEST_MARKER";

/// How a watchdog recognises its process, so a recycled pid is never killed.
#[derive(Debug, Clone, Copy)]
pub enum Marker<'a> {
    /// This text appears in `/proc/<pid>/cmdline`.
    CommandLine(&'a Path),
    /// This text appears in `/proc/<pid>/environ`.
    Environment(&'a Path),
}

/// Starts a small `sh` watchdog that SIGKILLs `pid` once this test process is gone (a shared
/// `static` is never dropped; an aborted run drops nothing), then removes `cleanup` if given. It
/// kills only a process still carrying `marker` (not a reused pid), and exits as soon as the
/// process is gone.
pub fn spawn_watchdog(pid: u32, marker: Marker<'_>, cleanup: Option<&Path>) {
    let (file, text) = match marker {
        Marker::CommandLine(p) => ("cmdline", p),
        Marker::Environment(p) => ("environ", p),
    };
    // The wait ends when the test process or the watched process is gone, never on a marker
    // read: a read of /proc/<pid>/cmdline can come back empty under load, and a loop that ended
    // on it went on to find the marker again and SIGKILL a live server of a running test.
    let script = r#"
        alive() { tr '\0' '\n' < "/proc/$2/$3" 2>/dev/null | grep -qF -- "$4"; }
        while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 0.5; done
        if ! kill -0 "$1" 2>/dev/null && alive "$@"; then
            kill -9 "$2"; sleep 0.2
            if [ -n "$5" ]; then rm -rf -- "$5"; fi
        fi
    "#;
    let _ = Command::new("sh")
        .args(["-c", script, "watchdog"])
        .arg(std::process::id().to_string())
        .arg(pid.to_string())
        .arg(file)
        .arg(text)
        .arg(cleanup.map(Path::as_os_str).unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// What to spawn: binary name, arguments, environment.
#[derive(Debug, Clone)]
pub struct ProcBuilder {
    name: String,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    current_dir: Option<PathBuf>,
}

impl ProcBuilder {
    /// Adds one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Sets the working directory.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Spawns the process with output captured to a log file.
    pub fn spawn(self) -> Result<Proc> {
        let path = binary(&self.name)?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{}-", self.name))
            .tempdir()?;
        let log_path = dir.path().join("output.log");
        let log = File::create(&log_path)?;
        let mut cmd = Command::new(&path);
        cmd.env(MARKER_ENV, dir.path())
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let own_filter = self.envs.iter().any(|(k, _)| k == "RUST_LOG");
        if std::env::var_os("RUST_LOG").is_none() && !own_filter {
            cmd.env("RUST_LOG", "info");
        }
        if let Some(cwd) = &self.current_dir {
            cmd.current_dir(cwd);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", path.display()))?;
        spawn_watchdog(
            child.id(),
            Marker::Environment(dir.path()),
            Some(dir.path()),
        );
        Ok(Proc {
            name: self.name,
            child: Some(child),
            log_path,
            _dir: dir,
        })
    }
}

/// A running workspace binary; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Option<Child>,
    log_path: PathBuf,
    _dir: TempDir,
}

impl Proc {
    /// Starts describing a process for binary `name` (e.g. [`CENTRAL`]).
    pub fn builder(name: &str) -> ProcBuilder {
        ProcBuilder {
            name: name.to_string(),
            args: Vec::new(),
            envs: Vec::new(),
            current_dir: None,
        }
    }

    /// Spawns binary `name` with `args`.
    pub fn spawn<I, S>(name: &str, args: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::builder(name).args(args).spawn()
    }

    /// The OS process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The captured output so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The log file path.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Polls the log until a line contains `needle`; returns that line. Fails on timeout or if the
    /// process exits first (the log is included in the error).
    pub fn wait_for_log(&mut self, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let logs = self.logs();
            if let Some(line) = logs.lines().find(|l| l.contains(needle)) {
                return Ok(line.to_string());
            }
            if self.child.is_none() {
                bail!("{} is not running (killed earlier):\n{logs}", self.name);
            }
            if let Some(status) = self.exit_status() {
                // The status tells a crash (signal) from an error exit when the log is empty.
                bail!(
                    "{} exited ({status}) before logging {needle:?}:\n{logs}",
                    self.name
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not log {needle:?} within {timeout:?}:\n{logs}",
                    self.name
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits for the `http listening on ADDR` log line and returns ADDR.
    pub fn http_addr(&mut self, timeout: Duration) -> Result<SocketAddr> {
        let line = self.wait_for_log("http listening on ", timeout)?;
        let addr = line
            .split("http listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .context("no address after 'http listening on'")?;
        addr.parse()
            .with_context(|| format!("bad address {addr:?} in {line:?}"))
    }

    /// How the process ended, once it has (`None` while it runs or after it was reaped).
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Kills with SIGKILL (a crash) and reaps the process.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit status (graceful shutdown).
    pub fn terminate(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let Some(child) = self.child.as_ref() else {
            bail!("{} is not running", self.name);
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("kill -TERM failed for {}", self.name);
        }
        self.wait_exit(timeout)
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let Some(child) = self.child.as_mut() else {
                bail!("{} is not running", self.name);
            };
            if let Some(status) = child.try_wait()? {
                self.child = None;
                return Ok(status);
            }
            if Instant::now() > deadline {
                bail!("{} still running after {timeout:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill_9();
    }
}
