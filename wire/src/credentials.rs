//! A device's credentials file, written by `mallbots-central enroll … --out FILE` (mode 0600)
//! and handed to the device by the operator:
//!
//! ```json
//! {"device":"k1","role":"kiosk","stores":[],"user":"k1","password":"<32 random chars>",
//!  "subject_root":"mallbots","stream":"EVENTS","nats_url":"nats://central.mall:4222"}
//! ```
//!
//! Central's own file (`mallbots-central auth init`) has the same shape with role `central`.
//! Under account (JWT) auth (`auth init --accounts`) the file holds, instead of a password, the
//! user's JWT and nkey seed (`"jwt":"eyJ…","seed":"SU…"`). The password and the seed are never
//! shown: [`DeviceCredentials`]'s `Debug` hides them, and no error built here contains them.

use crate::devices::DeviceRole;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// Why a credentials file cannot be used. Messages name the file and the field, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsError {
    /// No file there: the device is not enrolled.
    Missing(String),
    /// Unreadable, or not a credentials file.
    Invalid(String),
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::Missing(m) | CredentialsError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CredentialsError {}

/// The contents of a credentials file.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCredentials {
    /// The device id (`central` for central's file).
    pub device: String,
    /// `kiosk`, `manager`, `depot` or `central`.
    pub role: String,
    /// A manager's stores.
    #[serde(default)]
    pub stores: Vec<String>,
    /// The NATS user.
    pub user: String,
    /// The NATS password (the server holds only its bcrypt hash); empty under account auth.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// The user's JWT, signed by the installation's account (account auth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<String>,
    /// The user's nkey seed, which signs the server's challenge (account auth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// The subject root the device was enrolled under.
    pub subject_root: String,
    /// The events stream's name.
    pub stream: String,
    /// Where to connect, if the operator said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
}

impl fmt::Debug for DeviceCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCredentials")
            .field("device", &self.device)
            .field("role", &self.role)
            .field("stores", &self.stores)
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .field("jwt", &self.jwt.as_ref().map(|_| "[jwt]"))
            .field("seed", &self.seed.as_ref().map(|_| "[redacted]"))
            .field("subject_root", &self.subject_root)
            .field("stream", &self.stream)
            .field("nats_url", &self.nats_url.as_deref().map(redact_url))
            .finish()
    }
}

/// Whether `text` (a file's contents) is a credentials JSON file rather than a NATS `.creds`
/// file (JWT + nkey seed).
pub fn is_credentials_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

impl DeviceCredentials {
    /// Reads and parses `path`. A missing file is [`CredentialsError::Missing`]; an unreadable
    /// or malformed one [`CredentialsError::Invalid`] (the message names the file, never its
    /// contents).
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                CredentialsError::Missing(format!(
                    "no credentials file at {} (enroll the device with `mallbots-central enroll`)",
                    path.display()
                ))
            } else {
                CredentialsError::Invalid(format!("cannot read {}: {e}", path.display()))
            }
        })?;
        Self::parse(&text).map_err(|e| {
            CredentialsError::Invalid(format!("credentials file {}: {e}", path.display()))
        })
    }

    /// Parses a credentials file's text (errors name the missing or bad field only).
    pub fn parse(text: &str) -> Result<Self, String> {
        let creds: Self = serde_json::from_str(text).map_err(|e| {
            // serde_json's message names a field or a position, not the value; keep it short.
            format!("not a credentials file ({})", e.classify_message())
        })?;
        if creds.user.is_empty() || creds.device.is_empty() {
            return Err("empty device or user".to_owned());
        }
        match (&creds.jwt, &creds.seed) {
            (Some(jwt), Some(seed)) if !jwt.is_empty() && !seed.is_empty() => {}
            (None, None) if !creds.password.is_empty() => {}
            (None, None) => return Err("no password (nor a jwt and seed)".to_owned()),
            _ => return Err("a jwt needs its seed, and a seed its jwt".to_owned()),
        }
        Ok(creds)
    }

    /// Whether the file holds a JWT and seed (account auth) rather than a password.
    pub fn uses_jwt(&self) -> bool {
        self.jwt.is_some()
    }

    /// `options` logging in as this user: the JWT and seed (the seed signs the server's
    /// nonce), else the user and password.
    pub fn login(
        &self,
        options: async_nats::ConnectOptions,
    ) -> std::io::Result<async_nats::ConnectOptions> {
        match (&self.jwt, &self.seed) {
            (Some(jwt), Some(seed)) => options.credentials(&creds_text(jwt, seed)),
            _ => Ok(options.user_and_password(self.user.clone(), self.password.clone())),
        }
    }

    /// The device's role, for a device's file (`None` for central's or an unknown role).
    pub fn device_role(&self) -> Option<DeviceRole> {
        DeviceRole::parse(&self.role, self.stores.clone())
    }

    /// The device's inbox prefix, `_INBOX_<device>`.
    pub fn inbox_prefix(&self) -> String {
        format!("_INBOX_{}", self.device)
    }

    /// Writes the file with mode 0600 (replacing it atomically if it exists).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_private(path, format!("{json}\n").as_bytes())
    }
}

