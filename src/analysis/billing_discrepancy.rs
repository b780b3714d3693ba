//! `billing_discrepancy`: a model's billed cost differs from the contracted cost of the usage
//! the provider's own usage export reports for it, by more than `discrepancy_tolerance` (5%).
//! Contracted = catalog list less the customer overlay's discount in force (list without an
//! overlay).
//!
//! Only providers whose quantities come from their own usage export are compared (a gateway log
//! covers part of the traffic and would fake a discrepancy), and only models whose usage is
//! fully priced. Billed above contracted is claimed as a saving (overbilling, a discount not
//! applied, a tier billed that was not used): confidence `high` with an overlay (the terms are
//! known), `medium` without. Billed below contracted is reported with no saving (a discount the
//! overlay should state), confidence `low`. A gap beyond 10× either way is reported as a unit
//! check (a quantity read in the wrong unit is likelier than a price), with no saving.

use super::{Analysis, AnalysisCtx, Confidence, Finding};
use crate::money;
use anyhow::Result;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub struct BillingDiscrepancy;

impl Analysis for BillingDiscrepancy {
    fn id(&self) -> &'static str {
        "billing_discrepancy"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let from_usage: BTreeSet<(&str, &str)> = ctx
            .profiles
            .iter()
            .filter(|p| p.source == "usage")
            .map(|p| (p.provider.as_str(), p.model_id.as_str()))
            .collect();
        let mut rows: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for p in ctx.profiles.iter().filter(|p| p.source == "usage") {
            *rows
                .entry((p.provider.as_str(), p.model_id.as_str()))
                .or_default() += p.rows;
        }
        let mut contracted: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for p in ctx.profiles.iter().filter(|p| p.source == "usage") {
            *contracted
                .entry((p.provider.as_str(), p.model_id.as_str()))
                .or_default() += p.contracted_cost_nano;
        }
        let has_overlay = ctx.overlay_terms.is_some();
        let mut out = Vec::new();
        for ((provider, model), (billed, list_cost)) in &ctx.model_money {
            let list = contracted
                .get(&(provider.as_str(), model.as_str()))
                .unwrap_or(list_cost);
            if !from_usage.contains(&(provider.as_str(), model.as_str()))
                || *billed <= 0
                || *list <= 0
            {
                continue;
            }
            let gap = *billed - *list;
            let share = gap as f64 / *list as f64;
            if share.abs() <= ctx.settings.discrepancy_tolerance {
                continue;
            }
            let over = gap > 0;
            // Beyond 10× either way, a unit error (1K blocks read as tokens, a quantity in the
            // wrong column) is likelier than a pricing dispute: no saving is claimed on it.
            let factor = *billed as f64 / *list as f64;
            let unit_error = !(0.1..=10.0).contains(&factor);
            let savings = if unit_error { 0 } else { gap.max(0) };
            if over && money::nanos_to_f64(savings) < ctx.settings.min_monthly_savings {
                continue;
            }
            let evidence = json!({
                "billed_cost": money::nanos_to_cent_f64(*billed as i128),
                "list_cost_of_reported_usage": money::nanos_to_cent_f64(*list_cost as i128),
                "contracted_cost_of_reported_usage": money::nanos_to_cent_f64(*list as i128),
                "difference": money::nanos_to_cent_f64(gap as i128),
                "difference_share": share,
                "tolerance": ctx.settings.discrepancy_tolerance,
                "billed_to_contracted_factor": factor,
                "unit_check": if unit_error { "beyond 10× either way: treated as a likely unit error, no saving claimed" } else { "within 10×" },
                "usage_rows": rows.get(&(provider.as_str(), model.as_str())),
                "lines": "ledger.parquet rows with this provider and model_id: record_role billed (the bill) and usage (the list-priced usage)",
                "assumptions": [
                    "the provider's usage export covers all of this model's billed usage",
                    match ctx.overlay_terms.map(|o| o.file.as_str()) {
                        Some(file) => format!("contracted = list less the discounts in the customer overlay `{file}`"),
                        None => "no customer overlay in the config: contracted = list".to_string(),
                    },
                ],
            });
            out.push(Finding::new(
                "billing_discrepancy",
                provider,
                &format!("model {model}"),
                if unit_error {
                    format!("{model} billed {factor:.1}× the contracted cost of its usage: check the units")
                } else if over {
                    format!("{model} billed {:.1}% above the contracted cost of its usage", share * 100.0)
                } else {
                    format!("{model} billed {:.1}% below the contracted cost of its usage", -share * 100.0)
                },
                *billed,
                savings,
                match (over && !unit_error, has_overlay) {
                    (true, true) => Confidence::High,
                    (true, false) => Confidence::Medium,
                    (false, _) => Confidence::Low,
                },
                evidence,
                if unit_error {
                    format!("check the units of {provider}'s usage export and bill for {model} (token blocks, a quantity column); the gap is too large to be a price")
                } else if over {
                    format!("reconcile {provider}'s invoice for {model} against its usage export and claim the difference, or correct the service tier")
                } else {
                    format!("record {provider}'s discount for {model} in the customer overlay so savings are computed on contracted prices")
                },
                Vec::new(),
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{billed, month_of_usage, run, settings, usd};
    use super::*;
    use crate::ledger::ServiceTier;

    /// gpt-4.1 usage listing at $680 this month, and a bill of `daily` a day for 31 days.
    fn case(daily: &str) -> Vec<crate::ledger::LedgerRow> {
        let mut rows = month_of_usage(
            "openai",
            "triage",
            "gpt-4.1",
            ServiceTier::Standard,
            (300e6, 0.0, 10e6, None),
        );
        rows.extend((1..=31).map(|d| billed("openai", "org", "gpt-4.1", daily, d)));
        rows
    }

    #[test]
    fn a_bill_above_the_contracted_cost_of_the_usage_is_an_overcharge() {
        // $24.00 × 31 = $744 billed against $680 list: $64 over (9.4%).
        let f = run(&BillingDiscrepancy, case("24.00"), &settings());
        assert_eq!(f.len(), 1);
        assert_eq!(usd(f[0].monthly_savings_nano), 64.0);
        assert_eq!(f[0].confidence, Confidence::Medium);
    }

    #[test]
    fn a_gap_beyond_ten_times_is_a_unit_check_not_a_saving() {
        // $800 a day × 31 = $24,800 billed against $680 of listed usage: 36×.
        let f = run(&BillingDiscrepancy, case("800.00"), &settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].monthly_savings_nano, 0);
        assert_eq!(f[0].confidence, Confidence::Low);
        assert!(f[0].title.contains("check the units"), "{}", f[0].title);
    }

    #[test]
    fn a_bill_within_the_tolerance_is_not_reported() {
        // $22.00 × 31 = $682: 0.3% over list.
        assert!(run(&BillingDiscrepancy, case("22.00"), &settings()).is_empty());
    }
}
