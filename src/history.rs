//! Monthly history: each audited month's aggregates, findings and run manifest, kept as
//! Parquet in one partition per month (`<store>/month=YYYY-MM/`), so a monthly run can say
//! what changed, which findings are new and which were acted on.
//!
//! - **Store.** `--history DIR`; by default `spend-audit-history` beside the output folder.
//!   `--no-history` (or `SPEND_AUDIT_NO_HISTORY=1`) leaves it alone.
//! - **Re-runs.** Writing a month replaces its partition (written beside it, then renamed into
//!   place). The files hold no clock time, so the same inputs give byte-identical partitions.
//! - **Comparison.** A month is compared with the latest earlier partition: spend deltas by
//!   provider and workload, each finding's status (`new`, or `open` when last month had the
//!   same finding id), and last month's findings that are gone (`resolved`), with the savings
//!   realised where the spend they acted on has dropped.

use crate::analysis::Finding;
use crate::report::{History, MonthSpend, Report, ResolvedFinding};
use crate::util::Month;
use anyhow::{Context, Result};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What one month leaves in the store.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// Billed + estimated spend per provider, nano-units.
    pub providers: BTreeMap<String, i128>,
    /// Billed usage per `provider|workload`.
    pub workloads: BTreeMap<String, i128>,
    pub findings: Vec<PastFinding>,
}

/// A finding as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct PastFinding {
    pub id: String,
    pub kind: String,
    pub provider: String,
    pub title: String,
    pub current_monthly_cost: i128,
    pub monthly_savings: i128,
    /// `provider|workload|model` keys, space-separated.
    pub acts_on: String,
}

/// The store folder.
pub struct Store {
    dir: PathBuf,
}

fn partition_name(month: Month) -> String {
    format!("month={month}")
}

/// Writes a frame to Parquet bytes (deterministic: no clock in the file).
fn parquet(mut df: DataFrame) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    anyhow::Context::context(
        ParquetWriter::new(&mut bytes).finish(&mut df),
        "could not write a history table",
    )?;
    Ok(bytes)
}

fn read(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("could not open `{}`", path.display()))?;
    anyhow::Context::with_context(ParquetReader::new(file).finish(), || {
        format!(
            "`{}` is not a history table this version reads; move the history folder away to start a new one",
            path.display()
        )
    })
}

fn text_col(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn int_col(df: &DataFrame, name: &str) -> Result<Vec<i128>> {
    Ok(df
        .column(name)?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0) as i128)
        .collect())
}

