//! `shadow_ai`: AI bought on corporate cards and expense reports, outside the company's
//! contracts (card and expense exports, `pricing/merchants.toml`).
//!
//! * **Individual subscriptions beside a company seat plan** (ChatGPT Plus while ChatGPT
//!   Enterprise has seats): a subscriber (net spend above zero this month) who already holds a
//!   seat of the plan (the same login or email, any letter case) needs none; the others get an
//!   idle seat, highest spend first, while idle seats last. Saving = the subscriptions of the
//!   seat holders and of the people given a seat (those seats are already paid) + for the
//!   others, what their subscription costs above a seat (`max(0, subscription − seat price)`),
//!   when the seat price is known.
//!   The seats given here are not reclaimed by the idle-seat finding, so the headline never
//!   counts a seat twice. Confidence `high` when every line names its person, else `medium`.
//! * **Individual subscriptions with no company seat plan** (Cursor with no contract): who pays
//!   for what and the month's spend. A governance finding: its saving is zero, and it says so.
//!   Confidence `high`.
//! * **API usage paid on a card** (top-ups to OpenAI, Anthropic or OpenRouter not paying the
//!   company's own bill, see `ingest::dedup::CardPayments`): a consolidation into the
//!   company's organisation. Saving = spend × (1 − the company's billed ÷ list ratio on that
//!   vendor's usage), when the company pays below list; zero (stated) at list price.
//!   Confidence `medium` with a discount, `high` at zero.
//!
//! People are whoever the export names (pseudonyms under `--redact`); evidence lists every
//! transaction by file and line.

use super::{Analysis, AnalysisCtx, Confidence, Finding};
use crate::ledger::query::ExpenseLine;
use crate::money;
use crate::pricing::merchants::{Merchants, Product, ProductKind};
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeMap;

pub struct ShadowAi;

/// One person's spend on one product this month.
struct Subscriber<'a> {
    person: String,
    team: Option<String>,
    spend: i64,
    lines: Vec<&'a ExpenseLine>,
}

/// The people paying for one product, by spend (highest first), then name.
fn subscribers<'a>(lines: &[&'a ExpenseLine]) -> Vec<Subscriber<'a>> {
    let mut by: BTreeMap<String, Subscriber> = BTreeMap::new();
    for l in lines {
        let person = l
            .person
            .clone()
            .unwrap_or_else(|| "(not named in the export)".to_string());
        let s = by.entry(person.clone()).or_insert(Subscriber {
            person,
            team: l.team.clone(),
            spend: 0,
            lines: Vec::new(),
        });
        s.spend += l.billed_cost_nano;
        s.lines.push(l);
    }
    let mut out: Vec<Subscriber> = by.into_values().filter(|s| s.spend > 0).collect();
    out.sort_by(|a, b| b.spend.cmp(&a.spend).then_with(|| a.person.cmp(&b.person)));
    out
}

/// A subscription product beside a seat plan the company has, and who gets an idle seat.
struct SeatOverlap<'a> {
    product: &'a Product,
    provider: String,
    plan: String,
    idle_before: usize,
    seat_price: Option<i64>,
    /// Seat holders first (they need no seat), then the others by spend.
    people: Vec<Subscriber<'a>>,
    /// How many of `people` (the first ones) already hold a seat of the company plan.
    holders: usize,
    /// How many of the people after them get an idle seat.
    assigned: usize,
}

/// The card lines per product id.
fn by_product<'a>(ctx: &'a AnalysisCtx<'a>) -> BTreeMap<&'a str, Vec<&'a ExpenseLine>> {
    let mut m: BTreeMap<&str, Vec<&ExpenseLine>> = BTreeMap::new();
    for l in &ctx.expenses {
        m.entry(l.product.as_str()).or_default().push(l);
    }
    m
}

