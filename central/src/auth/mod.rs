//! The NATS server's authorization, made by the product (docs/architecture.md §5): an auth directory holding
//! central's credentials, one record per enrolled device, and the rendered server config.
//!
//! ```text
//! DIR/                     0700
//!   central.json           0600  central's credentials (same shape as a device's file)
//!   central.record.json    0600  central's user and bcrypt hash
//!   devices/<device>.json  0600  role, stores, subject root, stream, bcrypt hash
//!   nats-auth.conf         0600  `authorization { users: [...] }`, bcrypt hashes only
//!   *.pid                        nats-server pid files (`nats-server -P DIR/nats-server.pid`)
//! ```
//!
//! `mallbots-central auth init --dir DIR` creates the directory and central's user;
//! `mallbots-central enroll … --auth-dir DIR --out FILE` adds a device's record, writes its
//! credentials file, re-renders `nats-auth.conf` from every record and asks the servers to
//! reload it (SIGHUP). The permissions come from
//! [`mallbots_wire::devices::device_permissions`], the one definition of each role's rights, so a
//! re-render after an upgrade applies the current definition to every device.
//!
//! Central's user has no permission block (everything). Clear passwords exist only in the
//! credentials files; the config and the records hold bcrypt hashes.

use std::fs::File;
use std::path::{Path, PathBuf};

use mallbots_domain::ErrorCode;
use mallbots_wire::credentials::write_private;
use mallbots_wire::credentials::DeviceCredentials;
use mallbots_wire::devices::{device_permissions, DeviceRole};
use serde::{Deserialize, Serialize};

mod account_mode;
pub mod accounts;
pub mod jwt;
mod reload;

pub use accounts::{Accounts, ACCOUNTS_FILE};
pub use reload::{reload_servers, server_pids, wait_accepted};

/// Central's credentials file in the auth directory.
pub const CENTRAL_FILE: &str = "central.json";
/// Central's record (user and bcrypt hash).
pub const CENTRAL_RECORD: &str = "central.record.json";
/// The rendered server config fragment.
pub const CONFIG_FILE: &str = "nats-auth.conf";
/// The directory of device records.
pub const DEVICES_DIR: &str = "devices";
/// The lock serialising writers of the directory.
const LOCK_FILE: &str = ".lock";
/// Central's NATS user.
pub const CENTRAL_USER: &str = "central";
/// bcrypt cost of the stored hashes. The passwords are 32 random characters (~190 bits), so
/// the cost protects nothing a guess could find; it is kept moderate because the server
/// verifies it on every connect.
pub const BCRYPT_COST: u32 = 10;
/// Length of a generated password.
pub const PASSWORD_LEN: usize = 32;

/// Why an auth-directory operation failed. Messages name files, never their secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file or directory.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// A record or credentials file is not what it should be.
    #[error("{path}: {reason}")]
    BadRecord {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The auth directory has no central user yet.
    #[error("{0} has no central user: run `mallbots-central auth init --dir {0}` first")]
    NotInitialized(String),
    /// A name cannot be written into the server config.
    #[error("invalid {what} {value:?} (letters, digits, '-' and '_' only)")]
    InvalidName {
        /// Which name.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// Hashing failed.
    #[error("bcrypt: {0}")]
    Hash(String),
    /// A new device (or new credentials) needs `--out`.
    #[error("device {0} gets new credentials: --out FILE is required (its credentials file)")]
    NoOut(String),
    /// The device is enrolled and FILE does not hold its current password (or key).
    #[error(
        "device {device} is already enrolled and {out} does not hold its current password (or \
         key): pass the device's existing credentials file as --out, omit --out to keep them \
         (with passwords, to update its role and stores only), or add --rotate to issue new \
         ones (the old ones stop working)"
    )]
    PasswordKept {
        /// The device.
        device: String,
        /// The file given.
        out: String,
    },
}

