//! Facts about a customer. The variant names are the stable event type names. Phone numbers
//! appear only in these events (which only the registering kiosk and central read).

use crate::aggregate::DomainEvent;
use crate::ids::CustomerId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// An event of the [`Customer`](super::Customer) aggregate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type")]
pub enum CustomerEvent {
    /// A customer registered (and is enabled).
    CustomerRegistered {
        /// The customer.
        customer_id: CustomerId,
        /// Name (trimmed).
        name: String,
        /// Normalized SMS number.
        sms_number: String,
        /// When.
        at: Timestamp,
    },
    /// The SMS number changed.
    CustomerSmsChanged {
        /// The customer.
        customer_id: CustomerId,
        /// The new normalized number.
        sms_number: String,
        /// When.
        at: Timestamp,
    },
    /// The customer was authorized to place an order.
    CustomerAuthorized {
        /// The customer.
        customer_id: CustomerId,
        /// When.
        at: Timestamp,
    },
    /// The customer was re-enabled.
    CustomerEnabled {
        /// The customer.
        customer_id: CustomerId,
        /// When.
        at: Timestamp,
    },
    /// The customer was disabled.
    CustomerDisabled {
        /// The customer.
        customer_id: CustomerId,
        /// When.
        at: Timestamp,
    },
}

impl CustomerEvent {
    /// The customer the event is about.
    pub fn customer_id(&self) -> CustomerId {
        match self {
            CustomerEvent::CustomerRegistered { customer_id, .. }
            | CustomerEvent::CustomerSmsChanged { customer_id, .. }
            | CustomerEvent::CustomerAuthorized { customer_id, .. }
            | CustomerEvent::CustomerEnabled { customer_id, .. }
            | CustomerEvent::CustomerDisabled { customer_id, .. } => *customer_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            CustomerEvent::CustomerRegistered { at, .. }
            | CustomerEvent::CustomerSmsChanged { at, .. }
            | CustomerEvent::CustomerAuthorized { at, .. }
            | CustomerEvent::CustomerEnabled { at, .. }
            | CustomerEvent::CustomerDisabled { at, .. } => *at,
        }
    }
}

impl DomainEvent for CustomerEvent {
    fn event_type(&self) -> &'static str {
        match self {
            CustomerEvent::CustomerRegistered { .. } => "CustomerRegistered",
            CustomerEvent::CustomerSmsChanged { .. } => "CustomerSmsChanged",
            CustomerEvent::CustomerAuthorized { .. } => "CustomerAuthorized",
            CustomerEvent::CustomerEnabled { .. } => "CustomerEnabled",
            CustomerEvent::CustomerDisabled { .. } => "CustomerDisabled",
        }
    }
}
