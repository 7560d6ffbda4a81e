//! Full read-model rebuild: truncate every read-model table, stream the log with the store's
//! zero-copy `scan` and re-project each event (P6, and after a rebase).
//!
//! It runs in one transaction, so readers see either the old or the new read models.

use mallbots_sync::store::sqlite::scan::scan;
use mallbots_sync::store::{Durability, SqliteStore, StoreError, Upcasters};
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
];

/// Events read per scan page.
const PAGE: usize = 4096;

/// Truncates the read models and re-projects the log inside `tx`; returns the events projected.
pub fn rebuild_in(tx: &Transaction<'_>, upcasters: &Upcasters) -> Result<u64, StoreError> {
    for table in READ_MODEL_TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut after = 0;
    let mut count = 0u64;
    loop {
        let mut page = 0usize;
        let last = scan(tx, upcasters, after, PAGE, |event| {
            page += 1;
            super::project_raw(tx, event)
        })?;
        count += page as u64;
        if page < PAGE {
            return Ok(count);
        }
        after = last;
    }
}

/// [`rebuild_in`] in its own transaction on the writer's connection.
pub fn rebuild(store: &mut SqliteStore) -> Result<u64, StoreError> {
    let upcasters = store.upcasters_arc();
    store.transaction(Durability::Normal, |tx| rebuild_in(tx, &upcasters))
}
