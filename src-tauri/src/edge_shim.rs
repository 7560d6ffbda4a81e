//! SHIM(DESK, ORDERS): DELETE THIS MODULE AT MERGE.
//!
//! The edge API the manager's pickup, orders view and counter preparation call, written against
//! the signatures of the team brief so the app compiles before helpers DESK and ORDERS land on
//! main:
//! * `Edge::request_pickup(order_id) -> Result<ManagerOrderView, EdgeError>` (DESK),
//! * `Edge::mark_stop_prepared(list_id, store_id) -> Result<(), EdgeError>` (DESK),
//! * `Edge::manager_orders(&OrderFilter) -> Vec<ManagerOrderView>` and
//!   `Edge::manager_order(order_id) -> Option<ManagerOrderDetail>` (ORDERS; here wrapped in
//!   `Result`, as every edge query is).
//!
//! Until then the two DESK commands refuse with `not_available`, and the orders come from the
//! kiosk-order read model this edge already has (no status history, payment or invoice). At
//! merge: delete this file and `mod edge_shim` in lib.rs, drop the `EdgeShim` imports, import
//! `OrderFilter`, `ManagerOrderView` and `ManagerOrderDetail` from `mallbots_edge`, and rewrite
//! the `From` conversions in `views.rs` (marked `SHIM`) to their real fields.

use mallbots_edge::domain::{OrderId, ShoppingListId, StoreId};
use mallbots_edge::{Edge, EdgeError, LineView};

/// Which of the mall's orders a manager asks for (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// One status (`pending`, `approved`, `in_progress`, `ready`, `completed`, …).
    pub status: Option<String>,
    /// First day (`YYYY-MM-DD`, UTC), inclusive.
    pub from_day: Option<String>,
    /// Last day (`YYYY-MM-DD`, UTC), inclusive.
    pub to_day: Option<String>,
    /// The last digits of the customer's phone number.
    pub phone_suffix: Option<String>,
    /// One store.
    pub store: Option<StoreId>,
}

/// A change of an order's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The new status.
    pub status: String,
    /// When (ms since the Unix epoch).
    pub at: i64,
    /// Why, when there is a reason.
    pub reason: Option<String>,
}

/// An order as the manager lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerOrderView {
    /// The order.
    pub order_id: OrderId,
    /// Its status.
    pub status: String,
    /// When it was placed (ms since the Unix epoch).
    pub placed_at: i64,
    /// Its total, in minor units of `currency`.
    pub total_cents: i64,
    /// ISO currency.
    pub currency: String,
    /// Its lines.
    pub lines: Vec<LineView>,
    /// The customer's phone number, masked but for its last digits.
    pub phone_masked: String,
    /// Central's latest refusal of a pickup request: code and reason.
    pub pickup_refusal: Option<(String, String)>,
}

/// The payment of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    /// `authorized`, `captured`, `voided`, …
    pub status: String,
    /// Amount in minor units.
    pub amount_cents: i64,
}

/// The invoice of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceView {
    /// Its number.
    pub invoice_id: String,
    /// `issued`, `paid`, `canceled`, …
    pub status: String,
    /// Amount in minor units.
    pub amount_cents: i64,
}

/// One order with its history, payment and invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerOrderDetail {
    /// The order.
    pub order: ManagerOrderView,
    /// Its status changes, oldest first.
    pub history: Vec<StatusChange>,
    /// Its payment, once known.
    pub payment: Option<PaymentView>,
    /// Its invoice, once issued.
    pub invoice: Option<InvoiceView>,
}

/// The DESK and ORDERS edge API, until it is on main.
pub trait EdgeShim {
    /// Asks central to hand the order over at the depot.
    fn request_pickup(&self, order_id: OrderId) -> Result<ManagerOrderView, EdgeError>;
    /// Marks a waiting stop of a store with automated shopping off as prepared at the counter.
    fn mark_stop_prepared(&self, list_id: ShoppingListId, store: StoreId)
        -> Result<(), EdgeError>;
    /// The mall's orders of this desk's stores that pass `filter`, newest first.
    fn manager_orders(&self, filter: &OrderFilter) -> Result<Vec<ManagerOrderView>, EdgeError>;
    /// One order with lines, status history, payment and invoice.
    fn manager_order(&self, order_id: OrderId) -> Result<Option<ManagerOrderDetail>, EdgeError>;
}

fn not_implemented(what: &str) -> EdgeError {
    EdgeError::NotAvailable(format!(
        "{what} is not available in this build (it needs the desk requests to central)"
    ))
}

fn masked(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("•••• {tail}")
}

fn view(edge: &Edge, o: mallbots_edge::OrderView) -> ManagerOrderView {
    let phone = edge
        .customer(o.customer_id)
        .map(|c| c.sms_number)
        .unwrap_or_default();
    ManagerOrderView {
        order_id: o.order_id,
        status: o.status,
        placed_at: o.created_at,
        total_cents: o.total_cents,
        currency: o.currency,
        lines: o.items,
        phone_masked: masked(&phone),
        pickup_refusal: None,
    }
}

impl EdgeShim for Edge {
    fn request_pickup(&self, _order_id: OrderId) -> Result<ManagerOrderView, EdgeError> {
        Err(not_implemented("handing an order over"))
    }

    fn mark_stop_prepared(
        &self,
        _list_id: ShoppingListId,
        _store: StoreId,
    ) -> Result<(), EdgeError> {
        Err(not_implemented("marking a stop prepared"))
    }

    fn manager_orders(&self, filter: &OrderFilter) -> Result<Vec<ManagerOrderView>, EdgeError> {
        let day = |ms: i64| crate::backoffice::utc_day(ms);
        let mut out = Vec::new();
        for o in self.orders(filter.store)? {
            let keep = filter.status.as_ref().is_none_or(|s| *s == o.status)
                && filter
                    .from_day
                    .as_ref()
                    .is_none_or(|d| day(o.created_at) >= *d)
                && filter.to_day.as_ref().is_none_or(|d| day(o.created_at) <= *d);
            if !keep {
                continue;
            }
            if let Some(suffix) = &filter.phone_suffix {
                let phone = self.customer(o.customer_id)?.sms_number;
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                if !digits.ends_with(suffix.as_str()) {
                    continue;
                }
            }
            out.push(view(self, o));
        }
        Ok(out)
    }

    fn manager_order(&self, order_id: OrderId) -> Result<Option<ManagerOrderDetail>, EdgeError> {
        let order = match self.order(order_id) {
            Ok(order) => order,
            Err(e) if e.code() == "not_found" => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut history = vec![StatusChange {
            status: "pending".into(),
            at: order.created_at,
            reason: None,
        }];
        if order.status != "pending" {
            history.push(StatusChange {
                status: order.status.clone(),
                at: order.updated_at,
                reason: order.reason.clone(),
            });
        }
        Ok(Some(ManagerOrderDetail {
            order: view(self, order),
            history,
            payment: None,
            invoice: None,
        }))
    }
}
