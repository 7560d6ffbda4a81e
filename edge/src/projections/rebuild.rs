//! Full read-model rebuild: truncate every read-model table, stream the log with the store's
//! zero-copy `scan` and re-project each event through the same decisions the live path runs
//! (P6, and after a rebase), decoded by a thread of its own ([`super::decode_ahead`]); carts,
//! orders and order lines are folded in memory and written once at the end ([`super::fold`]).
//!
//! It runs in one transaction, so readers see either the old or the new read models.

use super::decode_ahead::with_decoder;
use super::fold::{Fold, SPILL_ROWS};
use super::Decoded;
use mallbots_sync::store::sqlite::read;
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
    "rm_order_lines",
    "rm_order_line_history",
];

/// Events read per scan page.
const PAGE: usize = 4096;

/// Truncates the read models and re-projects the log inside `tx`; returns the events projected.
pub fn rebuild_in(tx: &Transaction<'_>, upcasters: &Upcasters) -> Result<u64, StoreError> {
    rebuild_paging(tx, upcasters, (PAGE, SPILL_ROWS), &|_| {})
}

/// [`rebuild_in`], telling `progress` the number of events scanned so far after each page.
pub fn rebuild_in_reporting(
    tx: &Transaction<'_>,
    upcasters: &Upcasters,
    progress: &dyn Fn(u64),
) -> Result<u64, StoreError> {
    rebuild_paging(tx, upcasters, (PAGE, SPILL_ROWS), progress)
}

/// [`rebuild_in`] scanning `page_size` events at a time and holding up to `spill_rows` rows in
/// memory (small pages and spills exercise the paging and the read-back in tests).
fn rebuild_paging(
    tx: &Transaction<'_>,
    upcasters: &Upcasters,
    (page_size, spill_rows): (usize, usize),
    progress: &dyn Fn(u64),
) -> Result<u64, StoreError> {
    for table in READ_MODEL_TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    // The rebuild touches every read-model page: hold them all (64 MiB at most) rather than
    // spill mid-transaction; the connection's own size comes back after, success or not.
    let cache: i64 = tx.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    tx.execute_batch("PRAGMA cache_size = -65536")?;
    let n = Fold::new(tx, spill_rows).and_then(|mut fold| {
        let n = scan_folding(tx, upcasters, page_size, progress, &mut fold)?;
        fold.write(tx)?;
        Ok(n)
    });
    tx.execute_batch(&format!("PRAGMA cache_size = {cache}"))?;
    n
}

/// Scans the whole log into `fold`, `page_size` events per page; returns the events scanned.
fn scan_folding(
    tx: &Transaction<'_>,
    upcasters: &Upcasters,
    page_size: usize,
    progress: &dyn Fn(u64),
    fold: &mut Fold,
) -> Result<u64, StoreError> {
    let mut project = |events: &[Decoded]| -> Result<(), StoreError> {
        events.iter().try_for_each(|event| fold.apply(tx, event))
    };
    with_decoder(upcasters, |mut ahead| {
        let mut after = 0;
        let mut count = 0u64;
        loop {
            let mut page = 0usize;
            let last = scan(tx, upcasters, after, page_size, |event| {
                page += 1;
                ahead.push(event, &mut project)
            })?;
            count += page as u64;
            progress(count);
            if page < page_size {
                ahead.finish(&mut project)?;
                return Ok(count);
            }
            after = last;
        }
    })
}

/// The read-model rows that belong to one aggregate alone, by stream type: (table, key column).
/// Orders are not here: they also add to the shared daily sales.
const AGGREGATE_ROWS: &[(&str, &[(&str, &str)])] = &[
    ("store", &[("rm_stores", "store_id")]),
    ("product", &[("rm_products", "product_id")]),
    ("customer", &[("rm_customers", "customer_id")]),
    (
        "basket",
        &[("rm_cart_lines", "basket_id"), ("rm_carts", "basket_id")],
    ),
];

/// Re-projects one aggregate (after a rebase superseded its pending events): deletes its rows
/// and projects its events again, superseded ones skipped, inside `tx`. A few rows, whatever
/// the log's size, so a rebase does not hold the writer for a whole rebuild. `false` (nothing
/// done) for a stream type whose events reach rows shared with other aggregates: the caller
/// rebuilds instead ([`rebuild_in`]).
pub fn refold_stream(
    tx: &Transaction<'_>,
    upcasters: &Upcasters,
    stream_type: &str,
    stream_id: &str,
) -> Result<bool, StoreError> {
    let Some((_, tables)) = AGGREGATE_ROWS.iter().find(|(t, _)| *t == stream_type) else {
        return Ok(false);
    };
    for (table, key) in *tables {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE {key} = ?1"))?
            .execute([stream_id])?;
    }
    for event in read::load_stream(tx, upcasters, stream_type, stream_id, 1)? {
        super::project(tx, &event)?;
    }
    Ok(true)
}

