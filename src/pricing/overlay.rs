//! The customer overlay: what this customer actually pays against list. A separate TOML file
//! named by the config's `overlay` key holds negotiated discounts (by provider, model or SKU),
//! committed-spend contracts, credits not shown on the bill, and dated FX rates. The shipped
//! catalog stays list-only; contracted cost = list × (1 − the most specific discount in force).
//! Format: docs/config.md.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
#[error("overlay `{file}`: {message}; see docs/config.md#overlay")]
pub struct OverlayError {
    pub file: String,
    pub message: String,
}

/// What a discount applies to; a narrower scope wins over a wider one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A ledger provider id (`openai`, `aws`, `azure`).
    Provider,
    /// A catalog model id (`anthropic/claude-sonnet-4-5`).
    Model,
    /// A catalog SKU id (`anthropic/claude-sonnet-4-5@aws-bedrock:geo`).
    Sku,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    pub scope: Scope,
    #[serde(rename = "match")]
    pub target: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub percent: Decimal,
    pub from: NaiveDate,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A committed-spend contract: `amount` over `[from, to)` with a provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub id: String,
    pub provider: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Spend already counted against the commitment before the audited month (from the
    /// vendor's portal); without it the term's earlier months are assumed at this month's rate.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub consumed_before: Option<Decimal>,
    /// Discount the commitment earns, applied to the provider like a `provider` discount.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub discount_percent: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credit {
    pub provider: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub date: NaiveDate,
    #[serde(default)]
    pub note: Option<String>,
}

/// `usd_per_unit` of `currency` from `from` until the next entry for the same currency.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxRate {
    pub currency: String,
    pub from: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub usd_per_unit: Decimal,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    #[serde(default)]
    pub discounts: Vec<Discount>,
    #[serde(default)]
    pub commitments: Vec<Commitment>,
    #[serde(default)]
    pub credits: Vec<Credit>,
    #[serde(default)]
    pub fx: Vec<FxRate>,
    /// The file it came from, for reports.
    #[serde(skip)]
    pub file: String,
}

use crate::util::in_half_open as in_force;

impl Overlay {
    pub fn parse(file: &str, text: &str) -> Result<Overlay, OverlayError> {
        let err = |message: String| OverlayError {
            file: file.to_string(),
            message,
        };
        let mut o: Overlay = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        o.file = file.to_string();
        let hundred = Decimal::from(100);
        for d in &o.discounts {
            if d.percent < Decimal::ZERO || d.percent > hundred {
                return Err(err(format!(
                    "discount on `{}` is `{}`%; use a percentage from 0 to 100",
                    d.target, d.percent
                )));
            }
            if d.to.is_some_and(|t| t <= d.from) {
                return Err(err(format!(
                    "discount on `{}` ends before it starts",
                    d.target
                )));
            }
        }
        for (i, a) in o.discounts.iter().enumerate() {
            for b in &o.discounts[i + 1..] {
                let disjoint =
                    a.to.is_some_and(|t| t <= b.from) || b.to.is_some_and(|t| t <= a.from);
                if a.scope == b.scope && a.target == b.target && !disjoint {
                    return Err(err(format!(
                        "two discounts on `{}` are in force at the same time",
                        a.target
                    )));
                }
            }
        }
        for c in &o.commitments {
            if c.to <= c.from || c.amount <= Decimal::ZERO {
                return Err(err(format!(
                    "commitment `{}` needs a positive amount and `to` after `from`",
                    c.id
                )));
            }
            if c.discount_percent
                .is_some_and(|p| p < Decimal::ZERO || p > hundred)
            {
                return Err(err(format!(
                    "commitment `{}`: discount_percent must be 0 to 100",
                    c.id
                )));
            }
        }
        for f in &o.fx {
            if f.usd_per_unit <= Decimal::ZERO {
                return Err(err(format!(
                    "FX rate for `{}` must be positive",
                    f.currency
                )));
            }
        }
        Ok(o)
    }

    /// The discount in force for a row on `day`, most specific first (SKU, model, provider);
    /// a commitment's discount counts as a provider discount. Returns (percent, what matched).
    pub fn discount_for(
        &self,
        provider: &str,
        model_id: Option<&str>,
        sku_id: Option<&str>,
        day: NaiveDate,
    ) -> Option<(Decimal, String)> {
        let matches = |d: &Discount| match d.scope {
            Scope::Provider => d.target == provider,
            Scope::Model => model_id == Some(d.target.as_str()),
            Scope::Sku => sku_id == Some(d.target.as_str()),
        };
        let explicit = self
            .discounts
            .iter()
            .filter(|d| in_force(d.from, d.to, day) && matches(d))
            .max_by_key(|d| d.scope)
            .map(|d| {
                (
                    d.percent,
                    format!("{:?} discount on `{}`", d.scope, d.target).to_lowercase(),
                )
            });
        explicit.or_else(|| {
            self.commitments
                .iter()
                .filter(|c| c.provider == provider && in_force(c.from, Some(c.to), day))
                .find_map(|c| {
                    c.discount_percent
                        .map(|p| (p, format!("commitment `{}` discount", c.id)))
                })
        })
    }

