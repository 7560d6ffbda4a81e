//! The settings sections of the roles: saga step timeouts, the payment gateway, the SMS sink, the
//! bot simulator and the depot's bot leases. Each is a typed part of [`super::Settings`], set in
//! the settings file or with `MALLBOTS__<SECTION>__<KEY>` variables, e.g.
//! `MALLBOTS__SIM__BOTS=12` or `MALLBOTS__SAGA__TIMEOUT_MS=1000`.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::platform::error::ConfigError;

/// The order saga (`saga`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SagaSettings {
    /// Every step's timeout in milliseconds (`MALLBOTS__SAGA__TIMEOUT_MS`).
    pub timeout_ms: i64,
    /// How long a finished saga's state is kept after its last write before its key is purged,
    /// in milliseconds (`MALLBOTS__SAGA__FINISHED_KEY_GRACE_MS`).
    pub finished_key_grace_ms: u64,
}

impl Default for SagaSettings {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            finished_key_grace_ms: 60_000,
        }
    }
}

/// The payment gateway (`payments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentsSettings {
    /// Base URL of an HTTP gateway; the built-in fake when unset or empty
    /// (`MALLBOTS__PAYMENTS__GATEWAY_URL`).
    pub gateway_url: Option<String>,
    /// How long the fake takes for card `tok_slow`, in milliseconds
    /// (`MALLBOTS__PAYMENTS__FAKE_SLOW_MS`).
    pub fake_slow_ms: u64,
}

impl Default for PaymentsSettings {
    fn default() -> Self {
        Self {
            gateway_url: None,
            fake_slow_ms: 3_000,
        }
    }
}

impl PaymentsSettings {
    /// The gateway URL, if one is set (an empty value counts as unset).
    pub fn gateway(&self) -> Option<&str> {
        non_empty(&self.gateway_url)
    }
}

/// Where text messages go (`sms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// POST messages to this HTTP gateway; the log file when unset or empty
    /// (`MALLBOTS__SMS__GATEWAY_URL`).
    pub gateway_url: Option<String>,
    /// The log file of the default sink (`MALLBOTS__SMS__LOG`).
    pub log: PathBuf,
    /// Extra attempts per delivery (`MALLBOTS__SMS__RETRIES`).
    pub retries: u32,
    /// First back-off in milliseconds, doubling (`MALLBOTS__SMS__RETRY_MS`).
    pub retry_ms: u64,
    /// Per-request timeout in milliseconds (`MALLBOTS__SMS__TIMEOUT_MS`).
    pub timeout_ms: u64,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            gateway_url: None,
            log: PathBuf::from("mallbots-sms.log"),
            retries: 3,
            retry_ms: 200,
            timeout_ms: 5_000,
        }
    }
}

impl SmsSettings {
    /// The gateway URL, if one is set (an empty value counts as unset).
    pub fn gateway(&self) -> Option<&str> {
        non_empty(&self.gateway_url)
    }
}

/// The bot simulator (`sim`, role bots-sim).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSection {
    /// Number of simulated bots (`MALLBOTS__SIM__BOTS`).
    pub bots: usize,
    /// Time per walk or pick in milliseconds (`MALLBOTS__SIM__STEP_MS`).
    pub step_ms: u64,
    /// Bot name prefix; `sim-<pid>` when empty (`MALLBOTS__SIM__NAME`).
    pub name: String,
}

impl Default for SimSection {
    fn default() -> Self {
        Self {
            bots: 3,
            step_ms: 1_000,
            name: String::new(),
        }
    }
}

/// The depot (`depot`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DepotSettings {
    /// A bot's lease in milliseconds: drivers renew it every third, depot replicas take bots whose
    /// lease lapsed offline; both must agree (`MALLBOTS__DEPOT__BOT_LEASE_MS`).
    pub bot_lease_ms: u64,
    /// How long a completed or canceled shopping list's KV mirror is kept after its last write
    /// before it is purged, in milliseconds (`MALLBOTS__DEPOT__FINISHED_LIST_GRACE_MS`; its
    /// events stay in the log, from which a later load folds it again).
    pub finished_list_grace_ms: u64,
}

