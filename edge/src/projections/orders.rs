//! Order read models: `rm_orders`, `rm_order_items` (with store ids) and `rm_sales_daily`.
//!
//! Sales count an order on its creation day (the mall's) per store of its lines, and are taken
//! back when the order is rejected or canceled. [`fold_order`] decides what an event does over
//! the row operations of [`OrderRows`]: on SQL for the live path ([`SqlOrders`]), in memory for
//! a rebuild (`super::fold::orders`), so both run the same decisions.

use super::Key;
use mallbots_domain::ordering::{OrderEvent, OrderItem};
use mallbots_sync::store::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};

/// A new order row.
#[derive(Debug, Clone, Copy)]
pub(super) struct NewOrder<'a> {
    pub customer_id: &'a str,
    pub device_id: Option<&'a str>,
    pub total_cents: i64,
    pub currency: &'a str,
    pub pickup_code: Option<&'a str>,
    pub at: i64,
}

/// One store's share of an order: (store, currency, items, total).
pub(super) type StoreShare = (String, String, i64, i64);

/// The row operations of the order projection. An operation on an order without a row does
/// nothing (as an SQL `UPDATE` matching no row).
pub(super) trait OrderRows {
    /// Creates (or resets) the order row, status `pending`, and replaces its items.
    fn create(
        &mut self,
        id: Key,
        order: NewOrder<'_>,
        items: &[OrderItem],
    ) -> Result<(), StoreError>;
    /// The order's creation time, `None` without a row.
    fn created_at(&mut self, id: Key) -> Result<Option<i64>, StoreError>;
    /// The order's status, `None` without a row.
    fn status_of(&mut self, id: Key) -> Result<Option<String>, StoreError>;
    /// Items and totals of the order per store and currency.
    fn shares(&mut self, id: Key) -> Result<Vec<StoreShare>, StoreError>;
    /// The mall's day of `at`.
    fn day(&mut self, at: i64) -> Result<String, StoreError>;
    /// Adds to a day's sales of a store (creating the row).
    fn add_sales(&mut self, day: &str, share: StoreShare, orders: i64) -> Result<(), StoreError>;
    /// Sets the status and `updated_at`.
    fn set_status(&mut self, id: Key, status: &str, at: i64) -> Result<(), StoreError>;
    /// Closes (rejected / canceled): status, reason, no cancellation pending.
    fn set_closed(
        &mut self,
        id: Key,
        status: &str,
        reason: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    /// A cancellation was requested (`true`) or refused (`false`).
    fn cancel_requested(
        &mut self,
        id: Key,
        requested: bool,
        reason: &str,
        at: i64,
    ) -> Result<(), StoreError>;
}

/// Adds a day's sales of a store in the database: an upsert adding to the row.
pub(super) fn add_sales_row(
    tx: &Transaction<'_>,
    day: &str,
    (store, currency, items, total): StoreShare,
    orders: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO rm_sales_daily (store_id, day, currency, orders, items, total_cents)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (store_id, day, currency) DO UPDATE SET
               orders = orders + excluded.orders, items = items + excluded.items,
               total_cents = total_cents + excluded.total_cents",
    )?
    .execute(params![store, day, currency, orders, items, total])?;
    Ok(())
}

/// The order rows in the database, inside a transaction.
pub(super) struct SqlOrders<'t, 'c>(pub &'t Transaction<'c>);

impl OrderRows for SqlOrders<'_, '_> {
    fn create(&mut self, id: Key, o: NewOrder<'_>, items: &[OrderItem]) -> Result<(), StoreError> {
        let (tx, id) = (self.0, id.as_str());
        tx.prepare_cached(
            "INSERT OR REPLACE INTO rm_orders (order_id, customer_id, device_id, status,
             total_cents, currency, pickup_code, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?7)",
        )?
        .execute(params![
            id,
            o.customer_id,
            o.device_id,
            o.total_cents,
            o.currency,
            o.pickup_code,
            o.at
        ])?;
        tx.prepare_cached("DELETE FROM rm_order_items WHERE order_id = ?1")?
            .execute([id])?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO rm_order_items (order_id, product_id, store_id, store_name,
             product_name, price_cents, currency, quantity, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for (position, item) in items.iter().enumerate() {
            insert.execute(params![
                id,
                Key::of(item.product_id.0).as_str(),
                Key::of(item.store_id.0).as_str(),
                item.store_name,
                item.product_name,
                item.price.cents,
                item.price.currency.as_str(),
                item.quantity,
                position as i64
            ])?;
        }
        Ok(())
    }

