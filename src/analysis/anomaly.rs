//! `anomaly`: things a FinOps lead should look at, with no saving claimed.
//!
//! * **Daily spikes**: a day whose billed spend for a provider is more than 3× that provider's
//!   median day this month (and at least `min_monthly_savings`). Confidence `medium`.
//! * **New this month**: a model or API key that first appears after the month's first week
//!   in a bill or a provider usage export (gateway logs are left out: their keys are often per
//!   user). Confidence `low` (it may be a planned launch). More than ten become one summary
//!   finding per provider.

use super::{Analysis, AnalysisCtx, Confidence, Finding};
use crate::ledger::NameOf;
use crate::money;
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeMap;

pub struct Anomaly;

const SPIKE_FACTOR: i64 = 3;
/// Above this many new models or keys, one summary finding per provider replaces the list.
const MAX_NEW: usize = 10;

impl Analysis for Anomaly {
    fn id(&self) -> &'static str {
        "anomaly"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let mut daily: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for r in ctx.ledger.billed_by_day()? {
            *daily
                .entry(r.provider)
                .or_default()
                .entry(r.day)
                .or_default() += r.billed_cost_nano;
        }
        let mut out = Vec::new();
        for (provider, days) in &daily {
            if days.len() < 7 {
                continue; // too few days for a baseline
            }
            let mut values: Vec<i64> = days.values().copied().collect();
            values.sort_unstable();
            let median = values[values.len() / 2];
            for (day, spend) in days {
                if median > 0
                    && *spend > median * SPIKE_FACTOR
                    && money::nanos_to_f64(*spend) >= ctx.settings.min_monthly_savings
                {
                    out.push(Finding::new(
                        "anomaly",
                        provider,
                        &format!("spend spike {day}"),
                        format!("{provider} billed {:.1}× its median day on {day}", *spend as f64 / median as f64),
                        *spend,
                        0,
                        Confidence::Medium,
                        json!({
                            "day": day,
                            "billed_cost": money::nanos_to_cent_f64(*spend as i128),
                            "median_day": money::nanos_to_cent_f64(median as i128),
                            "days_in_month_with_spend": days.len(),
                            "rule": format!("a day above {SPIKE_FACTOR}× the provider's median day"),
                        }),
                        format!("find what ran on {day} (ledger.parquet rows of {provider} that day) and whether it will recur"),
                        Vec::new(),
                    ));
                }
            }
        }
        out.extend(new_this_month(ctx)?);
        Ok(out)
    }
}

fn new_this_month(ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
    let first_week_end = ctx.month.start_ms() + 7 * 86_400_000;
    let mut out = Vec::new();
    for (by, label) in [(NameOf::Model, "model"), (NameOf::ApiKey, "API key")] {
        let mut first: BTreeMap<(String, String), (String, i64)> = BTreeMap::new();
        for r in ctx.ledger.billed_by_name_and_day(by)? {
            let Some(name) = r.name else {
                continue;
            };
            let e = first
                .entry((r.provider, name))
                .or_insert((r.day.clone(), 0));
            if r.day < e.0 {
                e.0 = r.day;
            }
            e.1 += r.billed_cost_nano;
        }
        let late: Vec<((String, String), (String, i64))> = first
            .into_iter()
            .filter(|(_, (day, _))| {
                crate::ingest::parse_timestamp_ms(day).is_some_and(|ms| ms >= first_week_end)
            })
            .collect();
        // More than a handful is a pattern, not a list to read: one summary per provider.
        if late.len() > MAX_NEW {
            let mut by_provider: BTreeMap<String, (usize, i64)> = BTreeMap::new();
            for ((provider, _), (_, billed)) in &late {
                let e = by_provider.entry(provider.clone()).or_default();
                e.0 += 1;
                e.1 += billed;
            }
            for (provider, (n, billed)) in by_provider {
                out.push(Finding::new(
                    "anomaly",
                    &provider,
                    &format!("new {label}s"),
                    format!("{n} {label}s first seen after the first week"),
                    billed.max(0),
                    0,
                    Confidence::Low,
                    json!({ "count": n, "billed_cost_since": money::nanos_to_cent_f64(billed as i128), "rule": "first seen after the month's first week" }),
                    format!("review the {n} new {label}s of {provider} in ledger.parquet"),
                    Vec::new(),
                ));
            }
            continue;
        }
        for ((provider, name), (day, billed)) in late {
            out.push(Finding::new(
                "anomaly",
                &provider,
                &format!("new {label} {name}"),
                format!("New {label} `{name}` first seen on {day}"),
                billed.max(0),
                0,
                Confidence::Low,
                json!({ "first_seen": day, "billed_cost_since": money::nanos_to_cent_f64(billed as i128), "rule": "first seen after the month's first week" }),
                format!("confirm that `{name}` is a planned {label} and has an owner"),
                Vec::new(),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{billed, run, settings};
    use super::*;

    #[test]
    fn a_day_at_ten_times_the_median_is_a_spike_with_no_saving() {
        let mut rows: Vec<_> = (1..=31)
            .map(|d| billed("openai", "org", "gpt-4.1", "10.00", d))
            .collect();
        rows.push(billed("openai", "org", "gpt-4.1", "90.00", 20));
        let f = run(&Anomaly, rows, &settings());
        let spike = f
            .iter()
            .find(|f| f.scope == "spend spike 2026-10-20")
            .expect("spike");
        assert_eq!(spike.monthly_savings_nano, 0);
    }

    #[test]
    fn a_seat_assigned_late_is_not_a_new_key_or_model() {
        use crate::ledger::{ChargeKind, LedgerRow, RecordRole};
        let mut rows: Vec<_> = (1..=31)
            .map(|d| billed("openai", "org", "gpt-4.1", "10.00", d))
            .collect();
        // A Copilot seat assigned on October 20: its user and plan are no API key or model.
        let mut seat = LedgerRow::new(
            "github",
            RecordRole::Usage,
            ChargeKind::Seat,
            super::super::testkit::oct(20),
            super::super::testkit::oct(31),
            "seats.json",
            2,
        );
        seat.model_raw = Some("copilot_business".into());
        seat.api_key = Some("new-hire".into());
        seat.quantity = 1.0;
        seat.unit = "seats";
        rows.push(seat);
        // A real new model on the 20th still is.
        rows.push(billed("openai", "org", "gpt-5", "5.00", 20));
        let f = run(&Anomaly, rows, &settings());
        let scopes: Vec<&str> = f.iter().map(|f| f.scope.as_str()).collect();
        assert!(scopes.contains(&"new model gpt-5"), "{scopes:?}");
        assert!(
            scopes
                .iter()
                .all(|s| !s.contains("copilot") && !s.contains("new-hire")),
            "{scopes:?}"
        );
    }

    #[test]
    fn a_flat_month_has_no_spike() {
        let rows: Vec<_> = (1..=31)
            .map(|d| billed("openai", "org", "gpt-4.1", "10.00", d))
            .collect();
        let f = run(&Anomaly, rows, &settings());
        assert!(
            f.iter().all(|f| !f.scope.starts_with("spend spike")),
            "{f:?}"
        );
    }
}
