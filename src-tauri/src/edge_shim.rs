//! SHIM(DESK, ORDERS, DEVICE): DELETE THIS MODULE AT MERGE.
//!
//! The edge API the manager's pickup, orders view and counter preparation call, with the exact
//! signatures and view types of helpers DESK (`edge/src/manager/desk.rs`), ORDERS
//! (`edge/src/views.rs`, `edge/src/queries/manager_orders.rs`) and DEVICE (`Edge::set_user`),
//! so the app compiles before they land on main:
//! * `Edge::request_pickup(OrderId) -> Result<DeskRequestView, EdgeError>`,
//!   `Edge::pickup_request(OrderId) -> Result<Option<DeskRequestView>, EdgeError>`,
//!   `Edge::mark_stop_prepared(ShoppingListId, StoreId) -> Result<(), EdgeError>` (DESK),
//! * `Edge::manager_orders(&OrderFilter) -> Result<Vec<ManagerOrderView>, EdgeError>`,
//!   `Edge::manager_order(OrderId) -> Result<Option<ManagerOrderDetail>, EdgeError>` (ORDERS),
//! * `Edge::set_user(Option<&str>)` (DEVICE: the signed-in user a desk's edits carry).
//!
//! Until then the two DESK commands refuse with `not_available`, `set_user` does nothing, and
//! the orders come from the kiosk-order read model this edge already has. At merge: delete
//! this file, `mod edge_shim` in lib.rs and the `use crate::edge_shim::…` lines (marked), and
//! import `OrderFilter`, `ManagerOrderView`, `ManagerOrderDetail`, `DeskRequestView` from
//! `mallbots_edge`. Inherent methods win over this trait's, so a call left behind still reaches
//! the real edge.

use mallbots_edge::domain::ordering::OrderStatus;
use mallbots_edge::domain::{OrderId, ShoppingListId, StoreId};
use mallbots_edge::{Edge, EdgeError, LineView};

/// As ORDERS' `OrderFilter`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub from_day: Option<String>,
    pub to_day: Option<String>,
    pub phone_suffix: Option<String>,
    pub store: Option<StoreId>,
}

/// As ORDERS' `ManagerOrderView`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerOrderView {
    pub order_id: OrderId,
    pub status: String,
    pub device_id: String,
    pub store_ids: Vec<StoreId>,
    pub item_count: i64,
    pub total_cents: i64,
    pub currency: String,
    pub payment: Option<String>,
    pub invoice: Option<String>,
    pub phone_last4: Option<String>,
    pub placed_at: i64,
    pub first_seen_at: i64,
    pub updated_at: i64,
}

/// As ORDERS' `ManagerOrderLineView`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerOrderLineView {
    pub store_id: StoreId,
    pub store_name: String,
    pub status: String,
    pub items: Vec<LineView>,
    pub item_count: i64,
    pub total_cents: i64,
    pub currency: String,
    pub order_seq: u64,
    pub first_seen_at: i64,
    pub updated_at: i64,
}

/// As ORDERS' `OrderStatusChangeView`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStatusChangeView {
    pub status: String,
    pub at: i64,
    pub order_seq: u64,
}

/// As ORDERS' `ManagerOrderDetail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerOrderDetail {
    pub order: ManagerOrderView,
    pub lines: Vec<ManagerOrderLineView>,
    pub history: Vec<OrderStatusChangeView>,
}

/// As DESK's `DeskRequestView`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskRequestView {
    pub kind: String,
    pub order_id: Option<OrderId>,
    pub list_id: Option<ShoppingListId>,
    pub store_id: Option<StoreId>,
    pub user: String,
    pub status: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub requested_at: Option<i64>,
    pub answered_at: Option<i64>,
}

/// The DESK, ORDERS and DEVICE edge API, until it is on main.
pub trait EdgeShim {
    /// Asks central to hand the order over at the depot.
    fn request_pickup(&self, order: OrderId) -> Result<DeskRequestView, EdgeError>;
    /// The pickup request of `order`, with central's refusal if any.
    fn pickup_request(&self, order: OrderId) -> Result<Option<DeskRequestView>, EdgeError>;
    /// Marks a waiting stop of a store with automated shopping off as prepared at the counter.
    fn mark_stop_prepared(&self, list: ShoppingListId, store: StoreId) -> Result<(), EdgeError>;
    /// The mall's orders of this desk's stores that pass `filter`, newest first.
    fn manager_orders(&self, filter: &OrderFilter) -> Result<Vec<ManagerOrderView>, EdgeError>;
    /// One order with its lines per store and status history.
    fn manager_order(&self, order: OrderId) -> Result<Option<ManagerOrderDetail>, EdgeError>;
    /// The signed-in user the desk's edits carry.
    fn set_user(&self, user: Option<&str>);
}

