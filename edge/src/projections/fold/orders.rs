//! Orders, their items and the daily sales in memory, for a rebuild
//! ([`super::super::orders::OrderRows`]).

use super::super::orders::{add_sales_row, NewOrder, OrderRows, SqlOrders, StoreShare};
use super::super::Key;
use super::held_or_loaded;
use crate::calendar::Calendar;
use mallbots_domain::ordering::OrderItem;
use mallbots_sync::store::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::HashMap;

/// An `rm_orders` row without its key.
#[derive(Debug)]
struct Order {
    customer_id: String,
    device_id: Option<String>,
    status: String,
    total_cents: i64,
    currency: String,
    cancel_requested: bool,
    reason: Option<String>,
    created_at: i64,
    updated_at: i64,
    pickup_code: Option<String>,
}

/// An `rm_order_items` row without its order (its position is its index).
#[derive(Debug)]
struct Item {
    product_id: Key,
    store_id: Key,
    store_name: String,
    product_name: String,
    price_cents: i64,
    currency: String,
    quantity: i64,
}

/// (store, day, currency) of a daily sales row.
type SalesKey = (String, String, String);

/// The order rows a rebuild holds. An order's `None` is known not to exist (read back after a
/// spill); its items, once held, replace what the database holds; sales are held as what to
/// add to the database's rows.
pub(super) struct OrderFold {
    orders: HashMap<Key, Option<Order>>,
    items: HashMap<Key, Vec<Item>>,
    item_rows: usize,
    sales: HashMap<SalesKey, (i64, i64, i64)>,
    calendar: Calendar,
    spilled: bool,
}

/// The fold with the transaction it reads spilled rows back from.
pub(super) struct OrdersOn<'f, 't, 'c> {
    fold: &'f mut OrderFold,
    tx: &'t Transaction<'c>,
}

impl OrderFold {
    pub fn new(calendar: Calendar) -> Self {
        Self {
            orders: HashMap::new(),
            items: HashMap::new(),
            item_rows: 0,
            sales: HashMap::new(),
            calendar,
            spilled: false,
        }
    }

    pub fn on<'f, 't, 'c>(&'f mut self, tx: &'t Transaction<'c>) -> OrdersOn<'f, 't, 'c> {
        OrdersOn { fold: self, tx }
    }

    pub fn rows(&self) -> usize {
        self.orders.len() + self.item_rows + self.sales.len()
    }

    /// Writes the rows held, in key order, and empties the fold.
    pub fn write(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        let mut orders: Vec<_> = self.orders.drain().collect();
        orders.sort_unstable_by_key(|(key, _)| *key);
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO rm_orders (order_id, customer_id, device_id, status,
             total_cents, currency, cancel_requested, reason, created_at, updated_at,
             pickup_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for (key, order) in orders {
            let Some(o) = order else { continue };
            insert.execute(params![
                key.as_str(),
                o.customer_id,
                o.device_id,
                o.status,
                o.total_cents,
                o.currency,
                o.cancel_requested,
                o.reason,
                o.created_at,
                o.updated_at,
                o.pickup_code
            ])?;
        }
        self.write_items(tx)?;
        let mut sales: Vec<_> = self.sales.drain().collect();
        sales.sort_unstable();
        for ((store, day, currency), (orders, items, total)) in sales {
            add_sales_row(tx, &day, (store, currency, items, total), orders)?;
        }
        self.spilled = true;
        Ok(())
    }

    fn write_items(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        let mut items: Vec<_> = self.items.drain().collect();
        items.sort_unstable_by_key(|(key, _)| *key);
        self.item_rows = 0;
        let mut delete = tx.prepare_cached("DELETE FROM rm_order_items WHERE order_id = ?1")?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO rm_order_items (order_id, product_id, store_id, store_name,
             product_name, price_cents, currency, quantity, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for (order, rows) in items {
            if self.spilled {
                delete.execute([order.as_str()])?;
            }
            for (position, item) in rows.iter().enumerate() {
                insert.execute(params![
                    order.as_str(),
                    item.product_id.as_str(),
                    item.store_id.as_str(),
                    item.store_name,
                    item.product_name,
                    item.price_cents,
                    item.currency,
                    item.quantity,
                    position as i64
                ])?;
            }
        }
        Ok(())
    }
}

fn load_order(tx: &Transaction<'_>, id: Key) -> Result<Option<Order>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT customer_id, device_id, status, total_cents, currency, cancel_requested,
             reason, created_at, updated_at, pickup_code FROM rm_orders WHERE order_id = ?1",
        )?
        .query_row([id.as_str()], |r| {
            Ok(Order {
                customer_id: r.get(0)?,
                device_id: r.get(1)?,
                status: r.get(2)?,
                total_cents: r.get(3)?,
                currency: r.get(4)?,
                cancel_requested: r.get(5)?,
                reason: r.get(6)?,
                created_at: r.get(7)?,
                updated_at: r.get(8)?,
                pickup_code: r.get(9)?,
            })
        })
        .optional()?)
}

