//! Fixed-price list rates beside the token catalog: seat plans (`pricing/seats.toml`) and
//! provisioned capacity (`pricing/capacity.toml`). Same rules as model prices: decimal
//! strings, half-open dated periods with a status and a source; a rate nobody publishes is
//! left empty and says so, never zero.

use super::catalog::PeriodStatus;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One seat plan's price in `[from, to)`, per seat and month.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatPrice {
    pub id: String,
    pub from: NaiveDate,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    pub status: PeriodStatus,
    pub sources: Vec<String>,
    /// Month-to-month price; `None` when the vendor publishes none.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub monthly: Option<Decimal>,
    /// Per-month price on annual billing.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub annual_monthly: Option<Decimal>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatPlan {
    /// The plan id seat exports produce (`copilot_business`).
    pub id: String,
    pub product: String,
    pub prices: Vec<SeatPrice>,
}

impl SeatPlan {
    /// The price in force on `day`; cancelled periods never apply.
    pub fn price_on(&self, day: NaiveDate) -> Option<&SeatPrice> {
        self.prices.iter().find(|p| {
            p.status != PeriodStatus::Cancelled && crate::util::in_half_open(p.from, p.to, day)
        })
    }
}

/// A provisioned-capacity list rate (Azure PTU, Bedrock model units, Vertex GSUs).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityRate {
    pub id: String,
    pub platform: String,
    pub region: String,
    /// `ptu-hour`, `ptu-month`, `model-unit-hour`, `gsu-month`.
    pub unit: String,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub rate: Option<Decimal>,
    pub sources: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SeatsFile {
    #[serde(default)]
    pub plans: Vec<SeatPlan>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CapacityFile {
    #[serde(default)]
    pub capacity: Vec<CapacityRate>,
}

/// Sources on every period, no negative price, no overlapping periods, a note wherever a
/// rate is missing (so an empty rate is a statement, not an omission).
pub(super) fn validate(seats: &[SeatPlan], capacity: &[CapacityRate]) -> Result<(), String> {
    for plan in seats {
        let mut live: Vec<&SeatPrice> = plan
            .prices
            .iter()
            .filter(|p| p.status != PeriodStatus::Cancelled)
            .collect();
        live.sort_by_key(|p| p.from);
        for w in live.windows(2) {
            if w[0].to.is_none_or(|to| to > w[1].from) {
                return Err(format!("seat plan `{}`: periods overlap", plan.id));
            }
        }
        for p in &plan.prices {
            if p.sources.is_empty() {
                return Err(format!(
                    "seat plan `{}` period `{}` has no source",
                    plan.id, p.id
                ));
            }
            if p.monthly.is_none() && p.note.is_none() {
                return Err(format!(
                    "seat plan `{}` period `{}` has no price and no note saying why",
                    plan.id, p.id
                ));
            }
            if p.monthly.is_some_and(|m| m < Decimal::ZERO)
                || p.annual_monthly.is_some_and(|m| m < Decimal::ZERO)
            {
                return Err(format!("seat plan `{}`: negative price", plan.id));
            }
        }
    }
    for c in capacity {
        if c.sources.is_empty() {
            return Err(format!("capacity rate `{}` has no source", c.id));
        }
        if c.rate.is_none() && c.note.is_none() {
            return Err(format!(
                "capacity rate `{}` has no rate and no note saying why",
                c.id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_seat_plans_price_copilot_and_leave_enterprise_chatgpt_to_the_config() {
        let c = super::super::Catalog::embedded().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let business = c
            .seat_plan("copilot_business")
            .unwrap()
            .price_on(day)
            .unwrap();
        assert_eq!(business.monthly, Some(Decimal::new(1900, 2)));
        let enterprise = c
            .seat_plan("chatgpt_enterprise")
            .unwrap()
            .price_on(day)
            .unwrap();
        assert_eq!(enterprise.monthly, None);
        assert!(c
            .capacity()
            .iter()
            .any(|r| r.id == "azure-ptu-global-hourly"));
    }

    #[test]
    fn a_missing_rate_needs_a_note() {
        let plan = SeatPlan {
            id: "p".into(),
            product: "P".into(),
            prices: vec![SeatPrice {
                id: "list".into(),
                from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                to: None,
                status: PeriodStatus::Active,
                sources: vec!["s".into()],
                monthly: None,
                annual_monthly: None,
                note: None,
            }],
        };
        assert!(validate(&[plan], &[]).unwrap_err().contains("no note"));
    }
}