/// Nanos as the i64 a Parquet column holds (a month past ±9.2bn is clamped, never wrapped).
fn nanos(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

impl Snapshot {
    /// What the report says about its month.
    pub fn of(report: &Report) -> Snapshot {
        let mut providers: BTreeMap<String, i128> = report.totals.by_provider.clone();
        for (p, v) in &report.totals.estimated_by_provider {
            *providers.entry(p.clone()).or_insert(0) += v;
        }
        let mut workloads = BTreeMap::new();
        for l in &report.spend_by_workload {
            *workloads
                .entry(format!("{}|{}", l.provider, l.name))
                .or_insert(0) += l.billed_cost;
        }
        let findings = report
            .findings
            .iter()
            .map(|f| PastFinding {
                id: f.id.clone(),
                kind: f.kind.clone(),
                provider: f.provider.clone(),
                title: f.title.clone(),
                current_monthly_cost: f.current_monthly_cost_nano as i128,
                monthly_savings: f.monthly_savings_nano as i128,
                acts_on: f.acts_on.join(" "),
            })
            .collect();
        Snapshot {
            providers,
            workloads,
            findings,
        }
    }

    /// Billed usage of the workload a `provider|workload|model` key names (all of its models:
    /// the store keeps workloads, not workload × model); `None` for keys the store keeps no
    /// spend for (seats).
    fn spend_of(&self, key: &str) -> Option<i128> {
        let mut parts = key.split('|');
        let (provider, workload) = (parts.next()?, parts.next()?);
        if provider == "seats" || workload.is_empty() {
            return None;
        }
        Some(
            self.workloads
                .get(&format!("{provider}|{workload}"))
                .copied()
                .unwrap_or(0),
        )
    }
}

impl Store {
    pub fn new(dir: PathBuf) -> Store {
        Store { dir }
    }

    /// The months the store holds, oldest first.
    pub fn months(&self) -> Vec<Month> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut months: Vec<Month> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                Month::parse(name.strip_prefix("month=")?)
            })
            .collect();
        months.sort();
        months
    }

    /// The latest month stored before `month`, with its snapshot.
    pub fn previous(&self, month: Month) -> Result<Option<(Month, Snapshot)>> {
        let Some(prev) = self.months().into_iter().rfind(|m| *m < month) else {
            return Ok(None);
        };
        Ok(Some((prev, self.snapshot(prev)?)))
    }

    /// Spend by provider of up to `n` stored months before `month`, oldest first.
    pub fn trend(&self, month: Month, n: usize) -> Result<Vec<(Month, BTreeMap<String, i128>)>> {
        let months: Vec<Month> = self.months().into_iter().filter(|m| *m < month).collect();
        let from = months.len().saturating_sub(n);
        months[from..]
            .iter()
            .map(|m| Ok((*m, self.snapshot(*m)?.providers)))
            .collect()
    }

    /// One stored month.
    fn snapshot(&self, month: Month) -> Result<Snapshot> {
        let dir = self.dir.join(partition_name(month));
        let spend = read(&dir.join("spend.parquet"))?;
        let (dims, keys, amounts) = (
            text_col(&spend, "dimension")?,
            text_col(&spend, "key")?,
            int_col(&spend, "amount_nano")?,
        );
        let mut snap = Snapshot::default();
        for ((dim, key), v) in dims.into_iter().zip(keys).zip(amounts) {
            match dim.as_str() {
                "provider" => snap.providers.insert(key, v),
                _ => snap.workloads.insert(key, v),
            };
        }
        let f = read(&dir.join("findings.parquet"))?;
        let (ids, kinds, providers, titles, acts) = (
            text_col(&f, "id")?,
            text_col(&f, "kind")?,
            text_col(&f, "provider")?,
            text_col(&f, "title")?,
            text_col(&f, "acts_on")?,
        );
        let (costs, savings) = (
            int_col(&f, "current_monthly_cost_nano")?,
            int_col(&f, "monthly_savings_nano")?,
        );
        for i in 0..ids.len() {
            snap.findings.push(PastFinding {
                id: ids[i].clone(),
                kind: kinds[i].clone(),
                provider: providers[i].clone(),
                title: titles[i].clone(),
                current_monthly_cost: costs[i],
                monthly_savings: savings[i],
                acts_on: acts[i].clone(),
            });
        }
        Ok(snap)
    }

    /// Writes (or replaces) the month's partition: its spend, findings and run manifest.
    pub fn write(
        &self,
        month: Month,
        snap: &Snapshot,
        manifest: &[(String, String)],
    ) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("could not create history folder `{}`", self.dir.display()))?;
        let name = partition_name(month);
        // Unique per process: two runs sharing the store never write into one staging folder.
        let tmp = self
            .dir
            .join(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)
            .with_context(|| format!("could not create `{}`", tmp.display()))?;

        let mut dims = Vec::new();
        let mut keys = Vec::new();
        let mut amounts = Vec::new();
        for (k, v) in &snap.providers {
            dims.push("provider");
            keys.push(k.as_str());
            amounts.push(nanos(*v));
        }
        for (k, v) in &snap.workloads {
            dims.push("workload");
            keys.push(k.as_str());
            amounts.push(nanos(*v));
        }
        let spend = df!(
            "dimension" => dims,
            "key" => keys,
            "amount_nano" => amounts,
        )?;
        let f = &snap.findings;
        let findings = df!(
            "id" => f.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
            "kind" => f.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>(),
            "provider" => f.iter().map(|x| x.provider.as_str()).collect::<Vec<_>>(),
            "title" => f.iter().map(|x| x.title.as_str()).collect::<Vec<_>>(),
            "current_monthly_cost_nano" => f.iter().map(|x| nanos(x.current_monthly_cost)).collect::<Vec<_>>(),
            "monthly_savings_nano" => f.iter().map(|x| nanos(x.monthly_savings)).collect::<Vec<_>>(),
            "acts_on" => f.iter().map(|x| x.acts_on.as_str()).collect::<Vec<_>>(),
        )?;
        let manifest = df!(
            "key" => manifest.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            "value" => manifest.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
        )?;
        for (file, df) in [
            ("spend.parquet", spend),
            ("findings.parquet", findings),
            ("manifest.parquet", manifest),
        ] {
            let path = tmp.join(file);
            std::fs::write(&path, parquet(df)?)
                .with_context(|| format!("could not write `{}`", path.display()))?;
        }
        // Swapped in one step where the OS can: a reader never sees the month missing.
        crate::outdir::replace_dir(&tmp, &self.dir.join(&name))
    }
}

