//! [`CartRows`] and [`OrderRows`] on the fold's maps: each operation does to the held rows what
//! its SQL does to the tables.

use super::{CartRow, Fold, LineRow, OrderRow};
use crate::projections::carts::{CartRows, Deltas, LineFacts};
use crate::projections::orders::{NewOrder, OrderRows, StoreShare};
use mallbots_domain::ordering::OrderItem;
use mallbots_sync::store::StoreError;
use std::collections::BTreeMap;

impl CartRows for Fold<'_, '_> {
    fn start(
        &mut self,
        basket: &str,
        customer: Option<String>,
        device: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        self.cart(basket)?.row = Some(CartRow {
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
        });
        Ok(())
    }

    fn line(&mut self, basket: &str, product: &str) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(self
            .cart(basket)?
            .lines
            .get(product)
            .map(|l| (l.price_cents, l.quantity)))
    }

    fn update_line(
        &mut self,
        basket: &str,
        product: &str,
        quantity: i64,
        f: LineFacts<'_>,
    ) -> Result<(), StoreError> {
        if let Some(l) = self.cart(basket)?.lines.get_mut(product) {
            l.quantity = quantity;
            l.price_cents = f.price_cents;
            f.currency.clone_into(&mut l.currency);
            f.store_name.clone_into(&mut l.store_name);
            f.product_name.clone_into(&mut l.product_name);
        }
        Ok(())
    }

    fn insert_line(
        &mut self,
        basket: &str,
        product: &str,
        quantity: i64,
        f: LineFacts<'_>,
    ) -> Result<(), StoreError> {
        let cart = self.cart(basket)?;
        let Some(row) = &cart.row else {
            return Ok(());
        };
        let line = LineRow {
            store_id: f.store_id.to_owned(),
            store_name: f.store_name.to_owned(),
            product_name: f.product_name.to_owned(),
            price_cents: f.price_cents,
            currency: f.currency.to_owned(),
            quantity,
            position: row.next_position,
        };
        if cart.lines.insert(product.to_owned(), line).is_some() {
            return Err(StoreError::Projection {
                code: "projection.duplicate_line",
                message: format!("cart {basket} already has a line for {product}"),
            });
        }
        self.staged += 1;
        Ok(())
    }

    fn set_quantity(
        &mut self,
        basket: &str,
        product: &str,
        quantity: i64,
    ) -> Result<(), StoreError> {
        if let Some(l) = self.cart(basket)?.lines.get_mut(product) {
            l.quantity = quantity;
        }
        Ok(())
    }

    fn delete_line(&mut self, basket: &str, product: &str) -> Result<(), StoreError> {
        self.cart(basket)?.lines.remove(product);
        Ok(())
    }

    fn touch(
        &mut self,
        basket: &str,
        (total, items, lines): Deltas,
        currency: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        if let Some(row) = &mut self.cart(basket)?.row {
            row.total_cents += total;
            row.item_count += items;
            row.next_position += lines;
            if let Some(currency) = currency {
                currency.clone_into(&mut row.currency);
            }
            row.last_activity = at;
        }
        Ok(())
    }

    fn cancel(&mut self, basket: &str, reason: &str, at: i64) -> Result<(), StoreError> {
        if let Some(row) = &mut self.cart(basket)?.row {
            "canceled".clone_into(&mut row.status);
            row.cancel_reason = Some(reason.to_owned());
            row.last_activity = at;
        }
        Ok(())
    }

    fn check_out(&mut self, basket: &str, customer: String, at: i64) -> Result<(), StoreError> {
        if let Some(row) = &mut self.cart(basket)?.row {
            "checked_out".clone_into(&mut row.status);
            row.customer_id = Some(customer);
            row.last_activity = at;
        }
        Ok(())
    }
}

impl OrderRows for Fold<'_, '_> {
    fn create(&mut self, id: &str, o: NewOrder<'_>, items: &[OrderItem]) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(items.len());
        for (position, item) in items.iter().enumerate() {
            let product = item.product_id.to_string();
            if rows.iter().any(|(p, _)| *p == product) {
                return Err(StoreError::Projection {
                    code: "projection.duplicate_line",
                    message: format!("order {id} lists {product} twice"),
                });
            }
            rows.push((
                product,
                LineRow {
                    store_id: item.store_id.to_string(),
                    store_name: item.store_name.clone(),
                    product_name: item.product_name.clone(),
                    price_cents: item.price.cents,
                    currency: item.price.currency.as_str().to_owned(),
                    quantity: item.quantity,
                    position: position as i64,
                },
            ));
        }
        self.staged += rows.len();
        let order = self.order_entry(id)?;
        order.row = Some(OrderRow {
            customer_id: o.customer_id.to_owned(),
            device_id: o.device_id.map(str::to_owned),
            status: "pending".to_owned(),
            total_cents: o.total_cents,
            currency: o.currency.to_owned(),
            cancel_requested: false,
            reason: None,
            created_at: o.at,
            updated_at: o.at,
        });
        order.items = rows;
        Ok(())
    }

    fn created_at(&mut self, id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.order_entry(id)?.row.as_ref().map(|r| r.created_at))
    }

    fn status(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.order_entry(id)?.row.as_ref().map(|r| r.status.clone()))
    }

    fn shares(&mut self, id: &str) -> Result<Vec<StoreShare>, StoreError> {
        let mut shares: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
        for (_, l) in &self.order_entry(id)?.items {
            let share = shares.entry((&l.store_id, &l.currency)).or_default();
            share.0 += l.quantity;
            share.1 += l.price_cents * l.quantity;
        }
        Ok(shares
            .into_iter()
            .map(|((s, c), (items, total))| (s.to_owned(), c.to_owned(), items, total))
            .collect())
    }

    fn add_sales(
        &mut self,
        day: &str,
        (store, currency, items, total): StoreShare,
        orders: i64,
    ) -> Result<(), StoreError> {
        let sales = self
            .sales
            .entry((store, day.to_owned(), currency))
            .or_default();
        sales.0 += orders;
        sales.1 += items;
        sales.2 += total;
        Ok(())
    }

    fn set_status(&mut self, id: &str, status: &str, at: i64) -> Result<(), StoreError> {
        if let Some(row) = &mut self.order_entry(id)?.row {
            status.clone_into(&mut row.status);
            row.updated_at = at;
        }
        Ok(())
    }

    fn close(&mut self, id: &str, status: &str, reason: &str, at: i64) -> Result<(), StoreError> {
        if let Some(row) = &mut self.order_entry(id)?.row {
            status.clone_into(&mut row.status);
            row.reason = Some(reason.to_owned());
            row.cancel_requested = false;
            row.updated_at = at;
        }
        Ok(())
    }

    fn cancel_requested(
        &mut self,
        id: &str,
        requested: bool,
        reason: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        if let Some(row) = &mut self.order_entry(id)?.row {
            row.cancel_requested = requested;
            row.reason = Some(reason.to_owned());
            row.updated_at = at;
        }
        Ok(())
    }
}
