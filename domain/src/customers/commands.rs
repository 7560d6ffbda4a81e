//! Commands on a customer: registration at the kiosk, number changes, the saga's authorization
//! step and an administrator's enable / disable.

use crate::ids::CustomerId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A command on the [`Customer`](super::Customer) aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CustomerCommand {
    /// Registers a customer (enabled) at a kiosk.
    RegisterCustomer {
        /// The new customer's id.
        customer_id: CustomerId,
        /// The customer's name.
        name: String,
        /// Where order notifications go; see [`normalize_sms_number`](super::normalize_sms_number).
        sms_number: String,
        /// When.
        at: Timestamp,
    },
    /// Changes the SMS number.
    ChangeSmsNumber {
        /// The new number.
        sms_number: String,
        /// When.
        at: Timestamp,
    },
    /// Confirms the customer may place an order (order saga step 1).
    AuthorizeCustomer {
        /// When.
        at: Timestamp,
    },
    /// Re-enables a disabled customer.
    EnableCustomer {
        /// When.
        at: Timestamp,
    },
    /// Disables a customer: no more orders are authorized.
    DisableCustomer {
        /// When.
        at: Timestamp,
    },
}
