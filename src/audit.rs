//! The `ingest` pipeline as a short list of stage calls: walk → parse, de-duplicate,
//! attribute and price each line (`ingest`, `ingest::dedup`, `Config::attribute`,
//! `pricing::line`) → ledger of the month → analyses → report (`report::build`) → outputs.
//!
//! Order matters only at two points: the month is chosen after everything is read (the default
//! is the latest complete month in the billing data), and the analyses start after the ledger
//! is collected, so polars and rayon never run at the same time.

use crate::analysis::{self, AnalysisCtx};
use crate::ingest::{
    self,
    bounds::{FieldCap, PlausibleDates, SumBound},
    dedup::{CardPayments, OverlapGuard},
    InputStatus,
};
use crate::ledger::{Ledger, LedgerBuilder, LedgerRow};
use crate::pricing::{line::LinePricer, Catalog};
use crate::report::{self, build::ReportInputs, Report};
use crate::settings::{Config, RunSettings};
use crate::util::Month;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a run produced, for the summary and the exit code.
pub struct AuditOutcome {
    pub report: Report,
    pub files_written: Vec<String>,
    /// The output folder written.
    pub out: PathBuf,
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
/// own (the benchmark measures exactly this). A billed charge that an earlier file already had
/// is dropped and noted on its file.
pub fn ingest_and_price(
    root: &Path,
    files: &[PathBuf],
    catalog: &Catalog,
    config: &Config,
    mut redactor: Option<&mut crate::redact::Redactor>,
    on_file: &mut dyn FnMut(&str),
) -> (LedgerBuilder, ingest::IngestOutcome) {
    let mut builder = LedgerBuilder::new(1024);
    let mut pricer = LinePricer::new(catalog, &config.seat_prices, config.overlay_terms.as_ref());
    let mut overlaps = OverlapGuard::default();
    let mut card_payments = CardPayments::default();
    let mut bound = SumBound::default();
    let mut field_cap = FieldCap::default();
    let mut dates = PlausibleDates::until_a_year_after(PlausibleDates::newest_modified_ms(files));
    let mut sink = |mut row: LedgerRow| {
        if !field_cap.admits(&row) || !dates.admits(&row) || overlaps.is_repeat(&row) {
            return;
        }
        config.attribute(&mut row);
        pricer.price(&mut row);
        // Before redaction: the config names payers as the export does.
        let card_api = CardPayments::is_card_api_charge(&row);
        let listed_payer = card_api
            && row.api_key.as_deref().is_some_and(|p| {
                config
                    .expenses
                    .bill_payers
                    .iter()
                    .any(|b| b.eq_ignore_ascii_case(p))
            });
        // After attribution (the config names raw keys), before anything downstream sees it.
        if let Some(r) = redactor.as_deref_mut() {
            r.row(&mut row);
        }
        if bound.admits(&row) {
            if card_api {
                card_payments.hold(row, listed_payer);
            } else {
                card_payments.observe(&row);
                builder.push(&row);
            }
        }
    };
    let opts = ingest::IngestOptions {
        long_context: catalog.long_context_thresholds(),
        expense_columns: config.expenses.columns.clone(),
        expense_spend_is_negative: config.expenses.spend_is_negative,
    };
    let mut outcome = ingest::ingest_dir_with(root, files, &opts, &mut sink, on_file);
    for row in card_payments.release() {
        builder.push(&row);
    }
    card_payments.annotate(&mut outcome.inputs);
    overlaps.annotate(&mut outcome.inputs);
    bound.annotate(&mut outcome.inputs, &mut outcome.rejects);
    field_cap.annotate(&mut outcome.inputs, &mut outcome.rejects);
    dates.annotate(&mut outcome.inputs, &mut outcome.rejects);
    outcome
        .rejects
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    outcome.fx_applied = pricer.fx_applied();
    if let Some(r) = redactor {
        r.outcome(&mut outcome);
        outcome.redaction = Some(r.note());
    }
    (builder, outcome)
}

/// The audit: each line is one stage.
pub fn run(settings: &RunSettings) -> Result<AuditOutcome> {
    let (root, files) = input_files(settings)?;
    // A given `--out` is locked before anything is read, so a second run on it stops at once.
    let mut given_lock = match &settings.out {
        Some(out) => {
            if !settings.all_months {
                crate::outdir::check_replaceable(out)?;
            }
            Some(crate::outdir::OutputLock::acquire(out)?)
        }
        None => None,
    };
    let progress = crate::progress::Progress::files(settings.progress, files.len());
    let mut redactor = settings
        .redact
        .as_ref()
        .map(|(mode, key)| crate::redact::Redactor::new(*mode, key.as_deref()));
    // Owners are people named in the config: pseudonyms too.
    let owners = match redactor.as_mut() {
        Some(r) => r.owners(&settings.config.owners),
        None => settings.config.owners.clone(),
    };
    let (builder, outcome) = ingest_and_price(
        &root,
        &files,
        &settings.catalog,
        &settings.config,
        redactor.as_mut(),
        &mut |name: &str| progress.file(name),
    );
    progress.stage("building the ledger");
    let newest_file_ms = PlausibleDates::newest_modified_ms(&files);
    let (month, complete) = audited_month(&builder, settings.month, newest_file_ms);
    let months = if settings.all_months {
        months_with_billed_money(&builder).unwrap_or_else(|| vec![(month, complete)])
    } else {
        vec![(month, complete)]
    };
    let single = months.len() == 1;
    let mut full = Some(builder.finish()?);
    let mut last = None;
    for (month, complete) in months {
        // Several months: one output folder each, inside `--out` when given.
        let out = match (&settings.out, settings.all_months) {
            (Some(out), true) => out.join(month.to_string()),
            (Some(out), false) => out.clone(),
            (None, _) => PathBuf::from(format!("spend-audit-{month}")),
        };
        refuse_out_inside_input(&out, &root, &settings.input)?;
        crate::outdir::check_replaceable(&out)?;
        let mut own_lock = match given_lock {
            Some(_) => None,
            None => Some(crate::outdir::OutputLock::acquire(&out)?),
        };
        let mut month_outcome = outcome.clone();
        let ledger = month_ledger(
            full.as_ref().context("the ledger was released")?,
            month,
            &mut month_outcome,
        )?;
        if single {
            // One month: the full ledger is not needed again, and the month's copy of it is
            // what the analyses and outputs use, so only one of the two is held from here.
            full = None;
        }
        last = Some(audit_month(
            settings,
            ledger,
            (month, complete),
            month_outcome,
            out,
            &owners,
            &progress,
        )?);
        for lock in [&mut given_lock, &mut own_lock].into_iter().flatten() {
            lock.published();
        }
    }
    last.ok_or_else(|| anyhow::anyhow!("no month to audit"))
}

/// Every month whose billed money the data holds, oldest first, each with its completeness
/// (`None` without billed money).
fn months_with_billed_money(builder: &LedgerBuilder) -> Option<Vec<(Month, bool)>> {
    let months: std::collections::BTreeSet<Month> = builder
        .billed_money_by_day
        .keys()
        .filter_map(|d| crate::util::day_of(d.checked_mul(86_400_000)?))
        .map(Month::of_day)
        .collect();
    if months.is_empty() {
        return None;
    }
    Some(
        months
            .into_iter()
            .map(|m| {
                let last = crate::util::day_start_ms(m.last_day()).div_euclid(86_400_000);
                (m, builder.billed_days.contains(&last))
            })
            .collect(),
    )
}

/// One month's audit on its ledger ([`month_ledger`]): the analyses, the report, the history
/// comparison, the outputs and the history partition.
fn audit_month(
    settings: &RunSettings,
    ledger: Ledger,
    (month, complete): (Month, bool),
    outcome: ingest::IngestOutcome,
    out: PathBuf,
    owners: &BTreeMap<String, String>,
    progress: &crate::progress::Progress,
) -> Result<AuditOutcome> {
    progress.stage("running the analyses");
    let ctx = AnalysisCtx::build(
        &settings.config.analysis,
        &settings.catalog,
        month,
        &ledger,
        settings.config.overlay_terms.as_ref(),
    )?;
    let (mut findings, analyses) = report::build::findings_and_statuses(analysis::run_all(&ctx));
    analysis::assign_owners(&mut findings, owners);

    progress.stage("writing the reports");
    let inputs = ReportInputs {
        settings,
        month,
        complete,
        findings,
        analyses,
        outcome,
        provisioned: ctx.provisioned.clone(),
    };
    let mut report = report::build::build(inputs, &ledger)?;
    report.inventory = Some(report::inventory::build(
        &report,
        &ledger,
        &ctx.seats,
        owners,
        month.end_ms(),
        settings.config.analysis.seat_idle_days,
    )?);
    // Month over month: statuses and deltas against the latest earlier month in the store.
    let store = history_store(settings, &out);
    let snapshot = crate::history::Snapshot::of(&report);
    if let Some(store) = &store {
        let previous = store.previous(month)?;
        let earlier = store.trend(month, 11)?;
        report.history = Some(crate::history::compare(
            &mut report.findings,
            &snapshot,
            previous,
            earlier,
            month,
        ));
    }
    let files_written = write_outputs(&report, &ledger, &out, progress)?;
    if let Some(store) = &store {
        let digest = {
            use sha2::Digest;
            format!(
                "{:x}",
                sha2::Sha256::digest(format!("{:?}", settings.config).as_bytes())
            )
        };
        store.write(
            month,
            &snapshot,
            &crate::history::manifest(&report, &digest),
        )?;
    }
    Ok(AuditOutcome {
        report,
        files_written,
        out,
    })
}

/// The history store this run reads and writes, if any.
fn history_store(settings: &RunSettings, out: &Path) -> Option<crate::history::Store> {
    use crate::settings::HistoryAt;
    match &settings.history {
        HistoryAt::Off => None,
        HistoryAt::Dir(dir) => Some(crate::history::Store::new(dir.clone())),
        HistoryAt::BesideOutput => {
            let parent = absolute(out)
                .ok()
                .and_then(|o| o.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            Some(crate::history::Store::new(
                parent.join("spend-audit-history"),
            ))
        }
    }
}

/// A path made absolute without creating it: the nearest existing ancestor resolved (links
/// followed), the rest appended.
fn absolute(path: &Path) -> Result<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .context("could not read the current folder")?
            .join(path)
    };
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing
        .canonicalize()
        .with_context(|| format!("could not resolve `{}`", existing.display()))?;
    out.extend(rest.iter().rev());
    Ok(out)
}

