//! Manager use cases against a real SQLite file: stores, products, CSV import, orders of a
//! store, sales per day (including central's cancel arriving through the projection), rebuild.

mod common;

use common::*;
use mallbots_domain::{ProductId, StoreId};
use mallbots_edge::EdgeError;
use serde_json::json;

fn code<T: std::fmt::Debug>(result: Result<T, EdgeError>) -> &'static str {
    result.unwrap_err().code()
}

fn event_types(f: &Fixture, stream_type: &str) -> Vec<String> {
    let db = conn(f);
    let mut stmt = db
        .prepare("SELECT event_type FROM events WHERE stream_type = ?1 ORDER BY global_pos")
        .unwrap();
    let rows = stmt.query_map([stream_type], |r| r.get(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn store_lifecycle_and_rejections() {
    let f = open();
    let store = f.edge.create_store("Corner", "Level 1").unwrap();
    assert!(!store.participating && !store.automated_shopping);
    let id = store.store_id;
    assert_eq!(
        f.edge.rebrand_store(id, "Corner Deli").unwrap().name,
        "Corner Deli"
    );
    assert!(f.edge.set_participation(id, true).unwrap().participating);
    assert_eq!(
        code(f.edge.set_participation(id, true)),
        "store.already_participating"
    );
    assert!(
        f.edge
            .set_automated_shopping(id, true)
            .unwrap()
            .automated_shopping
    );
    assert_eq!(
        code(f.edge.set_automated_shopping(id, true)),
        "store.automated_shopping_already_enabled"
    );
    assert!(!f.edge.set_participation(id, false).unwrap().participating);
    assert_eq!(f.edge.store(id).unwrap().name, "Corner Deli");
    assert_eq!(code(f.edge.create_store(" ", "x")), "store.name_blank");
    assert_eq!(
        code(f.edge.rebrand_store(StoreId::nil(), "x")),
        "store.not_found"
    );
    assert!(f.edge.remove_store(id).unwrap().removed);
    assert!(f.edge.stores().unwrap().is_empty());
    assert_eq!(code(f.edge.rebrand_store(id, "Again")), "store.removed");
    let subject: String = conn(&f)
        .query_row("SELECT DISTINCT subject FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(subject, format!("test.mallbots.ev.catalog.{id}.store.{id}"));
    assert_eq!(
        count(
            &conn(&f),
            "SELECT count(*) FROM commands WHERE stream_type = 'store'"
        ),
        6
    );
}

#[test]
fn products_add_rebrand_reprice_remove() {
    let f = open();
    let (store, a, b) = shop(&f.edge);
    assert_eq!(a.product_id, ProductId::for_sku(store.store_id, "A-1"));
    assert_eq!(
        code(f.edge.add_product(product(&store, "A-1", "Dup", 1))),
        "product.sku_taken"
    );
    assert_eq!(
        code(f.edge.add_product(product(&store, "Z", "Neg", -1))),
        "product.price_negative"
    );
    let ghost = mallbots_edge::StoreView {
        store_id: StoreId::nil(),
        ..store.clone()
    };
    assert_eq!(
        code(f.edge.add_product(product(&ghost, "Z", "Z", 1))),
        "product.store_not_found"
    );
    assert_eq!(
        f.edge
            .reprice_product(a.product_id, 275)
            .unwrap()
            .price_cents,
        275
    );
    assert_eq!(
        f.edge
            .reprice_product(a.product_id, 200)
            .unwrap()
            .price_cents,
        200
    );
    assert_eq!(
        code(f.edge.reprice_product(a.product_id, 200)),
        "product.price_unchanged"
    );
    let renamed = f
        .edge
        .rebrand_product(b.product_id, "Sourdough", "fresh")
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.description.as_str()),
        ("Sourdough", "fresh")
    );
    assert_eq!(f.edge.products(None, Some("SOUR")).unwrap(), vec![renamed]);
    assert_eq!(f.edge.products(None, Some("juice")).unwrap().len(), 1);
    f.edge.remove_product(a.product_id).unwrap();
    assert_eq!(code(f.edge.remove_product(a.product_id)), "product.removed");
    assert_eq!(
        code(f.edge.reprice_product(ProductId::nil(), 1)),
        "not_found"
    );
    assert_eq!(
        f.edge.products(Some(store.store_id), None).unwrap().len(),
        1
    );
    assert_eq!(
        event_types(&f, "product"),
        [
            "ProductAdded",
            "ProductAdded",
            "ProductPriceIncreased",
            "ProductPriceDecreased",
            "ProductRebranded",
            "ProductRemoved"
        ]
    );
    let subject: String = conn(&f)
        .query_row(
            "SELECT subject FROM outbox WHERE stream_id = ?1 LIMIT 1",
            [b.product_id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        subject,
        format!(
            "test.mallbots.ev.catalog.{}.product.{}",
            store.store_id, b.product_id
        )
    );
}

#[test]
fn catalog_hides_non_participating_stores_for_kiosks() {
    let f = open();
    let (store, _, _) = shop(&f.edge);
    let other = f.edge.create_store("Other", "Level 3").unwrap();
    f.edge
        .add_product(product(&other, "O", "Orange", 90))
        .unwrap();
    let kiosk = f.edge.catalog(None, true).unwrap();
    assert_eq!(kiosk.stores.len(), 1);
    assert!(kiosk.products.iter().all(|p| p.store_id == store.store_id));
    let manager = f.edge.catalog(Some("ORANGE"), false).unwrap();
    assert_eq!(manager.products.len(), 1);
}

#[test]
fn csv_import_keeps_good_rows_and_reports_bad_lines() {
    let f = open();
    let (store, _, _) = shop(&f.edge);
    let csv = "sku,name,description,price\n\
               C-1,Cheese,aged,12.99\n\
               C-2,Milk,,0.5\n\
               A-1,Duplicate,,1.00\n\
               C-3,Bad price,,12.999\n\
               C-4, ,blank name,1\n\
               C-5,Too,many,1,fields\n\
               C-6,Eggs,dozen,3\n";
    let report = f
        .edge
        .import_products_csv(store.store_id, csv.as_bytes())
        .unwrap();
    let prices: Vec<(String, i64)> = report
        .imported
        .iter()
        .map(|p| (p.sku.clone(), p.price_cents))
        .collect();
    assert_eq!(
        prices,
        [
            ("C-1".into(), 1299),
            ("C-2".into(), 50),
            ("C-6".into(), 300)
        ]
    );
    let errors: Vec<(u64, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.code.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (4, "product.sku_taken"),
            (5, "invalid_input"),
            (6, "product.name_blank"),
            (7, "invalid_input")
        ]
    );
    assert_eq!(
        f.edge.products(Some(store.store_id), None).unwrap().len(),
        5
    );
    let bad_header = f
        .edge
        .import_products_csv(store.store_id, "sku,title,price\n".as_bytes());
    assert_eq!(code(bad_header), "invalid_input");
}

#[test]
fn orders_and_sales_per_store_net_of_central_cancels() {
    let f = open();
    let (store, a, b) = shop(&f.edge);
    let other = f.edge.create_store("Other", "Level 3").unwrap();
    f.edge.set_participation(other.store_id, true).unwrap();
    let o = f
        .edge
        .add_product(product(&other, "O", "Orange", 90))
        .unwrap();
    let customer = f.edge.register_customer("Ada", "+15550100").unwrap();
    let mut orders = Vec::new();
    for (p, q) in [(a.product_id, 2), (b.product_id, 1), (o.product_id, 5)] {
        let cart = f.edge.start_cart(Some(customer.customer_id)).unwrap();
        f.edge.add_item(cart.cart_id, p, q).unwrap();
        f.edge.add_item(cart.cart_id, o.product_id, 1).unwrap();
        orders.push(f.edge.checkout(cart.cart_id, "tok", None).unwrap());
        f.clock.advance(1);
    }
    assert_eq!(f.edge.orders(Some(store.store_id)).unwrap().len(), 2);
    assert_eq!(f.edge.orders(Some(other.store_id)).unwrap().len(), 3);
    let sales = f.edge.sales_per_day(store.store_id).unwrap();
    assert_eq!(sales.len(), 1);
    assert_eq!(
        (
            sales[0].day.as_str(),
            sales[0].orders,
            sales[0].items,
            sales[0].total_cents
        ),
        ("2023-11-14", 2, 3, 500 + 1299)
    );
    // Central cancels the first order: it arrives as an event of the order stream.
    let canceled = json!({
        "global_pos": 0, "stream_type": "order", "stream_id": orders[0].order_id.to_string(),
        "version": 2, "event_id": uuid::Uuid::now_v7(), "event_type": "OrderCanceled",
        "schema_version": 1,
        "payload": {"type": "OrderCanceled", "order_id": orders[0].order_id, "reason": "no stock",
                    "by": "admin", "at": T0 + 10},
        "metadata": {"schema_version": 1}, "occurred_at": T0 + 10, "stream_seq": 42,
        "superseded": false, "command_id": null
    });
    let report = f
        .edge
        .import_events(format!("{canceled}\n").as_bytes())
        .unwrap();
    assert_eq!(report.imported, 1);
    let order = f.edge.order(orders[0].order_id).unwrap();
    assert_eq!(
        (order.status.as_str(), order.reason.as_deref()),
        ("canceled", Some("no stock"))
    );
    let sales = f.edge.sales_per_day(store.store_id).unwrap();
    assert_eq!((sales[0].orders, sales[0].total_cents), (1, 1299));
    let other_sales = f.edge.sales_per_day(other.store_id).unwrap();
    assert_eq!((other_sales[0].orders, other_sales[0].items), (2, 7));
    let again = f
        .edge
        .import_events(format!("{canceled}\n").as_bytes())
        .unwrap();
    assert_eq!((again.imported, again.skipped), (0, 1));
    let before = f.edge.dump_read_models().unwrap();
    f.edge.rebuild_read_models().unwrap();
    assert_eq!(f.edge.dump_read_models().unwrap(), before);
}

#[test]
fn export_then_import_into_a_fresh_database_reproduces_the_read_models() {
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let customer = f.edge.register_customer("Ada", "+15550100").unwrap();
    let cart = f.edge.start_cart(Some(customer.customer_id)).unwrap();
    f.edge.add_item(cart.cart_id, a.product_id, 4).unwrap();
    f.edge.checkout(cart.cart_id, "tok", None).unwrap();
    let mut exported = Vec::new();
    let n = f.edge.export_events(&mut exported).unwrap();
    assert_eq!(n as i64, count(&conn(&f), "SELECT count(*) FROM events"));
    let g = open();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let reported = seen.clone();
    let report = g
        .edge
        .import_events_reporting(
            exported.as_slice(),
            std::sync::Arc::new(move |done, total| reported.lock().unwrap().push((done, total))),
        )
        .unwrap();
    assert_eq!(
        (report.imported, report.skipped, report.out_of_order),
        (n, 0, 0)
    );
    // Progress from nothing to every line, with the total known from the start.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first(), Some(&(0, n)));
    assert_eq!(seen.last(), Some(&(n, n)));
    assert_eq!(
        g.edge.dump_read_models().unwrap(),
        f.edge.dump_read_models().unwrap()
    );
    assert_eq!(count(&conn(&g), "SELECT count(*) FROM outbox"), 0);
}

/// Sales days are the mall's business days: an order placed at 23:30 UTC counts for that day
/// in New York and for the next one in Tokyo; changing the zone moves the days (the read models
/// are rebuilt with it), and a name that is no zone is refused.
#[test]
fn sales_follow_the_malls_time_zone() {
    let f = open();
    // 2026-12-03 23:30 UTC.
    f.clock.set(1_796_340_600_000);
    let (store, a, _) = shop(&f.edge);
    let customer = f.edge.register_customer("Ada", "+15550100").unwrap();
    let cart = f.edge.start_cart(Some(customer.customer_id)).unwrap();
    f.edge.add_item(cart.cart_id, a.product_id, 2).unwrap();
    f.edge.checkout(cart.cart_id, "tok", None).unwrap();
    let day = |f: &Fixture| f.edge.sales_per_day(store.store_id).unwrap()[0].day.clone();
    assert_eq!(f.edge.time_zone().unwrap(), "UTC");
    assert_eq!(day(&f), "2026-12-03");

    assert!(f.edge.set_time_zone("America/New_York").unwrap());
    assert_eq!(day(&f), "2026-12-03");
    assert!(f.edge.set_time_zone("Asia/Tokyo").unwrap());
    assert!(!f.edge.set_time_zone("Asia/Tokyo").unwrap(), "unchanged");
    assert_eq!(day(&f), "2026-12-04");
    // The chart's days are Tokyo's too: today (Dec 4 there) holds the order.
    let chart = f.edge.sales_days(Some(store.store_id), 2).unwrap();
    assert_eq!(chart[0].day, "2026-12-03");
    assert_eq!((chart[1].day.as_str(), chart[1].orders), ("2026-12-04", 1));

    let err = f.edge.set_time_zone("Mars/Olympus").unwrap_err();
    assert_eq!(err.code(), "mall.time_zone_unknown");
    assert_eq!(f.edge.time_zone().unwrap(), "Asia/Tokyo");
}

/// The mall's currency prices new products; one priced before keeps its currency, also when
/// repriced; a code that is no currency is refused.
#[test]
fn new_products_are_priced_in_the_malls_currency() {
    let f = open();
    let (store, a, _) = shop(&f.edge);
    assert_eq!(a.currency, "USD");
    assert!(f.edge.set_currency("eur").unwrap());
    assert_eq!(f.edge.currency().unwrap().as_str(), "EUR");
    let c = f
        .edge
        .add_product(product(&store, "C-3", "Coffee", 390))
        .unwrap();
    assert_eq!((c.price_cents, c.currency.as_str()), (390, "EUR"));
    let a = f.edge.reprice_product(a.product_id, 300).unwrap();
    assert_eq!((a.price_cents, a.currency.as_str()), (300, "USD"));
    let c = f.edge.reprice_product(c.product_id, 420).unwrap();
    assert_eq!(c.currency, "EUR");
    let err = f.edge.set_currency("euro").unwrap_err();
    assert_eq!(err.code(), "mall.currency_invalid");
}

/// The mall's phone format is recorded per device; another name is refused.
#[test]
fn the_phone_format_is_a_mall_setting() {
    let f = open();
    assert_eq!(f.edge.phone_format().unwrap(), "north_american");
    assert!(f.edge.set_phone_format("International").unwrap());
    assert!(!f.edge.set_phone_format("international").unwrap());
    assert_eq!(f.edge.phone_format().unwrap(), "international");
    let err = f.edge.set_phone_format("e164").unwrap_err();
    assert_eq!(err.code(), "mall.phone_format_invalid");
}
