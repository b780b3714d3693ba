//! Command-line definition (clap derive only, no logic).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  the audit ran and its outputs were written
  1  --strict: the outputs were written, but some input was skipped or rejected
  2  error: bad arguments, unreadable input folder or catalog, outputs not written";

/// Audit a month of AI spend: normalise the exports, price them against a versioned catalog,
/// and find savings from consolidation, tier downshifts and idle capacity.
#[derive(Debug, Parser)]
#[command(name = "spend-audit", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a folder of exports (recursively, as downloaded) and write the audit.
    #[command(after_help = EXIT_CODES)]
    Ingest(IngestArgs),
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Folder holding the month's exports; files are recognised by content, not name.
    pub input: PathBuf,

    /// Month to audit, `YYYY-MM`. Default: the latest complete month in the billing data.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,

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
}