/// Refuses an output folder inside the input folder (the next run would read it), before
/// anything is created.
fn refuse_out_inside_input(out: &Path, input_abs: &Path, input: &Path) -> Result<()> {
    let out_abs = absolute(out)?;
    if out_abs == input_abs || out_abs.starts_with(input_abs) {
        bail!(
            "output folder `{}` is inside the input folder `{}`; pass `--out` with a folder outside it so the next run does not read its own output",
            out.display(),
            input.display()
        );
    }
    Ok(())
}

/// Checks the input and output folders (the output may not sit inside the input, or the next
/// run would read it) and lists the input files.
fn input_files(settings: &RunSettings) -> Result<(PathBuf, Vec<PathBuf>)> {
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
    // A given `--out` is checked before anything is read; the default one once the month
    // names it. Nothing is created until the outputs are written.
    let out_abs = match &settings.out {
        Some(out) => {
            refuse_out_inside_input(out, &input_abs, input)?;
            Some(absolute(out)?)
        }
        None => None,
    };
    let files = ingest::walk(&input_abs, out_abs.as_deref())?;
    if files.is_empty() {
        bail!(
            "input folder `{}` holds no files; pass the folder that holds the month's exports",
            input.display()
        );
    }
    Ok((input_abs, files))
}

/// The month to audit: the one asked for, else the latest complete month that holds most of
/// the billed money (`Month::by_billed_money`), else the month of the seat reports' time,
/// else the latest complete month of any data,
/// else the month before the newest input file was saved; and whether it is complete. Never
/// the clock: the same files give the same month on any day.
fn audited_month(
    builder: &LedgerBuilder,
    asked: Option<Month>,
    newest_file_ms: i64,
) -> (Month, bool) {
    if let Some(m) = asked {
        return (m, true);
    }
    let fallback = crate::util::day_of(newest_file_ms).map_or(
        Month::of_day(chrono::DateTime::UNIX_EPOCH.date_naive()),
        |d| Month::of_day(d).prev(),
    );
    // Without a bill, a seat report's own time (its latest activity) names the month it
    // describes; its seats' assignment dates do not.
    let snapshot = builder.seat_snapshot_ms.and_then(|ms| {
        let day = crate::util::day_of(ms)?;
        let month = Month::of_day(day);
        Some((month, day == month.last_day()))
    });
    Month::by_billed_money(&builder.billed_money_by_day, &builder.billed_days)
        .or(snapshot)
        .or_else(|| Month::latest_complete(builder.any_days.iter().copied()))
        .unwrap_or((fallback, false))
}

