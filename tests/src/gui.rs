//! GUI end-to-end harness: the real `mallbots-app` on a private Xvfb display, driven over
//! WebDriver through `tauri-driver` and WebKitWebDriver.
//!
//! [`Gui::start`] picks a free X display and a free port, starts `Xvfb` and `tauri-driver`, and
//! opens a WebDriver session whose application is the built app binary (found next to the test
//! executable, `target/<profile>/mallbots-app`, or at `$MALLBOTS_APP_BIN`). Every process is
//! killed when the [`Gui`] is dropped. Missing tools are an error naming the install script, so
//! a machine without them fails the GUI tests instead of skipping them.
//!
//! The API is synchronous (an internal current-thread tokio runtime drives reqwest), so GUI tests
//! are plain `#[test]`s.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C WebDriver key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const INSTALL_HINT: &str = "run `bash scripts/install-deps.sh` (installs xvfb, webkit2gtk-driver \
                            and `cargo install tauri-driver --locked`)";

/// How to launch the app under test.
#[derive(Debug, Clone)]
pub struct GuiOptions {
    /// Value of `MALLBOTS_WINDOWS` for the app: `kiosk`, `manager` or `both`.
    pub windows: String,
    /// Extra command-line arguments for the app.
    pub args: Vec<String>,
    /// Extra environment for the app (it inherits tauri-driver's environment).
    pub env: Vec<(String, String)>,
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

