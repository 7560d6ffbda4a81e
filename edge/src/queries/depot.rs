//! Depot queries: the bots and shopping lists central reported to this desk (projected by
//! `projections::depot`), with store and bot names filled in from what the edge knows.

use super::catalog::id;
use crate::error::EdgeError;
use crate::views::{BotView, DepotView, ShoppingListView, StopItemView, StopView, WalkView};
use crate::Edge;
use rusqlite::{Connection, Row};

/// How many shopping lists [`Edge::depot`] returns: every open one first, then the newest
/// finished (completed or canceled) ones.
pub const DEPOT_LISTS: u32 = 100;

fn opt_id<T: std::str::FromStr>(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<T>> {
    match row.get::<_, Option<String>>(index)? {
        None => Ok(None),
        Some(_) => id(row, index).map(Some),
    }
}

fn bot_row(row: &Row<'_>) -> rusqlite::Result<BotView> {
    Ok(BotView {
        bot_id: id(row, 0)?,
        name: row.get(1)?,
        status: row.get(2)?,
        list_id: opt_id(row, 3)?,
        store_id: opt_id(row, 4)?,
        store_name: row.get(5)?,
        updated_at: row.get(6)?,
        walk: match row.get::<_, Option<i64>>(9)? {
            Some(departed_at) => Some(WalkView {
                from: opt_id(row, 7)?,
                to: opt_id(row, 8)?,
                departed_at,
                eta: row.get(10)?,
            }),
            None => None,
        },
    })
}

fn list_row(row: &Row<'_>) -> rusqlite::Result<ShoppingListView> {
    Ok(ShoppingListView {
        list_id: id(row, 0)?,
        order_id: id(row, 1)?,
        status: row.get(2)?,
        bot_id: opt_id(row, 3)?,
        bot_name: row.get(4)?,
        current_stop: opt_id(row, 5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
        stops: Vec::new(),
    })
}

fn stops(conn: &Connection, list: &str) -> Result<Vec<StopView>, EdgeError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.store_id, s.name, p.items, p.quantity, p.picked, p.prepared FROM rm_depot_stops p
         LEFT JOIN rm_stores s ON s.store_id = p.store_id
         WHERE p.list_id = ?1 ORDER BY p.position",
    )?;
    let rows = stmt.query_map([list], |r| {
        let items: String = r.get(2)?;
        Ok((
            id(r, 0)?,
            r.get::<_, Option<String>>(1)?,
            items,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (store_id, store_name, items, quantity, picked, prepared) = row?;
        let items: Vec<StopItemView> = serde_json::from_str(&items)
            .map_err(|e| EdgeError::invalid("depot stop", format!("items of list {list}: {e}")))?;
        out.push(StopView {
            store_id,
            store_name,
            items,
            quantity,
            picked,
            prepared,
        });
    }
    Ok(out)
}

fn bots(conn: &Connection) -> Result<Vec<BotView>, EdgeError> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.bot_id, b.name, b.status, b.list_id, b.store_id, s.name, b.updated_at,
                b.walk_from, b.walk_to, b.walk_at, b.walk_eta
         FROM rm_depot_bots b LEFT JOIN rm_stores s ON s.store_id = b.store_id
         ORDER BY b.name = '', b.name, b.bot_id",
    )?;
    let bots = stmt.query_map([], bot_row)?;
    Ok(bots.collect::<Result<_, _>>()?)
}

fn lists(conn: &Connection, limit: u32) -> Result<Vec<ShoppingListView>, EdgeError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.list_id, l.order_id, l.status, l.bot_id, NULLIF(b.name, ''),
                l.current_stop, l.created_at, l.updated_at
         FROM rm_depot_lists l LEFT JOIN rm_depot_bots b ON b.bot_id = l.bot_id
         ORDER BY l.status IN ('completed', 'canceled'), l.created_at DESC, l.list_id
         LIMIT ?1",
    )?;
    let lists: Vec<ShoppingListView> = stmt
        .query_map([limit], list_row)?
        .collect::<Result<_, _>>()?;
    lists
        .into_iter()
        .map(|mut l| {
            l.stops = stops(conn, &l.list_id.to_string())?;
            Ok(l)
        })
        .collect()
}

impl Edge {
    /// Every bot central reported, by name (unnamed ones last).
    pub fn depot_bots(&self) -> Result<Vec<BotView>, EdgeError> {
        self.read(|r| bots(r.connection()))
    }

    /// Shopping lists with their stops: open ones first (newest first), then finished ones
    /// (newest first), at most `limit`.
    pub fn depot_lists(&self, limit: u32) -> Result<Vec<ShoppingListView>, EdgeError> {
        self.read(|r| lists(r.connection(), limit))
    }

    /// Bots and the [`DEPOT_LISTS`] most relevant shopping lists, read together.
    pub fn depot(&self) -> Result<DepotView, EdgeError> {
        self.read(|r| {
            let conn = r.connection();
            Ok(DepotView {
                bots: bots(conn)?,
                lists: lists(conn, DEPOT_LISTS)?,
            })
        })
    }
}
