//! `report.md`: the human view of the report, ready to paste into a board deck.

use super::{OutputFile, Outputs, Renderer, Report};
use crate::money::format_amount;
use anyhow::Result;
use std::fmt::Write;

pub struct MarkdownRenderer;

pub(super) fn money(report: &Report, n: i128) -> String {
    money_in(&report.currency, n)
}

/// `$1,234.50`, or `1,234.50 EUR` in another currency.
pub(super) fn money_in(currency: &str, n: i128) -> String {
    if currency == "USD" {
        let s = format_amount(n);
        match s.strip_prefix('-') {
            Some(rest) => format!("-${rest}"),
            None => format!("${s}"),
        }
    } else {
        format!("{} {currency}", format_amount(n))
    }
}

/// A JSON scalar as a person reads it: whole numbers with thousands separators, fractions to
/// four decimals, `null` as a dash.
pub(super) fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "–".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => {
                format_amount((x as i128) * 1_000_000_000)
                    .trim_end_matches(".00")
                    .to_string()
            }
            Some(x) => {
                let t = format!("{x:.4}");
                let t = t.trim_end_matches('0');
                t.trim_end_matches('.').to_string()
            }
            None => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Evidence as a nested list: objects by key, lists of scalars inline, lists of objects as
/// numbered items.
fn evidence_lines(v: &serde_json::Value, depth: usize, o: &mut String) -> std::fmt::Result {
    let pad = "  ".repeat(depth);
    let is_scalar = |x: &serde_json::Value| !x.is_object() && !x.is_array();
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                let key = text(&k.replace('_', " "));
                match val {
                    // Short scalar lists inline; sentences (assumptions) one per line.
                    serde_json::Value::Array(items)
                        if items.iter().all(is_scalar)
                            && items.iter().all(|x| scalar(x).len() <= 40) =>
                    {
                        let joined: Vec<String> = items.iter().map(|x| text(&scalar(x))).collect();
                        writeln!(o, "{pad}- {key}: {}", joined.join("; "))?;
                    }
                    x if is_scalar(x) => writeln!(o, "{pad}- {key}: {}", text(&scalar(x)))?,
                    x => {
                        writeln!(o, "{pad}- {key}:")?;
                        evidence_lines(x, depth + 1, o)?;
                    }
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if is_scalar(item) {
                    writeln!(o, "{pad}- {}", text(&scalar(item)))?;
                } else {
                    writeln!(o, "{pad}- {}.", i + 1)?;
                    evidence_lines(item, depth + 1, o)?;
                }
            }
        }
        x => writeln!(o, "{pad}- {}", text(&scalar(x)))?,
    }
    Ok(())
}

pub(super) fn pct(part: i128, whole: i128) -> String {
    if whole <= 0 {
        return "–".to_string();
    }
    format!("{:.1}%", part as f64 / whole as f64 * 100.0)
}

/// Text from the data made inert in Markdown: no HTML (`<script>`, `<img onerror>`, `<!--`),
/// no links or images (remote images are tracking pixels), and no line break that could start
/// a heading. Backticks stay: titles quote ids with them.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Inert text for a Markdown table cell (pipes escaped too).
pub(super) fn cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}

/// The AI inventory, first after the headline: what the company runs, before what to change.
fn inventory_section(r: &Report, o: &mut String) -> std::fmt::Result {
    if let Some(inv) = &r.inventory {
        writeln!(o, "## AI inventory\n")?;
        o.push_str(&super::inventory::markdown(inv, "###"));
        writeln!(
            o,
            "\nThe same inventory is in `inventory.md` and `inventory.json`.\n"
        )?;
    }
    Ok(())
}

impl Renderer for MarkdownRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        super::one("report.md", self.bytes(o.report)?)
    }
}

