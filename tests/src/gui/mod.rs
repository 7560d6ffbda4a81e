//! GUI end-to-end harness: the real `mallbots-app` on a private Xvfb display, driven over
//! WebDriver through `tauri-driver` and WebKitWebDriver.
//!
//! [`Gui::start`] picks a free X display and a free port, starts `Xvfb` and `tauri-driver`, and
//! opens a WebDriver session whose application is the built app binary (found next to the test
//! executable, `target/<profile>/mallbots-app`, or at `$MALLBOTS_APP_BIN`). Every process is
//! killed when the [`Gui`] is dropped. Missing tools are an error naming the install script, so
//! a machine without them fails the GUI tests instead of skipping them.
//!
//! Modules: `tools` (programs, paths, the app binary, the EVENTS stream), `xvfb` (a private
//! display), `webdriver` (the session calls: find, click, type, text, windows, scripts,
//! screenshots), `base64` (screenshot decoding) and [`depot`] (central's depot events fed to the
//! app through its inbox or a real nats-server).
//!
//! The API is synchronous (an internal current-thread tokio runtime drives reqwest), so GUI tests
//! are plain `#[test]`s.

pub mod axe;
mod base64;
pub mod depot;
pub mod flows;
pub mod mall;
mod tools;
mod webdriver;
mod xvfb;

pub use base64::decode_base64;
pub use tools::{app_binary, create_events_stream, find_program, screenshot_dir, workspace_root};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tools::{poll, require_program, two_free_ports};
use webdriver::check;
use xvfb::{remove_if_stale, start_xvfb};

/// The W3C WebDriver key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How to launch the app under test.
#[derive(Debug, Clone)]
pub struct GuiOptions {
    /// Value of `MALLBOTS__APP__WINDOWS` for the app: `kiosk`, `manager` or `both`.
    pub windows: String,
    /// Extra command-line arguments for the app.
    pub args: Vec<String>,
    /// Extra environment for the app (it inherits tauri-driver's environment).
    pub env: Vec<(String, String)>,
    /// The app binary to run; default [`app_binary`] (the workspace's build).
    pub app: Option<std::path::PathBuf>,
}

impl GuiOptions {
    /// Only the kiosk window.
    pub fn kiosk() -> Self {
        Self::window("kiosk")
    }

    /// Only the store-manager window.
    pub fn manager() -> Self {
        Self::window("manager")
    }

    /// Both windows, i.e. the app's two devices (the kiosk's and the manager's database, each
    /// syncing on its own), against the open nats-server at `nats_url` (an EVENTS stream must
    /// exist) without central: the devices create their own consumers. The demonstration mall
    /// is seeded into the manager's database and reaches the kiosk through JetStream.
    pub fn both_synced(nats_url: &str) -> Self {
        let mut options = Self::window("both");
        options.env.extend([
            ("MALLBOTS__NATS__URL".to_owned(), nats_url.to_owned()),
            (
                "MALLBOTS__SYNC__CREATE_CONSUMERS".to_owned(),
                "1".to_owned(),
            ),
        ]);
        options
    }

    /// The windows `label` over fresh databases (in the test's own data folder), the
    /// demonstration mall seeded into the manager's (and, as nothing syncs, copied into the
    /// kiosk's).
    fn window(label: &str) -> Self {
        Self {
            windows: label.to_owned(),
            args: Vec::new(),
            env: vec![("MALLBOTS__APP__DEMO".to_owned(), "1".to_owned())],
            app: None,
        }
    }
}

/// A DOM element of the current session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(String);

/// A running app under WebDriver control, on its own display. Dropping it ends everything.
pub struct Gui {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    session: String,
    display: u32,
    driver: Child,
    xvfb: Child,
    _home: tempfile::TempDir,
    /// How long from asking for the session until it was open (the app process had started).
    pub session_started_in: Duration,
}

