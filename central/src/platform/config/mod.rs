//! Typed, layered configuration: built-in defaults → optional JSON file → `MALLBOTS__…`
//! environment variables (→ command-line flags, applied by the binary).
//!
//! Environment keys are paths separated by `__`, e.g. `MALLBOTS__TOPOLOGY__SUBJECT_ROOT=t1` or
//! `MALLBOTS__ROLES=saga,depot`; each value is parsed as the type of the setting it replaces
//! (lists are comma-separated). The roles' own sections (saga, payments, sms, sim, depot) are in
//! [`sections`]; the plain variables of earlier versions (`MALLBOTS_SIM_BOTS` …) are refused
//! with the name that replaced them ([`sections::RENAMED_ENV`]). Secrets (password, token) and
//! the credentials file path are hidden from `Debug`, so logging the settings never leaks them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::platform::error::ConfigError;
use crate::platform::ServiceRole;

pub mod sections;

pub use sections::{
    DepotSettings, LogFormat, LogSettings, PaymentsSettings, SagaSettings, SimSection, SmsSettings,
};

/// Environment variable prefix; path segments are separated by `__`.
pub const ENV_PREFIX: &str = "MALLBOTS__";

/// Everything the central service needs to start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// NATS connection.
    pub nats: NatsSettings,
    /// HTTP listener (health, metrics, DLQ).
    pub http: HttpSettings,
    /// Roles this replica runs (all by default).
    pub roles: Vec<ServiceRole>,
    /// Subject root, stream names, replication, consumer limits.
    pub topology: TopologySettings,
    /// Consumer worker tuning.
    pub worker: WorkerSettings,
    /// The order saga.
    pub saga: SagaSettings,
    /// The payment gateway.
    pub payments: PaymentsSettings,
    /// The SMS sink.
    pub sms: SmsSettings,
    /// The bot simulator.
    pub sim: SimSection,
    /// The depot.
    pub depot: DepotSettings,
    /// Log lines.
    pub log: LogSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            nats: NatsSettings::default(),
            http: HttpSettings::default(),
            roles: ServiceRole::ALL.to_vec(),
            topology: TopologySettings::default(),
            worker: WorkerSettings::default(),
            saga: SagaSettings::default(),
            payments: PaymentsSettings::default(),
            sms: SmsSettings::default(),
            sim: SimSection::default(),
            depot: DepotSettings::default(),
            log: LogSettings::default(),
        }
    }
}

/// A secret string: serialized as-is (for layering) but never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is handed to the NATS client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// NATS connection settings.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatsSettings {
    /// Server URL(s), comma-separated for a cluster.
    pub url: String,
    /// A credentials file: a NATS `.creds` file (JWT + nkey seed) or the credentials JSON of
    /// `mallbots-central auth init` (user and password); its path is never logged.
    pub credentials_file: Option<PathBuf>,
    /// User name for user/password auth.
    pub user: Option<String>,
    /// Password for user/password auth.
    pub password: Option<Secret>,
    /// Token auth.
    pub token: Option<Secret>,
    /// Connection name shown by the server.
    pub connection_name: String,
    /// The CA certificate (PEM) that signed the servers' TLS certificates: connect with TLS
    /// and trust it (`tls://` URLs; deploy/tls/make-certs.sh makes one).
    pub tls_ca: Option<PathBuf>,
}

impl Default for NatsSettings {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".into(),
            credentials_file: None,
            user: None,
            password: None,
            token: None,
            connection_name: "mallbots-central".into(),
            tls_ca: None,
        }
    }
}

impl fmt::Debug for NatsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsSettings")
            .field("url", &mallbots_wire::credentials::redact_url(&self.url))
            .field(
                "credentials_file",
                &self.credentials_file.as_ref().map(|_| "[redacted]"),
            )
            .field("user", &self.user)
            .field("password", &self.password)
            .field("token", &self.token)
            .field("connection_name", &self.connection_name)
            .finish()
    }
}