/// Subscriptions whose product a company seat plan also gives, with the idle seats handed out
/// (products in id order share a plan's idle seats).
fn seat_overlaps<'a>(ctx: &'a AnalysisCtx<'a>) -> Vec<SeatOverlap<'a>> {
    let merchants = Merchants::embedded();
    let pools = super::idle_capacity::seat_pools(ctx);
    let mut left: BTreeMap<(String, String), usize> = pools
        .iter()
        .map(|p| ((p.provider.clone(), p.plan.clone()), p.idle.len()))
        .collect();
    let mut out = Vec::new();
    for (product_id, lines) in by_product(ctx) {
        let Some(product) = merchants.product(product_id) else {
            continue;
        };
        if product.kind != ProductKind::Subscription {
            continue;
        }
        // The company's plan for this product: the one with idle seats left, else any it has.
        let plans: Vec<&super::idle_capacity::SeatPool> = product
            .seat_plans
            .iter()
            .flat_map(|plan| pools.iter().filter(move |p| &p.plan == plan))
            .collect();
        let Some(pool) = plans
            .iter()
            .find(|p| left[&(p.provider.clone(), p.plan.clone())] > 0)
            .or(plans.first())
        else {
            continue;
        };
        let people = subscribers(&lines);
        if people.is_empty() {
            continue;
        }
        // Someone who pays for the product while holding a seat of the plan needs no seat.
        let holds_seat = |p: &Subscriber| {
            plans.iter().any(|pool| {
                pool.seats
                    .iter()
                    .any(|s| s.user.eq_ignore_ascii_case(&p.person))
            })
        };
        let (mut people, others): (Vec<Subscriber>, Vec<Subscriber>) =
            people.into_iter().partition(|p| holds_seat(p));
        let holders = people.len();
        people.extend(others);
        let key = (pool.provider.clone(), pool.plan.clone());
        let idle_before = left[&key];
        let assigned = (people.len() - holders).min(idle_before);
        left.insert(key, idle_before - assigned);
        let seat_price = pool.seats.iter().find_map(|s| s.price_nano);
        out.push(SeatOverlap {
            product,
            provider: pool.provider.clone(),
            plan: pool.plan.clone(),
            idle_before,
            seat_price,
            people,
            holders,
            assigned,
        });
    }
    out
}

/// Idle seats per (seat provider, plan) that the shadow-subscription finding hands out.
pub(super) fn assigned_seats(ctx: &AnalysisCtx) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    for o in seat_overlaps(ctx) {
        *m.entry((o.provider, o.plan)).or_insert(0) += o.assigned;
    }
    m
}

/// `1 person`, `3 people`.
fn count_people(n: usize) -> String {
    if n == 1 {
        "1 person pays".to_string()
    } else {
        format!("{n} people pay")
    }
}

fn cents(n: i64) -> f64 {
    money::nanos_to_cent_f64(n as i128)
}

/// The transactions behind a finding, by file and line.
fn transactions(people: &[Subscriber]) -> serde_json::Value {
    let mut lines: Vec<&&ExpenseLine> = people.iter().flat_map(|p| p.lines.iter()).collect();
    lines.sort_by(|a, b| (&a.source_file, a.source_line).cmp(&(&b.source_file, b.source_line)));
    json!(lines
        .iter()
        .map(|l| json!({
            "file": l.source_file,
            "line": l.source_line,
            "day": l.day,
            "person": l.person,
            "amount": cents(l.billed_cost_nano),
        }))
        .collect::<Vec<_>>())
}

fn people_json(people: &[Subscriber]) -> serde_json::Value {
    json!(people
        .iter()
        .map(|p| json!({"person": p.person, "team": p.team, "monthly_spend": cents(p.spend)}))
        .collect::<Vec<_>>())
}

fn confidence_of(people: &[Subscriber]) -> Confidence {
    if people
        .iter()
        .flat_map(|p| &p.lines)
        .all(|l| l.person.is_some())
    {
        Confidence::High
    } else {
        Confidence::Medium
    }
}

