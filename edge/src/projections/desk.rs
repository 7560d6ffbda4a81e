//! Desk read model `rm_desk_requests`: this desk's pickup requests (key = order id) and
//! stop-prepared requests (key = `<list>/<store>`) with central's refusals, from
//! `OrderPickupRequested` / `StopPrepared` (written here) and `OrderPickupRefused` /
//! `StopPrepareRefused` (central, `<root>.ev.deskans.<device>.<id>`, through the inbox).
//!
//! A request sets the row to `requested` (clearing an earlier refusal); a refusal sets it to
//! `refused` with its code and reason. A pickup that central accepted shows on the order lines
//! (status `completed`), not here.

use mallbots_domain::desk::DeskEvent;
use mallbots_sync::store::{Migration, StoreError};
use rusqlite::{params, Transaction};

/// The desk tables (set `edge_desk`, version 1; adds `rm_depot_stops.prepared`).
pub(super) const MIGRATION: Migration = Migration {
    set: "edge_desk",
    version: 1,
    name: "desk_requests",
    sql: include_str!("migrations/desk_0001.sql"),
};

/// The tables of this projection (a full rebuild truncates them too).
pub const DESK_TABLES: &[&str] = &["rm_desk_requests"];

/// The stream types of desk events.
pub const STREAM_TYPES: &[&str] = &["pickupreq", "stopreq", "deskans"];

/// The row key of a stop request.
pub fn stop_key(list: impl std::fmt::Display, store: impl std::fmt::Display) -> String {
    format!("{list}/{store}")
}

/// Projects one desk event.
pub fn apply(tx: &Transaction<'_>, event: &DeskEvent) -> Result<(), StoreError> {
    let requested = "INSERT INTO rm_desk_requests (request_key, kind, order_id, list_id, store_id,
           user_name, status, code, reason, requested_at, answered_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'requested', NULL, NULL, ?7, NULL, ?7)
         ON CONFLICT (request_key) DO UPDATE SET user_name = excluded.user_name,
           status = 'requested', code = NULL, reason = NULL,
           requested_at = excluded.requested_at, answered_at = NULL,
           updated_at = excluded.updated_at";
    let refused = "INSERT INTO rm_desk_requests (request_key, kind, order_id, list_id, store_id,
           user_name, status, code, reason, requested_at, answered_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, '', 'refused', ?6, ?7, NULL, ?8, ?8)
         ON CONFLICT (request_key) DO UPDATE SET status = 'refused', code = excluded.code,
           reason = excluded.reason, answered_at = excluded.answered_at,
           updated_at = excluded.updated_at";
    match event {
        DeskEvent::OrderPickupRequested {
            order_id, user, at, ..
        } => {
            let order = order_id.to_string();
            tx.prepare_cached(requested)?.execute(params![
                order,
                "pickup",
                order,
                None::<String>,
                None::<String>,
                user,
                at.0
            ])?;
        }
        DeskEvent::StopPrepared {
            list_id,
            store_id,
            user,
            at,
        } => {
            tx.prepare_cached(requested)?.execute(params![
                stop_key(list_id, store_id),
                "stop",
                None::<String>,
                list_id.to_string(),
                store_id.to_string(),
                user,
                at.0
            ])?;
        }
        DeskEvent::OrderPickupRefused {
            order_id,
            code,
            reason,
            at,
        } => {
            let order = order_id.to_string();
            tx.prepare_cached(refused)?.execute(params![
                order,
                "pickup",
                order,
                None::<String>,
                None::<String>,
                code,
                reason,
                at.0
            ])?;
        }
        DeskEvent::StopPrepareRefused {
            list_id,
            store_id,
            code,
            reason,
            at,
        } => {
            tx.prepare_cached(refused)?.execute(params![
                stop_key(list_id, store_id),
                "stop",
                None::<String>,
                list_id.to_string(),
                store_id.to_string(),
                code,
                reason,
                at.0
            ])?;
        }
    }
    Ok(())
}
