//! Anthropic Admin API dumps: `usage_report/messages` and `cost_report` (research/formats.md
//! §2a, §2b), saved as JSON or JSONL.
//!
//! Traps: cost `amount` is a decimal string in **cents** (`"123.78912"` = $1.2378912);
//! usage `uncached_input_tokens` is **disjoint** from cache reads and writes; cache writes are
//! split by TTL under `cache_creation`. A null `workspace_id` is the default workspace.

use super::json::{count, text, timestamp};
use super::{push_parts, Format, RowError, RowFate, SourceRef};
use crate::ledger::{CacheTtl, ChargeKind, LedgerRow, RecordRole, ServiceTier};
use rust_decimal::Decimal;
use serde_json::Value;

pub struct AnthropicUsageJson;
pub struct AnthropicCostJson;

fn tier(r: &Value) -> Result<ServiceTier, RowError> {
    let raw = text(r, "service_tier").unwrap_or_default();
    ServiceTier::from_export(&raw).ok_or_else(|| {
        RowError::new(
            Some("service_tier"),
            format!("unknown service tier `{raw}`"),
        )
    })
}

fn workspace(r: &Value) -> Option<String> {
    Some(text(r, "workspace_id").unwrap_or_else(|| "default".to_string()))
}

impl Format for AnthropicUsageJson {
    fn id(&self) -> &'static str {
        "anthropic_usage_json"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn is_json(&self) -> bool {
        true
    }
    fn matches_json(&self, result: &Value) -> bool {
        result.get("uncached_input_tokens").is_some()
    }

    fn parse_json(
        &self,
        bucket: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = timestamp(bucket, "starting_at")?;
        let end = timestamp(bucket, "ending_at").unwrap_or(start + 86_400_000);
        let mut base = LedgerRow::new(
            "anthropic",
            RecordRole::Usage,
            ChargeKind::Input,
            start,
            end,
            src.file,
            src.line,
        );
        base.model_raw = text(r, "model");
        base.sub_account = workspace(r);
        base.api_key = text(r, "api_key_id");
        base.service_tier = tier(r)?;
        base.region = text(r, "inference_geo").filter(|g| g != "not_available");
        base.region_class = super::anthropic_usage::region_class_of_geo(base.region.as_deref());
        let creation = r.get("cache_creation").cloned().unwrap_or(Value::Null);
        let parts = [
            (ChargeKind::Input, None, count(r, "uncached_input_tokens")?),
            (
                ChargeKind::CachedInput,
                None,
                count(r, "cache_read_input_tokens")?,
            ),
            (
                ChargeKind::CacheWrite,
                Some(CacheTtl::FiveMinutes),
                count(&creation, "ephemeral_5m_input_tokens")?,
            ),
            (
                ChargeKind::CacheWrite,
                Some(CacheTtl::OneHour),
                count(&creation, "ephemeral_1h_input_tokens")?,
            ),
            (ChargeKind::Output, None, count(r, "output_tokens")?),
        ];
        push_parts(
            &base,
            parts.map(|(kind, ttl, qty)| (kind, ttl, qty, "tokens")),
            out,
        );
        // Server-side web searches are billed per call on top of the tokens.
        let tools = r.get("server_tool_use").cloned().unwrap_or(Value::Null);
        push_parts(
            &base,
            [(
                ChargeKind::WebSearch,
                None,
                count(&tools, "web_search_requests")?,
                "calls",
            )],
            out,
        );
        Ok(RowFate::Ledger)
    }
}

impl Format for AnthropicCostJson {
    fn id(&self) -> &'static str {
        "anthropic_cost_json"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn is_json(&self) -> bool {
        true
    }
    fn matches_json(&self, result: &Value) -> bool {
        result.get("amount").is_some_and(Value::is_string) && result.get("currency").is_some()
    }

    fn parse_json(
        &self,
        bucket: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = timestamp(bucket, "starting_at")?;
        let end = timestamp(bucket, "ending_at").unwrap_or(start + 86_400_000);
        let raw = text(r, "amount")
            .ok_or_else(|| RowError::new(Some("amount"), "missing field `amount`"))?;
        // Cents, as a decimal string: divide by 100 exactly before converting.
        let nanos = crate::money::parse_decimal(&raw)
            .and_then(|cents| crate::money::decimal_to_nanos(cents / Decimal::from(100)))
            .ok_or_else(|| {
                RowError::new(
                    Some("amount"),
                    format!("`{raw}` in field `amount` is not an amount in cents"),
                )
            })?;
        let (kind, ttl) = match text(r, "token_type").as_deref() {
            Some("uncached_input_tokens") => (ChargeKind::Input, None),
            Some("output_tokens") => (ChargeKind::Output, None),
            Some("cache_read_input_tokens") => (ChargeKind::CachedInput, None),
            Some("cache_creation.ephemeral_5m_input_tokens") => {
                (ChargeKind::CacheWrite, Some(CacheTtl::FiveMinutes))
            }
            Some("cache_creation.ephemeral_1h_input_tokens") => {
                (ChargeKind::CacheWrite, Some(CacheTtl::OneHour))
            }
            _ => (
                super::anthropic_cost::tool_kind(text(r, "cost_type").as_deref())
                    .unwrap_or(ChargeKind::Other),
                None,
            ),
        };
        let mut row = LedgerRow::new(
            "anthropic",
            RecordRole::Billed,
            kind,
            start,
            end,
            src.file,
            src.line,
        );
        row.billed_cost_nano = Some(nanos);
        row.currency = text(r, "currency")
            .unwrap_or_else(|| "USD".into())
            .to_ascii_uppercase();
        // `model` is set when grouped; otherwise the description names it (`Claude Haiku 4.5 Usage - …`).
        row.model_raw = text(r, "model").or_else(|| {
            text(r, "description").and_then(|d| d.split_once(" Usage").map(|(m, _)| m.to_string()))
        });
        row.sub_account = workspace(r);
        row.service_tier = tier(r)?;
        row.cache_ttl = ttl;
        row.unit = "none";
        out.push(row);
        Ok(RowFate::Ledger)
    }
}
