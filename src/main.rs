//! Entry point: parse, resolve settings, run, map the outcome to an exit code.
//! See `cli::EXIT_CODES` for the meaning of each code.

use anyhow::{Context, Result};
use clap::{CommandFactory, FromArgMatches};
use spend_audit::cli::{Cli, Command, IngestArgs, OutputFormat, PricingCommand};
use spend_audit::money::format_amount;
use spend_audit::pricing::Catalog;
use spend_audit::settings::{Config, RunSettings};
use spend_audit::util::Month;
use std::io::IsTerminal;
use std::process::ExitCode;

/// The whole command, with a version that names the catalog release built in.
fn command() -> clap::Command {
    let version = format!(
        "{} (catalog {})",
        env!("CARGO_PKG_VERSION"),
        spend_audit::pricing::embedded_release()
    );
    // Once per run: clap keeps the version for the process's life.
    Cli::command().version(&*Box::leak(version.into_boxed_str()))
}

fn main() -> ExitCode {
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Ingest(args) => ingest(args),
        Command::Pricing(cmd) => pricing(cmd),
        Command::Init { path, force } => init(&path, force),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command(), "spend-audit", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => clap_mangen::Man::new(command())
            .render(&mut std::io::stdout())
            .map(|_| ExitCode::SUCCESS)
            .context("could not write the man page"),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

/// Writes the commented config template; never replaces a file unless asked to.
fn init(path: &std::path::Path, force: bool) -> Result<ExitCode> {
    if path.exists() && !force {
        anyhow::bail!(
            "`{}` already exists; pass `--force` to replace it, or name another file",
            path.display()
        );
    }
    std::fs::write(path, spend_audit::settings::CONFIG_TEMPLATE)
        .with_context(|| format!("could not write `{}`", path.display()))?;
    eprintln!(
        "wrote `{}`; edit it, then run `spend-audit ingest <exports> --config {}`",
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn load_catalog(dir: Option<&std::path::Path>) -> Result<Catalog> {
    Ok(match dir {
        Some(dir) => Catalog::from_dir(dir)?,
        None => Catalog::embedded()?,
    })
}

fn day_arg(value: Option<&str>, flag: &str) -> Result<chrono::NaiveDate> {
    match value {
        Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .with_context(|| format!("`{flag} {v}` is not a date; write it as `YYYY-MM-DD`")),
        None => Ok(chrono::Utc::now().date_naive()),
    }
}

/// The catalog, the day and the reference file's text of `pricing diff` and `coverage`.
fn reference_inputs(
    catalog: Option<&std::path::Path>,
    at: Option<&str>,
    file: &std::path::Path,
) -> Result<(Catalog, chrono::NaiveDate, String)> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("could not read `{}`", file.display()))?;
    Ok((load_catalog(catalog)?, day_arg(at, "--at")?, text))
}

/// A reviewed-list file's text: the one given, else the one built into the binary.
fn reviewed_text(path: Option<&std::path::Path>, builtin: &str) -> Result<String> {
    match path {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("could not read `{}`", p.display()))
        }
        None => Ok(builtin.to_string()),
    }
}