trait ClassifyMessage {
    fn classify_message(&self) -> String;
}

impl ClassifyMessage for serde_json::Error {
    fn classify_message(&self) -> String {
        match self.classify() {
            serde_json::error::Category::Data => {
                // e.g. "missing field `password`": names a field, never a value.
                let text = self.to_string();
                match text.find(" at line") {
                    Some(i) if text.starts_with("missing field") => text[..i].to_owned(),
                    _ => "a field has the wrong type".to_owned(),
                }
            }
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("invalid JSON at line {}", self.line())
            }
            serde_json::error::Category::Io => "read error".to_owned(),
        }
    }
}

/// A NATS `.creds` text (a user's JWT and nkey seed), as async-nats and the `nats` CLI read it.
pub fn creds_text(jwt: &str, seed: &str) -> String {
    format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\
         NKEYs are sensitive and should be treated as secrets.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
    )
}

/// Writes `bytes` to `path` with mode 0600 (on Unix): into a temporary file next to it,
/// then renamed over it, so a reader never sees a partial file.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Splits `user:password@` out of comma-separated URL(s): the URLs without it, and the first
/// user and password found (a client given connect options ignores the URL's own).
pub fn split_userinfo(urls: &str) -> (String, Option<(String, String)>) {
    let mut found = None;
    let cleaned: Vec<String> = urls
        .split(',')
        .map(|url| {
            let (scheme, rest) = url.trim().split_once("://").unwrap_or(("nats", url.trim()));
            match rest.rsplit_once('@') {
                Some((userinfo, host)) => {
                    if let Some((u, p)) = userinfo.split_once(':') {
                        found.get_or_insert((u.to_owned(), p.to_owned()));
                    }
                    format!("{scheme}://{host}")
                }
                None => format!("{scheme}://{rest}"),
            }
        })
        .collect();
    (cleaned.join(","), found)
}

/// `url` (or a comma-separated list) with any `user:password@` replaced by `***@`, for logs and
/// error messages.
pub fn redact_url(url: &str) -> String {
    url.split(',')
        .map(|u| {
            let (scheme, rest) = match u.split_once("://") {
                Some((s, r)) => (Some(s), r),
                None => (None, u),
            };
            let rest = match rest.rsplit_once('@') {
                Some((_, host)) => format!("***@{host}"),
                None => rest.to_owned(),
            };
            match scheme {
                Some(s) => format!("{s}://{rest}"),
                None => rest,
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DeviceCredentials {
        DeviceCredentials {
            device: "k1".into(),
            role: "kiosk".into(),
            stores: vec![],
            user: "k1".into(),
            password: "s3cret-s3cret".into(),
            jwt: None,
            seed: None,
            subject_root: "mallbots".into(),
            stream: "EVENTS".into(),
            nats_url: Some("nats://k1:s3cret-s3cret@h:4222".into()),
        }
    }

    #[test]
    fn debug_and_urls_hide_the_password() {
        let text = format!("{:?}", sample());
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("k1"));
        assert_eq!(
            redact_url("nats://u:p@h:1,h2:2,tls://x@h3:3"),
            "nats://***@h:1,h2:2,tls://***@h3:3"
        );
        assert_eq!(redact_url("nats://h:1"), "nats://h:1");
    }

    #[test]
    fn round_trips_with_mode_0600_and_detects_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k1.json");
        let creds = sample();
        creds.write(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let loaded = DeviceCredentials::load(&path).unwrap();
        assert_eq!(loaded, creds);
        assert_eq!(loaded.device_role(), Some(DeviceRole::Kiosk));
        assert_eq!(loaded.inbox_prefix(), "_INBOX_k1");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(is_credentials_json(&text));
        assert!(!is_credentials_json(
            "-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------"
        ));
    }

    #[test]
    fn bad_files_are_told_apart_and_quiet() {
        let dir = tempfile::tempdir().unwrap();
        let missing = DeviceCredentials::load(&dir.path().join("none.json")).unwrap_err();
        assert!(matches!(missing, CredentialsError::Missing(_)), "{missing}");
        let path = dir.path().join("bad.json");
        std::fs::write(
            &path,
            r#"{"device":"k1","user":"k1","password":"hunter2-xyz"}"#,
        )
        .unwrap();
        let bad = DeviceCredentials::load(&path).unwrap_err();
        assert!(matches!(bad, CredentialsError::Invalid(_)), "{bad}");
        assert!(!bad.to_string().contains("hunter2"), "{bad}");
        assert!(bad.to_string().contains("missing field"), "{bad}");
        std::fs::write(&path, r#"{"device":"k1","password":3}"#).unwrap();
        let bad = DeviceCredentials::load(&path).unwrap_err();
        assert!(matches!(bad, CredentialsError::Invalid(_)), "{bad}");
    }
}