fn overlap_finding(o: &SeatOverlap) -> Finding {
    let name = &o.product.name;
    let current: i64 = o.people.iter().map(|p| p.spend).sum();
    let (holders, rest_people) = o.people.split_at(o.holders);
    let (given_people, left_people) = rest_people.split_at(o.assigned);
    let held: i64 = holders.iter().map(|p| p.spend).sum();
    let given: i64 = given_people.iter().map(|p| p.spend).sum();
    let above_seat: i64 = match o.seat_price {
        Some(price) => left_people.iter().map(|p| (p.spend - price).max(0)).sum(),
        None => 0,
    };
    let n = o.people.len();
    let rest = left_people.len();
    let evidence = json!({
        "finding": "individual_subscriptions_beside_a_seat_plan",
        "product": o.product.id,
        "product_list_price": o.product.monthly.map(|d| d.to_string()),
        "product_sources": o.product.sources,
        "company_plan": o.plan,
        "seat_provider": o.provider,
        "idle_seats_available": o.idle_before,
        "people": people_json(&o.people),
        "people_already_holding_a_seat": holders.iter().map(|p| p.person.as_str()).collect::<Vec<_>>(),
        "people_given_an_idle_seat": given_people.iter().map(|p| p.person.as_str()).collect::<Vec<_>>(),
        "seat_price": o.seat_price.map(cents),
        "transactions": transactions(&o.people),
        "formula": "monthly_savings = subscriptions of the people who already hold a seat + subscriptions of the people given an idle seat + Σ max(0, subscription − seat_price) for the others",
        "savings_from_seats_already_held": cents(held),
        "savings_from_idle_seats": cents(given),
        "savings_above_seat_price": cents(above_seat),
        "seat_price_needed": (rest > 0 && o.seat_price.is_none()).then(|| format!("no price for plan `{}`: set it under [seats] in the config to value moving the other {rest} people to seats", o.plan)),
    });
    let action = if o.assigned == 0 && rest == 0 {
        format!(
            "cancel the {n} individual `{name}` subscriptions: these people already hold a `{}` seat",
            o.plan
        )
    } else if o.holders == 0 && rest == 0 {
        format!(
            "cancel the {n} individual `{name}` subscriptions and give each person one of the {} idle `{}` seats",
            o.idle_before, o.plan
        )
    } else if rest == 0 {
        format!(
            "cancel the {n} individual `{name}` subscriptions: {} people already hold a `{}` seat, the others get one of the {} idle seats",
            o.holders, o.plan, o.idle_before
        )
    } else {
        format!(
            "cancel the individual `{name}` subscriptions: give {} people an idle `{}` seat, and move the other {rest} to seats of the plan where that costs less",
            o.assigned, o.plan
        )
    };
    Finding::new(
        "shadow_ai",
        &o.product.vendor,
        &format!("subscriptions {}", o.product.id),
        format!(
            "{} for `{name}` on cards while the company has `{}` with {} idle seats",
            count_people(n),
            o.plan,
            o.idle_before
        ),
        current,
        held + given + above_seat,
        confidence_of(&o.people),
        evidence,
        action,
        vec![format!("expense|{}|{}", o.product.vendor, o.product.id)],
    )
}

/// Whether the company has any contract with a vendor: billed lines of its own or seats.
fn has_contract(ctx: &AnalysisCtx, vendor: &str) -> bool {
    ctx.billed_by_account.iter().any(|(p, _, _)| p == vendor)
        || ctx.seats.iter().any(|s| s.provider == vendor)
}

impl Analysis for ShadowAi {
    fn id(&self) -> &'static str {
        "shadow_ai"
    }

    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>> {
        let merchants = Merchants::embedded();
        let overlaps = seat_overlaps(ctx);
        let mut out: Vec<Finding> = overlaps.iter().map(overlap_finding).collect();
        let covered: Vec<&str> = overlaps.iter().map(|o| o.product.id.as_str()).collect();
        // Subscriptions with no company seat plan, and card API usage, per vendor.
        let mut uncovered: BTreeMap<&str, Vec<(&Product, &ExpenseLine)>> = BTreeMap::new();
        let mut api: BTreeMap<&str, Vec<(&Product, &ExpenseLine)>> = BTreeMap::new();
        for (product_id, lines) in by_product(ctx) {
            let Some(product) = merchants.product(product_id) else {
                continue;
            };
            let target = match product.kind {
                ProductKind::Subscription if covered.contains(&product_id) => continue,
                ProductKind::Subscription => &mut uncovered,
                ProductKind::Api => &mut api,
            };
            for l in lines {
                target
                    .entry(product.vendor.as_str())
                    .or_default()
                    .push((product, l));
            }
        }
        for (vendor, items) in uncovered {
            out.extend(no_plan_finding(ctx, vendor, &items));
        }
        for (vendor, items) in api {
            out.extend(card_api_finding(ctx, vendor, &items));
        }
        Ok(out)
    }
}