impl ErrorCode for AuthError {
    fn code(&self) -> &'static str {
        match self {
            AuthError::Io { .. } => "auth.io",
            AuthError::BadRecord { .. } => "auth.bad_record",
            AuthError::NotInitialized(_) => "auth.not_initialized",
            AuthError::InvalidName { .. } => "auth.invalid_name",
            AuthError::Hash(_) => "auth.hash",
            AuthError::NoOut(_) => "enrollment.no_out",
            AuthError::PasswordKept { .. } => "enrollment.password_kept",
        }
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> AuthError + '_ {
    move |e| AuthError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// One NATS user of the installation (central or a device), as stored in the auth directory.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The device id (`central` for central).
    pub device: String,
    /// `kiosk`, `manager`, `depot` or `central`.
    pub role: String,
    /// A manager's stores.
    #[serde(default)]
    pub stores: Vec<String>,
    /// The NATS user.
    pub user: String,
    /// The subject root the device was enrolled under.
    pub subject_root: String,
    /// The events stream's name.
    pub stream: String,
    /// bcrypt hash of the password (`$2a$…`); empty under account auth.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_bcrypt: String,
    /// The user's nkey public key (`U…`), under account auth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nkey: Option<String>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("device", &self.device)
            .field("role", &self.role)
            .field("stores", &self.stores)
            .field("user", &self.user)
            .field("subject_root", &self.subject_root)
            .field("stream", &self.stream)
            .field("nkey", &self.nkey)
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    /// The device's role (`None` for central).
    pub fn device_role(&self) -> Option<DeviceRole> {
        DeviceRole::parse(&self.role, self.stores.clone())
    }

    /// Its credentials file's contents, without a secret yet (no password, jwt or seed).
    fn credentials(&self, nats_url: Option<&str>) -> DeviceCredentials {
        DeviceCredentials {
            device: self.device.clone(),
            role: self.role.clone(),
            stores: self.stores.clone(),
            user: self.user.clone(),
            password: String::new(),
            jwt: None,
            seed: None,
            subject_root: self.subject_root.clone(),
            stream: self.stream.clone(),
            nats_url: nats_url.map(str::to_owned),
        }
    }
}

/// A random password of [`PASSWORD_LEN`] letters and digits from the OS's generator.
pub fn generate_password() -> String {
    use rand::distributions::Alphanumeric;
    use rand::Rng;
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(PASSWORD_LEN)
        .map(char::from)
        .collect()
}

/// The `$2a$` bcrypt hash of `password`, as nats-server reads it.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    bcrypt::hash_with_result(password, BCRYPT_COST)
        .map(|h| h.format_for_version(bcrypt::Version::TwoA))
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// `urls` (comma-separated) without any `user:password@` part.
pub fn without_userinfo(urls: &str) -> String {
    urls.split(',')
        .map(|u| {
            let u = u.trim();
            let (scheme, rest) = match u.split_once("://") {
                Some((s, r)) => (format!("{s}://"), r),
                None => (String::new(), u),
            };
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            format!("{scheme}{host}")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A NATS token or the subject root: safe to write into the config unquoted-or-quoted.
fn check_name(what: &'static str, value: &str, dots: bool) -> Result<(), AuthError> {
    let ok = !value.is_empty()
        && !value.starts_with('.')
        && !value.ends_with('.')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_') || (dots && c == '.'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::InvalidName {
            what,
            value: value.to_owned(),
        })
    }
}

/// A quoted string for the nats-server config (the values are checked names, subjects and
/// bcrypt hashes; quotes and backslashes are escaped all the same).
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn quoted_list(items: &[String], indent: &str) -> String {
    let mut out = String::from("[\n");
    for item in items {
        out.push_str(indent);
        out.push_str("  ");
        out.push_str(&quote(item));
        out.push('\n');
    }
    out.push_str(indent);
    out.push(']');
    out
}

