//! Order lines for store managers, the event central writes on
//! `<root>.ev.store.<store>.orderline.<order>` (central is its only writer) and a desk's read
//! model folds: after each order status change, every store involved gets the order's status
//! and that store's lines. `order_seq` is the stream sequence of the order event it reflects,
//! so a reader keeps the highest.
//!
//! What a manager's order detail needs besides status and lines travels with it, each field
//! optional (`serde(default)`, so lines written before they existed still decode):
//! * `placed_at`: when the kiosk placed the order (its `OrderCreated`).
//! * `payment` / `invoice`: what the order's status establishes ([`money_states`]): the saga
//!   approves only after the payment was authorized; central issues the invoice with the ready
//!   state; an order completes only after its payment was captured and its invoice paid; a
//!   canceled order's authorization is voided with the cancel. Unknown (absent) otherwise.
//! * `phone_last4`: the last four digits of the customer's SMS number ([`phone_last4`]), so a
//!   manager can find an order by them; never the whole number.

use serde::{Deserialize, Serialize};

use super::{OrderItem, OrderStatus};
use crate::payments::{InvoiceStatus, PaymentStatus};
use crate::{DomainEvent, OrderId, StoreId, Timestamp};

/// The event on an order-line subject. It decodes through [`OrderLineWire`], the same fields
/// with the tag as one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", from = "OrderLineWire")]
pub enum OrderLineEvent {
    /// The order's status as that store sees it.
    OrderLineUpdated {
        /// The order.
        order_id: OrderId,
        /// The store.
        store_id: StoreId,
        /// The kiosk that placed it.
        device: String,
        /// The order status.
        status: OrderStatus,
        /// The lines of this store.
        items: Vec<OrderItem>,
        /// Stream sequence of the order event this reflects.
        order_seq: u64,
        /// When.
        at: Timestamp,
        /// When the kiosk placed the order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        placed_at: Option<Timestamp>,
        /// The order's payment, as its status establishes it ([`money_states`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payment: Option<PaymentStatus>,
        /// The order's invoice, as its status establishes it ([`money_states`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invoice: Option<InvoiceStatus>,
        /// The last four digits of the customer's SMS number, when central knows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone_last4: Option<String>,
    },
}

/// The tag of an order line (its one variant).
#[derive(Deserialize)]
enum OrderLineTag {
    OrderLineUpdated,
}

/// An [`OrderLineEvent`] as it is decoded: read in one pass (an internally tagged enum buffers
/// the whole payload before it reads it; a line carries a store's items, and a desk's rebuild
/// spent half its decoding there).
#[derive(Deserialize)]
struct OrderLineWire {
    #[serde(rename = "type")]
    _tag: OrderLineTag,
    order_id: OrderId,
    store_id: StoreId,
    device: String,
    status: OrderStatus,
    items: Vec<OrderItem>,
    order_seq: u64,
    at: Timestamp,
    #[serde(default)]
    placed_at: Option<Timestamp>,
    #[serde(default)]
    payment: Option<PaymentStatus>,
    #[serde(default)]
    invoice: Option<InvoiceStatus>,
    #[serde(default)]
    phone_last4: Option<String>,
}

impl From<OrderLineWire> for OrderLineEvent {
    fn from(w: OrderLineWire) -> Self {
        OrderLineEvent::OrderLineUpdated {
            order_id: w.order_id,
            store_id: w.store_id,
            device: w.device,
            status: w.status,
            items: w.items,
            order_seq: w.order_seq,
            at: w.at,
            placed_at: w.placed_at,
            payment: w.payment,
            invoice: w.invoice,
            phone_last4: w.phone_last4,
        }
    }
}

