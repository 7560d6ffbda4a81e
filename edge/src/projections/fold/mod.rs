//! A rebuild's in-memory fold of the busiest read models: carts, orders (with their items and
//! the daily sales) and order lines. Their events change rows held in memory, through the same
//! decisions the live path runs ([`super::carts::fold_basket`], [`super::orders::fold_order`],
//! [`super::order_lines::Row::merge`]), and the final rows are written once, in key order, when
//! the log is done: about one row write per row instead of three to five statements per event.
//!
//! Memory is bounded: past `spill_rows` rows held, everything held is written out ("spilled")
//! and the fold starts empty again, reading a row back from the database when a later event
//! needs it. Every other stream type is projected row by row, as live (the fold's tables are
//! read by no other projection, so the order of writes between them does not matter).

mod carts;
mod order_lines;
mod orders;

use super::Decoded;
use carts::CartFold;
use mallbots_sync::store::StoreError;
use order_lines::LineFold;
use orders::OrderFold;
use rusqlite::Transaction;
use std::collections::hash_map::{Entry, HashMap};
use std::hash::Hash;

/// The row `key` of `rows`: the one held, else (after a spill, when the database may hold it)
/// the one `load` reads back, which is then held (`None` too: known absent). Before any spill a
/// row not held does not exist.
fn held_or_loaded<K, V>(
    rows: &mut HashMap<K, Option<V>>,
    key: K,
    spilled: bool,
    load: impl FnOnce() -> Result<Option<V>, StoreError>,
) -> Result<Option<&mut V>, StoreError>
where
    K: Eq + Hash,
{
    Ok(match rows.entry(key) {
        Entry::Occupied(held) => held.into_mut().as_mut(),
        Entry::Vacant(slot) if spilled => slot.insert(load()?).as_mut(),
        Entry::Vacant(_) => None,
    })
}

/// Rows held in memory before a spill: a few hundred bytes each, so tens of MB at most.
pub(super) const SPILL_ROWS: usize = 200_000;

/// The fold of one rebuild, inside its transaction.
pub(super) struct Fold {
    carts: CartFold,
    orders: OrderFold,
    lines: LineFold,
    spill_rows: usize,
}

impl Fold {
    /// An empty fold over empty read-model tables, with the mall's calendar as `tx` records it.
    pub fn new(tx: &Transaction<'_>, spill_rows: usize) -> Result<Self, StoreError> {
        let calendar = crate::calendar::of_database(tx)?;
        Ok(Self {
            carts: CartFold::default(),
            orders: OrderFold::new(calendar.clone()),
            lines: LineFold::new(calendar),
            spill_rows: spill_rows.max(1),
        })
    }

    /// Projects one event: into memory for the folded read models, onto `tx` for the rest.
    pub fn apply(&mut self, tx: &Transaction<'_>, decoded: &Decoded) -> Result<(), StoreError> {
        match decoded {
            Decoded::Basket(e) => super::carts::fold_basket(&mut self.carts.on(tx), e)?,
            Decoded::Order(e) => super::orders::fold_order(&mut self.orders.on(tx), e)?,
            Decoded::OrderLine(e) => self.lines.apply(tx, e)?,
            other => super::apply(tx, other)?,
        }
        if self.rows() > self.spill_rows {
            self.write(tx)?;
        }
        Ok(())
    }

    /// Writes every row held to `tx`; the fold then reads back what it needs.
    pub fn write(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        self.carts.write(tx)?;
        self.orders.write(tx)?;
        self.lines.write(tx)
    }

    fn rows(&self) -> usize {
        self.carts.rows() + self.orders.rows() + self.lines.rows()
    }
}
