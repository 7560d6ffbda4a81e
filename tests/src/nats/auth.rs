//! The product's NATS authorization for test servers (docs/architecture.md §9, "test it as it ships"): an
//! auth directory made by the real `mallbots-central auth init`, a server config that only
//! `include`s the rendered `nats-auth.conf` (plus any extra settings a test needs), and devices
//! enrolled by the real `mallbots-central enroll`, which re-renders the config and reloads the
//! running servers (their pids are passed with `--reload-pid`).
//!
//! ```text
//! <tempdir>/
//!   server.conf      include "auth/nats-auth.conf"  + the test's extra settings
//!   auth/            the auth directory (0700): central.json, devices/, nats-auth.conf
//!   creds/           the devices' credentials files (<root>.<device>.json, 0600)
//! ```
//!
//! Needs the binary: `cargo build -p mallbots-central` (same `CARGO_TARGET_DIR`).
//!
//! Device ids are NATS user names, unique per server: tests sharing one server use their own
//! device ids as well as their own subject roots (enrolling the same id again re-enrolls it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use mallbots_sync::engine::DeviceCredentials;
use tempfile::TempDir;

use super::NatsOptions;
use crate::procs::{binary, CENTRAL};

/// Which authorization `auth init` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// Users and bcrypt hashes in the config (`auth init`); an enrollment reloads the servers.
    Passwords,
    /// An operator and accounts; users are keys with JWTs (`auth init --accounts`).
    Accounts,
}

/// An auth directory made by `mallbots-central auth init`, and the server config using it.
#[derive(Debug)]
pub struct NatsAuth {
    root: PathBuf,
    extra_config: String,
    _tmp: Option<TempDir>,
}

impl NatsAuth {
    /// Runs `mallbots-central auth init --dir <tempdir>/auth` and writes `server.conf`
    /// (the include, then `extra_config` verbatim, e.g. `max_payload: 65536`).
    pub fn init(extra_config: &str) -> Result<Self> {
        let tmp = tempfile::Builder::new().prefix("nats-auth-").tempdir()?;
        let mut auth = Self::init_in(tmp.path(), extra_config)?;
        auth._tmp = Some(tmp);
        Ok(auth)
    }

    /// Like [`init`](Self::init), in `root` (created if missing; not removed on drop).
    pub fn init_in(root: &Path, extra_config: &str) -> Result<Self> {
        Self::init_kind_in(root, extra_config, AuthKind::Passwords)
    }

    /// Like [`init_in`](Self::init_in), making `kind` of authorization.
    pub fn init_kind_in(root: &Path, extra_config: &str, kind: AuthKind) -> Result<Self> {
        let auth = Self {
            root: root.to_path_buf(),
            extra_config: extra_config.to_owned(),
            _tmp: None,
        };
        std::fs::create_dir_all(auth.creds_dir())?;
        let mut args = vec![
            "auth".to_owned(),
            "init".into(),
            "--dir".into(),
            path_arg(&auth.dir()),
        ];
        if kind == AuthKind::Accounts {
            args.push("--accounts".into());
        }
        run_central(&args, "auth init")?;
        std::fs::write(
            auth.server_config_path(),
            format!("include \"auth/nats-auth.conf\"\n{extra_config}\n"),
        )?;
        Ok(auth)
    }

    /// The auth directory (`DIR` of `auth init`).
    pub fn dir(&self) -> PathBuf {
        self.root.join("auth")
    }

    /// The rendered `nats-auth.conf`.
    pub fn config_path(&self) -> PathBuf {
        self.dir().join("nats-auth.conf")
    }

    /// The server's config file (`-c`): the include plus the test's extra settings.
    pub fn server_config_path(&self) -> PathBuf {
        self.root.join("server.conf")
    }

    /// Central's credentials file (`mallbots-central --creds FILE`).
    pub fn central_creds(&self) -> PathBuf {
        self.dir().join("central.json")
    }

    /// `["--creds", <central.json>]`, to add to a central command line.
    pub fn central_args(&self) -> Vec<String> {
        vec!["--creds".into(), path_arg(&self.central_creds())]
    }

