//! The request grain: a per-request log already aggregated elsewhere (a warehouse, DuckDB).
//!
//! A company whose gateway logs live in a warehouse runs the heavy part there: the SQL in
//! `docs/scale.md` folds a `SpendLogs` table into this grain, and the resulting Parquet file is
//! ingested here like the log itself would be. It is the same grain the columnar request-log
//! path folds a CSV into ([`super::request_log`]), with public column names:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `hour_start_ms` | int64 | the UTC hour of the requests, epoch milliseconds |
//! | `provider` | string | the log's provider spelling (`custom_llm_provider`: `openai`, `bedrock`, …) |
//! | `team`, `api_key`, `model`, `tags`, `api_base` | string? | attribution and endpoint, as the log has them (`model` required) |
//! | `request_prompt_tokens`, `request_output_tokens` | int64/double | the per-request prompt and output size shared by the group's requests |
//! | `requests` | int64 | requests in the group (at least 1) |
//! | `input_tokens`, `cached_input_tokens`, `output_tokens` | int64/double | token sums: uncached input, cache reads, output |
//! | `reported_cost_nano`, `reported_requests` | int64? | sum of the log's own cost estimate in nano-dollars, and how many requests had one |
//! | `first_start_ms`, `last_end_ms` | int64 | earliest request start and latest end, epoch ms |
//!
//! Grouping by the per-request sizes keeps p50/p95 evidence and the long-context cliffs exact:
//! every request of a group has the same prompt size, so the pricer decides the cliff for the
//! group as it would for each request. Like the log, the grain is gateway data: quantities and
//! attribution, never billed money.

use super::request_log::{self, RequestLog};
use super::{Format, InputRecord, Reject, StrTable};
use crate::ledger::{LedgerRow, RecordRole};
use anyhow::{Context, Result};
use polars::prelude::*;
use std::path::Path;

pub struct RequestGrainParquet;

/// Columns the grain must have; `team`, `api_key`, `tags`, `api_base`, `reported_cost_nano`
/// and `reported_requests` are optional (null when absent).
const REQUIRED: &[&str] = &[
    "hour_start_ms",
    "provider",
    "model",
    "request_prompt_tokens",
    "request_output_tokens",
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "first_start_ms",
    "last_end_ms",
];

impl Format for RequestGrainParquet {
    fn id(&self) -> &'static str {
        "request_grain_parquet"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Gateway
    }
    fn required_columns(&self) -> &'static [&'static str] {
        REQUIRED
    }
    fn frame_reader(&self) -> Option<super::FrameReader> {
        Some(super::FrameReader::RequestGrain)
    }
}

/// The grain's provider and endpoint mapping is the gateway log's.
fn mapping() -> &'static dyn RequestLog {
    &super::litellm_spend::LiteLlmSpendCsv
}

