//! Order-line read model: `rm_order_lines` (one row per order and store) and
//! `rm_order_line_history` (each status with its time), from central's `OrderLineUpdated` on
//! `<root>.ev.store.<store>.orderline.<order>`, which a manager or depot desk's consumer
//! receives through the inbox.
//!
//! Central stamps each line with `order_seq`, the stream sequence of the order event it
//! reflects. The row keeps the state of the highest `order_seq` seen (status, device, items,
//! totals, payment, invoice, `updated_at`); an older line arriving late only adds its status to
//! the history and may move `first_seen_at` (the earliest `at`) and `sold_at` (the earliest
//! ready or completed `at`) back. So the row does not depend on the order lines arrive in, a
//! redelivery changes nothing, and a rebuild from the log gives the same rows.
//!
//! Days (`placed_day`, `sold_day`) are the mall's days ([`crate::calendar`]). `placed_day` is the
//! day of `placed_at` (the kiosk's OrderCreated, sent by central since it carries it), else of
//! `first_seen_at`.

use crate::calendar::Calendar;
use mallbots_domain::ordering::OrderLineEvent;
use mallbots_sync::store::{Migration, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

/// The order-line tables (their own set, `edge_order_lines` v1).
pub(super) const MIGRATION: Migration = Migration {
    set: "edge_order_lines",
    version: 1,
    name: "order_lines",
    sql: include_str!("migrations/0003_order_lines.sql"),
};

/// The tables of this projection.
pub const ORDER_LINE_TABLES: &[&str] = &["rm_order_lines", "rm_order_line_history"];

/// The snake-case name of a serde unit enum value (`"authorized"`, `"paid"`).
fn name<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Whether a line in this status counts as sold (see [`crate::Edge::sales_per_day`]).
pub(crate) fn is_sale(status: &str) -> bool {
    matches!(status, "ready" | "completed")
}

/// An `rm_order_lines` row without its key.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
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
    phone_seq: Option<i64>,
    placed_at: Option<i64>,
    first_seen_at: i64,
    updated_at: i64,
    sold_at: Option<i64>,
}

fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Row {
    /// The row one event alone makes.
    pub(super) fn of(event: &OrderLineEvent) -> Result<Self, StoreError> {
        let OrderLineEvent::OrderLineUpdated {
            device,
            status,
            items,
            order_seq,
            at,
            placed_at,
            payment,
            invoice,
            phone_last4,
            ..
        } = event;
        let order_seq = i64::try_from(*order_seq).map_err(|_| StoreError::Projection {
            code: "projection.undecodable",
            message: format!("order line sequence {order_seq} out of range"),
        })?;
        let status = status.as_str().to_owned();
        let sold_at = is_sale(&status).then_some(at.0);
        Ok(Self {
            device_id: device.clone(),
            order_seq,
            items: serde_json::to_string(items).map_err(|e| StoreError::codec("encode", e))?,
            item_count: items.iter().map(|i| i.quantity).sum(),
            total_cents: items.iter().map(|i| i.line_total().cents).sum(),
            currency: items
                .first()
                .map_or_else(|| "USD".to_owned(), |i| i.price.currency.to_string()),
            payment: payment.as_ref().and_then(name),
            invoice: invoice.as_ref().and_then(name),
            phone_seq: phone_last4.as_ref().map(|_| order_seq),
            phone_last4: phone_last4.clone(),
            placed_at: placed_at.map(|p| p.0),
            first_seen_at: at.0,
            updated_at: at.0,
            sold_at,
            status,
        })
    }

    /// The sequence of the order event this row's state reflects.
    pub(super) fn order_seq(&self) -> i64 {
        self.order_seq
    }

    /// This row merged with another event's row of the same (order, store): the newest state
    /// wins, the earliest times stay, the phone is the newest known one. Commutative.
    pub(super) fn merge(self, other: Row) -> Row {
        let (newer, older) = if other.order_seq > self.order_seq {
            (other, self)
        } else {
            (self, other)
        };
        let (phone_last4, phone_seq) = match (newer.phone_seq, older.phone_seq) {
            (Some(n), Some(o)) if o > n => (older.phone_last4.clone(), older.phone_seq),
            (None, Some(_)) => (older.phone_last4.clone(), older.phone_seq),
            _ => (newer.phone_last4.clone(), newer.phone_seq),
        };
        Row {
            phone_last4,
            phone_seq,
            placed_at: newer.placed_at.or(older.placed_at),
            first_seen_at: newer.first_seen_at.min(older.first_seen_at),
            sold_at: earliest(newer.sold_at, older.sold_at),
            ..newer
        }
    }
}

