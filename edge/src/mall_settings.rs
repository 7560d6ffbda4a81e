//! The mall's settings a device records, in the table `edge_mall_settings` (one row per
//! setting): its time zone (read by [`crate::calendar`]), the currency new products are priced
//! in and the phone format of the kiosk's number pad.

use rusqlite::{Connection, OptionalExtension};

/// The value of setting `name` the database at `conn` records, if any.
pub(crate) fn read(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM edge_mall_settings WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()
}

/// Records setting `name` as `value` (inside the caller's transaction).
pub(crate) fn write(conn: &Connection, name: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO edge_mall_settings (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?
    .execute([name, value])?;
    Ok(())
}

/// The mall's currency as the database at `conn` records it (US dollars until set).
pub fn currency_of_database(conn: &Connection) -> rusqlite::Result<mallbots_domain::Currency> {
    Ok(read(conn, "currency")?
        .and_then(|c| mallbots_domain::Currency::parse(&c))
        .unwrap_or_default())
}

/// How the kiosk shows and checks a customer's mobile number.
pub const PHONE_FORMATS: [&str; 2] = ["north_american", "international"];

impl crate::Edge {
    /// Records setting `name` as `value` in its own transaction.
    fn store_setting(&self, name: &'static str, value: String) -> Result<(), crate::EdgeError> {
        self.with_writer(move |store, _| {
            store.transaction(mallbots_sync::store::Durability::Normal, |tx| {
                Ok(write(tx, name, &value)?)
            })?;
            Ok(())
        })
    }

    /// The mall's phone format ([`PHONE_FORMATS`]; `north_american` until set): the kiosk's
    /// number pad shows `(555) 123-4567` and wants ten digits, or `+44 20 7946 0958` style and
    /// 8 to 15 digits.
    pub fn phone_format(&self) -> Result<String, crate::EdgeError> {
        self.read(|r| {
            Ok(
                read(r.connection(), "phone_format")?
                    .unwrap_or_else(|| PHONE_FORMATS[0].to_owned()),
            )
        })
    }

    /// Sets the mall's phone format (`mall.phone_format_invalid` for another name). Returns
    /// whether it changed.
    pub fn set_phone_format(&self, format: &str) -> Result<bool, crate::EdgeError> {
        let format = format.trim().to_ascii_lowercase().replace('-', "_");
        if !PHONE_FORMATS.contains(&format.as_str()) {
            return Err(crate::EdgeError::refused(
                "mall.phone_format_invalid",
                format!(
                    "{format:?} is not a phone format: {}",
                    PHONE_FORMATS.join(" or ")
                ),
            ));
        }
        if self.phone_format()? == format {
            return Ok(false);
        }
        self.store_setting("phone_format", format)?;
        Ok(true)
    }

    /// The mall's currency: new products are priced in it (`USD` until set).
    pub fn currency(&self) -> Result<mallbots_domain::Currency, crate::EdgeError> {
        self.read(|r| Ok(currency_of_database(r.connection())?))
    }

    /// Sets the mall's currency (an ISO-4217 code such as `EUR`; `mall.currency_invalid`
    /// otherwise). Products priced before keep their currency. Returns whether it changed.
    pub fn set_currency(&self, code: &str) -> Result<bool, crate::EdgeError> {
        let currency = mallbots_domain::Currency::parse(code).ok_or_else(|| {
            crate::EdgeError::refused(
                "mall.currency_invalid",
                format!("{code:?} is not a three-letter currency code (e.g. USD, EUR, GBP)"),
            )
        })?;
        if self.currency()? == currency {
            return Ok(false);
        }
        self.store_setting("currency", currency.as_str().to_owned())?;
        Ok(true)
    }
}
