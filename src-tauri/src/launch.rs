//! How the app is started: which windows, each device's database and enrollment, fullscreen, the
//! manager account.
//! Every option is a command-line flag with an environment-variable twin.

use crate::auth::{LockoutPolicy, ManagerAccount};
use crate::error::ApiError;
use clap::builder::FalseyValueParser;
use clap::{Parser, ValueEnum};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The app's identifier (tauri.conf.json), also the name of its data folder.
pub const IDENTIFIER: &str = "com.mallbots.edge";
/// The label of the customer kiosk window (also its capability's window).
pub const KIOSK: &str = "kiosk";
/// The label of the store-manager window (also its capability's window).
pub const MANAGER: &str = "manager";

/// Which windows to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WindowSet {
    /// The kiosk and the manager window.
    Both,
    /// Only the customer kiosk.
    Kiosk,
    /// Only the store-manager window.
    Manager,
}

impl WindowSet {
    /// Whether the window with this label is opened.
    pub fn opens(self, label: &str) -> bool {
        match self {
            WindowSet::Both => label == KIOSK || label == MANAGER,
            WindowSet::Kiosk => label == KIOSK,
            WindowSet::Manager => label == MANAGER,
        }
    }
}

/// Command-line options of `mallbots-app`.
///
/// The kiosk and the manager window are two devices (docs/architecture.md §7): each has its own edge
/// database, device id, enrollment (credentials) and background sync. `--kiosk-*` and
/// `--manager-*` name them; `--db`, `--device-id` and `--enrollment` are the same for the one
/// window of a single-window start (`--windows kiosk|manager`).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "mallbots-app",
    version,
    about = "MallBots kiosk and store-manager app"
)]
pub struct LaunchOptions {
    /// A settings file (TOML, a table per section: `MALLBOTS__KIOSK__FULLSCREEN` is
    /// `fullscreen` in `[kiosk]`, e.g. `[app] windows = "kiosk"`); flags and variables win over
    /// it.
    #[arg(long, env = "MALLBOTS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Windows to open.
    #[arg(
        long,
        value_enum,
        env = "MALLBOTS__APP__WINDOWS",
        default_value = "both"
    )]
    pub windows: WindowSet,
    /// The kiosk device's SQLite database (created if missing); default `kiosk.db` in the app's
    /// data folder (`$XDG_DATA_HOME/com.mallbots.edge/` on Linux).
    #[arg(long, env = "MALLBOTS__KIOSK__DB")]
    pub kiosk_db: Option<PathBuf>,
    /// The manager device's SQLite database; default `manager.db` in the app's data folder.
    #[arg(long, env = "MALLBOTS__MANAGER__DB")]
    pub manager_db: Option<PathBuf>,
    /// The kiosk device's enrollment file (`mallbots-central enroll --role kiosk --out FILE`):
    /// its device id, role and NATS user.
    #[arg(long, env = "MALLBOTS__KIOSK__ENROLLMENT")]
    pub kiosk_enrollment: Option<PathBuf>,
    /// The manager device's enrollment file (`mallbots-central enroll --role manager --store S
    /// --out FILE`, or `--role depot`).
    #[arg(long, env = "MALLBOTS__MANAGER__ENROLLMENT")]
    pub manager_enrollment: Option<PathBuf>,
    /// Single-window start only: the database of that window's device (as `--kiosk-db` or
    /// `--manager-db`).
    #[arg(long, env = "MALLBOTS__DEVICE__DB")]
    pub db: Option<PathBuf>,
    /// Single-window start only: that device's id, when it has no enrollment file; default: the
    /// one stored beside its database, created on first start.
    #[arg(long, env = "MALLBOTS__DEVICE__ID")]
    pub device_id: Option<String>,
    /// Single-window start only: that device's enrollment file.
    #[arg(long, env = "MALLBOTS__DEVICE__ENROLLMENT")]
    pub enrollment: Option<PathBuf>,
    /// Seed the demonstration mall into the manager's database when it has no stores yet (it
    /// reaches the kiosk through central; without a NATS URL it is copied into the kiosk's).
    #[arg(long, env = "MALLBOTS__APP__DEMO", value_parser = FalseyValueParser::new())]
    pub demo: bool,
    /// NATS server of the central side, for the devices' background sync; default: the
    /// `nats_url` of the enrollment file. Without one the app is an offline edge.
    #[arg(long, env = "MALLBOTS__NATS__URL")]
    pub nats_url: Option<String>,
    /// The mall's time zone (IANA name, e.g. `Europe/Madrid`): sales and order days are its
    /// business days. Recorded in each device's database (default: what it records, `UTC` at
    /// first).
    #[arg(long, env = "MALLBOTS__MALL__TIME_ZONE", value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// The mall's currency (ISO-4217, e.g. `EUR`): new products are priced in it. Recorded in
    /// each device's database (`USD` at first).
    #[arg(long, env = "MALLBOTS__MALL__CURRENCY", value_name = "CODE")]
    pub currency: Option<String>,
    /// The mall's phone format for the kiosk's number pad: `north_american` (ten digits) or
    /// `international` (8 to 15). Recorded in each device's database.
    #[arg(long, env = "MALLBOTS__MALL__PHONE_FORMAT", value_name = "FORMAT")]
    pub phone_format: Option<String>,
    /// The CA certificate (PEM) that signed the NATS servers' TLS certificates (`tls://` URLs;
    /// deploy/tls/make-certs.sh makes it): the devices connect with TLS and trust it.
    #[arg(long, env = "MALLBOTS__NATS__TLS_CA", value_name = "FILE")]
    pub nats_ca: Option<PathBuf>,
    /// Create the devices' durable consumers when missing, and sync without an enrollment
    /// (development and tests against an open NATS; in production central creates them at
    /// enrollment).
    #[arg(long, env = "MALLBOTS__SYNC__CREATE_CONSUMERS", value_parser = FalseyValueParser::new())]
    pub sync_create_consumers: bool,
    /// Open the kiosk window fullscreen (what a real kiosk does).
    #[arg(long, env = "MALLBOTS__KIOSK__FULLSCREEN", value_parser = FalseyValueParser::new())]
    pub fullscreen: bool,
    /// Seconds without a touch after which the kiosk cancels the cart and returns to its start
    /// screen.
    #[arg(long, env = "MALLBOTS__KIOSK__IDLE_SECS", default_value_t = 90)]
    pub kiosk_idle_secs: u32,
    /// User name of the store manager.
    #[arg(long, env = "MALLBOTS__MANAGER__USER", default_value = "manager")]
    pub manager_user: String,
    /// Password of the store manager (hashed with argon2id at start; prefer
    /// `--manager-password-hash`).
    #[arg(
        long,
        env = "MALLBOTS__MANAGER__PASSWORD",
        default_value = "mallbots",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub manager_password: String,
    /// The store manager's password as an argon2 PHC string (`$argon2id$v=19$…`); wins over
    /// `--manager-password`.
    #[arg(long, env = "MALLBOTS__MANAGER__PASSWORD_HASH", hide_env_values = true)]
    pub manager_password_hash: Option<String>,
    /// Failed sign-ins in a row that lock a manager out.
    #[arg(
        long,
        env = "MALLBOTS__MANAGER__SIGN_IN_MAX_FAILURES",
        default_value_t = 5
    )]
    pub sign_in_max_failures: u32,
    /// Seconds a manager stays locked out.
    #[arg(
        long,
        env = "MALLBOTS__MANAGER__SIGN_IN_LOCKOUT_SECS",
        default_value_t = 60
    )]
    pub sign_in_lockout_secs: u64,
    /// Log lines (stderr; `RUST_LOG` filters, default `warn`) as text or one JSON object per
    /// line.
    #[arg(
        long,
        value_enum,
        env = "MALLBOTS__LOG__FORMAT",
        default_value = "text"
    )]
    pub log_format: mallbots_edge::cli::LogFormat,
}

