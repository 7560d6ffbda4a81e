//! Order and sales queries: one order, a store's orders, sales per day, and whether an order
//! has reached central ("synced": its OrderCreated has a JetStream sequence).

use super::catalog::{id, line_row};
use crate::error::EdgeError;
use crate::views::{OrderView, SalesDayView};
use crate::Edge;
use mallbots_domain::{OrderId, StoreId};
use mallbots_sync::store::sqlite::read::EVENT_SEQ;
use rusqlite::{Connection, OptionalExtension};
use std::sync::LazyLock;

/// An order's columns (alias `o`), then whether it is synced.
static ORDER_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "o.order_id, o.customer_id, o.device_id, o.status, o.total_cents, o.currency,
         o.cancel_requested, o.reason, o.created_at, o.updated_at, o.pickup_code,
         EXISTS (SELECT 1 FROM events e WHERE e.stream_type = 'order' AND e.stream_id = o.order_id
                 AND e.event_type = 'OrderCreated' AND {EVENT_SEQ} IS NOT NULL)"
    )
});

fn order_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OrderView> {
    Ok(OrderView {
        order_id: id(row, 0)?,
        customer_id: id(row, 1)?,
        device_id: row.get(2)?,
        status: row.get(3)?,
        total_cents: row.get(4)?,
        currency: row.get(5)?,
        cancellation_requested: row.get(6)?,
        reason: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        pickup_code: row.get(10)?,
        synced: row.get(11)?,
        items: Vec::new(),
        store_ids: Vec::new(),
    })
}

fn with_items(conn: &Connection, mut order: OrderView) -> Result<OrderView, EdgeError> {
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, store_id, store_name, product_name, price_cents, quantity
         FROM rm_order_items WHERE order_id = ?1 ORDER BY position",
    )?;
    order.items = stmt
        .query_map([order.order_id.to_string()], line_row)?
        .collect::<Result<_, _>>()?;
    let mut stores = Vec::new();
    for item in &order.items {
        if !stores.contains(&item.store_id) {
            stores.push(item.store_id);
        }
    }
    order.store_ids = stores;
    Ok(order)
}

impl Edge {
    /// One order with its items, store ids and sync state; `not_found` if unknown here.
    pub fn order(&self, order: OrderId) -> Result<OrderView, EdgeError> {
        self.read(|r| {
            let conn = r.connection();
            let view = conn
                .prepare_cached(&format!(
                    "SELECT {} FROM rm_orders o WHERE o.order_id = ?1",
                    *ORDER_COLUMNS
                ))?
                .query_row([order.to_string()], order_row)
                .optional()?
                .ok_or_else(|| EdgeError::not_found("order", order))?;
            with_items(conn, view)
        })
    }

    /// Whether the order's OrderCreated has been acknowledged by central.
    pub fn order_synced(&self, order: OrderId) -> Result<bool, EdgeError> {
        self.read(|r| {
            Ok(r.connection().query_row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM events e WHERE e.stream_type = 'order'
                     AND e.stream_id = ?1 AND e.event_type = 'OrderCreated'
                     AND {EVENT_SEQ} IS NOT NULL)"
                ),
                [order.to_string()],
                |row| row.get(0),
            )?)
        })
    }

    /// Orders with at least one line of `store` (newest first); all orders when `None`.
    pub fn orders(&self, store: Option<StoreId>) -> Result<Vec<OrderView>, EdgeError> {
        self.read(|r| {
            let conn = r.connection();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {} FROM rm_orders o
                 WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM rm_order_items i
                       WHERE i.store_id = ?1 AND i.order_id = o.order_id)
                 ORDER BY o.created_at DESC, o.order_id DESC",
                *ORDER_COLUMNS
            ))?;
            let views: Vec<OrderView> = stmt
                .query_map([store.map(|s| s.to_string())], order_row)?
                .collect::<Result<_, _>>()?;
            views.into_iter().map(|v| with_items(conn, v)).collect()
        })
    }

    /// A store's sales per UTC day (oldest first): orders, units and total of its lines.
    ///
    /// On a manager or depot desk (any role but kiosk) from central's order lines: the orders
    /// of the store that reached ready or completed, on the day they did
    /// ([`Edge::desk_sales_per_day`]). On a kiosk (and any edge without order lines) from the
    /// orders taken here: counted on their creation day, net of rejected and canceled orders.
    pub fn sales_per_day(&self, store: StoreId) -> Result<Vec<SalesDayView>, EdgeError> {
        if !matches!(self.config().role, crate::Role::Kiosk) {
            return self.desk_sales_per_day(store);
        }
        self.read(|r| {
            let mut stmt = r.connection().prepare_cached(
                "SELECT store_id, day, currency, orders, items, total_cents FROM rm_sales_daily
                 WHERE store_id = ?1 AND orders > 0 ORDER BY day, currency",
            )?;
            let rows = stmt.query_map([store.to_string()], sales_day)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// A sales day from a row of (store id, day, currency, orders, items, total cents): what both
/// sales queries select.
pub(super) fn sales_day(r: &rusqlite::Row<'_>) -> rusqlite::Result<SalesDayView> {
    Ok(SalesDayView {
        store_id: id(r, 0)?,
        day: r.get(1)?,
        currency: r.get(2)?,
        orders: r.get(3)?,
        items: r.get(4)?,
        total_cents: r.get(5)?,
    })
}