/// This month against the previous one in the history store.
fn month_over_month(r: &Report, o: &mut String) -> std::fmt::Result {
    writeln!(o, "## Month over month\n")?;
    let Some(h) = &r.history else {
        return writeln!(o, "No history kept for this run (`--no-history`).\n");
    };
    let Some(prev) = &h.previous_month else {
        let new = r.findings.len();
        return writeln!(
            o,
            "The history store holds no earlier month: nothing to compare with yet. All {new} findings are new. Quarter forecast: {} ({}).\n",
            money(r, h.quarter_forecast),
            h.quarter_forecast_basis
        );
    };
    let count = |s: &str| {
        r.findings
            .iter()
            .filter(|f| f.status.as_deref() == Some(s))
            .count()
    };
    writeln!(
        o,
        "AI spend {} against {} in {prev} ({}). Findings: {} new, {} still open, {} resolved. Quarter forecast: {} ({}).\n",
        money(r, h.spend),
        money(r, h.previous_spend.unwrap_or(0)),
        signed(r, h.spend - h.previous_spend.unwrap_or(0)),
        count("new"),
        count("open"),
        h.resolved.len(),
        money(r, h.quarter_forecast),
        h.quarter_forecast_basis
    )?;
    writeln!(o, "| provider | change |\n|---|---:|")?;
    for (p, d) in &h.spend_delta_by_provider {
        writeln!(o, "| {} | {} |", cell(p), signed(r, *d))?;
    }
    writeln!(o)?;
    if !h.resolved.is_empty() {
        writeln!(o, "Resolved since {prev}:\n")?;
        writeln!(
            o,
            "| finding | claimed/month | realised/month |\n|---|---:|---:|"
        )?;
        for f in &h.resolved {
            writeln!(
                o,
                "| {} | {} | {} |",
                cell(&f.title),
                money(r, f.monthly_savings_claimed),
                money(r, f.realised_monthly_savings)
            )?;
        }
        writeln!(o)?;
    }
    Ok(())
}

/// A change with its sign: `+$12.00`, `-$3.50`.
pub(super) fn signed(r: &Report, v: i128) -> String {
    if v > 0 {
        format!("+{}", money(r, v))
    } else {
        money(r, v)
    }
}

/// Links to the charts written beside the report (PNG inline, SVG linked).
fn charts_section(o: &mut String) -> std::fmt::Result {
    writeln!(o, "## Charts\n")?;
    for (stem, _) in crate::charts::CHARTS {
        writeln!(
            o,
            "![{}](charts/{stem}.png) ([SVG](charts/{stem}.svg))\n",
            crate::charts::chart_title(stem)
        )?;
    }
    Ok(())
}

/// The title, the partial-month warning and the savings headline by kind.
fn headline(r: &Report, o: &mut String) -> std::fmt::Result {
    let spend = r.total_spend();
    writeln!(
        o,
        "# AI spend audit: {} to {}",
        r.period.start, r.period.end
    )?;
    writeln!(o)?;
    if let Some(s) = r.redaction_statement() {
        writeln!(o, "> **{}**\n", text(&s))?;
    }
    if !r.period.complete {
        writeln!(
            o,
            "> **Partial month**: the billing data does not reach the month's last day.\n"
        )?;
    }
    writeln!(
        o,
        "**Savings found: {}/month ({}/year), {} of AI spend.** Findings that act on the same spend are combined sequentially, not added.",
        money(r, r.headline.monthly_savings),
        money(r, r.headline.annual_savings),
        pct(r.headline.monthly_savings, spend)
    )?;
    writeln!(o)?;
    for (kind, v) in &r.headline.by_kind {
        writeln!(o, "- `{kind}`: {}/month", money(r, *v))?;
    }
    writeln!(o)?;
    Ok(())
}