/// Payment and invoice states an order's status establishes (see the module doc); `None` where
/// the status says nothing certain (pending; rejected, which may or may not have authorized).
pub fn money_states(status: OrderStatus) -> (Option<PaymentStatus>, Option<InvoiceStatus>) {
    match status {
        OrderStatus::Approved | OrderStatus::InProgress => (Some(PaymentStatus::Authorized), None),
        OrderStatus::Ready => (
            Some(PaymentStatus::Authorized),
            Some(InvoiceStatus::Pending),
        ),
        OrderStatus::Completed => (Some(PaymentStatus::Captured), Some(InvoiceStatus::Paid)),
        OrderStatus::Canceled => (Some(PaymentStatus::Voided), None),
        OrderStatus::Pending | OrderStatus::Rejected => (None, None),
    }
}

/// The last four digits of a phone number (fewer if it has fewer; `None` without digits).
pub fn phone_last4(phone: &str) -> Option<String> {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(digits[digits.len().saturating_sub(4)..].iter().collect())
}

impl DomainEvent for OrderLineEvent {
    fn event_type(&self) -> &'static str {
        "OrderLineUpdated"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_establishes_payment_and_invoice() {
        use InvoiceStatus as I;
        use PaymentStatus as P;
        let cases = [
            (OrderStatus::Pending, None, None),
            (OrderStatus::Approved, Some(P::Authorized), None),
            (OrderStatus::InProgress, Some(P::Authorized), None),
            (OrderStatus::Ready, Some(P::Authorized), Some(I::Pending)),
            (OrderStatus::Completed, Some(P::Captured), Some(I::Paid)),
            (OrderStatus::Canceled, Some(P::Voided), None),
            (OrderStatus::Rejected, None, None),
        ];
        for (status, payment, invoice) in cases {
            assert_eq!(money_states(status), (payment, invoice), "{status:?}");
        }
    }

    #[test]
    fn only_the_last_four_digits_of_a_phone_are_kept() {
        assert_eq!(phone_last4("+1 555 010-4477").as_deref(), Some("4477"));
        assert_eq!(phone_last4("+15550104477").as_deref(), Some("4477"));
        assert_eq!(phone_last4("12").as_deref(), Some("12"));
        assert_eq!(phone_last4("none"), None);
    }

    #[test]
    fn a_line_without_the_new_fields_still_decodes() {
        let old = serde_json::json!({"type": "OrderLineUpdated",
            "order_id": "0190f5a0-0000-7000-8000-0000000000aa",
            "store_id": "0190f5a0-0000-7000-8000-000000000001", "device": "k1",
            "status": "approved", "items": [], "order_seq": 7, "at": 1_700_000_000_000_i64});
        let OrderLineEvent::OrderLineUpdated {
            placed_at,
            payment,
            invoice,
            phone_last4,
            ..
        } = serde_json::from_value(old).unwrap();
        assert_eq!(
            (placed_at, payment, invoice, phone_last4),
            (None, None, None, None)
        );
    }

    #[test]
    fn a_line_round_trips_and_a_wrong_or_missing_tag_is_refused() {
        let line = OrderLineEvent::OrderLineUpdated {
            order_id: OrderId::from(uuid::Uuid::from_u128(7)),
            store_id: StoreId::from(uuid::Uuid::from_u128(1)),
            device: "k1".into(),
            status: OrderStatus::Ready,
            items: Vec::new(),
            order_seq: 9,
            at: Timestamp::from_millis(1_700_000_000_000),
            placed_at: Some(Timestamp::from_millis(1_699_999_000_000)),
            payment: Some(PaymentStatus::Authorized),
            invoice: Some(InvoiceStatus::Pending),
            phone_last4: Some("4477".into()),
        };
        let mut json = serde_json::to_value(&line).unwrap();
        assert_eq!(json["type"], "OrderLineUpdated");
        assert_eq!(
            serde_json::from_value::<OrderLineEvent>(json.clone()).unwrap(),
            line
        );
        json["type"] = "OrderCreated".into();
        let err = serde_json::from_value::<OrderLineEvent>(json.clone()).unwrap_err();
        assert!(err.to_string().contains("OrderCreated"), "{err}");
        json.as_object_mut().unwrap().remove("type");
        let err = serde_json::from_value::<OrderLineEvent>(json).unwrap_err();
        assert!(err.to_string().contains("type"), "{err}");
    }
}