fn not_available(what: &str) -> EdgeError {
    EdgeError::NotAvailable(format!(
        "{what} is not available in this build (it needs the desk requests to central)"
    ))
}

fn last4(phone: &str) -> Option<String> {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 4).then(|| digits[digits.len() - 4..].iter().collect())
}

fn view(edge: &Edge, o: &mallbots_edge::OrderView) -> ManagerOrderView {
    let phone = edge
        .customer(o.customer_id)
        .map(|c| c.sms_number)
        .unwrap_or_default();
    ManagerOrderView {
        order_id: o.order_id,
        status: o.status.clone(),
        device_id: o.device_id.clone().unwrap_or_default(),
        store_ids: o.store_ids.clone(),
        item_count: o.items.iter().map(|l| l.quantity).sum(),
        total_cents: o.total_cents,
        currency: o.currency.clone(),
        payment: None,
        invoice: None,
        phone_last4: last4(&phone),
        placed_at: o.created_at,
        first_seen_at: o.created_at,
        updated_at: o.updated_at,
    }
}

fn status_name(status: &OrderStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl EdgeShim for Edge {
    fn request_pickup(&self, _order: OrderId) -> Result<DeskRequestView, EdgeError> {
        Err(not_available("handing an order over"))
    }

    fn pickup_request(&self, _order: OrderId) -> Result<Option<DeskRequestView>, EdgeError> {
        Ok(None)
    }

    fn mark_stop_prepared(&self, _list: ShoppingListId, _store: StoreId) -> Result<(), EdgeError> {
        Err(not_available("marking a stop prepared"))
    }

    fn manager_orders(&self, filter: &OrderFilter) -> Result<Vec<ManagerOrderView>, EdgeError> {
        let day = crate::backoffice::utc_day;
        let status = filter.status.as_ref().map(status_name);
        let mut out = Vec::new();
        for o in self.orders(filter.store)? {
            let view = view(self, &o);
            let keep = status.as_ref().is_none_or(|s| *s == o.status)
                && filter
                    .from_day
                    .as_ref()
                    .is_none_or(|d| day(o.created_at) >= *d)
                && filter
                    .to_day
                    .as_ref()
                    .is_none_or(|d| day(o.created_at) <= *d)
                && filter.phone_suffix.as_ref().is_none_or(|suffix| {
                    view.phone_last4
                        .as_ref()
                        .is_some_and(|p| p.ends_with(suffix.as_str()))
                });
            if keep {
                out.push(view);
            }
        }
        Ok(out)
    }

    fn manager_order(&self, order: OrderId) -> Result<Option<ManagerOrderDetail>, EdgeError> {
        let o = match self.order(order) {
            Ok(o) => o,
            Err(e) if e.code() == "not_found" => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut history = vec![OrderStatusChangeView {
            status: "pending".into(),
            at: o.created_at,
            order_seq: 0,
        }];
        if o.status != "pending" {
            history.push(OrderStatusChangeView {
                status: o.status.clone(),
                at: o.updated_at,
                order_seq: 0,
            });
        }
        let mut lines: Vec<ManagerOrderLineView> = Vec::new();
        for item in &o.items {
            let index = match lines.iter().position(|l| l.store_id == item.store_id) {
                Some(i) => i,
                None => {
                    lines.push(ManagerOrderLineView {
                        store_id: item.store_id,
                        store_name: item.store_name.clone(),
                        status: o.status.clone(),
                        items: Vec::new(),
                        item_count: 0,
                        total_cents: 0,
                        currency: o.currency.clone(),
                        order_seq: 0,
                        first_seen_at: o.created_at,
                        updated_at: o.updated_at,
                    });
                    lines.len() - 1
                }
            };
            let line = &mut lines[index];
            line.item_count += item.quantity;
            line.total_cents += item.line_total_cents;
            line.items.push(item.clone());
        }
        Ok(Some(ManagerOrderDetail {
            order: view(self, &o),
            lines,
            history,
        }))
    }

    fn set_user(&self, _user: Option<&str>) {}
}
