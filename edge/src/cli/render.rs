//! Human-readable lines for the views (the `--json` output is the views themselves).

use crate::views::{BotView, ShoppingListView, StoreView};
use crate::views::{CartView, CatalogView, CustomerView, OrderView, ProductView, SalesDayView};
use crate::views::{ManagerOrderDetail, ManagerOrderView};
use crate::{EdgeError, ImportReport, TrailEntry};

/// Cents as `12.34`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn on(flag: bool) -> &'static str {
    if flag {
        "on"
    } else {
        "off"
    }
}

/// One store.
pub fn store(s: &StoreView) -> String {
    format!(
        "store {} \"{}\" at {}: participating {}, automated shopping {}{}{}",
        s.store_id,
        s.name,
        s.location,
        on(s.participating),
        on(s.automated_shopping),
        match s.place {
            Some(p) => format!(", on the map at level {} ({}, {})", p.level, p.x, p.y),
            None => String::new(),
        },
        if s.removed { " (removed)" } else { "" }
    )
}

/// One product.
pub fn product(p: &ProductView) -> String {
    format!(
        "product {} {} \"{}\" {} {} (store {}){}",
        p.product_id,
        p.sku,
        p.name,
        money(p.price_cents),
        p.currency,
        p.store_id,
        if p.removed { " (removed)" } else { "" }
    )
}

/// The catalog.
pub fn catalog(c: &CatalogView) -> String {
    let mut out = Vec::new();
    for s in &c.stores {
        out.push(store(s));
        for p in c.products.iter().filter(|p| p.store_id == s.store_id) {
            out.push(format!("  {}", product(p)));
        }
    }
    out.join("\n")
}

/// `1 item`, `3 items`.
fn items(count: impl Into<i64>) -> String {
    match count.into() {
        1 => "1 item".to_owned(),
        n => format!("{n} items"),
    }
}

/// One customer.
pub fn customer(c: &CustomerView) -> String {
    format!("customer {} \"{}\" {}", c.customer_id, c.name, c.sms_number)
}

/// One cart with its lines.
pub fn cart(c: &CartView) -> String {
    let mut out = vec![format!(
        "cart {} {}{}: {}, total {} {}",
        c.cart_id,
        c.status,
        c.cancel_reason
            .as_ref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
        items(c.item_count),
        money(c.total_cents),
        c.currency
    )];
    for l in &c.lines {
        out.push(format!(
            "  {} x {} \"{}\" @ {} = {}",
            l.quantity,
            l.product_id,
            l.product_name,
            money(l.price_cents),
            money(l.line_total_cents)
        ));
    }
    out.join("\n")
}

/// One order with its lines.
pub fn order(o: &OrderView) -> String {
    let mut out = vec![format!(
        "order {} {}{}{}: total {} {}",
        o.order_id,
        o.status,
        if o.synced { "" } else { " (waiting to sync)" },
        if o.cancellation_requested {
            " (cancellation requested)"
        } else {
            ""
        },
        money(o.total_cents),
        o.currency
    )];
    if let Some(code) = &o.pickup_code {
        out.push(format!(
            "  pickup code {} (the customer shows it at the depot)",
            mallbots_domain::notifications::spaced_code(code)
        ));
    }
    for l in &o.items {
        out.push(format!(
            "  {} x \"{}\" from \"{}\" = {}",
            l.quantity,
            l.product_name,
            l.store_name,
            money(l.line_total_cents)
        ));
    }
    out.join("\n")
}

/// A desk's order summary on one line.
pub fn manager_order_line(o: &ManagerOrderView) -> String {
    let mut line = format!(
        "order {} {} placed {} at kiosk {}: {}, total {} {}",
        o.order_id,
        o.status,
        crate::utc_day(o.placed_at),
        o.device_id,
        items(o.item_count),
        money(o.total_cents),
        o.currency
    );
    if let Some(p) = &o.payment {
        line.push_str(&format!(", payment {p}"));
    }
    if let Some(i) = &o.invoice {
        line.push_str(&format!(", invoice {i}"));
    }
    if let Some(phone) = &o.phone_last4 {
        line.push_str(&format!(", phone …{phone}"));
    }
    line
}