/// HTTP listener settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Listen address; port 0 picks a free port (logged as `http listening on ADDR`).
    pub listen: SocketAddr,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8480)),
        }
    }
}

/// Names, replication and consumer limits of the JetStream topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopologySettings {
    /// First subject token (`mallbots`); tests use a unique one per test.
    pub subject_root: String,
    /// Prepended to every stream and KV bucket name (`""` by default); tests use a unique one.
    pub stream_prefix: String,
    /// Stream and bucket replicas: 1, or 3 on a cluster.
    pub replicas: usize,
    /// Msg-id de-duplication window in milliseconds (tests use 1000).
    pub duplicate_window_ms: u64,
    /// Consumer ack wait in milliseconds.
    pub ack_wait_ms: u64,
    /// Deliveries before a message goes to the DLQ.
    pub max_deliver: i64,
    /// Redelivery back-off in milliseconds (len must be < max_deliver).
    pub backoff_ms: Vec<u64>,
    /// How long commands, replies and timers are kept in the COMMANDS stream, in milliseconds.
    pub commands_max_age_ms: u64,
    /// How long the marker of a forgotten saga or shopping list stays in its bucket, in
    /// milliseconds (`MALLBOTS__TOPOLOGY__FORGOTTEN_MARKER_TTL_MS`; whole seconds, at least one).
    pub forgotten_marker_ttl_ms: u64,
}

impl Default for TopologySettings {
    fn default() -> Self {
        Self {
            subject_root: "mallbots".into(),
            stream_prefix: String::new(),
            replicas: 1,
            duplicate_window_ms: 120_000,
            ack_wait_ms: 30_000,
            max_deliver: 5,
            backoff_ms: vec![1_000, 5_000, 15_000, 30_000],
            commands_max_age_ms: 7 * 24 * 3_600_000,
            forgotten_marker_ttl_ms: 15 * 60_000,
        }
    }
}

impl TopologySettings {
    /// The dedup window as a duration.
    pub fn duplicate_window(&self) -> Duration {
        Duration::from_millis(self.duplicate_window_ms)
    }

    /// The ack wait as a duration.
    pub fn ack_wait(&self) -> Duration {
        Duration::from_millis(self.ack_wait_ms)
    }

    /// The forgotten keys' marker TTL as a duration.
    pub fn forgotten_marker_ttl(&self) -> Duration {
        Duration::from_millis(self.forgotten_marker_ttl_ms)
    }
}

/// Consumer worker tuning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Messages requested per pull.
    pub batch: usize,
    /// Messages handled at once per consumer.
    pub concurrency: usize,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            batch: 64,
            concurrency: 8,
        }
    }
}