/// One of the app's two devices, as the launch options describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLaunch {
    /// The window it serves: [`KIOSK`] or [`MANAGER`].
    pub window: &'static str,
    /// Its edge database.
    pub db: PathBuf,
    /// An id given on the command line (`--device-id`), if any.
    pub device_id: Option<String>,
    /// Its enrollment file, if any.
    pub enrollment: Option<PathBuf>,
}

impl DeviceLaunch {
    /// The device id: the enrollment's (passed in), else `--device-id`, else the one kept in
    /// `<db>.device-id`, created (random) when missing so it stays the same across starts.
    pub fn resolve_id(&self, enrolled: Option<&str>) -> Result<String, ApiError> {
        match (enrolled, &self.device_id) {
            (Some(enrolled), Some(given)) if given.trim() != enrolled => {
                return Err(ApiError::invalid(format!(
                    "--device-id {given} differs from the enrolled device {enrolled}"
                )))
            }
            (Some(enrolled), _) => return Ok(enrolled.to_owned()),
            (None, Some(given)) => return Ok(given.trim().to_owned()),
            (None, None) => {}
        }
        let file = self.db.with_extension("device-id");
        if let Ok(id) = std::fs::read_to_string(&file) {
            if !id.trim().is_empty() {
                return Ok(id.trim().to_owned());
            }
        }
        let prefix = if self.window == KIOSK {
            "kiosk"
        } else {
            "desk"
        };
        let id = format!(
            "{prefix}-{}",
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        std::fs::write(&file, &id).map_err(|e| {
            ApiError::internal(format!(
                "could not store the device id in {}: {e}",
                file.display()
            ))
        })?;
        Ok(id)
    }
}

impl LaunchOptions {
    /// The devices to open, with their databases (defaults in `data_dir`, the app's data
    /// folder from Tauri's path resolver): one per open window. `--db`, `--device-id` and
    /// `--enrollment` are refused with both windows (say which device they are for).
    pub fn devices(&self, data_dir: &Path) -> Result<Vec<DeviceLaunch>, ApiError> {
        let single = self.windows != WindowSet::Both;
        if !single && (self.db.is_some() || self.device_id.is_some() || self.enrollment.is_some()) {
            return Err(ApiError::invalid(
                "--db, --device-id and --enrollment are for a single window (--windows kiosk or \
                 manager); with both windows use --kiosk-db / --manager-db and \
                 --kiosk-enrollment / --manager-enrollment",
            ));
        }
        let mut devices = Vec::new();
        for (window, db, enrollment) in [
            (KIOSK, &self.kiosk_db, &self.kiosk_enrollment),
            (MANAGER, &self.manager_db, &self.manager_enrollment),
        ] {
            if !self.windows.opens(window) {
                continue;
            }
            devices.push(DeviceLaunch {
                window,
                db: db
                    .clone()
                    .or_else(|| self.db.clone())
                    .unwrap_or_else(|| data_dir.join(format!("{window}.db"))),
                device_id: self.device_id.clone(),
                enrollment: enrollment.clone().or_else(|| self.enrollment.clone()),
            });
        }
        if let [a, b] = devices.as_slice() {
            if a.db == b.db {
                return Err(ApiError::invalid(format!(
                    "the kiosk and the manager are two devices and need two databases, not both {}",
                    a.db.display()
                )));
            }
        }
        Ok(devices)
    }

