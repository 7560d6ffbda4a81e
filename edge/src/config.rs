//! Edge configuration ([`EdgeConfig`]), the device role and the injectable clock.
//!
//! The edge is I/O land: it reads the clock and generates ids, then passes both into domain
//! commands. Tests swap the clock for a [`ManualClock`].

use crate::error::EdgeError;
use mallbots_domain::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// What the device is used for. A database with a stored identity ([`crate::DeviceIdentity`])
/// takes its role from it and the use cases enforce it (a kiosk writes no catalog ...); without
/// one the role is informational (the CLI may do everything), the app uses it to choose windows
/// and the sync engine to choose consumers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A customer-facing kiosk.
    #[default]
    Kiosk,
    /// A store manager's desk (its stores' catalog, order lines, pickups).
    Manager,
    /// A depot desk: hands over any order, reads the depot; no catalog writes.
    Depot,
}

impl Role {
    /// `kiosk`, `manager` or `depot`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kiosk => "kiosk",
            Role::Manager => "manager",
            Role::Depot => "depot",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "kiosk" => Some(Role::Kiosk),
            "manager" => Some(Role::Manager),
            "depot" => Some(Role::Depot),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of one edge database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeConfig {
    /// This device's id: one NATS subject token (no `.`, `*`, `>` or whitespace).
    pub device_id: String,
    /// Subject root, `mallbots` by default.
    pub subject_root: String,
    /// Kiosk, manager or depot; a stored device identity overrides it.
    pub role: Role,
    /// A kiosk cart idle this long (ms) is canceled with reason `abandoned` by
    /// [`crate::Edge::abandon_idle`].
    pub idle_cart_ms: i64,
    /// Reserved for snapshots once domain aggregates are serializable; loads are kept flat by the
    /// in-memory aggregate cache meanwhile. 0 disables.
    pub snapshot_every: u64,
    /// The signed-in user, stamped into event metadata (change it later with
    /// [`crate::Edge::set_user`]).
    pub user: Option<String>,
}

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            device_id: "local".to_owned(),
            subject_root: "mallbots".to_owned(),
            role: Role::Kiosk,
            idle_cart_ms: 5 * 60 * 1000,
            snapshot_every: 100,
            user: None,
        }
    }
}

/// Whether `token` may be used as one NATS subject token.
pub fn is_subject_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '.' | '*' | '>'))
}

impl EdgeConfig {
    /// Checks the device id, subject root and idle period.
    pub fn validate(&self) -> Result<(), EdgeError> {
        if !is_subject_token(&self.device_id) {
            return Err(EdgeError::invalid(
                "device_id",
                "must be one subject token (no '.', '*', '>' or whitespace)",
            ));
        }
        if self.subject_root.is_empty() || !self.subject_root.split('.').all(is_subject_token) {
            return Err(EdgeError::invalid(
                "subject_root",
                "must be dot-separated subject tokens",
            ));
        }
        if self.idle_cart_ms < 0 {
            return Err(EdgeError::invalid("idle_cart_ms", "must not be negative"));
        }
        Ok(())
    }
}

/// Where the edge reads the time from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;

    /// A new unique id (UUIDv7) for a command, an event or a new aggregate. The clock hands out
    /// ids too so that a deterministic simulation can replay a run id for id.
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(mallbots_sync::store::now_ms())
    }
}

/// A clock tests set and advance by hand; clones share the time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `ms`.
    pub fn new(ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(ms)))
    }
    /// Sets the time.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
    /// Moves the time forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}
