//! Charts for the board deck: each chart is drawn once as a list of shapes and text
//! ([`canvas::Canvas`], 1920×1080, 16:9) and written as PNG (slides) and SVG (documents).
//!
//! - **Type.** DejaVu Sans ships inside the binary (`fonts/`, Bitstream Vera licence) and is set
//!   by [`text`]: glyphs are filled into the PNG and written as SVG paths, so a chart looks the
//!   same everywhere and renders on machines with no fonts at all.
//! - **Style.** One palette, each provider keeping its colour in every chart; display names
//!   ("Anthropic", "Claude Sonnet 4.5"), currency axes ("$12.3k"), titles that carry the figure,
//!   and labels that wrap instead of being cut.
//! - **Honest totals.** Every total a chart shows is the report's: the spend chart's is billed +
//!   estimated, and the waterfall steps from that spend to the optimised spend by the same
//!   sequential combination as the headline, so alternative findings are never stacked.
//!
//! Files are named `charts/<nn>_<name>.png|svg`, numbered in slide order:
//! `01_spend_by_provider`, `02_top_workloads`, `03_model_mix_by_tier`, `04_savings_waterfall`,
//! `05_provisioned_capacity`, `06_seats`, `07_month_over_month` (from the history store),
//! `08_ai_vendor_map` (spend by vendor and product kind, from the inventory). A
//! chart with nothing to show says so rather than being left out, so a deck built on the
//! names never breaks.

pub mod canvas;
pub mod text;

use crate::analysis::{combined_savings, Finding};
use crate::money;
use crate::report::{OutputFile, Report};
use anyhow::Result;
use canvas::{Canvas, Rgb, HEIGHT, WIDTH};
use text::Anchor;

const INK: Rgb = Rgb(0x22, 0x22, 0x22);
const MUTED: Rgb = Rgb(0x66, 0x66, 0x66);
const GRID: Rgb = Rgb(0xe2, 0xe2, 0xe2);
const SAVING: Rgb = Rgb(0x2e, 0x9e, 0x5b);
const TOTAL: Rgb = Rgb(0x3b, 0x4a, 0x5c);

/// Each provider's colour, the same in every chart.
pub fn provider_color(provider: &str) -> Rgb {
    match provider {
        "openai" => Rgb(0x10, 0xa3, 0x7f),
        "anthropic" => Rgb(0xd9, 0x77, 0x57),
        "aws" => Rgb(0xff, 0x99, 0x00),
        "azure" => Rgb(0x00, 0x78, 0xd4),
        "gcp" => Rgb(0xea, 0x43, 0x35),
        "openrouter" => Rgb(0x64, 0x67, 0xf2),
        "github" => Rgb(0x24, 0x29, 0x2f),
        "chatgpt" => Rgb(0x74, 0xaa, 0x9c),
        "claude" => Rgb(0xa0, 0x52, 0x3a),
        "deepseek" => Rgb(0x4d, 0x6b, 0xfe),
        "mistral" => Rgb(0xfa, 0x52, 0x0f),
        "xai" => Rgb(0x55, 0x55, 0x55),
        _ => Rgb(0x9a, 0x9a, 0x9a),
    }
}

/// A provider id as people say it.
pub fn provider_name(provider: &str) -> String {
    match provider {
        "openai" => "OpenAI".into(),
        "anthropic" => "Anthropic".into(),
        "aws" => "AWS Bedrock".into(),
        "azure" => "Azure OpenAI".into(),
        "gcp" => "Google Vertex AI".into(),
        "openrouter" => "OpenRouter".into(),
        "github" => "GitHub Copilot".into(),
        "chatgpt" => "ChatGPT".into(),
        "claude" => "Claude (seats)".into(),
        "deepseek" => "DeepSeek".into(),
        "mistral" => "Mistral".into(),
        "xai" => "xAI".into(),
        other => other.to_string(),
    }
}

/// A lighter tint, for estimated (not billed) spend.
fn tint(c: Rgb) -> Rgb {
    let t = |v: u8| (v as f32 + (255.0 - v as f32) * 0.5).round() as u8;
    Rgb(t(c.0), t(c.1), t(c.2))
}

