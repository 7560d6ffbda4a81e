//! The connection: [`NatsTarget`] (URLs, credentials), [`Link`] (client, JetStream context,
//! events stream) and [`connect`], which uses the device's custom inbox prefix
//! (`_INBOX_<device>`) so every reply lands where its NATS user may subscribe.
//!
//! The target's credentials file is either the device's credentials JSON written by
//! `mallbots-central enroll` (user and password; see [`super::credentials`]) or a NATS `.creds`
//! file (JWT + nkey seed); which one is told by its contents. A refused login is
//! [`SyncError::Refused`] (`sync.refused`); no error or log line carries a password.

use super::credentials::{is_credentials_json, redact_url, DeviceCredentials};
use super::error::SyncError;
use super::SyncConfig;
use async_nats::jetstream::{self, stream::Stream};
use async_nats::ConnectErrorKind;
use std::path::PathBuf;

/// Where and how to connect. Its `Debug` never shows a password (see [`redact_url`]).
#[derive(Clone, PartialEq, Eq)]
pub struct NatsTarget {
    /// Server URL(s), comma-separated. Empty = the `nats_url` of the credentials file.
    pub url: String,
    /// The device's credentials: its credentials JSON file (`mallbots-central enroll --out`)
    /// or a NATS `.creds` file, if any.
    pub creds: Option<PathBuf>,
    /// The CA certificate (PEM) that signed the servers' TLS certificates, if the servers
    /// speak TLS: the connection then requires TLS and trusts this CA.
    pub tls_ca: Option<PathBuf>,
}

impl NatsTarget {
    /// A target without credentials.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            creds: None,
            tls_ca: None,
        }
    }

    /// A target with a credentials file (credentials JSON or `.creds`).
    pub fn with_creds(url: impl Into<String>, creds: impl Into<PathBuf>) -> Self {
        Self {
            url: url.into(),
            creds: Some(creds.into()),
            tls_ca: None,
        }
    }

    /// This target over TLS, trusting the CA certificate `ca` (PEM), when given.
    pub fn with_tls_ca(mut self, ca: Option<PathBuf>) -> Self {
        self.tls_ca = ca;
        self
    }
}

impl std::fmt::Debug for NatsTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsTarget")
            .field("url", &redact_url(&self.url))
            .field("creds", &self.creds)
            .field("tls_ca", &self.tls_ca)
            .finish()
    }
}

/// Splits `user:password@` out of comma-separated URL(s) (the client ignores it once options
/// are given).
fn split_credentials(urls: &str) -> (String, Option<(String, String)>) {
    super::credentials::split_userinfo(urls)
}

/// The subject a server error names as a forbidden publish
/// (`Permissions Violation for Publish to "<subject>"`), if it is one.
pub fn publish_violation(error: &str) -> Option<String> {
    let (_, rest) = error.split_once("Permissions Violation for Publish to")?;
    let subject = rest.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    (!subject.is_empty()).then(|| subject.to_owned())
}

/// Subjects the server reported a publish permissions violation for on one connection, and a
/// wake-up for a publish waiting on one (a forbidden publish gets no ack error, only the
/// server's asynchronous `-ERR`: waiting for it instead of the ack timeout quarantines the row
/// in milliseconds).
#[derive(Debug, Default)]
pub(crate) struct Violations {
    seen: std::sync::Mutex<std::collections::HashSet<String>>,
    changed: tokio::sync::Notify,
}

impl Violations {
    fn record(&self, subject: String) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(subject);
        self.changed.notify_waiters();
    }

    /// Whether a violation was reported for `subject`.
    pub(crate) fn contains(&self, subject: &str) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(subject)
    }

    /// Completes at the next reported violation (enable it before checking [`Self::contains`]
    /// so none is missed between the check and the wait).
    pub(crate) fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }
}

/// A live connection: the client, its JetStream context and the events stream.
#[derive(Debug, Clone)]
pub struct Link {
    /// The client (inbox prefix `_INBOX_<device>`).
    pub client: async_nats::Client,
    /// Subjects the server reported a publish permissions violation for on this connection (a
    /// forbidden publish gets no ack error, only this asynchronous `-ERR` and a timeout).
    pub(crate) violations: std::sync::Arc<Violations>,
    pub(crate) js: jetstream::Context,
    pub(crate) stream: Stream<()>,
}

/// How the client proves who it is.
enum Login {
    None,
    CredsFile(PathBuf),
    /// A credentials JSON (a password, or a JWT and seed).
    Credentials(Box<DeviceCredentials>),
}

