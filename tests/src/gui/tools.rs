//! Programs, paths and small helpers of the GUI harness: where tauri-driver, Xvfb and the app
//! binary are, where screenshots go, free ports, polling with a deadline, and the `EVENTS`
//! stream of a test's nats-server.

use anyhow::{anyhow, bail, Context, Result};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "run `bash scripts/install-deps.sh` (installs xvfb, webkit2gtk-driver \
                            and `cargo install tauri-driver --locked`)";

/// Finds a program on PATH (and in ~/.cargo/bin, where `cargo install` puts tauri-driver).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

pub(crate) fn require_program(name: &str) -> Result<PathBuf> {
    find_program(name).ok_or_else(|| anyhow!("`{name}` was not found: {INSTALL_HINT}"))
}

/// The workspace root (the parent of the `tests` crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Where screenshots go: `<workspace>/target/e2e-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    workspace_root().join("target").join("e2e-screenshots")
}

/// The app binary: `$MALLBOTS_APP_BIN`, else `mallbots-app` beside this test's `deps/` folder.
pub fn app_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("MALLBOTS_APP_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("locating the test executable")?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("unexpected test executable path {}", exe.display()))?;
    let app = profile_dir.join("mallbots-app");
    if !app.is_file() {
        bail!(
            "{} does not exist: build it first with `cargo build -p mallbots-app` \
             (scripts/test.sh does) or set MALLBOTS_APP_BIN",
            app.display()
        );
    }
    Ok(app)
}

/// Two distinct free loopback ports (both listeners are held until both are known).
pub(crate) fn two_free_ports() -> Result<(u16, u16)> {
    let a = TcpListener::bind("127.0.0.1:0")?;
    let b = TcpListener::bind("127.0.0.1:0")?;
    Ok((a.local_addr()?.port(), b.local_addr()?.port()))
}

/// Polls `check` every 25 ms until it yields `Some` or `timeout` passes.
pub(crate) fn poll<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Creates the `EVENTS` stream over `mallbots.ev.>` on the server at `url` (what central
/// provisions), for GUI tests whose app syncs with a real nats-server.
pub fn create_events_stream(url: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(url).await?);
        js.get_or_create_stream(async_nats::jetstream::stream::Config {
            name: "EVENTS".into(),
            subjects: vec!["mallbots.ev.>".into()],
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("EVENTS stream: {e}"))?;
        Ok(())
    })
}
