//! Commands a store manager sends to the catalog.
//!
//! `AddProduct` carries the facts about the store the caller read from its read model (the domain
//! does no I/O); the product id is derived from store and SKU ([`ProductId::for_sku`]).

use crate::ids::{ProductId, StoreId};
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A command on the [`Product`](super::Product) aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ProductCommand {
    /// Adds a product to a store's catalog; its stream id is `ProductId::for_sku(store_id, sku)`.
    AddProduct {
        /// The store selling it.
        store_id: StoreId,
        /// Stock keeping unit, unique per store.
        sku: String,
        /// Display name.
        name: String,
        /// Free text; may be empty.
        description: String,
        /// Unit price, ≥ 0.
        price: Money,
        /// Whether the store exists (from the caller's read model).
        store_exists: bool,
        /// Whether the store has been removed (from the caller's read model).
        store_removed: bool,
        /// When.
        at: Timestamp,
    },
    /// Renames the product and replaces its description.
    RebrandProduct {
        /// The new name.
        name: String,
        /// The new description; may be empty.
        description: String,
        /// When.
        at: Timestamp,
    },
    /// Sets a new price; emits an increase or a decrease by the difference.
    ChangePrice {
        /// The new unit price, ≥ 0, in the product's currency.
        new_price: Money,
        /// When.
        at: Timestamp,
    },
    /// Raises the price by a positive amount.
    IncreasePrice {
        /// The amount to add, > 0.
        by: Money,
        /// When.
        at: Timestamp,
    },
    /// Lowers the price by a positive amount, never below zero.
    DecreasePrice {
        /// The amount to subtract, > 0.
        by: Money,
        /// When.
        at: Timestamp,
    },
    /// Takes the product off the catalog. The SKU may be added again later.
    RemoveProduct {
        /// When.
        at: Timestamp,
    },
}

impl ProductCommand {
    /// The stream a command is decided on, when the command itself names it (`AddProduct`).
    pub fn product_id(&self) -> Option<ProductId> {
        match self {
            ProductCommand::AddProduct { store_id, sku, .. } => {
                Some(ProductId::for_sku(*store_id, sku))
            }
            _ => None,
        }
    }
}