/// The server config fragment for `central` and `devices` (sorted by user): an
/// `authorization { users: [...] }` block with bcrypt hashes, central without a permission
/// block, each device with [`device_permissions`] for its role. Devices whose record cannot be
/// understood are left out (and named in a comment).
pub fn render_config(central: &UserRecord, devices: &[UserRecord]) -> String {
    let mut out = String::new();
    out.push_str(
        "# Generated by mallbots-central (`auth init`, `enroll`): do not edit, it is re-rendered\n\
         # from the records in this directory at every enrollment. bcrypt hashes only.\n\
         # Use it as the server's config (`nats-server -c nats-auth.conf -js ...`) or include it\n\
         # from yours (`include nats-auth.conf`), then reload the server after each enrollment.\n",
    );
    out.push_str("authorization {\n  users: [\n");
    out.push_str(&format!(
        "    # central: every right\n    {{ user: {}, password: {} }}\n",
        quote(&central.user),
        quote(&central.password_bcrypt)
    ));
    let mut devices: Vec<&UserRecord> = devices.iter().collect();
    devices.sort_by(|a, b| a.user.cmp(&b.user));
    for d in devices {
        let Some(role) = d.device_role() else {
            out.push_str(&format!(
                "    # {}: role {:?} not understood, left out\n",
                d.user, d.role
            ));
            continue;
        };
        let p = device_permissions(&d.subject_root, &d.stream, &d.device, &role);
        let stores = if d.stores.is_empty() {
            String::new()
        } else {
            format!(" of {}", d.stores.join(", "))
        };
        out.push_str(&format!(
            "    # {} {}{stores} (root {}, stream {})\n",
            role.name(),
            d.device,
            d.subject_root,
            d.stream
        ));
        out.push_str(&format!(
            "    {{ user: {}, password: {}, permissions: {{\n",
            quote(&d.user),
            quote(&d.password_bcrypt)
        ));
        out.push_str(&format!(
            "        publish: {{ allow: {} }}\n",
            quoted_list(&p.publish, "        ")
        ));
        out.push_str(&format!(
            "        subscribe: {{ allow: {} }}\n",
            quoted_list(&p.subscribe, "        ")
        ));
        out.push_str("    } }\n");
    }
    out.push_str("  ]\n}\n");
    out
}

/// An exclusive lock on the auth directory (released when dropped).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// What [`AuthDir::issue_device`] did.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The device's record as stored.
    pub record: UserRecord,
    /// The credentials written to `--out` (None when only the record was updated).
    pub credentials: Option<DeviceCredentials>,
    /// Whether a new password (or, under account auth, a new key) was issued.
    pub new_password: bool,
    /// Whether the server config changed, so running servers must reload it (always for a
    /// password; under account auth only when an old key was revoked).
    pub reload_needed: bool,
}

/// What a device enrollment asks of the auth directory.
#[derive(Debug, Clone)]
pub struct DeviceIssue<'a> {
    /// The device id (also its NATS user).
    pub device: &'a str,
    /// Its role.
    pub role: &'a DeviceRole,
    /// The subject root.
    pub subject_root: &'a str,
    /// The events stream's name.
    pub stream: &'a str,
    /// Where to write its credentials file.
    pub out: Option<&'a Path>,
    /// Issue a new password even if the device has one.
    pub rotate: bool,
    /// The URL written into the credentials file.
    pub nats_url: Option<&'a str>,
}

impl DeviceIssue<'_> {
    /// The device's record as this enrollment describes it (no password hash, no key yet).
    fn record(&self) -> UserRecord {
        UserRecord {
            device: self.device.to_owned(),
            role: self.role.name().to_owned(),
            stores: self.role.stores().to_vec(),
            user: self.device.to_owned(),
            subject_root: self.subject_root.to_owned(),
            stream: self.stream.to_owned(),
            password_bcrypt: String::new(),
            nkey: None,
        }
    }
}

/// The auth directory.
#[derive(Debug, Clone)]
pub struct AuthDir {
    dir: PathBuf,
}

impl AuthDir {
    /// The directory at `dir` (nothing is read yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// `DIR/central.json`.
    pub fn central_credentials_path(&self) -> PathBuf {
        self.dir.join(CENTRAL_FILE)
    }

    /// `DIR/nats-auth.conf`.
    pub fn config_path(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }

    /// `DIR/devices/<device>.json`.
    pub fn device_record_path(&self, device: &str) -> PathBuf {
        self.dir.join(DEVICES_DIR).join(format!("{device}.json"))
    }