/// The run manifest: the month, the tool and catalog, the settings that change results, and
/// every input file with its hash and status.
pub fn manifest(report: &Report, settings_digest: &str) -> Vec<(String, String)> {
    let mut m = vec![
        ("month".to_string(), report.period.start[..7].to_string()),
        ("tool_version".to_string(), report.tool_version.clone()),
        (
            "catalog_release".to_string(),
            report.catalog_release.clone(),
        ),
        (
            "schema_version".to_string(),
            report.schema_version.to_string(),
        ),
        ("settings_sha256".to_string(), settings_digest.to_string()),
    ];
    for i in &report.inputs {
        m.push((
            format!("input:{}", i.path),
            format!("{} {}", i.sha256, i.status.as_str()),
        ));
    }
    m
}

/// Compares the report's month with the previous snapshot: sets each finding's status, and
/// returns the history section (deltas, run-rate forecast) and last month's findings that are
/// gone, with realised savings.
pub fn compare(
    findings: &mut [Finding],
    now: &Snapshot,
    previous: Option<(Month, Snapshot)>,
    earlier: Vec<(Month, BTreeMap<String, i128>)>,
    month: Month,
) -> History {
    // The months charted: the stored ones before this month, then this one.
    let months: Vec<MonthSpend> = earlier
        .into_iter()
        .chain(std::iter::once((month, now.providers.clone())))
        .map(|(m, by_provider)| MonthSpend {
            month: m.to_string(),
            by_provider,
        })
        .collect();
    let Some((prev_month, prev)) = previous else {
        for f in findings.iter_mut() {
            f.status = Some("new".to_string());
        }
        return History {
            previous_month: None,
            spend: now.providers.values().sum(),
            previous_spend: None,
            spend_delta_by_provider: BTreeMap::new(),
            spend_delta_by_workload: BTreeMap::new(),
            quarter_forecast: quarter_forecast(now.providers.values().sum(), None, month),
            quarter_forecast_basis: FORECAST_BASIS.to_string(),
            resolved: Vec::new(),
            months,
        };
    };
    let ids: std::collections::BTreeSet<&str> =
        prev.findings.iter().map(|f| f.id.as_str()).collect();
    for f in findings.iter_mut() {
        f.status = Some(
            if ids.contains(f.id.as_str()) {
                "open"
            } else {
                "new"
            }
            .to_string(),
        );
    }
    let now_ids: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.id.as_str()).collect();
    let resolved: Vec<ResolvedFinding> = prev
        .findings
        .iter()
        .filter(|f| !now_ids.contains(f.id.as_str()))
        .map(|f| {
            // Realised: how far the spend the finding acted on has dropped, up to what the
            // finding said it would save.
            let keys: Vec<&str> = f.acts_on.split(' ').filter(|k| !k.is_empty()).collect();
            let spend = |snap: &Snapshot| -> Option<i128> {
                keys.iter().map(|k| snap.spend_of(k)).sum::<Option<i128>>()
            };
            let (realised, basis) = match (spend(&prev), spend(now)) {
                (Some(before), Some(after)) if !keys.is_empty() => (
                    (before - after).clamp(0, f.monthly_savings.max(0)),
                    "the drop in the billed usage of the workloads it acted on, up to its claimed saving".to_string(),
                ),
                _ => (
                    0,
                    "not measured: the history keeps no spend for what it acted on (seats)".to_string(),
                ),
            };
            ResolvedFinding {
                id: f.id.clone(),
                kind: f.kind.clone(),
                provider: f.provider.clone(),
                title: f.title.clone(),
                monthly_savings_claimed: f.monthly_savings,
                realised_monthly_savings: realised,
                realised_basis: basis,
            }
        })
        .collect();
    let delta = |a: &BTreeMap<String, i128>, b: &BTreeMap<String, i128>| {
        let mut out = BTreeMap::new();
        for k in a.keys().chain(b.keys()) {
            out.insert(
                k.clone(),
                a.get(k).copied().unwrap_or(0) - b.get(k).copied().unwrap_or(0),
            );
        }
        out
    };
    let spend: i128 = now.providers.values().sum();
    let previous_spend: i128 = prev.providers.values().sum();
    History {
        previous_month: Some(prev_month.to_string()),
        spend,
        previous_spend: Some(previous_spend),
        spend_delta_by_provider: delta(&now.providers, &prev.providers),
        spend_delta_by_workload: delta(&now.workloads, &prev.workloads),
        quarter_forecast: quarter_forecast(spend, Some((previous_spend, prev_month)), month),
        quarter_forecast_basis: FORECAST_BASIS.to_string(),
        resolved,
        months,
    }
}

