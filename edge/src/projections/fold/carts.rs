//! Carts and their lines in memory, for a rebuild ([`super::super::carts::CartRows`]).

use super::super::carts::{CartRows, Deltas, LineFacts};
use super::super::Key;
use super::held_or_loaded;
use mallbots_sync::store::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::HashMap;

/// An `rm_carts` row without its key.
#[derive(Debug)]
struct Cart {
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

/// An `rm_cart_lines` row without its key.
#[derive(Debug)]
struct Line {
    store_id: Key,
    store_name: String,
    product_name: String,
    price_cents: i64,
    currency: String,
    quantity: i64,
    position: i64,
}

/// The cart rows a rebuild holds. `None` is a row known not to exist (after a spill, where the
/// database may hold one: a deleted line's `None` deletes it when written).
#[derive(Default)]
pub(super) struct CartFold {
    carts: HashMap<Key, Option<Cart>>,
    lines: HashMap<(Key, Key), Option<Line>>,
    spilled: bool,
}

/// The fold with the transaction it reads spilled rows back from.
pub(super) struct CartsOn<'f, 't, 'c> {
    fold: &'f mut CartFold,
    tx: &'t Transaction<'c>,
}

impl CartFold {
    pub fn on<'f, 't, 'c>(&'f mut self, tx: &'t Transaction<'c>) -> CartsOn<'f, 't, 'c> {
        CartsOn { fold: self, tx }
    }

    pub fn rows(&self) -> usize {
        self.carts.len() + self.lines.len()
    }

    /// Writes the rows held, in key order, and empties the fold.
    pub fn write(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        let mut carts: Vec<_> = self.carts.drain().collect();
        carts.sort_unstable_by_key(|(key, _)| *key);
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO rm_carts (basket_id, customer_id, device_id, status,
             cancel_reason, total_cents, currency, item_count, next_position, started_at,
             last_activity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for (key, cart) in carts {
            let Some(c) = cart else { continue };
            insert.execute(params![
                key.as_str(),
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
        let mut lines: Vec<_> = self.lines.drain().collect();
        lines.sort_unstable_by_key(|(key, _)| *key);
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO rm_cart_lines (basket_id, product_id, store_id, store_name,
             product_name, price_cents, currency, quantity, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut delete = tx
            .prepare_cached("DELETE FROM rm_cart_lines WHERE basket_id = ?1 AND product_id = ?2")?;
        for ((basket, product), line) in lines {
            match line {
                Some(l) => insert.execute(params![
                    basket.as_str(),
                    product.as_str(),
                    l.store_id.as_str(),
                    l.store_name,
                    l.product_name,
                    l.price_cents,
                    l.currency,
                    l.quantity,
                    l.position
                ])?,
                None => delete.execute(params![basket.as_str(), product.as_str()])?,
            };
        }
        self.spilled = true;
        Ok(())
    }
}

fn load_cart(tx: &Transaction<'_>, basket: Key) -> Result<Option<Cart>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT customer_id, device_id, status, cancel_reason, total_cents, currency,
             item_count, next_position, started_at, last_activity FROM rm_carts
             WHERE basket_id = ?1",
        )?
        .query_row([basket.as_str()], |r| {
            Ok(Cart {
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
        .optional()?)
}

fn load_line(tx: &Transaction<'_>, basket: Key, product: Key) -> Result<Option<Line>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT store_id, store_name, product_name, price_cents, currency, quantity, position
             FROM rm_cart_lines WHERE basket_id = ?1 AND product_id = ?2",
        )?
        .query_row(params![basket.as_str(), product.as_str()], |r| {
            Ok(Line {
                store_id: r.get(0)?,
                store_name: r.get(1)?,
                product_name: r.get(2)?,
                price_cents: r.get(3)?,
                currency: r.get(4)?,
                quantity: r.get(5)?,
                position: r.get(6)?,
            })
        })
        .optional()?)
}

impl CartsOn<'_, '_, '_> {
    /// The cart row, read back from the database if the fold spilled and does not hold it.
    fn cart(&mut self, basket: Key) -> Result<Option<&mut Cart>, StoreError> {
        let tx = self.tx;
        held_or_loaded(&mut self.fold.carts, basket, self.fold.spilled, || {
            load_cart(tx, basket)
        })
    }

    /// The line row, read back likewise.
    fn line_row(&mut self, basket: Key, product: Key) -> Result<Option<&mut Line>, StoreError> {
        let tx = self.tx;
        let key = (basket, product);
        held_or_loaded(&mut self.fold.lines, key, self.fold.spilled, || {
            load_line(tx, basket, product)
        })
    }
}

impl CartRows for CartsOn<'_, '_, '_> {
    fn start(
        &mut self,
        basket: Key,
        customer: Option<String>,
        device: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        let cart = Cart {
            customer_id: customer,
            device_id: device.map(str::to_owned),
            status: "open".to_owned(),
            cancel_reason: None,
            total_cents: 0,
            currency: "USD".to_owned(),
            item_count: 0,
            next_position: 0,
            started_at: at,
            last_activity: at,
        };
        self.fold.carts.insert(basket, Some(cart));
        Ok(())
    }

    fn line(&mut self, basket: Key, product: Key) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(self
            .line_row(basket, product)?
            .map(|l| (l.price_cents, l.quantity)))
    }

    fn update_line(
        &mut self,
        basket: Key,
        product: Key,
        quantity: i64,
        f: LineFacts<'_>,
    ) -> Result<(), StoreError> {
        if let Some(line) = self.line_row(basket, product)? {
            line.quantity = quantity;
            line.price_cents = f.price_cents;
            f.currency.clone_into(&mut line.currency);
            f.store_name.clone_into(&mut line.store_name);
            f.product_name.clone_into(&mut line.product_name);
        }
        Ok(())
    }

    fn insert_line(
        &mut self,
        basket: Key,
        product: Key,
        quantity: i64,
        f: LineFacts<'_>,
    ) -> Result<(), StoreError> {
        let Some(position) = self.cart(basket)?.map(|c| c.next_position) else {
            return Ok(());
        };
        let line = Line {
            store_id: f.store_id,
            store_name: f.store_name.to_owned(),
            product_name: f.product_name.to_owned(),
            price_cents: f.price_cents,
            currency: f.currency.to_owned(),
            quantity,
            position,
        };
        self.fold.lines.insert((basket, product), Some(line));
        Ok(())
    }

    fn set_quantity(&mut self, basket: Key, product: Key, quantity: i64) -> Result<(), StoreError> {
        if let Some(line) = self.line_row(basket, product)? {
            line.quantity = quantity;
        }
        Ok(())
    }

    fn delete_line(&mut self, basket: Key, product: Key) -> Result<(), StoreError> {
        if self.fold.spilled {
            self.fold.lines.insert((basket, product), None);
        } else {
            self.fold.lines.remove(&(basket, product));
        }
        Ok(())
    }

    fn touch(
        &mut self,
        basket: Key,
        (total, items, lines): Deltas,
        currency: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        if let Some(cart) = self.cart(basket)? {
            cart.total_cents += total;
            cart.item_count += items;
            cart.next_position += lines;
            if let Some(currency) = currency {
                currency.clone_into(&mut cart.currency);
            }
            cart.last_activity = at;
        }
        Ok(())
    }

    fn cancel(&mut self, basket: Key, reason: &str, at: i64) -> Result<(), StoreError> {
        if let Some(cart) = self.cart(basket)? {
            cart.status = "canceled".to_owned();
            cart.cancel_reason = Some(reason.to_owned());
            cart.last_activity = at;
        }
        Ok(())
    }

    fn check_out(&mut self, basket: Key, customer: String, at: i64) -> Result<(), StoreError> {
        if let Some(cart) = self.cart(basket)? {
            cart.status = "checked_out".to_owned();
            cart.customer_id = Some(customer);
            cart.last_activity = at;
        }
        Ok(())
    }
}
