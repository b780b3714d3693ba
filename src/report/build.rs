//! Building the report: the month's totals (billed, estimated, list and contracted cost of
//! usage), spend by workload and model, unpriced usage, and the gateway allocation of each
//! provider's bill, from the ledger's typed queries. Renderers then only format these figures.

use super::{
    AllocatedWorkload, AnalysisStatus, CategoryTotal, GatewayAllocation, Headline, Period, Report,
    SpendLine, Totals, Unpriced,
};
use crate::analysis::{self, AnalysisRun};
use crate::ingest::IngestOutcome;
use crate::ledger::query::ProviderRoleCost;
use crate::ledger::{ChargeCategory, Ledger, RecordRole, SpendBy};
use crate::pricing::overlay::Overlay;
use crate::settings::RunSettings;
use crate::util::Month;
use anyhow::{bail, Result};
use std::collections::{BTreeMap, BTreeSet};

/// What the report is built from besides the ledger.
pub struct ReportInputs<'a> {
    pub settings: &'a RunSettings,
    pub month: Month,
    /// Whether the month is complete in the billing data (else it is the month so far).
    pub complete: bool,
    pub findings: Vec<analysis::Finding>,
    pub analyses: Vec<AnalysisStatus>,
    pub outcome: IngestOutcome,
    pub provisioned: Vec<analysis::ProvisionedCapacity>,
}

/// Splits the analyses' runs into their findings, ranked, and one status per analysis (a
/// failed analysis is listed with its error; the others still report).
pub fn findings_and_statuses(
    runs: Vec<AnalysisRun>,
) -> (Vec<analysis::Finding>, Vec<AnalysisStatus>) {
    let mut findings = Vec::new();
    let mut statuses = Vec::new();
    for run in runs {
        match run.result {
            Ok(f) => {
                statuses.push(AnalysisStatus {
                    id: run.id.to_string(),
                    status: "ok".into(),
                    findings: f.len(),
                    message: None,
                });
                findings.extend(f);
            }
            Err(e) => statuses.push(AnalysisStatus {
                id: run.id.to_string(),
                status: "error".into(),
                findings: 0,
                message: Some(format!("{e:#}")),
            }),
        }
    }
    analysis::rank(&mut findings);
    (findings, statuses)
}