/// A desk's orders, one per line.
pub fn manager_orders(orders: &[ManagerOrderView]) -> String {
    if orders.is_empty() {
        return "no orders".into();
    }
    orders
        .iter()
        .map(manager_order_line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A desk's order detail: summary, each store's lines, status history.
pub fn manager_order(d: &ManagerOrderDetail) -> String {
    let mut out = vec![manager_order_line(&d.order)];
    for l in &d.lines {
        out.push(format!(
            "  store {} \"{}\" {}: total {} {}",
            l.store_id,
            l.store_name,
            l.status,
            money(l.total_cents),
            l.currency
        ));
        for i in &l.items {
            out.push(format!(
                "    {} x \"{}\" = {}",
                i.quantity,
                i.product_name,
                money(i.line_total_cents)
            ));
        }
    }
    let steps: Vec<String> = d
        .history
        .iter()
        .map(|h| format!("{} {}", h.status, h.at))
        .collect();
    out.push(format!("  history: {}", steps.join(" → ")));
    out.join("\n")
}

/// Sales per day.
pub fn sales(days: &[SalesDayView]) -> String {
    days.iter()
        .map(|d| {
            format!(
                "{} {} orders, {} items, {} {}",
                d.day,
                d.orders,
                d.items,
                money(d.total_cents),
                d.currency
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Bots, one per line: id, name, status, list and store.
pub fn bots(bots: &[BotView]) -> String {
    if bots.is_empty() {
        return "no bots reported yet".into();
    }
    let lines: Vec<String> = bots
        .iter()
        .map(|b| {
            let mut line = format!("bot {} \"{}\" {}", b.bot_id, b.name, b.status);
            if let Some(list) = b.list_id {
                line.push_str(&format!(" list {list}"));
            }
            if let Some(store) = b.store_id {
                let name = b.store_name.as_deref().unwrap_or("?");
                line.push_str(&format!(" at store {store} \"{name}\""));
            }
            line
        })
        .collect();
    lines.join("\n")
}

/// Shopping lists with their stops.
pub fn lists(lists: &[ShoppingListView]) -> String {
    if lists.is_empty() {
        return "no shopping lists yet".into();
    }
    let mut out = Vec::new();
    for l in lists {
        let bot = match (l.bot_id, &l.bot_name) {
            (Some(_), Some(name)) => format!(" bot \"{name}\""),
            (Some(id), None) => format!(" bot {id}"),
            _ => String::new(),
        };
        out.push(format!(
            "list {} order {} {}{bot}",
            l.list_id, l.order_id, l.status
        ));
        for s in &l.stops {
            out.push(format!(
                "  stop {} \"{}\": {} items{}",
                s.store_id,
                s.store_name.as_deref().unwrap_or("?"),
                s.quantity,
                if s.picked { " (picked)" } else { "" }
            ));
        }
    }
    out.join("\n")
}

/// A CSV import report.
pub fn import(r: &ImportReport) -> String {
    let mut out = vec![format!(
        "imported {} products, {} rows rejected",
        r.imported.len(),
        r.errors.len()
    )];
    for e in &r.errors {
        out.push(format!("  line {}: {}: {}", e.line, e.code, e.message));
    }
    out.join("\n")
}

/// One desk request: `pickup <order> requested` / `refused pickup.not_ready: …`.
pub fn desk_request(r: &crate::DeskRequestView) -> String {
    let what = match (r.order_id, r.list_id, r.store_id) {
        (Some(order), _, _) => format!("pickup of order {order}"),
        (_, Some(list), Some(store)) => format!("stop {store} of list {list} prepared"),
        _ => r.kind.clone(),
    };
    match (&r.code, &r.reason) {
        (Some(code), Some(reason)) => format!("{what}: {} {code}: {reason}", r.status),
        (Some(code), None) => format!("{what}: {} {code}", r.status),
        _ => format!("{what}: {}", r.status),
    }
}

/// An audit trail: one line per event (`2026-12-04 03:20:01 UTC  central  approved …`), or CSV
/// with a header row (`at` as UTC time, then event type, stream, device, user, summary).
pub fn trail(entries: &[TrailEntry], csv: bool) -> Result<String, EdgeError> {
    if !csv {
        let lines: Vec<String> = entries
            .iter()
            .map(|e| {
                let who = match (&e.device, &e.user) {
                    (Some(d), Some(u)) => format!("{u}@{d}"),
                    (Some(d), None) => d.clone(),
                    (None, Some(u)) => u.clone(),
                    (None, None) => "-".to_owned(),
                };
                format!("{}  {who:<14} {}", crate::days::utc_time(e.at), e.summary)
            })
            .collect();
        return Ok(lines.join("\n"));
    }
    let mut out = ::csv::Writer::from_writer(Vec::new());
    let failed = |e: ::csv::Error| EdgeError::invalid("csv", e.to_string());
    out.write_record(["at", "event_type", "stream", "device", "user", "summary"])
        .map_err(failed)?;
    for e in entries {
        out.write_record([
            crate::days::utc_time(e.at).as_str(),
            &e.event_type,
            &e.stream,
            e.device.as_deref().unwrap_or(""),
            e.user.as_deref().unwrap_or(""),
            &e.summary,
        ])
        .map_err(failed)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| EdgeError::invalid("csv", e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_in_major_units() {
        assert_eq!(super::money(1299), "12.99");
        assert_eq!(super::money(-5), "-0.05");
    }
}
