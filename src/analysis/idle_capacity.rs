//! `idle_capacity`: capacity paid for but not used.
//!
//! * **Provisioned throughput** (Azure PTU, Bedrock Provisioned Throughput): the month's
//!   provisioned cost against the pay-as-you-go list cost of the tokens it actually served
//!   (gateway traffic linked to the resource). Saving = provisioned cost − pay-as-you-go cost,
//!   when positive. Confidence `medium`: traffic that bypassed the gateway is not counted, which
//!   would lower the saving; the right-sized unit count needs hourly peaks and is not computed
//!   yet. Capacity with no linked traffic is reported elsewhere (`provisioned`), not here.
//! * **Idle seats**: seats whose last activity is more than `seat_idle_days` (30) before the
//!   month's end, or that were never active. Saving = idle seats × seat price. Confidence `high`
//!   when the report dates the last activity, `medium` when it has none (never active, or
//!   activity not reported). Seats without a price are listed as unpriced, not here.
//! * Committed spend that will not be used needs the contract overlay (not built yet).

use super::{Analysis, AnalysisCtx, Confidence, Finding};
use crate::money;
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeMap;

pub struct IdleCapacity;

impl Analysis for IdleCapacity {
    fn id(&self) -> &'static str {
        "idle_capacity"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let mut out = Vec::new();
        for c in ctx.provisioned.iter().filter(|c| c.linked) {
            let billed = c.billed_cost.min(i64::MAX as i128) as i64;
            let payg = c.payg_list_cost.min(i64::MAX as i128) as i64;
            let savings = billed - payg;
            if savings <= 0 || money::nanos_to_f64(savings) < ctx.settings.min_monthly_savings {
                continue;
            }
            let evidence = json!({
                "provisioned": {
                    "resource": c.resource,
                    "unit_hours": c.hours,
                    "billed_cost": money::nanos_to_cent_f64(c.billed_cost),
                },
                "served": {
                    "tokens": c.served_tokens,
                    "requests": c.served_requests,
                    "payg_list_cost": money::nanos_to_cent_f64(c.payg_list_cost),
                    "source": "gateway traffic linked by resource name or config",
                },
                "formula": "monthly_savings = billed_cost - payg_list_cost",
                "assumptions": [
                    "all traffic to this resource went through the gateway logs read; traffic that bypassed them would lower the saving",
                    "pay-as-you-go is priced at the catalog's global list rates",
                    "the right-sized unit count for the observed peak is not computed yet (needs hourly traffic)",
                ],
            });
            out.push(Finding::new(
                "idle_capacity",
                &c.provider,
                &format!("provisioned {}", c.resource),
                format!("Provisioned capacity `{}` costs more than the traffic it serves", c.resource),
                billed,
                savings,
                Confidence::Medium,
                evidence,
                format!(
                    "move `{}`'s traffic to pay-as-you-go (or shrink it) and release the provisioned units at the end of their term",
                    c.resource
                ),
                vec![format!("provisioned|{}|{}", c.provider, c.resource)],
            ));
        }
        out.extend(idle_seats(ctx));
        Ok(out)
    }
}

fn idle_seats(ctx: &AnalysisCtx) -> Vec<Finding> {
    let cutoff = ctx.month.end_ms() - ctx.settings.seat_idle_days * 86_400_000;
    let mut groups: BTreeMap<(String, String), Vec<&super::Seat>> = BTreeMap::new();
    for s in &ctx.seats {
        groups
            .entry((s.provider.clone(), s.plan.clone()))
            .or_default()
            .push(s);
    }
    let mut out = Vec::new();
    for ((provider, plan), seats) in groups {
        let priced: Vec<&&super::Seat> = seats.iter().filter(|s| s.price_nano.is_some()).collect();
        let idle: Vec<&&&super::Seat> = priced
            .iter()
            .filter(|s| s.last_activity_ms.is_none_or(|t| t < cutoff))
            .collect();
        if idle.is_empty() {
            continue;
        }
        let current: i64 = priced.iter().filter_map(|s| s.price_nano).sum();
        let savings: i64 = idle.iter().filter_map(|s| s.price_nano).sum();
        if money::nanos_to_f64(savings) < ctx.settings.min_monthly_savings {
            continue;
        }
        let undated = idle.iter().filter(|s| s.last_activity_ms.is_none()).count();
        let confidence = if undated == 0 {
            Confidence::High
        } else {
            Confidence::Medium
        };
        let mut users: Vec<&str> = idle.iter().map(|s| s.user.as_str()).collect();
        users.sort();
        let evidence = json!({
            "seats": priced.len(),
            "idle_seats": idle.len(),
            "idle_without_any_recorded_activity": undated,
            "idle_users": users,
            "idle_after_days": ctx.settings.seat_idle_days,
            "cutoff": crate::util::day_string(cutoff),
            "seat_price": priced.first().and_then(|s| s.price_nano).map(|p| money::nanos_to_cent_f64(p as i128)),
            "price_source": format!("config [seats] {plan}"),
            "formula": "monthly_savings = idle_seats × seat_price",
        });
        out.push(Finding::new(
            "idle_capacity",
            &provider,
            &format!("seats {plan}"),
            format!("{} of {} `{plan}` seats idle for {}+ days", idle.len(), priced.len(), ctx.settings.seat_idle_days),
            current,
            savings,
            confidence,
            evidence,
            format!("reclaim the {} idle `{plan}` seats at the next renewal, after checking with their owners", idle.len()),
            vec![format!("seats|{provider}|{plan}")],
        ));
    }
    out
}
