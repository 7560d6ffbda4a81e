//! Central's catalog view (KV `catalog`), fed by consumer `catalog-view` on
//! `<root>.ev.catalog.<store>.{store,product}.<id>`, and the saga's step-0 re-validation: which
//! products of an order are no longer orderable (removed, unknown, or of a store that is removed
//! or not participating).
//!
//! Keys: `store.<id>` and `product.<id>`, each the aggregate's events ([`crate::platform::views`]).
//! A product or store the view has never seen may just lag behind the order (different subjects
//! are consumed in parallel): the caller retries briefly before counting it unavailable.

use mallbots_domain::products::{Product, ProductEvent};
use mallbots_domain::stores::{Store, StoreEvent};
use mallbots_domain::{Aggregate, ProductId, StoreId};

use crate::platform::handler::{DecodeError, Delivery, Handler, Outcome};
use crate::platform::service::Runtime;
use crate::platform::topology::Bucket;
use crate::platform::views::{self, LazyBucket, ViewError};
use crate::platform::HandlerRegistry;

/// One catalog event, by the subject's aggregate token.
/// (`Deserialize` only satisfies the worker's bound: decoding goes by subject.)
#[derive(Debug, serde::Deserialize)]
pub enum CatalogEvent {
    /// On `…catalog.<store>.store.<id>`.
    Store(StoreEvent),
    /// On `…catalog.<store>.product.<id>`.
    Product(ProductEvent),
}

/// Records catalog events in the view.
pub struct CatalogViewHandler {
    bucket: LazyBucket,
}

impl Handler for CatalogViewHandler {
    type Message = CatalogEvent;

    fn decode(&self, delivery: &Delivery) -> Result<CatalogEvent, DecodeError> {
        let kind = delivery.subject().rsplit('.').nth(1).unwrap_or_default();
        let err = |e: serde_json::Error| DecodeError(e.to_string());
        match kind {
            "store" => serde_json::from_slice(delivery.payload())
                .map(CatalogEvent::Store)
                .map_err(err),
            "product" => serde_json::from_slice(delivery.payload())
                .map(CatalogEvent::Product)
                .map_err(err),
            other => Err(DecodeError(format!("unknown catalog aggregate {other:?}"))),
        }
    }

    async fn handle(&self, delivery: &Delivery, event: CatalogEvent) -> Outcome {
        let seq = delivery.stream_sequence();
        let store = match self.bucket.get().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "catalog bucket unavailable");
                return Outcome::Nak { delay: None };
            }
        };
        let result = match event {
            CatalogEvent::Store(e) => {
                let key = format!("store.{}", e.store_id());
                views::record(store, &key, seq, e).await
            }
            CatalogEvent::Product(e) => {
                let key = format!("product.{}", e.product_id());
                views::record(store, &key, seq, e).await
            }
        };
        match result {
            Ok(()) => Outcome::Ack,
            Err(e) => {
                tracing::warn!(error = %e, "catalog view write failed");
                Outcome::Nak { delay: None }
            }
        }
    }
}

/// Reads the catalog view.
#[derive(Clone, Debug)]
pub struct Catalog {
    bucket: LazyBucket,
}

impl Catalog {
    /// The view in `bucket`.
    pub fn new(bucket: LazyBucket) -> Self {
        Self { bucket }
    }

    /// The store folded from the view (a default, non-existent store if unknown).
    pub async fn store(&self, id: StoreId) -> Result<Store, ViewError> {
        let events: Vec<StoreEvent> =
            views::load(self.bucket.get().await?, &format!("store.{id}")).await?;
        Ok(Store::from_events(&events))
    }

    /// The product folded from the view.
    pub async fn product(&self, id: ProductId) -> Result<Product, ViewError> {
        let events: Vec<ProductEvent> =
            views::load(self.bucket.get().await?, &format!("product.{id}")).await?;
        Ok(Product::from_events(&events))
    }

    /// Checks `items` (product, store) against the view: each product once, in input order.
    pub async fn check(&self, items: Vec<(ProductId, StoreId)>) -> Result<Availability, ViewError> {
        let mut out = Availability::default();
        let mut checked: Vec<ProductId> = Vec::new();
        for (product_id, store_id) in items {
            if checked.contains(&product_id) {
                continue;
            }
            checked.push(product_id);
            let product = self.product(product_id).await?;
            let store = self.store(store_id).await?;
            out.record(product_id, store_id, &product, &store);
        }
        Ok(out)
    }
}

/// The result of [`Catalog::check`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Availability {
    /// Removed, of another store, or of a store removed or not participating.
    pub unavailable: Vec<ProductId>,
    /// Product or store never seen by the view (it may lag behind the order).
    pub unknown: Vec<ProductId>,
}

impl Availability {
    /// Counts `product_id`, ordered from `store_id`, as the view folds it (`product`, `store`):
    /// unknown if either was never seen; unavailable if removed, of another store, or of a
    /// store removed or not participating. (The check's one rule, also run by the simulator.)
    pub fn record(
        &mut self,
        product_id: ProductId,
        store_id: StoreId,
        product: &Product,
        store: &Store,
    ) {
        if !product.exists() || !store.exists() {
            self.unknown.push(product_id);
            return;
        }
        let orderable = product.is_available()
            && product.store_id() == store_id
            && store.is_active()
            && store.participating();
        if !orderable {
            self.unavailable.push(product_id);
        }
    }

    /// Everything not orderable, counting unknown products as unavailable.
    pub fn all_unavailable(self) -> Vec<ProductId> {
        self.unavailable.into_iter().chain(self.unknown).collect()
    }
}

/// Registers the `catalog-view` handler (role saga).
pub fn register(rt: &Runtime, registry: &mut HandlerRegistry) {
    let bucket = LazyBucket::new(rt, Bucket::Catalog);
    registry.register("catalog-view", CatalogViewHandler { bucket });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_products_count_as_unavailable_in_the_end() {
        let a = Availability {
            unavailable: vec![ProductId::from_uuid(uuid::Uuid::from_u128(1))],
            unknown: vec![ProductId::from_uuid(uuid::Uuid::from_u128(2))],
        };
        assert_eq!(a.clone().all_unavailable().len(), 2);
        assert_eq!(Availability::default().all_unavailable(), vec![]);
    }
}
