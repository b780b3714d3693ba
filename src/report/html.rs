//! `report.html`: the report as one self-contained page for the board pack. Charts are inlined
//! as SVG, styles are inline, and there is no script, font, image or link that a browser would
//! fetch: the page makes no request of any kind and prints to PDF as it is. Every text from the
//! data is escaped.

use super::markdown::{money, pct, scalar, signed};
use super::{OutputFile, Outputs, Renderer, Report};
use crate::analysis::Confidence;
use crate::util::xml_escape as esc;
use anyhow::Result;
use std::fmt::Write;

pub struct HtmlRenderer;

/// The AI inventory's vendors, seat products and shadow purchases (the full inventory is in
/// `inventory.md` and `inventory.json`).
fn inventory(r: &Report, o: &mut String) -> std::fmt::Result {
    let Some(inv) = &r.inventory else {
        return Ok(());
    };
    o.push_str("<h2>AI inventory</h2>\n<table><tr><th>vendor</th><th>product</th><th>kind</th><th class=\"n\">billed</th><th class=\"n\">estimated</th><th>data from</th></tr>\n");
    for v in &inv.vendors {
        for p in &v.products {
            writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&v.vendor),
                esc(&p.product),
                p.kind.label(),
                esc(&money(r, p.billed_cost)),
                esc(&money(r, p.estimated_cost)),
                esc(&p.data_from.join(", "))
            )?;
        }
    }
    o.push_str("</table>\n");
    if !inv.seat_products.is_empty() {
        o.push_str("<h3>Seat products</h3>\n<table><tr><th>provider</th><th>plan</th><th class=\"n\">seats</th><th class=\"n\">active</th><th class=\"n\">idle</th></tr>\n");
        for p in &inv.seat_products {
            writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&p.provider),
                esc(&p.plan),
                p.seats,
                p.active,
                p.idle
            )?;
        }
        o.push_str("</table>\n");
    }
    if !inv.shadow.is_empty() {
        o.push_str("<h3>Shadow AI (cards and expense reports)</h3>\n<table><tr><th>provider</th><th>product</th><th class=\"n\">people</th><th class=\"n\">monthly spend</th></tr>\n");
        for p in &inv.shadow {
            writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&p.provider),
                esc(&p.product),
                p.people,
                esc(&money(r, p.monthly_spend))
            )?;
        }
        o.push_str("</table>\n");
    }
    o.push_str("<p class=\"muted\">Workloads, gateways, provisioned capacity and each line's source are in <code>inventory.md</code> and <code>inventory.json</code>.</p>\n");
    Ok(())
}

