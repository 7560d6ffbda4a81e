//! The manager's orders view: the filter the window sends, the orders and the order detail it
//! receives, and the words for a refused pickup.
//!
//! The conversions read the edge's `ManagerOrderView` / `ManagerOrderDetail` (ORDERS) and
//! `DeskRequestView` (DESK).

use crate::error::{parse_id, ApiError};
use crate::views::MoneyView;
use mallbots_edge::{
    DeskRequestView, ManagerOrderDetail as EdgeDetail, ManagerOrderView as EdgeOrder, OrderFilter,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
#[derive(ts_rs::TS)]
pub struct OrderQuery {
    /// One status, e.g. `ready`.
    #[ts(optional, type = "OrderStatus | null")]
    pub status: Option<String>,
    /// First day, `YYYY-MM-DD` (UTC), inclusive.
    #[ts(optional = nullable)]
    pub from_day: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    #[ts(optional = nullable)]
    pub to_day: Option<String>,
    /// The last digits of the customer's phone number.
    #[ts(optional = nullable)]
    pub phone_digits: Option<String>,
    /// One store (UUID text).
    #[ts(optional = nullable)]
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
    pub fn to_filter(&self) -> Result<OrderFilter, ApiError> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let status = given(&self.status)
            .map(|s| {
                if !STATUSES.contains(&s.as_str()) {
                    return Err(ApiError::invalid(format!(
                        "status must be one of {}",
                        STATUSES.join(", ")
                    )));
                }
                serde_json::from_value(serde_json::Value::String(s))
                    .map_err(|e| ApiError::invalid(format!("status: {e}")))
            })
            .transpose()?;
        let from_day = given(&self.from_day).map(|d| day("from", &d)).transpose()?;
        let to_day = given(&self.to_day).map(|d| day("to", &d)).transpose()?;
        let phone_suffix = given(&self.phone_digits);
        if let Some(p) = &phone_suffix {
            if p.len() > 4 || !p.chars().all(|c| c.is_ascii_digit()) {
                return Err(ApiError::invalid(
                    "search the phone number by its last digits (1 to 4 digits)",
                ));
            }
        }
        let store = given(&self.store_id)
            .map(|s| parse_id("store", &s))
            .transpose()?;
        Ok(OrderFilter {
            status,
            from_day,
            to_day,
            phone_suffix,
            store,
        })
    }
}

/// A pickup central refused: its code and the words a manager reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PickupRefusal {
    /// `pickup.not_ready`, `pickup.already_completed`, `pickup.not_your_store`, …
    pub code: String,
    /// Central's reason.
    pub message: String,
}

/// An order in the manager's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ManagerOrder {
    /// Order id (UUID text).
    pub id: String,
    /// `pending`, `approved`, `in_progress`, `ready`, `completed`, `rejected` or `canceled`.
    #[ts(type = "OrderStatus")]
    pub status: String,
    /// When it was placed (ms since the Unix epoch).
    #[ts(type = "number")]
    pub placed_at: i64,
    /// Its total (of this desk's stores' lines).
    pub total: MoneyView,
    /// Units (of this desk's stores' lines).
    #[ts(type = "number")]
    pub items: i64,
    /// This desk's stores in it, by name.
    pub stores: Vec<String>,
    /// The customer's phone, all but the last digits masked (empty when unknown).
    pub phone: String,
    /// `authorized`, `captured` or `voided`, once known.
    pub payment: Option<String>,
    /// `pending`, `paid` or `canceled`, once known.
    pub invoice: Option<String>,
    /// A hand-over was asked and central has not answered yet.
    pub pickup_requested: bool,
    /// Central's refusal of the latest hand-over request, if it refused.
    pub pickup_refusal: Option<PickupRefusal>,
}

/// The names of stores by id (from the desk's catalog), to show an order's stores.
pub type StoreNames = HashMap<String, String>;

/// What a desk request says of a pickup: asked and waiting, or refused (code, reason).
fn pickup_state(request: Option<&DeskRequestView>) -> (bool, Option<PickupRefusal>) {
    match request {
        Some(r) if r.status == "refused" => (
            false,
            Some(PickupRefusal {
                code: r.code.clone().unwrap_or_default(),
                message: r.reason.clone().unwrap_or_default(),
            }),
        ),
        Some(r) => (r.status == "requested", None),
        None => (false, None),
    }
}

impl ManagerOrder {
    /// The list entry of `o`, its stores named from `names`, with its pickup request's state.
    pub fn new(o: EdgeOrder, names: &StoreNames, pickup: Option<&DeskRequestView>) -> Self {
        let (pickup_requested, pickup_refusal) = pickup_state(pickup);
        Self {
            id: o.order_id.to_string(),
            status: o.status,
            placed_at: o.placed_at,
            total: MoneyView::new(o.total_cents, &o.currency),
            items: o.item_count,
            stores: o
                .store_ids
                .iter()
                .map(|s| {
                    let id = s.to_string();
                    names.get(&id).cloned().unwrap_or(id)
                })
                .collect(),
            phone: o
                .phone_last4
                .map(|d| format!("•••• {d}"))
                .unwrap_or_default(),
            payment: o.payment,
            invoice: o.invoice,
            pickup_requested,
            pickup_refusal,
        }
    }
}

/// A status change in an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "StatusChange")]
pub struct StatusChangeView {
    /// The status it moved to.
    #[ts(type = "OrderStatus")]
    pub status: String,
    /// When (ms since the Unix epoch).
    #[ts(type = "number")]
    pub at: i64,
}

/// An order's payment or invoice: its status and amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MoneyState {
    /// Payment: `authorized`, `captured`, `voided`; invoice: `pending`, `paid`, `canceled`.
    pub status: String,
    /// The amount.
    pub amount: MoneyView,
}

/// One order in detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ManagerOrderDetail {
    /// The order as listed.
    #[serde(flatten)]
    pub order: ManagerOrder,
    /// Its lines (of this desk's stores), amounts in the order's currency.
    pub lines: Vec<mallbots_edge::LineView>,
    /// Its status changes, oldest first.
    pub history: Vec<StatusChangeView>,
    /// Its payment, once known.
    pub payment_info: Option<MoneyState>,
    /// Its invoice, once issued.
    pub invoice_info: Option<MoneyState>,
}

impl ManagerOrderDetail {
    /// The detail of `d`, its stores named from `names`, with its pickup request's state.
    pub fn new(d: EdgeDetail, names: &StoreNames, pickup: Option<&DeskRequestView>) -> Self {
        let currency = d.order.currency.clone();
        let total = MoneyView::new(d.order.total_cents, &currency);
        let state = |status: &Option<String>| {
            status.clone().map(|status| MoneyState {
                status,
                amount: total.clone(),
            })
        };
        let (payment_info, invoice_info) = (state(&d.order.payment), state(&d.order.invoice));
        let lines = d.lines.into_iter().flat_map(|l| l.items).collect();
        Self {
            order: ManagerOrder::new(d.order, names, pickup),
            lines,
            history: d
                .history
                .into_iter()
                .map(|h| StatusChangeView {
                    status: h.status,
                    at: h.at,
                })
                .collect(),
            payment_info,
            invoice_info,
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
        assert_eq!(
            f.status,
            Some(mallbots_edge::domain::ordering::OrderStatus::Ready)
        );
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
                phone_digits: Some("12345".into()),
                ..Default::default()
            },
            OrderQuery {
                store_id: Some("nope".into()),
                ..Default::default()
            },
        ] {
            assert_eq!(
                bad.to_filter().unwrap_err().code,
                "invalid_input",
                "{bad:?}"
            );
        }
    }
}
