//! Claude Console usage export.
//!
//! Columns (research/formats.md §2c): `usage_date_utc, model_version, api_key, workspace,
//! usage_type, context_window, usage_input_tokens_no_cache, usage_input_tokens_cache_write_5m,
//! usage_input_tokens_cache_write_1h, usage_input_tokens_cache_read, usage_output_tokens,
//! web_search_count, inference_geo, speed`. Older exports have one `…_cache_write` column.
//!
//! Unlike OpenAI, the uncached input count is **disjoint** from cache reads and writes, so each
//! column is its own charge kind as is; `web_search_count` is a per-call charge of its own. The
//! export has no request count.

use super::{push_parts, Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{CacheTtl, ChargeKind, LedgerRow, RecordRole, ServiceTier};

pub struct AnthropicUsageCsv;

/// `Default` is the default workspace; keep it, it is what the Console shows.
pub(super) fn tier_of(row: &RowView, column: &str) -> Result<ServiceTier, RowError> {
    let raw = row.get(column).unwrap_or("standard");
    ServiceTier::from_export(raw)
        .ok_or_else(|| RowError::new(Some(column), format!("unknown service tier `{raw}`")))
}

pub(super) fn geo_of(row: &RowView) -> Option<String> {
    row.get("inference_geo")
        .filter(|g| !g.eq_ignore_ascii_case("not_available"))
        .map(str::to_string)
}

/// The catalog region class an Anthropic inference geo selects: `us` is US-only data residency
/// (priced 1.1× on the models that offer it); `global` is list price.
pub(super) fn region_class_of_geo(geo: Option<&str>) -> Option<&'static str> {
    match geo.map(str::to_ascii_lowercase).as_deref() {
        Some("us") => Some("us-only"),
        Some("global") => Some("global"),
        _ => None,
    }
}

impl Format for AnthropicUsageCsv {
    fn id(&self) -> &'static str {
        "anthropic_usage_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["usage_date_utc", "model_version", "usage_output_tokens"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "usage_date_utc",
            "model_version",
            "api_key",
            "workspace",
            "usage_type",
            "context_window",
            "usage_input_tokens_no_cache",
            "usage_input_tokens_cache_write_5m",
            "usage_input_tokens_cache_write_1h",
            "usage_input_tokens_cache_write",
            "usage_input_tokens_cache_read",
            "usage_output_tokens",
            "web_search_count",
            "inference_geo",
            "speed",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = row.timestamp("usage_date_utc")?;
        // A date-only value is a day bucket; a datetime is an hourly bucket.
        let hourly = row.get("usage_date_utc").is_some_and(|v| v.len() > 10);
        let end = start + if hourly { 3_600_000 } else { 86_400_000 };
        let mut base = LedgerRow::new(
            "anthropic",
            RecordRole::Usage,
            ChargeKind::Input,
            start,
            end,
            src.file,
            src.line,
        );
        base.model_raw = Some(row.required("model_version")?.to_string());
        base.sub_account = row.text("workspace");
        base.api_key = row.text("api_key");
        base.service_tier = tier_of(row, "usage_type")?;
        base.region = geo_of(row);
        base.region_class = region_class_of_geo(base.region.as_deref());
        let parts = [
            (
                ChargeKind::Input,
                None,
                row.count("usage_input_tokens_no_cache")?,
            ),
            (
                ChargeKind::CachedInput,
                None,
                row.count("usage_input_tokens_cache_read")?,
            ),
            (
                ChargeKind::CacheWrite,
                Some(CacheTtl::FiveMinutes),
                row.count("usage_input_tokens_cache_write_5m")?,
            ),
            (
                ChargeKind::CacheWrite,
                Some(CacheTtl::OneHour),
                row.count("usage_input_tokens_cache_write_1h")?,
            ),
            // Older exports: one undifferentiated cache-write column, priced as 5-minute writes.
            (
                ChargeKind::CacheWrite,
                Some(CacheTtl::FiveMinutes),
                row.count("usage_input_tokens_cache_write")?,
            ),
            (ChargeKind::Output, None, row.count("usage_output_tokens")?),
        ];
        push_parts(
            &base,
            parts.map(|(kind, ttl, qty)| (kind, ttl, qty, "tokens")),
            out,
        );
        // Server-side web searches are billed per call on top of the tokens.
        push_parts(
            &base,
            [(
                ChargeKind::WebSearch,
                None,
                row.count("web_search_count")?,
                "calls",
            )],
            out,
        );
        Ok(RowFate::Ledger)
    }
}