/// A short amount in the report's currency: `$85.6k`, `€1.2M`, `$412`.
pub fn short_money(v: f64, currency: &str) -> String {
    let symbol = match currency {
        "" => String::new(),
        "USD" => "$".to_string(),
        "EUR" => "€".to_string(),
        "GBP" => "£".to_string(),
        other => format!("{other} "),
    };
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a >= 1_000_000.0 {
        format!("{sign}{symbol}{:.1}M", a / 1_000_000.0)
    } else if a >= 1_000.0 {
        format!("{sign}{symbol}{:.1}k", a / 1_000.0)
    } else {
        format!("{sign}{symbol}{a:.0}")
    }
}

/// `2026-10-01` → `Oct 2026`.
fn month_label(day: &str) -> String {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(|d| d.format("%b %Y").to_string())
        .unwrap_or_else(|_| day.to_string())
}

fn dollars(nanos: i128) -> f64 {
    money::nanos_to_cent_f64(nanos)
}

/// A round step for an axis from 0 to `max`, about `ticks` steps.
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let step = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    step * mag
}

/// Title, subtitle and footnote shared by every chart.
fn frame(c: &mut Canvas, title: &str, subtitle: &str, note: &str) {
    c.text(80.0, 96.0, 46.0, Anchor::Start, INK, title);
    if !subtitle.is_empty() {
        c.text(80.0, 146.0, 26.0, Anchor::Start, MUTED, subtitle);
    }
    if !note.is_empty() {
        c.text(80.0, (HEIGHT - 30) as f32, 20.0, Anchor::Start, MUTED, note);
    }
}

/// One bar of a horizontal bar chart.
struct Bar {
    label: String,
    value: f64,
    color: Rgb,
}

/// The message a chart with no data shows in its place.
fn nothing_to_show(c: &mut Canvas) {
    c.text(
        WIDTH as f32 / 2.0,
        540.0,
        32.0,
        Anchor::Middle,
        MUTED,
        "nothing to show this month",
    );
}

/// Horizontal bars with wrapped labels on the left and the amount at each bar's end.
fn horizontal_bars(c: &mut Canvas, bars: &[Bar], currency: &str) {
    let rows: Vec<(&str, Vec<(f64, Rgb)>)> = bars
        .iter()
        .map(|b| (b.label.as_str(), vec![(b.value, b.color)]))
        .collect();
    stacked_bars(c, &rows, currency, 200.0);
}

/// Horizontal bars made of coloured segments laid end to end, from `top` down, with wrapped
/// labels on the left and each bar's total at its end (one segment: a plain bar).
fn stacked_bars(c: &mut Canvas, rows: &[(&str, Vec<(f64, Rgb)>)], currency: &str, top: f32) {
    let (label_w, x0, x1) = (560.0, 680.0, 1760.0);
    let bottom = 990.0;
    if rows.is_empty() {
        nothing_to_show(c);
        return;
    }
    let total = |segs: &[(f64, Rgb)]| segs.iter().fold(0.0, |sum, (v, _)| sum + v);
    let max = rows
        .iter()
        .map(|(_, segs)| total(segs))
        .fold(0.0, f64::max)
        .max(1.0);
    let step = nice_step(max, 5.0);
    let axis_max = (max / step).ceil() * step;
    let scale = |v: f64| x0 + ((v / axis_max) as f32) * (x1 - x0);
    // Few bars get taller rows; the axis sits under the last one.
    let row = ((bottom - top) / rows.len() as f32).min(120.0);
    let bottom = top + row * rows.len() as f32;
    let mut v = 0.0;
    while v <= axis_max + step * 0.01 {
        let x = scale(v);
        c.line(x, top, x, bottom, GRID, 1);
        c.text(
            x,
            bottom + 34.0,
            22.0,
            Anchor::Middle,
            MUTED,
            &short_money(v, currency),
        );
        v += step;
    }
    for (i, (label, segs)) in rows.iter().enumerate() {
        let y = top + row * i as f32;
        let size = if row >= 60.0 { 24.0 } else { 20.0 };
        let lines = text::wrap(label, size, label_w);
        let line_h = size * 1.2;
        let first = y + row / 2.0 - line_h * (lines.len() as f32 - 1.0) / 2.0 + size * 0.35;
        for (k, l) in lines.iter().enumerate() {
            c.text(
                x0 - 24.0,
                first + line_h * k as f32,
                size,
                Anchor::End,
                INK,
                l,
            );
        }
        let bar_h = (row * 0.62).max(6.0);
        let by = y + (row - bar_h) / 2.0;
        let (mut start, mut sum) = (x0, 0.0);
        for (v, color) in segs {
            sum += v;
            let end = scale(sum.max(0.0));
            c.rect(start, by, end, by + bar_h, *color);
            start = end;
        }
        c.text(
            scale(sum.max(0.0)) + 12.0,
            y + row / 2.0 + size * 0.35,
            size,
            Anchor::Start,
            INK,
            &short_money(sum, currency),
        );
    }
    c.line(x0, top, x0, bottom, MUTED, 2);
}

