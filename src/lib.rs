//! spend-audit: audit a month of AI spend exports.
//!
//! Pipeline stages, one module each: [`cli`] → [`settings`] → [`ingest`] (one file per export
//! format) → [`ledger`] (the canonical schema) → [`pricing`] (the versioned catalog) →
//! [`analysis`] (one file per analysis) → [`report`] (one renderer per format) and [`charts`].
//! [`history`] keeps each month's aggregates and findings for month-over-month comparison.
//! [`redact`] replaces personal data with pseudonyms for `--redact`. [`outdir`] puts each run's outputs in place as one set, under a lock.
//! [`audit`] wires them together; `main.rs` only parses arguments and maps the exit code.

pub mod analysis;
pub mod audit;
pub mod charts;
pub mod cli;
pub mod history;
pub mod ingest;
pub mod ledger;
pub mod money;
pub mod outdir;
pub mod pricing;
pub mod progress;
pub mod redact;
pub mod report;
pub mod settings;
pub mod util;
