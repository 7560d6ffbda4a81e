//! The mall's business days: sales per day, the day an order was placed and the desks' date
//! filters follow the mall's time zone (an IANA name such as `America/New_York`, stored in the
//! device's database by [`crate::Edge::set_time_zone`]; `UTC` until set). A day is
//! `YYYY-MM-DD` text, as in [`crate::days`], which is the UTC case.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rusqlite::Connection;
use std::cell::RefCell;

/// The zone of a database without one.
pub const DEFAULT_ZONE: &str = "UTC";

/// Days and times in one time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    name: String,
    zone: TimeZone,
}

impl Calendar {
    /// UTC.
    pub fn utc() -> Self {
        Self {
            name: DEFAULT_ZONE.to_owned(),
            zone: TimeZone::UTC,
        }
    }

    /// The zone named `name` (IANA, from the bundled time zone database), or why not.
    pub fn named(name: &str) -> Result<Self, String> {
        let zone = TimeZone::get(name.trim()).map_err(|_| {
            format!("{name:?} is not a time zone name (e.g. Europe/Madrid, America/New_York, UTC)")
        })?;
        Ok(Self {
            name: name.trim().to_owned(),
            zone,
        })
    }

    /// The zone's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The day `YYYY-MM-DD` of Unix-millisecond time `ms` in this zone.
    pub fn day(&self, ms: i64) -> String {
        match Timestamp::from_millisecond(ms) {
            Ok(at) => at.to_zoned(self.zone.clone()).date().to_string(),
            Err(_) => crate::days::utc_day(ms),
        }
    }

    /// Unix milliseconds of the first instant of `day` (`YYYY-MM-DD`) in this zone, or `None`
    /// if it is not a real date in that exact form.
    pub fn day_start(&self, day: &str) -> Option<i64> {
        crate::days::utc_day_start(day)?;
        let date: Date = day.parse().ok()?;
        let start = date.to_zoned(self.zone.clone()).ok()?.start_of_day().ok()?;
        Some(start.timestamp().as_millisecond())
    }
}

thread_local! {
    /// The last zone parsed on this thread (the writer's projections ask for it per order).
    static PARSED: RefCell<Option<Calendar>> = const { RefCell::new(None) };
}

/// The mall's calendar as the database at `conn` records it (UTC when it records none, or a
/// name this build does not know).
pub fn of_database(conn: &Connection) -> rusqlite::Result<Calendar> {
    let name =
        crate::mall_settings::read(conn, "time_zone")?.unwrap_or_else(|| DEFAULT_ZONE.to_owned());
    Ok(PARSED.with(|cached| {
        let mut cached = cached.borrow_mut();
        match cached.as_ref() {
            Some(c) if c.name == name => c.clone(),
            _ => {
                let c = Calendar::named(&name).unwrap_or_else(|_| Calendar::utc());
                *cached = Some(c.clone());
                c
            }
        }
    }))
}

impl crate::Edge {
    /// The mall's time zone as this device records it (`UTC` until set).
    pub fn time_zone(&self) -> Result<String, crate::EdgeError> {
        self.read(|r| Ok(of_database(r.connection())?.name().to_owned()))
    }

    /// Sets the mall's time zone (an IANA name; `mall.time_zone_unknown` otherwise). When it
    /// changes, the read models are rebuilt in the same transaction, since the days of sales
    /// and orders move with it. Returns whether it changed.
    pub fn set_time_zone(&self, name: &str) -> Result<bool, crate::EdgeError> {
        let calendar = Calendar::named(name)
            .map_err(|reason| crate::EdgeError::refused("mall.time_zone_unknown", reason))?;
        if self.time_zone()? == calendar.name() {
            return Ok(false);
        }
        self.with_writer(move |store, cache| {
            cache.clear();
            let upcasters = store.upcasters_arc();
            store.transaction(mallbots_sync::store::Durability::Normal, |tx| {
                crate::mall_settings::write(tx, "time_zone", calendar.name())?;
                let quiet: crate::Progress = std::sync::Arc::new(|_, _| {});
                crate::queries::maintenance::rebuild_everything(tx, &upcasters, &quiet)
            })?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-03 23:30 UTC.
    const LATE: i64 = 1_796_340_600_000;

    #[test]
    fn a_late_evening_order_belongs_to_the_malls_own_day() {
        assert_eq!(Calendar::utc().day(LATE), "2026-12-03");
        assert_eq!(
            Calendar::named("America/New_York").unwrap().day(LATE),
            "2026-12-03"
        );
        assert_eq!(
            Calendar::named("Asia/Tokyo").unwrap().day(LATE),
            "2026-12-04"
        );
        assert_eq!(
            Calendar::named("Europe/Madrid").unwrap().day(LATE),
            "2026-12-04"
        );
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let madrid = Calendar::named("Europe/Madrid").unwrap();
        let start = madrid.day_start("2026-12-04").unwrap();
        assert_eq!(start, 1_796_338_800_000, "23:00 UTC the evening before");
        assert_eq!(madrid.day(start), "2026-12-04");
        assert_eq!(madrid.day(start - 1), "2026-12-03");
        assert_eq!(madrid.day_start("2026-02-30"), None);
        assert_eq!(
            Calendar::utc().day_start("2026-12-04"),
            crate::days::utc_day_start("2026-12-04")
        );
    }

    #[test]
    fn unknown_names_are_refused_with_examples() {
        let err = Calendar::named("Mars/Olympus").unwrap_err();
        assert!(
            err.contains("Mars/Olympus") && err.contains("Europe/Madrid"),
            "{err}"
        );
    }
}
