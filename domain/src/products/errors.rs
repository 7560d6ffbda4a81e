//! The rules a product command can break, each with a stable machine-readable code.

use crate::error::ErrorCode;
use thiserror::Error;

/// A product command rejected by a rule of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProductError {
    /// `AddProduct` for a SKU the store already sells (the product stream exists).
    #[error("the store already has a product with this SKU")]
    SkuTaken,
    /// The SKU must contain something other than whitespace.
    #[error("the SKU must not be blank")]
    SkuBlank,
    /// A SKU longer than [`MAX_SKU_CHARS`](super::MAX_SKU_CHARS) characters.
    #[error("the SKU must be at most {} characters", super::MAX_SKU_CHARS)]
    SkuTooLong,
    /// A SKU with a control character (NUL, line break, escape, …).
    #[error("the SKU must not contain control characters")]
    SkuInvalid,
    /// A product name longer than [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS) characters.
    #[error(
        "the product name must be at most {} characters",
        super::MAX_NAME_CHARS
    )]
    NameTooLong,
    /// A product name with a control character.
    #[error("the product name must not contain control characters")]
    NameInvalid,
    /// A description longer than [`MAX_DESCRIPTION_CHARS`](super::MAX_DESCRIPTION_CHARS).
    #[error(
        "the product description must be at most {} characters",
        super::MAX_DESCRIPTION_CHARS
    )]
    DescriptionTooLong,
    /// A description with a control character other than line feed, carriage return or tab.
    #[error("the product description must not contain control characters other than line breaks")]
    DescriptionInvalid,
    /// A product's name must contain something other than whitespace.
    #[error("the product name must not be blank")]
    NameBlank,
    /// A price (or the result of a decrease) below zero.
    #[error("a price must not be negative")]
    PriceNegative,
    /// A price in another currency than the product's.
    #[error("the price is in a different currency than the product")]
    CurrencyMismatch,
    /// `ChangePrice` to the price the product already has.
    #[error("the product already has this price")]
    PriceUnchanged,
    /// `IncreasePrice` by zero or a negative amount.
    #[error("a price increase must be a positive amount")]
    IncreaseNotPositive,
    /// `DecreasePrice` by zero or a negative amount.
    #[error("a price decrease must be a positive amount")]
    DecreaseNotPositive,
    /// A price change whose result does not fit in the money type.
    #[error("the resulting price is too large")]
    PriceOverflow,
    /// `AddProduct` for a store that does not exist.
    #[error("the store does not exist")]
    StoreNotFound,
    /// `AddProduct` for a store that has been removed.
    #[error("the store has been removed")]
    StoreRemoved,
    /// A command on a product that was never added.
    #[error("the product does not exist")]
    NotFound,
    /// A command on a product that has been removed.
    #[error("the product has been removed")]
    Removed,
}

impl ErrorCode for ProductError {
    fn code(&self) -> &'static str {
        match self {
            ProductError::SkuTaken => "product.sku_taken",
            ProductError::SkuBlank => "product.sku_blank",
            ProductError::SkuTooLong => "product.sku_too_long",
            ProductError::SkuInvalid => "product.sku_invalid",
            ProductError::NameBlank => "product.name_blank",
            ProductError::NameTooLong => "product.name_too_long",
            ProductError::NameInvalid => "product.name_invalid",
            ProductError::DescriptionTooLong => "product.description_too_long",
            ProductError::DescriptionInvalid => "product.description_invalid",
            ProductError::PriceNegative => "product.price_negative",
            ProductError::CurrencyMismatch => "product.currency_mismatch",
            ProductError::PriceUnchanged => "product.price_unchanged",
            ProductError::IncreaseNotPositive => "product.increase_not_positive",
            ProductError::DecreaseNotPositive => "product.decrease_not_positive",
            ProductError::PriceOverflow => "product.price_overflow",
            ProductError::StoreNotFound => "product.store_not_found",
            ProductError::StoreRemoved => "product.store_removed",
            ProductError::NotFound => "product.not_found",
            ProductError::Removed => "product.removed",
        }
    }
}