/// Escaped text with `code` spans (the findings' titles and actions quote ids that way).
fn text(s: &str) -> String {
    let escaped = esc(s);
    let mut out = String::with_capacity(escaped.len());
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    // An odd number of backticks: the last one was not a pair; keep the text as written.
    if escaped.matches('`').count() % 2 == 1 {
        return escaped;
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;max-width:1100px;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1.2rem}th,td{border-bottom:1px solid #e5e5e5;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}.muted{color:#666}.kpi{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.kpi div{border:1px solid #ddd;border-radius:6px;padding:.7rem 1rem;min-width:12rem}.kpi b{display:block;font-size:1.5rem}
figure{margin:1rem 0;break-inside:avoid}figure svg{width:100%;height:auto;border:1px solid #eee}
details summary{cursor:pointer}pre{white-space:pre-wrap;font-size:.85rem;background:#f7f7f7;padding:.6rem}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}figure,table{break-inside:avoid}details{display:block}}";

/// Evidence as nested lists: keys of an object label their items.
fn evidence(v: &serde_json::Value, o: &mut String) -> std::fmt::Result {
    let items: Vec<(Option<&String>, &serde_json::Value)> = match v {
        serde_json::Value::Object(map) => map.iter().map(|(k, x)| (Some(k), x)).collect(),
        serde_json::Value::Array(xs) => xs.iter().map(|x| (None, x)).collect(),
        x => {
            o.push_str(&esc(&scalar(x)));
            return Ok(());
        }
    };
    o.push_str("<ul>");
    for (key, x) in items {
        o.push_str("<li>");
        if let Some(k) = key {
            write!(o, "{}: ", esc(&k.replace('_', " ")))?;
        }
        evidence(x, o)?;
        o.push_str("</li>");
    }
    o.push_str("</ul>");
    Ok(())
}

/// An inline chart: the SVG without its namespace declaration (HTML needs none), scaled to
/// the page.
fn inline_svg(svg: &str) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(
            "<svg width=\"1920\" height=\"1080\"",
            "<svg role=\"img\"",
            1,
        )
}

impl Renderer for HtmlRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        super::one("report.html", self.bytes(o.report)?)
    }
}

impl HtmlRenderer {
    pub fn bytes(&self, r: &Report) -> Result<Vec<u8>> {
        let mut o = String::new();
        let spend = r.total_spend();
        let title = format!("AI spend audit: {} to {}", r.period.start, r.period.end);
        write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
             <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
            esc(&title),
            esc(&title)
        )?;
        if let Some(s) = r.redaction_statement() {
            writeln!(o, "<p><b>{}</b></p>", esc(&s))?;
        }
        if !r.period.complete {
            o.push_str("<p><b>Partial month:</b> the billing data does not reach the month's last day.</p>\n");
        }

        // Executive summary.
        o.push_str("<h2>Executive summary</h2>\n<div class=\"kpi\">");
        write!(
            o,
            "<div>AI spend<b>{}</b><span class=\"muted\">billed {} · estimated {}</span></div>",
            esc(&money(r, spend)),
            esc(&money(r, r.totals.billed_cost)),
            esc(&money(r, r.totals.estimated_cost))
        )?;
        write!(
            o,
            "<div>Savings found<b>{}/month</b><span class=\"muted\">{} of spend · {}/year</span></div>",
            esc(&money(r, r.headline.monthly_savings)),
            esc(&pct(r.headline.monthly_savings, spend)),
            esc(&money(r, r.headline.annual_savings))
        )?;
        o.push_str("</div>\n");
        // Savings by confidence, each combined as the headline is.
        o.push_str("<table><tr><th>confidence</th><th class=\"n\">savings/month</th><th class=\"n\">share of spend</th><th class=\"n\">findings</th></tr>");
        for c in [Confidence::High, Confidence::Medium, Confidence::Low] {
            let of: Vec<crate::analysis::Finding> = r
                .findings
                .iter()
                .filter(|f| f.confidence == c)
                .cloned()
                .collect();
            let v = crate::analysis::combined_savings(&of) as i128;
            write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                c.as_str(),
                esc(&money(r, v)),
                esc(&pct(v, spend)),
                of.len()
            )?;
        }
        o.push_str("</table>\n<p class=\"muted\">Findings that act on the same spend are combined sequentially, never added; so are the rows above.</p>\n");
        o.push_str("<h3>Top actions</h3>\n<ol>");
        for f in r
            .findings
            .iter()
            .filter(|f| f.monthly_savings_nano > 0)
            .take(5)
        {
            write!(
                o,
                "<li><b>{}/month</b> ({} confidence): {}{}</li>",
                esc(&money(r, f.monthly_savings_nano as i128)),
                f.confidence.as_str(),
                text(&f.action),
                f.owner
                    .as_deref()
                    .map(|w| format!(" <span class=\"muted\">owner: {}</span>", esc(w)))
                    .unwrap_or_default()
            )?;
        }
        o.push_str("</ol>\n");

        inventory(r, &mut o)?;

        // Charts.
        o.push_str("<h2>Charts</h2>\n");
        for (stem, canvas) in crate::charts::charts_for(r) {
            writeln!(o, "<figure>{}</figure>", inline_svg(&canvas.svg(stem)?))?;
        }

        // Findings with their evidence.
        o.push_str("<h2>Findings</h2>\n<table><tr><th>#</th><th>finding</th><th class=\"n\">savings/month</th><th>confidence</th></tr>\n");
        for (i, f) in r.findings.iter().enumerate() {
            write!(
                o,
                "<tr><td>{}</td><td>{}<details><summary>action and evidence</summary><p>{}</p>",
                i + 1,
                text(&f.title),
                text(&f.action)
            )?;
            evidence(&f.evidence, &mut o)?;
            writeln!(
                o,
                "</details></td><td class=\"n\">{}</td><td>{}{}</td></tr>",
                esc(&money(r, f.monthly_savings_nano as i128)),
                f.confidence.as_str(),
                f.status
                    .as_deref()
                    .map(|s| format!(" · {s}"))
                    .unwrap_or_default()
            )?;
        }
        o.push_str("</table>\n");

        // Spend breakdowns.
        o.push_str("<h2>Spend</h2>\n<table><tr><th>provider</th><th class=\"n\">billed</th><th class=\"n\">estimated</th><th class=\"n\">list cost of usage</th></tr>");
        for p in r.totals.providers() {
            let get = |m: &std::collections::BTreeMap<String, i128>| {
                m.get(p).map(|v| money(r, *v)).unwrap_or_else(|| "–".into())
            };
            write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&crate::charts::provider_name(p)),
                esc(&get(&r.totals.by_provider)),
                esc(&get(&r.totals.estimated_by_provider)),
                esc(&get(&r.totals.list_cost_of_usage_by_provider))
            )?;
        }
        o.push_str("</table>\n");
        for (name, lines) in [
            ("workload", &r.spend_by_workload),
            ("model", &r.spend_by_model),
        ] {
            write!(o, "<h3>Billed usage by {name}</h3>\n<table><tr><th>provider</th><th>{name}</th><th class=\"n\">billed</th></tr>")?;
            let (shown, rest) = super::table_rows(lines);
            for l in shown {
                write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    esc(&crate::charts::provider_name(&l.provider)),
                    esc(&l.name),
                    esc(&money(r, l.billed_cost))
                )?;
            }
            if let Some((n, billed)) = rest {
                write!(
                    o,
                    "<tr><td></td><td>{n} more (every one in <code>findings.json</code>)</td><td class=\"n\">{}</td></tr>",
                    esc(&money(r, billed))
                )?;
            }
            o.push_str("</table>\n");
        }

        o.push_str("<h2>Month over month</h2>\n");
        match &r.history {
            None => o.push_str("<p class=\"muted\">No history kept for this run (<code>--no-history</code>).</p>\n"),
            Some(h) if h.previous_month.is_none() => writeln!(
                o,
                "<p class=\"muted\">The history store holds no earlier month: nothing to compare with yet. Quarter forecast {} ({}).</p>",
                esc(&money(r, h.quarter_forecast)),
                esc(&h.quarter_forecast_basis)
            )?,
            Some(h) => {
                write!(
                    o,
                    "<p>AI spend {} against {} in {} ({}). Quarter forecast {} <span class=\"muted\">({})</span>.</p>\n<table><tr><th>provider</th><th class=\"n\">change</th></tr>",
                    esc(&money(r, h.spend)),
                    esc(&money(r, h.previous_spend.unwrap_or(0))),
                    esc(h.previous_month.as_deref().unwrap_or("")),
                    esc(&signed(r, h.spend - h.previous_spend.unwrap_or(0))),
                    esc(&money(r, h.quarter_forecast)),
                    esc(&h.quarter_forecast_basis)
                )?;
                for (p, d) in &h.spend_delta_by_provider {
                    write!(
                        o,
                        "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                        esc(&crate::charts::provider_name(p)),
                        esc(&signed(r, *d))
                    )?;
                }
                o.push_str("</table>\n<table><tr><th>resolved finding</th><th class=\"n\">claimed/month</th><th class=\"n\">realised/month</th></tr>");
                for f in &h.resolved {
                    write!(
                        o,
                        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        text(&f.title),
                        esc(&money(r, f.monthly_savings_claimed)),
                        esc(&money(r, f.realised_monthly_savings))
                    )?;
                }
                o.push_str("</table>\n");
            }
        }

        // Inputs.
        o.push_str("<h2>Inputs</h2>\n<table><tr><th>file</th><th>format</th><th class=\"n\">rows</th><th>status</th><th class=\"n\">rejected rows</th><th>note</th></tr>\n");
        for i in &r.inputs {
            let status = i.status.as_str();
            writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{status}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&i.path),
                esc(i.format.as_deref().unwrap_or("–")),
                i.rows,
                i.rejected_rows,
                esc(i.reason.as_deref().unwrap_or(""))
            )?;
        }
        write!(
            o,
            "</table>\n<p class=\"muted\">{} rows could not be read; each is in <code>rejects.csv</code> with its file, line and reason. Catalog release {}, spend-audit {}.</p>\n</body></html>\n",
            r.rejected_rows,
            esc(&r.catalog_release),
            esc(&r.tool_version)
        )?;
        Ok(o.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_text_is_escaped() {
        assert_eq!(
            esc("<img src=x onerror=alert(1)> & \"q\""),
            "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(text("use `a<b` now"), "use <code>a&lt;b</code> now");
        assert_eq!(text("one ` tick"), "one ` tick");
    }
}
