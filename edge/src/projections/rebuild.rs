//! Full read-model rebuild: truncate every read-model table, stream the log with the store's
//! zero-copy `scan` and re-project each event (P6, and after a rebase); carts and orders through
//! an in-memory fold that writes each final row once.
//!
//! It runs in one transaction, so readers see either the old or the new read models.

use super::fold::{Fold, MAX_STAGED};
use mallbots_sync::store::sqlite::scan::scan;
use mallbots_sync::store::{Compatibility, Durability, SqliteStore, StoreError, Upcasters};
use rusqlite::Transaction;

/// Every table [`rebuild`] truncates, in dependency-free order.
pub const READ_MODEL_TABLES: &[&str] = &[
    "rm_stores",
    "rm_products",
    "rm_customers",
    "rm_carts",
    "rm_cart_lines",
    "rm_orders",
    "rm_order_items",
    "rm_sales_daily",
    "rm_order_lines",
    "rm_order_line_history",
];

/// Events read per scan page.
const PAGE: usize = 4096;

/// Truncates the read models and re-projects the log inside `tx`; returns the events projected.
/// Carts and orders are folded in memory and written once per row (see [`super::fold`]).
pub fn rebuild_in(tx: &Transaction<'_>, upcasters: &Upcasters) -> Result<u64, StoreError> {
    rebuild_holding(tx, upcasters, MAX_STAGED, PAGE)
}

/// [`rebuild_in`] flushing the fold once it holds more than `limit` rows, scanning `page`
/// events at a time (small values exercise the flush in tests).
fn rebuild_holding(
    tx: &Transaction<'_>,
    upcasters: &Upcasters,
    limit: usize,
    page_size: usize,
) -> Result<u64, StoreError> {
    for table in READ_MODEL_TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut fold = Fold::new(tx, limit);
    let mut after = 0;
    let mut count = 0u64;
    loop {
        let mut page = 0usize;
        let last = scan(tx, upcasters, after, page_size, |event| {
            page += 1;
            let current = upcasters.classify(event.event_type, event.schema_version)
                == Compatibility::Current;
            super::project_rebuild(tx, &mut fold, event, current)
        })?;
        count += page as u64;
        if page < page_size {
            fold.flush()?;
            return Ok(count);
        }
        fold.maybe_flush()?;
        after = last;
    }
}

/// [`rebuild_in`] in its own transaction on the writer's connection.
pub fn rebuild(store: &mut SqliteStore) -> Result<u64, StoreError> {
    let upcasters = store.upcasters_arc();
    store.transaction(Durability::Normal, |tx| rebuild_in(tx, &upcasters))
}

#[cfg(test)]
mod tests {
    use super::rebuild_holding;
    use crate::{Edge, EdgeConfig, NewProduct};
    use mallbots_sync::store::Durability;

    /// Carts with adds, a removal down to nothing and a partial one, a canceled cart, checkouts
    /// and a cancellation request, rebuilt with the fold flushing every few rows (so carts and
    /// orders are loaded back from the tables mid-stream): the same read models as live.
    #[test]
    fn a_rebuild_that_flushes_often_equals_the_live_read_models() {
        let dir = tempfile::tempdir().unwrap();
        let edge = Edge::open(dir.path().join("edge.db"), EdgeConfig::default()).unwrap();
        let store = edge.create_store("S", "L1").unwrap();
        edge.set_participation(store.store_id, true).unwrap();
        let products: Vec<_> = (0..4)
            .map(|i| {
                edge.add_product(NewProduct {
                    store_id: store.store_id,
                    sku: format!("SKU-{i}"),
                    name: format!("P{i}"),
                    description: String::new(),
                    price_cents: 100 + i,
                })
                .unwrap()
                .product_id
            })
            .collect();
        let customer = edge.register_customer("Ada", "+15550100").unwrap();
        let carts: Vec<_> = (0..5).map(|_| edge.start_cart(None).unwrap()).collect();
        for round in 0..3 {
            for (c, cart) in carts.iter().enumerate() {
                let product = products[(c + round) % products.len()];
                edge.add_item(cart.cart_id, product, 1 + round as i64)
                    .unwrap();
            }
        }
        edge.remove_item(carts[0].cart_id, products[0], 1).unwrap();
        edge.remove_item(carts[1].cart_id, products[1], 1).unwrap();
        edge.cancel_cart(carts[2].cart_id).unwrap();
        for cart in &carts[3..] {
            edge.checkout(cart.cart_id, "tok", Some(customer.customer_id))
                .unwrap();
        }
        let order = mallbots_domain::OrderId::from(carts[3].cart_id);
        edge.request_order_cancellation(order, "changed my mind")
            .unwrap();
        let live = edge.dump_read_models().unwrap();
        for (limit, page) in [(1, 1), (3, 2), (10, 7)] {
            let n = edge
                .with_writer(move |store, _| {
                    let upcasters = store.upcasters_arc();
                    Ok(store.transaction(Durability::Normal, |tx| {
                        rebuild_holding(tx, &upcasters, limit, page)
                    })?)
                })
                .unwrap();
            assert!(n > 30, "{n} events");
            assert_eq!(edge.dump_read_models().unwrap(), live, "limit {limit}");
        }
    }
}