/// Reads a request-grain Parquet file into gateway ledger lines. Rows that break the grain's
/// rules are rejected with their row number and column; the rest are ingested.
pub fn ingest(
    path: &Path,
    header: &[String],
    rel: &str,
    long_context: &[u64],
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
    sink: &mut dyn FnMut(LedgerRow),
) -> Result<()> {
    let lower = |c: &str| header.iter().find(|h| h.to_ascii_lowercase() == c);
    let column = |c: &str, dtype: DataType| match lower(c) {
        Some(h) => col(h.as_str()).strict_cast(dtype),
        None => lit(NULL).cast(dtype),
    };
    let text = |c: &str| column(c, DataType::String);
    let int = |c: &str| column(c, DataType::Int64);
    let float = |c: &str| column(c, DataType::Float64);
    // Each rule, the column it names and what to fix: checked in polars, reported per row.
    let rules: Vec<(Expr, &str, &str)> = vec![
        (
            int("requests").gt_eq(lit(1i64)),
            "requests",
            "a group has at least one request",
        ),
        (
            text("model").is_not_null(),
            "model",
            "the model is required",
        ),
        (
            int("hour_start_ms").is_not_null(),
            "hour_start_ms",
            "the hour is required",
        ),
        (
            int("first_start_ms").is_not_null(),
            "first_start_ms",
            "the first request start is required",
        ),
        (
            int("last_end_ms").is_not_null(),
            "last_end_ms",
            "the last request end is required",
        ),
        (
            float("request_prompt_tokens")
                .gt_eq(lit(0.0))
                .and(float("request_output_tokens").gt_eq(lit(0.0))),
            "request_prompt_tokens",
            "per-request sizes are non-negative numbers",
        ),
        (
            float("input_tokens")
                .gt_eq(lit(0.0))
                .and(float("cached_input_tokens").gt_eq(lit(0.0)))
                .and(float("output_tokens").gt_eq(lit(0.0))),
            "input_tokens",
            "token sums are non-negative numbers",
        ),
    ];
    let ok = request_log::expr::all(rules.iter().map(|(e, _, _)| e.clone()).collect());
    let lf = StrTable::lazy_parquet(path)
        .with_context(|| format!("could not open `{rel}` as Parquet"))?
        .with_row_index("__row", None);
    let band = request_log::band_expr(float("request_prompt_tokens"), long_context);
    let grain = lf
        .clone()
        .select([
            when(ok.clone())
                .then(lit(NULL).cast(DataType::UInt32))
                .otherwise(col("__row"))
                .alias("__bad"),
            int("hour_start_ms")
                .floor_div(lit(3_600_000i64))
                .alias("__hour"),
            text("provider").alias(request_log::cols::PROVIDER),
            text("team").alias(request_log::cols::TEAM),
            text("api_key").alias(request_log::cols::KEY),
            text("model").alias(request_log::cols::MODEL),
            text("tags").alias(request_log::cols::TAGS),
            text("api_base").alias(request_log::cols::API_BASE),
            band,
            float("request_output_tokens").alias("__out_b"),
            float("request_prompt_tokens").alias("__in_b"),
            int("requests").alias("__n"),
            float("input_tokens").alias("__sin"),
            float("cached_input_tokens").alias("__scached"),
            float("output_tokens").alias("__sout"),
            float("request_prompt_tokens").alias("__pmax"),
            int("reported_cost_nano").alias("__srep"),
            // Without a count, every request of a group with a reported cost had one.
            when(int("reported_cost_nano").is_null())
                .then(lit(0i64))
                .otherwise(int("reported_requests").fill_null(int("requests")))
                .alias("__nrep"),
            int("first_start_ms").alias("__smin"),
            int("last_end_ms").alias("__emax"),
            col("__row").alias("__imin"),
            when(float("request_output_tokens").gt(lit(0.0)))
                .then(int("requests"))
                .otherwise(lit(0i64))
                .alias("__nout"),
        ])
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "could not read `{rel}` as the request grain (docs/scale.md gives its columns and types)"
            )
        })?;
    let mut bad: Vec<(u32, &str, &str)> = Vec::new();
    let checks = lf.filter(ok.clone().not()).select(
        std::iter::once(col("__row"))
            .chain(
                rules
                    .iter()
                    .enumerate()
                    .map(|(i, (e, _, _))| e.clone().fill_null(lit(false)).alias(format!("__r{i}"))),
            )
            .collect::<Vec<_>>(),
    );
    let failed = checks
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("could not check the rows of `{rel}`"))?;
    let rows = failed.column("__row")?.u32()?.clone();
    for (i, (_, column, why)) in rules.iter().enumerate() {
        let passed = failed.column(&format!("__r{i}"))?.bool()?.clone();
        for (row, pass) in rows.iter().zip(passed.iter()) {
            if let (Some(row), Some(false)) = (row, pass) {
                bad.push((row, column, why));
            }
        }
    }
    // Parquet has no lines: a group's line is its (1-based) row number.
    let folded = request_log::grain_of(grain.clone().lazy())
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("could not aggregate `{rel}`"))?;
    request_log::emit_groups(mapping(), &folded, rel, true, 1, sink)?;
    // One reject per row, naming the first rule it breaks.
    bad.sort_by_key(|b| b.0);
    bad.dedup_by_key(|b| b.0);
    record.rows += grain.height() as u64;
    for (row, column, why) in bad {
        record.rejected_rows += 1;
        rejects.push(Reject {
            file: rel.to_string(),
            line: row + 1,
            column: Some(column.to_string()),
            reason: format!("{why}; fix row {} of the grain and run again", row + 1),
        });
    }
    Ok(())
}
