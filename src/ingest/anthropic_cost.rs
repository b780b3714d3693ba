//! Claude Console cost export.
//!
//! Columns (research/formats.md §2c): `usage_date_utc, model, workspace, api_key, usage_type,
//! context_window, token_type, cost_usd, list_price_usd, cost_type, inference_geo, speed,
//! api_key_id, api_key_status`. `model` is a **display name** (`Claude Haiku 4.5`); `cost_usd`
//! and `list_price_usd` are **dollars** (the Admin API's `amount` is cents; this CSV is not).
//! `list_price_usd` is kept as the source's own list figure, never added to billed spend.

use super::anthropic_usage::{geo_of, tier_of};
use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{CacheTtl, ChargeKind, LedgerRow, RecordRole};

pub struct AnthropicCostCsv;

/// The tool charges a `cost_type` names (`web_search`, `code_execution`); token and session
/// costs are read from the token type instead.
pub(super) fn tool_kind(cost_type: Option<&str>) -> Option<ChargeKind> {
    match cost_type?.to_ascii_lowercase().as_str() {
        "web_search" => Some(ChargeKind::WebSearch),
        "code_execution" => Some(ChargeKind::CodeExecution),
        _ => None,
    }
}

fn kind_of(token_type: Option<&str>, cost_type: Option<&str>) -> (ChargeKind, Option<CacheTtl>) {
    if let Some(kind) = tool_kind(cost_type) {
        return (kind, None);
    }
    if cost_type
        .is_some_and(|c| !c.eq_ignore_ascii_case("token") && !c.eq_ignore_ascii_case("tokens"))
    {
        return (ChargeKind::Other, None);
    }
    match token_type.map(str::to_ascii_lowercase).as_deref() {
        Some("input_no_cache") | Some("uncached_input_tokens") => (ChargeKind::Input, None),
        Some("input_cache_read") | Some("cache_read_input_tokens") => {
            (ChargeKind::CachedInput, None)
        }
        Some("input_cache_write_1h") | Some("cache_creation.ephemeral_1h_input_tokens") => {
            (ChargeKind::CacheWrite, Some(CacheTtl::OneHour))
        }
        Some(t) if t.starts_with("input_cache_write") || t.starts_with("cache_creation") => {
            (ChargeKind::CacheWrite, Some(CacheTtl::FiveMinutes))
        }
        Some("output") | Some("output_tokens") => (ChargeKind::Output, None),
        _ => (ChargeKind::Other, None),
    }
}

impl Format for AnthropicCostCsv {
    fn id(&self) -> &'static str {
        "anthropic_cost_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["usage_date_utc", "token_type", "cost_usd"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "usage_date_utc",
            "model",
            "workspace",
            "api_key",
            "usage_type",
            "context_window",
            "token_type",
            "cost_usd",
            "list_price_usd",
            "cost_type",
            "inference_geo",
            "speed",
            "api_key_id",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = row.timestamp("usage_date_utc")?;
        let (kind, ttl) = kind_of(row.get("token_type"), row.get("cost_type"));
        let mut r = LedgerRow::new(
            "anthropic",
            RecordRole::Billed,
            kind,
            start,
            start + 86_400_000,
            src.file,
            src.line,
        );
        r.billed_cost_nano = Some(row.money("cost_usd")?);
        r.source_reported_cost_nano = row.money_opt("list_price_usd")?;
        r.model_raw = row.text("model");
        r.sub_account = row.text("workspace");
        r.api_key = row.text("api_key").or_else(|| row.text("api_key_id"));
        r.service_tier = tier_of(row, "usage_type")?;
        r.region = geo_of(row);
        r.cache_ttl = ttl;
        r.unit = "none";
        out.push(r);
        Ok(RowFate::Ledger)
    }
}