impl Settings {
    /// Defaults, then `file` (TOML for `*.toml`, else JSON) if given, then the `MALLBOTS__…`
    /// variables from `env`.
    pub fn load<I>(file: Option<&Path>, env: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut tree = serde_json::to_value(Self::default()).map_err(ConfigError::invalid)?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            let layer = parse_file(path, &text)?;
            merge(&mut tree, layer);
        }
        let env: Vec<(String, String)> = env.into_iter().collect();
        sections::refuse_renamed(&env)?;
        for (key, value) in env {
            if let Some(path) = key.strip_prefix(ENV_PREFIX) {
                let section = path.split("__").next().unwrap_or_default();
                if !sections::EDGE_SECTIONS.contains(&section.to_ascii_lowercase().as_str()) {
                    overlay_env(&mut tree, &key, path, &value)?;
                }
            }
        }
        // A value of the wrong type names its setting and where it came from (the variables
        // were checked as they were read).
        let settings: Self = serde_path_to_error::deserialize(tree).map_err(|e| {
            let from = file.map_or_else(
                || "the defaults".to_owned(),
                |p| format!("config file {}", p.display()),
            );
            ConfigError::Value {
                key: e.path().to_string(),
                reason: format!("{} (set in {from})", e.inner()),
            }
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks names and limits JetStream would reject later with a less helpful error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let t = &self.topology;
        let token_ok = |s: &str| {
            !s.is_empty()
                && s.split('.')
                    .all(|tok| !tok.is_empty() && !tok.contains(['*', '>', ' ', '\t', '\n', '\r']))
        };
        if !token_ok(&t.subject_root) {
            return Err(ConfigError::Value {
                key: "topology.subject_root".into(),
                reason: format!("{:?} is not a valid subject prefix", t.subject_root),
            });
        }
        if !t
            .stream_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ConfigError::Value {
                key: "topology.stream_prefix".into(),
                reason: "only letters, digits, '_' and '-' are allowed".into(),
            });
        }
        if !(1..=5).contains(&t.replicas) {
            return Err(ConfigError::Value {
                key: "topology.replicas".into(),
                reason: "must be between 1 and 5".into(),
            });
        }
        if t.max_deliver < 1 || t.backoff_ms.len() as i64 >= t.max_deliver {
            return Err(ConfigError::Value {
                key: "topology.max_deliver".into(),
                reason: "must be ≥ 1 and greater than the number of back-off steps".into(),
            });
        }
        if self.roles.is_empty() {
            return Err(ConfigError::Value {
                key: "roles".into(),
                reason: "at least one role is required".into(),
            });
        }
        if self.saga.timeout_ms <= 0 {
            return Err(ConfigError::Value {
                key: "saga.timeout_ms".into(),
                reason: "must be > 0".into(),
            });
        }
        if self.depot.bot_lease_ms == 0 {
            return Err(ConfigError::Value {
                key: "depot.bot_lease_ms".into(),
                reason: "must be > 0".into(),
            });
        }
        if self.worker.batch == 0 || self.worker.concurrency == 0 {
            return Err(ConfigError::Value {
                key: "worker".into(),
                reason: "batch and concurrency must be ≥ 1".into(),
            });
        }
        Ok(())
    }
}

/// Deep-merges `layer` into `base` (objects merge key by key; anything else replaces).
fn merge(base: &mut Value, layer: Value) {
    match (base, layer) {
        (Value::Object(base), Value::Object(layer)) => {
            for (k, v) in layer {
                merge(base.entry(k).or_insert(Value::Null), v);
            }
        }
        (base, layer) => *base = layer,
    }
}

/// Sets the setting at `path` (`A__B`) from a string, typed after the value it replaces.
/// A config file's settings tree: TOML for a `.toml` file (sections as tables, `[nats]
/// url = "…"`), JSON otherwise.
fn parse_file(path: &Path, text: &str) -> Result<Value, ConfigError> {
    let failed = |reason: String| ConfigError::File {
        path: path.to_path_buf(),
        reason,
    };
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        let table: toml::Table = toml::from_str(text).map_err(|e| failed(e.to_string()))?;
        serde_json::to_value(table).map_err(|e| failed(e.to_string()))
    } else {
        serde_json::from_str(text).map_err(|e| failed(e.to_string()))
    }
}

