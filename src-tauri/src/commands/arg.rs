//! [`Arg`]: a command argument Tauri always accepts, checked by the command itself, so that an
//! argument of the wrong JSON type (a number for an id, a string or `u64::MAX` for an `i64`,
//! `null` for a required value) is refused as `{code: "invalid_argument", message}` like every
//! other error, instead of Tauri's bare-string `invalid args …` (which the UI can only call
//! `ipc`). A missing key reads as `null`, so `Arg<Option<T>>` is optional.

use crate::error::{excerpt, ApiError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::marker::PhantomData;

/// The code of an argument of the wrong type or shape.
pub const INVALID_ARGUMENT: &str = "invalid_argument";

/// The longest message about a refused argument, in characters (serde quotes the value).
const MAX_ARGUMENT_MESSAGE_CHARS: usize = 200;

/// A command argument as sent, decoded into `T` by [`Arg::take`].
#[derive(Debug, Clone)]
pub struct Arg<T> {
    raw: Value,
    _type: PhantomData<fn() -> T>,
}

impl<'de, T> Deserialize<'de> for Arg<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Option::<Value>::deserialize(deserializer)?.unwrap_or(Value::Null);
        Ok(Self {
            raw,
            _type: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Arg<T> {
    /// The argument as a `T`, or `invalid_argument` naming `key` (as the UI spells it).
    pub fn take(self, key: &str) -> Result<T, ApiError> {
        serde_json::from_value(self.raw).map_err(|e| {
            let message = format!("invalid argument `{key}`: {e}");
            ApiError::new(
                INVALID_ARGUMENT,
                excerpt(&message, MAX_ARGUMENT_MESSAGE_CHARS),
            )
        })
    }
}

impl<T> From<Value> for Arg<T> {
    fn from(raw: Value) -> Self {
        Self {
            raw,
            _type: PhantomData,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_right_type_is_taken() {
        assert_eq!(Arg::<i64>::from(json!(5)).take("n").unwrap(), 5);
        assert_eq!(
            Arg::<Option<i64>>::from(Value::Null).take("n").unwrap(),
            None
        );
        assert_eq!(Arg::<String>::from(json!("x")).take("s").unwrap(), "x");
    }

    #[test]
    fn the_wrong_type_is_a_coded_error_with_a_short_message() {
        for (raw, key) in [
            (json!(u64::MAX), "priceCents"),
            (json!(1e300), "priceCents"),
            (json!("100"), "priceCents"),
            (json!(true), "priceCents"),
            (Value::Null, "priceCents"),
        ] {
            let err = Arg::<i64>::from(raw).take(key).unwrap_err();
            assert_eq!(err.code, INVALID_ARGUMENT);
            assert!(err.message.contains("`priceCents`"), "{}", err.message);
        }
        let huge = json!("9".repeat(1024 * 1024));
        let err = Arg::<i64>::from(huge).take("quantity").unwrap_err();
        assert!(err.message.chars().count() <= MAX_ARGUMENT_MESSAGE_CHARS + 1);
        let err = Arg::<String>::from(json!({"id": 1}))
            .take("basketId")
            .unwrap_err();
        assert_eq!(err.code, INVALID_ARGUMENT);
    }
}