    /// Takes the directory's lock (blocking): one writer at a time, across processes.
    pub fn lock(&self) -> Result<DirLock, AuthError> {
        let path = self.dir.join(LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        file.lock().map_err(io_err(&path))?;
        Ok(DirLock { _file: file })
    }

    /// Whether the directory uses account (JWT) auth (`DIR/accounts.json`).
    pub fn uses_accounts(&self) -> bool {
        self.dir.join(ACCOUNTS_FILE).exists()
    }

    /// Creates the directory (0700) with central's user if it has none (or a new password
    /// with `rotate`), and renders the config. Idempotent. Returns central's credentials.
    /// A directory under account auth stays under it (see [`AuthDir::init_accounts`]).
    pub fn init(
        &self,
        subject_root: &str,
        stream: &str,
        rotate: bool,
    ) -> Result<DeviceCredentials, AuthError> {
        create_private_dir(&self.dir)?;
        create_private_dir(&self.dir.join(DEVICES_DIR))?;
        if self.uses_accounts() {
            return self.init_accounts(subject_root, stream, rotate, None);
        }
        let _lock = self.lock()?;
        let path = self.central_credentials_path();
        let existing = match (rotate, path.exists()) {
            (false, true) => {
                let creds = read_credentials(&path)?;
                let record = self.central_record().ok();
                match record {
                    Some(r) if verify_password(&creds.password, &r.password_bcrypt) => Some(creds),
                    // A record that does not match the file: re-hash the file's password.
                    _ => {
                        self.write_record(
                            &self.dir.join(CENTRAL_RECORD),
                            &central_record(&creds, hash_password(&creds.password)?),
                        )?;
                        Some(creds)
                    }
                }
            }
            _ => None,
        };
        let creds = match existing {
            Some(c) => c,
            None => {
                let creds = DeviceCredentials {
                    device: CENTRAL_USER.into(),
                    role: "central".into(),
                    stores: Vec::new(),
                    user: CENTRAL_USER.into(),
                    password: generate_password(),
                    jwt: None,
                    seed: None,
                    subject_root: subject_root.into(),
                    stream: stream.into(),
                    nats_url: None,
                };
                let record = central_record(&creds, hash_password(&creds.password)?);
                self.write_record(&self.dir.join(CENTRAL_RECORD), &record)?;
                creds.write(&path).map_err(io_err(&path))?;
                creds
            }
        };
        self.render_locked()?;
        Ok(creds)
    }

    /// Central's record.
    pub fn central_record(&self) -> Result<UserRecord, AuthError> {
        let path = self.dir.join(CENTRAL_RECORD);
        if !path.exists() {
            return Err(AuthError::NotInitialized(self.dir.display().to_string()));
        }
        read_record(&path)
    }

    /// A device's record, if it is enrolled.
    pub fn device_record(&self, device: &str) -> Result<Option<UserRecord>, AuthError> {
        let path = self.device_record_path(device);
        if !path.exists() {
            return Ok(None);
        }
        read_record(&path).map(Some)
    }

    /// Every device record, sorted by device.
    pub fn device_records(&self) -> Result<Vec<UserRecord>, AuthError> {
        let dir = self.dir.join(DEVICES_DIR);
        let mut records = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(records),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        for entry in entries {
            let path = entry.map_err(io_err(&dir))?.path();
            let is_record = path.extension().is_some_and(|e| e == "json")
                && !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if is_record {
                records.push(read_record(&path)?);
            }
        }
        records.sort_by(|a, b| a.device.cmp(&b.device));
        Ok(records)
    }

    /// Records a device (new password, or its current one kept), writes its credentials file
    /// to `out` (0600) and re-renders the config, under the directory's lock.
    pub fn issue_device(&self, issue: &DeviceIssue<'_>) -> Result<Issued, AuthError> {
        check_name("device id", issue.device, false)?;
        check_name("subject root", issue.subject_root, true)?;
        check_name("stream name", issue.stream, false)?;
        let all_stores = issue.role.stores() == [mallbots_domain::desk::ALL_STORES];
        for store in issue.role.stores().iter().filter(|_| !all_stores) {
            check_name("store id", store, false)?;
        }
        if issue.device == CENTRAL_USER {
            return Err(AuthError::InvalidName {
                what: "device id (reserved)",
                value: issue.device.to_owned(),
            });
        }
        if !self.dir.join(CENTRAL_RECORD).exists() {
            return Err(AuthError::NotInitialized(self.dir.display().to_string()));
        }
        create_private_dir(&self.dir.join(DEVICES_DIR))?;
        let _lock = self.lock()?;
        let existing = self.device_record(issue.device)?;
        if let Some(accounts) = Accounts::load(&self.dir)? {
            return self.issue_device_accounts(issue, existing, accounts);
        }
        // The password: new, kept from the device's current file, or unknown (record only).
        let (password, hash, new_password) = match (&existing, issue.rotate, issue.out) {
            (None, _, None) | (Some(_), true, None) => {
                return Err(AuthError::NoOut(issue.device.to_owned()))
            }
            (Some(r), false, None) => (None, r.password_bcrypt.clone(), false),
            (Some(r), false, Some(out)) => {
                let kept = std::fs::read_to_string(out)
                    .ok()
                    .and_then(|t| DeviceCredentials::parse(&t).ok())
                    .filter(|c| {
                        c.user == r.user && verify_password(&c.password, &r.password_bcrypt)
                    });
                match kept {
                    Some(c) => (Some(c.password), r.password_bcrypt.clone(), false),
                    None => {
                        return Err(AuthError::PasswordKept {
                            device: issue.device.to_owned(),
                            out: out.display().to_string(),
                        })
                    }
                }
            }
            (_, _, _) => {
                let password = generate_password();
                let hash = hash_password(&password)?;
                (Some(password), hash, true)
            }
        };
        let record = UserRecord {
            password_bcrypt: hash,
            ..issue.record()
        };
        let credentials = password.map(|password| DeviceCredentials {
            password,
            ..record.credentials(issue.nats_url)
        });
        // The credentials file first: a device record whose password nobody holds is useless.
        if let (Some(creds), Some(out)) = (&credentials, issue.out) {
            creds.write(out).map_err(io_err(out))?;
        }
        self.write_record(&self.device_record_path(issue.device), &record)?;
        self.render_locked()?;
        Ok(Issued {
            record,
            credentials,
            new_password,
            reload_needed: true,
        })
    }

    /// Re-renders `nats-auth.conf` from every record (under the lock).
    pub fn render(&self) -> Result<String, AuthError> {
        let _lock = self.lock()?;
        self.render_locked()
    }

    pub(crate) fn render_locked(&self) -> Result<String, AuthError> {
        let central = self.central_record()?;
        let devices = self.device_records()?;
        let text = match Accounts::load(&self.dir)? {
            Some(accounts) => accounts.render_config(&central, &devices)?,
            None => render_config(&central, &devices),
        };
        let path = self.config_path();
        write_private(&path, text.as_bytes()).map_err(io_err(&path))?;
        Ok(text)
    }

    pub(crate) fn write_record(&self, path: &Path, record: &UserRecord) -> Result<(), AuthError> {
        let json = serde_json::to_string_pretty(record).map_err(|e| AuthError::BadRecord {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        write_private(path, format!("{json}\n").as_bytes()).map_err(io_err(path))
    }
}

fn central_record(creds: &DeviceCredentials, hash: String) -> UserRecord {
    UserRecord {
        device: CENTRAL_USER.into(),
        role: "central".into(),
        stores: Vec::new(),
        user: creds.user.clone(),
        subject_root: creds.subject_root.clone(),
        stream: creds.stream.clone(),
        password_bcrypt: hash,
        nkey: None,
    }
}

fn read_record(path: &Path) -> Result<UserRecord, AuthError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|e| AuthError::BadRecord {
        path: path.display().to_string(),
        reason: format!("not a user record (line {})", e.line()),
    })
}

pub(crate) fn read_credentials(path: &Path) -> Result<DeviceCredentials, AuthError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    DeviceCredentials::parse(&text).map_err(|reason| AuthError::BadRecord {
        path: path.display().to_string(),
        reason,
    })
}

/// Creates `dir` (and parents) and sets its mode to 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), AuthError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod account_tests;
