//! The kiosk's walk-in checkout ([`Edge::checkout_registering`]): the customer's registration
//! and the checkout are decided before anything is written and committed in one transaction,
//! so a refused checkout leaves no CustomerRegistered (with its phone number) queued for sync.

mod common;

use common::*;
use mallbots_domain::OrderId;
use mallbots_edge::Edge;

fn stored(f: &Fixture) -> (i64, i64, i64) {
    let db = conn(f);
    (
        count(&db, "SELECT count(*) FROM events"),
        count(&db, "SELECT count(*) FROM outbox"),
        count(&db, "SELECT count(*) FROM rm_customers"),
    )
}

#[test]
fn refused_walk_in_checkouts_register_no_one() {
    let f = open();
    let (_, a, _) = shop(&f.edge);
    let cart = f.edge.start_cart(None).unwrap().cart_id;
    let phone = "+1 555 010 4477";
    let edge: &Edge = &f.edge;
    let empty_first = edge.checkout_registering(cart, "Kiosk customer", phone, "tok");
    assert_eq!(empty_first.unwrap_err().code(), "basket.empty");
    edge.add_item(cart, a.product_id, 1).unwrap();
    let before = stored(&f);
    let refusals = [
        ("Kiosk customer", phone, " ", "basket.payment_missing"),
        (
            "Kiosk customer",
            phone,
            &*"t".repeat(129),
            "basket.payment_too_long",
        ),
        ("Kiosk customer", phone, "tok\0", "basket.payment_invalid"),
        ("Kiosk customer", "12", "tok", "customer.sms_number_invalid"),
        (" ", phone, "tok", "customer.name_blank"),
    ];
    for (name, phone, token, want) in refusals {
        let err = edge
            .checkout_registering(cart, name, phone, token)
            .unwrap_err();
        assert_eq!(err.code(), want, "{name:?} {phone:?} {token:?}");
        assert_eq!(stored(&f), before, "{want}: something was written");
    }
    assert_eq!(f.edge.cart(cart).unwrap().status, "open");

    // The same cart then checks out, registering exactly one customer.
    let (customer, order) = edge
        .checkout_registering(cart, "Kiosk customer", phone, "tok_visa")
        .unwrap();
    assert_eq!(customer.sms_number, "+15550104477");
    assert_eq!(order.order_id, OrderId::from(cart));
    assert_eq!(order.customer_id, customer.customer_id);
    assert_eq!(f.edge.customer(customer.customer_id).unwrap(), customer);
    let after = stored(&f);
    assert_eq!(
        after.0,
        before.0 + 3,
        "CustomerRegistered, BasketCheckedOut, OrderCreated"
    );
    assert_eq!(after.2, before.2 + 1);
    let db = conn(&f);
    let correlations = count(
        &db,
        "SELECT count(DISTINCT json_extract(metadata, '$.correlation_id')) FROM events
         WHERE event_type IN ('CustomerRegistered', 'BasketCheckedOut', 'OrderCreated')",
    );
    assert_eq!(correlations, 1, "one transaction, one correlation");

    // A second attempt on the closed cart registers no one either.
    let again = edge.checkout_registering(cart, "Kiosk customer", phone, "tok_visa");
    assert_eq!(again.unwrap_err().code(), "basket.not_open");
    assert_eq!(stored(&f), after);
}
