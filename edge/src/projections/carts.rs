//! Cart read models: `rm_carts` (status, totals) and `rm_cart_lines`.
//!
//! Updated incrementally (a constant number of row operations per event), so projecting the
//! 100th item of a cart costs what projecting the first does. [`fold_basket`] decides what an
//! event does over the row operations of [`CartRows`]: on SQL for the live path ([`SqlCarts`]),
//! in memory for a rebuild (`super::fold::carts`), so both run the same decisions.

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
    pub store_id: Key,
    pub store_name: &'a str,
    pub product_name: &'a str,
    pub price_cents: i64,
    pub currency: &'a str,
}

/// Changes to a cart row's totals: (total, items, lines added).
pub(super) type Deltas = (i64, i64, i64);

/// The row operations of the cart projection. An operation on a row that does not exist does
/// nothing (as an SQL `UPDATE` matching no row).
pub(super) trait CartRows {
    /// Creates (or resets) the cart row: open, empty, USD, started and active `at`. Its lines
    /// stay.
    fn start(
        &mut self,
        basket: Key,
        customer: Option<String>,
        device: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError>;
    /// (price, quantity) of a line.
    fn line(&mut self, basket: Key, product: Key) -> Result<Option<(i64, i64)>, StoreError>;
    /// Sets an existing line's quantity and facts (its store id and position stay).
    fn update_line(
        &mut self,
        basket: Key,
        product: Key,
        quantity: i64,
        facts: LineFacts<'_>,
    ) -> Result<(), StoreError>;
    /// Inserts a line at the cart's `next_position`; nothing if the cart row does not exist.
    fn insert_line(
        &mut self,
        basket: Key,
        product: Key,
        quantity: i64,
        facts: LineFacts<'_>,
    ) -> Result<(), StoreError>;
    /// Sets a line's quantity.
    fn set_quantity(&mut self, basket: Key, product: Key, quantity: i64) -> Result<(), StoreError>;
    /// Deletes a line.
    fn delete_line(&mut self, basket: Key, product: Key) -> Result<(), StoreError>;
    /// Adds `deltas` to the cart row, sets its currency (if given) and last activity.
    fn touch(
        &mut self,
        basket: Key,
        deltas: Deltas,
        currency: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Status `canceled` with a reason.
    fn cancel(&mut self, basket: Key, reason: &str, at: i64) -> Result<(), StoreError>;
    /// Status `checked_out` for a customer.
    fn check_out(&mut self, basket: Key, customer: String, at: i64) -> Result<(), StoreError>;
}

/// The cart rows in the database, inside a transaction.
pub(super) struct SqlCarts<'t, 'c>(pub &'t Transaction<'c>);

impl CartRows for SqlCarts<'_, '_> {
    fn start(
        &mut self,
        basket: Key,
        customer: Option<String>,
        device: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT OR REPLACE INTO rm_carts (basket_id, customer_id, device_id, status,
                 started_at, last_activity) VALUES (?1, ?2, ?3, 'open', ?4, ?4)",
            )?
            .execute(params![basket.as_str(), customer, device, at])?;
        Ok(())
    }

    fn line(&mut self, basket: Key, product: Key) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT price_cents, quantity FROM rm_cart_lines
                 WHERE basket_id = ?1 AND product_id = ?2",
            )?
            .query_row(params![basket.as_str(), product.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn update_line(
        &mut self,
        basket: Key,
        product: Key,
        quantity: i64,
        f: LineFacts<'_>,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE rm_cart_lines SET quantity = ?1, price_cents = ?2, currency = ?3,
                 store_name = ?4, product_name = ?5 WHERE basket_id = ?6 AND product_id = ?7",
            )?
            .execute(params![
                quantity,
                f.price_cents,
                f.currency,
                f.store_name,
                f.product_name,
                basket.as_str(),
                product.as_str()
            ])?;
        Ok(())
    }

    fn insert_line(
        &mut self,
        basket: Key,
        product: Key,
        quantity: i64,
        f: LineFacts<'_>,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO rm_cart_lines (basket_id, product_id, store_id, store_name,
                 product_name, price_cents, currency, quantity, position)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, next_position
                 FROM rm_carts WHERE basket_id = ?1",
            )?
            .execute(params![
                basket.as_str(),
                product.as_str(),
                f.store_id.as_str(),
                f.store_name,
                f.product_name,
                f.price_cents,
                f.currency,
                quantity
            ])?;
        Ok(())
    }

    fn set_quantity(&mut self, basket: Key, product: Key, quantity: i64) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE rm_cart_lines SET quantity = ?1 WHERE basket_id = ?2 AND product_id = ?3",
            )?
            .execute(params![quantity, basket.as_str(), product.as_str()])?;
        Ok(())
    }

    fn delete_line(&mut self, basket: Key, product: Key) -> Result<(), StoreError> {
        self.0
            .prepare_cached("DELETE FROM rm_cart_lines WHERE basket_id = ?1 AND product_id = ?2")?
            .execute(params![basket.as_str(), product.as_str()])?;
        Ok(())
    }

    fn touch(
        &mut self,
        basket: Key,
        (total, items, lines): Deltas,
        currency: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE rm_carts SET total_cents = total_cents + ?1, item_count = item_count + ?2,
                 next_position = next_position + ?3, currency = COALESCE(?4, currency),
                 last_activity = ?5 WHERE basket_id = ?6",
            )?
            .execute(params![total, items, lines, currency, at, basket.as_str()])?;
        Ok(())
    }

    fn cancel(&mut self, basket: Key, reason: &str, at: i64) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE rm_carts SET status = 'canceled', cancel_reason = ?1, last_activity = ?2
                 WHERE basket_id = ?3",
            )?
            .execute(params![reason, at, basket.as_str()])?;
        Ok(())
    }

    fn check_out(&mut self, basket: Key, customer: String, at: i64) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE rm_carts SET status = 'checked_out', customer_id = ?1, last_activity = ?2
                 WHERE basket_id = ?3",
            )?
            .execute(params![customer, at, basket.as_str()])?;
        Ok(())
    }
}