/// Spend: billed, estimated and out of scope; by provider, charge category, workload and
/// model; bills allocated by gateway traffic; provisioned capacity.
fn spend_section(r: &Report, o: &mut String) -> std::fmt::Result {
    writeln!(o, "## Spend\n")?;
    writeln!(
        o,
        "- Billed (from cost exports): **{}**",
        money(r, r.totals.billed_cost)
    )?;
    writeln!(
        o,
        "- Estimated (usage priced at list, providers with no cost export): **{}**",
        money(r, r.totals.estimated_cost)
    )?;
    writeln!(
        o,
        "- Out of scope (non-AI lines of cloud bills, left out of AI spend): {}",
        money(r, r.totals.out_of_scope_cost)
    )?;
    writeln!(o, "- Gateway and usage logs never add to billed spend.")?;
    match &r.overlay {
        Some(file) => writeln!(
            o,
            "- Contracted = list less the discounts in the customer overlay `{file}`."
        )?,
        None => writeln!(o, "- No customer overlay in the config: contracted = list.")?,
    }
    for fx in &r.fx_applied {
        writeln!(o, "- Converted with the overlay's FX table: {fx}.")?;
    }
    writeln!(o)?;
    writeln!(
        o,
        "| provider | list cost of priced usage | contracted | billed | overlay credits | estimated |"
    )?;
    writeln!(o, "|---|---:|---:|---:|---:|---:|")?;
    let mut providers: Vec<&String> = r
        .totals
        .by_provider
        .keys()
        .chain(r.totals.estimated_by_provider.keys())
        .chain(r.totals.list_cost_of_usage_by_provider.keys())
        .collect();
    providers.sort();
    providers.dedup();
    for p in providers {
        let get = |m: &std::collections::BTreeMap<String, i128>| {
            m.get(p).map(|v| money(r, *v)).unwrap_or_else(|| "–".into())
        };
        writeln!(
            o,
            "| {p} | {} | {} | {} | {} | {} |",
            get(&r.totals.list_cost_of_usage_by_provider),
            get(&r.totals.contracted_cost_of_usage_by_provider),
            get(&r.totals.by_provider),
            get(&r.totals.overlay_credits_by_provider),
            get(&r.totals.estimated_by_provider)
        )?;
    }
    writeln!(o)?;
    let cats = &r.totals.by_charge_category;
    let usage = cats.get("usage").map_or(0, |c| c.billed_cost);
    if cats.iter().all(|(k, c)| k == "usage" || c.lines == 0) {
        writeln!(
            o,
            "All billed money is usage: the bills hold no purchases, taxes, credits or adjustments.\n"
        )?;
    } else {
        writeln!(o, "### Billed money by charge category\n")?;
        writeln!(
            o,
            "Purchases (commitments, reservations, prepayments), taxes, credits and adjustments are billed money, kept apart from usage: only usage feeds the analyses. The amortised column is the sources' own effective cost, where they state one.\n"
        )?;
        writeln!(o, "| category | billed | amortised | lines |")?;
        writeln!(o, "|---|---:|---:|---:|")?;
        for (name, c) in cats.iter().filter(|(_, c)| c.lines > 0) {
            let amortised = match c.effective_cost {
                Some(v) if c.lines_with_effective_cost == c.lines => money(r, v),
                Some(v) => format!(
                    "{} ({} of {} lines)",
                    money(r, v),
                    c.lines_with_effective_cost,
                    c.lines
                ),
                None => "–".into(),
            };
            writeln!(
                o,
                "| {name} | {} | {amortised} | {} |",
                money(r, c.billed_cost),
                c.lines
            )?;
        }
        writeln!(o)?;
    }
    for (title, lines) in [
        ("workload", &r.spend_by_workload),
        ("model", &r.spend_by_model),
    ] {
        writeln!(o, "### Billed usage by {title}\n")?;
        writeln!(o, "| provider | {title} | billed | share |")?;
        writeln!(o, "|---|---|---:|---:|")?;
        let (shown, rest) = super::table_rows(lines);
        for l in shown {
            writeln!(
                o,
                "| {} | {} | {} | {} |",
                l.provider,
                cell(&l.name),
                money(r, l.billed_cost),
                pct(l.billed_cost, usage)
            )?;
        }
        if let Some((n, billed)) = rest {
            writeln!(
                o,
                "| | {n} more (every one in `findings.json`) | {} | {} |",
                money(r, billed),
                pct(billed, usage)
            )?;
        }
        writeln!(o)?;
    }

    if !r.gateway_allocation.is_empty() {
        writeln!(o, "### Bills allocated by gateway traffic\n")?;
        writeln!(
            o,
            "Each bill is split across workloads in proportion to the gateway's priced tokens; the share of traffic the gateway did not see stays unattributed.\n"
        )?;
        writeln!(
            o,
            "| provider | workload | gateway list cost | allocated bill |"
        )?;
        writeln!(o, "|---|---|---:|---:|")?;
        for g in &r.gateway_allocation {
            for w in &g.workloads {
                writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    g.provider,
                    cell(&w.workload),
                    money(r, w.gateway_list_cost),
                    money(r, w.allocated_cost)
                )?;
            }
            writeln!(
                o,
                "| {} | *unattributed* (gateway coverage {:.1}%{}) | – | {} |",
                g.provider,
                g.coverage * 100.0,
                if g.coverage_assumed {
                    ", assumed: no list cost for the whole bill"
                } else {
                    ""
                },
                money(r, g.unattributed)
            )?;
        }
        writeln!(o)?;
    }

    if !r.provisioned.is_empty() {
        writeln!(o, "### Provisioned capacity\n")?;
        writeln!(o, "| provider | resource | unit-hours | billed | tokens served (linked gateway traffic) | pay-as-you-go list cost of those tokens |")?;
        writeln!(o, "|---|---|---:|---:|---:|---:|")?;
        for c in &r.provisioned {
            let served = if c.linked {
                format!("{:.0}", c.served_tokens)
            } else {
                "no traffic linked".to_string()
            };
            writeln!(
                o,
                "| {} | `{}` | {:.1} | {} | {} | {} |",
                c.provider,
                cell(&c.resource),
                c.hours,
                money(r, c.billed_cost),
                served,
                money(r, c.payg_list_cost)
            )?;
        }
        writeln!(o)?;
    }

    Ok(())
}

