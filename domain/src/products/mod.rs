//! The products context: a store's catalog entries with name, description, SKU and price.
//!
//! A product's id is `ProductId::for_sku(store, sku)`, so the SKU is unique per store by
//! construction: adding it twice hits the same stream and is refused (`product.sku_taken`), also
//! when two offline managers add it (their first events collide on the stream). Prices are never
//! negative and change by explicit increases or decreases. SKUs, names and descriptions are
//! bounded ([`MAX_SKU_CHARS`], [`MAX_NAME_CHARS`], [`MAX_DESCRIPTION_CHARS`]) and free of control
//! characters (a description may hold line breaks and tabs).

mod commands;
mod errors;
mod events;

pub use commands::ProductCommand;
pub use errors::ProductError;
pub use events::ProductEvent;

use crate::aggregate::Aggregate;
use crate::ids::{ProductId, StoreId};
use crate::money::Money;
use crate::stores::{checked, Lines, TextFault};
use crate::time::Timestamp;

/// The longest SKU, in characters (after trimming).
pub const MAX_SKU_CHARS: usize = 64;
/// The longest product name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 120;
/// The longest product description, in characters (after trimming); line breaks are allowed.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// A SKU: trimmed, not blank, at most [`MAX_SKU_CHARS`], no control characters.
fn product_sku(sku: &str) -> Result<String, ProductError> {
    checked(sku, MAX_SKU_CHARS, true, Lines::Single).map_err(|fault| match fault {
        TextFault::Blank => ProductError::SkuBlank,
        TextFault::TooLong => ProductError::SkuTooLong,
        TextFault::Control => ProductError::SkuInvalid,
    })
}

/// A product name: trimmed, not blank, at most [`MAX_NAME_CHARS`], no control characters.
fn product_name(name: &str) -> Result<String, ProductError> {
    checked(name, MAX_NAME_CHARS, true, Lines::Single).map_err(|fault| match fault {
        TextFault::Blank => ProductError::NameBlank,
        TextFault::TooLong => ProductError::NameTooLong,
        TextFault::Control => ProductError::NameInvalid,
    })
}

/// A description: trimmed, may be empty, at most [`MAX_DESCRIPTION_CHARS`], line breaks and
/// tabs but no other control characters.
fn product_description(description: &str) -> Result<String, ProductError> {
    checked(description, MAX_DESCRIPTION_CHARS, false, Lines::Multi).map_err(|fault| match fault {
        TextFault::Blank | TextFault::TooLong => ProductError::DescriptionTooLong,
        TextFault::Control => ProductError::DescriptionInvalid,
    })
}

/// The product aggregate, folded from [`ProductEvent`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Product {
    id: ProductId,
    store_id: StoreId,
    added: bool,
    removed: bool,
    sku: String,
    name: String,
    description: String,
    price: Money,
    updated_at: Timestamp,
}

impl Product {
    /// The product's id (nil before it is added).
    pub fn id(&self) -> ProductId {
        self.id
    }
    /// The store selling it.
    pub fn store_id(&self) -> StoreId {
        self.store_id
    }
    /// Whether `ProductAdded` has been applied (also true after removal).
    pub fn exists(&self) -> bool {
        self.added
    }
    /// Whether the product has been removed (and not added again).
    pub fn is_removed(&self) -> bool {
        self.removed
    }
    /// Whether the product is in the catalog now.
    pub fn is_available(&self) -> bool {
        self.added && !self.removed
    }
    /// The SKU.
    pub fn sku(&self) -> &str {
        &self.sku
    }
    /// Display name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Description.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// Unit price.
    pub fn price(&self) -> Money {
        self.price
    }
    /// Time of the last applied event.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }

    fn require_available(&self) -> Result<(), ProductError> {
        if !self.added {
            Err(ProductError::NotFound)
        } else if self.removed {
            Err(ProductError::Removed)
        } else {
            Ok(())
        }
    }

    fn check_currency(&self, amount: Money) -> Result<(), ProductError> {
        if amount.currency == self.price.currency {
            Ok(())
        } else {
            Err(ProductError::CurrencyMismatch)
        }
    }

    fn increased(&self, delta: Money, at: Timestamp) -> Result<ProductEvent, ProductError> {
        let price = self
            .price
            .checked_add(delta)
            .ok_or(ProductError::PriceOverflow)?;
        let (product_id, store_id) = (self.id, self.store_id);
        Ok(ProductEvent::ProductPriceIncreased {
            product_id,
            store_id,
            delta,
            price,
            at,
        })
    }

