//! `tier_downshift`: a classification- or extraction-shaped workload on a frontier or mid-tier
//! model, re-priced on a cheaper model of the same vendor.
//!
//! Shape (thresholds in `[analysis]` of the config): output/input token ratio at most
//! `downshift_max_output_ratio`; where requests are known, at most
//! `downshift_max_avg_output_tokens` output tokens per request and at least
//! `downshift_min_monthly_requests` requests; where they are not, at least
//! `downshift_min_monthly_input_tokens` input tokens. Where per-request logs give the median
//! output, it must not exceed `downshift_max_avg_output_tokens` either: a finding whose own
//! evidence contradicts its rule is not made.
//!
//! Saving: the workload's own token mix (cache shares included) priced on the current model and
//! on each candidate at the month's closing rates, on the platform the workload runs on; the
//! fraction saved is applied to the workload's current cost, scaled by the model's billed ÷
//! list ratio when a bill is present.
//!
//! Candidates: the catalog's same-vendor `downshift` list, and with `allow_cross_vendor` the three
//! cheapest lower-tier models of the other vendors already bought this month. Each is listed
//! with its quality delta (shared public quality references) and dropped when per-request logs
//! show prompts larger than its context window. The first cheaper same-vendor candidate is the
//! recommendation; a cross-vendor one only when no same-vendor candidate saves.
//!
//! Confidence: `medium` when requests are known (average output per request checked), `low`
//! when only the token ratio is, or the move crosses vendors. Protected workloads are never
//! flagged. Evidence carries p50/p95 output and prompt tokens where per-request logs exist.

use super::{price_profile, Analysis, AnalysisCtx, Confidence, Finding};
use crate::money;
use crate::pricing::Tier;
use anyhow::Result;
use serde_json::json;

pub struct TierDownshift;

