//! The one error type every command returns: `{code, message}` on the wire.
//!
//! The UI branches on `code` (a stable snake_case identifier) and shows `message` to people; it
//! never parses the message. Codes coming from `mallbots-edge` pass through verbatim.

use serde::Serialize;
use std::borrow::Cow;

/// An error as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Machine-readable, stable identifier, e.g. `not_found`.
    pub code: Cow<'static, str>,
    /// Human-readable explanation, safe to show on screen.
    pub message: String,
}

/// The codes this shell produces itself.
pub mod codes {
    /// The referenced store, product, basket or order does not exist.
    pub const NOT_FOUND: &str = "not_found";
    /// An argument failed validation (blank name, quantity 0, bad phone number…).
    pub const INVALID_INPUT: &str = "invalid_input";
    /// A manager command was called without a signed-in manager.
    pub const NOT_SIGNED_IN: &str = "not_signed_in";
    /// Wrong user name or password.
    pub const BAD_CREDENTIALS: &str = "bad_credentials";
    /// Too many failed sign-ins in a row: wait before trying again.
    pub const LOCKED_OUT: &str = "locked_out";
    /// The basket was already checked out or canceled.
    pub const BASKET_CLOSED: &str = "basket_closed";
    /// Checkout of a basket without items.
    pub const BASKET_EMPTY: &str = "basket_empty";
    /// The product's store does not participate, or the product was removed.
    pub const PRODUCT_UNAVAILABLE: &str = "product_unavailable";
    /// A store with that name already exists, or a product with that SKU in the store.
    pub const ALREADY_EXISTS: &str = "already_exists";
    /// The change asks for what already is (same price, already enabled…).
    pub const UNCHANGED: &str = "unchanged";
    /// The order is completed, rejected or canceled and cannot be changed.
    pub const ORDER_CLOSED: &str = "order_closed";
    /// Something broke that the user cannot fix (a poisoned lock, a storage failure).
    pub const INTERNAL: &str = "internal";
}

impl ApiError {
    /// An error with the given code and message.
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// `not_found` for a kind of thing and its id.
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(codes::NOT_FOUND, format!("{what} {id} was not found"))
    }

    /// `invalid_input` with an explanation.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_INPUT, message)
    }

    /// `internal` with an explanation.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(codes::INTERNAL, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_and_message_only() {
        let json = serde_json::to_value(ApiError::not_found("store", "s-1")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "not_found", "message": "store s-1 was not found"})
        );
    }
}