impl OrdersOn<'_, '_, '_> {
    /// The order row, read back from the database if the fold spilled and does not hold it.
    fn order(&mut self, id: Key) -> Result<Option<&mut Order>, StoreError> {
        let tx = self.tx;
        held_or_loaded(&mut self.fold.orders, id, self.fold.spilled, || {
            load_order(tx, id)
        })
    }
}

impl OrderRows for OrdersOn<'_, '_, '_> {
    fn create(&mut self, id: Key, o: NewOrder<'_>, items: &[OrderItem]) -> Result<(), StoreError> {
        let order = Order {
            customer_id: o.customer_id.to_owned(),
            device_id: o.device_id.map(str::to_owned),
            status: "pending".to_owned(),
            total_cents: o.total_cents,
            currency: o.currency.to_owned(),
            cancel_requested: false,
            reason: None,
            created_at: o.at,
            updated_at: o.at,
            pickup_code: o.pickup_code.map(str::to_owned),
        };
        self.fold.orders.insert(id, Some(order));
        let rows: Vec<Item> = items
            .iter()
            .map(|item| Item {
                product_id: Key::of(item.product_id.0),
                store_id: Key::of(item.store_id.0),
                store_name: item.store_name.clone(),
                product_name: item.product_name.clone(),
                price_cents: item.price.cents,
                currency: item.price.currency.as_str().to_owned(),
                quantity: item.quantity,
            })
            .collect();
        self.fold.item_rows += rows.len();
        if let Some(old) = self.fold.items.insert(id, rows) {
            self.fold.item_rows -= old.len();
        }
        Ok(())
    }

    fn created_at(&mut self, id: Key) -> Result<Option<i64>, StoreError> {
        Ok(self.order(id)?.map(|o| o.created_at))
    }

    fn status_of(&mut self, id: Key) -> Result<Option<String>, StoreError> {
        Ok(self.order(id)?.map(|o| o.status.clone()))
    }

    fn shares(&mut self, id: Key) -> Result<Vec<StoreShare>, StoreError> {
        let Some(items) = self.fold.items.get(&id) else {
            return if self.fold.spilled {
                SqlOrders(self.tx).shares(id)
            } else {
                Ok(Vec::new())
            };
        };
        let mut shares: Vec<StoreShare> = Vec::new();
        for item in items {
            let (store, currency) = (item.store_id.as_str(), item.currency.as_str());
            let total = item.price_cents * item.quantity;
            match shares.iter_mut().find(|s| s.0 == store && s.1 == currency) {
                Some(share) => {
                    share.2 += item.quantity;
                    share.3 += total;
                }
                None => shares.push((store.to_owned(), currency.to_owned(), item.quantity, total)),
            }
        }
        Ok(shares)
    }

    fn day(&mut self, at: i64) -> Result<String, StoreError> {
        Ok(self.fold.calendar.day(at))
    }

    fn add_sales(
        &mut self,
        day: &str,
        (store, currency, items, total): StoreShare,
        orders: i64,
    ) -> Result<(), StoreError> {
        let sums = self
            .fold
            .sales
            .entry((store, day.to_owned(), currency))
            .or_default();
        sums.0 += orders;
        sums.1 += items;
        sums.2 += total;
        Ok(())
    }

    fn set_status(&mut self, id: Key, status: &str, at: i64) -> Result<(), StoreError> {
        if let Some(order) = self.order(id)? {
            status.clone_into(&mut order.status);
            order.updated_at = at;
        }
        Ok(())
    }

    fn set_closed(
        &mut self,
        id: Key,
        status: &str,
        reason: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        if let Some(order) = self.order(id)? {
            status.clone_into(&mut order.status);
            order.reason = Some(reason.to_owned());
            order.cancel_requested = false;
            order.updated_at = at;
        }
        Ok(())
    }

    fn cancel_requested(
        &mut self,
        id: Key,
        requested: bool,
        reason: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        if let Some(order) = self.order(id)? {
            order.cancel_requested = requested;
            order.reason = Some(reason.to_owned());
            order.updated_at = at;
        }
        Ok(())
    }
}