impl Analysis for TierDownshift {
    fn id(&self) -> &'static str {
        "tier_downshift"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let s = ctx.settings;
        let at = ctx.reference_ms();
        let mut out = Vec::new();
        for p in &ctx.profiles {
            if s.protected_workloads.iter().any(|w| w == &p.workload) {
                continue;
            }
            let Some(model) = ctx.catalog.model(&p.model_id) else {
                continue;
            };
            if model.tier == Tier::Small || model.downshift.is_empty() {
                continue;
            }
            let input = p.input_total();
            if input <= 0.0 {
                continue;
            }
            let ratio = p.output / input;
            let avg_output = p.requests.filter(|r| *r > 0.0).map(|r| p.output / r);
            let shaped = ratio <= s.downshift_max_output_ratio
                && match (p.requests, avg_output) {
                    (Some(req), Some(avg)) => {
                        avg <= s.downshift_max_avg_output_tokens
                            && req >= s.downshift_min_monthly_requests
                    }
                    _ => input >= s.downshift_min_monthly_input_tokens,
                };
            if !shaped {
                continue;
            }
            let Ok((current_ref, current_price)) = price_profile(ctx.catalog, &p.model_id, p, at)
            else {
                continue;
            };
            if current_ref <= 0 {
                continue;
            }
            let stats = ctx.request_stats_for(&p.workload, &p.model_id);
            // The logged requests' median output against the short-output threshold: where the
            // month's own requests are known, a contradiction (an average pulled down by empty
            // responses hiding a long-output workload) means no finding; where only the token
            // ratio decided, the finding says so and why it still applies.
            let long_median = stats
                .map(|st| st.output_p50)
                .filter(|p50| *p50 > s.downshift_max_avg_output_tokens);
            if long_median.is_some() && avg_output.is_some() {
                continue;
            }
            let mut candidates = Vec::new();
            let mut chosen: Option<(String, i64, String, bool)> = None;
            let mut cross: Option<(String, i64, String, bool)> = None;
            let pool: Vec<(String, bool)> = model
                .downshift
                .iter()
                .map(|c| (c.clone(), false))
                .chain(
                    cross_vendor_candidates(ctx, model, p, at)
                        .into_iter()
                        .map(|c| (c, true)),
                )
                .collect();
            for (c, is_cross) in &pool {
                let window = ctx.catalog.model(c).and_then(|m| m.context_window);
                if let (Some(w), Some(st)) = (window, stats) {
                    if st.prompt_max > w as f64 {
                        candidates.push(json!({"model": c, "excluded": format!("the largest prompt ({} tokens) exceeds its {w}-token context window", st.prompt_max)}));
                        continue;
                    }
                }
                match price_profile(ctx.catalog, c, p, at) {
                    Ok((cost, price)) => {
                        candidates.push(json!({
                            "model": c,
                            "tier": ctx.catalog.model(c).map(|m| m.tier.as_str()),
                            "cross_vendor": is_cross,
                            "list_cost_same_mix": money::nanos_to_cent_f64(cost as i128),
                            "price": price,
                            "quality_delta": ctx.quality_delta(&p.model_id, c),
                        }));
                        let slot = if *is_cross { &mut cross } else { &mut chosen };
                        let better = slot
                            .as_ref()
                            .is_none_or(|(_, best, _, _)| *is_cross && cost < *best);
                        if cost < current_ref && better {
                            *slot = Some((c.clone(), cost, price, *is_cross));
                        }
                    }
                    Err(reason) => candidates.push(json!({"model": c, "unpriced": reason})),
                }
            }
            let Some((target, target_ref, target_price, crosses)) = chosen.or(cross) else {
                continue;
            };
            let fraction = 1.0 - target_ref as f64 / current_ref as f64;
            let billed_ratio = ctx.billed_ratio(&p.provider, &p.model_id);
            let current = (p.list_cost_nano as f64 * billed_ratio.unwrap_or(1.0)).round() as i64;
            let savings = (current as f64 * fraction).round() as i64;
            if money::nanos_to_f64(savings) < s.min_monthly_savings {
                continue;
            }
            let confidence = if avg_output.is_some() && !crosses {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            let mut evidence = json!({
                "usage": {
                    "source": p.source,
                    "ledger_rows": p.rows,
                    "service_tier": p.tier.as_str(),
                    "input_tokens_uncached": p.input,
                    "cached_input_tokens": p.cached_input,
                    "cache_write_tokens": p.cache_write_5m + p.cache_write_1h,
                    "output_tokens": p.output,
                    "requests": p.requests,
                    "avg_output_tokens_per_request": avg_output,
                    "output_input_ratio": ratio,
                },
                "distribution": ctx.distribution_evidence(&p.workload, &p.model_id),
                "thresholds": {
                    "max_output_ratio": s.downshift_max_output_ratio,
                    "max_avg_output_tokens": s.downshift_max_avg_output_tokens,
                    "min_monthly_requests": s.downshift_min_monthly_requests,
                    "min_monthly_input_tokens": s.downshift_min_monthly_input_tokens,
                },
                "prices": {
                    "current": current_price,
                    "current_list_cost_same_mix": money::nanos_to_cent_f64(current_ref as i128),
                    "recommended": target_price,
                    "recommended_list_cost_same_mix": money::nanos_to_cent_f64(target_ref as i128),
                    "candidates": candidates,
                },
                "formula": {
                    "list_cost_this_month": money::nanos_to_cent_f64(p.list_cost_nano as i128),
                    "billed_to_list_ratio": billed_ratio,
                    "saving_fraction": fraction,
                    "monthly_savings": "list_cost_this_month × billed_to_list_ratio × saving_fraction",
                },
                "assumptions": [
                    "the same token mix (cache shares included) moves to the recommended model",
                    "the cheaper model is good enough for a short-output, high-volume workload; validate on a sample before switching",
                    match stats {
                        Some(st) => format!("prompt sizes from {} logged requests (p95 {} tokens, largest {}): candidates whose context window is smaller are excluded", st.requests, st.prompt_p95, st.prompt_max),
                        None => "prompt sizes: without per-request logs the context-size distribution is unknown and every request is priced at the standard (not long-context) rates".to_string(),
                    },
                    "rates are the catalog's list rates in force on the last day of the month",
                ],
            });
            if let Some(p50) = long_median {
                evidence["rule_check"] = json!(format!(
                    "the logged requests' median output ({p50:.0} tokens) is above the {:.0}-token short-output threshold; the month's usage has no request count, so the finding rests on its output/input ratio ({ratio:.3} ≤ {}), the shape of extraction over long inputs, not on short outputs. Validate the cheaper model on long outputs before switching",
                    s.downshift_max_avg_output_tokens, s.downshift_max_output_ratio
                ));
            }
            out.push(Finding::new(
                "tier_downshift",
                &p.provider,
                &format!("{} on {}", p.workload, p.model_id),
                format!("Move `{}` from {} to {}", p.workload, p.model_id, target),
                current,
                savings,
                confidence,
                evidence,
                format!(
                    "route `{}` to `{target}` behind a quality check on a sample of its traffic; keep `{}` as the fallback",
                    p.workload, p.model_id
                ),
                vec![p.key()],
            ));
        }
        Ok(out)
    }
}