fn spend_by_provider(r: &Report) -> Canvas {
    let mut bars: Vec<Bar> = r
        .totals
        .by_provider
        .iter()
        .map(|(p, v)| Bar {
            label: provider_name(p),
            value: dollars(*v),
            color: provider_color(p),
        })
        .chain(r.totals.estimated_by_provider.iter().map(|(p, v)| Bar {
            label: format!("{} (estimated)", provider_name(p)),
            value: dollars(*v),
            color: tint(provider_color(p)),
        }))
        .collect();
    bars.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.label.cmp(&b.label)));
    let mut c = Canvas::default();
    let total = dollars(r.total_spend());
    frame(
        &mut c,
        &format!(
            "AI spend, {}: {}{}",
            month_label(&r.period.start),
            short_money(total, &r.currency),
            change_vs_previous(r)
        ),
        &format!(
            "billed {} · estimated from usage at list price {}",
            short_money(dollars(r.totals.billed_cost), &r.currency),
            short_money(dollars(r.totals.estimated_cost), &r.currency)
        ),
        "Billed: the cost exports. Estimated: usage of providers with no cost export, priced at list. Source: findings.json totals.",
    );
    horizontal_bars(&mut c, &bars, &r.currency);
    c
}

fn top_workloads(r: &Report) -> Canvas {
    let bars: Vec<Bar> = r
        .spend_by_workload
        .iter()
        .take(12)
        .map(|l| Bar {
            label: format!("{} ({})", l.name, provider_name(&l.provider)),
            value: dollars(l.billed_cost),
            color: provider_color(&l.provider),
        })
        .collect();
    let shown: i128 = r
        .spend_by_workload
        .iter()
        .take(12)
        .map(|l| l.billed_cost)
        .sum();
    let all: i128 = r.spend_by_workload.iter().map(|l| l.billed_cost).sum();
    let mut c = Canvas::default();
    frame(
        &mut c,
        &format!(
            "Top workloads, {}: {} of billed usage",
            month_label(&r.period.start),
            short_money(dollars(shown), &r.currency)
        ),
        &format!(
            "{} workloads in all, {} billed usage",
            r.spend_by_workload.len(),
            short_money(dollars(all), &r.currency)
        ),
        "Billed usage by workload (config [workloads], else project, team or key). Source: findings.json spend_by_workload.",
    );
    horizontal_bars(&mut c, &bars, &r.currency);
    c
}

fn tier_color(tier: &str) -> Rgb {
    match tier {
        "frontier" => Rgb(0x7b, 0x3f, 0xa0),
        "mid" => Rgb(0x35, 0x7f, 0xc0),
        "small" => Rgb(0x5a, 0xb4, 0x8c),
        _ => Rgb(0x9a, 0x9a, 0x9a),
    }
}

