//! The `ingest` pipeline: walk → parse → attribute → price → ledger → analyses → report.
//!
//! Order matters only at two points: the month is chosen after everything is read (the default
//! is the latest complete month in the billing data), and the analyses start after the ledger
//! is collected, so polars and rayon never run at the same time.

use crate::analysis::{self, AnalysisCtx};
use crate::charts;
use crate::ingest::{self, InputStatus};
use crate::ledger::query::ProviderRoleCost;
use crate::ledger::{LedgerBuilder, RecordRole, SpendBy};
use crate::pricing::Catalog;
use crate::pricing::Pricer;
use crate::report::{
    self, AllocatedWorkload, AnalysisStatus, GatewayAllocation, Headline, Period, Report,
    SpendLine, Totals, Unpriced,
};
use crate::settings::{Config, RunSettings};
use crate::util::Month;
use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a run produced, for the summary and the exit code.
pub struct AuditOutcome {
    pub report: Report,
    pub files_written: Vec<String>,
}

impl AuditOutcome {
    /// Whether `--strict` should fail this run: anything skipped, rejected or unreadable.
    pub fn has_bad_input(&self) -> bool {
        !self.report.rejects.is_empty()
            || self
                .report
                .inputs
                .iter()
                .any(|i| matches!(i.status, InputStatus::Skipped | InputStatus::Rejected))
    }
}

/// Reads, attributes and prices every file into ledger column builders: the ingest stage on its
/// own (the benchmark measures exactly this).
pub fn ingest_and_price(
    root: &Path,
    files: &[PathBuf],
    catalog: &Catalog,
    config: &Config,
    on_file: &mut dyn FnMut(&str),
) -> (LedgerBuilder, ingest::IngestOutcome) {
    let mut builder = LedgerBuilder::new(1024);
    let mut pricer = Pricer::new(catalog);
    let mut fx_used: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut overlaps = OverlapGuard::default();
    let mut sink = |mut row: crate::ledger::LedgerRow| {
        if overlaps.is_repeat(&row) {
            return;
        }
        // Gateway endpoints the names cannot link are linked through the config.
        if let Some(target) = row
            .resource
            .as_deref()
            .and_then(|r| config.provisioned_links.get(r))
        {
            row.resource = Some(target.to_ascii_lowercase());
        }
        // A parser may have read a workload from tags or labels; the config mapping wins.
        let hint = row.workload.take();
        row.workload = config.workload_for(
            row.provider,
            row.sub_account.as_deref(),
            row.api_key.as_deref(),
            hint,
        );
        // A line read back from an earlier ledger keeps the prices it was written with.
        if !row.priced {
            if row.charge_kind == crate::ledger::ChargeKind::Seat {
                price_seat(&mut row, config, catalog);
            } else {
                pricer.price(&mut row);
            }
            apply_overlay(&mut row, config, &catalog.currency, &mut fx_used);
        }
        builder.push(&row);
    };
    let mut outcome = ingest::ingest_dir(root, files, &mut sink, on_file);
    for input in &mut outcome.inputs {
        if let Some((rows, first)) = overlaps.dropped.get(&input.path) {
            input.overlapping_rows = *rows;
            let note =
                format!("{rows} billed rows repeat charges already in `{first}`; counted once");
            input.reason = Some(match input.reason.take() {
                Some(r) => format!("{r}; {note}"),
                None => note,
            });
        }
    }
    outcome.fx_applied = fx_used
        .into_iter()
        .map(|((currency, rate), rows)| format!("{currency} at {rate} USD: {rows} rows"))
        .collect();
    (builder, outcome)
}

/// The same charge exported twice in different files (a cost CSV and an API dump of the same
/// days, or two downloads with overlapping date ranges) is counted once. A billed row repeats
/// another when provider, project, period, model, charge kind, tier, resource, currency and
/// amount are all equal; repeats inside one file are real and kept, and a later file's copies
/// are dropped only up to the number the first file had.
#[derive(Default)]
struct OverlapGuard {
    /// Charge key → (first file, rows of it in that file).
    first: std::collections::HashMap<String, (String, u64)>,
    /// (charge key, later file) → rows of it seen there so far.
    later: std::collections::HashMap<(String, String), u64>,
    /// Later file → (rows dropped, the first file they repeat).
    dropped: BTreeMap<String, (u64, String)>,
}

