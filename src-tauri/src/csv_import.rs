//! CSV product import for the manager window: parse the text, add every valid line, and report
//! each line that was refused with its line number and `{code, message}`.
//!
//! The file needs a header naming the columns `sku`, `name` and `price` (any order, any case);
//! `description` is optional. Prices are decimals such as `12.50` or `$1,299.00`.

use crate::error::{codes, ApiError};
use serde::Serialize;

/// One product line as read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLine {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// Stock-keeping unit.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// One-line description (empty when the column is missing).
    pub description: String,
    /// Price in cents.
    pub price_cents: i64,
}

/// A line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// Machine-readable reason, as the command would have returned it.
    pub code: String,
    /// What to fix.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// SKUs added, in file order.
    pub added: Vec<String>,
    /// Lines refused, in file order.
    pub errors: Vec<LineError>,
}

impl LineError {
    fn new(line: u64, err: ApiError) -> Self {
        Self {
            line,
            code: err.code.into_owned(),
            message: err.message,
        }
    }
}

/// Parses a typed price (`12`, `12.5`, `12.50`, `$1,299.00`) into cents.
pub fn parse_price(text: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || whole.len() > 9 || fraction.len() > 2 {
        return None;
    }
    if cleaned.contains('.') && !digits(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    Some(whole * 100 + fraction)
}

/// Reads every data line: a parsed product, or the reason the line is unusable. A missing or
/// incomplete header fails the whole file.
pub fn parse(text: &str) -> Result<Vec<Result<ProductLine, LineError>>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ApiError::invalid(format!("the file is not CSV: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(sku), Some(name), Some(price)) = (column("sku"), column("name"), column("price"))
    else {
        return Err(ApiError::invalid(
            "the first line must name the columns sku, name and price (description is optional)",
        ));
    };
    let description = column("description");
    // The reader's own line count skips blank lines; count from the byte offset instead.
    let line_at = |pos: Option<&csv::Position>| {
        pos.map_or(0, |p| {
            let mut upto = usize::try_from(p.byte())
                .unwrap_or(usize::MAX)
                .min(text.len());
            // A record's position may be the blank lines before it.
            while matches!(text.as_bytes().get(upto), Some(b'\n' | b'\r')) {
                upto += 1;
            }
            text.as_bytes()[..upto]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
                + 1
        })
    };
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = line_at(e.position());
                let err = ApiError::invalid(format!("unreadable line: {e}"));
                lines.push(Err(LineError::new(line, err)));
                continue;
            }
        };
        let line = line_at(record.position());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_owned();
        let price_text = field(Some(price));
        lines.push(match parse_price(&price_text) {
            Some(price_cents) => Ok(ProductLine {
                line,
                sku: field(Some(sku)),
                name: field(Some(name)),
                description: field(description),
                price_cents,
            }),
            None => Err(LineError::new(
                line,
                ApiError::new(
                    codes::INVALID_INPUT,
                    format!("the price {price_text:?} is not an amount like 12.50"),
                ),
            )),
        });
    }
    if lines.is_empty() {
        return Err(ApiError::invalid(
            "the file has no product lines after its header",
        ));
    }
    Ok(lines)
}

/// Parses `text` and passes every valid line to `add`, collecting what was added and refused.
pub fn import(
    text: &str,
    mut add: impl FnMut(&ProductLine) -> Result<(), ApiError>,
) -> Result<ImportReport, ApiError> {
    let mut report = ImportReport::default();
    for parsed in parse(text)? {
        match parsed.map(|line| (add(&line), line)) {
            Ok((Ok(()), line)) => report.added.push(line.sku),
            Ok((Err(err), line)) => report.errors.push(LineError::new(line.line, err)),
            Err(line_error) => report.errors.push(line_error),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_to_cents_and_junk_does_not() {
        for (text, cents) in [
            ("12", 1200),
            ("12.5", 1250),
            ("$1,299.00", 129_900),
            ("0.07", 7),
        ] {
            assert_eq!(parse_price(text), Some(cents), "{text}");
        }
        for text in ["", "-1", "1.234", "abc", "1.x", "12.", "1e3"] {
            assert_eq!(parse_price(text), None, "{text}");
        }
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number_and_the_rest_is_added() {
        let text = "SKU,Name,Price,Description\n\
                    TEA-1,Green tea,4.50,Loose leaf\n\
                    TEA-2,Black tea,four,\n\
                    \n\
                    TEA-1,Duplicate,1.00\n\
                    TEA-3,,2.00\n";
        let mut seen = Vec::new();
        let report = import(text, |line| {
            if seen.contains(&line.sku) {
                return Err(ApiError::new(codes::ALREADY_EXISTS, "duplicate SKU"));
            }
            if line.name.is_empty() {
                return Err(ApiError::invalid("the name must not be blank"));
            }
            seen.push(line.sku.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(report.added, ["TEA-1"]);
        let summary: Vec<(u64, &str)> = report
            .errors
            .iter()
            .map(|e| (e.line, e.code.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (3, "invalid_input"),
                (5, "already_exists"),
                (6, "invalid_input")
            ]
        );
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused_whole() {
        let err = import("name,cost\nTea,1\n", |_| Ok(())).unwrap_err();
        assert_eq!(err.code, "invalid_input");
        let err = import("sku,name,price\n\n", |_| Ok(())).unwrap_err();
        assert!(err.message.contains("no product lines"), "{err}");
        let lines = parse("price,name,sku\n1.00,Tea,T-1\n").unwrap();
        assert_eq!(
            lines[0].as_ref().unwrap().sku,
            "T-1",
            "columns by header name"
        );
    }
}