fn model_mix_by_tier(r: &Report) -> Canvas {
    let tier_of = |name: &str| {
        r.models
            .get(name)
            .map(|m| m.tier.clone())
            .unwrap_or_else(|| "unknown".into())
    };
    let display = |name: &str| {
        r.models
            .get(name)
            .map(|m| m.display.clone())
            .unwrap_or_else(|| name.to_string())
    };
    let order = |t: &str| match t {
        "frontier" => 0,
        "mid" => 1,
        "small" => 2,
        _ => 3,
    };
    let mut lines: Vec<&crate::report::SpendLine> = r.spend_by_model.iter().collect();
    lines.sort_by(|a, b| {
        order(&tier_of(&a.name))
            .cmp(&order(&tier_of(&b.name)))
            .then(b.billed_cost.cmp(&a.billed_cost))
            .then(a.name.cmp(&b.name))
    });
    let bars: Vec<Bar> = lines
        .iter()
        .take(14)
        .map(|l| Bar {
            label: format!("{} · {}", display(&l.name), tier_of(&l.name)),
            value: dollars(l.billed_cost),
            color: tier_color(&tier_of(&l.name)),
        })
        .collect();
    let all: i128 = r.spend_by_model.iter().map(|l| l.billed_cost).sum();
    let mut shares: Vec<String> = Vec::new();
    for tier in ["frontier", "mid", "small", "unknown"] {
        let v: i128 = r
            .spend_by_model
            .iter()
            .filter(|l| tier_of(&l.name) == tier)
            .map(|l| l.billed_cost)
            .sum();
        if v != 0 && all != 0 {
            shares.push(format!("{tier} {:.0}%", v as f64 / all as f64 * 100.0));
        }
    }
    let frontier: i128 = r
        .spend_by_model
        .iter()
        .filter(|l| tier_of(&l.name) == "frontier")
        .map(|l| l.billed_cost)
        .sum();
    let mut c = Canvas::default();
    frame(
        &mut c,
        &format!(
            "Model mix, {}: {} on frontier models",
            month_label(&r.period.start),
            short_money(dollars(frontier), &r.currency)
        ),
        &shares.join(" · "),
        "Billed usage by model, grouped by the catalog's capability tier. Source: findings.json spend_by_model.",
    );
    horizontal_bars(&mut c, &bars, &r.currency);
    c
}

/// A vertical money axis from 0 to a round maximum, with its gridlines drawn.
struct ValueAxis {
    top: f32,
    bottom: f32,
    max: f64,
}

impl ValueAxis {
    /// The canvas y of a value.
    fn y(&self, v: f64) -> f32 {
        self.bottom - ((v / self.max) as f32) * (self.bottom - self.top)
    }
}

/// Draws gridlines and labels for values up to `max` in the box `(x0, x1, top, bottom)`.
fn value_axis(
    c: &mut Canvas,
    max: f64,
    (x0, x1, top, bottom): (f32, f32, f32, f32),
    currency: &str,
) -> ValueAxis {
    let step = nice_step(max, 5.0);
    let axis = ValueAxis {
        top,
        bottom,
        max: (max / step).ceil() * step,
    };
    let mut v = 0.0;
    while v <= axis.max + step * 0.01 {
        c.line(x0, axis.y(v), x1, axis.y(v), GRID, 1);
        c.text(
            x0 - 14.0,
            axis.y(v) + 8.0,
            22.0,
            Anchor::End,
            MUTED,
            &short_money(v, currency),
        );
        v += step;
    }
    axis
}

/// The waterfall's steps: each finding kind's saving as it adds to the kinds before it, by
/// the headline's sequential combination, so the steps sum to the headline.
pub fn waterfall_steps(findings: &[Finding]) -> Vec<(String, i128)> {
    let mut kinds: Vec<(String, i128)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for f in findings {
        if !seen.contains(&f.kind) {
            seen.push(f.kind.clone());
        }
    }
    // Largest kind first, as the headline ranks them.
    let alone = |k: &str| {
        let of: Vec<Finding> = findings.iter().filter(|f| f.kind == k).cloned().collect();
        combined_savings(&of) as i128
    };
    seen.sort_by(|a, b| alone(b).cmp(&alone(a)).then(a.cmp(b)));
    let mut before: i128 = 0;
    let mut included: Vec<Finding> = Vec::new();
    for k in seen {
        included.extend(findings.iter().filter(|f| f.kind == k).cloned());
        let now = combined_savings(&included) as i128;
        kinds.push((k, now - before));
        before = now;
    }
    kinds
}