const FORECAST_BASIS: &str = "this month's spend for each month of the quarter up to this one, then grown month on month at the change since the previous month (flat without one) for the rest of the quarter";

/// The spend of the calendar quarter that holds `month`: the months before it in the quarter
/// are unknown here, so the forecast is this month's spend, grown month on month at the
/// rate since the previous month (when that was the month just before), over the rest of
/// the quarter, plus this month, times the quarter's months so far at this month's rate.
fn quarter_forecast(spend: i128, previous: Option<(i128, Month)>, month: Month) -> i128 {
    let growth = match previous {
        Some((p, m)) if p > 0 && m.next() == month => spend as f64 / p as f64,
        _ => 1.0,
    };
    let in_quarter = (month.month - 1) % 3; // months of the quarter before this one
    let after = 2 - in_quarter; // months of the quarter after this one
    let mut total = spend as f64 * (in_quarter + 1) as f64;
    let mut next = spend as f64;
    for _ in 0..after {
        next *= growth;
        total += next;
    }
    total.round() as i128
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarter_forecast_runs_the_rate_forward() {
        let oct = Month::parse("2026-10").unwrap();
        // October opens Q4: October plus November and December at +10% a month.
        let prev = Some((1_000, Month::parse("2026-09").unwrap()));
        assert_eq!(quarter_forecast(1_100, prev, oct), 1_100 + 1_210 + 1_331);
        // December closes it: three months at December's rate.
        let dec = Month::parse("2026-12").unwrap();
        assert_eq!(quarter_forecast(900, None, dec), 2_700);
    }

    #[test]
    fn a_resolved_finding_realises_the_drop_in_its_workloads_spend_up_to_its_claim() {
        let past = |id: &str, saving: i128| PastFinding {
            id: id.to_string(),
            kind: "tier_downshift".into(),
            provider: "openai".into(),
            title: id.to_string(),
            current_monthly_cost: 2_000,
            monthly_savings: saving,
            acts_on: "openai|support|gpt-4.1".into(),
        };
        let prev = Snapshot {
            providers: [("openai".to_string(), 2_000)].into(),
            workloads: [("openai|support".to_string(), 2_000)].into(),
            findings: vec![past("gone-small", 100), past("gone-big", 900)],
        };
        let now = Snapshot {
            providers: [("openai".to_string(), 1_700)].into(),
            workloads: [("openai|support".to_string(), 1_700)].into(),
            findings: Vec::new(),
        };
        let h = compare(
            &mut [],
            &now,
            Some((Month::parse("2026-09").unwrap(), prev)),
            Vec::new(),
            Month::parse("2026-10").unwrap(),
        );
        let realised: Vec<i128> = h
            .resolved
            .iter()
            .map(|r| r.realised_monthly_savings)
            .collect();
        // The spend fell by 300: a 100 claim is fully realised, a 900 claim by 300.
        assert_eq!(realised, vec![100, 300]);
        assert_eq!(h.spend_delta_by_provider["openai"], -300);
    }
}
