//! OpenAI dashboard usage export (`completions_usage_<from>_<to>.csv`).
//!
//! Columns (research/formats.md §1c): `start_time,end_time,start_time_iso,end_time_iso,
//! project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,
//! output_tokens,input_cached_tokens,input_uncached_tokens,…`. Counts are written as floats.
//!
//! Trap: `input_tokens` **includes** cached and cache-write tokens. The uncached input is
//! `input_tokens - input_cached_tokens - input_cache_write_tokens`; pricing `input_tokens` at the
//! full input rate would overcharge every cached token.

use super::{push_parts, Format, Part, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole, ServiceTier};

pub struct OpenAiUsageCsv;

/// The ledger parts of one OpenAI usage record (CSV export or Admin API): the uncached input is
/// what remains of `input_tokens` after cached and cache-write tokens.
pub(super) fn usage_parts(
    input: f64,
    cached: f64,
    cache_write: f64,
    output: f64,
    requests: f64,
) -> Result<[Part; 5], RowError> {
    if cached + cache_write > input {
        return Err(RowError::new(
            Some("input_cached_tokens"),
            format!(
                "cached ({cached}) plus cache-write ({cache_write}) tokens exceed `input_tokens` ({input}); OpenAI's input count includes them"
            ),
        ));
    }
    Ok([
        (
            ChargeKind::Input,
            None,
            input - cached - cache_write,
            "tokens",
        ),
        (ChargeKind::CachedInput, None, cached, "tokens"),
        (ChargeKind::CacheWrite, None, cache_write, "tokens"),
        (ChargeKind::Output, None, output, "tokens"),
        (ChargeKind::Request, None, requests, "requests"),
    ])
}

impl Format for OpenAiUsageCsv {
    fn id(&self) -> &'static str {
        "openai_usage_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &[
            "start_time",
            "end_time",
            "num_model_requests",
            "input_tokens",
            "output_tokens",
        ]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "start_time",
            "end_time",
            "project_id",
            "num_model_requests",
            "user_id",
            "api_key_id",
            "model",
            "batch",
            "service_tier",
            "input_tokens",
            "output_tokens",
            "input_cached_tokens",
            "input_cache_write_tokens",
            "organization_id",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = row.timestamp("start_time")?;
        let end = row.timestamp("end_time")?;
        let input = row.count("input_tokens")?;
        let cached = row.count("input_cached_tokens")?;
        let cache_write = row.count("input_cache_write_tokens")?;
        let output = row.count("output_tokens")?;
        let requests = row.count("num_model_requests")?;
        let tier = if row.bool("batch")? {
            ServiceTier::Batch
        } else {
            let raw = row.get("service_tier").unwrap_or("default");
            ServiceTier::from_export(raw).ok_or_else(|| {
                RowError::new(
                    Some("service_tier"),
                    format!("unknown service tier `{raw}`"),
                )
            })?
        };
        let base = {
            let mut r = LedgerRow::new(
                "openai",
                RecordRole::Usage,
                ChargeKind::Input,
                start,
                end,
                src.file,
                src.line,
            );
            r.billing_account = row.text("organization_id");
            r.sub_account = row.text("project_id");
            r.api_key = row.text("api_key_id");
            r.model_raw = row.text("model");
            r.service_tier = tier;
            r
        };
        push_parts(
            &base,
            usage_parts(input, cached, cache_write, output, requests)?,
            out,
        );
        Ok(RowFate::Ledger)
    }
}
