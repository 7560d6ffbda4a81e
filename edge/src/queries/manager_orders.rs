//! The mall's orders as a manager or depot desk sees them, from the order-line read model
//! ([`crate::projections::order_lines`]): a filtered list ([`Edge::manager_orders`]), one
//! order's detail ([`Edge::manager_order`]), and a store's sales per day on a desk
//! ([`Edge::sales_per_day`] calls [`Edge::desk_sales_per_day`] there).
//!
//! **Sales** on a desk are the order lines that reached `ready` or `completed`: the store's
//! items were collected by a bot and the order can no longer be canceled (docs/architecture.md §3), the
//! invoice is issued, and the payment authorized is captured at pickup. Each counts on the UTC
//! day it first became ready (or completed, if the desk never saw it ready). Orders still
//! pending, approved or being shopped, and rejected or canceled ones, are not sales.

use super::catalog::id;
use crate::days::utc_day_start;
use crate::error::EdgeError;
use crate::views::{
    LineView, ManagerOrderDetail, ManagerOrderLineView, ManagerOrderView, OrderFilter,
    OrderStatusChangeView, SalesDayView,
};
use crate::Edge;
use mallbots_domain::ordering::OrderItem;
use mallbots_domain::{OrderId, StoreId};
use rusqlite::{params, Connection, Row};
use std::collections::HashMap;

/// One `rm_order_lines` row as the queries read it.
#[derive(Debug, Clone)]
struct Line {
    order_id: OrderId,
    store_id: StoreId,
    device_id: String,
    status: String,
    order_seq: i64,
    items: String,
    item_count: i64,
    total_cents: i64,
    currency: String,
    payment: Option<String>,
    invoice: Option<String>,
    phone_last4: Option<String>,
    placed_at: Option<i64>,
    first_seen_at: i64,
    updated_at: i64,
}

const LINE_COLUMNS: &str = "order_id, store_id, device_id, status, order_seq, items, item_count,
    total_cents, currency, payment, invoice, phone_last4, placed_at, first_seen_at, updated_at";

