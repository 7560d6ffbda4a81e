//! The rebuild's in-memory fold of the cart and order read models.
//!
//! A full rebuild re-projects every event; through SQL an added item costs a line lookup, a
//! line insert and a cart update. [`Fold`] implements the same row operations
//! ([`CartRows`], [`OrderRows`]) on maps instead, so [`super::carts::basket`] and
//! [`super::orders::order`] decide exactly as they do live, and writes each final row once
//! ([`Fold::flush`]): when more than [`MAX_STAGED`] rows are held, and at the end.
//!
//! A cart or order not in memory is loaded from the tables first (it was flushed earlier in
//! the same rebuild); until the first flush the tables are known to be empty. Sales are kept
//! as deltas and added with the same upsert the live projection uses.

mod rows;

use super::orders::OrderRows;
use super::Sql;
use mallbots_sync::store::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::{BTreeMap, HashMap};

/// Rows (carts, lines, orders, items) a rebuild holds before it writes them.
pub const MAX_STAGED: usize = 100_000;

/// An `rm_carts` row without its key.
#[derive(Debug, Clone)]
struct CartRow {
    customer_id: Option<String>,
    device_id: Option<String>,
    status: String,
    cancel_reason: Option<String>,
    total_cents: i64,
    currency: String,
    item_count: i64,
    next_position: i64,
    started_at: i64,
    last_activity: i64,
}

/// An `rm_cart_lines` / `rm_order_items` row without its keys.
#[derive(Debug, Clone)]
struct LineRow {
    store_id: String,
    store_name: String,
    product_name: String,
    price_cents: i64,
    currency: String,
    quantity: i64,
    position: i64,
}

/// An `rm_orders` row without its key.
#[derive(Debug, Clone)]
struct OrderRow {
    customer_id: String,
    device_id: Option<String>,
    status: String,
    total_cents: i64,
    currency: String,
    cancel_requested: bool,
    reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// A cart in memory: its row (if it exists) and lines by product.
#[derive(Debug, Default)]
struct Cart {
    row: Option<CartRow>,
    lines: HashMap<String, LineRow>,
    /// Loaded from the tables: its old lines are deleted before the flush writes them.
    loaded: bool,
}

/// An order in memory.
#[derive(Debug, Default)]
struct Order {
    row: Option<OrderRow>,
    items: Vec<(String, LineRow)>,
    loaded: bool,
}

/// See the module docs.
pub struct Fold<'a, 'conn> {
    tx: &'a Transaction<'conn>,
    carts: HashMap<String, Cart>,
    orders: HashMap<String, Order>,
    sales: BTreeMap<(String, String, String), (i64, i64, i64)>,
    staged: usize,
    limit: usize,
    flushed: bool,
}

fn line_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, LineRow)> {
    Ok((
        r.get(0)?,
        LineRow {
            store_id: r.get(1)?,
            store_name: r.get(2)?,
            product_name: r.get(3)?,
            price_cents: r.get(4)?,
            currency: r.get(5)?,
            quantity: r.get(6)?,
            position: r.get(7)?,
        },
    ))
}

impl<'a, 'conn> Fold<'a, 'conn> {
    /// A fold over empty (just truncated) cart and order tables that holds up to `limit` rows.
    pub fn new(tx: &'a Transaction<'conn>, limit: usize) -> Self {
        Self {
            tx,
            carts: HashMap::new(),
            orders: HashMap::new(),
            sales: BTreeMap::new(),
            staged: 0,
            limit,
            flushed: false,
        }
    }

    fn cart(&mut self, id: &str) -> Result<&mut Cart, StoreError> {
        if !self.carts.contains_key(id) {
            let cart = if self.flushed {
                self.load_cart(id)?
            } else {
                Cart::default()
            };
            self.staged += 1 + cart.lines.len();
            self.carts.insert(id.to_owned(), cart);
        }
        Ok(self.carts.get_mut(id).expect("inserted above"))
    }

