//! The rules a customer command can break, each with a stable machine-readable code.

use crate::error::ErrorCode;
use thiserror::Error;

/// A customer command rejected by a rule of the customers context.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CustomerError {
    /// `RegisterCustomer` on a stream that already holds a customer.
    #[error("the customer is already registered")]
    AlreadyRegistered,
    /// A command on a customer that was never registered.
    #[error("the customer is not registered")]
    NotRegistered,
    /// A customer's name must contain something other than whitespace.
    #[error("the customer name must not be blank")]
    NameBlank,
    /// A customer name longer than [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS) characters.
    #[error(
        "the customer name must be at most {} characters",
        super::MAX_NAME_CHARS
    )]
    NameTooLong,
    /// A customer name with a control character (NUL, line break, escape, …).
    #[error("the customer name must not contain control characters")]
    NameInvalid,
    /// Not a phone number: optional leading `+`, then 7 to 15 digits.
    #[error("the SMS number must be 7 to 15 digits, optionally after a leading +")]
    SmsNumberInvalid,
    /// `ChangeSmsNumber` to the number the customer already has.
    #[error("the customer already has this SMS number")]
    SmsNumberUnchanged,
    /// Authorizing a disabled customer.
    #[error("the customer is disabled")]
    Disabled,
    /// Enabling a customer who is enabled.
    #[error("the customer is already enabled")]
    AlreadyEnabled,
    /// Disabling a customer who is disabled.
    #[error("the customer is already disabled")]
    AlreadyDisabled,
}

impl ErrorCode for CustomerError {
    fn code(&self) -> &'static str {
        match self {
            CustomerError::AlreadyRegistered => "customer.already_registered",
            CustomerError::NotRegistered => "customer.not_registered",
            CustomerError::NameBlank => "customer.name_blank",
            CustomerError::NameTooLong => "customer.name_too_long",
            CustomerError::NameInvalid => "customer.name_invalid",
            CustomerError::SmsNumberInvalid => "customer.sms_number_invalid",
            CustomerError::SmsNumberUnchanged => "customer.sms_number_unchanged",
            CustomerError::Disabled => "customer.disabled",
            CustomerError::AlreadyEnabled => "customer.already_enabled",
            CustomerError::AlreadyDisabled => "customer.already_disabled",
        }
    }
}