fn pricing(cmd: PricingCommand) -> Result<ExitCode> {
    use spend_audit::pricing::check;
    match cmd {
        PricingCommand::Check { catalog, today } => {
            let catalog = load_catalog(catalog.as_deref())?;
            let today = day_arg(today.as_deref(), "--today")?;
            let problems = check::check(&catalog, today);
            let periods: usize = catalog.models().map(|m| m.prices.len()).sum();
            println!(
                "catalog {}: {} models, {periods} price periods, {} problems",
                catalog.release,
                catalog.models().count(),
                problems.len()
            );
            for p in &problems {
                eprintln!("error: {p}");
            }
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        PricingCommand::Diff {
            file,
            at,
            exceptions,
            catalog,
        } => {
            use spend_audit::pricing::diff;
            let (catalog, at, text) = reference_inputs(catalog.as_deref(), at.as_deref(), &file)?;
            let exceptions_text =
                reviewed_text(exceptions.as_deref(), spend_audit::pricing::DIFF_EXCEPTIONS)?;
            let exceptions = diff::parse_exceptions(&exceptions_text)
                .map_err(|e| anyhow::anyhow!("exceptions file is not valid: {e}"))?;
            let (source, found) = diff::diff(&catalog, &text, at)
                .map_err(|e| anyhow::anyhow!("`{}`: {e}", file.display()))?;
            let mut open = 0;
            println!("source\tmodel\tour model\tfield\tday\tours\ttheirs\tstatus");
            for d in &found {
                let status = match d.is_excepted(&exceptions) {
                    Some(reason) => format!("known: {reason}"),
                    None => {
                        open += 1;
                        "NEW".to_string()
                    }
                };
                let ours = d
                    .ours
                    .map(|o| o.normalize().to_string())
                    .unwrap_or_else(|| "—".into());
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{ours}\t{}\t{status}",
                    d.source, d.model, d.our_model, d.field, d.at, d.theirs
                );
            }
            // A reviewed exception that matches nothing any more: the catalog or the reference
            // moved, so the review is out of date.
            let stale = diff::stale_exceptions(source, &exceptions, &found);
            for e in &stale {
                println!(
                    "{}\t{}\t\t{}\t{}\t\t\tSTALE: this exception no longer fires; remove it",
                    e.source,
                    e.model,
                    e.field,
                    e.at.map(|d| d.to_string()).unwrap_or_default()
                );
            }
            eprintln!(
                "{} disagreements, {open} not yet reviewed, {} stale exceptions",
                found.len(),
                stale.len()
            );
            Ok(if open == 0 && stale.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        PricingCommand::Coverage {
            file,
            at,
            exclusions,
            catalog,
        } => {
            use spend_audit::pricing::diff;
            let (catalog, at, text) = reference_inputs(catalog.as_deref(), at.as_deref(), &file)?;
            let exclusions_text = reviewed_text(
                exclusions.as_deref(),
                spend_audit::pricing::COVERAGE_EXCLUSIONS,
            )?;
            let exclusions = diff::parse_exclusions(&exclusions_text)
                .map_err(|e| anyhow::anyhow!("exclusions file is not valid: {e}"))?;
            let missing = diff::coverage(&catalog, &text, at)
                .map_err(|e| anyhow::anyhow!("`{}`: {e}", file.display()))?;
            let mut open = 0;
            println!("source\tmodel\tnames\tstatus");
            for m in &missing {
                let status = match exclusions
                    .iter()
                    .find(|x| x.source == m.source && x.model == m.model)
                {
                    Some(x) => format!("excluded: {}", x.reason),
                    None => {
                        open += 1;
                        "NEW: add it to the catalog or to the exclusions with a reason".into()
                    }
                };
                println!("{}\t{}\t{}\t{status}", m.source, m.model, m.names.join(" "));
            }
            eprintln!(
                "{} reference models the catalog cannot name, {open} not yet reviewed",
                missing.len()
            );
            Ok(if open == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        PricingCommand::Show {
            model,
            at,
            platform,
            catalog,
        } => {
            let catalog = load_catalog(catalog.as_deref())?;
            let at = day_arg(at.as_deref(), "--at")?;
            match check::show(&catalog, &model, at, platform.as_deref()) {
                Ok(text) => {
                    print!("{text}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

fn ingest(args: IngestArgs) -> Result<ExitCode> {
    let month = match &args.month {
        Some(m) => Some(Month::parse(m).with_context(|| {
            format!("`--month {m}` is not a month; write it as `YYYY-MM`, e.g. `2026-10`")
        })?),
        None => None,
    };
    let catalog = load_catalog(args.catalog.as_deref())?;
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let fail_on_savings = match &args.fail_on_savings {
        Some(v) => Some(spend_audit::money::parse_nanos(v).filter(|n| *n >= 0).with_context(|| {
            format!("`--fail-on-savings {v}` is not an amount; write it as a number, e.g. `500` or `1250.50`")
        })?),
        None => None,
    };
    spend_audit::ingest::inflate::set_limits(spend_audit::ingest::inflate::Limits {
        max_bytes: args.max_inflated_size,
        max_ratio: args.max_inflate_ratio,
        ..spend_audit::ingest::inflate::DEFAULT_LIMITS
    });
    let settings = RunSettings {
        input: args.input.clone(),
        out: args.out.clone(),
        history: match (&args.history, args.no_history) {
            (_, true) => spend_audit::settings::HistoryAt::Off,
            (Some(dir), false) => spend_audit::settings::HistoryAt::Dir(dir.clone()),
            (None, false) => spend_audit::settings::HistoryAt::BesideOutput,
        },
        month,
        all_months: args.all_months,
        strict: args.strict,
        quiet: args.quiet,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        catalog,
        config,
        redact: args.redact.map(|r| {
            let mode = match r {
                spend_audit::cli::RedactArg::Personal => spend_audit::redact::RedactMode::Personal,
                spend_audit::cli::RedactArg::All => spend_audit::redact::RedactMode::All,
            };
            (mode, std::env::var("SPEND_AUDIT_REDACT_KEY").ok())
        }),
    };
    let outcome = spend_audit::audit::run(&settings)?;
    let r = &outcome.report;
    if !settings.quiet {
        let count = |s| r.inputs.iter().filter(|i| i.status == s).count();
        use spend_audit::ingest::InputStatus::*;
        eprintln!(
            "audited {} to {}: {} files ingested, {} duplicate, {} skipped, {} rejected; {} rows rejected",
            r.period.start,
            r.period.end,
            count(Ingested),
            count(Duplicate),
            count(Skipped),
            count(Rejected),
            r.rejected_rows
        );
        eprintln!(
            "billed {} {}, estimated {} {}; {} findings, savings {} {}/month",
            format_amount(r.totals.billed_cost),
            r.currency,
            format_amount(r.totals.estimated_cost),
            r.currency,
            r.findings.len(),
            format_amount(r.headline.monthly_savings),
            r.currency
        );
        summary_table(r);
        eprintln!(
            "wrote {} to `{}`",
            outcome.files_written.join(", "),
            outcome.out.display()
        );
    }
    if args.format == OutputFormat::Json {
        let json = spend_audit::report::JsonRenderer.bytes(r)?;
        use std::io::Write;
        std::io::stdout()
            .write_all(&json)
            .context("could not write findings.json to stdout")?;
    }
    if settings.strict && outcome.has_bad_input() {
        eprintln!("error: --strict: some input was skipped or rejected; see the Inputs section of report.md and rejects.csv");
        return Ok(ExitCode::from(1));
    }
    if let Some(limit) = fail_on_savings {
        // New findings only: one that was open last month already paged someone.
        let new: Vec<spend_audit::analysis::Finding> = r
            .findings
            .iter()
            .filter(|f| f.status.as_deref() != Some("open"))
            .cloned()
            .collect();
        let saving = spend_audit::analysis::combined_savings(&new) as i128;
        if saving > limit as i128 {
            eprintln!(
                "--fail-on-savings: new findings save {} {}/month, more than {} {}",
                format_amount(saving),
                r.currency,
                format_amount(limit as i128),
                r.currency
            );
            return Ok(ExitCode::from(3));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The spend by provider and the top findings, as an aligned table on stderr.
fn summary_table(r: &spend_audit::report::Report) {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for p in r.totals.providers() {
        let billed = r.totals.by_provider.get(p).copied();
        let estimated = r.totals.estimated_by_provider.get(p).copied();
        let (amount, basis) = match (billed, estimated) {
            (Some(b), _) => (b, "billed"),
            (None, Some(e)) => (e, "estimated"),
            (None, None) => continue,
        };
        rows.push((
            p.clone(),
            format!("{} {}", format_amount(amount), r.currency),
            basis.to_string(),
        ));
    }
    for f in r.findings.iter().take(5) {
        rows.push((
            f.kind.clone(),
            format!(
                "{} {}/month",
                format_amount(f.monthly_savings_nano as i128),
                r.currency
            ),
            format!("{} confidence: {}", f.confidence.as_str(), f.title),
        ));
    }
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (a, b, c) in rows {
        eprintln!("  {a:<w0$}  {b:>w1$}  {c}");
    }
}