    /// The windows `label` over a fresh database (in the test's own data folder) seeded with
    /// the demonstration mall.
    fn window(label: &str) -> Self {
        Self {
            windows: label.to_owned(),
            args: Vec::new(),
            env: vec![("MALLBOTS_DEMO".to_owned(), "1".to_owned())],
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

fn require_program(name: &str) -> Result<PathBuf> {
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
fn two_free_ports() -> Result<(u16, u16)> {
    let a = TcpListener::bind("127.0.0.1:0")?;
    let b = TcpListener::bind("127.0.0.1:0")?;
    Ok((a.local_addr()?.port(), b.local_addr()?.port()))
}

/// Polls `check` every 25 ms until it yields `Some` or `timeout` passes.
fn poll<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
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
fn remove_if_stale(display: u32) {
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
fn start_xvfb() -> Result<(Child, u32)> {
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

fn check(response: Value, what: &str) -> Result<Value> {
    let value = response.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        bail!("WebDriver {what}: {error}: {message}");
    }
    Ok(value)
}

impl Gui {
    /// Starts Xvfb, tauri-driver and the app; returns once the WebDriver session is open.
    pub fn start(options: GuiOptions) -> Result<Self> {
        let app = app_binary()?;
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
                .env("MALLBOTS_WINDOWS", &options.windows)
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

    fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{}", self.base, path);
        self.rt.block_on(async {
            // A session whose app died never answers: bound every call.
            let mut request = self
                .http
                .request(method, &url)
                .timeout(Duration::from_secs(90));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.with_context(|| url.clone())?;
            response
                .json::<Value>()
                .await
                .with_context(|| format!("{url}: body"))
        })
    }

    fn session_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let path = format!("/session/{}{}", self.session, path);
        check(self.request(method, &path, body)?, &path)
    }

    /// The first element matching a CSS selector (error if none).
    pub fn find(&self, css: &str) -> Result<Element> {
        let found = self.session_call(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        found
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_owned()))
            .ok_or_else(|| anyhow!("find {css}: no element reference in {found}"))
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let found = self.session_call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        Ok(found
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e.get(ELEMENT_KEY).and_then(Value::as_str))
                    .map(|id| Element(id.to_owned()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until an element matches `css`, polling until `timeout`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let mut last = None;
        let found = poll(timeout, || match self.find(css) {
            Ok(element) => Some(element),
            Err(err) => {
                last = Some(err);
                None
            }
        });
        found.ok_or_else(|| {
            let page = self
                .execute(
                    "return document.body ? document.body.innerText.slice(0, 400) : ''",
                    json!([]),
                )
                .unwrap_or(Value::Null);
            anyhow!("no `{css}` within {timeout:?} (last: {last:?}); the page shows: {page}")
        })
    }

    /// Clicks the first element matching `css`.
    pub fn click(&self, css: &str) -> Result<()> {
        let element = self.find(css)?;
        self.click_element(&element)
    }

    /// Clicks an element.
    pub fn click_element(&self, element: &Element) -> Result<()> {
        let path = format!("/element/{}/click", element.0);
        self.session_call(reqwest::Method::POST, &path, Some(json!({})))
            .map(drop)
    }

    /// Types text into the first element matching `css`.
    pub fn type_text(&self, css: &str, text: &str) -> Result<()> {
        let element = self.find(css)?;
        let path = format!("/element/{}/value", element.0);
        self.session_call(reqwest::Method::POST, &path, Some(json!({"text": text})))
            .map(drop)
    }

    /// The rendered text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Result<String> {
        let element = self.find(css)?;
        self.element_text(&element)
    }

    /// The rendered text of an element.
    pub fn element_text(&self, element: &Element) -> Result<String> {
        let path = format!("/element/{}/text", element.0);
        let text = self.session_call(reqwest::Method::GET, &path, None)?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Polls the text of the first element matching `css` until it contains `needle`; returns
    /// the text.
    pub fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> Result<String> {
        let mut last = String::new();
        poll(timeout, || match self.text(css) {
            Ok(text) if text.contains(needle) => Some(text),
            Ok(text) => {
                last = text;
                None
            }
            Err(err) => {
                last = format!("<{err}>");
                None
            }
        })
        .ok_or_else(|| {
            anyhow!("`{css}` never contained {needle:?} within {timeout:?}; last: {last:?}")
        })
    }

    /// The WebDriver handles of the app's windows (the first is the one the session started in).
    pub fn window_handles(&self) -> Result<Vec<String>> {
        let handles = self.session_call(reqwest::Method::GET, "/window/handles", None)?;
        Ok(serde_json::from_value(handles)?)
    }

    /// Makes the window with this WebDriver handle the target of the next commands.
    pub fn switch_to_window(&self, handle: &str) -> Result<()> {
        self.session_call(
            reqwest::Method::POST,
            "/window",
            Some(json!({"handle": handle})),
        )
        .map(drop)
    }

    /// Makes the window whose Tauri label is `label` (`kiosk` or `manager`) the target.
    pub fn switch_to_label(&self, label: &str) -> Result<()> {
        const LABEL: &str = "return window.__TAURI_INTERNALS__.metadata.currentWindow.label";
        for handle in self.window_handles()? {
            self.switch_to_window(&handle)?;
            if self.execute(LABEL, json!([]))? == label {
                return Ok(());
            }
        }
        bail!("no window labelled {label}")
    }

    /// Runs a script in the page (`arguments` = `args`) and returns its result.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value> {
        let body = json!({"script": script, "args": args});
        self.session_call(reqwest::Method::POST, "/execute/sync", Some(body))
    }

    /// Runs an async script: it must call `arguments[arguments.length - 1](result)`.
    pub fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        let body = json!({"script": script, "args": args});
        self.session_call(reqwest::Method::POST, "/execute/async", Some(body))
    }

    /// Waits two animation frames (so the last change is painted), then saves a PNG of the
    /// window as `<workspace>/target/e2e-screenshots/<name>.png` and returns its path.
    pub fn screenshot(&self, name: &str) -> Result<PathBuf> {
        self.execute_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            json!([]),
        )?;
        let data = self.session_call(reqwest::Method::GET, "/screenshot", None)?;
        let encoded = data
            .as_str()
            .ok_or_else(|| anyhow!("screenshot: expected base64 text, got {data}"))?;
        let png = decode_base64(encoded)?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
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

/// Decodes standard base64 (with or without padding and line breaks).
pub fn decode_base64(text: &str) -> Result<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text.as_bytes() {
        if c == b'=' || c.is_ascii_whitespace() {
            continue;
        }
        let value = sextet(c).ok_or_else(|| anyhow!("invalid base64 byte {c:#x}"))?;
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("TWFu").unwrap(), b"Man");
        assert_eq!(decode_base64("TWE=").unwrap(), b"Ma");
        assert_eq!(decode_base64("TQ==").unwrap(), b"M");
        assert_eq!(
            decode_base64("iVBORw0K\nGgo=").unwrap(),
            b"\x89PNG\r\n\x1a\n"
        );
        assert!(decode_base64("T$==").is_err());
    }
}
