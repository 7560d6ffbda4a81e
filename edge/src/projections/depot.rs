//! Depot read models: `rm_depot_bots`, `rm_depot_lists` and their stops `rm_depot_stops`, from
//! central's bot and shopping-list events (`<root>.ev.depot.{bot,list}.<id>`, which a manager
//! desk's consumer receives through the inbox).
//!
//! Every row is fully set by the first event of its stream (`BotCameOnline`,
//! `ShoppingListCreated`, or a tombstone `ShoppingListCanceled`), so re-projecting the log over
//! existing rows gives the same tables as projecting it into empty ones. An event of a bot or
//! list this desk has not seen created still makes a row (the consumer may start mid-stream).

use super::DecodeAny;
use mallbots_domain::bots::BotEvent;
use mallbots_domain::depot::{ListEvent, Stop};
use mallbots_domain::ids::{BotId, ShoppingListId, StoreId};
use mallbots_domain::Timestamp;
use mallbots_sync::store::{Migration, StoreError};
use rusqlite::{params, Transaction};
use serde_json::json;

/// The depot tables (set `edge_read_models`, version 2).
pub(super) const MIGRATION: Migration = Migration {
    set: "edge_read_models",
    version: 2,
    name: "depot",
    sql: include_str!("migrations/0002_depot.sql"),
};

/// The tables of this projection (a full rebuild should truncate them too).
pub const DEPOT_TABLES: &[&str] = &["rm_depot_bots", "rm_depot_lists", "rm_depot_stops"];

/// A decoded depot event.
#[derive(Debug)]
pub(crate) enum DepotEvent {
    Bot(BotEvent),
    List(ListEvent),
}

/// Decodes an event of stream type `bot` or `list`.
pub(super) fn decode(stream_type: &str, decode: impl DecodeAny) -> Result<DepotEvent, StoreError> {
    if stream_type == "bot" {
        decode.get().map(DepotEvent::Bot)
    } else {
        decode.get().map(DepotEvent::List)
    }
}

/// Projects one depot event.
pub(super) fn apply(tx: &Transaction<'_>, event: &DepotEvent) -> Result<(), StoreError> {
    match event {
        DepotEvent::Bot(e) => bot(tx, e),
        DepotEvent::List(e) => list(tx, e),
    }
}

/// The bot's new state: status, the list it holds, the store it is in (or last picked at).
struct BotRow<'a> {
    id: BotId,
    name: Option<&'a str>,
    status: &'static str,
    list: Option<ShoppingListId>,
    store: Option<StoreId>,
    at: Timestamp,
    /// Whether the bot's current walk goes on (it set off back to the depot): any other event
    /// ends it.
    keep_walk: bool,
}

fn set_bot(tx: &Transaction<'_>, row: BotRow<'_>) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO rm_depot_bots (bot_id, name, status, list_id, store_id, updated_at)
         VALUES (?1, COALESCE(?2, ''), ?3, ?4, ?5, ?6)
         ON CONFLICT (bot_id) DO UPDATE SET name = COALESCE(?2, name), status = excluded.status,
           list_id = excluded.list_id, store_id = excluded.store_id,
           updated_at = excluded.updated_at,
           walk_from = CASE WHEN ?7 THEN walk_from END, walk_to = CASE WHEN ?7 THEN walk_to END,
           walk_at = CASE WHEN ?7 THEN walk_at END, walk_eta = CASE WHEN ?7 THEN walk_eta END",
    )?
    .execute(params![
        row.id.to_string(),
        row.name,
        row.status,
        row.list.map(|l| l.to_string()),
        row.store.map(|s| s.to_string()),
        row.at.0,
        row.keep_walk
    ])?;
    Ok(())
}