fn overlay_env(tree: &mut Value, key: &str, path: &str, raw: &str) -> Result<(), ConfigError> {
    let mut node = tree;
    for segment in path.split("__") {
        let segment = segment.to_ascii_lowercase();
        node = node
            .as_object_mut()
            .and_then(|o| o.get_mut(&segment))
            .ok_or_else(|| ConfigError::UnknownKey(key.to_string()))?;
    }
    let bad = |reason: &str| ConfigError::Value {
        key: key.to_string(),
        reason: format!("{raw:?}: {reason}"),
    };
    *node = match node {
        Value::Bool(_) => Value::Bool(raw.parse().map_err(|_| bad("expected true/false"))?),
        Value::Number(_) => serde_json::from_str::<serde_json::Number>(raw)
            .map(Value::Number)
            .map_err(|_| bad("expected a number"))?,
        Value::Array(items) => {
            let numeric = matches!(items.first(), Some(Value::Number(_)));
            let parts = raw.split(',').map(str::trim).filter(|p| !p.is_empty());
            let values: Result<Vec<Value>, ConfigError> = parts
                .map(|p| {
                    if numeric {
                        serde_json::from_str::<serde_json::Number>(p)
                            .map(Value::Number)
                            .map_err(|_| bad("expected comma-separated numbers"))
                    } else {
                        Ok(Value::String(p.to_string()))
                    }
                })
                .collect();
            Value::Array(values?)
        }
        Value::Object(_) => return Err(bad("names a section, not a setting")),
        Value::String(_) | Value::Null => Value::String(raw.to_string()),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("central.json");
        std::fs::write(
            &file,
            r#"{"topology": {"subject_root": "fromfile", "replicas": 3}, "roles": ["saga"]}"#,
        )
        .unwrap();
        let s = Settings::load(
            Some(&file),
            env(&[
                ("MALLBOTS__TOPOLOGY__SUBJECT_ROOT", "fromenv"),
                ("MALLBOTS__TOPOLOGY__BACKOFF_MS", "10, 20"),
                ("MALLBOTS__ROLES", "depot,bots-sim"),
                ("MALLBOTS__HTTP__LISTEN", "127.0.0.1:0"),
                ("OTHER", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(s.topology.subject_root, "fromenv");
        assert_eq!(s.topology.replicas, 3, "file value kept");
        assert_eq!(s.topology.backoff_ms, vec![10, 20]);
        assert_eq!(s.roles, vec![ServiceRole::Depot, ServiceRole::BotsSim]);
        assert_eq!(s.http.listen.port(), 0);
        assert_eq!(s.topology.max_deliver, 5, "default kept");
    }

    #[test]
    fn a_toml_file_has_a_table_per_section_and_its_errors_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("central.toml");
        std::fs::write(
            &file,
            "roles = [\"saga\", \"payments\"]\n[nats]\nurl = \"nats://n1:4222,nats://n2:4222\"\n\
             [topology]\nreplicas = 3\n[http]\nlisten = \"0.0.0.0:8480\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(&file), env(&[])).unwrap();
        assert_eq!(s.nats.url, "nats://n1:4222,nats://n2:4222");
        assert_eq!(s.topology.replicas, 3);
        assert_eq!(s.roles, vec![ServiceRole::Saga, ServiceRole::Payments]);
        assert_eq!(s.http.listen.port(), 8480);

        std::fs::write(&file, "[topology]\nreplicas = \"three\"\n").unwrap();
        let err = Settings::load(Some(&file), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("topology.replicas"), "{err}");
        assert!(err.contains("central.toml"), "{err}");
        std::fs::write(&file, "[topology]\nreplica = 3\n").unwrap();
        let err = Settings::load(Some(&file), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("replica") && err.contains("central.toml"),
            "{err}"
        );
        std::fs::write(&file, "[topology\n").unwrap();
        let err = Settings::load(Some(&file), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config file"), "{err}");
    }

    #[test]
    fn rejects_unknown_keys_bad_values_and_bad_names() {
        let err = Settings::load(None, env(&[("MALLBOTS__TOPOLOGY__NOPE", "1")])).unwrap_err();
        assert!(matches!(err, ConfigError::UnknownKey(_)));
        let err = Settings::load(None, env(&[("MALLBOTS__TOPOLOGY__REPLICAS", "x")])).unwrap_err();
        assert!(matches!(err, ConfigError::Value { .. }));
        let err =
            Settings::load(None, env(&[("MALLBOTS__TOPOLOGY__SUBJECT_ROOT", "a.>")])).unwrap_err();
        assert!(err.to_string().contains("subject_root"));
        let err =
            Settings::load(None, env(&[("MALLBOTS__TOPOLOGY__STREAM_PREFIX", "a.b")])).unwrap_err();
        assert!(err.to_string().contains("stream_prefix"));
        let err = Settings::load(None, env(&[("MALLBOTS__ROLES", "kitchen")])).unwrap_err();
        assert!(err.to_string().contains("kitchen"));
    }

    #[test]
    fn role_sections_come_from_the_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("central.json");
        std::fs::write(
            &file,
            r#"{"sim": {"bots": 7}, "sms": {"log": "/var/log/sms.log"}, "depot": {"bot_lease_ms": 900}}"#,
        )
        .unwrap();
        let s = Settings::load(
            Some(&file),
            env(&[
                ("MALLBOTS__SIM__STEP_MS", "20"),
                ("MALLBOTS__SAGA__TIMEOUT_MS", "1500"),
                ("MALLBOTS__PAYMENTS__GATEWAY_URL", "http://gw"),
                ("MALLBOTS__SMS__RETRY_MS", "50"),
            ]),
        )
        .unwrap();
        assert_eq!((s.sim.bots, s.sim.step_ms), (7, 20));
        assert_eq!(s.sms.log, PathBuf::from("/var/log/sms.log"));
        assert_eq!((s.sms.retry_ms, s.sms.retries), (50, 3));
        assert_eq!(s.saga.timeout_ms, 1500);
        assert_eq!(s.payments.gateway(), Some("http://gw"));
        assert_eq!(s.payments.fake_slow_ms, 3000);
        assert_eq!(s.depot.bot_lease_ms, 900);
        assert_eq!(s.sms.gateway(), None);
        let err = Settings::load(None, env(&[("MALLBOTS__SIM__SPEED", "1")])).unwrap_err();
        assert!(matches!(err, ConfigError::UnknownKey(_)));
        let err = Settings::load(None, env(&[("MALLBOTS__SAGA__TIMEOUT_MS", "0")])).unwrap_err();
        assert!(err.to_string().contains("saga.timeout_ms"));
    }

    #[test]
    fn variables_of_earlier_versions_are_refused_naming_their_replacement() {
        for (old, new) in sections::RENAMED_ENV {
            let err =
                Settings::load(None, env(&[(old, "1"), ("MALLBOTS__SIM__BOTS", "2")])).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(old) && text.contains(new) && text.contains("no longer read"),
                "{text}"
            );
        }
        let s = Settings::load(
            None,
            env(&[
                ("MALLBOTS__SIM__STEP_MS", "30"),
                ("MALLBOTS__SMS__LOG", "/tmp/x.log"),
                ("MALLBOTS__DEPOT__BOT_LEASE_MS", "1200"),
            ]),
        )
        .unwrap();
        assert_eq!(s.sim.step_ms, 30);
        assert_eq!(s.sms.log, PathBuf::from("/tmp/x.log"));
        assert_eq!(s.depot.bot_lease_ms, 1200);
    }

    #[test]
    fn debug_hides_secrets_and_credentials_path() {
        let s = Settings::load(
            None,
            env(&[
                ("MALLBOTS__NATS__USER", "central"),
                ("MALLBOTS__NATS__PASSWORD", "hunter2"),
                ("MALLBOTS__NATS__TOKEN", "tok-secret"),
                ("MALLBOTS__NATS__CREDENTIALS_FILE", "/secret/place.creds"),
                (
                    "MALLBOTS__NATS__URL",
                    "nats://central:url-secret@h1:4222,h2:4222",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(s.nats.password.as_ref().unwrap().expose(), "hunter2");
        let shown = format!("{s:?}");
        assert!(shown.contains("central"));
        assert!(shown.contains("h1:4222"), "{shown}");
        for secret in ["hunter2", "tok-secret", "/secret/place.creds", "url-secret"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
    }
}
