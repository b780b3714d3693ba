//! `consolidation`: one vendor bought through several accounts, and several models bought for
//! the same capability tier.
//!
//! * **Accounts.** A provider billed under two or more billing accounts (orgs). Pooling them
//!   usually unlocks volume terms, but without contract terms the tool cannot price that, so the
//!   finding reports the opportunity with its evidence and an assumption-based savings range
//!   (0 to 5% of the pooled spend, stated as an assumption, not a vendor figure) and claims no
//!   saving in the headline (confidence `low`). A commitment in the customer overlay is named,
//!   since pooling the accounts is how its shortfall is usually closed.
//! * **Duplicate models in one tier.** For each capability tier, the models bought this month
//!   from one vendor (any vendor when `allow_cross_vendor = true`). Each model's combined token
//!   mix is re-priced on the cheapest other model already in use in that tier; the difference
//!   is the saving, scaled by the billed ÷ list ratio. Confidence `low`: same tier is not the
//!   same quality for every task.

use super::{price_profile, Analysis, AnalysisCtx, Confidence, Finding, UsageProfile};
use crate::money;
use anyhow::Result;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub struct Consolidation;

impl Analysis for Consolidation {
    fn id(&self) -> &'static str {
        "consolidation"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let mut out = accounts(ctx);
        out.extend(duplicate_models(ctx));
        Ok(out)
    }
}