impl Default for DepotSettings {
    fn default() -> Self {
        Self {
            bot_lease_ms: 15_000,
            finished_list_grace_ms: 60_000,
        }
    }
}

impl DepotSettings {
    /// The lease as a duration.
    pub fn bot_lease(&self) -> Duration {
        Duration::from_millis(self.bot_lease_ms)
    }

    /// The finished lists' grace as a duration.
    pub fn finished_list_grace(&self) -> Duration {
        Duration::from_millis(self.finished_list_grace_ms)
    }
}

/// How log lines are written (`log`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Logging (`log`); `RUST_LOG` filters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json` (`MALLBOTS__LOG__FORMAT`, the same variable as the app's and the
    /// CLI's).
    pub format: LogFormat,
}

/// Sections of the edge binaries (`mallbots`, `mallbots-app`): central does not read them, and
/// does not refuse their `MALLBOTS__…` variables either, so one environment can hold the
/// settings of every binary on a machine.
pub const EDGE_SECTIONS: &[&str] = &[
    "device", "kiosk", "manager", "mall", "app", "sync", "metrics",
];

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Variables of earlier versions, no longer read, and the variables that replaced them: central
/// refuses to start with one set ([`refuse_renamed`]).
pub const RENAMED_ENV: &[(&str, &str)] = &[
    ("MALLBOTS_SAGA_TIMEOUT_MS", "MALLBOTS__SAGA__TIMEOUT_MS"),
    (
        "MALLBOTS_PAYMENT_GATEWAY_URL",
        "MALLBOTS__PAYMENTS__GATEWAY_URL",
    ),
    (
        "MALLBOTS_FAKE_GATEWAY_SLOW_MS",
        "MALLBOTS__PAYMENTS__FAKE_SLOW_MS",
    ),
    ("MALLBOTS_SMS_GATEWAY_URL", "MALLBOTS__SMS__GATEWAY_URL"),
    ("MALLBOTS_SMS_LOG", "MALLBOTS__SMS__LOG"),
    ("MALLBOTS_SMS_RETRIES", "MALLBOTS__SMS__RETRIES"),
    ("MALLBOTS_SMS_RETRY_MS", "MALLBOTS__SMS__RETRY_MS"),
    ("MALLBOTS_SMS_TIMEOUT_MS", "MALLBOTS__SMS__TIMEOUT_MS"),
    ("MALLBOTS_SIM_BOTS", "MALLBOTS__SIM__BOTS"),
    ("MALLBOTS_SIM_STEP_MS", "MALLBOTS__SIM__STEP_MS"),
    ("MALLBOTS_SIM_NAME", "MALLBOTS__SIM__NAME"),
    ("MALLBOTS_BOT_LEASE_MS", "MALLBOTS__DEPOT__BOT_LEASE_MS"),
    ("MALLBOTS_LOG_FORMAT", "MALLBOTS__LOG__FORMAT"),
    ("MALLBOTS_NATS_URL", "MALLBOTS__NATS__URL"),
    ("MALLBOTS_NATS_CA", "MALLBOTS__NATS__TLS_CA"),
];

/// A variable of an earlier version among `env`: an error naming the variable that replaced
/// it (such a variable is no longer read, and silently ignoring it would run central with
/// settings its operator did not mean).
pub fn refuse_renamed(env: &[(String, String)]) -> Result<(), ConfigError> {
    match env
        .iter()
        .find_map(|(k, _)| RENAMED_ENV.iter().find(|(old, _)| old == k))
    {
        Some((old, new)) => Err(ConfigError::Value {
            key: (*old).to_owned(),
            reason: format!("no longer read: set {new} instead"),
        }),
        None => Ok(()),
    }
}
