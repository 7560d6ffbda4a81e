//! Cart read models: `rm_carts` (status, totals) and `rm_cart_lines`.
//!
//! Updated incrementally (a constant number of statements per event), so projecting the 100th
//! item of a cart costs what projecting the first does.

use mallbots_domain::baskets::{BasketCancelReason, BasketEvent};
use mallbots_sync::store::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};

fn reason_text(reason: BasketCancelReason) -> &'static str {
    match reason {
        BasketCancelReason::Customer => "customer",
        BasketCancelReason::Abandoned => "abandoned",
    }
}

fn line(
    tx: &Transaction<'_>,
    basket: &str,
    product: &str,
) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT price_cents, quantity FROM rm_cart_lines
             WHERE basket_id = ?1 AND product_id = ?2",
        )?
        .query_row(params![basket, product], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// One statement per edit on the cart row: totals, activity, currency, line positions.
fn touch(
    tx: &Transaction<'_>,
    basket: &str,
    (delta_total, delta_items, new_lines): (i64, i64, i64),
    currency: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE rm_carts SET total_cents = total_cents + ?1, item_count = item_count + ?2,
         next_position = next_position + ?3, currency = COALESCE(?4, currency),
         last_activity = ?5 WHERE basket_id = ?6",
    )?
    .execute(params![
        delta_total,
        delta_items,
        new_lines,
        currency,
        at,
        basket
    ])?;
    Ok(())
}

/// Projects a basket event.
pub(super) fn basket(tx: &Transaction<'_>, event: &BasketEvent) -> Result<(), StoreError> {
    let id = event.basket_id().to_string();
    let at = event.at().0;
    match event {
        BasketEvent::BasketStarted {
            customer_id,
            device_id,
            ..
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO rm_carts (basket_id, customer_id, device_id, status,
                 started_at, last_activity) VALUES (?1, ?2, ?3, 'open', ?4, ?4)",
            )?
            .execute(params![
                id,
                customer_id.map(|c| c.to_string()),
                device_id,
                at
            ])?;
        }
        BasketEvent::BasketItemAdded {
            product_id,
            store_id,
            store_name,
            product_name,
            price,
            quantity,
            ..
        } => {
            let product = product_id.to_string();
            let old = line(tx, &id, &product)?;
            let (old_total, old_quantity) = old.map_or((0, 0), |(p, q)| (p * q, q));
            let new_quantity = old_quantity + quantity;
            if old.is_some() {
                tx.prepare_cached(
                    "UPDATE rm_cart_lines SET quantity = ?1, price_cents = ?2, currency = ?3,
                     store_name = ?4, product_name = ?5 WHERE basket_id = ?6 AND product_id = ?7",
                )?
                .execute(params![
                    new_quantity,
                    price.cents,
                    price.currency.as_str(),
                    store_name,
                    product_name,
                    id,
                    product
                ])?;
            } else {
                tx.prepare_cached(
                    "INSERT INTO rm_cart_lines (basket_id, product_id, store_id, store_name,
                     product_name, price_cents, currency, quantity, position)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, next_position
                     FROM rm_carts WHERE basket_id = ?1",
                )?
                .execute(params![
                    id,
                    product,
                    store_id.to_string(),
                    store_name,
                    product_name,
                    price.cents,
                    price.currency.as_str(),
                    new_quantity
                ])?;
            }
            let deltas = (
                price.cents * new_quantity - old_total,
                *quantity,
                i64::from(old.is_none()),
            );
            touch(tx, &id, deltas, Some(price.currency.as_str()), at)?;
        }
        BasketEvent::BasketItemRemoved {
            product_id,
            quantity,
            ..
        } => {
            let product = product_id.to_string();
            let Some((price, old_quantity)) = line(tx, &id, &product)? else {
                return Ok(());
            };
            let removed = (*quantity).min(old_quantity);
            if old_quantity - removed <= 0 {
                tx.prepare_cached(
                    "DELETE FROM rm_cart_lines WHERE basket_id = ?1 AND product_id = ?2",
                )?
                .execute(params![id, product])?;
            } else {
                tx.prepare_cached(
                    "UPDATE rm_cart_lines SET quantity = ?1 WHERE basket_id = ?2 AND product_id = ?3",
                )?
                .execute(params![old_quantity - removed, id, product])?;
            }
            touch(tx, &id, (-price * removed, -removed, 0), None, at)?;
        }
        BasketEvent::BasketCanceled { reason, .. } => {
            tx.prepare_cached(
                "UPDATE rm_carts SET status = 'canceled', cancel_reason = ?1, last_activity = ?2
                 WHERE basket_id = ?3",
            )?
            .execute(params![reason_text(*reason), at, id])?;
        }
        BasketEvent::BasketCheckedOut { customer_id, .. } => {
            tx.prepare_cached(
                "UPDATE rm_carts SET status = 'checked_out', customer_id = ?1, last_activity = ?2
                 WHERE basket_id = ?3",
            )?
            .execute(params![customer_id.to_string(), at, id])?;
        }
    }
    Ok(())
}