/// The ranked findings table, then each finding with its action, owner, status and evidence.
fn findings_section(r: &Report, o: &mut String) -> std::fmt::Result {
    let spend = r.total_spend();

    writeln!(o, "## Findings\n")?;
    if r.findings.is_empty() {
        writeln!(o, "No finding passed the thresholds.\n")?;
    } else {
        writeln!(o, "| # | kind | finding | scope | current/month | savings/month | savings/year | share of spend | confidence |")?;
        writeln!(o, "|---:|---|---|---|---:|---:|---:|---:|---|")?;
        for (i, f) in r.findings.iter().enumerate() {
            writeln!(
                o,
                "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} |",
                i + 1,
                f.kind,
                cell(&f.title),
                cell(&f.scope),
                money(r, f.current_monthly_cost_nano as i128),
                money(r, f.monthly_savings_nano as i128),
                money(r, f.annual_savings_nano as i128),
                pct(f.monthly_savings_nano as i128, spend),
                f.confidence.as_str()
            )?;
        }
        writeln!(o)?;
        for (i, f) in r.findings.iter().enumerate() {
            writeln!(o, "### {}. {}\n", i + 1, text(&f.title))?;
            writeln!(
                o,
                "- id `{}`, provider `{}`, confidence **{}**",
                f.id,
                f.provider,
                f.confidence.as_str()
            )?;
            writeln!(o, "- action: {}", text(&f.action))?;
            if let Some(status) = &f.status {
                writeln!(o, "- status: {status}")?;
            }
            if let Some(owner) = &f.owner {
                writeln!(o, "- owner: {}", text(owner))?;
            }
            writeln!(o, "\nEvidence (the same data is in findings.json):\n")?;
            evidence_lines(&f.evidence, 0, o)?;
            writeln!(o)?;
        }
    }

    Ok(())
}