    fn created_at(&mut self, id: Key) -> Result<Option<i64>, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT created_at FROM rm_orders WHERE order_id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?)
    }

    fn status_of(&mut self, id: Key) -> Result<Option<String>, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT status FROM rm_orders WHERE order_id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?)
    }

    fn shares(&mut self, id: Key) -> Result<Vec<StoreShare>, StoreError> {
        let mut per_store = self.0.prepare_cached(
            "SELECT store_id, currency, SUM(quantity), SUM(price_cents * quantity)
             FROM rm_order_items WHERE order_id = ?1 GROUP BY store_id, currency",
        )?;
        let rows = per_store
            .query_map([id.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn day(&mut self, at: i64) -> Result<String, StoreError> {
        Ok(crate::calendar::of_database(self.0)?.day(at))
    }

    fn add_sales(&mut self, day: &str, share: StoreShare, orders: i64) -> Result<(), StoreError> {
        add_sales_row(self.0, day, share, orders)
    }

    fn set_status(&mut self, id: Key, status: &str, at: i64) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE rm_orders SET status = ?1, updated_at = ?2 WHERE order_id = ?3",
            )?
            .execute(params![status, at, id.as_str()])?;
        Ok(())
    }

    fn set_closed(
        &mut self,
        id: Key,
        status: &str,
        reason: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE rm_orders SET status = ?1, reason = ?2, cancel_requested = 0,
                 updated_at = ?3 WHERE order_id = ?4",
            )?
            .execute(params![status, reason, at, id.as_str()])?;
        Ok(())
    }

    fn cancel_requested(
        &mut self,
        id: Key,
        requested: bool,
        reason: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE rm_orders SET cancel_requested = ?1, reason = ?2, updated_at = ?3
                 WHERE order_id = ?4",
            )?
            .execute(params![requested, reason, at, id.as_str()])?;
        Ok(())
    }
}

/// Adds (`sign` = 1) or takes back (`sign` = -1) an order's sales per store.
fn sales(rows: &mut impl OrderRows, id: Key, sign: i64) -> Result<(), StoreError> {
    let Some(created_at) = rows.created_at(id)? else {
        return Ok(());
    };
    let day = rows.day(created_at)?;
    for (store, currency, items, total) in rows.shares(id)? {
        rows.add_sales(&day, (store, currency, sign * items, sign * total), sign)?;
    }
    Ok(())
}

fn close(
    rows: &mut impl OrderRows,
    id: Key,
    status: &str,
    reason: &str,
    at: i64,
) -> Result<(), StoreError> {
    let current = rows.status_of(id)?;
    if matches!(current.as_deref(), Some("rejected" | "canceled") | None) {
        return Ok(());
    }
    sales(rows, id, -1)?;
    rows.set_closed(id, status, reason, at)
}

/// Projects an order event onto the database (the kiosk's own and central's; the live path).
pub(super) fn order(tx: &Transaction<'_>, event: &OrderEvent) -> Result<(), StoreError> {
    fold_order(&mut SqlOrders(tx), event)
}

/// Decides what an order event does to the order rows.
pub(super) fn fold_order(rows: &mut impl OrderRows, event: &OrderEvent) -> Result<(), StoreError> {
    let id = Key::of(event.order_id().0);
    let at = event.at().0;
    match event {
        OrderEvent::OrderCreated {
            customer_id,
            device_id,
            items,
            total,
            pickup_code,
            ..
        } => {
            let customer = customer_id.to_string();
            let order = NewOrder {
                customer_id: &customer,
                device_id: device_id.as_deref(),
                total_cents: total.cents,
                currency: total.currency.as_str(),
                pickup_code: pickup_code.as_deref(),
                at,
            };
            rows.create(id, order, items)?;
            sales(rows, id, 1)?;
        }
        OrderEvent::OrderRejected { reason, .. } => close(rows, id, "rejected", reason, at)?,
        OrderEvent::OrderCanceled { reason, .. } => close(rows, id, "canceled", reason, at)?,
        OrderEvent::OrderApproved { .. } => rows.set_status(id, "approved", at)?,
        OrderEvent::OrderShoppingStarted { .. } => rows.set_status(id, "in_progress", at)?,
        OrderEvent::OrderReadied { .. } => rows.set_status(id, "ready", at)?,
        OrderEvent::OrderCompleted { .. } => rows.set_status(id, "completed", at)?,
        OrderEvent::OrderCancellationRequested { reason, .. }
        | OrderEvent::OrderCancelRefused { reason, .. } => {
            let requested = matches!(event, OrderEvent::OrderCancellationRequested { .. });
            rows.cancel_requested(id, requested, reason, at)?;
        }
    }
    Ok(())
}