impl Gui {
    /// Starts Xvfb, tauri-driver and the app; returns once the WebDriver session is open.
    pub fn start(options: GuiOptions) -> Result<Self> {
        let app = match &options.app {
            Some(app) => app.clone(),
            None => app_binary()?,
        };
        let tauri_driver = require_program("tauri-driver")?;
        let native = require_program("WebKitWebDriver")?;
        let (mut xvfb, display) = start_xvfb()?;
        // The app's own data, config and cache folders (WebKit keeps state there), so parallel
        // tests share nothing.
        let home = tempfile::tempdir().context("temporary XDG folders")?;
        for dir in ["data", "config", "cache", "runtime"] {
            std::fs::create_dir_all(home.path().join(dir))?;
        }
        std::fs::set_permissions(
            home.path().join("runtime"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )?;
        let driver_log_path = home.path().join("driver.log");
        let driver_log = std::fs::File::create(&driver_log_path)?;
        let spawned = (|| -> Result<(Child, u16, u16)> {
            let (port, native_port) = two_free_ports()?;
            let mut cmd = Command::new(&tauri_driver);
            cmd.args(["--port", &port.to_string()])
                .args(["--native-port", &native_port.to_string()])
                .arg("--native-driver")
                .arg(&native)
                .env("DISPLAY", format!(":{display}"))
                .env("MALLBOTS__APP__WINDOWS", &options.windows)
                .env("XDG_DATA_HOME", home.path().join("data"))
                .env("XDG_CONFIG_HOME", home.path().join("config"))
                .env("XDG_CACHE_HOME", home.path().join("cache"))
                .env("XDG_RUNTIME_DIR", home.path().join("runtime"))
                .envs(options.env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(Stdio::from(driver_log.try_clone()?))
                .stderr(Stdio::from(driver_log));
            // Own process group, so Drop can end tauri-driver, WebKitWebDriver and the app.
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            Ok((
                cmd.spawn().context("starting tauri-driver")?,
                port,
                native_port,
            ))
        })();
        let (driver, port, native_port) = match spawned {
            Ok(ok) => ok,
            Err(err) => {
                let _ = xvfb.kill();
                let _ = xvfb.wait();
                return Err(err);
            }
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("tokio runtime")?;
        let mut gui = Gui {
            rt,
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            display,
            driver,
            xvfb,
            _home: home,
            session_started_in: Duration::ZERO,
        };
        // tauri-driver forwards to WebKitWebDriver, which it starts: wait for both.
        for (what, port) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            let listening = poll(Duration::from_secs(10), || {
                TcpStream::connect(("127.0.0.1", port)).ok()
            });
            if listening.is_none() {
                let log = std::fs::read_to_string(&driver_log_path).unwrap_or_default();
                bail!("{what} did not listen on port {port} within 10 s; its log:\n{log}");
            }
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": app, "args": options.args},
        }}});
        let started = Instant::now();
        let session = gui
            .request(reqwest::Method::POST, "/session", Some(capabilities))
            .and_then(|response| check(response, "new session"))
            .with_context(|| {
                let log = std::fs::read_to_string(&driver_log_path).unwrap_or_default();
                format!("tauri-driver and WebKitWebDriver said:\n{log}")
            })?;
        gui.session_started_in = started.elapsed();
        gui.session = session
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("new session: no sessionId in the response"))?
            .to_owned();
        Ok(gui)
    }

    /// The X display the app runs on, e.g. `:91`.
    pub fn display(&self) -> String {
        format!(":{}", self.display)
    }

    /// The app's data folder (`XDG_DATA_HOME`: its databases live below it).
    pub fn data_home(&self) -> std::path::PathBuf {
        self._home.path().join("data")
    }

    /// The last `lines` lines the app, tauri-driver and WebKitWebDriver logged, for a failure
    /// message.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self._home.path().join("driver.log")).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Gui {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = self.request(reqwest::Method::DELETE, &path, None);
        }
        // The whole group: tauri-driver, WebKitWebDriver and the app they started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
        remove_if_stale(self.display);
    }
}