/// The row of (order, store), if any.
pub(super) fn load(
    tx: &Transaction<'_>,
    order: &str,
    store: &str,
) -> Result<Option<Row>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT device_id, status, order_seq, items, item_count, total_cents, currency,
               payment, invoice, phone_last4, phone_seq, placed_at, first_seen_at, updated_at,
               sold_at
             FROM rm_order_lines WHERE order_id = ?1 AND store_id = ?2",
        )?
        .query_row(params![order, store], |r| {
            Ok(Row {
                device_id: r.get(0)?,
                status: r.get(1)?,
                order_seq: r.get(2)?,
                items: r.get(3)?,
                item_count: r.get(4)?,
                total_cents: r.get(5)?,
                currency: r.get(6)?,
                payment: r.get(7)?,
                invoice: r.get(8)?,
                phone_last4: r.get(9)?,
                phone_seq: r.get(10)?,
                placed_at: r.get(11)?,
                first_seen_at: r.get(12)?,
                updated_at: r.get(13)?,
                sold_at: r.get(14)?,
            })
        })
        .optional()?)
}

/// Writes the row of (order, store), its days in `calendar`.
pub(super) fn store(
    tx: &Transaction<'_>,
    calendar: &Calendar,
    order: &str,
    store: &str,
    row: &Row,
) -> Result<(), StoreError> {
    let placed_day = calendar.day(row.placed_at.unwrap_or(row.first_seen_at));
    let sold_day = row.sold_at.map(|at| calendar.day(at));
    tx.prepare_cached(
        "INSERT OR REPLACE INTO rm_order_lines (order_id, store_id, device_id, status, order_seq,
           items, item_count, total_cents, currency, payment, invoice, phone_last4, phone_seq,
           placed_at, placed_day, first_seen_at, updated_at, sold_at, sold_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
           ?19)",
    )?
    .execute(params![
        order,
        store,
        row.device_id,
        row.status,
        row.order_seq,
        row.items,
        row.item_count,
        row.total_cents,
        row.currency,
        row.payment,
        row.invoice,
        row.phone_last4,
        row.phone_seq,
        row.placed_at,
        placed_day,
        row.first_seen_at,
        row.updated_at,
        row.sold_at,
        sold_day
    ])?;
    Ok(())
}

/// Projects one order line.
pub(super) fn apply(tx: &Transaction<'_>, event: &OrderLineEvent) -> Result<(), StoreError> {
    let OrderLineEvent::OrderLineUpdated {
        order_id,
        store_id,
        status,
        at,
        ..
    } = event;
    let (order, store_id) = (order_id.to_string(), store_id.to_string());
    let row = Row::of(event)?;
    insert_history(tx, &order, &store_id, row.order_seq, status.as_str(), at.0)?;
    let merged = match load(tx, &order, &store_id)? {
        Some(existing) => {
            let merged = existing.clone().merge(row);
            if merged == existing {
                return Ok(());
            }
            merged
        }
        None => row,
    };
    let calendar = crate::calendar::of_database(tx)?;
    store(tx, &calendar, &order, &store_id, &merged)
}

/// Adds a status to the history of (order, store); the first one recorded at a sequence stays.
pub(super) fn insert_history(
    tx: &Transaction<'_>,
    order: &str,
    store: &str,
    order_seq: i64,
    status: &str,
    at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO rm_order_line_history (order_id, store_id, order_seq, status, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![order, store, order_seq, status, at])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, status: &str, at: i64, phone: Option<&str>) -> Row {
        Row {
            device_id: "k1".into(),
            status: status.into(),
            order_seq: seq,
            items: "[]".into(),
            item_count: 0,
            total_cents: 0,
            currency: "USD".into(),
            payment: None,
            invoice: None,
            phone_last4: phone.map(str::to_owned),
            phone_seq: phone.map(|_| seq),
            placed_at: None,
            first_seen_at: at,
            updated_at: at,
            sold_at: is_sale(status).then_some(at),
        }
    }

    /// Every order of merging gives the same row.
    #[test]
    fn merging_is_order_independent() {
        let rows = [
            row(3, "approved", 30, Some("1111")),
            row(5, "in_progress", 50, None),
            row(8, "ready", 80, Some("2222")),
            row(9, "completed", 90, None),
        ];
        let fold = |order: &[usize]| {
            order
                .iter()
                .map(|&i| rows[i].clone())
                .reduce(Row::merge)
                .unwrap()
        };
        let expected = fold(&[0, 1, 2, 3]);
        assert_eq!(expected.status, "completed");
        assert_eq!(expected.phone_last4.as_deref(), Some("2222"));
        assert_eq!((expected.first_seen_at, expected.updated_at), (30, 90));
        assert_eq!(expected.sold_at, Some(80));
        for order in [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2], [3, 0, 2, 1]] {
            assert_eq!(fold(&order), expected, "{order:?}");
        }
        let again = expected.clone().merge(rows[2].clone());
        assert_eq!(again, expected, "a redelivery changes nothing");
    }
}
