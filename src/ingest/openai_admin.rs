//! OpenAI Admin API dumps: `GET /v1/organization/usage/completions` and `GET /v1/organization/costs`
//! (research/formats.md §1a, §1b), saved as JSON or JSONL.
//!
//! Traps: cost `amount.value` is in **dollars**; usage `input_tokens` **includes**
//! `input_cached_tokens` and `input_cache_write_tokens`. Null grouping keys mean "not grouped" and
//! are kept as unattributed, not rejected.

use super::json::{count, text, timestamp};
use super::meters::set_billed_quantity;
use super::openai_cost::parse_line_item;
use super::openai_usage::{usage_parts, Media};
use super::{push_parts, Format, RowError, RowFate, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole, ServiceTier};
use serde_json::Value;

pub struct OpenAiUsageJson;
pub struct OpenAiCostJson;

fn object_is(result: &Value, name: &str) -> bool {
    result.get("object").and_then(Value::as_str) == Some(name)
}

impl Format for OpenAiUsageJson {
    fn id(&self) -> &'static str {
        "openai_usage_json"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn is_json(&self) -> bool {
        true
    }
    fn matches_json(&self, result: &Value) -> bool {
        object_is(result, "organization.usage.completions.result")
    }

    fn parse_json(
        &self,
        bucket: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = timestamp(bucket, "start_time")?;
        let end = timestamp(bucket, "end_time").unwrap_or(start + 86_400_000);
        let input = count(r, "input_tokens")?;
        let cached = count(r, "input_cached_tokens")?;
        let cache_write = count(r, "input_cache_write_tokens")?;
        let mut base = LedgerRow::new(
            "openai",
            RecordRole::Usage,
            ChargeKind::Input,
            start,
            end,
            src.file,
            src.line,
        );
        base.sub_account = text(r, "project_id");
        base.api_key = text(r, "api_key_id");
        base.model_raw = text(r, "model");
        base.service_tier = if r.get("batch").and_then(Value::as_bool) == Some(true) {
            ServiceTier::Batch
        } else {
            let raw = text(r, "service_tier").unwrap_or_default();
            ServiceTier::from_export(&raw).ok_or_else(|| {
                RowError::new(
                    Some("service_tier"),
                    format!("unknown service tier `{raw}`"),
                )
            })?
        };
        let parts = usage_parts(
            input,
            cached,
            cache_write,
            count(r, "output_tokens")?,
            count(r, "num_model_requests")?,
            Media::read(|k| count(r, k))?,
        )?;
        push_parts(&base, parts, out);
        Ok(RowFate::Ledger)
    }
}

impl Format for OpenAiCostJson {
    fn id(&self) -> &'static str {
        "openai_cost_json"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn is_json(&self) -> bool {
        true
    }
    fn matches_json(&self, result: &Value) -> bool {
        object_is(result, "organization.costs.result")
    }

    fn parse_json(
        &self,
        bucket: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = timestamp(bucket, "start_time")?;
        let end = timestamp(bucket, "end_time").unwrap_or(start + 86_400_000);
        let amount = r
            .get("amount")
            .ok_or_else(|| RowError::new(Some("amount"), "missing field `amount`"))?;
        // Dollars, as a JSON number; keep its exact decimal text.
        let value = match amount.get("value") {
            Some(Value::Number(n)) => crate::money::parse_nanos(&n.to_string()),
            Some(Value::String(s)) => crate::money::parse_nanos(s),
            _ => None,
        }
        .ok_or_else(|| {
            RowError::new(Some("amount.value"), "missing or unreadable `amount.value`")
        })?;
        let item = parse_line_item(&text(r, "line_item").unwrap_or_default());
        let mut row = LedgerRow::new(
            "openai",
            RecordRole::Billed,
            item.kind,
            start,
            end,
            src.file,
            src.line,
        );
        row.billed_cost_nano = Some(value);
        row.currency = text(amount, "currency")
            .unwrap_or_else(|| "usd".into())
            .to_ascii_uppercase();
        row.sub_account = text(r, "project_id");
        row.api_key = text(r, "api_key_id");
        row.model_raw = item.model;
        row.service_tier = item.tier;
        let qty = count(r, "quantity")?;
        let (qty, unit) = match text(r, "quantity_unit").as_deref() {
            Some("tokens") => (qty, "tokens"),
            Some("1000_tokens") => (qty * 1000.0, "tokens"),
            _ => (0.0, "none"),
        };
        set_billed_quantity(&mut row, qty, unit);
        out.push(row);
        Ok(RowFate::Ledger)
    }
}