fn savings_waterfall(r: &Report) -> Canvas {
    let spend = dollars(r.total_spend());
    let steps = waterfall_steps(&r.findings);
    let saved = dollars(r.headline.monthly_savings);
    let mut c = Canvas::default();
    frame(
        &mut c,
        &format!(
            "Savings found, {}: {}/month ({:.0}% of AI spend)",
            month_label(&r.period.start),
            short_money(saved, &r.currency),
            r.headline.share_of_spend * 100.0
        ),
        &format!(
            "{} → {} optimised; overlapping findings combined, never added",
            short_money(spend, &r.currency),
            short_money(spend - saved, &r.currency)
        ),
        "Each step: that kind's saving on top of the kinds before it (the headline's combination). Source: findings.json headline.",
    );
    let mut cols: Vec<(String, f64, f64, Rgb)> = vec![("AI spend".into(), 0.0, spend, TOTAL)];
    let mut level = spend;
    for (kind, v) in steps.iter().filter(|(_, v)| *v != 0) {
        let v = dollars(*v);
        cols.push((kind.replace('_', " "), level - v, level, SAVING));
        level -= v;
    }
    cols.push(("Optimised spend".into(), 0.0, level, TOTAL));
    let (x0, x1, top, bottom) = (170.0, 1840.0, 210.0, 880.0);
    let max = spend.max(1.0);
    let axis = value_axis(&mut c, max, (x0, x1, top, bottom), &r.currency);
    let y = |v: f64| axis.y(v);
    let w = (x1 - x0) / cols.len() as f32;
    for (i, (label, low, high, color)) in cols.iter().enumerate() {
        let cx = x0 + w * (i as f32 + 0.5);
        let bw = (w * 0.6).min(220.0);
        c.rect(
            cx - bw / 2.0,
            y(*low),
            cx + bw / 2.0,
            y(*high).min(y(*low) - 2.0),
            *color,
        );
        let amount = if i == 0 || i + 1 == cols.len() {
            short_money(high - low, &r.currency)
        } else {
            format!("−{}", short_money(high - low, &r.currency))
        };
        c.text(cx, y(*high) - 14.0, 24.0, Anchor::Middle, INK, &amount);
        for (k, l) in text::wrap(label, 24.0, w - 16.0).iter().enumerate() {
            c.text(
                cx,
                bottom + 42.0 + 30.0 * k as f32,
                24.0,
                Anchor::Middle,
                INK,
                l,
            );
        }
    }
    c.line(x0, bottom, x1, bottom, MUTED, 2);
    c
}

fn provisioned_capacity(r: &Report) -> Canvas {
    let mut c = Canvas::default();
    let paid: i128 = r.provisioned.iter().map(|p| p.billed_cost).sum();
    let used: i128 = r.provisioned.iter().map(|p| p.payg_list_cost).sum();
    frame(
        &mut c,
        &format!(
            "Provisioned capacity, {}: {} paid, {} used at pay-as-you-go",
            month_label(&r.period.start),
            short_money(dollars(paid), &r.currency),
            short_money(dollars(used), &r.currency)
        ),
        "per resource: what the hours cost against the list cost of the tokens they served",
        "Used: gateway traffic linked to the resource, priced at pay-as-you-go list. Source: findings.json provisioned.",
    );
    let mut bars = Vec::new();
    for p in &r.provisioned {
        let color = provider_color(&p.provider);
        bars.push(Bar {
            label: format!("{} {}: paid", provider_name(&p.provider), p.resource),
            value: dollars(p.billed_cost),
            color,
        });
        bars.push(Bar {
            label: format!("{} {}: used", provider_name(&p.provider), p.resource),
            value: dollars(p.payg_list_cost),
            color: tint(color),
        });
    }
    horizontal_bars(&mut c, &bars, &r.currency);
    c
}

