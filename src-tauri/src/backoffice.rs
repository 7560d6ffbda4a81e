//! The sync status as the windows' indicator shows it. (Sales per day, the depot's bots and
//! shopping lists are the edge's own views: `mallbots_edge::{DailySalesView, DepotView}`.)

use mallbots_edge::{ConflictView, QuarantinedRow};
use serde::{Deserialize, Serialize};

/// Why a device cannot sync, in one clear state: `sync.not_enrolled` (no credentials),
/// `sync.refused` (the server refused them), or another sync error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncProblem {
    /// Stable code the UI branches on, e.g. `sync.not_enrolled`.
    pub code: String,
    /// What is wrong, for people (never a secret).
    pub message: String,
    /// The command that fixes it, when there is one.
    pub fix: Option<String>,
}

/// The sync indicator's one word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Connected, nothing wrong.
    Online,
    /// Not connected; changes wait in the outbox.
    #[default]
    Offline,
    /// The device has no credentials (`problem.fix` has the command that enrolls it).
    NotEnrolled,
    /// The server refused the device's credentials.
    Refused,
    /// Another sync problem (`problem` says which).
    Error,
}

impl SyncState {
    /// The word, as the UI and the log show it.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Online => "online",
            SyncState::Offline => "offline",
            SyncState::NotEnrolled => "not_enrolled",
            SyncState::Refused => "refused",
            SyncState::Error => "error",
        }
    }
}

/// Whether this device is in sync with central.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    /// The device this status is about.
    pub device_id: String,
    /// One word for the indicator.
    pub state: SyncState,
    /// Connected to central right now.
    pub online: bool,
    /// Local events not yet acknowledged by central (the outbox).
    #[ts(type = "number")]
    pub waiting: u64,
    /// When the oldest change still to send was made (ms since the Unix epoch): how far behind
    /// central is; `None` with nothing to send.
    #[ts(type = "number | null")]
    pub oldest_waiting_at: Option<i64>,
    /// Last successful exchange with central (ms since the Unix epoch), if any.
    #[ts(type = "number | null")]
    pub last_sync_at: Option<i64>,
    /// Local changes central refused, newest first.
    pub conflicts: Vec<ConflictView>,
    /// Why the device cannot sync, if it cannot.
    pub problem: Option<SyncProblem>,
    /// Local changes the server refused and that were set aside, newest first.
    pub quarantined: Vec<QuarantinedRow>,
}
