//! `idle_capacity`: capacity paid for but not used.
//!
//! * **Provisioned throughput** (Azure PTU, Bedrock Provisioned Throughput): the month's
//!   provisioned cost against the pay-as-you-go list cost of the tokens it actually served
//!   (gateway traffic linked to the resource). Saving = provisioned cost − pay-as-you-go cost,
//!   when positive. Confidence `medium`: traffic that bypassed the gateway is not counted, which
//!   would lower the saving. With the unit's throughput in the config
//!   (`provisioned_tokens_per_minute_per_unit`), the evidence also gives the unit count the
//!   busiest hour of linked traffic needs, and what that size would cost. Capacity with no
//!   linked traffic is reported elsewhere (`provisioned`), not here.
//! * **Idle seats**: seats whose last activity is more than `seat_idle_days` (30) before the
//!   snapshot's time (its latest recorded activity, capped at the month's end), or that were
//!   never active; a seat assigned within those days is new, not idle, and only counted in the
//!   evidence. Saving = idle seats × seat price. Confidence `high`
//!   when the report dates the last activity, `medium` when it has none (never active, or
//!   activity not reported). Seats without a price are listed as unpriced, not here.
//! * **Commitment shortfalls** (customer overlay `[[commitments]]`): committed spend that the
//!   run rate will not reach by the end of the term. Projected = consumed before this month
//!   (from the overlay, else assumed at this month's rate) + this month's billed spend × the
//!   months left including this one. The shortfall is spread over those months as the monthly
//!   figure, acting on the commitment's monthly amount. Confidence `medium` with the consumed
//!   amount stated, `low` when it is assumed.

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
            // Unpriced traffic is never $0 of pay-as-you-go: it is costed at the average list
            // rate of the priced tokens the resource served (so the saving is an estimate,
            // `low`), and with no priced tokens at all there is no counterfactual to state.
            let priced_tokens = c.served_tokens - c.unpriced_tokens;
            let payg = if c.unpriced_tokens > 0.0 {
                if priced_tokens <= 0.0 {
                    continue;
                }
                (c.payg_list_cost as f64 * c.served_tokens / priced_tokens).round() as i128
            } else {
                c.payg_list_cost
            };
            let payg = payg.min(i64::MAX as i128) as i64;
            let savings = billed - payg;
            if savings <= 0 || money::nanos_to_f64(savings) < ctx.settings.min_monthly_savings {
                continue;
            }
            let month_hours = ((ctx.month.end_ms() - ctx.month.start_ms()) / 3_600_000) as f64;
            let units = c.hours / month_hours;
            let right_size = match ctx
                .settings
                .provisioned_tokens_per_minute_per_unit
                .get(&c.resource)
            {
                Some(tpm) if *tpm > 0.0 => {
                    let peak_tpm = c.peak_hour_tokens / 60.0;
                    let needed = (peak_tpm / tpm).ceil().max(1.0);
                    let cost_at_size =
                        c.billed_cost as f64 * (needed / units.max(f64::MIN_POSITIVE)).min(1.0);
                    json!({
                        "peak_hour_tokens": c.peak_hour_tokens,
                        "peak_tokens_per_minute": peak_tpm,
                        "tokens_per_minute_per_unit": tpm,
                        "units_billed": units,
                        "units_needed_for_peak": needed,
                        "cost_at_that_size": money::nanos_to_cent_f64(cost_at_size.round() as i128),
                        "formula": "units_needed = ceil(peak_hour_tokens ÷ 60 ÷ tokens_per_minute_per_unit); cost = billed × units_needed ÷ units_billed",
                        "assumption": "the configured throughput per unit holds for this model and prompt mix; the peak hour's average rate is the peak to serve",
                    })
                }
                _ => json!({
                    "peak_hour_tokens": c.peak_hour_tokens,
                    "units_billed": units,
                    "not_computed": format!("set `provisioned_tokens_per_minute_per_unit = {{ \"{}\" = <tokens per minute one unit serves> }}` under [analysis] to size it", c.resource),
                }),
            };
            let evidence = json!({
                "provisioned": {
                    "resource": c.resource,
                    "unit_hours": c.hours,
                    "billed_cost": money::nanos_to_cent_f64(c.billed_cost),
                },
                "right_size": right_size,
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
                ],
            });
            let mut evidence = evidence;
            let confidence = if c.unpriced_tokens > 0.0 {
                evidence["unpriced"] = json!({
                    "tokens": c.unpriced_tokens,
                    "models": c.unpriced_models,
                    "payg_estimate": money::nanos_to_cent_f64(payg as i128),
                    "method": "the unpriced tokens are costed at the average list rate of the priced tokens this resource served",
                    "formula": "payg_estimate = payg_list_cost × served_tokens ÷ (served_tokens − unpriced tokens); monthly_savings = billed_cost − payg_estimate",
                    "to_firm_up": "add the unpriced models to the catalog (or an alias) and run again",
                });
                Confidence::Low
            } else {
                Confidence::Medium
            };
            out.push(Finding::new(
                "idle_capacity",
                &c.provider,
                &format!("provisioned {}", c.resource),
                format!("Provisioned capacity `{}` costs more than the traffic it serves", c.resource),
                billed,
                savings,
                confidence,
                evidence,
                format!(
                    "move `{}`'s traffic to pay-as-you-go (or shrink it) and release the provisioned units at the end of their term",
                    c.resource
                ),
                vec![format!("provisioned|{}|{}", c.provider, c.resource)],
            ));
        }
        out.extend(idle_seats(ctx));
        out.extend(commitment_shortfalls(ctx));
        Ok(out)
    }
}