    /// The manager's database when the manager window is not open (where `--demo` seeds).
    pub fn manager_db_path(&self, data_dir: &Path) -> PathBuf {
        self.manager_db
            .clone()
            .unwrap_or_else(|| data_dir.join(format!("{MANAGER}.db")))
    }

    /// The manager account these options describe (the clear password is hashed here).
    pub fn manager_account(&self) -> Result<ManagerAccount, ApiError> {
        let policy = LockoutPolicy {
            max_failures: self.sign_in_max_failures.max(1),
            lock_for: Duration::from_secs(self.sign_in_lockout_secs),
        };
        match &self.manager_password_hash {
            Some(phc) => ManagerAccount::from_hash(&self.manager_user, phc, policy),
            None => {
                ManagerAccount::from_password(&self.manager_user, &self.manager_password, policy)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_app_settings_reference_in_the_docs_is_current() {
        use mallbots_edge::cli::settings_file::{reference, replace_section};
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/settings.md");
        let doc = std::fs::read_to_string(&path).expect("docs/settings.md");
        let table = reference(&<LaunchOptions as clap::CommandFactory>::command());
        let current = replace_section(&doc, "mallbots-app", &table).expect("the markers");
        if std::env::var_os("UPDATE_SETTINGS_DOC").is_some() {
            std::fs::write(&path, current).unwrap();
        } else {
            assert!(
                current == doc,
                "docs/settings.md is out of date: UPDATE_SETTINGS_DOC=1 cargo test -p mallbots-app settings_reference"
            );
        }
    }

    use super::*;

    fn parse(args: &[&str]) -> LaunchOptions {
        let mut argv = vec!["mallbots-app"];
        argv.extend_from_slice(args);
        LaunchOptions::try_parse_from(argv).unwrap()
    }

    #[test]
    fn flags_select_windows_database_and_fullscreen() {
        let opts = parse(&["--windows", "kiosk", "--db", "/tmp/x.db", "--fullscreen"]);
        assert_eq!(opts.windows, WindowSet::Kiosk);
        assert!(opts.windows.opens(KIOSK) && !opts.windows.opens(MANAGER));
        assert!(opts.fullscreen);
        assert_eq!(opts.kiosk_idle_secs, 90);
        let devices = opts.devices(Path::new("/data")).unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].window, KIOSK);
        assert_eq!(devices[0].db, Path::new("/tmp/x.db"));
    }

    #[test]
    fn both_windows_are_two_devices_with_their_own_databases() {
        let opts = parse(&[]);
        assert!(opts.windows.opens(KIOSK) && opts.windows.opens(MANAGER));
        assert!(!opts.windows.opens("other"));
        let devices = opts.devices(Path::new("/data")).unwrap();
        let dbs: Vec<_> = devices.iter().map(|d| (d.window, d.db.clone())).collect();
        assert_eq!(
            dbs,
            [
                (KIOSK, PathBuf::from("/data/kiosk.db")),
                (MANAGER, PathBuf::from("/data/manager.db"))
            ]
        );
        let opts = parse(&[
            "--kiosk-db",
            "/k.db",
            "--manager-db",
            "/m.db",
            "--kiosk-enrollment",
            "/k.json",
            "--manager-enrollment",
            "/m.json",
        ]);
        let devices = opts.devices(Path::new("/data")).unwrap();
        assert_eq!(devices[0].db, Path::new("/k.db"));
        assert_eq!(devices[0].enrollment.as_deref(), Some(Path::new("/k.json")));
        assert_eq!(devices[1].db, Path::new("/m.db"));
        assert_eq!(devices[1].enrollment.as_deref(), Some(Path::new("/m.json")));
    }

    #[test]
    fn single_window_flags_are_refused_with_both_windows_and_one_database_for_two() {
        for args in [
            &["--db", "/x.db"][..],
            &["--device-id", "k1"],
            &["--enrollment", "/k.json"],
        ] {
            let err = parse(args).devices(Path::new("/d")).unwrap_err();
            assert_eq!(err.code, "invalid_input");
            assert!(err.message.contains("--kiosk-db"), "{}", err.message);
        }
        let err = parse(&["--kiosk-db", "/same.db", "--manager-db", "/same.db"])
            .devices(Path::new("/d"))
            .unwrap_err();
        assert!(err.message.contains("two databases"), "{}", err.message);
        let manager = parse(&["--windows", "manager", "--enrollment", "/m.json"]);
        let devices = manager.devices(Path::new("/d")).unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].window, MANAGER);
        assert_eq!(devices[0].db, Path::new("/d/manager.db"));
        assert_eq!(devices[0].enrollment.as_deref(), Some(Path::new("/m.json")));
    }

    #[test]
    fn a_generated_device_id_is_kept_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let opts = parse(&[]);
        let devices = opts.devices(dir.path()).unwrap();
        let first = devices[0].resolve_id(None).unwrap();
        assert!(
            first.starts_with("kiosk-") && !first.contains('.'),
            "{first}"
        );
        assert_eq!(
            devices[0].resolve_id(None).unwrap(),
            first,
            "same id next start"
        );
        let desk = devices[1].resolve_id(None).unwrap();
        assert!(desk.starts_with("desk-") && desk != first, "{desk}");
        assert_eq!(
            devices[0].resolve_id(Some("k9")).unwrap(),
            "k9",
            "enrolled id wins"
        );
        let named = parse(&["--windows", "kiosk", "--device-id", "k7"]);
        let device = &named.devices(dir.path()).unwrap()[0];
        assert_eq!(device.resolve_id(None).unwrap(), "k7");
        assert_eq!(device.resolve_id(Some("k7")).unwrap(), "k7");
        assert_eq!(
            device.resolve_id(Some("k8")).unwrap_err().code,
            "invalid_input"
        );
    }
}