/// Builds the report's figures from the month's ledger, the ranked findings and the ingest
/// outcome.
pub fn build(run: ReportInputs<'_>, ledger: &Ledger) -> Result<Report> {
    let ReportInputs {
        settings,
        month,
        complete,
        findings,
        analyses,
        outcome,
        provisioned,
    } = run;
    let mut by_provider = BTreeMap::new();
    let mut billed_total: i128 = 0;
    let mut currencies = BTreeSet::new();
    for r in ledger.billed_by_provider_currency()? {
        *by_provider.entry(r.provider).or_insert(0) += r.billed_cost_nano as i128;
        billed_total += r.billed_cost_nano as i128;
        currencies.insert(r.currency);
    }
    if currencies.len() > 1 {
        bail!(
            "the cost exports mix currencies ({}); add an `[[fx]]` rate for each to the overlay named in the config (docs/config.md), or audit one billing currency at a time",
            currencies.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    // List cost of usage: from each provider's preferred quantity source (usage export, else gateway).
    let by_role = ledger.cost_by_provider_role()?;
    let with_usage: BTreeSet<&str> = by_role
        .iter()
        .filter(|r| r.role == RecordRole::Usage)
        .map(|r| r.provider.as_str())
        .collect();
    let mut list_by_provider = BTreeMap::new();
    let mut contracted_by_provider = BTreeMap::new();
    for r in &by_role {
        let preferred = if with_usage.contains(r.provider.as_str()) {
            RecordRole::Usage
        } else {
            RecordRole::Gateway
        };
        if r.role == preferred {
            *list_by_provider.entry(r.provider.clone()).or_insert(0i128) +=
                r.list_cost_nano as i128;
            *contracted_by_provider
                .entry(r.provider.clone())
                .or_insert(0i128) += r.contracted_cost_nano as i128;
        }
    }
    // A provider's usage is estimated when it has no bill of its own in the inputs (card
    // purchases from the vendor are not its bill).
    let own_bill = ledger.own_bills()?;
    let estimated_by_provider: BTreeMap<String, i128> = list_by_provider
        .iter()
        .filter(|(p, _)| !own_bill.contains_key(*p))
        .map(|(p, v)| (p.clone(), *v))
        .collect();
    let estimated_total: i128 = estimated_by_provider.values().sum();

    let spend_lines = |by: SpendBy| -> Result<Vec<SpendLine>> {
        let mut lines: Vec<SpendLine> = ledger
            .billed_by(by)?
            .into_iter()
            .map(|r| {
                let name = r.name.or_else(|| match by {
                    SpendBy::Model => r.model_raw.map(|m| format!("{m} (not in catalog)")),
                    SpendBy::Workload => None,
                });
                SpendLine {
                    provider: r.provider,
                    name: name.unwrap_or_else(|| "(none)".into()),
                    billed_cost: r.billed_cost_nano as i128,
                }
            })
            .fold(BTreeMap::<(String, String), i128>::new(), |mut acc, l| {
                *acc.entry((l.provider, l.name)).or_insert(0) += l.billed_cost;
                acc
            })
            .into_iter()
            .map(|((provider, name), billed_cost)| SpendLine {
                provider,
                name,
                billed_cost,
            })
            .collect();
        lines.sort_by(|a, b| {
            b.billed_cost
                .cmp(&a.billed_cost)
                .then_with(|| (&a.provider, &a.name).cmp(&(&b.provider, &b.name)))
        });
        Ok(lines)
    };
    let spend_by_workload = spend_lines(SpendBy::Workload)?;
    let spend_by_model = spend_lines(SpendBy::Model)?;

    let mut unpriced_map: BTreeMap<(String, String, String), Unpriced> = BTreeMap::new();
    for r in ledger
        .unpriced()?
        .into_iter()
        .chain(ledger.billed_without_model()?)
    {
        let e = unpriced_map
            .entry((
                r.provider.clone(),
                r.model_raw.clone().unwrap_or_default(),
                r.reason.clone(),
            ))
            .or_insert_with(|| Unpriced {
                provider: r.provider.clone(),
                model: r.model_raw.clone().unwrap_or_else(|| "(none)".into()),
                reason: r.reason.clone(),
                rows: 0,
                tokens: 0.0,
                billed_cost: 0,
            });
        e.rows += r.rows;
        if r.unit == "tokens" {
            e.tokens += r.quantity;
        }
        e.billed_cost += r.billed_cost_nano as i128;
    }

    let models = model_info(&settings.catalog, &spend_by_model);
    // A gateway splits the vendor's own bill; card purchases from the vendor are not part of it.
    let own_billed: BTreeMap<String, i128> = by_provider
        .keys()
        .map(|p| (p.clone(), own_bill.get(p).copied().unwrap_or(0)))
        .collect();
    let gateway_allocation = allocate_by_gateway(ledger, &own_billed, &with_usage, &by_role)?;
    let config_overlay = settings.config.overlay_terms.as_ref();
    let spend = billed_total + estimated_total;
    let headline: Headline = Report::headline_from(&findings, spend);
    Ok(Report {
        schema_version: super::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        catalog_release: settings.catalog.release.clone(),
        period: Period {
            start: month.first_day().to_string(),
            end: month.next().first_day().to_string(),
            complete,
        },
        currency: currencies
            .into_iter()
            .next()
            .unwrap_or_else(|| settings.catalog.currency.clone()),
        totals: Totals {
            billed_cost: billed_total,
            out_of_scope_cost: outcome
                .inputs
                .iter()
                .map(|i| i.out_of_scope_cost_nano)
                .sum(),
            estimated_cost: estimated_total,
            by_provider,
            estimated_by_provider,
            list_cost_of_usage_by_provider: list_by_provider,
            contracted_cost_of_usage_by_provider: contracted_by_provider,
            overlay_credits_by_provider: overlay_credits(config_overlay, month),
            by_charge_category: by_charge_category(ledger)?,
        },
        overlay: config_overlay.map(|o| o.file.clone()),
        fx_applied: outcome.fx_applied.clone(),
        headline,
        findings,
        unpriced: unpriced_map.into_values().collect(),
        rejected_rows: outcome.rejects.len(),
        inputs: outcome.inputs,
        spend_by_workload,
        spend_by_model,
        gateway_allocation,
        provisioned,
        analyses,
        history: None,
        redaction: outcome.redaction.clone(),
        rejects: outcome.rejects,
        models,
        inventory: None,
    })
}

/// Display name and tier of each catalog model the spend names: the model's first name with
/// a space (`Claude Sonnet 4.5`), else its id without the vendor.
fn model_info(
    catalog: &crate::pricing::Catalog,
    lines: &[super::SpendLine],
) -> BTreeMap<String, super::ModelInfo> {
    lines
        .iter()
        .filter_map(|l| {
            let m = catalog.model(&l.name)?;
            let display = m
                .names
                .iter()
                .map(|n| n.name())
                .find(|n| n.contains(' '))
                .map(str::to_string)
                .unwrap_or_else(|| m.id.rsplit('/').next().unwrap_or(&m.id).to_string());
            Some((
                l.name.clone(),
                super::ModelInfo {
                    display,
                    tier: m.tier.as_str().to_string(),
                },
            ))
        })
        .collect()
}

/// The billed money per charge category, every category listed (zero when absent).
fn by_charge_category(ledger: &Ledger) -> Result<BTreeMap<String, CategoryTotal>> {
    let mut out: BTreeMap<String, CategoryTotal> = ChargeCategory::ALL
        .into_iter()
        .map(|c| (c.as_str().to_string(), CategoryTotal::default()))
        .collect();
    for r in ledger.billed_by_category()? {
        let e = out.entry(r.category).or_default();
        e.billed_cost += r.billed_cost_nano as i128;
        e.lines += r.lines;
        if r.effective_lines > 0 {
            e.effective_cost = Some(e.effective_cost.unwrap_or(0) + r.effective_cost_nano as i128);
            e.lines_with_effective_cost += r.effective_lines;
        }
    }
    Ok(out)
}

/// Overlay credits dated in the audited month, by provider (shown beside the bill; the bill's
/// own credit lines are already in billed cost).
fn overlay_credits(overlay: Option<&Overlay>, month: Month) -> BTreeMap<String, i128> {
    let mut out = BTreeMap::new();
    for c in overlay.map(|o| o.credits.as_slice()).unwrap_or_default() {
        if month.first_day() <= c.date && c.date < month.next().first_day() {
            *out.entry(c.provider.clone()).or_insert(0) +=
                crate::money::decimal_to_nanos(c.amount).unwrap_or(0) as i128;
        }
    }
    out
}

/// Splits each provider's bill across the workloads its gateway traffic names (method on
/// [`GatewayAllocation`]). Providers without gateway rows are not listed.
fn allocate_by_gateway(
    ledger: &Ledger,
    billed_by_provider: &BTreeMap<String, i128>,
    with_usage: &BTreeSet<&str>,
    by_role: &[ProviderRoleCost],
) -> Result<Vec<GatewayAllocation>> {
    let mut per_provider: BTreeMap<String, Vec<(String, i128)>> = BTreeMap::new();
    for r in ledger.gateway_cost_by_workload()? {
        per_provider
            .entry(r.provider)
            .or_default()
            .push((r.workload.unwrap_or_default(), r.list_cost_nano as i128));
    }
    // The provider's whole list cost: its usage export, else the priced lines of its bill.
    let mut whole: BTreeMap<String, i128> = BTreeMap::new();
    for r in by_role {
        let preferred = if with_usage.contains(r.provider.as_str()) {
            RecordRole::Usage
        } else {
            RecordRole::Billed
        };
        if r.role == preferred {
            *whole.entry(r.provider.clone()).or_default() += r.list_cost_nano as i128;
        }
    }
    let mut out = Vec::new();
    for (provider, workloads) in per_provider {
        let Some(&billed) = billed_by_provider.get(&provider) else {
            continue;
        };
        let seen: i128 = workloads.iter().map(|(_, v)| v).sum();
        if seen <= 0 {
            continue;
        }
        let total = whole.get(&provider).copied().unwrap_or(0);
        let (coverage, assumed) = if total > 0 {
            ((seen as f64 / total as f64).min(1.0), false)
        } else {
            (1.0, true)
        };
        let attributed = (billed as f64 * coverage).round() as i128;
        let mut allocated: Vec<AllocatedWorkload> = workloads
            .iter()
            .map(|(w, v)| AllocatedWorkload {
                workload: w.clone(),
                gateway_list_cost: *v,
                allocated_cost: (attributed as f64 * *v as f64 / seen as f64).round() as i128,
            })
            .collect();
        allocated.sort_by(|a, b| {
            b.allocated_cost
                .cmp(&a.allocated_cost)
                .then_with(|| a.workload.cmp(&b.workload))
        });
        let given: i128 = allocated.iter().map(|a| a.allocated_cost).sum();
        out.push(GatewayAllocation {
            provider,
            billed_cost: billed,
            coverage: (coverage * 10_000.0).round() / 10_000.0,
            coverage_assumed: assumed,
            workloads: allocated,
            unattributed: billed - given,
        });
    }
    Ok(out)
}
