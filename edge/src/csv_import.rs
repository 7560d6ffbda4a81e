//! CSV product import: parsing only (the use case is
//! [`crate::Edge::import_products_csv`]).
//!
//! The header is `sku,name,description,price` (any case, surrounding spaces ignored); prices are
//! major units with at most two decimals (`12.99`, `3`, `0.5`), parsed to cents exactly with
//! integer arithmetic, never floats. A bad row is reported with its line number and skipped.

use crate::error::EdgeError;
use crate::views::ProductView;
use serde::{Deserialize, Serialize};

/// The expected header.
pub const HEADER: [&str; 4] = ["sku", "name", "description", "price"];

/// A parsed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    /// 1-based line in the file.
    pub line: u64,
    /// Stock keeping unit.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// Price in cents.
    pub price_cents: i64,
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "LineError"))]
pub struct RowError {
    /// 1-based line in the file.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub line: u64,
    /// Machine-readable code (`invalid_input` for parse errors, else the rule's code).
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// The outcome of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// Products added.
    pub imported: Vec<ProductView>,
    /// Rows rejected, by line.
    pub errors: Vec<RowError>,
}

/// Parses a price in major units (`12.99`) into cents, exactly.
pub fn parse_price_cents(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
        return Err(format!(
            "price `{text}` must be a non-negative amount with at most two decimals, e.g. 12.99"
        ));
    }
    if text.ends_with('.') {
        return Err(format!("price `{text}` has a dangling decimal point"));
    }
    let overflow = || format!("price `{text}` is too large");
    let whole: i64 = whole.parse().map_err(|_| overflow())?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| overflow())? * 10,
        _ => fraction.parse().map_err(|_| overflow())?,
    };
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(overflow)
}

fn row_error(line: u64, message: impl Into<String>) -> RowError {
    RowError {
        line,
        code: "invalid_input".to_owned(),
        message: message.into(),
    }
}

/// Parses the file: good rows and bad rows. A missing or wrong header fails the whole import.
pub fn parse_products(
    reader: impl std::io::Read,
) -> Result<(Vec<ProductRow>, Vec<RowError>), EdgeError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = csv
        .headers()
        .map_err(|e| EdgeError::invalid("csv", e.to_string()))?;
    let names: Vec<String> = header.iter().map(str::to_lowercase).collect();
    if names != HEADER {
        return Err(EdgeError::invalid(
            "csv",
            format!(
                "header must be `{}`, found `{}`",
                HEADER.join(","),
                names.join(",")
            ),
        ));
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for record in csv.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(row_error(line, e.to_string()));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != HEADER.len() {
            let found = record.len();
            errors.push(row_error(line, format!("expected 4 fields, found {found}")));
            continue;
        }
        match parse_price_cents(&record[3]) {
            Ok(price_cents) => rows.push(ProductRow {
                line,
                sku: record[0].to_owned(),
                name: record[1].to_owned(),
                description: record[2].to_owned(),
                price_cents,
            }),
            Err(message) => errors.push(row_error(line, message)),
        }
    }
    Ok((rows, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_exactly() {
        assert_eq!(parse_price_cents("12.99"), Ok(1299));
        assert_eq!(parse_price_cents("0.1"), Ok(10));
        assert_eq!(parse_price_cents("3"), Ok(300));
        assert_eq!(parse_price_cents(" 0.07 "), Ok(7));
        assert!(parse_price_cents("1.005").is_err());
        for bad in [
            "",
            "-1",
            "1e3",
            "abc",
            "1.",
            ".5",
            "1,50",
            "99999999999999999999",
        ] {
            assert!(parse_price_cents(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rows_with_line_numbers() {
        let text = "sku,name,description,price\nA,Apple,red,1.20\nB,Bad,,x\nC,Only three,1\n";
        let (rows, errors) = parse_products(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].line, rows[0].price_cents), (2, 120));
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert!(parse_products("sku,name\n".as_bytes()).is_err());
    }
}