impl OverlapGuard {
    fn is_repeat(&mut self, row: &crate::ledger::LedgerRow) -> bool {
        if row.role != RecordRole::Billed || row.billed_cost_nano.is_none() {
            return false;
        }
        let key = format!(
            "{}\u{1f}{:?}\u{1f}{}\u{1f}{}\u{1f}{:?}\u{1f}{}\u{1f}{}\u{1f}{:?}\u{1f}{:?}\u{1f}{}\u{1f}{:?}\u{1f}{:?}",
            row.provider,
            row.sub_account,
            row.period_start_ms,
            row.period_end_ms,
            row.model_raw,
            row.charge_kind.as_str(),
            row.service_tier.as_str(),
            row.cache_ttl,
            row.resource,
            row.currency.to_ascii_uppercase(),
            row.billed_cost_nano,
            row.region,
        );
        match self.first.get_mut(&key) {
            None => {
                self.first.insert(key, (row.source_file.clone(), 1));
                false
            }
            Some((file, n)) if *file == row.source_file => {
                *n += 1;
                false
            }
            Some((file, n)) => {
                let seen = self
                    .later
                    .entry((key, row.source_file.clone()))
                    .or_insert(0);
                *seen += 1;
                if *seen > *n {
                    return false;
                }
                let e = self
                    .dropped
                    .entry(row.source_file.clone())
                    .or_insert((0, file.clone()));
                e.0 += 1;
                true
            }
        }
    }
}

/// Overlay credits dated in the audited month, by provider (shown beside the bill; the bill's
/// own credit lines are already in billed cost).
fn overlay_credits(
    overlay: Option<&crate::pricing::overlay::Overlay>,
    month: Month,
) -> BTreeMap<String, i128> {
    let mut out = BTreeMap::new();
    for c in overlay.map(|o| o.credits.as_slice()).unwrap_or_default() {
        if month.first_day() <= c.date && c.date < month.next().first_day() {
            *out.entry(c.provider.clone()).or_insert(0) +=
                crate::money::decimal_to_nanos(c.amount).unwrap_or(0) as i128;
        }
    }
    out
}

/// The SKU id inside a `price_ref` (`release/model@platform:region/period[/long-context]`).
fn sku_of_price_ref(price_ref: &str) -> Option<&str> {
    let rest = price_ref.split_once('/')?.1;
    let rest = rest.strip_suffix("/long-context").unwrap_or(rest);
    let (sku, _period) = rest.rsplit_once('/')?;
    sku.contains('@').then_some(sku)
}

/// Converts a non-USD line's money with the overlay's FX rate in force on its day, and sets
/// its contracted cost: list less the overlay's most specific discount (list without one).
fn apply_overlay(
    row: &mut crate::ledger::LedgerRow,
    config: &Config,
    currency: &str,
    fx_used: &mut BTreeMap<(String, String), u64>,
) {
    let Some(overlay) = &config.overlay_terms else {
        row.contracted_cost_nano = row.list_cost_nano;
        return;
    };
    let day = crate::util::day_of(row.period_start_ms);
    if !row.currency.eq_ignore_ascii_case(currency) {
        if let Some(rate) = day.and_then(|d| overlay.usd_per_unit(&row.currency, d)) {
            let convert = |v: &mut Option<i64>| {
                if let Some(n) = v {
                    *n = crate::money::decimal_to_nanos(
                        rust_decimal::Decimal::from(*n) * rate
                            / rust_decimal::Decimal::from(1_000_000_000),
                    )
                    .unwrap_or(*n);
                }
            };
            convert(&mut row.billed_cost_nano);
            convert(&mut row.source_reported_cost_nano);
            convert(&mut row.effective_cost_nano);
            *fx_used
                .entry((
                    row.currency.to_ascii_uppercase(),
                    rate.normalize().to_string(),
                ))
                .or_default() += 1;
            row.currency = currency.to_string();
        }
    }
    row.contracted_cost_nano = match (row.list_cost_nano, day) {
        (Some(list), Some(day)) => {
            let sku = row.price_ref.as_deref().and_then(sku_of_price_ref);
            match overlay.discount_for(row.provider, row.model_id.as_deref(), sku, day) {
                Some((pct, _)) => Some(crate::pricing::overlay::contracted_nanos(list, pct)),
                None => Some(list),
            }
        }
        (list, _) => list,
    };
}

/// Prices a seat line: the config's `[seats]` price (the contract) wins, else the catalog's
/// month-to-month list price for the plan; a plan with neither stays unpriced.
fn price_seat(row: &mut crate::ledger::LedgerRow, config: &Config, catalog: &Catalog) {
    let plan = row.model_raw.clone().unwrap_or_default();
    let contract = config
        .seat_prices
        .get(&plan)
        .map(|price| (*price, format!("config/seats/{plan}")));
    let listed = || {
        let day = crate::util::day_of(row.period_start_ms)?;
        let p = catalog.seat_plan(&plan)?.price_on(day)?;
        let nanos = crate::money::decimal_to_nanos(p.monthly?).unwrap_or(i64::MAX);
        Some((nanos, format!("{}/seat/{plan}/{}", catalog.release, p.id)))
    };
    match contract.or_else(listed) {
        Some((price, price_ref)) => {
            row.list_cost_nano = Some((price as f64 * row.quantity).round() as i64);
            row.price_ref = Some(price_ref);
        }
        None => {
            row.unpriced_reason = Some(format!(
                "no seat price for plan `{plan}`; add `{plan} = \"<price per seat-month>\"` under `[seats]` in the config"
            ))
        }
    }
}