/// The bot set off: it is out of any store, walking `from` → `to` until `eta`.
fn depart(tx: &Transaction<'_>, event: &BotEvent) -> Result<(), StoreError> {
    let BotEvent::BotDeparted {
        bot_id,
        list_id,
        from,
        to,
        eta,
        at,
    } = event
    else {
        return Ok(());
    };
    let text = |s: &Option<StoreId>| s.map(|s| s.to_string());
    tx.prepare_cached(
        "INSERT INTO rm_depot_bots (bot_id, name, status, list_id, store_id, updated_at,
           walk_from, walk_to, walk_at, walk_eta)
         VALUES (?1, '', 'shopping', ?2, NULL, ?5, ?3, ?4, ?5, ?6)
         ON CONFLICT (bot_id) DO UPDATE SET list_id = excluded.list_id, store_id = NULL,
           updated_at = excluded.updated_at, walk_from = excluded.walk_from,
           walk_to = excluded.walk_to, walk_at = excluded.walk_at, walk_eta = excluded.walk_eta",
    )?
    .execute(params![
        bot_id.to_string(),
        list_id.to_string(),
        text(from),
        text(to),
        at.0,
        eta.0
    ])?;
    Ok(())
}

fn bot(tx: &Transaction<'_>, event: &BotEvent) -> Result<(), StoreError> {
    let row =
        |id: &BotId, status, list: Option<&ShoppingListId>, store: Option<&StoreId>, at| BotRow {
            id: *id,
            name: None,
            status,
            list: list.copied(),
            store: store.copied(),
            at,
            keep_walk: false,
        };
    let row = match event {
        BotEvent::BotDeparted { .. } => return depart(tx, event),
        BotEvent::BotCameOnline { bot_id, name, at } => BotRow {
            name: Some(name),
            ..row(bot_id, "idle", None, None, *at)
        },
        BotEvent::BotWentOffline { bot_id, at, .. } => row(bot_id, "offline", None, None, *at),
        BotEvent::BotAssigned {
            bot_id,
            list_id,
            at,
        } => row(bot_id, "assigned", Some(list_id), None, *at),
        BotEvent::BotArrivedAtStore {
            bot_id,
            list_id,
            store_id,
            at,
        } => row(bot_id, "shopping", Some(list_id), Some(store_id), *at),
        BotEvent::ItemsPickedUp {
            bot_id,
            list_id,
            store_id,
            at,
        } => row(bot_id, "shopping", Some(list_id), Some(store_id), *at),
        BotEvent::BotReturned {
            bot_id,
            list_id,
            at,
        } => BotRow {
            keep_walk: true,
            ..row(bot_id, "returning", Some(list_id), None, *at)
        },
        BotEvent::BotIdled { bot_id, at } => row(bot_id, "idle", None, None, *at),
    };
    set_bot(tx, row)
}

/// Sets a list's status and bot (`None` clears it) and leaves its stop, creating the row if
/// this desk never saw the list created.
fn set_list(
    tx: &Transaction<'_>,
    list: ShoppingListId,
    order: impl ToString,
    status: &str,
    bot: Option<BotId>,
    at: Timestamp,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO rm_depot_lists (list_id, order_id, status, bot_id, current_stop,
           created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?5)
         ON CONFLICT (list_id) DO UPDATE SET order_id = excluded.order_id,
           status = excluded.status, bot_id = excluded.bot_id, current_stop = NULL,
           updated_at = excluded.updated_at",
    )?
    .execute(params![
        list.to_string(),
        order.to_string(),
        status,
        bot.map(|b| b.to_string()),
        at.0
    ])?;
    Ok(())
}

