//! The manager's orders view: the filter the window sends, the orders and the order detail it
//! receives, and the words for a refused pickup.
//!
//! The `From` conversions read the edge's `ManagerOrderView` / `ManagerOrderDetail`, today the
//! stand-ins of [`crate::edge_shim`] (SHIM(DESK, ORDERS): rewrite them to the real fields at
//! merge; the JSON the UI receives stays as it is).

use crate::edge_shim::{ManagerOrderDetail as EdgeDetail, ManagerOrderView as EdgeOrder};
use crate::error::{parse_id, ApiError};
use crate::views::{lines_view, BasketLine, MoneyView};
use serde::{Deserialize, Serialize};

/// The refusal codes of a pickup the UI explains.
pub mod pickup_codes {
    /// The order is not ready at the depot yet.
    pub const NOT_READY: &str = "pickup.not_ready";
    /// The order was handed over already.
    pub const ALREADY_COMPLETED: &str = "pickup.already_completed";
    /// The order holds items of a store this desk is not enrolled for.
    pub const NOT_YOUR_STORE: &str = "pickup.not_your_store";
    /// Central does not know the order.
    pub const UNKNOWN_ORDER: &str = "pickup.unknown_order";
}

/// What the orders view filters on, as the window sends it (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderQuery {
    /// One status, e.g. `ready`.
    pub status: Option<String>,
    /// First day, `YYYY-MM-DD` (UTC), inclusive.
    pub from_day: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    pub to_day: Option<String>,
    /// The last digits of the customer's phone number.
    pub phone_digits: Option<String>,
    /// One store (UUID text).
    pub store_id: Option<String>,
}

const STATUSES: [&str; 7] = [
    "pending",
    "approved",
    "in_progress",
    "ready",
    "completed",
    "rejected",
    "canceled",
];

fn day(what: &str, text: &str) -> Result<String, ApiError> {
    let b = text.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if ok {
        Ok(text.to_owned())
    } else {
        Err(ApiError::invalid(format!(
            "{what} must be a day as YYYY-MM-DD, not {:?}",
            crate::error::excerpt(text, crate::error::MAX_ECHO_CHARS)
        )))
    }
}

impl OrderQuery {
    /// The edge's filter: blank fields are no filter; a bad status, day or phone is
    /// `invalid_input`.
    pub fn to_filter(&self) -> Result<crate::edge_shim::OrderFilter, ApiError> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let status = given(&self.status);
        if let Some(s) = &status {
            if !STATUSES.contains(&s.as_str()) {
                return Err(ApiError::invalid(format!(
                    "status must be one of {}",
                    STATUSES.join(", ")
                )));
            }
        }
        let from_day = given(&self.from_day)
            .map(|d| day("from", &d))
            .transpose()?;
        let to_day = given(&self.to_day).map(|d| day("to", &d)).transpose()?;
        let phone_suffix = given(&self.phone_digits);
        if let Some(p) = &phone_suffix {
            if p.len() > 15 || !p.chars().all(|c| c.is_ascii_digit()) {
                return Err(ApiError::invalid(
                    "search the phone number by its last digits (0-9, at most 15)",
                ));
            }
        }
        let store = given(&self.store_id)
            .map(|s| parse_id("store", &s))
            .transpose()?;
        Ok(crate::edge_shim::OrderFilter {
            status,
            from_day,
            to_day,
            phone_suffix,
            store,
        })
    }
}

/// A pickup central refused: its code and the words a manager reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupRefusal {
    /// `pickup.not_ready`, `pickup.already_completed`, `pickup.not_your_store`, …
    pub code: String,
    /// Central's reason.
    pub message: String,
}

/// An order in the manager's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerOrder {
    /// Order id (UUID text).
    pub id: String,
    /// `pending`, `approved`, `in_progress`, `ready`, `completed`, `rejected` or `canceled`.
    pub status: String,
    /// When it was placed (ms since the Unix epoch).
    pub placed_at: i64,
    /// Its total.
    pub total: MoneyView,
    /// Units over all lines.
    pub items: i64,
    /// The stores it buys from, by name.
    pub stores: Vec<String>,
    /// The customer's phone, all but the last digits masked.
    pub phone: String,
    /// Central's last refusal of a pickup, if the latest request was refused.
    pub pickup_refusal: Option<PickupRefusal>,
}

