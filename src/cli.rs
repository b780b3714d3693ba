//! Command-line definition (clap derive only, no logic).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  the audit ran and its outputs were written
  1  --strict: the outputs were written, but some input was skipped or rejected
     (pricing check: a catalog problem; pricing diff: an unreviewed disagreement)
  2  error: bad arguments, an empty or unreadable input folder or catalog, outputs not
     written
  3  --fail-on-savings: the outputs were written, and the month's new findings save more
     than the amount a month (1 wins when --strict also fails)";

/// Audit a month of AI spend: normalise the exports, price them against a versioned catalog,
/// and find savings from consolidation, tier downshifts and idle capacity.
#[derive(Debug, Parser)]
#[command(name = "spend-audit", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a folder of exports (recursively, as downloaded) and write the audit.
    #[command(after_help = EXIT_CODES)]
    Ingest(IngestArgs),
    /// Inspect the pricing catalog.
    #[command(subcommand)]
    Pricing(PricingCommand),
    /// Write a commented config file to start from (every setting shown at its default).
    Init {
        /// Where to write it.
        #[arg(default_value = "spend-audit.toml")]
        path: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script to stdout, e.g.
    /// `spend-audit completions bash > /etc/bash_completion.d/spend-audit`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout, e.g. `spend-audit man > spend-audit.1`.
    Man,
}

/// What `--redact` replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RedactArg {
    /// People (emails, logins, user names) and API key ids and names.
    Personal,
    /// Also workload, team, project, account and resource names, and every tag.
    All,
}

/// What `ingest` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Nothing: the outputs are the files in the output folder (a summary goes to stderr).
    Files,
    /// `findings.json` on stdout, as written to the output folder.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum PricingCommand {
    /// Validate the catalog: no overlapping periods, no ambiguous names, a source for every
    /// period, cached ≤ input, batch ≤ standard, a current price for every model not retired.
    /// Exits 1 on any violation (2 if the catalog cannot be loaded at all).
    Check {
        /// Pricing catalog folder. Default: the catalog built into this binary.
        #[arg(long, value_name = "DIR", env = "SPEND_AUDIT_CATALOG")]
        catalog: Option<PathBuf>,
        /// The day whose prices must exist, `YYYY-MM-DD`. Default: today (UTC).
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
    },
    /// Compare the catalog with a reference price file (LiteLLM, genai-prices or model-prices)
    /// on every dimension and every dated period, and list every disagreement. Exits 1 if any
    /// disagreement is not in the reviewed exceptions file, or an exception no longer fires.
    Diff {
        /// A reference file: `pricing/references/*.json`, a LiteLLM
        /// `model_prices_and_context_window.json` or a genai-prices `v2/data.json`.
        file: PathBuf,
        /// Date whose rates are compared, `YYYY-MM-DD`. Default: today (UTC).
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// Reviewed disagreements. Default: the `pricing/diff-exceptions.toml` built into this binary.
        #[arg(long, value_name = "FILE")]
        exceptions: Option<PathBuf>,
        /// Pricing catalog folder. Default: the catalog built into this binary.
        #[arg(long, value_name = "DIR", env = "SPEND_AUDIT_CATALOG")]
        catalog: Option<PathBuf>,
    },
    /// List the reference's models, for the vendors the catalog covers, that the catalog cannot
    /// name (every row using them would be unpriced). Exits 1 if one is not a reviewed exclusion.
    Coverage {
        /// A reference file, as for `pricing diff` (`pricing/references/*.json`).
        file: PathBuf,
        /// Date whose models are checked, `YYYY-MM-DD`. Default: today (UTC).
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// Reviewed exclusions. Default: the `pricing/coverage-exclusions.toml` built into this
        /// binary.
        #[arg(long, value_name = "FILE")]
        exclusions: Option<PathBuf>,
        /// Pricing catalog folder. Default: the catalog built into this binary.
        #[arg(long, value_name = "DIR", env = "SPEND_AUDIT_CATALOG")]
        catalog: Option<PathBuf>,
    },
    /// Show how a model string resolves and its rates on a date.
    Show {
        /// The model string as it appears in an export, e.g. `gpt-4o-2024-08-06` or `Claude Sonnet 4.5`.
        model: String,
        /// Date, `YYYY-MM-DD`. Default: today (UTC).
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// Platform whose SKU to show (`aws-bedrock`, `azure`, `gcp-vertex`, `openrouter`, …).
        /// Default: what the model string says, else the vendor's own API.
        #[arg(long, value_name = "PLATFORM")]
        platform: Option<String>,
        /// Pricing catalog folder. Default: the catalog built into this binary.
        #[arg(long, value_name = "DIR", env = "SPEND_AUDIT_CATALOG")]
        catalog: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Folder holding the month's exports; files are recognised by content, not name.
    pub input: PathBuf,

    /// Month to audit, `YYYY-MM`. Default: the latest complete month in the billing data.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,

    /// Audit every month the billing data holds, oldest first, each into its own folder
    /// (`<out>/<YYYY-MM>`, or `spend-audit-<YYYY-MM>`): back-fills the history in one run.
    #[arg(long, conflicts_with = "month")]
    pub all_months: bool,

    /// Output folder. Default: `spend-audit-<month>` in the current folder. Must not be inside the input.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Config file: workload names, protected workloads, analysis thresholds (see docs/config.md).
    #[arg(long, value_name = "FILE", env = "SPEND_AUDIT_CONFIG")]
    pub config: Option<PathBuf>,

    /// Pricing catalog folder. Default: the catalog built into this binary.
    #[arg(long, value_name = "DIR", env = "SPEND_AUDIT_CATALOG")]
    pub catalog: Option<PathBuf>,

    /// Exit 1 if any input file is skipped or rejected or any row is rejected (outputs are still written).
    #[arg(long)]
    pub strict: bool,

    /// No run summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,

    /// Monthly history store (Parquet, one partition per month). Default:
    /// `spend-audit-history` beside the output folder.
    #[arg(long, value_name = "DIR", env = "SPEND_AUDIT_HISTORY")]
    pub history: Option<PathBuf>,

    /// Keep no history: no month-over-month comparison, finding statuses are `null`.
    #[arg(
        long,
        env = "SPEND_AUDIT_NO_HISTORY",
        conflicts_with = "history",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_history: bool,

    /// What to print on stdout besides writing the output folder.
    #[arg(long, value_enum, default_value_t = OutputFormat::Files)]
    pub format: OutputFormat,

    /// Exit 3 if the month's new findings (all of them without history) save more than this
    /// a month, in the report's currency (for a scheduled run that should page someone).
    /// Outputs are still written.
    #[arg(long, value_name = "AMOUNT")]
    pub fail_on_savings: Option<String>,

    /// A shareable audit: people and API keys become stable pseudonyms in every output
    /// (`--redact=all`: workload, team and account names too). Keyed by
    /// `SPEND_AUDIT_REDACT_KEY` when set.
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "personal", value_name = "WHAT")]
    pub redact: Option<RedactArg>,

    /// Largest decompressed size of one `.gz` input or ZIP member (`4G`, `512M`); a larger
    /// one is rejected by name.
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = crate::ingest::inflate::parse_size)]
    pub max_inflated_size: u64,

    /// Largest decompressed-to-compressed ratio of one input, enforced past 64 MiB (a
    /// decompression bomb guard; real exports inflate 5–30×).
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_inflate_ratio: u64,
}
