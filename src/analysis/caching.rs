//! `caching`: large, repeated prompts that are rarely read from the prompt cache, on models
//! whose catalog entry has a cached-input rate.
//!
//! Candidates: at least `caching_min_avg_input_tokens` input tokens per request (requests must
//! be known) and a cached share of input below `caching_max_cached_share`. Saving: the same
//! mix re-priced with `caching_assumed_hit_share` (50%) of input read from cache; where the
//! model charges cache writes, one write per ten cached reads is charged at the write rate.
//! The hit share is an assumption, stated in the evidence; confidence `low`.

use super::{price_profile, Analysis, AnalysisCtx, Confidence, Finding};
use crate::money;
use anyhow::Result;
use serde_json::json;

pub struct Caching;

impl Analysis for Caching {
    fn id(&self) -> &'static str {
        "caching"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let s = ctx.settings;
        let at = ctx.reference_ms();
        let mut out = Vec::new();
        for p in &ctx.profiles {
            let Some(requests) = p.requests.filter(|r| *r > 0.0) else {
                continue;
            };
            let input = p.input_total();
            let avg_input = input / requests;
            let share = if input > 0.0 {
                p.cached_input / input
            } else {
                0.0
            };
            if avg_input < s.caching_min_avg_input_tokens || share >= s.caching_max_cached_share {
                continue;
            }
            let Some(model) = ctx.catalog.model(&p.model_id) else {
                continue;
            };
            let Some(period) = model.period_at(at) else {
                continue;
            };
            if period.cached_input.is_none() {
                continue;
            }
            let moved = (input * s.caching_assumed_hit_share - p.cached_input)
                .min(p.input)
                .max(0.0);
            let mut cached = p.clone();
            cached.input -= moved;
            cached.cached_input += moved;
            if period.cache_write_5m.is_some() {
                cached.cache_write_5m += moved / 10.0;
                cached.input -= (moved / 10.0).min(cached.input);
            }
            let (Ok((now_ref, price)), Ok((then_ref, _))) = (
                price_profile(ctx.catalog, &p.model_id, p, at),
                price_profile(ctx.catalog, &p.model_id, &cached, at),
            ) else {
                continue;
            };
            if now_ref <= 0 || then_ref >= now_ref {
                continue;
            }
            let fraction = 1.0 - then_ref as f64 / now_ref as f64;
            let ratio = ctx.billed_ratio(&p.provider, &p.model_id);
            let current = (p.list_cost_nano as f64 * ratio.unwrap_or(1.0)).round() as i64;
            let savings = (current as f64 * fraction).round() as i64;
            if money::nanos_to_f64(savings) < s.min_monthly_savings {
                continue;
            }
            let evidence = json!({
                "distribution": ctx.distribution_evidence(&p.workload, &p.model_id),
                "usage": {
                    "requests": requests,
                    "avg_input_tokens_per_request": avg_input,
                    "input_tokens_total": input,
                    "cached_input_tokens": p.cached_input,
                    "cached_share": share,
                },
                "prices": {
                    "current": price,
                    "list_cost_same_mix": money::nanos_to_cent_f64(now_ref as i128),
                    "list_cost_with_caching": money::nanos_to_cent_f64(then_ref as i128),
                },
                "formula": {
                    "tokens_moved_to_cache_reads": moved,
                    "list_cost_this_month": money::nanos_to_cent_f64(p.list_cost_nano as i128),
                    "billed_to_list_ratio": ratio,
                    "saving_fraction": fraction,
                },
                "assumptions": [
                    format!("{:.0}% of input tokens can be served from the prompt cache (a static prefix: system prompt, tools, documents)", s.caching_assumed_hit_share * 100.0),
                    "where the model charges cache writes, one write per ten cached reads",
                ],
            });
            out.push(Finding::new(
                "caching",
                &p.provider,
                &format!("{} on {}", p.workload, p.model_id),
                format!("Cache the repeated prompt prefix of `{}` on {}", p.workload, p.model_id),
                current,
                savings,
                Confidence::Low,
                evidence,
                format!(
                    "move the static part of `{}`'s prompts (system prompt, tools, shared documents) to the front and enable prompt caching",
                    p.workload
                ),
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
    fn large_uncached_prompts_are_priced_with_half_read_from_cache() {
        // 100M input over 20k requests (5,000 tokens each), nothing cached, on gpt-5.
        let rows = month_of_usage(
            "openai",
            "agent",
            "gpt-5",
            ServiceTier::Standard,
            (100e6, 0.0, 5e6, Some(20_000.0)),
        );
        let f = run(&Caching, rows, &settings());
        assert_eq!(f.len(), 1);
        // Half the input at the cached rate: 50M × (1.25 − 0.125) = $56.25.
        assert_eq!(usd(f[0].monthly_savings_nano), 56.25);
    }

    #[test]
    fn a_workload_that_already_caches_gets_nothing() {
        let rows = month_of_usage(
            "openai",
            "agent",
            "gpt-5",
            ServiceTier::Standard,
            (50e6, 50e6, 5e6, Some(20_000.0)),
        );
        assert!(run(&Caching, rows, &settings()).is_empty());
    }
}