impl From<EdgeOrder> for ManagerOrder {
    // SHIM(ORDERS): rewrite to the real `ManagerOrderView` at merge.
    fn from(o: EdgeOrder) -> Self {
        let mut stores: Vec<String> = o.lines.iter().map(|l| l.store_name.clone()).collect();
        stores.dedup();
        Self {
            id: o.order_id.to_string(),
            status: o.status,
            placed_at: o.placed_at,
            total: MoneyView::new(o.total_cents, &o.currency),
            items: o.lines.iter().map(|l| l.quantity).sum(),
            stores,
            phone: o.phone_masked,
            pickup_refusal: o
                .pickup_refusal
                .map(|(code, message)| PickupRefusal { code, message }),
        }
    }
}

/// A status change in an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChangeView {
    /// The status it moved to.
    pub status: String,
    /// When (ms since the Unix epoch).
    pub at: i64,
    /// Why, when there is a reason.
    pub reason: Option<String>,
}

/// An order's payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInfo {
    /// `authorized`, `captured`, `voided`, …
    pub status: String,
    /// The amount.
    pub amount: MoneyView,
}

/// An order's invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceInfo {
    /// Its number.
    pub id: String,
    /// `issued`, `paid`, `canceled`, …
    pub status: String,
    /// The amount.
    pub amount: MoneyView,
}

/// One order in detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerOrderDetail {
    /// The order as listed.
    #[serde(flatten)]
    pub order: ManagerOrder,
    /// Its lines.
    pub lines: Vec<BasketLine>,
    /// Its status changes, oldest first.
    pub history: Vec<StatusChangeView>,
    /// Its payment, once known.
    pub payment: Option<PaymentInfo>,
    /// Its invoice, once issued.
    pub invoice: Option<InvoiceInfo>,
}

impl From<EdgeDetail> for ManagerOrderDetail {
    // SHIM(ORDERS): rewrite to the real `ManagerOrderDetail` at merge.
    fn from(d: EdgeDetail) -> Self {
        let currency = d.order.currency.clone();
        let lines = lines_view(d.order.lines.clone(), &currency);
        Self {
            order: d.order.into(),
            lines,
            history: d
                .history
                .into_iter()
                .map(|h| StatusChangeView {
                    status: h.status,
                    at: h.at,
                    reason: h.reason,
                })
                .collect(),
            payment: d.payment.map(|p| PaymentInfo {
                status: p.status,
                amount: MoneyView::new(p.amount_cents, &currency),
            }),
            invoice: d.invoice.map(|i| InvoiceInfo {
                id: i.invoice_id,
                status: i.status,
                amount: MoneyView::new(i.amount_cents, &currency),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_becomes_the_edge_filter_and_bad_fields_are_refused() {
        let q = OrderQuery {
            status: Some("ready".into()),
            from_day: Some("2026-12-01".into()),
            to_day: Some(" ".into()),
            phone_digits: Some("2222".into()),
            store_id: None,
        };
        let f = q.to_filter().unwrap();
        assert_eq!(f.status.as_deref(), Some("ready"));
        assert_eq!(f.from_day.as_deref(), Some("2026-12-01"));
        assert_eq!(f.to_day, None, "blank is no filter");
        assert_eq!(f.phone_suffix.as_deref(), Some("2222"));
        for bad in [
            OrderQuery {
                status: Some("lost".into()),
                ..Default::default()
            },
            OrderQuery {
                from_day: Some("1/12/2026".into()),
                ..Default::default()
            },
            OrderQuery {
                phone_digits: Some("22a".into()),
                ..Default::default()
            },
            OrderQuery {
                store_id: Some("nope".into()),
                ..Default::default()
            },
        ] {
            assert_eq!(bad.to_filter().unwrap_err().code, "invalid_input", "{bad:?}");
        }
    }
}