fn seats(r: &Report) -> Canvas {
    let mut c = Canvas::default();
    let mut rows: Vec<(String, String, u64, u64)> = Vec::new();
    for f in r.findings.iter().filter(|f| f.scope.starts_with("seats ")) {
        let (Some(all), Some(idle)) = (
            f.evidence["seats"].as_u64(),
            f.evidence["idle_seats"].as_u64(),
        ) else {
            continue;
        };
        rows.push((
            f.provider.clone(),
            f.scope.trim_start_matches("seats ").to_string(),
            all,
            idle,
        ));
    }
    let idle: u64 = rows.iter().map(|r| r.3).sum();
    let all: u64 = rows.iter().map(|r| r.2).sum();
    frame(
        &mut c,
        &format!(
            "Seats, {}: {idle} of {all} idle",
            month_label(&r.period.start)
        ),
        "seat plans with idle seats: active and idle seats",
        "Idle: no activity in the idle window before the seat report's own time. Source: findings.json idle_capacity evidence.",
    );
    let mut bars = Vec::new();
    for (provider, plan, all, idle) in &rows {
        bars.push(Bar {
            label: format!("{} {plan}: active", provider_name(provider)),
            value: (all - idle) as f64,
            color: provider_color(provider),
        });
        bars.push(Bar {
            label: format!("{} {plan}: idle", provider_name(provider)),
            value: *idle as f64,
            color: Rgb(0xc8, 0x3e, 0x3e),
        });
    }
    // Seat counts, not money: the axis reads plain numbers.
    horizontal_bars(&mut c, &bars, "");
    c
}

/// `+12% vs Sep`, from the history's previous month, or nothing without one.
fn change_vs_previous(r: &Report) -> String {
    let Some(h) = &r.history else {
        return String::new();
    };
    match (&h.previous_month, h.previous_spend) {
        (Some(m), Some(p)) if p > 0 => {
            let pct = (h.spend - p) as f64 / p as f64 * 100.0;
            format!(
                " ({}{pct:.0}% vs {})",
                if pct >= 0.0 { "+" } else { "" },
                month_label(&format!("{m}-01"))
                    .split(' ')
                    .next()
                    .unwrap_or(m)
            )
        }
        _ => String::new(),
    }
}

/// Spend by month, stacked by provider: the months the history store holds, then this one.
fn month_over_month(r: &Report) -> Canvas {
    let mut c = Canvas::default();
    let months: Vec<(String, Vec<(String, i128)>)> = match &r.history {
        Some(h) => h
            .months
            .iter()
            .map(|m| {
                (
                    month_label(&format!("{}-01", m.month)),
                    m.by_provider.iter().map(|(p, v)| (p.clone(), *v)).collect(),
                )
            })
            .collect(),
        None => vec![(
            month_label(&r.period.start),
            r.totals
                .providers()
                .into_iter()
                .map(|p| {
                    let v = r.totals.by_provider.get(p).copied().unwrap_or(0)
                        + r.totals.estimated_by_provider.get(p).copied().unwrap_or(0);
                    (p.clone(), v)
                })
                .collect(),
        )],
    };
    let total = dollars(r.total_spend());
    frame(
        &mut c,
        &format!(
            "AI spend by month: {} in {}{}",
            short_money(total, &r.currency),
            month_label(&r.period.start),
            change_vs_previous(r)
        ),
        &match &r.history {
            Some(h) if h.months.len() > 1 => format!(
                "{} months from the history store; quarter forecast {}",
                h.months.len(),
                short_money(dollars(h.quarter_forecast), &r.currency)
            ),
            Some(_) => "the history store holds no earlier month yet".to_string(),
            None => "no history kept for this run (--no-history)".to_string(),
        },
        "Billed + estimated spend by provider and month. Source: findings.json history.months.",
    );
    let (x0, x1, top, bottom) = (170.0, 1560.0, 210.0, 900.0);
    let max = months
        .iter()
        .map(|(_, ps)| dollars(ps.iter().map(|(_, v)| (*v).max(0)).sum()))
        .fold(0.0, f64::max)
        .max(1.0);
    let axis = value_axis(&mut c, max, (x0, x1, top, bottom), &r.currency);
    let y = |v: f64| axis.y(v);
    let w = (x1 - x0) / months.len().max(1) as f32;
    let mut seen: Vec<String> = Vec::new();
    for (i, (label, providers)) in months.iter().enumerate() {
        let cx = x0 + w * (i as f32 + 0.5);
        let bw = (w * 0.6).min(160.0);
        let mut level = 0.0;
        for (p, v) in providers {
            let v = dollars((*v).max(0));
            c.rect(
                cx - bw / 2.0,
                y(level + v),
                cx + bw / 2.0,
                y(level),
                provider_color(p),
            );
            level += v;
            if !seen.contains(p) {
                seen.push(p.clone());
            }
        }
        c.text(
            cx,
            y(level) - 12.0,
            22.0,
            Anchor::Middle,
            INK,
            &short_money(level, &r.currency),
        );
        c.text(cx, bottom + 36.0, 22.0, Anchor::Middle, INK, label);
    }
    c.line(x0, bottom, x1, bottom, MUTED, 2);
    // Legend: each provider in its colour.
    seen.sort();
    for (k, p) in seen.iter().enumerate() {
        let ly = top + 40.0 * k as f32;
        c.rect(1600.0, ly, 1626.0, ly + 26.0, provider_color(p));
        c.text(
            1640.0,
            ly + 21.0,
            22.0,
            Anchor::Start,
            INK,
            &provider_name(p),
        );
    }
    c
}

