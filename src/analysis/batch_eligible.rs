//! `batch_eligible`: offline workloads running at the standard tier, re-priced at the batch
//! (or flex) rate of the same model.
//!
//! Offline means: listed in the config's `offline_workloads` (confidence `medium`), tagged
//! offline in the source (a request tag, label or resource tag containing `offline`, `batch`,
//! `nightly`, `backfill` or `etl`; confidence `low`), or a machine-like arrival pattern in the
//! per-request logs: at least 240 requests spread flat over the 24 UTC hours (every hour at
//! least a third of the hourly mean, none above twice it), unlike the office-hours shape of
//! people waiting on answers (confidence `low`). Saving: the same mix priced at the batch rate.

use super::{price_profile, Analysis, AnalysisCtx, Confidence, Finding};
use crate::ledger::ServiceTier;
use crate::money;
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeSet;

pub struct BatchEligible;

const OFFLINE_WORDS: &[&str] = &["offline", "batch", "nightly", "backfill", "etl"];

impl Analysis for BatchEligible {
    fn id(&self) -> &'static str {
        "batch_eligible"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let mut tagged: BTreeSet<String> = BTreeSet::new();
        for r in ctx.ledger.workload_tags()? {
            let tags = r.tags.unwrap_or_default().to_ascii_lowercase();
            if OFFLINE_WORDS.iter().any(|w| tags.contains(w)) {
                tagged.insert(r.workload.unwrap_or_default());
            }
        }
        let at = ctx.reference_ms();
        let mut out = Vec::new();
        for p in ctx
            .profiles
            .iter()
            .filter(|p| p.tier == ServiceTier::Standard)
        {
            let declared = ctx
                .settings
                .offline_workloads
                .iter()
                .any(|w| w == &p.workload);
            let flat = ctx
                .request_stats_for(&p.workload, &p.model_id)
                .filter(|s| uniform_arrivals(&s.hourly));
            let because = if declared {
                json!("listed in config `offline_workloads`")
            } else if tagged.contains(&p.workload) {
                json!("tagged offline / batch / nightly / backfill / etl in the source")
            } else if let Some(s) = flat {
                json!({
                    "arrival_pattern": "flat over the 24 UTC hours, like a scheduled or queued job",
                    "requests_per_utc_hour": s.hourly,
                })
            } else {
                continue;
            };
            let mut batch = p.clone();
            batch.tier = ServiceTier::Batch;
            let (Ok((now_ref, price)), Ok((batch_ref, batch_price))) = (
                price_profile(ctx.catalog, &p.model_id, p, at),
                price_profile(ctx.catalog, &p.model_id, &batch, at),
            ) else {
                continue; // no batch rate for this model
            };
            if now_ref <= 0 || batch_ref >= now_ref {
                continue;
            }
            let fraction = 1.0 - batch_ref as f64 / now_ref as f64;
            let ratio = ctx.billed_ratio(&p.provider, &p.model_id);
            let current = (p.list_cost_nano as f64 * ratio.unwrap_or(1.0)).round() as i64;
            let savings = (current as f64 * fraction).round() as i64;
            if money::nanos_to_f64(savings) < ctx.settings.min_monthly_savings {
                continue;
            }
            out.push(Finding::new(
                "batch_eligible",
                &p.provider,
                &format!("{} on {}", p.workload, p.model_id),
                format!("Run `{}` through the batch API", p.workload),
                current,
                savings,
                if declared { Confidence::Medium } else { Confidence::Low },
                json!({
                    "offline_because": because,
                    "prices": {
                        "standard": price,
                        "standard_list_cost_same_mix": money::nanos_to_cent_f64(now_ref as i128),
                        "batch": batch_price,
                        "batch_list_cost_same_mix": money::nanos_to_cent_f64(batch_ref as i128),
                    },
                    "formula": {
                        "list_cost_this_month": money::nanos_to_cent_f64(p.list_cost_nano as i128),
                        "billed_to_list_ratio": ratio,
                        "saving_fraction": fraction,
                    },
                    "assumptions": ["the workload tolerates the batch API's turnaround (up to 24 hours)"],
                }),
                format!("submit `{}`'s requests through the batch API", p.workload),
                vec![p.key()],
            ));
        }
        Ok(out)
    }
}

/// Requests spread flat over the day: enough of them, every hour at least a third of the mean
/// and none above twice it.
pub(crate) fn uniform_arrivals(hourly: &[u64; 24]) -> bool {
    let total: u64 = hourly.iter().sum();
    if total < 240 {
        return false;
    }
    let mean = total as f64 / 24.0;
    hourly
        .iter()
        .all(|&h| h as f64 >= mean / 3.0 && h as f64 <= mean * 2.0)
}

#[cfg(test)]
mod arrival_tests {
    use super::uniform_arrivals;

    #[test]
    fn flat_days_are_machine_like_and_office_hours_are_not() {
        assert!(uniform_arrivals(&[12; 24]));
        let mut office = [1u64; 24];
        for h in office.iter_mut().take(18).skip(8) {
            *h = 40;
        }
        assert!(!uniform_arrivals(&office));
        // Too few requests to say anything.
        assert!(!uniform_arrivals(&[5; 24]));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{month_of_usage, oct, run, settings, usd};
    use super::*;
    use crate::ledger::{ChargeKind, LedgerRow, RecordRole};

    fn digest() -> Vec<LedgerRow> {
        month_of_usage(
            "openai",
            "digest",
            "gpt-4.1-mini",
            ServiceTier::Standard,
            (100e6, 0.0, 10e6, None),
        )
    }

    #[test]
    fn a_declared_offline_workload_moves_to_the_batch_rate() {
        let mut s = settings();
        s.offline_workloads = vec!["digest".into()];
        let f = run(&BatchEligible, digest(), &s);
        assert_eq!(f.len(), 1);
        // 100 × 0.40 + 10 × 1.60 = $56; batch halves it.
        assert_eq!(usd(f[0].monthly_savings_nano), 28.0);
        assert_eq!(f[0].confidence, Confidence::Medium);
    }

    #[test]
    fn an_interactive_workload_is_not_batch_eligible() {
        assert!(run(&BatchEligible, digest(), &settings()).is_empty());
    }

    /// Gateway requests (one output row each, with its prompt size) at the given UTC hours.
    fn gateway(hours: impl Iterator<Item = i64>) -> Vec<LedgerRow> {
        hours
            .enumerate()
            .map(|(i, h)| {
                let at = oct(1 + (i % 28) as u32) + h * 3_600_000;
                let mut r = LedgerRow::new(
                    "openai",
                    RecordRole::Gateway,
                    ChargeKind::Output,
                    at,
                    at + 1_000,
                    "gw.csv",
                    2,
                );
                r.workload = Some("sync".into());
                r.model_raw = Some("gpt-4.1-mini".into());
                r.quantity = 20_000.0;
                r.prompt_tokens = Some(100_000.0);
                r
            })
            .collect()
    }

    #[test]
    fn a_flat_arrival_pattern_is_batch_eligible_with_low_confidence() {
        let flat = gateway((0..480).map(|i| i % 24));
        let f = run(&BatchEligible, flat, &settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].confidence, Confidence::Low);
        assert!(f[0].evidence["offline_because"]["arrival_pattern"].is_string());
        // The same volume during office hours is people waiting on answers.
        let office = gateway((0..480).map(|i| 8 + i % 10));
        assert!(run(&BatchEligible, office, &settings()).is_empty());
    }
}