    /// Central's credentials (user and password), e.g. for an in-process central client.
    pub fn central_credentials(&self) -> Result<DeviceCredentials> {
        DeviceCredentials::load(&self.central_creds()).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The options that start a server with this authorization.
    pub fn options(&self) -> NatsOptions {
        NatsOptions {
            config_file: Some(self.server_config_path()),
            extra_args: Vec::new(),
        }
    }

    /// The options for node `name` of the harness (`-n name`): its own config file,
    /// `server-<name>.conf`, which repeats the server name and `node_config` (the cluster
    /// block) given as flags: a reload reads only the file, and fails on a server name or
    /// cluster name that differs from the running one ("config reload not supported for
    /// ServerName", "jetstream cluster requires `cluster.name` to be set").
    pub fn node_options(&self, name: &str, node_config: &str) -> Result<NatsOptions> {
        let path = self.root.join(format!("server-{name}.conf"));
        std::fs::write(
            &path,
            format!(
                "server_name: \"{name}\"\n{node_config}\ninclude \"auth/nats-auth.conf\"\n{}\n",
                self.extra_config
            ),
        )?;
        Ok(NatsOptions {
            config_file: Some(path),
            extra_args: Vec::new(),
        })
    }

    fn creds_dir(&self) -> PathBuf {
        self.root.join("creds")
    }

    /// Enrolls `device` by running `mallbots-central … enroll … --auth-dir DIR --out FILE` as
    /// central against `url` (comma-separated for a cluster), reloading the servers `pids`;
    /// returns the credentials file. The binary returns once every server accepts the device's
    /// credentials.
    pub fn enroll(&self, url: &str, pids: &[u32], enrollment: &Enrollment) -> Result<PathBuf> {
        let out = enrollment.out.clone().unwrap_or_else(|| {
            self.creds_dir().join(format!(
                "{}.{}.json",
                enrollment.subject_root, enrollment.device
            ))
        });
        let mut args = vec![
            "--nats".to_string(),
            url.to_string(),
            "--subject-root".into(),
            enrollment.subject_root.clone(),
            "--stream-prefix".into(),
            enrollment.stream_prefix.clone(),
        ];
        args.extend(self.central_args());
        args.extend(enrollment.central_args.iter().cloned());
        args.extend([
            "enroll".into(),
            "--device".into(),
            enrollment.device.clone(),
            "--role".into(),
            enrollment.role.clone(),
            "--auth-dir".into(),
            path_arg(&self.dir()),
            "--out".into(),
            path_arg(&out),
        ]);
        for store in &enrollment.stores {
            args.extend(["--store".into(), store.clone()]);
        }
        if enrollment.rotate {
            args.push("--rotate".into());
        }
        if enrollment.all_stores {
            args.push("--all-stores".into());
        }
        for pid in pids {
            args.extend(["--reload-pid".into(), pid.to_string()]);
        }
        run_central(&args, &format!("enroll {}", enrollment.device))?;
        Ok(out)
    }
}

/// What to enroll: a device, its role and stores, under a subject root and stream prefix.
#[derive(Debug, Clone)]
pub struct Enrollment {
    /// The device id (its NATS user: unique per server).
    pub device: String,
    /// `kiosk`, `manager` or `depot`.
    pub role: String,
    /// A manager's stores.
    pub stores: Vec<String>,
    /// The test's subject root.
    pub subject_root: String,
    /// The test's stream prefix.
    pub stream_prefix: String,
    /// Where the credentials file goes (default: the harness's `creds/<root>.<device>.json`).
    pub out: Option<PathBuf>,
    /// Issue a new password.
    pub rotate: bool,
    /// A manager of every store (`--all-stores`: the mall office).
    pub all_stores: bool,
    /// More global `mallbots-central` arguments (e.g. `--replicas 3`, used if enrollment
    /// creates the topology).
    pub central_args: Vec<String>,
}

impl Enrollment {
    fn new(device: &str, role: &str, stores: &[&str], subject_root: &str) -> Self {
        Self {
            device: device.to_owned(),
            role: role.to_owned(),
            stores: stores.iter().map(|s| (*s).to_owned()).collect(),
            subject_root: subject_root.to_owned(),
            stream_prefix: String::new(),
            out: None,
            rotate: false,
            all_stores: false,
            central_args: Vec::new(),
        }
    }

    /// A kiosk.
    pub fn kiosk(device: &str, subject_root: &str) -> Self {
        Self::new(device, "kiosk", &[], subject_root)
    }

    /// A manager desk of `stores`.
    pub fn manager(device: &str, stores: &[&str], subject_root: &str) -> Self {
        Self::new(device, "manager", stores, subject_root)
    }

    /// The mall office's manager desk: every store (`--all-stores`).
    pub fn mall_office(device: &str, subject_root: &str) -> Self {
        Self {
            all_stores: true,
            ..Self::new(device, "manager", &[], subject_root)
        }
    }

    /// A depot desk.
    pub fn depot(device: &str, subject_root: &str) -> Self {
        Self::new(device, "depot", &[], subject_root)
    }

    /// Sets the stream prefix.
    pub fn stream_prefix(mut self, prefix: &str) -> Self {
        self.stream_prefix = prefix.to_owned();
        self
    }

    /// Writes the credentials file to `path`.
    pub fn out(mut self, path: impl Into<PathBuf>) -> Self {
        self.out = Some(path.into());
        self
    }

    /// Issues a new password.
    pub fn rotate(mut self) -> Self {
        self.rotate = true;
        self
    }

    /// Adds global `mallbots-central` arguments.
    pub fn central_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.central_args.extend(args.into_iter().map(Into::into));
        self
    }
}

/// Connects to `url` with a credentials file (a device's or central's JSON), with the
/// device's inbox prefix `_INBOX_<device>` (central: the default inbox).
pub async fn connect_with(url: &str, creds: &Path) -> Result<async_nats::Client> {
    let c = DeviceCredentials::load(creds).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut options = c.login(async_nats::ConnectOptions::new())?;
    if c.role != "central" {
        options = options.custom_inbox_prefix(c.inbox_prefix());
    }
    let urls: Vec<&str> = url.split(',').collect();
    options
        .connect(urls)
        .await
        .with_context(|| format!("connecting as {} to {url}", c.user))
}

fn path_arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn run_central(args: &[String], what: &str) -> Result<String> {
    let output = Command::new(binary(CENTRAL)?)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running mallbots-central {what}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "mallbots-central {what} failed ({}):\n{}\n{stdout}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}
