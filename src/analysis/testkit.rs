//! Test helpers: build a priced ledger for October 2026 from a few hand-written rows and run one
//! analysis on it, so each analysis's unit tests plant exactly the case they check.

use super::{Analysis, AnalysisCtx, Finding};
use crate::ledger::{ChargeKind, LedgerBuilder, LedgerRow, RecordRole, ServiceTier};
use crate::pricing::{Catalog, Pricer};
use crate::settings::AnalysisSettings;
use crate::util::Month;

/// Midnight UTC of an October 2026 day.
pub fn oct(day: u32) -> i64 {
    crate::util::day_start_ms(chrono::NaiveDate::from_ymd_opt(2026, 10, day).unwrap())
}

/// A usage-export row: `qty` units of `kind` of `model` for `workload` on October `day`.
pub fn usage(
    provider: &'static str,
    workload: &str,
    model: &str,
    kind: ChargeKind,
    qty: f64,
    day: u32,
) -> LedgerRow {
    let mut r = LedgerRow::new(
        provider,
        RecordRole::Usage,
        kind,
        oct(day),
        oct(day) + 86_400_000,
        "usage.csv",
        2,
    );
    r.workload = Some(workload.to_string());
    r.model_raw = Some(model.to_string());
    r.quantity = qty;
    r.unit = if kind == ChargeKind::Request {
        "requests"
    } else {
        "tokens"
    };
    r
}

/// One month of a workload's usage spread evenly over October (31 daily rows per part):
/// `(input, cached, output, requests)` are monthly totals.
pub fn month_of_usage(
    provider: &'static str,
    workload: &str,
    model: &str,
    tier: ServiceTier,
    (input, cached, output, requests): (f64, f64, f64, Option<f64>),
) -> Vec<LedgerRow> {
    let mut rows = Vec::new();
    for day in 1..=31 {
        for (kind, qty) in [
            (ChargeKind::Input, input),
            (ChargeKind::CachedInput, cached),
            (ChargeKind::Output, output),
            (ChargeKind::Request, requests.unwrap_or(0.0)),
        ] {
            if qty > 0.0 {
                let mut r = usage(provider, workload, model, kind, qty / 31.0, day);
                r.service_tier = tier;
                rows.push(r);
            }
        }
    }
    rows
}

/// A cost-export line: `usd` billed for `model` on October `day`.
pub fn billed(
    provider: &'static str,
    account: &str,
    model: &str,
    usd: &str,
    day: u32,
) -> LedgerRow {
    let mut r = LedgerRow::new(
        provider,
        RecordRole::Billed,
        ChargeKind::Output,
        oct(day),
        oct(day) + 86_400_000,
        "cost.csv",
        2,
    );
    r.billing_account = Some(account.to_string());
    r.model_raw = Some(model.to_string());
    r.billed_cost_nano = crate::money::parse_nanos(usd);
    r.unit = "none";
    r
}

/// Prices `rows`, builds the ledger once and runs `analyses` on it over October 2026.
fn run_on(
    analyses: &[&dyn Analysis],
    rows: Vec<LedgerRow>,
    settings: &AnalysisSettings,
) -> Vec<Finding> {
    let catalog = Catalog::embedded().unwrap();
    let mut pricer = Pricer::new(&catalog);
    let mut b = LedgerBuilder::new(rows.len());
    for mut r in rows {
        if r.charge_kind != ChargeKind::Seat {
            pricer.price(&mut r);
        }
        r.contracted_cost_nano = r.list_cost_nano;
        b.push(&r);
    }
    let ledger = b.finish().unwrap();
    let month = Month::parse("2026-10").unwrap();
    let ctx = AnalysisCtx::build(settings, &catalog, month, &ledger, None).unwrap();
    analyses.iter().flat_map(|a| a.run(&ctx).unwrap()).collect()
}

/// Prices `rows`, builds the ledger and runs `analysis` over October 2026.
pub fn run(
    analysis: &dyn Analysis,
    rows: Vec<LedgerRow>,
    settings: &AnalysisSettings,
) -> Vec<Finding> {
    run_on(&[analysis], rows, settings)
}

/// Prices `rows`, builds the ledger and runs every registered analysis over October 2026.
pub fn run_all(rows: Vec<LedgerRow>, settings: &AnalysisSettings) -> Vec<Finding> {
    let registry = super::registry();
    let all: Vec<&dyn Analysis> = registry.iter().map(|a| a.as_ref()).collect();
    run_on(&all, rows, settings)
}

/// Settings with no minimum saving, so small planted cases are reported.
pub fn settings() -> AnalysisSettings {
    AnalysisSettings {
        min_monthly_savings: 0.0,
        ..AnalysisSettings::default()
    }
}

/// Dollars of a nano amount, rounded to cents.
pub fn usd(nanos: i64) -> f64 {
    (nanos as f64 / 1e7).round() / 100.0
}