fn line_row(r: &Row<'_>) -> rusqlite::Result<Line> {
    Ok(Line {
        order_id: id(r, 0)?,
        store_id: id(r, 1)?,
        device_id: r.get(2)?,
        status: r.get(3)?,
        order_seq: r.get(4)?,
        items: r.get(5)?,
        item_count: r.get(6)?,
        total_cents: r.get(7)?,
        currency: r.get(8)?,
        payment: r.get(9)?,
        invoice: r.get(10)?,
        phone_last4: r.get(11)?,
        placed_at: r.get(12)?,
        first_seen_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

/// One order's summary from its lines (at least one): the newest line's status, device,
/// payment and invoice; sums of the lines; the earliest and latest times; its stores' names
/// (from the lines' items, else `catalog`, else the id). The pickup request is filled by the
/// caller.
fn summarize(lines: &[Line], catalog: &HashMap<String, String>) -> ManagerOrderView {
    let newest = lines
        .iter()
        .max_by_key(|l| (l.order_seq, l.updated_at))
        .expect("at least one line");
    let mut store_ids: Vec<StoreId> = lines.iter().map(|l| l.store_id).collect();
    store_ids.sort();
    store_ids.dedup();
    let first_seen_at = lines.iter().map(|l| l.first_seen_at).min().unwrap_or(0);
    let store_names = store_ids
        .iter()
        .map(|store| {
            let line = lines.iter().find(|l| l.store_id == *store);
            let named = line.map(|l| store_name(l, catalog)).unwrap_or_default();
            if named.is_empty() {
                store.to_string()
            } else {
                named
            }
        })
        .collect();
    ManagerOrderView {
        order_id: newest.order_id,
        status: newest.status.clone(),
        device_id: newest.device_id.clone(),
        store_ids,
        store_names,
        pickup: None,
        item_count: lines.iter().map(|l| l.item_count).sum(),
        total_cents: lines.iter().map(|l| l.total_cents).sum(),
        currency: newest.currency.clone(),
        payment: newest.payment.clone(),
        invoice: newest.invoice.clone(),
        phone_last4: newest
            .phone_last4
            .clone()
            .or_else(|| lines.iter().find_map(|l| l.phone_last4.clone())),
        placed_at: lines
            .iter()
            .filter_map(|l| l.placed_at)
            .min()
            .unwrap_or(first_seen_at),
        first_seen_at,
        updated_at: lines.iter().map(|l| l.updated_at).max().unwrap_or(0),
    }
}

/// A checked day of a filter, or `invalid_input` naming the field.
fn day(field: &str, value: Option<&String>) -> Result<Option<String>, EdgeError> {
    value
        .map(|d| {
            let d = d.trim();
            utc_day_start(d)
                .map(|_| d.to_owned())
                .ok_or_else(|| EdgeError::invalid(field, format!("`{d}` is not a date YYYY-MM-DD")))
        })
        .transpose()
}

/// A checked phone suffix: 1 to 4 digits (spaces and dashes ignored).
fn phone_suffix(value: Option<&String>) -> Result<Option<String>, EdgeError> {
    let Some(raw) = value else {
        return Ok(None);
    };
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EdgeError::invalid(
            "phone_suffix",
            "must be 1 to 4 digits (only the last 4 digits of a phone number are known)",
        ));
    }
    Ok(Some(digits))
}

fn store_names(conn: &Connection) -> Result<HashMap<String, String>, EdgeError> {
    let mut stmt = conn.prepare_cached("SELECT store_id, name FROM rm_stores")?;
    let names = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// A line's store name: from its items, else this desk's catalog; empty when neither knows it.
fn store_name(line: &Line, catalog: &HashMap<String, String>) -> String {
    let items: Vec<OrderItem> = serde_json::from_str(&line.items).unwrap_or_default();
    items
        .first()
        .map(|i| i.store_name.clone())
        .or_else(|| catalog.get(&line.store_id.to_string()).cloned())
        .unwrap_or_default()
}

fn line_view(line: &Line, catalog: &HashMap<String, String>) -> ManagerOrderLineView {
    let items: Vec<OrderItem> = serde_json::from_str(&line.items).unwrap_or_default();
    let store_name = store_name(line, catalog);
    ManagerOrderLineView {
        store_id: line.store_id,
        store_name,
        status: line.status.clone(),
        items: items.iter().map(LineView::from).collect(),
        item_count: line.item_count,
        total_cents: line.total_cents,
        currency: line.currency.clone(),
        order_seq: u64::try_from(line.order_seq).unwrap_or(0),
        first_seen_at: line.first_seen_at,
        updated_at: line.updated_at,
    }
}

impl Edge {
    /// The orders central reported to this desk (its stores' order lines), newest placed
    /// first, narrowed by `filter`; `invalid_input` for a malformed day or phone suffix.
    pub fn manager_orders(&self, filter: &OrderFilter) -> Result<Vec<ManagerOrderView>, EdgeError> {
        let from = day("from_day", filter.from_day.as_ref())?;
        let to = day("to_day", filter.to_day.as_ref())?;
        let phone = phone_suffix(filter.phone_suffix.as_ref())?;
        let status = filter.status.map(|s| s.as_str());
        let store = filter.store.map(|s| s.to_string());
        self.read(|r| {
            let mut stmt = r.connection().prepare_cached(&format!(
                "SELECT {LINE_COLUMNS} FROM rm_order_lines
                 WHERE (?1 IS NULL OR store_id = ?1)
                   AND (?2 IS NULL OR placed_day >= ?2) AND (?3 IS NULL OR placed_day <= ?3)
                   AND (?4 IS NULL OR substr(phone_last4, -length(?4)) = ?4)
                 ORDER BY order_id, store_id"
            ))?;
            let lines: Vec<Line> = stmt
                .query_map(params![store, from, to, phone], line_row)?
                .collect::<Result<_, _>>()?;
            let catalog = store_names(r.connection())?;
            let mut views: Vec<ManagerOrderView> = lines
                .chunk_by(|a, b| a.order_id == b.order_id)
                .map(|lines| summarize(lines, &catalog))
                .filter(|v| status.is_none_or(|s| v.status == s))
                .collect();
            views.sort_by(|a, b| {
                (b.placed_at, b.order_id.to_string()).cmp(&(a.placed_at, a.order_id.to_string()))
            });
            Ok(views)
        })
        .and_then(|views| self.with_pickups(views))
    }

    /// `views` with this desk's pickup request of each order.
    fn with_pickups(
        &self,
        views: Vec<ManagerOrderView>,
    ) -> Result<Vec<ManagerOrderView>, EdgeError> {
        views
            .into_iter()
            .map(|mut view| {
                view.pickup = self.pickup_request(view.order_id)?;
                Ok(view)
            })
            .collect()
    }

    /// One order's detail from its order lines (every store of this desk in it), or `None`
    /// when no line of it reached this desk.
    pub fn manager_order(&self, order: OrderId) -> Result<Option<ManagerOrderDetail>, EdgeError> {
        let detail = self.read(|r| {
            let conn = r.connection();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {LINE_COLUMNS} FROM rm_order_lines WHERE order_id = ?1 ORDER BY store_id"
            ))?;
            let lines: Vec<Line> = stmt
                .query_map([order.to_string()], line_row)?
                .collect::<Result<_, _>>()?;
            if lines.is_empty() {
                return Ok(None);
            }
            let catalog = store_names(conn)?;
            let summary = summarize(&lines, &catalog);
            let mut history: Vec<OrderStatusChangeView> = Vec::new();
            if lines.iter().any(|l| l.placed_at.is_some()) {
                history.push(OrderStatusChangeView {
                    status: "pending".into(),
                    at: summary.placed_at,
                    order_seq: 0,
                });
            }
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT order_seq, status, at FROM rm_order_line_history
                 WHERE order_id = ?1 ORDER BY order_seq, at",
            )?;
            let steps = stmt.query_map([order.to_string()], |r| {
                Ok(OrderStatusChangeView {
                    order_seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    status: r.get(1)?,
                    at: r.get(2)?,
                })
            })?;
            for step in steps {
                let step = step?;
                // A line that did not change the status (a refused cancellation) is no step.
                if history.last().is_none_or(|last| last.status != step.status) {
                    history.push(step);
                }
            }
            Ok(Some(ManagerOrderDetail {
                lines: lines.iter().map(|l| line_view(l, &catalog)).collect(),
                order: summary,
                history,
            }))
        })?;
        detail
            .map(|mut d| {
                d.order.pickup = self.pickup_request(order)?;
                Ok(d)
            })
            .transpose()
    }

    /// A store's sales per UTC day from the order lines (oldest first): lines that reached
    /// ready or completed, on the day they first did (see the module doc).
    pub fn desk_sales_per_day(&self, store: StoreId) -> Result<Vec<SalesDayView>, EdgeError> {
        self.read(|r| {
            let mut stmt = r.connection().prepare_cached(
                "SELECT store_id, sold_day, currency, COUNT(*), SUM(item_count), SUM(total_cents)
                 FROM rm_order_lines
                 WHERE store_id = ?1 AND sold_day IS NOT NULL AND status IN ('ready', 'completed')
                 GROUP BY sold_day, currency ORDER BY sold_day, currency",
            )?;
            let rows = stmt.query_map([store.to_string()], super::orders::sales_day)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}