/// The three cheapest lower-tier models of the other vendors bought this month, when the
/// config allows cross-vendor moves; active models only.
fn cross_vendor_candidates(
    ctx: &AnalysisCtx,
    current: &crate::pricing::Model,
    p: &super::UsageProfile,
    at: i64,
) -> Vec<String> {
    if !ctx.settings.allow_cross_vendor {
        return Vec::new();
    }
    let vendors: std::collections::BTreeSet<&str> = ctx
        .profiles
        .iter()
        .filter_map(|q| ctx.catalog.model(&q.model_id))
        .map(|m| m.vendor.as_str())
        .filter(|v| *v != current.vendor)
        .collect();
    let mut priced: Vec<(i64, String)> = ctx
        .catalog
        .models()
        .filter(|m| vendors.contains(m.vendor.as_str()))
        .filter(|m| m.tier < current.tier && m.lifecycle == "active")
        .filter_map(|m| {
            price_profile(ctx.catalog, &m.id, p, at)
                .ok()
                .map(|(cost, _)| (cost, m.id.clone()))
        })
        .collect();
    priced.sort();
    priced.into_iter().take(3).map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{month_of_usage, run, settings, usd};
    use super::*;
    use crate::ledger::ServiceTier;

    /// A ticket classifier: 300M input, 10M output, 200k requests (50 output tokens each).
    fn classifier() -> Vec<crate::ledger::LedgerRow> {
        month_of_usage(
            "openai",
            "support",
            "gpt-4.1",
            ServiceTier::Standard,
            (300e6, 0.0, 10e6, Some(200_000.0)),
        )
    }

    #[test]
    fn a_classification_shaped_workload_moves_to_the_smaller_model() {
        let f = run(&TierDownshift, classifier(), &settings());
        assert_eq!(f.len(), 1);
        // gpt-4.1: 300 × 2.00 + 10 × 8.00 = $680; gpt-4.1-mini: 300 × 0.40 + 10 × 1.60 = $136.
        assert_eq!(usd(f[0].current_monthly_cost_nano), 680.0);
        assert_eq!(usd(f[0].monthly_savings_nano), 544.0);
        assert_eq!(f[0].confidence, Confidence::Medium);
        assert_eq!(
            f[0].evidence["prices"]["recommended"],
            "2026.12.04.2/openai/gpt-4.1-mini@openai-api:global/launch"
        );
    }

    #[test]
    fn a_long_output_reasoning_workload_on_a_frontier_model_is_left_alone() {
        let rows = month_of_usage(
            "openai",
            "research",
            "gpt-5",
            ServiceTier::Standard,
            (10e6, 0.0, 8e6, Some(2_000.0)),
        );
        assert!(run(&TierDownshift, rows, &settings()).is_empty());
    }

    /// Gives the workload's output line a per-request log of `requests` requests with
    /// `output` output tokens each (and 1,500-token prompts).
    fn log_outputs(rows: &mut [crate::ledger::LedgerRow], output: f64, requests: u64) {
        let line = rows
            .iter_mut()
            .find(|r| r.charge_kind == crate::ledger::ChargeKind::Output)
            .unwrap();
        line.prompt_tokens = Some(1_500.0);
        line.request_hist = Some(std::sync::Arc::new(crate::ledger::RequestHist {
            output: vec![(output, requests)],
            prompt: vec![(1_500.0, requests)],
            requests,
            prompt_max: 1_500.0,
            ..Default::default()
        }));
    }

    #[test]
    fn a_median_output_that_contradicts_the_short_output_rule_makes_no_finding() {
        // The average is 50 tokens (10M over 200k requests), but only 10k requests produced
        // output, 1,000 tokens each: the median output (1,000) is far above the threshold.
        let mut rows = classifier();
        log_outputs(&mut rows, 1_000.0, 10_000);
        assert!(run(&TierDownshift, rows, &settings()).is_empty());
        // The same workload with short outputs in its logs is still flagged.
        let mut rows = classifier();
        log_outputs(&mut rows, 50.0, 200_000);
        assert_eq!(run(&TierDownshift, rows, &settings()).len(), 1);
        // Without a request count the ratio decides, and the finding says why it applies
        // despite the long median output.
        let mut rows = month_of_usage(
            "openai",
            "support",
            "gpt-4.1",
            ServiceTier::Standard,
            (300e6, 0.0, 10e6, None),
        );
        log_outputs(&mut rows, 1_000.0, 100);
        let f = run(&TierDownshift, rows, &settings());
        let why = f[0].evidence["rule_check"].as_str().unwrap();
        assert!(why.contains("median output (1000 tokens)"), "{why}");
        assert_eq!(f[0].confidence, Confidence::Low);
    }

    #[test]
    fn a_protected_workload_is_never_flagged() {
        let mut s = settings();
        s.protected_workloads = vec!["support".to_string()];
        assert!(run(&TierDownshift, classifier(), &s).is_empty());
    }

    #[test]
    fn cross_vendor_candidates_are_listed_with_quality_deltas_when_allowed() {
        let mut rows = month_of_usage(
            "anthropic",
            "extract",
            "claude-sonnet-4-5",
            ServiceTier::Standard,
            (300e6, 0.0, 6e6, None),
        );
        rows.extend(month_of_usage(
            "openai",
            "chat",
            "gpt-5",
            ServiceTier::Standard,
            (1e6, 0.0, 1e6, None),
        ));
        let mut s = settings();
        s.allow_cross_vendor = true;
        let f = run(&TierDownshift, rows.clone(), &s);
        let cands = f[0].evidence["prices"]["candidates"].as_array().unwrap();
        let cross: Vec<_> = cands.iter().filter(|c| c["cross_vendor"] == true).collect();
        assert!(!cross.is_empty(), "{cands:?}");
        assert!(cross
            .iter()
            .all(|c| c["model"].as_str().unwrap().starts_with("openai/")));
        assert!(cross.iter().all(|c| c.get("quality_delta").is_some()));
        // The same-vendor candidate stays the recommendation.
        assert_eq!(
            f[0].title,
            "Move `extract` from anthropic/claude-sonnet-4-5 to anthropic/claude-haiku-4-5"
        );
        // Not allowed: no cross-vendor candidate is even listed.
        let f = run(&TierDownshift, rows, &settings());
        let cands = f[0].evidence["prices"]["candidates"].as_array().unwrap();
        assert!(cands.iter().all(|c| c["cross_vendor"] != true));
    }
}