/// Each product kind's colour in the vendor map.
fn kind_color(kind: crate::report::inventory::ProductKind) -> Rgb {
    use crate::report::inventory::ProductKind;
    match kind {
        ProductKind::Api => Rgb(0x3b, 0x6e, 0xa8),
        ProductKind::CloudPlatform => Rgb(0xf2, 0x9e, 0x38),
        ProductKind::Seats => Rgb(0x5a, 0xa4, 0x69),
        ProductKind::Shadow => Rgb(0xc8, 0x4c, 0x5a),
    }
}

/// The AI vendor map: spend by vendor, each bar split by product kind (API, cloud platform,
/// seats, shadow), from the inventory; its total is the report's billed + estimated spend.
fn vendor_map(r: &Report) -> Canvas {
    use crate::report::inventory::ProductKind;
    let mut c = Canvas::default();
    let Some(inv) = &r.inventory else {
        frame(&mut c, "AI vendor map", "", "");
        nothing_to_show(&mut c);
        return c;
    };
    let mut rows: Vec<(&str, Vec<(f64, Rgb)>)> = inv
        .vendors
        .iter()
        .map(|v| {
            let segs = ProductKind::ALL
                .iter()
                .map(|k| {
                    let sum: i128 = v
                        .products
                        .iter()
                        .filter(|p| p.kind == *k)
                        .map(|p| p.billed_cost + p.estimated_cost)
                        .sum();
                    (dollars(sum), kind_color(*k))
                })
                .filter(|(x, _)| *x > 0.0)
                .collect();
            (v.vendor.as_str(), segs)
        })
        .filter(|(_, segs): &(&str, Vec<(f64, Rgb)>)| !segs.is_empty())
        .collect();
    let total_of = |segs: &[(f64, Rgb)]| segs.iter().map(|(x, _)| x).sum::<f64>();
    rows.sort_by(|a, b| total_of(&b.1).total_cmp(&total_of(&a.1)).then(a.0.cmp(b.0)));
    rows.truncate(14);
    let shares: Vec<String> = ProductKind::ALL
        .iter()
        .filter_map(|k| {
            let v = inv.totals.by_kind[k.as_str()];
            (v > 0).then(|| format!("{} {}", k.label(), short_money(dollars(v), &r.currency)))
        })
        .collect();
    frame(
        &mut c,
        &format!(
            "AI vendor map, {}: {} vendors, {}",
            month_label(&r.period.start),
            inv.vendors.len(),
            short_money(dollars(r.total_spend()), &r.currency)
        ),
        &shares.join(" · "),
        "Billed and estimated spend by vendor and product kind; shadow is AI bought on cards and expense reports. Source: inventory.json.",
    );
    if !rows.is_empty() {
        // Legend, above the bars.
        let mut lx = 80.0;
        for k in ProductKind::ALL {
            c.rect(lx, 176.0, lx + 26.0, 202.0, kind_color(k));
            c.text(lx + 36.0, 198.0, 22.0, Anchor::Start, INK, k.label());
            lx += 60.0 + text::width(k.label(), 22.0);
        }
    }
    stacked_bars(&mut c, &rows, &r.currency, 240.0);
    c
}

