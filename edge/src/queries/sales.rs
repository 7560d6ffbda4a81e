//! Sales for the chart: the last N days up to today by this edge's clock, one entry per day of
//! the mall's time zone ([`crate::calendar`])
//! (days without sales included, as zeros), of one store or of every store in the catalog
//! here. Built from [`Edge::sales_per_day`], so a desk counts central's order lines and a kiosk
//! its own orders, as that query documents.

use crate::calendar::Calendar;
use crate::error::EdgeError;
use crate::views::{DailySalesView, SalesDayView};
use crate::Edge;
use mallbots_domain::StoreId;

/// The longest span [`Edge::sales_days`] returns (a year and a day).
pub const MAX_SALES_DAYS: u32 = 366;

const DAY_MS: i64 = 86_400_000;

/// `rows` (per store and day, days without sales absent) as the `days` days up to the day of
/// `now_ms` in `calendar`, oldest first, zero days included.
pub fn fill_days(
    rows: &[SalesDayView],
    days: u32,
    now_ms: i64,
    calendar: &Calendar,
) -> Vec<DailySalesView> {
    let currency = rows.first().map_or("USD", |r| r.currency.as_str());
    // Days counted back from today's local noon: a 23- or 25-hour day never skips a date.
    let today = calendar.day(now_ms);
    let noon = calendar.day_start(&today).unwrap_or(now_ms) + DAY_MS / 2;
    (0..i64::from(days))
        .rev()
        .map(|back| {
            let day = calendar.day(noon - back * DAY_MS);
            let today = rows.iter().filter(|r| r.day == day);
            let (orders, items, total_cents) = today.fold((0, 0, 0), |(o, i, c), r| {
                (o + r.orders, i + r.items, c + r.total_cents)
            });
            DailySalesView {
                day,
                orders,
                items,
                total_cents,
                currency: currency.to_owned(),
            }
        })
        .collect()
}

impl Edge {
    /// Sales of the last `days` days (1 to [`MAX_SALES_DAYS`]) up to today, oldest first, one
    /// entry per day: of `store`, or of every store this device's catalog has.
    pub fn sales_days(
        &self,
        store: Option<StoreId>,
        days: u32,
    ) -> Result<Vec<DailySalesView>, EdgeError> {
        if days == 0 || days > MAX_SALES_DAYS {
            return Err(EdgeError::invalid(
                "days",
                format!("days must be between 1 and {MAX_SALES_DAYS}"),
            ));
        }
        let rows = match store {
            Some(store) => self.sales_per_day(store)?,
            None => {
                let mut rows = Vec::new();
                for store in self.stores()? {
                    rows.extend(self.sales_per_day(store.store_id)?);
                }
                rows
            }
        };
        let calendar = self.read(|r| Ok(crate::calendar::of_database(r.connection())?))?;
        Ok(fill_days(&rows, days, self.now().0, &calendar))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_days_without_sales_are_filled_and_stores_summed() {
        const STORE: &str = "0192f0c0-0000-7000-8000-000000000001";
        let now = 20_000 * DAY_MS + 5_000;
        let row = |at: i64, orders: i64, total_cents: i64| SalesDayView {
            store_id: STORE.parse().expect("store id"),
            day: crate::days::utc_day(at),
            currency: "USD".into(),
            orders,
            items: orders,
            total_cents,
        };
        let rows = [
            row(now - 2 * DAY_MS, 2, 900),
            row(now, 1, 100),
            row(now, 2, 50),
            row(now - 30 * DAY_MS, 5, 1),
        ];
        let sales = fill_days(&rows, 3, now, &Calendar::utc());
        let got: Vec<(i64, i64)> = sales.iter().map(|s| (s.orders, s.total_cents)).collect();
        assert_eq!(got, [(2, 900), (0, 0), (3, 150)]);
        assert_eq!(sales[2].day, crate::days::utc_day(now));
        assert!(sales.iter().all(|s| s.currency == "USD"));
    }
}
