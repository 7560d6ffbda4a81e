//! Backend → UI notifications: one Tauri event, [`CHANGED`], whose payload names what changed.
//!
//! The kiosk and the manager window are two devices: a change of one device's edge is emitted
//! to that device's window only ([`emit_to`]), and its payload names the window, so a page that
//! listens to every target still ignores the other device's changes.
//!
//! The UI never polls: every screen listens for `edge:changed` and reloads what it shows when a
//! topic it cares about is named. Commands emit after each successful local change; the sync
//! bridge emits when incoming events were applied or the sync status moved.

use serde::Serialize;
use tauri::{Emitter, Runtime};

/// The name of the event every window receives.
pub const CHANGED: &str = "edge:changed";

/// A part of the edge's state that screens show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum Topic {
    /// Stores, products, participation, automated shopping.
    Catalog,
    /// Kiosk baskets.
    Baskets,
    /// Orders and their status.
    Orders,
    /// Bots and shopping lists.
    Depot,
    /// Online/offline, events waiting, conflicts.
    Sync,
}

/// The payload of [`CHANGED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Changed {
    /// What changed.
    pub topics: Vec<Topic>,
    /// The order concerned, when the change is about one order (the kiosk's status screen
    /// reloads only its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub order_id: Option<String>,
    /// The window of the device that changed (`kiosk` or `manager`), set by [`emit_to`].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub window: Option<String>,
}

impl Changed {
    /// A change of these topics.
    pub fn of(topics: &[Topic]) -> Self {
        Self {
            topics: topics.to_vec(),
            order_id: None,
            window: None,
        }
    }

    /// A change of one order (plus the sync status, since it waits to be sent).
    pub fn order(order_id: &str) -> Self {
        Self {
            topics: vec![Topic::Orders, Topic::Sync],
            order_id: Some(order_id.to_owned()),
            window: None,
        }
    }
}

/// Tells the window `window` (the device's own) that `change` happened. A window that is gone
/// is not an error worth failing the command for, so failures are only logged.
pub fn emit_to<R: Runtime, E: Emitter<R>>(emitter: &E, window: &str, mut change: Changed) {
    change.window = Some(window.to_owned());
    if let Err(err) = emitter.emit_to(window, CHANGED, change) {
        tracing::warn!(%err, "could not emit {CHANGED}");
    }
}