pub fn run(settings: &RunSettings) -> Result<AuditOutcome> {
    let input = &settings.input;
    if !input.is_dir() {
        bail!(
            "input `{}` is not a folder; pass the folder that holds the month's exports",
            input.display()
        );
    }
    let input_abs = input
        .canonicalize()
        .with_context(|| format!("could not resolve `{}`", input.display()))?;
    std::fs::create_dir_all(&settings.out).with_context(|| {
        format!(
            "could not create output folder `{}`",
            settings.out.display()
        )
    })?;
    let out_abs = settings.out.canonicalize()?;
    if out_abs == input_abs || out_abs.starts_with(&input_abs) {
        bail!(
            "output folder `{}` is inside the input folder `{}`; pass `--out` with a folder outside it so the next run does not read its own output",
            settings.out.display(),
            input.display()
        );
    }
    let files = ingest::walk(&input_abs, Some(&out_abs))?;

    let progress = crate::progress::Progress::files(settings.progress, files.len());
    let mut on_file = |name: &str| progress.file(name);
    let (builder, mut outcome) = ingest_and_price(
        &input_abs,
        &files,
        &settings.catalog,
        &settings.config,
        &mut on_file,
    );
    progress.stage("building the ledger");

    let month = match settings.month {
        Some(m) => (m, true),
        None => {
            let days = if builder.billed_days.is_empty() {
                &builder.any_days
            } else {
                &builder.billed_days
            };
            Month::latest_complete(days.iter().copied())
                .unwrap_or((Month::of_day(chrono::Utc::now().date_naive()).prev(), false))
        }
    };
    let (month, complete) = month;
    let full = builder.finish()?;
    let (ledger, outside) = full.restrict_period(month.start_ms(), month.end_ms())?;
    let outside: BTreeMap<String, u64> = outside.into_iter().collect();
    for i in &mut outcome.inputs {
        i.out_of_period_rows = outside.get(&i.path).copied().unwrap_or(0);
    }

    let ctx = AnalysisCtx::build(
        &settings.config.analysis,
        &settings.catalog,
        month,
        &ledger,
        settings.config.overlay_terms.as_ref(),
    )?;
    progress.stage("running the analyses");
    let runs = analysis::run_all(&ctx);
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
    // Owners: one named owner per workload; a finding over several workloads lists them all.
    for f in &mut findings {
        let owners: Vec<&str> = analysis::workloads_of(f)
            .into_iter()
            .filter_map(|w| settings.config.owners.get(w).map(String::as_str))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !owners.is_empty() {
            f.owner = Some(owners.join(", "));
        }
    }

    progress.stage("writing the reports");
    let provisioned = ctx.provisioned.clone();
    let report = build_report(
        settings,
        month,
        complete,
        &ledger,
        findings,
        statuses,
        outcome,
        provisioned,
    )?;
    let mut files_written = Vec::new();
    for r in report::renderers() {
        let path = settings.out.join(r.file_name());
        std::fs::write(&path, r.render(&report)?)
            .with_context(|| format!("could not write `{}`", path.display()))?;
        files_written.push(r.file_name().to_string());
    }
    let focus_path = settings.out.join("focus.csv");
    std::fs::write(&focus_path, report::focus::render(&report, &ledger)?)
        .with_context(|| format!("could not write `{}`", focus_path.display()))?;
    files_written.push("focus.csv".into());
    ledger.write_parquet(&settings.out.join("ledger.parquet"))?;
    files_written.push("ledger.parquet".into());
    progress.stage("drawing the charts");
    for f in charts::write_all(&report, &settings.out.join("charts"))? {
        files_written.push(format!("charts/{f}"));
    }
    drop(progress);
    Ok(AuditOutcome {
        report,
        files_written,
    })
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    settings: &RunSettings,
    month: Month,
    complete: bool,
    ledger: &crate::ledger::Ledger,
    findings: Vec<analysis::Finding>,
    analyses: Vec<AnalysisStatus>,
    outcome: ingest::IngestOutcome,
    provisioned: Vec<analysis::ProvisionedCapacity>,
) -> Result<Report> {
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
    let estimated_by_provider: BTreeMap<String, i128> = list_by_provider
        .iter()
        .filter(|(p, _)| !by_provider.contains_key(*p))
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
    for r in ledger.unpriced()? {
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

    let gateway_allocation = allocate_by_gateway(ledger, &by_provider, &with_usage, &by_role)?;
    let config_overlay = settings.config.overlay_terms.as_ref();
    let spend = billed_total + estimated_total;
    let headline: Headline = Report::headline_from(&findings, spend);
    Ok(Report {
        schema_version: report::SCHEMA_VERSION,
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
        rejects: outcome.rejects,
    })
}

/// Splits each provider's bill across the workloads its gateway traffic names (method on
/// [`GatewayAllocation`]). Providers without gateway rows are not listed.
fn allocate_by_gateway(
    ledger: &crate::ledger::Ledger,
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
