//! Where text messages go: an HTTP SMS gateway (POST JSON with an `Idempotency-Key` header, retried
//! with doubling back-off) or, by default, a local log file of JSON lines.
//!
//! Settings: the `sms` section ([`crate::platform::config::SmsSettings`]): `gateway_url` (use the gateway),
//! `log` (log file, default `mallbots-sms.log`), `retries` (extra attempts per delivery, default
//! 3), `retry_ms` (first back-off, default 200), `timeout_ms` (per request, default 5000).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use mallbots_domain::error::ErrorCode;
use serde::{Deserialize, Serialize};

/// One text message with what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sms {
    /// Phone number.
    pub to: String,
    /// Text.
    pub body: String,
    /// The order.
    pub order: String,
    /// `order_created`, `order_ready`, `order_canceled`.
    pub kind: String,
    /// Unique per order and kind; the gateway's idempotency key.
    pub dedupe_key: String,
}

/// Sending failed.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The log file could not be written.
    #[error("sms log {path}: {reason}")]
    Log {
        /// The file.
        path: String,
        /// I/O error.
        reason: String,
    },
    /// The gateway kept failing.
    #[error("sms gateway: {0}")]
    Gateway(String),
    /// The gateway refused the message (4xx): retrying will not help.
    #[error("sms gateway refused the message: status {0}")]
    Refused(u16),
}

impl ErrorCode for SinkError {
    fn code(&self) -> &'static str {
        match self {
            SinkError::Log { .. } => "sms.log",
            SinkError::Gateway(_) => "sms.gateway",
            SinkError::Refused(_) => "sms.refused",
        }
    }
}

/// Sink settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkSettings {
    /// Gateway URL; `None` = log file.
    pub gateway_url: Option<String>,
    /// Log file path.
    pub log_path: PathBuf,
    /// Extra attempts per delivery.
    pub retries: u32,
    /// First back-off.
    pub retry: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for SinkSettings {
    fn default() -> Self {
        Self {
            gateway_url: None,
            log_path: PathBuf::from("mallbots-sms.log"),
            retries: 3,
            retry: Duration::from_millis(200),
            timeout: Duration::from_millis(5000),
        }
    }
}

impl SinkSettings {
    /// The sink of the `sms` settings section.
    pub fn from_config(c: &crate::platform::config::SmsSettings) -> Self {
        Self {
            gateway_url: c.gateway().map(str::to_string),
            log_path: c.log.clone(),
            retries: c.retries,
            retry: Duration::from_millis(c.retry_ms),
            timeout: Duration::from_millis(c.timeout_ms),
        }
    }
}

/// The configured sink.
#[derive(Debug)]
pub enum Sink {
    /// JSON lines appended to a file.
    Log {
        /// The file.
        path: PathBuf,
        /// Serializes appends within this process.
        lock: Mutex<()>,
    },
    /// An HTTP gateway.
    Http {
        /// Client with the request timeout.
        client: reqwest::Client,
        /// POST target.
        url: String,
        /// Extra attempts.
        retries: u32,
        /// First back-off.
        retry: Duration,
    },
}

/// Where texts go: the [`Sink`] in production; the simulated gateway in the deterministic
/// simulation.
pub trait SendSms: Sync {
    /// Sends one text.
    fn send_sms(
        &self,
        sms: &Sms,
    ) -> impl std::future::Future<Output = Result<(), SinkError>> + Send;
}

impl SendSms for Sink {
    async fn send_sms(&self, sms: &Sms) -> Result<(), SinkError> {
        self.send(sms).await
    }
}

impl Sink {
    /// The sink `settings` describe.
    pub fn new(settings: &SinkSettings) -> Self {
        match &settings.gateway_url {
            Some(url) => Sink::Http {
                client: reqwest::Client::builder()
                    .timeout(settings.timeout)
                    .build()
                    .unwrap_or_default(),
                url: url.clone(),
                retries: settings.retries,
                retry: settings.retry,
            },
            None => Sink::Log {
                path: settings.log_path.clone(),
                lock: Mutex::new(()),
            },
        }
    }

    /// Sends (or logs) one message.
    pub async fn send(&self, sms: &Sms) -> Result<(), SinkError> {
        match self {
            Sink::Log { path, lock } => {
                let line = serde_json::to_string(sms).unwrap_or_default();
                let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                let log = |e: std::io::Error| SinkError::Log {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                };
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(log)?;
                file.write_all(format!("{line}\n").as_bytes()).map_err(log)
            }
            Sink::Http {
                client,
                url,
                retries,
                retry,
            } => {
                let mut delays = crate::platform::retry::delays(*retry, *retry * 64);
                let mut last = String::new();
                for attempt in 0..=*retries {
                    if attempt > 0 {
                        tokio::time::sleep(delays.next().unwrap_or(*retry)).await;
                    }
                    let sent = client
                        .post(url)
                        .header("Idempotency-Key", &sms.dedupe_key)
                        .json(sms)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => return Ok(()),
                        Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => {
                            return Err(SinkError::Refused(r.status().as_u16()))
                        }
                        Ok(r) => last = format!("status {}", r.status()),
                        Err(e) => last = e.to_string(),
                    }
                    tracing::info!(attempt, dedupe_key = %sms.dedupe_key, reason = %last, "sms gateway attempt failed");
                }
                Err(SinkError::Gateway(last))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(key: &str) -> Sms {
        Sms {
            to: "+15550100".into(),
            body: "hi".into(),
            order: "o1".into(),
            kind: "order_ready".into(),
            dedupe_key: key.into(),
        }
    }

    #[tokio::test]
    async fn the_log_sink_appends_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sms.log");
        let sink = Sink::new(&SinkSettings {
            log_path: path.clone(),
            ..Default::default()
        });
        sink.send(&sms("a")).await.unwrap();
        sink.send(&sms("b")).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Sms> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, vec![sms("a"), sms("b")]);
    }

    #[test]
    fn settings_come_from_the_sms_section() {
        let s = SinkSettings::from_config(&crate::platform::config::SmsSettings {
            gateway_url: Some("http://gw/sms".into()),
            retries: 5,
            retry_ms: 10,
            ..Default::default()
        });
        assert_eq!(s.gateway_url.as_deref(), Some("http://gw/sms"));
        assert_eq!(s.retries, 5);
        assert_eq!(s.retry, Duration::from_millis(10));
        assert_eq!(s.log_path, PathBuf::from("mallbots-sms.log"));
    }
}
