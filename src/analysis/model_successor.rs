//! `model_successor`: a model with a cheaper successor of the same capability tier
//! (gpt-4o → gpt-4.1, Claude Opus 4.1 → Opus 4.5), from the catalog's `successor` field.
//!
//! When the organisation already buys the successor from the same provider, the move is
//! reported once, by `consolidation`, not here.
//!
//! Saving: the workload's own token mix priced on the current model and on the successor at
//! the month's closing rates; that fraction of the workload's current cost (scaled by the
//! billed ÷ list ratio). Confidence `high`: same tier, so capability does not drop; protected
//! workloads are still skipped.

use super::{price_profile, Analysis, AnalysisCtx, Confidence, Finding};
use crate::money;
use anyhow::Result;
use serde_json::json;

pub struct ModelSuccessor;

impl Analysis for ModelSuccessor {
    fn id(&self) -> &'static str {
        "model_successor"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let at = ctx.reference_ms();
        let mut out = Vec::new();
        for p in &ctx.profiles {
            if ctx
                .settings
                .protected_workloads
                .iter()
                .any(|w| w == &p.workload)
            {
                continue;
            }
            let Some(model) = ctx.catalog.model(&p.model_id) else {
                continue;
            };
            let Some(successor) = model.successor.as_deref() else {
                continue;
            };
            let Some(next) = ctx.catalog.model(successor) else {
                continue;
            };
            if next.tier != model.tier {
                continue;
            }
            // Already bought from this provider: moving onto it is consolidation's finding.
            if ctx
                .profiles
                .iter()
                .any(|q| q.provider == p.provider && q.model_id == successor)
            {
                continue;
            }
            let (Ok((current_ref, current_price)), Ok((next_ref, next_price))) = (
                price_profile(ctx.catalog, &p.model_id, p, at),
                price_profile(ctx.catalog, successor, p, at),
            ) else {
                continue;
            };
            if current_ref <= 0 || next_ref >= current_ref {
                continue;
            }
            let fraction = 1.0 - next_ref as f64 / current_ref as f64;
            let ratio = ctx.billed_ratio(&p.provider, &p.model_id);
            let current = (p.list_cost_nano as f64 * ratio.unwrap_or(1.0)).round() as i64;
            let savings = (current as f64 * fraction).round() as i64;
            if money::nanos_to_f64(savings) < ctx.settings.min_monthly_savings {
                continue;
            }
            let evidence = json!({
                "tier": model.tier.as_str(),
                "distribution": ctx.distribution_evidence(&p.workload, &p.model_id),
                "quality_delta": ctx.quality_delta(&p.model_id, successor),
                "usage": {
                    "source": p.source,
                    "ledger_rows": p.rows,
                    "input_tokens_uncached": p.input,
                    "cached_input_tokens": p.cached_input,
                    "cache_write_tokens": p.cache_write_5m + p.cache_write_1h,
                    "output_tokens": p.output,
                    "requests": p.requests,
                },
                "prices": {
                    "current": current_price,
                    "current_list_cost_same_mix": money::nanos_to_cent_f64(current_ref as i128),
                    "successor": next_price,
                    "successor_list_cost_same_mix": money::nanos_to_cent_f64(next_ref as i128),
                },
                "formula": {
                    "list_cost_this_month": money::nanos_to_cent_f64(p.list_cost_nano as i128),
                    "billed_to_list_ratio": ratio,
                    "saving_fraction": fraction,
                    "monthly_savings": "list_cost_this_month × billed_to_list_ratio × saving_fraction",
                },
                "assumptions": [
                    "the successor is the vendor's replacement at the same capability tier (catalog `successor`)",
                    "rates are the catalog's list rates in force on the last day of the month",
                ],
            });
            out.push(Finding::new(
                "model_successor",
                &p.provider,
                &format!("{} on {}", p.workload, p.model_id),
                format!("Upgrade `{}` from {} to its successor {}", p.workload, p.model_id, successor),
                current,
                savings,
                Confidence::High,
                evidence,
                format!("switch `{}` to `{successor}` (same tier, lower price) after a regression check", p.workload),
                vec![p.key()],
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{month_of_usage, run, settings, usd};
    use super::*;
    use crate::ledger::ServiceTier;

    #[test]
    fn opus_4_1_moves_to_its_cheaper_same_tier_successor_with_high_confidence() {
        let rows = month_of_usage(
            "anthropic",
            "chat",
            "claude-opus-4-1",
            ServiceTier::Standard,
            (10e6, 0.0, 2e6, None),
        );
        let f = run(&ModelSuccessor, rows, &settings());
        assert_eq!(f.len(), 1);
        // Opus 4.1: 10 × 15 + 2 × 75 = $300; Opus 4.5: 10 × 5 + 2 × 25 = $100.
        assert_eq!(usd(f[0].monthly_savings_nano), 200.0);
        assert_eq!(f[0].confidence, Confidence::High);
    }

    #[test]
    fn a_model_without_a_successor_gets_nothing() {
        let rows = month_of_usage(
            "openai",
            "chat",
            "gpt-4.1",
            ServiceTier::Standard,
            (10e6, 0.0, 2e6, None),
        );
        assert!(run(&ModelSuccessor, rows, &settings()).is_empty());
    }
}
