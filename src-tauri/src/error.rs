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

/// The codes this shell produces itself; every other code comes from `mallbots-edge` verbatim
/// (e.g. `basket.store_not_participating`, `product.sku_taken`, `not_found`).
pub mod codes {
    /// An argument failed validation (a malformed id, days out of range…).
    pub const INVALID_INPUT: &str = "invalid_input";
    /// A manager command was called without a signed-in manager.
    pub const NOT_SIGNED_IN: &str = "not_signed_in";
    /// Wrong user name or password.
    pub const BAD_CREDENTIALS: &str = "bad_credentials";
    /// Too many failed sign-ins in a row: wait before trying again.
    pub const LOCKED_OUT: &str = "locked_out";
    /// Something broke that the user cannot fix (a poisoned lock, a failed thread).
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

    /// `invalid_input` with an explanation.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_INPUT, message)
    }

    /// `internal` with an explanation.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(codes::INTERNAL, message)
    }
}

impl From<mallbots_edge::EdgeError> for ApiError {
    fn from(err: mallbots_edge::EdgeError) -> Self {
        Self::new(err.code(), excerpt(&err.to_string(), MAX_MESSAGE_CHARS))
    }
}

/// The longest message sent to the UI, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1_000;
/// How much of a refused input a message quotes, in characters.
pub const MAX_ECHO_CHARS: usize = 64;

/// The first `max` characters of `text`, with `…` when something was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut cut: String = text.chars().take(max).collect();
    if text.chars().nth(max).is_some() {
        cut.push('…');
    }
    cut
}

/// Parses an id sent by the UI (`StoreId`, `ProductId`, … from their UUID text); a malformed one
/// is `invalid_input` naming `what` and quoting at most [`MAX_ECHO_CHARS`] of the input.
pub fn parse_id<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, ApiError> {
    text.trim().parse().map_err(|_| {
        let shown = excerpt(text, MAX_ECHO_CHARS);
        ApiError::invalid(format!("{shown:?} is not a valid {what} id"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_id_is_quoted_only_in_part() {
        let huge = "x".repeat(1024 * 1024);
        let err = parse_id::<uuid::Uuid>("store", &huge).unwrap_err();
        assert_eq!(err.code, "invalid_input");
        assert!(err.message.len() < 200, "{} bytes", err.message.len());
        assert!(err.message.contains(&format!("{}…", "x".repeat(64))));
        let err = parse_id::<uuid::Uuid>("store", "nope").unwrap_err();
        assert_eq!(err.message, "\"nope\" is not a valid store id");
        assert_eq!(excerpt("ΩΩΩ", 2), "ΩΩ…");
        assert_eq!(excerpt("ΩΩ", 2), "ΩΩ");
    }

    #[test]
    fn serializes_as_code_and_message_only() {
        let json = serde_json::to_value(ApiError::invalid("bad id")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "invalid_input", "message": "bad id"})
        );
    }

    #[test]
    fn edge_errors_keep_their_code() {
        let err = ApiError::from(mallbots_edge::EdgeError::not_found("cart", "c-1"));
        assert_eq!(err.code, "not_found");
        assert!(err.message.contains("c-1"), "{}", err.message);
        let bad = parse_id::<uuid::Uuid>("store", "nope").unwrap_err();
        assert_eq!(bad.code, "invalid_input");
    }
}