fn create_list(
    tx: &Transaction<'_>,
    list: ShoppingListId,
    order: impl ToString,
    stops: &[Stop],
    at: Timestamp,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO rm_depot_lists (list_id, order_id, status, bot_id, current_stop,
           created_at, updated_at) VALUES (?1, ?2, 'created', NULL, NULL, ?3, ?3)",
    )?
    .execute(params![list.to_string(), order.to_string(), at.0])?;
    tx.prepare_cached("DELETE FROM rm_depot_stops WHERE list_id = ?1")?
        .execute([list.to_string()])?;
    for (position, stop) in stops.iter().enumerate() {
        let items: Vec<_> = stop
            .items
            .iter()
            .map(|i| {
                json!({
                    "product_id": i.product_id,
                    "product_name": i.product_name,
                    "quantity": i.quantity,
                })
            })
            .collect();
        let quantity: i64 = stop.items.iter().map(|i| i64::from(i.quantity)).sum();
        tx.prepare_cached(
            "INSERT INTO rm_depot_stops (list_id, position, store_id, items, quantity, picked)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            list.to_string(),
            position as i64,
            stop.store_id.to_string(),
            serde_json::Value::Array(items).to_string(),
            quantity,
            stop.picked
        ])?;
    }
    Ok(())
}

/// Updates a list the bot is walking: in progress at `stop`, or a stop `picked`.
fn walk(
    tx: &Transaction<'_>,
    list: ShoppingListId,
    store: StoreId,
    picked: bool,
    at: Timestamp,
) -> Result<(), StoreError> {
    let (list, store) = (list.to_string(), store.to_string());
    if picked {
        tx.prepare_cached(
            "UPDATE rm_depot_stops SET picked = 1 WHERE list_id = ?1 AND store_id = ?2",
        )?
        .execute(params![list, store])?;
        tx.prepare_cached(
            "UPDATE rm_depot_lists SET current_stop = NULL, updated_at = ?2 WHERE list_id = ?1",
        )?
        .execute(params![list, at.0])?;
    } else {
        tx.prepare_cached(
            "UPDATE rm_depot_lists SET status = 'in_progress', current_stop = ?2, updated_at = ?3
             WHERE list_id = ?1",
        )?
        .execute(params![list, store, at.0])?;
    }
    Ok(())
}

fn list(tx: &Transaction<'_>, event: &ListEvent) -> Result<(), StoreError> {
    match event {
        ListEvent::ShoppingListCreated {
            list_id,
            order_id,
            stops,
            at,
        } => create_list(tx, *list_id, order_id, stops, *at),
        ListEvent::ShoppingListAvailable {
            list_id,
            order_id,
            at,
        } => set_list(tx, *list_id, order_id, "available", None, *at),
        ListEvent::ShoppingListAssigned {
            list_id,
            order_id,
            bot_id,
            at,
        } => set_list(tx, *list_id, order_id, "assigned", Some(*bot_id), *at),
        ListEvent::BotArrivedAtStop {
            list_id,
            store_id,
            at,
            ..
        } => walk(tx, *list_id, *store_id, false, *at),
        ListEvent::StopItemsPickedUp {
            list_id,
            store_id,
            at,
            ..
        } => walk(tx, *list_id, *store_id, true, *at),
        ListEvent::ShoppingListCompleted {
            list_id,
            order_id,
            bot_id,
            at,
        } => set_list(tx, *list_id, order_id, "completed", Some(*bot_id), *at),
        ListEvent::ShoppingListCanceled {
            list_id,
            order_id,
            at,
        } => set_list(tx, *list_id, order_id, "canceled", None, *at),
        ListEvent::ShoppingListReleased {
            list_id,
            order_id,
            at,
            ..
        } => {
            tx.prepare_cached("UPDATE rm_depot_stops SET picked = 0 WHERE list_id = ?1")?
                .execute([list_id.to_string()])?;
            set_list(tx, *list_id, order_id, "available", None, *at)
        }
        ListEvent::StopPreparedAtCounter {
            list_id,
            store_id,
            at,
        } => {
            tx.prepare_cached(
                "UPDATE rm_depot_stops SET prepared = 1 WHERE list_id = ?1 AND store_id = ?2",
            )?
            .execute(params![list_id.to_string(), store_id.to_string()])?;
            tx.prepare_cached("UPDATE rm_depot_lists SET updated_at = ?2 WHERE list_id = ?1")?
                .execute(params![list_id.to_string(), at.0])?;
            Ok(())
        }
    }
}
