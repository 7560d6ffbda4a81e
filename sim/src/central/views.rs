//! Central's views as production folds them, read straight from the simulated stream: the
//! catalog (stores and products) for the saga's step-0 check, customers for AuthorizeCustomer
//! and the SMS number. (Production keeps them in KV buckets fed by consumers, so they may lag
//! behind an order; here they never lag, so the handlers' retries for a lagging view run only
//! when an event itself is late on the bus.)

use crate::bus::Bus;
use mallbots_central::roles::catalog::Availability;
use mallbots_domain::customers::{Customer, CustomerEvent};
use mallbots_domain::products::{Product, ProductEvent};
use mallbots_domain::stores::{Store, StoreEvent};
use mallbots_domain::{Aggregate, CustomerId, ProductId, StoreId};

/// Production's catalog check ([`Availability::record`]) of `items`, each product once.
pub fn check_catalog(bus: &Bus, items: &[(ProductId, StoreId)]) -> Availability {
    let root = bus.root();
    let mut out = Availability::default();
    let mut checked = Vec::new();
    for &(product_id, store_id) in items {
        if checked.contains(&product_id) {
            continue;
        }
        checked.push(product_id);
        let product_events: Vec<ProductEvent> = bus.decoded(&format!(
            "{root}.ev.catalog.{store_id}.product.{product_id}"
        ));
        let store_events: Vec<StoreEvent> =
            bus.decoded(&format!("{root}.ev.catalog.{store_id}.store.{store_id}"));
        out.record(
            product_id,
            store_id,
            &Product::from_events(&product_events),
            &Store::from_events(&store_events),
        );
    }
    out
}

/// A customer's events, from the kiosk they registered at.
pub fn customer_events(bus: &Bus, customer: CustomerId) -> Vec<CustomerEvent> {
    let pattern = format!("{}.ev.kiosk.*.customer.{customer}", bus.root());
    match bus.first_matching(&pattern) {
        Some(first) => {
            let subject = first.subject.clone();
            bus.decoded(&subject)
        }
        None => Vec::new(),
    }
}

/// The customer folded from their events.
pub fn customer(bus: &Bus, id: CustomerId) -> Customer {
    Customer::from_events(&customer_events(bus, id))
}