/// Projects a basket event onto the database (the live path).
pub(super) fn basket(tx: &Transaction<'_>, event: &BasketEvent) -> Result<(), StoreError> {
    fold_basket(&mut SqlCarts(tx), event)
}

/// Decides what a basket event does to the cart rows.
pub(super) fn fold_basket(rows: &mut impl CartRows, event: &BasketEvent) -> Result<(), StoreError> {
    let id = Key::of(event.basket_id().0);
    let at = event.at().0;
    match event {
        BasketEvent::BasketStarted {
            customer_id,
            device_id,
            ..
        } => rows.start(
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
            let facts = LineFacts {
                store_id: Key::of(store_id.0),
                store_name,
                product_name,
                price_cents: price.cents,
                currency: price.currency.as_str(),
            };
            let old = rows.line(id, product)?;
            let (old_total, old_quantity) = old.map_or((0, 0), |(p, q)| (p * q, q));
            let new_quantity = old_quantity + quantity;
            if old.is_some() {
                rows.update_line(id, product, new_quantity, facts)?;
            } else {
                rows.insert_line(id, product, new_quantity, facts)?;
            }
            let deltas = (
                price.cents * new_quantity - old_total,
                *quantity,
                i64::from(old.is_none()),
            );
            rows.touch(id, deltas, Some(facts.currency), at)?;
        }
        BasketEvent::BasketItemRemoved {
            product_id,
            quantity,
            ..
        } => {
            let product = Key::of(product_id.0);
            let Some((price, old_quantity)) = rows.line(id, product)? else {
                return Ok(());
            };
            let removed = (*quantity).min(old_quantity);
            if old_quantity - removed <= 0 {
                rows.delete_line(id, product)?;
            } else {
                rows.set_quantity(id, product, old_quantity - removed)?;
            }
            rows.touch(id, (-price * removed, -removed, 0), None, at)?;
        }
        BasketEvent::BasketCanceled { reason, .. } => rows.cancel(id, reason_text(*reason), at)?,
        BasketEvent::BasketCheckedOut { customer_id, .. } => {
            rows.check_out(id, customer_id.to_string(), at)?
        }
    }
    Ok(())
}