fn accounts(ctx: &AnalysisCtx) -> Vec<Finding> {
    let mut by_provider: BTreeMap<&str, Vec<(&str, i64)>> = BTreeMap::new();
    for (provider, account, billed) in &ctx.billed_by_account {
        if let Some(a) = account {
            by_provider.entry(provider).or_default().push((a, *billed));
        }
    }
    let mut out = Vec::new();
    for (provider, accts) in by_provider {
        if accts.len() < 2 {
            continue;
        }
        let total: i64 = accts.iter().map(|(_, b)| b).sum();
        let names: Vec<&str> = accts.iter().map(|(a, _)| *a).collect();
        let commitments: Vec<&str> = ctx
            .overlay_terms
            .map(|o| {
                o.commitments
                    .iter()
                    .filter(|c| c.provider == provider)
                    .map(|c| c.id.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let evidence = json!({
            "accounts": accts.iter().map(|(a, b)| json!({"account": a, "billed_cost": money::nanos_to_cent_f64(*b as i128)})).collect::<Vec<_>>(),
            "billed_cost_total": money::nanos_to_cent_f64(total as i128),
            "savings_basis": "none claimed in the headline: no volume terms are known for pooled spend",
            "savings_range": {
                "low": 0.0,
                "high": money::nanos_to_cent_f64(total as i128 / 20),
                "basis": "assumption: pooling accounts to reach the next volume tier is worth up to 5% of the pooled spend; not a vendor figure",
            },
            "overlay_commitments": commitments,
            "assumptions": ["pooled spend may qualify for volume or committed-spend discounts; the size depends on the contract"],
        });
        out.push(Finding::new(
            "consolidation",
            provider,
            &format!("accounts {}", names.join(", ")),
            format!("{provider} is billed through {} separate accounts", accts.len()),
            total,
            0,
            Confidence::Low,
            evidence,
            format!(
                "consolidate {provider} spend under one billing account and negotiate volume terms on the pooled {}/month",
                money::format_amount(total as i128)
            ),
            Vec::new(),
        ));
    }
    out
}

fn duplicate_models(ctx: &AnalysisCtx) -> Vec<Finding> {
    let at = ctx.reference_ms();
    // Merge each model's profiles (all workloads) per service tier, so the whole mix moves.
    let mut per_model: BTreeMap<(String, String), UsageProfile> = BTreeMap::new();
    let mut workloads: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for p in &ctx.profiles {
        let key = (p.provider.clone(), p.model_id.clone());
        workloads.entry(key.clone()).or_default().insert(p.key());
        per_model
            .entry(key)
            .and_modify(|m| {
                m.input += p.input;
                m.cached_input += p.cached_input;
                m.cache_write_5m += p.cache_write_5m;
                m.cache_write_1h += p.cache_write_1h;
                m.output += p.output;
                m.requests = match (m.requests, p.requests) {
                    (None, None) => None,
                    (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
                };
                m.list_cost_nano += p.list_cost_nano;
                m.rows += p.rows;
            })
            .or_insert_with(|| p.clone());
    }
    let vendor_of = |id: &str| id.split('/').next().unwrap_or("").to_string();
    let mut out = Vec::new();
    for ((provider, model_id), mix) in &per_model {
        let Some(model) = ctx.catalog.model(model_id) else {
            continue;
        };
        if ctx
            .settings
            .protected_workloads
            .iter()
            .any(|w| w == &mix.workload)
            && workloads[&(provider.clone(), model_id.clone())].len() == 1
        {
            continue;
        }
        let Ok((current_ref, current_price)) = price_profile(ctx.catalog, model_id, mix, at) else {
            continue;
        };
        if current_ref <= 0 {
            continue;
        }
        let peers: BTreeSet<&String> = per_model
            .keys()
            .map(|(_, m)| m)
            .filter(|m| *m != model_id)
            .filter(|m| ctx.catalog.model(m).is_some_and(|pm| pm.tier == model.tier))
            .filter(|m| ctx.settings.allow_cross_vendor || vendor_of(m) == vendor_of(model_id))
            .collect();
        let mut best: Option<(String, i64, String)> = None;
        let mut priced_peers = Vec::new();
        for peer in peers {
            if let Ok((cost, price)) = price_profile(ctx.catalog, peer, mix, at) {
                priced_peers.push(json!({"model": peer, "list_cost_same_mix": money::nanos_to_cent_f64(cost as i128), "price": price}));
                if cost < current_ref && best.as_ref().is_none_or(|b| cost < b.1) {
                    best = Some((peer.clone(), cost, price));
                }
            }
        }
        let Some((target, target_ref, target_price)) = best else {
            continue;
        };
        let fraction = 1.0 - target_ref as f64 / current_ref as f64;
        let billed_ratio = ctx.billed_ratio(provider, model_id);
        let current = (mix.list_cost_nano as f64 * billed_ratio.unwrap_or(1.0)).round() as i64;
        let savings = (current as f64 * fraction).round() as i64;
        if money::nanos_to_f64(savings) < ctx.settings.min_monthly_savings {
            continue;
        }
        let acts_on: Vec<String> = workloads[&(provider.clone(), model_id.clone())]
            .iter()
            .cloned()
            .collect();
        let evidence = json!({
            "tier": model.tier.as_str(),
            "models_in_tier": priced_peers,
            "usage": {
                "workloads": acts_on,
                "ledger_rows": mix.rows,
                "input_tokens_uncached": mix.input,
                "cached_input_tokens": mix.cached_input,
                "cache_write_tokens": mix.cache_write_5m + mix.cache_write_1h,
                "output_tokens": mix.output,
                "requests": mix.requests,
            },
            "prices": {
                "current": current_price,
                "current_list_cost_same_mix": money::nanos_to_cent_f64(current_ref as i128),
                "recommended": target_price,
                "recommended_list_cost_same_mix": money::nanos_to_cent_f64(target_ref as i128),
            },
            "formula": {
                "list_cost_this_month": money::nanos_to_cent_f64(mix.list_cost_nano as i128),
                "billed_to_list_ratio": billed_ratio,
                "saving_fraction": fraction,
                "monthly_savings": "list_cost_this_month × billed_to_list_ratio × saving_fraction",
            },
            "assumptions": [
                "models of the same capability tier are interchangeable for this traffic; validate on a sample",
                "rates are the catalog's list rates in force on the last day of the month",
            ],
        });
        out.push(Finding::new(
            "consolidation",
            provider,
            &format!("{} tier: {model_id}", model.tier.as_str()),
            format!("Consolidate {model_id} onto {target} (both {}-tier)", model.tier.as_str()),
            current,
            savings,
            Confidence::Low,
            evidence,
            format!("move the traffic on `{model_id}` to `{target}`, which this organisation already uses for the same tier"),
            acts_on,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{month_of_usage, run, settings, usd};
    use super::*;
    use crate::ledger::ServiceTier;

    #[test]
    fn two_mid_tier_models_of_one_vendor_consolidate_onto_the_cheaper_one() {
        let mut rows = month_of_usage(
            "openai",
            "copy",
            "gpt-4o",
            ServiceTier::Standard,
            (10e6, 0.0, 1e6, None),
        );
        rows.extend(month_of_usage(
            "openai",
            "triage",
            "gpt-4.1",
            ServiceTier::Standard,
            (10e6, 0.0, 1e6, None),
        ));
        let f = run(&Consolidation, rows, &settings());
        let f = f
            .iter()
            .find(|f| f.scope == "mid tier: openai/gpt-4o")
            .expect("gpt-4o finding");
        // gpt-4o: 10 × 2.50 + 1 × 10 = $35; on gpt-4.1: 10 × 2 + 1 × 8 = $28.
        assert_eq!(usd(f.monthly_savings_nano), 7.0);
    }

    #[test]
    fn one_model_per_tier_gives_nothing_to_consolidate() {
        let rows = month_of_usage(
            "openai",
            "triage",
            "gpt-4.1",
            ServiceTier::Standard,
            (10e6, 0.0, 1e6, None),
        );
        assert!(run(&Consolidation, rows, &settings()).is_empty());
    }
}