/// [`rebuild_in`] in its own transaction on the writer's connection.
pub fn rebuild(store: &mut SqliteStore) -> Result<u64, StoreError> {
    let upcasters = store.upcasters_arc();
    store.transaction(Durability::Normal, |tx| rebuild_in(tx, &upcasters))
}

#[cfg(test)]
mod tests {
    use super::rebuild_paging;
    use crate::{Edge, EdgeConfig, NewProduct};
    use mallbots_sync::store::Durability;

    /// Carts with adds, a removal down to nothing and a partial one, a canceled cart, checkouts
    /// and a cancellation request, rebuilt scanning pages of 1, 2, 7 and 4096 events and
    /// spilling the in-memory fold after 1, 3, 40 rows or never: the same read models as live.
    #[test]
    fn a_rebuild_in_any_page_size_equals_the_live_read_models() {
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
        deliver_central_answers(&edge, order, carts[4].cart_id.into());
        let live = edge.dump_read_models().unwrap();
        for (page, spill) in [(1, 1), (2, 3), (7, 40), (4096, 1), (4096, usize::MAX)] {
            let (n, reported) = edge
                .with_writer(move |store, _| {
                    let upcasters = store.upcasters_arc();
                    let seen = std::sync::Mutex::new(Vec::new());
                    let n = store.transaction(Durability::Normal, |tx| {
                        rebuild_paging(tx, &upcasters, (page, spill), &|done| {
                            seen.lock().unwrap().push(done)
                        })
                    })?;
                    Ok((n, seen.into_inner().unwrap()))
                })
                .unwrap();
            assert!(n > 30, "{n} events");
            assert_eq!(
                edge.dump_read_models().unwrap(),
                live,
                "page {page}, spill {spill}"
            );
            // Progress after every page, rising to the total.
            assert_eq!(reported.last(), Some(&n), "page {page}");
            assert!(reported.windows(2).all(|w| w[0] <= w[1]), "page {page}");
            assert_eq!(reported.len() as u64, n / page as u64 + 1, "page {page}");
        }
    }

    /// Central's answers as the inbox receives them: `canceled` is granted its cancellation,
    /// `rejected` is approved, then rejected; each gets two order lines (in progress, then an
    /// older approved one arriving late).
    fn deliver_central_answers(
        edge: &Edge,
        canceled: mallbots_domain::OrderId,
        rejected: mallbots_domain::OrderId,
    ) {
        use mallbots_domain::ordering::{CancelledBy, OrderEvent, OrderLineEvent, OrderStatus};
        use mallbots_domain::Timestamp;
        let at = edge.now().0;
        let answers = [
            OrderEvent::OrderCanceled {
                order_id: canceled,
                reason: "changed my mind".into(),
                by: CancelledBy::Customer,
                at: Timestamp::from_millis(at + 1),
            },
            OrderEvent::OrderApproved {
                order_id: rejected,
                at: Timestamp::from_millis(at + 2),
            },
            OrderEvent::OrderRejected {
                order_id: rejected,
                reason: "card declined".into(),
                at: Timestamp::from_millis(at + 3),
            },
        ];
        for (seq, event) in (1..).zip(&answers) {
            let order = event.order_id();
            let subject = format!("mallbots.ev.order.k1.{order}");
            let msg = crate::central_message(&subject, seq, "order", &order.to_string(), at, event);
            edge.deliver(msg.unwrap()).unwrap();
        }
        for order in [canceled, rejected] {
            let items = edge.order(order).unwrap().items;
            let store = items[0].store_id;
            for (seq, status) in [(30, OrderStatus::InProgress), (20, OrderStatus::Approved)] {
                let event = OrderLineEvent::OrderLineUpdated {
                    order_id: order,
                    store_id: store,
                    device: "k1".into(),
                    status,
                    items: Vec::new(),
                    order_seq: seq,
                    at: Timestamp::from_millis(at + seq as i64),
                    placed_at: None,
                    payment: None,
                    invoice: None,
                    phone_last4: Some("4477".into()),
                };
                let subject = format!("mallbots.ev.store.{store}.orderline.{order}");
                let id = order.to_string();
                let msg = crate::central_message(&subject, seq, "orderline", &id, at, &event);
                edge.deliver(msg.unwrap()).unwrap();
            }
        }
        assert_eq!(edge.order(canceled).unwrap().status, "canceled");
        assert_eq!(edge.order(rejected).unwrap().status, "rejected");
        let dump = edge.dump_read_models().unwrap();
        let rows = |table: &str| dump.iter().find(|(t, _)| t == table).unwrap().1.len();
        assert_eq!(rows("rm_order_lines"), 2);
        assert_eq!(rows("rm_order_line_history"), 4);
    }