/// The seats of one plan with the ones idle this month, measured as the module doc says.
pub struct SeatPool<'a> {
    pub provider: String,
    pub plan: String,
    pub seats: Vec<&'a super::Seat>,
    /// Idle seats (priced or not), by user.
    pub idle: Vec<&'a super::Seat>,
    pub new: usize,
    pub cutoff: i64,
    pub reference: i64,
    pub reference_is: &'static str,
}

/// Every seat plan's pool, by provider and plan.
pub(super) fn seat_pools<'a>(ctx: &'a AnalysisCtx<'a>) -> Vec<SeatPool<'a>> {
    seat_pools_of(&ctx.seats, ctx.month.end_ms(), ctx.settings.seat_idle_days)
}

/// The seat pools of `seats` for a month ending at `month_end_ms`, a seat being idle after
/// `idle_days` without activity (the inventory reads the same split as the findings).
pub fn seat_pools_of(
    seats: &[super::Seat],
    month_end_ms: i64,
    idle_days: i64,
) -> Vec<SeatPool<'_>> {
    let mut groups: BTreeMap<(String, String), Vec<&super::Seat>> = BTreeMap::new();
    for s in seats {
        groups
            .entry((s.provider.clone(), s.plan.clone()))
            .or_default()
            .push(s);
    }
    groups
        .into_iter()
        .map(|((provider, plan), seats)| {
            // Idleness is measured from the snapshot's own time, its latest recorded activity
            // (capped at the month's end), not from the month's end: a report pulled on the
            // 20th must not call a seat used on the 19th idle for the days after it was pulled.
            let latest = seats
                .iter()
                .filter_map(|s| s.last_activity_ms)
                .filter(|t| *t <= month_end_ms)
                .max();
            let (reference, reference_is) = match latest {
                Some(t) => (t, "the latest activity in the seat report"),
                None => (
                    month_end_ms,
                    "the end of the month (no seat reports any activity)",
                ),
            };
            let cutoff = reference - idle_days * 86_400_000;
            let mut idle: Vec<&super::Seat> = seats
                .iter()
                .copied()
                .filter(|s| is_idle(s, cutoff))
                .collect();
            idle.sort_by(|a, b| a.user.cmp(&b.user));
            let new = seats.iter().filter(|s| is_new(s, cutoff)).count();
            SeatPool {
                provider,
                plan,
                seats,
                idle,
                new,
                cutoff,
                reference,
                reference_is,
            }
        })
        .collect()
}

