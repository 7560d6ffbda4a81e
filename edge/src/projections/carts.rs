//! Cart read models: `rm_carts` (status, totals) and `rm_cart_lines`.
//!
//! Updated incrementally (a constant number of statements per event), so projecting the 100th
//! item of a cart costs what projecting the first does. [`basket`] decides what an event does,
//! over one small SQL function per row operation; a rebuild runs the same code.

use super::Key;
use mallbots_domain::baskets::{BasketCancelReason, BasketEvent};
use mallbots_sync::store::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};

fn reason_text(reason: BasketCancelReason) -> &'static str {
    match reason {
        BasketCancelReason::Customer => "customer",
        BasketCancelReason::Abandoned => "abandoned",
    }
}

/// A cart line's product facts as an event states them.
#[derive(Debug, Clone, Copy)]
pub(super) struct LineFacts<'a> {
    pub store_id: &'a str,
    pub store_name: &'a str,
    pub product_name: &'a str,
    pub price_cents: i64,
    pub currency: &'a str,
}

/// Changes to a cart row's totals: (total, items, lines added).
pub(super) type Deltas = (i64, i64, i64);

/// Creates (or resets) the cart row: open, empty, USD, started and active `at`.
fn start(
    tx: &Transaction<'_>,
    basket: &str,
    customer: Option<String>,
    device: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO rm_carts (basket_id, customer_id, device_id, status,
             started_at, last_activity) VALUES (?1, ?2, ?3, 'open', ?4, ?4)",
    )?
    .execute(params![basket, customer, device, at])?;
    Ok(())
}

/// (price, quantity) of a line.
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

/// Sets an existing line's quantity and facts (its store id and position stay).
fn update_line(
    tx: &Transaction<'_>,
    basket: &str,
    product: &str,
    quantity: i64,
    f: LineFacts<'_>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE rm_cart_lines SET quantity = ?1, price_cents = ?2, currency = ?3,
             store_name = ?4, product_name = ?5 WHERE basket_id = ?6 AND product_id = ?7",
    )?
    .execute(params![
        quantity,
        f.price_cents,
        f.currency,
        f.store_name,
        f.product_name,
        basket,
        product
    ])?;
    Ok(())
}

/// Inserts a line at the cart's `next_position`; nothing if the cart row does not exist.
fn insert_line(
    tx: &Transaction<'_>,
    basket: &str,
    product: &str,
    quantity: i64,
    f: LineFacts<'_>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO rm_cart_lines (basket_id, product_id, store_id, store_name,
             product_name, price_cents, currency, quantity, position)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, next_position
             FROM rm_carts WHERE basket_id = ?1",
    )?
    .execute(params![
        basket,
        product,
        f.store_id,
        f.store_name,
        f.product_name,
        f.price_cents,
        f.currency,
        quantity
    ])?;
    Ok(())
}

/// Sets a line's quantity.
fn set_quantity(
    tx: &Transaction<'_>,
    basket: &str,
    product: &str,
    quantity: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE rm_cart_lines SET quantity = ?1 WHERE basket_id = ?2 AND product_id = ?3",
    )?
    .execute(params![quantity, basket, product])?;
    Ok(())
}

/// Deletes a line.
fn delete_line(tx: &Transaction<'_>, basket: &str, product: &str) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM rm_cart_lines WHERE basket_id = ?1 AND product_id = ?2")?
        .execute(params![basket, product])?;
    Ok(())
}

/// Adds `deltas` to the cart row, sets its currency (if given) and last activity.
fn touch(
    tx: &Transaction<'_>,
    basket: &str,
    (total, items, lines): Deltas,
    currency: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE rm_carts SET total_cents = total_cents + ?1, item_count = item_count + ?2,
             next_position = next_position + ?3, currency = COALESCE(?4, currency),
             last_activity = ?5 WHERE basket_id = ?6",
    )?
    .execute(params![total, items, lines, currency, at, basket])?;
    Ok(())
}

/// Status `canceled` with a reason.
fn cancel(tx: &Transaction<'_>, basket: &str, reason: &str, at: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE rm_carts SET status = 'canceled', cancel_reason = ?1, last_activity = ?2
             WHERE basket_id = ?3",
    )?
    .execute(params![reason, at, basket])?;
    Ok(())
}

/// Status `checked_out` for a customer.
fn check_out(
    tx: &Transaction<'_>,
    basket: &str,
    customer: String,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE rm_carts SET status = 'checked_out', customer_id = ?1, last_activity = ?2
             WHERE basket_id = ?3",
    )?
    .execute(params![customer, at, basket])?;
    Ok(())
}

/// Projects a basket event.
pub(super) fn basket(tx: &Transaction<'_>, event: &BasketEvent) -> Result<(), StoreError> {
    let key = Key::of(event.basket_id().0);
    let id = key.as_str();
    let at = event.at().0;
    match event {
        BasketEvent::BasketStarted {
            customer_id,
            device_id,
            ..
        } => start(
            tx,
            id,
            customer_id.map(|c| c.to_string()),
            device_id.as_deref(),
            at,
        )?,
        BasketEvent::BasketItemAdded {
            product_id,
            store_id,
            store_name,
            product_name,
            price,
            quantity,
            ..
        } => {
            let product = Key::of(product_id.0);
            let product = product.as_str();
            let store = Key::of(store_id.0);
            let facts = LineFacts {
                store_id: store.as_str(),
                store_name,
                product_name,
                price_cents: price.cents,
                currency: price.currency.as_str(),
            };
            let old = line(tx, id, product)?;
            let (old_total, old_quantity) = old.map_or((0, 0), |(p, q)| (p * q, q));
            let new_quantity = old_quantity + quantity;
            if old.is_some() {
                update_line(tx, id, product, new_quantity, facts)?;
            } else {
                insert_line(tx, id, product, new_quantity, facts)?;
            }
            let deltas = (
                price.cents * new_quantity - old_total,
                *quantity,
                i64::from(old.is_none()),
            );
            touch(tx, id, deltas, Some(facts.currency), at)?;
        }
        BasketEvent::BasketItemRemoved {
            product_id,
            quantity,
            ..
        } => {
            let product = Key::of(product_id.0);
            let product = product.as_str();
            let Some((price, old_quantity)) = line(tx, id, product)? else {
                return Ok(());
            };
            let removed = (*quantity).min(old_quantity);
            if old_quantity - removed <= 0 {
                delete_line(tx, id, product)?;
            } else {
                set_quantity(tx, id, product, old_quantity - removed)?;
            }
            touch(tx, id, (-price * removed, -removed, 0), None, at)?;
        }
        BasketEvent::BasketCanceled { reason, .. } => cancel(tx, id, reason_text(*reason), at)?,
        BasketEvent::BasketCheckedOut { customer_id, .. } => {
            check_out(tx, id, customer_id.to_string(), at)?
        }
    }
    Ok(())
}
