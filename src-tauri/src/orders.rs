//! The manager's orders view: the filter the window sends, checked into the edge's
//! `OrderFilter`, and the refusal codes of a pickup. The orders and the order detail the window
//! receives are the edge's own views (`ManagerOrderView`, `ManagerOrderDetail`, with this
//! desk's `DeskRequestView` of the hand-over).

use crate::error::{parse_id, ApiError};
use mallbots_edge::OrderFilter;
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
