//! The rules a cart command can break, each with a stable machine-readable code.

use crate::error::ErrorCode;
use thiserror::Error;

/// A basket command rejected by a rule of the baskets context.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BasketError {
    /// `StartBasket` on a stream that already holds a basket.
    #[error("the basket has already been started")]
    AlreadyStarted,
    /// A command on a basket that was never started.
    #[error("the basket has not been started")]
    NotStarted,
    /// An edit, checkout or cancel after the basket was checked out or canceled.
    #[error("the basket is no longer open")]
    NotOpen,
    /// A quantity of zero or less.
    #[error("the quantity must be positive")]
    QuantityNotPositive,
    /// The product's store does not (or no longer) participate in kiosk ordering.
    #[error("the store does not participate in kiosk ordering")]
    StoreNotParticipating,
    /// The product does not exist or has been removed.
    #[error("the product is not available")]
    ProductUnavailable,
    /// A product price below zero.
    #[error("the product price must not be negative")]
    PriceNegative,
    /// A product priced in another currency than the items already in the cart.
    #[error("the product is priced in a different currency than the cart")]
    CurrencyMismatch,
    /// A quantity or total too large for the money type.
    #[error("the cart total is too large")]
    TotalOverflow,
    /// Removing a product that is not in the cart.
    #[error("the product is not in the cart")]
    ItemNotInBasket,
    /// Removing more of a product than the cart holds.
    #[error("the cart holds fewer of this product than asked to remove")]
    QuantityExceedsItem,
    /// Checking out a cart with no items.
    #[error("the cart is empty")]
    Empty,
    /// Checking out without a payment (card token).
    #[error("a payment is required to check out")]
    PaymentMissing,
    /// A card token longer than [`MAX_PAYMENT_CHARS`](super::MAX_PAYMENT_CHARS) characters.
    #[error(
        "the card token must be at most {} characters",
        super::MAX_PAYMENT_CHARS
    )]
    PaymentTooLong,
    /// A card token with a control character (NUL, line break, escape, …).
    #[error("the card token must not contain control characters")]
    PaymentInvalid,
    /// Checking out with no customer identified.
    #[error("a customer is required to check out")]
    CustomerMissing,
    /// `AbandonIfIdle` while the cart was used more recently than the idle period.
    #[error("the cart has not been idle long enough")]
    NotIdle,
    /// `AbandonIfIdle` with a negative idle period.
    #[error("the idle period must not be negative")]
    IdlePeriodNegative,
}

impl ErrorCode for BasketError {
    fn code(&self) -> &'static str {
        match self {
            BasketError::AlreadyStarted => "basket.already_started",
            BasketError::NotStarted => "basket.not_started",
            BasketError::NotOpen => "basket.not_open",
            BasketError::QuantityNotPositive => "basket.quantity_not_positive",
            BasketError::StoreNotParticipating => "basket.store_not_participating",
            BasketError::ProductUnavailable => "basket.product_unavailable",
            BasketError::PriceNegative => "basket.price_negative",
            BasketError::CurrencyMismatch => "basket.currency_mismatch",
            BasketError::TotalOverflow => "basket.total_overflow",
            BasketError::ItemNotInBasket => "basket.item_not_in_basket",
            BasketError::QuantityExceedsItem => "basket.quantity_exceeds_item",
            BasketError::Empty => "basket.empty",
            BasketError::PaymentMissing => "basket.payment_missing",
            BasketError::PaymentTooLong => "basket.payment_too_long",
            BasketError::PaymentInvalid => "basket.payment_invalid",
            BasketError::CustomerMissing => "basket.customer_missing",
            BasketError::NotIdle => "basket.not_idle",
            BasketError::IdlePeriodNegative => "basket.idle_period_negative",
        }
    }
}