/// Usage the catalog could not price, and billed money with no model.
fn unpriced_section(r: &Report, o: &mut String) -> std::fmt::Result {
    writeln!(o, "## Unpriced usage\n")?;
    if r.unpriced.is_empty() {
        writeln!(o, "Every usage row was priced.\n")?;
    } else {
        writeln!(
            o,
            "These rows have no list price; they are never priced at $0.\n"
        )?;
        writeln!(o, "| provider | model | reason | rows | tokens | billed |")?;
        writeln!(o, "|---|---|---|---:|---:|---:|")?;
        for u in &r.unpriced {
            writeln!(
                o,
                "| {} | `{}` | {} | {} | {:.0} | {} |",
                u.provider,
                cell(&u.model),
                cell(&u.reason),
                u.rows,
                u.tokens,
                money(r, u.billed_cost)
            )?;
        }
        writeln!(o)?;
    }

    Ok(())
}

/// Every input file with its format, rows and status.
fn inputs_section(r: &Report, o: &mut String) -> std::fmt::Result {
    writeln!(o, "## Inputs\n")?;
    writeln!(
        o,
        "| file | format | rows | status | rejected rows | outside the period | not AI (rows, cost) | note |"
    )?;
    writeln!(o, "|---|---|---:|---|---:|---:|---:|---|")?;
    for i in &r.inputs {
        let status = i.status.as_str();
        writeln!(
            o,
            "| `{}` | {} | {} | {status} | {} | {} | {} | {} |",
            cell(&i.path),
            i.format.as_deref().unwrap_or("–"),
            i.rows,
            i.rejected_rows,
            i.out_of_period_rows,
            if i.out_of_scope_rows > 0 {
                format!(
                    "{}, {}",
                    i.out_of_scope_rows,
                    money(r, i.out_of_scope_cost_nano)
                )
            } else {
                "–".to_string()
            },
            cell(i.reason.as_deref().unwrap_or(""))
        )?;
    }
    writeln!(o)?;
    Ok(())
}

/// The first rejected rows (all of them are in `rejects.csv`).
fn rejected_section(r: &Report, o: &mut String) -> std::fmt::Result {
    writeln!(o, "## Rejected rows\n")?;
    if r.rejects.is_empty() {
        writeln!(o, "None.\n")?;
    } else {
        writeln!(
            o,
            "{} rows could not be read; all are in `rejects.csv`. The first ones:\n",
            r.rejects.len()
        )?;
        writeln!(o, "| file | line | column | reason |")?;
        writeln!(o, "|---|---:|---|---|")?;
        for j in r.rejects.iter().take(20) {
            writeln!(
                o,
                "| `{}` | {} | {} | {} |",
                cell(&j.file),
                j.line,
                j.column.as_deref().unwrap_or("–"),
                cell(&j.reason)
            )?;
        }
        writeln!(o)?;
    }
    Ok(())
}

/// Each analysis with its status, and the run footer.
fn analyses_section(r: &Report, o: &mut String) -> std::fmt::Result {
    writeln!(o, "## Analyses\n")?;
    for a in &r.analyses {
        writeln!(
            o,
            "- `{}`: {} ({} findings){}",
            a.id,
            a.status,
            a.findings,
            a.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )?;
    }
    writeln!(o)?;
    writeln!(
        o,
        "---\nspend-audit {}, pricing catalog {}, findings.json schema {}.",
        r.tool_version, r.catalog_release, r.schema_version
    )?;
    Ok(())
}

impl MarkdownRenderer {
    pub fn bytes(&self, r: &Report) -> Result<Vec<u8>> {
        // One function per section, in reading order.
        let mut o = String::new();
        headline(r, &mut o)?;
        inventory_section(r, &mut o)?;
        charts_section(&mut o)?;
        spend_section(r, &mut o)?;
        month_over_month(r, &mut o)?;
        findings_section(r, &mut o)?;
        unpriced_section(r, &mut o)?;
        inputs_section(r, &mut o)?;
        rejected_section(r, &mut o)?;
        analyses_section(r, &mut o)?;
        Ok(o.into_bytes())
    }
}
