//! Facts about a product. The variant names are the stable event type names. Every event carries
//! the store id so the edge can route it to the store's catalog subject.

use crate::aggregate::DomainEvent;
use crate::ids::{ProductId, StoreId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// An event of the [`Product`](super::Product) aggregate, serialized as `{"type": "ProductAdded", ..}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type")]
pub enum ProductEvent {
    /// A product was added to a store's catalog.
    ProductAdded {
        /// The product (`ProductId::for_sku(store_id, sku)`).
        product_id: ProductId,
        /// The store selling it.
        store_id: StoreId,
        /// The trimmed SKU.
        sku: String,
        /// Display name (trimmed).
        name: String,
        /// Description (trimmed; may be empty).
        description: String,
        /// Unit price.
        price: Money,
        /// When.
        at: Timestamp,
    },
    /// The product was renamed / re-described.
    ProductRebranded {
        /// The product.
        product_id: ProductId,
        /// Its store.
        store_id: StoreId,
        /// New name.
        name: String,
        /// New description.
        description: String,
        /// When.
        at: Timestamp,
    },
    /// The price went up by `delta` (> 0) to `price`.
    ProductPriceIncreased {
        /// The product.
        product_id: ProductId,
        /// Its store.
        store_id: StoreId,
        /// The positive amount added.
        delta: Money,
        /// The resulting unit price.
        price: Money,
        /// When.
        at: Timestamp,
    },
    /// The price went down by `delta` (> 0) to `price` (≥ 0).
    ProductPriceDecreased {
        /// The product.
        product_id: ProductId,
        /// Its store.
        store_id: StoreId,
        /// The positive amount subtracted.
        delta: Money,
        /// The resulting unit price.
        price: Money,
        /// When.
        at: Timestamp,
    },
    /// The product left the catalog.
    ProductRemoved {
        /// The product.
        product_id: ProductId,
        /// Its store.
        store_id: StoreId,
        /// When.
        at: Timestamp,
    },
}

impl ProductEvent {
    /// The product the event is about.
    pub fn product_id(&self) -> ProductId {
        match self {
            ProductEvent::ProductAdded { product_id, .. }
            | ProductEvent::ProductRebranded { product_id, .. }
            | ProductEvent::ProductPriceIncreased { product_id, .. }
            | ProductEvent::ProductPriceDecreased { product_id, .. }
            | ProductEvent::ProductRemoved { product_id, .. } => *product_id,
        }
    }

    /// The store selling the product.
    pub fn store_id(&self) -> StoreId {
        match self {
            ProductEvent::ProductAdded { store_id, .. }
            | ProductEvent::ProductRebranded { store_id, .. }
            | ProductEvent::ProductPriceIncreased { store_id, .. }
            | ProductEvent::ProductPriceDecreased { store_id, .. }
            | ProductEvent::ProductRemoved { store_id, .. } => *store_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            ProductEvent::ProductAdded { at, .. }
            | ProductEvent::ProductRebranded { at, .. }
            | ProductEvent::ProductPriceIncreased { at, .. }
            | ProductEvent::ProductPriceDecreased { at, .. }
            | ProductEvent::ProductRemoved { at, .. } => *at,
        }
    }
}

impl DomainEvent for ProductEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ProductEvent::ProductAdded { .. } => "ProductAdded",
            ProductEvent::ProductRebranded { .. } => "ProductRebranded",
            ProductEvent::ProductPriceIncreased { .. } => "ProductPriceIncreased",
            ProductEvent::ProductPriceDecreased { .. } => "ProductPriceDecreased",
            ProductEvent::ProductRemoved { .. } => "ProductRemoved",
        }
    }
}
