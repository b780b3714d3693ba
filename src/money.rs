//! Exact money arithmetic.
//!
//! Billing exports write amounts as decimal strings with up to 16 fractional digits, sometimes in
//! scientific notation (`5.64902E-05`, Azure). Summing them as `f64` drifts, so every amount is
//! parsed once into an integer count of **nano-units** (1e-9 of the currency) and summed as
//! integers. Rounding to 1e-9 per row bounds the total error at `rows × 0.5e-9`, which stays below
//! half a cent up to ten million rows; totals are rounded to cents only when presented.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Nano-units (1e-9) per currency unit.
pub const NANO: i64 = 1_000_000_000;

/// Parses a money or quantity string into nano-units.
///
/// Accepts plain decimals, a leading `+`/`-`, thousands-free numbers and scientific notation.
/// Returns `None` for anything else (empty, `NULL`, text, overflow).
pub fn parse_nanos(raw: &str) -> Option<i64> {
    let d = parse_decimal(raw)?;
    decimal_to_nanos(d)
}

/// Parses a decimal string exactly, including scientific notation.
pub fn parse_decimal(raw: &str) -> Option<Decimal> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if s.contains(['e', 'E']) {
        return Decimal::from_scientific(s).ok();
    }
    // Spreadsheet formatting: `$10,000.00`, `-€1,234.5`. Only well-formed thousands groups are
    // accepted, so a decimal comma (`1,5`) is still rejected rather than misread.
    if s.contains([',', '$', '€', '£']) {
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let body = body.trim_start_matches(['$', '€', '£']);
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let groups: Vec<&str> = int.split(',').collect();
        let well_formed = !groups[0].is_empty()
            && groups[0].len() <= 3
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
            && groups[1..].iter().all(|g| g.len() == 3)
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return None;
        }
        let plain = format!(
            "{}{}{}{}",
            if neg { "-" } else { "" },
            groups.concat(),
            if frac.is_empty() { "" } else { "." },
            frac
        );
        return Decimal::from_str(&plain).ok();
    }
    Decimal::from_str(s.strip_prefix('+').unwrap_or(s)).ok()
}

/// Converts a decimal amount to nano-units, rounding half away from zero.
pub fn decimal_to_nanos(d: Decimal) -> Option<i64> {
    let scaled = d.checked_mul(Decimal::from(NANO))?;
    scaled
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// Nano-units as a float amount, for charts and the convenience float columns.
pub fn nanos_to_f64(n: i64) -> f64 {
    n as f64 / NANO as f64
}

/// Rounds nano-units to whole cents (half away from zero), returned in cents.
pub fn nanos_to_cents(n: i128) -> i128 {
    let per_cent = (NANO / 100) as i128;
    let half = per_cent / 2;
    if n >= 0 {
        (n + half) / per_cent
    } else {
        -((-n + half) / per_cent)
    }
}

/// Formats nano-units as a currency amount with two decimals, e.g. `12,345.67`.
pub fn format_amount(n: i128) -> String {
    let cents = nanos_to_cents(n);
    let neg = cents < 0;
    let cents = cents.abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!(
        "{}{}.{:02}",
        if neg { "-" } else { "" },
        grouped,
        cents % 100
    )
}

/// Nano-units rounded to cents, as a JSON-friendly float with exactly two decimals of meaning.
pub fn nanos_to_cent_f64(n: i128) -> f64 {
    nanos_to_cents(n) as f64 / 100.0
}

/// Serialises nano-units as an amount rounded to cents (for JSON outputs).
pub fn serialize_cents<S: serde::Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(nanos_to_cent_f64(*v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_scientific() {
        assert_eq!(parse_nanos("1.5"), Some(1_500_000_000));
        assert_eq!(parse_nanos("0.0000000004"), Some(0));
        assert_eq!(parse_nanos("0.0000000005"), Some(1));
        assert_eq!(parse_nanos("5.64902E-05"), Some(56_490));
        assert_eq!(parse_nanos("-2.25"), Some(-2_250_000_000));
        assert_eq!(parse_nanos("+3"), Some(3 * NANO));
        assert_eq!(parse_nanos("0.8958000000000001"), Some(895_800_000));
        assert_eq!(parse_nanos("$10,000.00"), Some(10_000 * NANO));
        assert_eq!(parse_nanos("-$1,234.5"), Some(-1_234_500_000_000));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_nanos(""), None);
        assert_eq!(parse_nanos("NULL"), None);
        assert_eq!(parse_nanos("1,5"), None);
        assert_eq!(parse_nanos("1,23,456"), None);
        assert_eq!(parse_nanos("$"), None);
        assert_eq!(parse_nanos("99999999999999999999"), None);
    }

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(nanos_to_cents(5_000_000), 1);
        assert_eq!(nanos_to_cents(4_999_999), 0);
        assert_eq!(nanos_to_cents(-5_000_000), -1);
        assert_eq!(format_amount(1_234_567_890_000), "1,234.57");
        assert_eq!(format_amount(-10_000_000), "-0.01");
        assert_eq!(format_amount(0), "0.00");
    }
}