    /// USD per unit of `currency` on `day`: the latest entry starting on or before it.
    pub fn usd_per_unit(&self, currency: &str, day: NaiveDate) -> Option<Decimal> {
        self.fx
            .iter()
            .filter(|f| f.currency.eq_ignore_ascii_case(currency) && f.from <= day)
            .max_by_key(|f| f.from)
            .map(|f| f.usd_per_unit)
    }
}

/// Contracted cost in nano-units: list less `percent`.
pub fn contracted_nanos(list: i64, percent: Decimal) -> i64 {
    let factor = Decimal::ONE - percent / Decimal::from(100);
    crate::money::decimal_to_nanos(Decimal::from(list) * factor / Decimal::from(1_000_000_000))
        .unwrap_or(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TEXT: &str = r#"
[[discounts]]
scope = "provider"
match = "anthropic"
percent = "10"
from = "2026-01-01"

[[discounts]]
scope = "model"
match = "anthropic/claude-haiku-4-5"
percent = "25"
from = "2026-10-15"

[[commitments]]
id = "openai-2026"
provider = "openai"
amount = "120000"
from = "2026-01-01"
to = "2027-01-01"
discount_percent = "8"

[[fx]]
currency = "EUR"
from = "2026-01-01"
usd_per_unit = "1.05"

[[fx]]
currency = "EUR"
from = "2026-10-01"
usd_per_unit = "1.08"
"#;

    #[test]
    fn the_most_specific_discount_in_force_wins() {
        let o = Overlay::parse("o.toml", TEXT).unwrap();
        let haiku = Some("anthropic/claude-haiku-4-5");
        assert_eq!(
            o.discount_for("anthropic", haiku, None, day("2026-10-14"))
                .unwrap()
                .0,
            Decimal::from(10)
        );
        assert_eq!(
            o.discount_for("anthropic", haiku, None, day("2026-10-15"))
                .unwrap()
                .0,
            Decimal::from(25)
        );
        assert_eq!(
            o.discount_for("openai", Some("openai/gpt-4.1"), None, day("2026-10-15"))
                .unwrap()
                .0,
            Decimal::from(8)
        );
        assert!(o
            .discount_for("openai", None, None, day("2027-01-01"))
            .is_none());
        assert!(o
            .discount_for("azure", None, None, day("2026-10-15"))
            .is_none());
    }

    #[test]
    fn fx_uses_the_latest_rate_on_or_before_the_day() {
        let o = Overlay::parse("o.toml", TEXT).unwrap();
        assert_eq!(
            o.usd_per_unit("eur", day("2026-09-30")),
            Some(Decimal::new(105, 2))
        );
        assert_eq!(
            o.usd_per_unit("EUR", day("2026-10-01")),
            Some(Decimal::new(108, 2))
        );
        assert_eq!(o.usd_per_unit("EUR", day("2025-12-31")), None);
        assert_eq!(o.usd_per_unit("GBP", day("2026-10-01")), None);
    }

    #[test]
    fn contracted_is_list_less_the_discount_exactly() {
        assert_eq!(
            contracted_nanos(1_000_000_000, Decimal::from(10)),
            900_000_000
        );
        assert_eq!(contracted_nanos(333, Decimal::ZERO), 333);
    }

    #[test]
    fn the_example_overlay_in_the_repo_parses() {
        let text = include_str!("../../fixtures/contract.example.toml");
        let o = Overlay::parse("contract.example.toml", text).unwrap();
        assert_eq!(o.discounts.len(), 3);
        let sku = Some("anthropic/claude-sonnet-4-5@aws-bedrock:geo");
        let d = o.discount_for(
            "aws",
            Some("anthropic/claude-sonnet-4-5"),
            sku,
            day("2026-10-01"),
        );
        assert_eq!(d.unwrap().0, Decimal::from(7));
    }

    #[test]
    fn invalid_overlays_are_rejected_with_the_reason() {
        let bad = "[[discounts]]\nscope = \"provider\"\nmatch = \"x\"\npercent = \"150\"\nfrom = \"2026-01-01\"\n";
        assert!(Overlay::parse("o.toml", bad)
            .unwrap_err()
            .to_string()
            .contains("0 to 100"));
        let twice = format!("{bad}{bad}").replace("150", "5");
        assert!(Overlay::parse("o.toml", &twice)
            .unwrap_err()
            .to_string()
            .contains("same time"));
    }
}
