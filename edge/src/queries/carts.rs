//! Cart and customer queries.

use super::catalog::{id, line_row};
use crate::error::EdgeError;
use crate::views::{CartView, CustomerView};
use crate::Edge;
use mallbots_domain::{BasketId, CustomerId, ProductId};
use rusqlite::{Connection, OptionalExtension};

fn unavailable(conn: &Connection, cart: BasketId) -> Result<Vec<ProductId>, EdgeError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.product_id FROM rm_cart_lines l
         JOIN rm_carts c ON c.basket_id = l.basket_id AND c.status = 'open'
         LEFT JOIN rm_products p ON p.product_id = l.product_id
         LEFT JOIN rm_stores s ON s.store_id = l.store_id
         WHERE l.basket_id = ?1
           AND (p.product_id IS NULL OR p.removed = 1
                OR s.store_id IS NULL OR s.removed = 1 OR s.participating = 0)
         ORDER BY l.position",
    )?;
    let ids = stmt
        .query_map([cart.to_string()], |r| id(r, 0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

impl Edge {
    /// One cart with its lines and total; `not_found` if unknown here.
    pub fn cart(&self, cart: BasketId) -> Result<CartView, EdgeError> {
        self.read(|r| {
            let conn = r.connection();
            let mut view = conn
                .prepare_cached(
                    "SELECT basket_id, customer_id, device_id, status, cancel_reason,
                     total_cents, currency, item_count, last_activity
                     FROM rm_carts WHERE basket_id = ?1",
                )?
                .query_row([cart.to_string()], |r| {
                    let customer: Option<String> = r.get(1)?;
                    Ok(CartView {
                        cart_id: id(r, 0)?,
                        customer_id: customer.and_then(|c| c.parse().ok()),
                        device_id: r.get(2)?,
                        status: r.get(3)?,
                        cancel_reason: r.get(4)?,
                        total_cents: r.get(5)?,
                        currency: r.get(6)?,
                        item_count: r.get(7)?,
                        last_activity_at: r.get(8)?,
                        lines: Vec::new(),
                        unavailable: Vec::new(),
                    })
                })
                .optional()?
                .ok_or_else(|| EdgeError::not_found("cart", cart))?;
            let mut stmt = conn.prepare_cached(
                "SELECT product_id, store_id, store_name, product_name, price_cents, quantity
                 FROM rm_cart_lines WHERE basket_id = ?1 ORDER BY position",
            )?;
            view.lines = stmt
                .query_map([cart.to_string()], line_row)?
                .collect::<Result<_, _>>()?;
            view.unavailable = unavailable(r.connection(), cart)?;
            Ok(view)
        })
    }

    /// Products of an open cart this device's catalog no longer sells: removed, or their store
    /// removed or out of kiosk ordering (a manager's edit synced while the cart was open).
    /// Empty for a closed or unknown cart.
    pub fn unavailable_items(&self, cart: BasketId) -> Result<Vec<ProductId>, EdgeError> {
        self.read(|r| unavailable(r.connection(), cart))
    }

    /// One customer registered here; `not_found` if unknown.
    pub fn customer(&self, customer: CustomerId) -> Result<CustomerView, EdgeError> {
        self.read(|r| {
            r.connection()
                .prepare_cached(
                    "SELECT customer_id, name, sms_number, enabled FROM rm_customers
                     WHERE customer_id = ?1",
                )?
                .query_row([customer.to_string()], |r| {
                    Ok(CustomerView {
                        customer_id: id(r, 0)?,
                        name: r.get(1)?,
                        sms_number: r.get(2)?,
                        enabled: r.get(3)?,
                    })
                })
                .optional()?
                .ok_or_else(|| EdgeError::not_found("customer", customer))
        })
    }
}