/// Collects the ledger and keeps the audited month; each file notes its lines outside it, its
/// out-of-scope lines included.
fn month_ledger(
    full: &Ledger,
    month: Month,
    outcome: &mut ingest::IngestOutcome,
) -> Result<Ledger> {
    let (ledger, outside) = full.restrict_period(month.start_ms(), month.end_ms())?;
    let outside: BTreeMap<String, u64> = outside.into_iter().collect();
    for i in &mut outcome.inputs {
        i.out_of_period_rows = outside.get(&i.path).copied().unwrap_or(0);
        i.keep_out_of_scope_within(month.start_ms(), month.end_ms());
    }
    Ok(ledger)
}

/// Renders the report, `focus.csv`, `ledger.parquet` and the charts, and puts them in place
/// as one set (`outdir::publish`); returns the files written, relative to `out`. A failure
/// leaves the previous set untouched.
fn write_outputs(
    report: &Report,
    ledger: &Ledger,
    out: &Path,
    progress: &crate::progress::Progress,
) -> Result<Vec<String>> {
    let outputs = report::Outputs { report, ledger };
    progress.stage("writing the outputs");
    let mut files = Vec::new();
    // Each renderer writes straight into the staging folder, so at most one output is in
    // memory at a time (the FOCUS export streams even that).
    crate::outdir::publish_with(out, &mut |staging| {
        for renderer in report::renderers() {
            files.extend(renderer.write(&outputs, staging)?);
        }
        Ok(())
    })?;
    Ok(files)
}