    fn decreased(&self, delta: Money, at: Timestamp) -> Result<ProductEvent, ProductError> {
        let price = self
            .price
            .checked_sub(delta)
            .ok_or(ProductError::PriceOverflow)?;
        if price.is_negative() {
            return Err(ProductError::PriceNegative);
        }
        let (product_id, store_id) = (self.id, self.store_id);
        Ok(ProductEvent::ProductPriceDecreased {
            product_id,
            store_id,
            delta,
            price,
            at,
        })
    }
}

impl Aggregate for Product {
    const STREAM_TYPE: &'static str = "product";
    type Command = ProductCommand;
    type Event = ProductEvent;
    type Error = ProductError;

    fn decide(&self, command: &ProductCommand) -> Result<Vec<ProductEvent>, ProductError> {
        if !matches!(command, ProductCommand::AddProduct { .. }) {
            self.require_available()?;
        }
        let (product_id, store_id) = (self.id, self.store_id);
        let event = match command {
            ProductCommand::AddProduct {
                store_id,
                sku,
                name,
                description,
                price,
                store_exists,
                store_removed,
                at,
            } => {
                if self.is_available() {
                    return Err(ProductError::SkuTaken);
                }
                if !store_exists {
                    return Err(ProductError::StoreNotFound);
                }
                if *store_removed {
                    return Err(ProductError::StoreRemoved);
                }
                let sku = product_sku(sku)?;
                let name = product_name(name)?;
                let description = product_description(description)?;
                if price.is_negative() {
                    return Err(ProductError::PriceNegative);
                }
                ProductEvent::ProductAdded {
                    product_id: ProductId::for_sku(*store_id, &sku),
                    store_id: *store_id,
                    sku,
                    name,
                    description,
                    price: *price,
                    at: *at,
                }
            }
            ProductCommand::RebrandProduct {
                name,
                description,
                at,
            } => {
                let name = product_name(name)?;
                let description = product_description(description)?;
                ProductEvent::ProductRebranded {
                    product_id,
                    store_id,
                    name,
                    description,
                    at: *at,
                }
            }
            ProductCommand::ChangePrice { new_price, at } => {
                self.check_currency(*new_price)?;
                if new_price.is_negative() {
                    return Err(ProductError::PriceNegative);
                }
                let diff = new_price.cents.checked_sub(self.price.cents);
                let diff = diff.ok_or(ProductError::PriceOverflow)?;
                let delta = Money::new(diff.abs(), self.price.currency);
                match diff {
                    0 => return Err(ProductError::PriceUnchanged),
                    d if d > 0 => self.increased(delta, *at)?,
                    _ => self.decreased(delta, *at)?,
                }
            }
            ProductCommand::IncreasePrice { by, at } => {
                self.check_currency(*by)?;
                if by.cents <= 0 {
                    return Err(ProductError::IncreaseNotPositive);
                }
                self.increased(*by, *at)?
            }
            ProductCommand::DecreasePrice { by, at } => {
                self.check_currency(*by)?;
                if by.cents <= 0 {
                    return Err(ProductError::DecreaseNotPositive);
                }
                self.decreased(*by, *at)?
            }
            ProductCommand::RemoveProduct { at } => ProductEvent::ProductRemoved {
                product_id,
                store_id,
                at: *at,
            },
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &ProductEvent) {
        self.updated_at = event.at();
        match event {
            ProductEvent::ProductAdded {
                product_id,
                store_id,
                sku,
                name,
                description,
                price,
                at,
            } => {
                *self = Product {
                    id: *product_id,
                    store_id: *store_id,
                    added: true,
                    removed: false,
                    sku: sku.clone(),
                    name: name.clone(),
                    description: description.clone(),
                    price: *price,
                    updated_at: *at,
                };
            }
            ProductEvent::ProductRebranded {
                name, description, ..
            } => {
                self.name = name.clone();
                self.description = description.clone();
            }
            ProductEvent::ProductPriceIncreased { price, .. }
            | ProductEvent::ProductPriceDecreased { price, .. } => self.price = *price,
            ProductEvent::ProductRemoved { .. } => self.removed = true,
        }
    }
}
