//! Notifications context: which SMS an order event triggers, and its text. Pure.
//!
//! Central maps order events to a [`NotificationTrigger`] (with the customer's SMS number from
//! the customer context) and sends [`sms_for`]'s message through the gateway or the log sink.
//! [`NotificationTrigger::dedupe_key`] is stable per order and kind, so a redelivered event does
//! not text the customer twice.

use crate::ids::OrderId;
use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};

/// An order event worth a text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum NotificationTrigger {
    /// The kiosk placed the order.
    OrderCreated {
        order_id: OrderId,
        sms_number: String,
        total: Money,
    },
    /// The bot brought everything to the depot.
    OrderReady {
        order_id: OrderId,
        sms_number: String,
        total: Money,
        /// The code to show at the desk (`None`: an order placed before codes existed).
        #[serde(default)]
        pickup_code: Option<String>,
    },
    /// The order was rejected or canceled; `reason` is a code such as `payment_declined`.
    OrderCanceled {
        order_id: OrderId,
        sms_number: String,
        reason: String,
    },
}

impl NotificationTrigger {
    /// The order the message is about.
    pub fn order_id(&self) -> OrderId {
        match self {
            NotificationTrigger::OrderCreated { order_id, .. }
            | NotificationTrigger::OrderReady { order_id, .. }
            | NotificationTrigger::OrderCanceled { order_id, .. } => *order_id,
        }
    }

    /// The kind in snake case: `order_created`, `order_ready` or `order_canceled`.
    pub fn kind(&self) -> &'static str {
        match self {
            NotificationTrigger::OrderCreated { .. } => "order_created",
            NotificationTrigger::OrderReady { .. } => "order_ready",
            NotificationTrigger::OrderCanceled { .. } => "order_canceled",
        }
    }

    /// A key unique per order and kind, e.g. `order_ready:<order id>` (the gateway's idempotency key).
    pub fn dedupe_key(&self) -> String {
        format!("{}:{}", self.kind(), self.order_id())
    }
}

/// A text message to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    pub to: String,
    pub body: String,
}

/// The short order number customers see: the last six hex digits of the id, upper case.
///
/// The tail of a UUIDv7 is random, so orders placed in the same millisecond still differ.
pub fn order_code(order_id: OrderId) -> String {
    let hex = order_id.as_uuid().simple().to_string();
    hex[hex.len() - 6..].to_ascii_uppercase()
}

/// A pickup code as people read it: `042 517` (digits in threes).
pub fn spaced_code(code: &str) -> String {
    let digits: Vec<char> = code.chars().collect();
    digits
        .chunks(3)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An amount as a customer reads it: `$12.34` for dollars, `12.34 EUR` otherwise.
pub fn display_amount(amount: Money) -> String {
    let sign = if amount.cents < 0 { "-" } else { "" };
    let abs = amount.cents.unsigned_abs();
    let number = format!("{}.{:02}", abs / 100, abs % 100);
    if amount.currency == Currency::USD {
        format!("{sign}${number}")
    } else {
        format!("{sign}{number} {}", amount.currency)
    }
}

/// A reason code in words, for the customer.
pub fn reason_text(reason: &str) -> String {
    match reason.trim() {
        "product_unavailable" => "an item is no longer available".to_owned(),
        "customer_not_authorized" => "your account could not be verified".to_owned(),
        "payment_declined" => "your card was declined".to_owned(),
        "payment_missing" => "no card was given".to_owned(),
        "timeout" => "it could not be processed in time".to_owned(),
        "invalid_order" | "shopping_list_failed" | "shopping_not_initiated" | "approval_failed" => {
            "we could not prepare it".to_owned()
        }
        "customer" => "you asked us to".to_owned(),
        "admin" => "of a problem at the mall".to_owned(),
        "" => "of a problem".to_owned(),
        other => other.replace(['_', '.'], " "),
    }
}

/// The text message for a trigger, addressed to the trigger's SMS number (trimmed).
pub fn sms_for(trigger: &NotificationTrigger) -> SmsMessage {
    let code = order_code(trigger.order_id());
    let (to, body) = match trigger {
        NotificationTrigger::OrderCreated {
            sms_number, total, ..
        } => (
            sms_number,
            format!(
                "Thanks for shopping at MallBots! Your order #{code} ({}) was received. \
                 We will text you when it is ready.",
                display_amount(*total)
            ),
        ),
        NotificationTrigger::OrderReady {
            sms_number,
            total,
            pickup_code,
            ..
        } => (
            sms_number,
            format!(
                "Your MallBots order #{code} is ready for pickup at the depot.{} Total due: {}.",
                pickup_code
                    .as_deref()
                    .map(|c| format!(" Show pickup code {} at the desk.", spaced_code(c)))
                    .unwrap_or_default(),
                display_amount(*total)
            ),
        ),
        NotificationTrigger::OrderCanceled {
            sms_number, reason, ..
        } => (
            sms_number,
            format!(
                "Your MallBots order #{code} was canceled because {}. Your card was not charged.",
                reason_text(reason)
            ),
        ),
    };
    SmsMessage {
        to: to.trim().to_owned(),
        body,
    }
}
