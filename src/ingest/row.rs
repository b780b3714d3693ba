//! Typed access to one row of a [`StrTable`], with errors that name the column.

use super::table::StrTable;
use crate::money;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Why a row could not be turned into ledger lines.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct RowError {
    /// The column at fault, when one is.
    pub column: Option<String>,
    pub reason: String,
}

impl RowError {
    pub fn new(column: Option<&str>, reason: impl Into<String>) -> Self {
        RowError {
            column: column.map(str::to_string),
            reason: reason.into(),
        }
    }
}

/// One data row of a scanned export.
pub struct RowView<'a> {
    pub table: &'a StrTable,
    pub index: usize,
}

/// Cells that spreadsheet-style exports use for "no value".
fn is_blank(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.eq_ignore_ascii_case("null") || t == "-"
}

impl<'a> RowView<'a> {
    /// The trimmed cell, `None` when absent or blank.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let v = self.table.cell(column, self.index)?;
        if is_blank(v) {
            None
        } else {
            Some(v.trim())
        }
    }

    /// The trimmed cell as an owned string.
    pub fn text(&self, column: &str) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    pub fn required(&self, column: &str) -> Result<&'a str, RowError> {
        self.get(column).ok_or_else(|| {
            RowError::new(Some(column), format!("missing value in column `{column}`"))
        })
    }

    /// A non-negative count; blank is zero (empty buckets leave metric cells blank). Counts are
    /// often written as floats (`59200.0`).
    pub fn count(&self, column: &str) -> Result<f64, RowError> {
        match self.get(column) {
            None => Ok(0.0),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
                _ => Err(RowError::new(
                    Some(column),
                    format!("`{v}` in column `{column}` is not a non-negative number"),
                )),
            },
        }
    }

    /// A money amount in nano-units; blank is an error (a cost line without a cost).
    pub fn money(&self, column: &str) -> Result<i64, RowError> {
        let v = self.required(column)?;
        money::parse_nanos(v).ok_or_else(|| {
            RowError::new(
                Some(column),
                format!("`{v}` in column `{column}` is not an amount"),
            )
        })
    }

    /// An optional money amount; blank is `None`, garbage is an error.
    pub fn money_opt(&self, column: &str) -> Result<Option<i64>, RowError> {
        match self.get(column) {
            None => Ok(None),
            Some(_) => self.money(column).map(Some),
        }
    }

    /// A timestamp in any of the forms exports use, as UTC milliseconds.
    pub fn timestamp(&self, column: &str) -> Result<i64, RowError> {
        let v = self.required(column)?;
        parse_timestamp_ms(v).ok_or_else(|| {
            RowError::new(
                Some(column),
                format!("`{v}` in column `{column}` is not a date or time this tool reads"),
            )
        })
    }

    /// The row's identifying detail: `column=value` for each of `columns` that has a value,
    /// `None` when none has (see `LedgerRow::identity`).
    pub fn identity(&self, columns: &[&str]) -> Option<String> {
        let parts: Vec<String> = columns
            .iter()
            .filter_map(|c| self.get(c).map(|v| format!("{c}={v}")))
            .collect();
        (!parts.is_empty()).then(|| parts.join("\u{1f}"))
    }

    pub fn bool(&self, column: &str) -> Result<bool, RowError> {
        match self.get(column).map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") | Some("0") | Some("no") => Ok(false),
            Some("true") | Some("1") | Some("yes") => Ok(true),
            Some(v) => Err(RowError::new(
                Some(column),
                format!("`{v}` in column `{column}` is not true or false"),
            )),
        }
    }
}

/// Parses Unix seconds (integer or float), RFC 3339 / ISO 8601 with `Z` or an offset (also the
/// short `+00` form), `YYYY-MM-DD HH:MM:SS[.fff]`, `YYYY-MM-DD` and US `M/D/YYYY` dates.
/// Naive times are UTC.
pub fn parse_timestamp_ms(raw: &str) -> Option<i64> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !s.contains('-') {
        let secs: f64 = s.parse().ok()?;
        // Ten-digit seconds; a 13-digit value is already milliseconds.
        return Some(if secs > 1e11 {
            secs as i64
        } else {
            (secs * 1000.0).round() as i64
        });
    }
    let mut iso = s.replacen(' ', "T", 1);
    // `+00` / `-05` short offsets are not RFC 3339; widen them.
    if let Some(pos) = iso.rfind(['+', '-']) {
        let tail = &iso[pos + 1..];
        if pos > 10 && tail.len() == 2 && tail.bytes().all(|b| b.is_ascii_digit()) {
            iso.push_str(":00");
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(&iso) {
        return Some(dt.with_timezone(&Utc).timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&iso, fmt) {
            return Some(Utc.from_utc_datetime(&n).timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(
            Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
                .timestamp_millis(),
        );
    }
    // US dates: `9/2/2023` (Azure) and `5/1/25` (FOCUS spec examples). The year's width decides
    // the format, so `25` is never read as the year 25.
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let year: i32 = match parts[2].len() {
            4 => parts[2].parse().ok()?,
            2 => 2000 + parts[2].parse::<i32>().ok()?,
            _ => return None,
        };
        let d = NaiveDate::from_ymd_opt(year, parts[0].parse().ok()?, parts[1].parse().ok()?)?;
        return Some(
            Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
                .timestamp_millis(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp_ms;

    const OCT1: i64 = 1_790_812_800_000; // 2026-10-01T00:00:00Z

    #[test]
    fn reads_every_timestamp_form() {
        assert_eq!(parse_timestamp_ms("1790812800"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("1790812800.0"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("2026-10-01T00:00:00+00:00"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("2026-10-01T00:00:00Z"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("2026-10-01 00:00:00"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("2026-10-01 00:00:00.000"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("2026-10-01 02:00:00+02"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("2026-10-01"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("10/1/2026"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("10/1/26"), Some(OCT1));
        assert_eq!(parse_timestamp_ms("2026-10-01T00:00:00.000Z"), Some(OCT1));
    }

    #[test]
    fn rejects_non_dates() {
        assert_eq!(parse_timestamp_ms("yesterday"), None);
        assert_eq!(parse_timestamp_ms("2026-13-01"), None);
        assert_eq!(parse_timestamp_ms(""), None);
        assert_eq!(parse_timestamp_ms("10/1/202"), None);
    }
}