    fn load_cart(&self, id: &str) -> Result<Cart, StoreError> {
        let row = self
            .tx
            .prepare_cached(
                "SELECT customer_id, device_id, status, cancel_reason, total_cents, currency,
                 item_count, next_position, started_at, last_activity
                 FROM rm_carts WHERE basket_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(CartRow {
                    customer_id: r.get(0)?,
                    device_id: r.get(1)?,
                    status: r.get(2)?,
                    cancel_reason: r.get(3)?,
                    total_cents: r.get(4)?,
                    currency: r.get(5)?,
                    item_count: r.get(6)?,
                    next_position: r.get(7)?,
                    started_at: r.get(8)?,
                    last_activity: r.get(9)?,
                })
            })
            .optional()?;
        let lines = self
            .tx
            .prepare_cached(
                "SELECT product_id, store_id, store_name, product_name, price_cents, currency,
                 quantity, position FROM rm_cart_lines WHERE basket_id = ?1",
            )?
            .query_map([id], line_row)?
            .collect::<Result<_, _>>()?;
        Ok(Cart {
            row,
            lines,
            loaded: true,
        })
    }

    fn order_entry(&mut self, id: &str) -> Result<&mut Order, StoreError> {
        if !self.orders.contains_key(id) {
            let order = if self.flushed {
                self.load_order(id)?
            } else {
                Order::default()
            };
            self.staged += 1 + order.items.len();
            self.orders.insert(id.to_owned(), order);
        }
        Ok(self.orders.get_mut(id).expect("inserted above"))
    }

    fn load_order(&self, id: &str) -> Result<Order, StoreError> {
        let row = self
            .tx
            .prepare_cached(
                "SELECT customer_id, device_id, status, total_cents, currency, cancel_requested,
                 reason, created_at, updated_at FROM rm_orders WHERE order_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(OrderRow {
                    customer_id: r.get(0)?,
                    device_id: r.get(1)?,
                    status: r.get(2)?,
                    total_cents: r.get(3)?,
                    currency: r.get(4)?,
                    cancel_requested: r.get(5)?,
                    reason: r.get(6)?,
                    created_at: r.get(7)?,
                    updated_at: r.get(8)?,
                })
            })
            .optional()?;
        let items = self
            .tx
            .prepare_cached(
                "SELECT product_id, store_id, store_name, product_name, price_cents, currency,
                 quantity, position FROM rm_order_items WHERE order_id = ?1 ORDER BY position",
            )?
            .query_map([id], line_row)?
            .collect::<Result<_, _>>()?;
        Ok(Order {
            row,
            items,
            loaded: true,
        })
    }

    /// Writes and forgets what is held if more than its limit of rows are.
    pub fn maybe_flush(&mut self) -> Result<(), StoreError> {
        if self.staged > self.limit {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes every held row and sales delta, and forgets them.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        let tx = self.tx;
        let mut insert_cart = tx.prepare_cached(
            "INSERT OR REPLACE INTO rm_carts (basket_id, customer_id, device_id, status,
             cancel_reason, total_cents, currency, item_count, next_position, started_at,
             last_activity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let mut insert_line = tx.prepare_cached(
            "INSERT INTO rm_cart_lines (basket_id, product_id, store_id, store_name,
             product_name, price_cents, currency, quantity, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        // In key order: each insert lands at the end of its B-trees (no page splits mid-tree).
        let mut carts: Vec<_> = self.carts.drain().collect();
        carts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (id, cart) in carts {
            if cart.loaded {
                tx.prepare_cached("DELETE FROM rm_cart_lines WHERE basket_id = ?1")?
                    .execute([&id])?;
            }
            if let Some(c) = &cart.row {
                insert_cart.execute(params![
                    id,
                    c.customer_id,
                    c.device_id,
                    c.status,
                    c.cancel_reason,
                    c.total_cents,
                    c.currency,
                    c.item_count,
                    c.next_position,
                    c.started_at,
                    c.last_activity
                ])?;
            }
            let mut lines: Vec<_> = cart.lines.iter().collect();
            lines.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (product, l) in lines {
                insert_line.execute(params![
                    id,
                    product,
                    l.store_id,
                    l.store_name,
                    l.product_name,
                    l.price_cents,
                    l.currency,
                    l.quantity,
                    l.position
                ])?;
            }
        }
        let mut insert_order = tx.prepare_cached(
            "INSERT OR REPLACE INTO rm_orders (order_id, customer_id, device_id, status,
             total_cents, currency, cancel_requested, reason, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut insert_item = tx.prepare_cached(
            "INSERT INTO rm_order_items (order_id, product_id, store_id, store_name,
             product_name, price_cents, currency, quantity, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut orders: Vec<_> = self.orders.drain().collect();
        orders.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (id, order) in orders {
            if order.loaded {
                tx.prepare_cached("DELETE FROM rm_order_items WHERE order_id = ?1")?
                    .execute([&id])?;
            }
            if let Some(o) = &order.row {
                insert_order.execute(params![
                    id,
                    o.customer_id,
                    o.device_id,
                    o.status,
                    o.total_cents,
                    o.currency,
                    o.cancel_requested,
                    o.reason,
                    o.created_at,
                    o.updated_at
                ])?;
            }
            for (product, l) in &order.items {
                insert_item.execute(params![
                    id,
                    product,
                    l.store_id,
                    l.store_name,
                    l.product_name,
                    l.price_cents,
                    l.currency,
                    l.quantity,
                    l.position
                ])?;
            }
        }
        for ((store, day, currency), (orders, items, total)) in std::mem::take(&mut self.sales) {
            Sql(tx).add_sales(&day, (store, currency, items, total), orders)?;
        }
        self.staged = 0;
        self.flushed = true;
        Ok(())
    }
}
