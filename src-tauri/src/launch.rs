//! How the app is started: which windows, which database, fullscreen, the manager account.
//! Every option is a command-line flag with an environment-variable twin.

use crate::auth::{LockoutPolicy, ManagerAccount};
use crate::error::ApiError;
use clap::builder::FalseyValueParser;
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
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
#[derive(Debug, Clone, Parser)]
#[command(
    name = "mallbots-app",
    version,
    about = "MallBots kiosk and store-manager app"
)]
pub struct LaunchOptions {
    /// Windows to open.
    #[arg(long, value_enum, env = "MALLBOTS_WINDOWS", default_value = "both")]
    pub windows: WindowSet,
    /// SQLite database of this edge (created if missing); default `edge.db` in the app's data
    /// folder (`$XDG_DATA_HOME/com.mallbots.edge/`).
    #[arg(long, env = "MALLBOTS_DB")]
    pub db: Option<PathBuf>,
    /// This device's id (one NATS subject token); default: the one stored beside the database,
    /// created on first start.
    #[arg(long, env = "MALLBOTS_DEVICE_ID")]
    pub device_id: Option<String>,
    /// Seed the demonstration mall into a database that has no stores yet.
    #[arg(long, env = "MALLBOTS_DEMO", value_parser = FalseyValueParser::new())]
    pub demo: bool,
    /// NATS server of the central side, for the background sync.
    #[arg(long, env = "MALLBOTS_NATS_URL")]
    pub nats_url: Option<String>,
    /// Create this device's durable consumers when missing (development and tests; in
    /// production central creates them at enrollment).
    #[arg(long, env = "MALLBOTS_SYNC_CREATE_CONSUMERS", value_parser = FalseyValueParser::new())]
    pub sync_create_consumers: bool,
    /// This device's NATS credentials file.
    #[arg(long, env = "MALLBOTS_NATS_CREDS")]
    pub nats_creds: Option<PathBuf>,
    /// Open the kiosk window fullscreen (what a real kiosk does).
    #[arg(long, env = "MALLBOTS_FULLSCREEN", value_parser = FalseyValueParser::new())]
    pub fullscreen: bool,
    /// Seconds without a touch after which the kiosk cancels the cart and returns to its start
    /// screen.
    #[arg(long, env = "MALLBOTS_KIOSK_IDLE_SECS", default_value_t = 90)]
    pub kiosk_idle_secs: u32,
    /// User name of the store manager.
    #[arg(long, env = "MALLBOTS_MANAGER_USER", default_value = "manager")]
    pub manager_user: String,
    /// Password of the store manager (hashed with argon2id at start; prefer
    /// `--manager-password-hash`).
    #[arg(
        long,
        env = "MALLBOTS_MANAGER_PASSWORD",
        default_value = "mallbots",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub manager_password: String,
    /// The store manager's password as an argon2 PHC string (`$argon2id$v=19$…`); wins over
    /// `--manager-password`.
    #[arg(long, env = "MALLBOTS_MANAGER_PASSWORD_HASH", hide_env_values = true)]
    pub manager_password_hash: Option<String>,
    /// Failed sign-ins in a row that lock a manager out.
    #[arg(long, env = "MALLBOTS_SIGN_IN_MAX_FAILURES", default_value_t = 5)]
    pub sign_in_max_failures: u32,
    /// Seconds a manager stays locked out.
    #[arg(long, env = "MALLBOTS_SIGN_IN_LOCKOUT_SECS", default_value_t = 60)]
    pub sign_in_lockout_secs: u64,
}

impl LaunchOptions {
    /// The database file: `--db`, else `edge.db` in the app's data folder.
    pub fn db_path(&self) -> PathBuf {
        if let Some(db) = &self.db {
            return db.clone();
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(std::env::temp_dir);
        data.join(IDENTIFIER).join("edge.db")
    }

    /// The device id: `--device-id`, else the one in `<db>.device-id`, created (random) when
    /// missing so that it stays the same across starts.
    pub fn device_id(&self, db: &std::path::Path) -> Result<String, ApiError> {
        if let Some(id) = &self.device_id {
            return Ok(id.trim().to_owned());
        }
        let file = db.with_extension("device-id");
        if let Ok(id) = std::fs::read_to_string(&file) {
            if !id.trim().is_empty() {
                return Ok(id.trim().to_owned());
            }
        }
        let id = format!("edge-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
        std::fs::write(&file, &id).map_err(|e| {
            ApiError::internal(format!(
                "could not store the device id in {}: {e}",
                file.display()
            ))
        })?;
        Ok(id)
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
    use super::*;

    #[test]
    fn flags_select_windows_database_and_fullscreen() {
        let opts = LaunchOptions::try_parse_from([
            "mallbots-app",
            "--windows",
            "kiosk",
            "--db",
            "/tmp/x.db",
            "--fullscreen",
        ])
        .unwrap();
        assert_eq!(opts.windows, WindowSet::Kiosk);
        assert!(opts.windows.opens(KIOSK) && !opts.windows.opens(MANAGER));
        assert_eq!(opts.db.as_deref(), Some(std::path::Path::new("/tmp/x.db")));
        assert!(opts.fullscreen);
        assert_eq!(opts.kiosk_idle_secs, 90);
    }

    #[test]
    fn both_windows_by_default() {
        let opts = LaunchOptions::try_parse_from(["mallbots-app"]).unwrap();
        assert!(opts.windows.opens(KIOSK) && opts.windows.opens(MANAGER));
        assert!(!opts.windows.opens("other"));
    }

    #[test]
    fn a_generated_device_id_is_kept_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("edge.db");
        let opts = LaunchOptions::try_parse_from(["mallbots-app"]).unwrap();
        let first = opts.device_id(&db).unwrap();
        assert!(
            first.starts_with("edge-") && !first.contains('.'),
            "{first}"
        );
        assert_eq!(
            opts.device_id(&db).unwrap(),
            first,
            "same id on the next start"
        );
        let named = LaunchOptions::try_parse_from(["mallbots-app", "--device-id", "k7"]).unwrap();
        assert_eq!(named.device_id(&db).unwrap(), "k7");
        let explicit = LaunchOptions::try_parse_from(["mallbots-app", "--db", "/x/y.db"]).unwrap();
        assert_eq!(explicit.db_path(), std::path::Path::new("/x/y.db"));
    }
}