/// Reads the target's credentials file, if any.
fn login(config: &SyncConfig, target: &NatsTarget) -> Result<Login, SyncError> {
    let Some(path) = &target.creds else {
        return Ok(Login::None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            SyncError::NotEnrolled(format!(
                "no credentials file at {} (enroll the device: mallbots-central enroll --device {} \
                 --role … --auth-dir … --out FILE)",
                path.display(),
                config.device_id
            ))
        } else {
            SyncError::Config(format!("cannot read {}: {e}", path.display()))
        }
    })?;
    if !is_credentials_json(&text) {
        return Ok(Login::CredsFile(path.clone()));
    }
    let creds = DeviceCredentials::parse(&text)
        .map_err(|e| SyncError::Config(format!("credentials file {}: {e}", path.display())))?;
    if creds.device != config.device_id {
        return Err(SyncError::Config(format!(
            "credentials file {} is for device {:?}, this device is {:?}",
            path.display(),
            creds.device,
            config.device_id
        )));
    }
    Ok(Login::Credentials(Box::new(creds)))
}

impl Link {
    /// Whether the server reported a publish permissions violation for `subject`.
    pub fn violated(&self, subject: &str) -> bool {
        self.violations.contains(subject)
    }
}

/// Connects with the device's inbox prefix and credentials, and binds the events stream.
pub(crate) async fn connect(config: &SyncConfig, target: &NatsTarget) -> Result<Link, SyncError> {
    let login = login(config, target)?;
    let url = match (&login, target.url.trim()) {
        (Login::Credentials(c), "") => c.nats_url.clone().unwrap_or_default(),
        (_, url) => url.to_owned(),
    };
    let shown = redact_url(&url);
    let err = |reason: String| SyncError::Connect {
        url: shown.clone(),
        reason,
    };
    if url.is_empty() {
        return Err(err("no NATS URL given".to_owned()));
    }
    let violations: std::sync::Arc<Violations> = Default::default();
    let seen = violations.clone();
    let mut options = async_nats::ConnectOptions::new()
        .event_callback(move |event| {
            let seen = seen.clone();
            async move {
                use async_nats::{Event, ServerError};
                if let Event::ServerError(ServerError::Other(text)) = &event {
                    if let Some(subject) = publish_violation(text) {
                        tracing::warn!(%subject, "the server refused a publish (permissions)");
                        seen.record(subject);
                    }
                }
            }
        })
        .custom_inbox_prefix(config.inbox_prefix())
        .name(format!("mallbots-edge-{}", config.device_id))
        .connection_timeout(std::time::Duration::from_secs(3));
    if let Some(ca) = &target.tls_ca {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    let (urls, url_user) = split_credentials(&url);
    let mut user = None;
    match login {
        Login::None => {}
        Login::CredsFile(path) => {
            options = options
                .credentials_file(&path)
                .await
                .map_err(|e| SyncError::Config(format!("{}: {}", path.display(), e.kind())))?;
        }
        Login::Credentials(creds) => {
            user = Some(creds.user.clone());
            options = creds
                .login(options)
                .map_err(|e| SyncError::Config(format!("credentials file: {}", e.kind())))?;
        }
    }
    if let Some((u, password)) = url_user {
        user = Some(u.clone());
        options = options.user_and_password(u, password);
    }
    let urls: Vec<&str> = urls.split(',').collect();
    let client = options.connect(urls).await.map_err(|e| match e.kind() {
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
            SyncError::Refused {
                user: user.clone().unwrap_or_else(|| "(none)".to_owned()),
                reason: "authorization violation".to_owned(),
            }
        }
        _ => err(e.to_string()),
    })?;
    let js = jetstream::ContextBuilder::new()
        .ack_timeout(config.ack_timeout)
        .timeout(config.ack_timeout)
        .build(client.clone());
    let stream = js
        .get_stream_no_info(&config.events_stream)
        .await
        .map_err(|e| err(e.to_string()))?;
    Ok(Link {
        client,
        violations,
        js,
        stream,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn publish_violations_name_their_subject() {
        assert_eq!(
            super::publish_violation("Permissions Violation for Publish to \"m.ev.catalog.s1.x\""),
            Some("m.ev.catalog.s1.x".to_owned())
        );
        assert_eq!(super::publish_violation("authorization violation"), None);
    }

    #[test]
    fn credentials_are_split_out_of_urls() {
        let (urls, user) = super::split_credentials("nats://k1:pw@127.0.0.1:4222,nats://h2:4223");
        assert_eq!(urls, "nats://127.0.0.1:4222,nats://h2:4223");
        assert_eq!(user, Some(("k1".into(), "pw".into())));
        assert_eq!(
            super::split_credentials("127.0.0.1:1").0,
            "nats://127.0.0.1:1"
        );
    }
}