/// How one chart is drawn from the report.
pub type Draw = fn(&Report) -> Canvas;

/// Every chart, in slide order: its file stem and how it is drawn.
pub const CHARTS: [(&str, Draw); 8] = [
    ("01_spend_by_provider", spend_by_provider),
    ("02_top_workloads", top_workloads),
    ("03_model_mix_by_tier", model_mix_by_tier),
    ("04_savings_waterfall", savings_waterfall),
    ("05_provisioned_capacity", provisioned_capacity),
    ("06_seats", seats),
    ("07_month_over_month", month_over_month),
    ("08_ai_vendor_map", vendor_map),
];

/// A chart's name for a link: `04_savings_waterfall` → `Savings waterfall`.
pub fn chart_title(stem: &str) -> String {
    let words = stem
        .split_once('_')
        .map_or(stem, |(_, rest)| rest)
        .replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Every chart of the report, in slide order, as `(file stem, drawing)`.
pub fn charts_for(r: &Report) -> Vec<(&'static str, Canvas)> {
    CHARTS.iter().map(|(stem, draw)| (*stem, draw(r))).collect()
}

/// The charts as `charts/<stem>.png` and `.svg` files.
pub fn render_all(r: &Report) -> Result<Vec<OutputFile>> {
    let mut out = Vec::new();
    for (stem, canvas) in charts_for(r) {
        out.push(OutputFile {
            path: format!("charts/{stem}.png"),
            bytes: canvas.png()?,
        });
        out.push(OutputFile {
            path: format!("charts/{stem}.svg"),
            bytes: canvas.svg(stem)?.into_bytes(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_money_reads_like_a_slide() {
        assert_eq!(short_money(85_612.0, "USD"), "$85.6k");
        assert_eq!(short_money(1_250_000.0, "EUR"), "€1.2M");
        assert_eq!(short_money(412.0, "USD"), "$412");
        assert_eq!(short_money(-5.0, "USD"), "-$5");
        assert_eq!(nice_step(8_560.0, 5.0), 2_000.0);
    }

    fn finding(kind: &str, scope: &str, saving: i64, acts_on: &str) -> Finding {
        Finding::new(
            kind,
            "openai",
            scope,
            format!("{kind} {scope}"),
            10_000_000_000_000,
            saving,
            crate::analysis::Confidence::Medium,
            serde_json::json!({}),
            String::new(),
            vec![acts_on.to_string()],
        )
    }

    #[test]
    fn waterfall_steps_add_up_to_the_headline_and_never_stack_alternatives() {
        let gb = 1_000_000_000_000i64; // $1,000 in nanos
                                       // Two alternatives on the same spend (downshift or successor), and one apart.
        let findings = vec![
            finding("tier_downshift", "a", 3 * gb, "openai|support|gpt-4.1"),
            finding("model_successor", "b", 2 * gb, "openai|support|gpt-4.1"),
            finding("idle_capacity", "c", gb, "seats|github|copilot"),
        ];
        let steps = waterfall_steps(&findings);
        let sum: i128 = steps.iter().map(|(_, v)| *v).sum();
        assert_eq!(sum, combined_savings(&findings) as i128);
        // Naively stacked, the two alternatives would claim 3 + 2 on the same spend.
        assert!(sum < 6 * gb as i128, "{steps:?}");
        assert!(steps.iter().all(|(_, v)| *v >= 0), "{steps:?}");
    }
}
