//! One integration-test binary (each extra binary is another link of polars).
//!
//! - `demo`: the README's audit on `fixtures/demo`, end to end, with the planted findings.
//! - `bad_input`: truncated, empty, wrongly encoded and header-only files; `--strict`; exit codes.
//! - `parsers`: each format with its real column order and value formats, and the unit traps.
//! - `pricing`: catalog boundaries and resolution.
//! - `reconcile`: property test that billed totals reconcile with the input to the cent.
//! - `cloud`, `admin_api`, `mixed`: cloud bills, FOCUS, API dumps, the public samples, the mixed
//!   fixture folder and the gateway allocation.
//! - `charts`: issue 11 charts (1920×1080 PNG and SVG, no system fonts, honest totals).
//! - `cli`: issue 11 CLI conventions (version, completions, init, --format, exit 3).
//! - `history`: issue 11 monthly history (three months and a re-run; new, open, resolved).
//! - `html`: issue 11 report.html, opened in headless Chromium (no errors, no requests).
//! - `focus_export`: issue 11 FOCUS export (quantities, unit prices, Parquet, metadata).
//! - `exact_money`: issue 10 part A, no charge lost or invented (overflow, ragged rows, ...).
//! - `outputs`: issue 12 atomic, locked output folders (kill test, concurrent runs).
//! - `redact`: issue 12 `--redact` (no email, login or key id in any output).
//! - `fuzz`: issue 12 fuzz harness (ignored; `--ignored fuzz`) and its committed corpus.
//! - `scale`: the request grain of `docs/scale.md`, produced by its DuckDB SQL.

mod common;

mod admin_api;
mod bad_input;
mod charts;
mod cli;
mod cloud;
mod demo;
mod exact_money;
mod expenses;
mod focus_export;
mod fuzz;
mod gateways;
mod history;
mod html;
#[cfg(target_os = "linux")]
mod malformed;
#[cfg(target_os = "linux")]
mod memory;
mod mixed;
mod outputs;
mod overlay;
mod parsers;
mod pricing;
mod reconcile;
mod redact;
mod scale;
mod seats;
