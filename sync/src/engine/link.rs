//! The connection: [`NatsTarget`] (URLs, credentials), [`Link`] (client, JetStream context,
//! events stream) and [`connect`], which uses the device's custom inbox prefix
//! (`_INBOX_<device>`) so every reply lands where its NATS user may subscribe.

use super::error::SyncError;
use super::SyncConfig;
use async_nats::jetstream::{self, stream::Stream};
use std::path::PathBuf;

/// Where and how to connect. Its `Debug` never shows a password (see [`redact_urls`]).
#[derive(Clone, PartialEq, Eq)]
pub struct NatsTarget {
    /// Server URL(s), comma-separated.
    pub url: String,
    /// A `.creds` file (the device's NATS user), if any.
    pub creds: Option<PathBuf>,
}

impl NatsTarget {
    /// A target without credentials.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            creds: None,
        }
    }
}

impl std::fmt::Debug for NatsTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsTarget")
            .field("url", &redact_urls(&self.url))
            .field("creds", &self.creds)
            .finish()
    }
}

/// The URL(s) with any `user:password@` (or token) removed: what may appear in a log line,
/// an error or a status.
pub fn redact_urls(urls: &str) -> String {
    split_credentials(urls).0
}

/// Splits `user:password@` out of comma-separated URL(s) (the client ignores it once options
/// are given).
fn split_credentials(urls: &str) -> (String, Option<(String, String)>) {
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

/// The subject a server error names as a forbidden publish
/// (`Permissions Violation for Publish to "<subject>"`), if it is one.
pub fn publish_violation(error: &str) -> Option<String> {
    let (_, rest) = error.split_once("Permissions Violation for Publish to")?;
    let subject = rest.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    (!subject.is_empty()).then(|| subject.to_owned())
}

/// A live connection: the client, its JetStream context and the events stream.
#[derive(Debug, Clone)]
pub struct Link {
    /// The client (inbox prefix `_INBOX_<device>`).
    pub client: async_nats::Client,
    /// Subjects the server reported a publish permissions violation for on this connection (a
    /// forbidden publish gets no ack error, only this asynchronous `-ERR` and a timeout).
    pub(crate) violations: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    pub(crate) js: jetstream::Context,
    pub(crate) stream: Stream<()>,
}

impl Link {
    /// Whether the server reported a publish permissions violation for `subject`.
    pub fn violated(&self, subject: &str) -> bool {
        self.violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(subject)
    }
}

/// Connects with the device's inbox prefix and credentials, and binds the events stream.
pub(crate) async fn connect(config: &SyncConfig, target: &NatsTarget) -> Result<Link, SyncError> {
    let (urls, user) = split_credentials(&target.url);
    let err = |reason: String| SyncError::Connect {
        url: urls.clone(),
        reason,
    };
    let violations: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>> =
        Default::default();
    let seen = violations.clone();
    let mut options = async_nats::ConnectOptions::new()
        .event_callback(move |event| {
            let seen = seen.clone();
            async move {
                use async_nats::{Event, ServerError};
                if let Event::ServerError(ServerError::Other(text)) = &event {
                    if let Some(subject) = publish_violation(text) {
                        tracing::warn!(%subject, "the server refused a publish (permissions)");
                        seen.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(subject);
                    }
                }
            }
        })
        .custom_inbox_prefix(config.inbox_prefix())
        .name(format!("mallbots-edge-{}", config.device_id))
        .connection_timeout(std::time::Duration::from_secs(3));
    if let Some(creds) = &target.creds {
        options = options
            .credentials_file(creds)
            .await
            .map_err(|e| err(e.to_string()))?;
    }
    if let Some((user, password)) = user {
        options = options.user_and_password(user, password);
    }
    let urls: Vec<&str> = urls.split(',').collect();
    let client = options.connect(urls).await.map_err(|e| {
        use async_nats::ConnectErrorKind as K;
        match e.kind() {
            K::AuthorizationViolation | K::Authentication => SyncError::Refused {
                reason: e.kind().to_string(),
            },
            _ => err(e.to_string()),
        }
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
