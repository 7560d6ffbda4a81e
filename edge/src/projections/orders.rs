//! Order read models: `rm_orders`, `rm_order_items` (with store ids) and `rm_sales_daily`.
//!
//! Sales count an order on its creation day (UTC) per store of its lines, and are taken back
//! when the order is rejected or canceled.

use mallbots_domain::ordering::OrderEvent;
use mallbots_sync::store::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};

/// The UTC calendar day `YYYY-MM-DD` of a Unix-millisecond time (H. Hinnant's civil_from_days).
pub fn utc_day(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn set_status(tx: &Transaction<'_>, id: &str, status: &str, at: i64) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE rm_orders SET status = ?1, updated_at = ?2 WHERE order_id = ?3")?
        .execute(params![status, at, id])?;
    Ok(())
}

/// Adds (`sign` = 1) or takes back (`sign` = -1) an order's sales per store.
fn sales(tx: &Transaction<'_>, id: &str, sign: i64) -> Result<(), StoreError> {
    let created_at: Option<i64> = tx
        .prepare_cached("SELECT created_at FROM rm_orders WHERE order_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(created_at) = created_at else {
        return Ok(());
    };
    let day = utc_day(created_at);
    let mut per_store = tx.prepare_cached(
        "SELECT store_id, currency, SUM(quantity), SUM(price_cents * quantity)
         FROM rm_order_items WHERE order_id = ?1 GROUP BY store_id, currency",
    )?;
    let rows: Vec<(String, String, i64, i64)> = per_store
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (store, currency, items, total) in rows {
        tx.prepare_cached(
            "INSERT INTO rm_sales_daily (store_id, day, currency, orders, items, total_cents)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (store_id, day, currency) DO UPDATE SET
               orders = orders + excluded.orders, items = items + excluded.items,
               total_cents = total_cents + excluded.total_cents",
        )?
        .execute(params![
            store,
            day,
            currency,
            sign,
            sign * items,
            sign * total
        ])?;
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
    let current: Option<String> = tx
        .prepare_cached("SELECT status FROM rm_orders WHERE order_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if matches!(current.as_deref(), Some("rejected" | "canceled") | None) {
        return Ok(());
    }
    sales(tx, id, -1)?;
    tx.prepare_cached(
        "UPDATE rm_orders SET status = ?1, reason = ?2, cancel_requested = 0, updated_at = ?3
         WHERE order_id = ?4",
    )?
    .execute(params![status, reason, at, id])?;
    Ok(())
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
            ..
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO rm_orders (order_id, customer_id, device_id, status,
                 total_cents, currency, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?6)",
            )?
            .execute(params![
                id,
                customer_id.to_string(),
                device_id,
                total.cents,
                total.currency.as_str(),
                at
            ])?;
            tx.prepare_cached("DELETE FROM rm_order_items WHERE order_id = ?1")?
                .execute([&id])?;
            for (position, item) in items.iter().enumerate() {
                tx.prepare_cached(
                    "INSERT INTO rm_order_items (order_id, product_id, store_id, store_name,
                     product_name, price_cents, currency, quantity, position)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    id,
                    item.product_id.to_string(),
                    item.store_id.to_string(),
                    item.store_name,
                    item.product_name,
                    item.price.cents,
                    item.price.currency.as_str(),
                    item.quantity,
                    position as i64
                ])?;
            }
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
            tx.prepare_cached(
                "UPDATE rm_orders SET cancel_requested = ?1, reason = ?2, updated_at = ?3
                 WHERE order_id = ?4",
            )?
            .execute(params![requested, reason, at, id])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::utc_day;

    #[test]
    fn utc_days() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(951_782_400_000), "2000-02-29");
        assert_eq!(utc_day(1_700_000_000_000), "2023-11-14");
        assert_eq!(utc_day(-1), "1969-12-31");
    }
}