fn idle_seats(ctx: &AnalysisCtx) -> Vec<Finding> {
    // Idle seats the shadow-AI finding gives to people now paying for their own subscription
    // are not reclaimed: that finding counts their saving, this one the rest.
    let assigned = super::shadow_ai::assigned_seats(ctx);
    let mut out = Vec::new();
    for pool in seat_pools(ctx) {
        let (provider, plan) = (&pool.provider, &pool.plan);
        let reassigned = assigned
            .get(&(provider.clone(), plan.clone()))
            .copied()
            .unwrap_or(0)
            .min(pool.idle.len());
        let priced: Vec<&super::Seat> = pool
            .seats
            .iter()
            .copied()
            .filter(|s| s.price_nano.is_some())
            .collect();
        if priced.is_empty() {
            out.extend(idle_unpriced_seats(ctx, &pool, reassigned));
            continue;
        }
        let idle: Vec<&super::Seat> = pool.idle[reassigned..]
            .iter()
            .copied()
            .filter(|s| s.price_nano.is_some())
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
        let users: Vec<&str> = idle.iter().map(|s| s.user.as_str()).collect();
        let mut evidence = json!({
            "seats": priced.len(),
            "idle_seats": idle.len(),
            "idle_without_any_recorded_activity": undated,
            "idle_users": users,
            "new_seats_not_counted": pool.new,
            "idle_after_days": ctx.settings.seat_idle_days,
            "cutoff": crate::util::day_string(pool.cutoff),
            "measured_from": crate::util::day_string(pool.reference),
            "measured_from_is": pool.reference_is,
            "seat_price": priced.first().and_then(|s| s.price_nano).map(|p| money::nanos_to_cent_f64(p as i128)),
            "price_source": price_source(&idle, plan),
            "formula": "monthly_savings = idle_seats × seat_price",
        });
        if reassigned > 0 {
            evidence["reassigned_to_individual_subscribers"] = json!({
                "seats": reassigned,
                "users": pool.idle[..reassigned].iter().map(|s| s.user.as_str()).collect::<Vec<_>>(),
                "why": "these idle seats go to people who now pay for the same product on a card (the `shadow_ai` finding counts that saving), so they are not reclaimed here",
            });
        }
        out.push(Finding::new(
            "idle_capacity",
            provider,
            &format!("seats {plan}"),
            format!("{} of {} `{plan}` seats idle for {}+ days", idle.len() + reassigned, priced.len(), ctx.settings.seat_idle_days)
                + &if reassigned > 0 { format!(", {reassigned} of them to be reassigned") } else { String::new() },
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

/// A seat assigned after the cutoff (within the idle window before the snapshot's time) is
/// new: it has not had the time to be idle, whatever its activity.
fn is_new(seat: &super::Seat, cutoff: i64) -> bool {
    seat.assigned_ms.is_some_and(|a| a >= cutoff)
}

/// A seat with no activity since the cutoff (or none at all) that is not new.
fn is_idle(seat: &super::Seat, cutoff: i64) -> bool {
    seat.last_activity_ms.is_none_or(|t| t < cutoff) && !is_new(seat, cutoff)
}

/// Idle seats of a plan with no price (neither in the config nor in the catalog): the seats
/// are counted and listed, and the finding says which price is needed to value them. It
/// claims no saving.
fn idle_unpriced_seats(ctx: &AnalysisCtx, pool: &SeatPool, reassigned: usize) -> Option<Finding> {
    let (provider, plan) = (pool.provider.as_str(), pool.plan.as_str());
    let users: Vec<&str> = pool.idle[reassigned..]
        .iter()
        .map(|s| s.user.as_str())
        .collect();
    if users.is_empty() {
        return None;
    }
    let days = ctx.settings.seat_idle_days;
    let mut evidence = json!({
        "seats": pool.seats.len(),
        "idle_seats": users.len(),
        "idle_users": users,
        "new_seats_not_counted": pool.new,
        "idle_after_days": days,
        "cutoff": crate::util::day_string(pool.cutoff),
        "price_needed": format!("no price for plan `{plan}` in the config or the catalog: add `{plan} = \"<price per seat-month>\"` under [seats] in the config to value these seats"),
        "formula": "monthly_savings = idle_seats × seat_price (not computed: no seat price)",
    });
    if reassigned > 0 {
        evidence["reassigned_to_individual_subscribers"] = json!(reassigned);
    }
    Some(Finding::new(
        "idle_capacity",
        provider,
        &format!("seats {plan}"),
        format!(
            "{} of {} `{plan}` seats idle for {days}+ days (no seat price: saving not computed)",
            users.len(),
            pool.seats.len()
        ),
        0,
        0,
        Confidence::Low,
        evidence,
        format!(
            "set the `{plan}` seat price under [seats] in the config, then reclaim the {} idle seats at the next renewal",
            users.len()
        ),
        vec![format!("seats|{provider}|{plan}")],
    ))
}

/// Where the idle seats' price came from, as the pricing step recorded it: the config's
/// `[seats]` entry, or the catalog's list price for the plan (an assumption: a contract may
/// differ).
fn price_source(idle: &[&super::Seat], plan: &str) -> String {
    let refs: std::collections::BTreeSet<&str> =
        idle.iter().filter_map(|s| s.price_ref.as_deref()).collect();
    let described: Vec<String> = refs
        .iter()
        .map(|r| {
            if r.starts_with("config/seats/") {
                format!("config [seats] {plan}")
            } else {
                format!("catalog list price `{r}` (assumed: set `{plan}` under [seats] in the config for the contract price)")
            }
        })
        .collect();
    if described.is_empty() {
        "unknown".to_string()
    } else {
        described.join("; ")
    }
}

/// Months from the month of `a` to the month of `b` (`b` exclusive when it is a 1st).
fn months_between(a: chrono::NaiveDate, b: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    let m = (b.year() as i64 * 12 + b.month() as i64) - (a.year() as i64 * 12 + a.month() as i64);
    if b.day() > 1 {
        m + 1
    } else {
        m
    }
}

fn commitment_shortfalls(ctx: &AnalysisCtx) -> Vec<Finding> {
    let Some(overlay) = ctx.overlay_terms else {
        return Vec::new();
    };
    let start = ctx.month.first_day();
    let mut out = Vec::new();
    for c in overlay
        .commitments
        .iter()
        .filter(|c| c.from <= start && start < c.to)
    {
        let term_months = months_between(c.from, c.to).max(1);
        let elapsed = months_between(c.from, start).clamp(0, term_months - 1);
        let left_incl = term_months - elapsed;
        let this_month: i64 = ctx
            .billed_by_account
            .iter()
            .filter(|(p, _, _)| *p == c.provider)
            .map(|(_, _, v)| *v)
            .sum();
        let amount = money::decimal_to_nanos(c.amount).unwrap_or(i64::MAX);
        let (before, assumed) = match c.consumed_before {
            Some(d) => (money::decimal_to_nanos(d).unwrap_or(0), false),
            None => (this_month.saturating_mul(elapsed), true),
        };
        let projected = before.saturating_add(this_month.saturating_mul(left_incl));
        let shortfall = amount - projected;
        if shortfall <= 0 {
            continue;
        }
        let monthly = shortfall / left_incl;
        let committed_monthly = amount / term_months;
        if money::nanos_to_f64(monthly) < ctx.settings.min_monthly_savings {
            continue;
        }
        let cents = |n: i64| money::nanos_to_cent_f64(n as i128);
        let evidence = json!({
            "commitment": {
                "id": c.id,
                "provider": c.provider,
                "amount": cents(amount),
                "from": c.from.to_string(),
                "to": c.to.to_string(),
                "term_months": term_months,
                "overlay": overlay.file,
            },
            "billed_this_month": cents(this_month),
            "consumed_before_this_month": cents(before),
            "months_left_including_this_one": left_incl,
            "projected_by_end_of_term": cents(projected),
            "shortfall": cents(shortfall),
            "formula": "shortfall = amount − (consumed before + billed this month × months left); monthly_savings = shortfall ÷ months left",
            "lines": "ledger.parquet billed rows of this provider in the period",
            "assumptions": [
                if assumed {
                    "consumed before this month not given in the overlay: assumed at this month's billed rate".to_string()
                } else {
                    "consumed before this month as stated in the overlay".to_string()
                },
                "the rest of the term runs at this month's billed rate".to_string(),
            ],
        });
        out.push(Finding::new(
            "idle_capacity",
            &c.provider,
            &format!("commitment {}", c.id),
            format!(
                "commitment `{}` with {} will fall ${} short by {}",
                c.id,
                c.provider,
                money::format_amount(shortfall as i128),
                c.to
            ),
            committed_monthly,
            monthly,
            if assumed {
                Confidence::Low
            } else {
                Confidence::Medium
            },
            evidence,
            format!(
                "move spend from other vendors onto {} before {} (see consolidation findings) or renegotiate the commitment",
                c.provider, c.to
            ),
            vec![format!("commitment|{}", c.id)],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{oct, run, settings, usd};
    use super::*;
    use crate::ledger::{ChargeKind, LedgerRow, RecordRole};

    /// A PTU billed for October (744 unit-hours at $1) and the gateway traffic it served.
    fn ptu(served_input_tokens: f64) -> Vec<LedgerRow> {
        let mut bill = LedgerRow::new(
            "azure",
            RecordRole::Billed,
            ChargeKind::ProvisionedHour,
            oct(1),
            oct(31) + 86_400_000,
            "azure.csv",
            2,
        );
        bill.resource = Some("oai-ptu".into());
        bill.quantity = 744.0;
        bill.unit = "hours";
        bill.billed_cost_nano = Some(744_000_000_000);
        let mut served = LedgerRow::new(
            "azure",
            RecordRole::Gateway,
            ChargeKind::Input,
            oct(5),
            oct(5) + 1_000,
            "gw.csv",
            2,
        );
        served.resource = Some("oai-ptu".into());
        served.model_raw = Some("gpt-4o".into());
        served.workload = Some("chat".into());
        served.quantity = served_input_tokens;
        vec![bill, served]
    }

    #[test]
    fn an_underused_ptu_costs_more_than_pay_as_you_go_of_what_it_served() {
        // 10M gpt-4o input tokens at $2.50 = $25 pay-as-you-go against $744 provisioned.
        let f = run(&IdleCapacity, ptu(10e6), &settings());
        assert_eq!(f.len(), 1);
        assert_eq!(usd(f[0].monthly_savings_nano), 719.0);
    }

    #[test]
    fn the_right_sized_unit_count_follows_the_peak_hour() {
        // 10M tokens in one hour = 166,667 a minute; at 100,000 a unit that needs 2 units, and
        // the bill is for 744 unit-hours over 744 hours: 1 unit billed, so no cheaper size.
        let mut s = settings();
        s.provisioned_tokens_per_minute_per_unit = [("oai-ptu".to_string(), 100_000.0)].into();
        let f = run(&IdleCapacity, ptu(10e6), &s);
        let r = &f[0].evidence["right_size"];
        assert_eq!(r["units_needed_for_peak"], 2.0);
        assert_eq!(r["units_billed"], 1.0);
        assert_eq!(r["peak_hour_tokens"], 10e6);
        // Without the throughput figure the evidence says what to configure.
        let f = run(&IdleCapacity, ptu(10e6), &settings());
        assert!(f[0].evidence["right_size"]["not_computed"]
            .as_str()
            .unwrap()
            .contains("oai-ptu"));
    }

    #[test]
    fn unpriced_traffic_is_never_free_pay_as_you_go() {
        // Only unpriced traffic: no counterfactual, so no saving is claimed.
        let mut rows = ptu(10e6);
        rows[1].model_raw = Some("in-house-model-v9".into());
        assert!(run(&IdleCapacity, rows, &settings()).is_empty());
        // Half the tokens unpriced: they are costed at the priced half's rate ($25 for 10M),
        // so pay-as-you-go is $50, the saving $694, and the confidence low.
        let mut rows = ptu(10e6);
        let mut unknown = rows[1].clone();
        unknown.model_raw = Some("in-house-model-v9".into());
        unknown.source_line = 3;
        rows.push(unknown);
        let f = run(&IdleCapacity, rows, &settings());
        assert_eq!(usd(f[0].monthly_savings_nano), 694.0);
        assert_eq!(f[0].confidence, Confidence::Low);
        assert_eq!(f[0].evidence["unpriced"]["tokens"], 10e6);
        assert_eq!(f[0].evidence["unpriced"]["models"][0], "in-house-model-v9");
    }

    #[test]
    fn a_well_utilised_ptu_is_not_reported() {
        // 400M tokens would cost $1,000 pay-as-you-go: the PTU is the cheaper way to buy them.
        assert!(run(&IdleCapacity, ptu(400e6), &settings()).is_empty());
    }

    fn seat(user: &str, last: Option<&str>) -> LedgerRow {
        let mut r = LedgerRow::new(
            "github",
            RecordRole::Usage,
            ChargeKind::Seat,
            oct(1),
            oct(31),
            "seats.json",
            2,
        );
        r.model_raw = Some("copilot_business".into());
        r.api_key = Some(user.into());
        r.quantity = 1.0;
        r.unit = "seats";
        r.list_cost_nano = Some(19_000_000_000);
        r.last_activity_ms = last.and_then(crate::ingest::parse_timestamp_ms);
        r
    }

    #[test]
    fn seats_idle_for_30_days_are_reclaimable_and_active_ones_are_not() {
        let rows = vec![
            seat("a", Some("2026-10-28T10:00:00Z")),
            seat("b", Some("2026-08-15T10:00:00Z")),
            seat("c", None),
        ];
        let f = run(&IdleCapacity, rows, &settings());
        assert_eq!(f.len(), 1);
        assert_eq!(usd(f[0].monthly_savings_nano), 38.0);
        assert_eq!(f[0].evidence["idle_seats"], 2);
        let all_active = vec![seat("a", Some("2026-10-28T10:00:00Z"))];
        assert!(run(&IdleCapacity, all_active, &settings()).is_empty());
    }

    #[test]
    fn idle_seats_without_any_price_are_listed_with_the_price_needed() {
        let mut rows = vec![
            seat("a", Some("2026-10-28T10:00:00Z")),
            seat("b", Some("2026-08-15T10:00:00Z")),
        ];
        for r in &mut rows {
            r.list_cost_nano = None;
            r.unpriced_reason = Some("no seat price".into());
        }
        let f = run(&IdleCapacity, rows, &settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].monthly_savings_nano, 0);
        assert_eq!(f[0].evidence["idle_users"], serde_json::json!(["b"]));
        assert!(f[0].evidence["price_needed"]
            .as_str()
            .unwrap()
            .contains("under [seats]"));
    }

    #[test]
    fn idleness_is_measured_from_the_reports_own_time_not_the_month_end() {
        // A report pulled on October 10: its latest activity is that day. A seat last used
        // on September 15 is 25 days idle then (not 46 days, as from October 31).
        let mut rows = vec![
            seat("a", Some("2026-10-10T10:00:00Z")),
            seat("b", Some("2026-09-15T10:00:00Z")),
            seat("c", Some("2026-08-01T10:00:00Z")),
        ];
        for r in &mut rows {
            r.price_ref = Some("2026.11.27/seat/copilot_business/list".into());
        }
        let f = run(&IdleCapacity, rows, &settings());
        assert_eq!(f[0].evidence["idle_users"], serde_json::json!(["c"]));
        assert_eq!(f[0].evidence["measured_from"], "2026-10-10");
        // A catalog list price is named as such (an assumption), never as a config entry.
        let source = f[0].evidence["price_source"].as_str().unwrap();
        assert!(source.starts_with("catalog list price"), "{source}");
    }
}
