//! The mall's settings a device records beside its time zone ([`crate::calendar`]): the
//! currency new products are priced in and the phone format of the kiosk's number pad, in the
//! table `edge_mall_settings` (one row per setting).

use rusqlite::{Connection, OptionalExtension};

/// The mall's currency as the database at `conn` records it (US dollars until set).
pub fn currency_of_database(conn: &Connection) -> rusqlite::Result<mallbots_domain::Currency> {
    let code: Option<String> = conn
        .prepare_cached("SELECT value FROM edge_mall_settings WHERE name = 'currency'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(code
        .and_then(|c| mallbots_domain::Currency::parse(&c))
        .unwrap_or_default())
}

/// How the kiosk shows and checks a customer's mobile number.
pub const PHONE_FORMATS: [&str; 2] = ["north_american", "international"];

impl crate::Edge {
    /// The mall's phone format ([`PHONE_FORMATS`]; `north_american` until set): the kiosk's
    /// number pad shows `(555) 123-4567` and wants ten digits, or `+44 20 7946 0958` style and
    /// 8 to 15 digits.
    pub fn phone_format(&self) -> Result<String, crate::EdgeError> {
        self.read(|r| {
            let format: Option<String> = r
                .connection()
                .prepare_cached("SELECT value FROM edge_mall_settings WHERE name = 'phone_format'")?
                .query_row([], |row| row.get(0))
                .optional()?;
            Ok(format.unwrap_or_else(|| PHONE_FORMATS[0].to_owned()))
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
        self.with_writer(move |store, _| {
            store.transaction(mallbots_sync::store::Durability::Normal, |tx| {
                tx.execute(
                    "INSERT INTO edge_mall_settings (name, value) VALUES ('phone_format', ?1)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    [&format],
                )?;
                Ok(())
            })?;
            Ok(true)
        })
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
        self.with_writer(move |store, _| {
            store.transaction(mallbots_sync::store::Durability::Normal, |tx| {
                tx.execute(
                    "INSERT INTO edge_mall_settings (name, value) VALUES ('currency', ?1)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    [currency.as_str()],
                )?;
                Ok(())
            })?;
            Ok(true)
        })
    }
}
