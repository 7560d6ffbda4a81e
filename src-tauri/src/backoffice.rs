//! The views of the manager's back-office screens beyond the catalog: daily sales (for the
//! chart, one entry per day including days without sales) and the sync status. (The depot's
//! bots and shopping lists are the edge's own views, `mallbots_edge::DepotView`.)

use crate::views::MoneyView;
use mallbots_edge::utc_day;
use serde::{Deserialize, Serialize};

/// Sales of one day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SalesDay {
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// Orders placed that day that were not rejected or canceled.
    pub orders: u32,
    /// Their total.
    pub total: MoneyView,
}

/// A local change that central refused after a rebase, with the reason the user sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "Conflict")]
pub struct ConflictView {
    /// What it was about, e.g. `product 0192…`.
    pub subject: String,
    /// Why it was rejected, e.g. `price change rejected: product removed`.
    pub reason: String,
    /// When (ms since the Unix epoch).
    #[ts(type = "number")]
    pub at: i64,
}

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

/// A local change the server refused at once (permission, size, schema) and that was set
/// aside, so the rest of the outbox keeps flowing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "Quarantined")]
pub struct QuarantinedView {
    /// The subject it was to be published on.
    pub subject: String,
    /// Why, as a code, e.g. `catalog.kiosk_forbidden`.
    pub code: String,
    /// Why, for people.
    pub reason: String,
    /// When (ms since the Unix epoch).
    #[ts(type = "number")]
    pub at: i64,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
    /// Last successful exchange with central (ms since the Unix epoch), if any.
    #[ts(type = "number | null")]
    pub last_sync_at: Option<i64>,
    /// Local changes central refused, newest first.
    pub conflicts: Vec<ConflictView>,
    /// Why the device cannot sync, if it cannot.
    pub problem: Option<SyncProblem>,
    /// Local changes the server refused and that were set aside, newest first.
    pub quarantined: Vec<QuarantinedView>,
}

/// Sales (the edge's per-day rows of one or more stores, days without sales absent) as the
/// last `days` days up to the day of `now_ms`, oldest first, zero days included.
pub fn store_sales(rows: &[mallbots_edge::SalesDayView], days: u32, now_ms: i64) -> Vec<SalesDay> {
    let currency = rows.first().map_or("USD", |r| r.currency.as_str());
    (0..i64::from(days))
        .rev()
        .map(|back| {
            let day = utc_day(now_ms - back * 86_400_000);
            let (orders, cents) = rows
                .iter()
                .filter(|r| r.day == day)
                .fold((0u32, 0i64), |(n, c), r| {
                    (n + u32::try_from(r.orders).unwrap_or(0), c + r.total_cents)
                });
            SalesDay {
                day,
                orders,
                total: MoneyView::new(cents, currency),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_sales_fill_the_days_without_sales() {
        const STORE: &str = "0192f0c0-0000-7000-8000-000000000001";
        let day = 86_400_000;
        let now = 20_000 * day + 5_000;
        let row = |at: i64, orders: i64, total_cents: i64| mallbots_edge::SalesDayView {
            store_id: serde_json::from_value(serde_json::json!(STORE)).expect("store id"),
            day: utc_day(at),
            currency: "USD".into(),
            orders,
            items: orders,
            total_cents,
        };
        let rows = [
            row(now - 2 * day, 2, 900),
            row(now, 1, 100),
            row(now - 30 * day, 5, 1),
        ];
        let sales = store_sales(&rows, 3, now);
        let got: Vec<(u32, i64)> = sales.iter().map(|s| (s.orders, s.total.cents)).collect();
        assert_eq!(got, [(2, 900), (0, 0), (1, 100)]);
    }
}
