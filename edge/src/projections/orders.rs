//! Order read models: `rm_orders`, `rm_order_items` (with store ids) and `rm_sales_daily`.
//!
//! Sales count an order on its creation day (UTC) per store of its lines, and are taken back
//! when the order is rejected or canceled. [`order`] decides what an event does, over one small
//! SQL function per row operation; a rebuild runs the same code.

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

/// Creates (or resets) the order row, status `pending`, and replaces its items.
fn create(
    tx: &Transaction<'_>,
    id: &str,
    o: NewOrder<'_>,
    items: &[OrderItem],
) -> Result<(), StoreError> {
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

/// The order's creation time, `None` without a row.
fn created_at(tx: &Transaction<'_>, id: &str) -> Result<Option<i64>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT created_at FROM rm_orders WHERE order_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// The order's status, `None` without a row.
fn status_of(tx: &Transaction<'_>, id: &str) -> Result<Option<String>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT status FROM rm_orders WHERE order_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Items and totals of the order per store and currency.
fn shares(tx: &Transaction<'_>, id: &str) -> Result<Vec<StoreShare>, StoreError> {
    let mut per_store = tx.prepare_cached(
        "SELECT store_id, currency, SUM(quantity), SUM(price_cents * quantity)
         FROM rm_order_items WHERE order_id = ?1 GROUP BY store_id, currency",
    )?;
    let rows = per_store
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Adds to a day's sales of a store (creating the row).
fn add_sales(
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

/// Sets the status and `updated_at`.
fn set_status(tx: &Transaction<'_>, id: &str, status: &str, at: i64) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE rm_orders SET status = ?1, updated_at = ?2 WHERE order_id = ?3")?
        .execute(params![status, at, id])?;
    Ok(())
}

/// Closes (rejected / canceled): status, reason, no cancellation pending.
fn set_closed(
    tx: &Transaction<'_>,
    id: &str,
    status: &str,
    reason: &str,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE rm_orders SET status = ?1, reason = ?2, cancel_requested = 0,
             updated_at = ?3 WHERE order_id = ?4",
    )?
    .execute(params![status, reason, at, id])?;
    Ok(())
}

/// A cancellation was requested (`true`) or refused (`false`).
fn cancel_requested(
    tx: &Transaction<'_>,
    id: &str,
    requested: bool,
    reason: &str,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE rm_orders SET cancel_requested = ?1, reason = ?2, updated_at = ?3
             WHERE order_id = ?4",
    )?
    .execute(params![requested, reason, at, id])?;
    Ok(())
}

/// Adds (`sign` = 1) or takes back (`sign` = -1) an order's sales per store.
fn sales(tx: &Transaction<'_>, id: &str, sign: i64) -> Result<(), StoreError> {
    let Some(created_at) = created_at(tx, id)? else {
        return Ok(());
    };
    let day = crate::calendar::of_database(tx)?.day(created_at);
    for (store, currency, items, total) in shares(tx, id)? {
        add_sales(
            tx,
            &day,
            (store, currency, sign * items, sign * total),
            sign,
        )?;
    }
    Ok(())
}

fn close(
    tx: &Transaction<'_>,
    id: &str,
    status: &str,
    reason: &str,
    at: i64,
) -> Result<(), StoreError> {
    let current = status_of(tx, id)?;
    if matches!(current.as_deref(), Some("rejected" | "canceled") | None) {
        return Ok(());
    }
    sales(tx, id, -1)?;
    set_closed(tx, id, status, reason, at)
}

/// Projects an order event (the kiosk's own and central's).
pub(super) fn order(tx: &Transaction<'_>, event: &OrderEvent) -> Result<(), StoreError> {
    let id = event.order_id().to_string();
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
            create(tx, &id, order, items)?;
            sales(tx, &id, 1)?;
        }
        OrderEvent::OrderRejected { reason, .. } => close(tx, &id, "rejected", reason, at)?,
        OrderEvent::OrderCanceled { reason, .. } => close(tx, &id, "canceled", reason, at)?,
        OrderEvent::OrderApproved { .. } => set_status(tx, &id, "approved", at)?,
        OrderEvent::OrderShoppingStarted { .. } => set_status(tx, &id, "in_progress", at)?,
        OrderEvent::OrderReadied { .. } => set_status(tx, &id, "ready", at)?,
        OrderEvent::OrderCompleted { .. } => set_status(tx, &id, "completed", at)?,
        OrderEvent::OrderCancellationRequested { reason, .. }
        | OrderEvent::OrderCancelRefused { reason, .. } => {
            let requested = matches!(event, OrderEvent::OrderCancellationRequested { .. });
            cancel_requested(tx, &id, requested, reason, at)?;
        }
    }
    Ok(())
}