    /// An edge with one participating store selling one product (250 cents).
    fn one_product_shop(
        dir: &std::path::Path,
    ) -> (Edge, crate::StoreView, mallbots_domain::ProductId) {
        let edge = Edge::open(dir.join("edge.db"), EdgeConfig::default()).unwrap();
        let store = edge.create_store("S", "L1").unwrap();
        edge.set_participation(store.store_id, true).unwrap();
        let product = edge
            .add_product(NewProduct {
                store_id: store.store_id,
                sku: "SKU".into(),
                name: "Tea".into(),
                description: String::new(),
                price_cents: 250,
            })
            .unwrap()
            .product_id;
        (edge, store, product)
    }

    /// A payload nobody can decode, in the middle of a log of several decode batches: the
    /// rebuild stops with `projection.undecodable`, naming the event, and its transaction
    /// leaves the read models as they were (the decoder thread ends with it: no hang). The
    /// payload is damaged by SQL on purpose: no command of the product writes one.
    #[test]
    fn an_undecodable_event_mid_log_fails_the_rebuild_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (edge, _, product) = one_product_shop(dir.path());
        let cart = edge.start_cart(None).unwrap().cart_id;
        for _ in 0..700 {
            edge.add_item(cart, product, 1).unwrap();
        }
        let before = edge.dump_read_models().unwrap();
        edge.with_writer(|store, _| {
            Ok(store.transaction(Durability::Normal, |tx| {
                tx.execute(
                    "UPDATE events SET payload = '{\"type\":\"BasketItemAdded\"}'
                     WHERE global_pos = (SELECT global_pos FROM events
                                         WHERE event_type = 'BasketItemAdded'
                                         ORDER BY global_pos LIMIT 1 OFFSET 400)",
                    [],
                )?;
                Ok(())
            })?)
        })
        .unwrap();
        let err = edge.rebuild_read_models().unwrap_err().to_string();
        assert!(err.contains("BasketItemAdded"), "{err}");
        assert_eq!(edge.dump_read_models().unwrap(), before);
    }

    /// A rebase of one product, of one store and of one cart re-projects that aggregate only:
    /// the read models then equal a full rebuild's (the superseded events left out of both).
    #[test]
    fn refolding_one_aggregate_equals_a_full_rebuild() {
        use super::{rebuild_in, refold_stream};
        use mallbots_sync::store::sqlite::write;
        let dir = tempfile::tempdir().unwrap();
        let (edge, store, product) = one_product_shop(dir.path());
        edge.reprice_product(product, 300).unwrap();
        let cart = edge.start_cart(None).unwrap().cart_id;
        edge.add_item(cart, product, 2).unwrap();
        let streams = [
            ("product", product.to_string()),
            ("store", store.store_id.to_string()),
            ("basket", cart.to_string()),
        ];
        for (kind, id) in streams {
            let before = edge.dump_read_models().unwrap();
            let refolded = edge
                .with_writer(move |store, _| {
                    let upcasters = store.upcasters_arc();
                    Ok(store.transaction(Durability::Normal, |tx| {
                        write::supersede_pending(tx, kind, &id)?;
                        refold_stream(tx, &upcasters, kind, &id)
                    })?)
                })
                .unwrap();
            assert!(refolded, "{kind} rows are its own");
            let after_refold = edge.dump_read_models().unwrap();
            assert_ne!(
                after_refold, before,
                "{kind}: its superseded events are gone"
            );
            edge.with_writer(|store, _| {
                let upcasters = store.upcasters_arc();
                Ok(store.transaction(Durability::Normal, |tx| rebuild_in(tx, &upcasters))?)
            })
            .unwrap();
            assert_eq!(edge.dump_read_models().unwrap(), after_refold, "{kind}");
        }
        let orders = edge
            .with_writer(|store, _| {
                let upcasters = store.upcasters_arc();
                Ok(store.transaction(Durability::Normal, |tx| {
                    refold_stream(tx, &upcasters, "order", "x")
                })?)
            })
            .unwrap();
        assert!(!orders, "orders share the daily sales: a full rebuild");
    }
}