fn product_names(items: &[(&Product, &ExpenseLine)]) -> String {
    let mut names: Vec<&str> = items.iter().map(|(p, _)| p.name.as_str()).collect();
    names.sort();
    names.dedup();
    names.join("`, `")
}

/// The people behind a vendor's card lines (net spend above zero) and their spend; `None`
/// when refunds leave nobody paying.
fn payers<'a>(items: &[(&Product, &'a ExpenseLine)]) -> Option<(Vec<Subscriber<'a>>, i64)> {
    let lines: Vec<&ExpenseLine> = items.iter().map(|(_, l)| *l).collect();
    let people = subscribers(&lines);
    let spend: i64 = people.iter().map(|p| p.spend).sum();
    (!people.is_empty()).then_some((people, spend))
}

fn no_plan_finding(
    ctx: &AnalysisCtx,
    vendor: &str,
    items: &[(&Product, &ExpenseLine)],
) -> Option<Finding> {
    let (people, spend) = payers(items)?;
    let names = product_names(items);
    let other_contract = has_contract(ctx, vendor);
    let evidence = json!({
        "finding": "individual_subscriptions_without_a_company_plan",
        "not_savings": "governance: who uses which AI product outside company contracts, and what it costs; cancelling is a policy decision, so no saving is claimed",
        "company_contract_with_vendor": if other_contract { "yes, but no seat plan for this product" } else { "none in these exports" },
        "people": people_json(&people),
        "transactions": transactions(&people),
    });
    Some(Finding::new(
        "shadow_ai",
        vendor,
        &format!("no company plan {vendor}"),
        format!(
            "{} for `{names}` on cards with no company seat plan: {:.2}/month (governance, not a saving)",
            count_people(people.len()),
            cents(spend)
        ),
        spend,
        0,
        confidence_of(&people),
        evidence,
        format!("decide whether `{names}` is sanctioned: buy a company plan with data controls, or move these people to an approved tool"),
        vec![format!("expense|{vendor}|no-plan")],
    ))
}

fn card_api_finding(
    ctx: &AnalysisCtx,
    vendor: &str,
    items: &[(&Product, &ExpenseLine)],
) -> Option<Finding> {
    let (people, spend) = payers(items)?;
    // What the company's own usage with the vendor pays against list, all models together.
    let (billed, list) = ctx
        .model_money
        .iter()
        .filter(|((p, _), _)| p == vendor)
        .fold((0i128, 0i128), |(b, l), (_, (x, y))| {
            (b + *x as i128, l + *y as i128)
        });
    let ratio = (billed > 0 && list > 0).then(|| billed as f64 / list as f64);
    let (savings, confidence, basis) = match ratio {
        Some(r) if r < 1.0 => (
            (spend as f64 * (1.0 - r)).round() as i64,
            Confidence::Medium,
            format!("the company pays {:.1}% of list on its own `{vendor}` usage", r * 100.0),
        ),
        _ => (
            0,
            Confidence::High,
            "no discount on the company's own account is visible (list price both ways): no saving is claimed; consolidating brings the usage under the organisation's controls, data terms and any future commitment".to_string(),
        ),
    };
    let evidence = json!({
        "finding": "api_usage_paid_on_a_card",
        "company_billed_to_list_ratio": ratio,
        "basis": basis,
        "formula": "monthly_savings = card spend × (1 − billed ÷ list of the company's own usage with the vendor)",
        "people": people_json(&people),
        "transactions": transactions(&people),
    });
    Some(Finding::new(
        "shadow_ai",
        vendor,
        &format!("card api {vendor}"),
        format!(
            "{} for `{}` on cards: {:.2}/month outside the company's organisation",
            count_people(people.len()),
            product_names(items),
            cents(spend)
        ),
        spend,
        savings,
        confidence,
        evidence,
        format!("move these people's `{vendor}` API usage into the company's organisation (a project and key each) and stop the card top-ups"),
        vec![format!("expense|{vendor}|api")],
    ))
}
