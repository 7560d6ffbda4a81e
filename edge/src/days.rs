//! UTC calendar days: the one day bucketing of the edge (sales per day, order date filters) and
//! of the app's charts. A day is `YYYY-MM-DD` text, which sorts like the days themselves.

/// The UTC calendar day `YYYY-MM-DD` of a Unix-millisecond time (H. Hinnant's civil_from_days).
pub fn utc_day(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix-millisecond time (for people reading the CLI).
pub fn utc_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        utc_day(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Unix milliseconds of 00:00 UTC of `day` (`YYYY-MM-DD`), or `None` if it is not a real date
/// of years 0000-9999 in that exact form (H. Hinnant's days_from_civil).
pub fn utc_day_start(day: &str) -> Option<i64> {
    let bytes = day.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &day[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (year, month, dom) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || dom < 1 {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + dom - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = days * 86_400_000;
    // A day past the month's end (02-30) lands in the next month: refuse it.
    (utc_day(ms) == day).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::{utc_day, utc_day_start};

    #[test]
    fn utc_days() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(951_782_400_000), "2000-02-29");
        assert_eq!(utc_day(1_700_000_000_000), "2023-11-14");
        assert_eq!(utc_day(-1), "1969-12-31");
    }

    #[test]
    fn day_starts_round_trip_and_refuse_what_is_not_a_date() {
        assert_eq!(utc_day_start("1970-01-01"), Some(0));
        assert_eq!(utc_day_start("2000-02-29"), Some(951_782_400_000));
        assert_eq!(utc_day_start("1969-12-31"), Some(-86_400_000));
        for ms in [0, 1_700_000_000_000, -1, 4_102_444_800_000] {
            let day = utc_day(ms);
            let start = utc_day_start(&day).unwrap();
            assert!(start <= ms && ms < start + 86_400_000, "{day}");
        }
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-1-01",
            "20230101",
            "",
            "2023-01-32",
            "+023-01-01",
            "2023-01-1x",
            "2023/01/01",
        ] {
            assert_eq!(utc_day_start(bad), None, "{bad}");
        }
    }
}
