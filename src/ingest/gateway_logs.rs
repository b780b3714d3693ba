//! Gateway and observability logs beyond the LiteLLM spend table: LiteLLM's
//! `StandardLoggingPayload` (JSONL, as callbacks write it) and daily spend tables, Helicone
//! exports (CSV from `@helicone/export`, and the `HeliconeRequest` JSON/JSONL), and Langfuse
//! observation exports (CSV, ClickHouse column names).
//!
//! Like every gateway log these carry quantities and attribution only; their own cost figure
//! (`response_cost`, `cost`, `costUSD`) is kept as `source_reported_cost_nano` and never added
//! to billed spend. LiteLLM's `prompt_tokens` includes cached tokens (OpenAI convention).
//! Whether Helicone's `prompt_tokens` includes `prompt_cache_read_tokens` is unconfirmed; the
//! cached count is split out only when it fits inside `prompt_tokens`. A Helicone CSV has no
//! provider column: the provider is then taken from the catalog vendor of the model.
//!
//! The Helicone CSV is also a [`RequestLog`]: a large export is aggregated as it is read
//! (`request_log.rs`), with the same lines as its row parser (a property test checks this).

use super::azure_cost::workload_tag;
use super::json::{count, text, timestamp};
use super::litellm_spend::provider_of;
use super::request_log::{cols, expr, RequestLog};
use super::{push_parts, Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole};
use polars::prelude::{lit, DataType, Expr, NULL};
use serde_json::Value;

pub struct LiteLlmPayloadJsonl;

/// The Helicone CSV columns read (`provider` is not in the CLI export but is read if present).
const HELICONE_COLUMNS: &[&str] = &[
    "response_id",
    "request_created_at",
    "request_properties",
    "request_user_id",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "provider",
];
pub struct HeliconeCsv;
pub struct HeliconeJson;

fn reported(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => crate::money::parse_nanos(&n.to_string()),
        Value::String(s) => crate::money::parse_nanos(s),
        _ => None,
    }
}

/// Input (uncached), cached input, output and one request, with the source's own cost on the
/// request line only so sums stay right.
fn gateway_rows(
    mut base: LedgerRow,
    prompt: f64,
    cached: f64,
    completion: f64,
    cost: Option<i64>,
    out: &mut Vec<LedgerRow>,
) {
    let cached = cached.min(prompt);
    base.prompt_tokens = Some(prompt);
    push_parts(
        &base,
        [
            (ChargeKind::Input, None, prompt - cached, "tokens"),
            (ChargeKind::CachedInput, None, cached, "tokens"),
            (ChargeKind::Output, None, completion, "tokens"),
        ],
        out,
    );
    let mut request = base;
    request.charge_kind = ChargeKind::Request;
    request.quantity = 1.0;
    request.unit = "requests";
    request.source_reported_cost_nano = cost;
    out.push(request);
}

impl Format for LiteLlmPayloadJsonl {
    fn id(&self) -> &'static str {
        "litellm_payload_jsonl"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Gateway
    }
    fn is_json(&self) -> bool {
        true
    }
    fn matches_json(&self, r: &Value) -> bool {
        r.get("response_cost").is_some()
            && r.get("prompt_tokens").is_some()
            && r.get("startTime").is_some()
    }

    fn parse_json(
        &self,
        _: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = timestamp(r, "startTime")?;
        let end = timestamp(r, "endTime").unwrap_or(start).max(start);
        let provider = provider_of(&text(r, "custom_llm_provider").unwrap_or_default());
        let mut base = LedgerRow::new(
            provider,
            RecordRole::Gateway,
            ChargeKind::Request,
            start,
            end,
            src.file,
            src.line,
        );
        base.model_raw = Some(
            text(r, "model")
                .ok_or_else(|| RowError::new(Some("model"), "missing field `model`"))?,
        );
        let meta = r.get("metadata").cloned().unwrap_or(Value::Null);
        // The model LiteLLM priced the deployment as: a `base_model` in its metadata, else
        // the key it looked up in its price map.
        base.model_base = super::litellm_spend::base_model(&meta)
            .or_else(|| text(&r["model_map_information"], "model_map_key"));
        base.model_group = text(r, "model_group");
        base.sub_account =
            text(&meta, "user_api_key_team_alias").or_else(|| text(&meta, "user_api_key_team_id"));
        base.api_key =
            text(&meta, "user_api_key_alias").or_else(|| text(&meta, "user_api_key_hash"));
        base.tags = r
            .get("request_tags")
            .filter(|t| t.is_array())
            .map(Value::to_string);
        base.resource = super::meters::serving_resource(
            r.get("api_base").and_then(Value::as_str),
            r.get("model").and_then(Value::as_str),
        );
        let usage = r["hidden_params"]["usage_object"].clone();
        let cached = usage["prompt_tokens_details"]["cached_tokens"]
            .as_f64()
            .unwrap_or(0.0);
        gateway_rows(
            base,
            count(r, "prompt_tokens")?,
            cached,
            count(r, "completion_tokens")?,
            reported(r.get("response_cost")),
            out,
        );
        Ok(RowFate::Ledger)
    }
}

/// The same reading as [`HeliconeCsv::parse_row`], as column expressions: a large Helicone
/// export is aggregated as it is read, like a LiteLLM spend log.
impl RequestLog for HeliconeCsv {
    fn text_columns(&self) -> &'static [&'static str] {
        // Every column the row parser reads but the response id.
        &HELICONE_COLUMNS[1..]
    }

    fn request_stages(&self) -> Vec<Vec<Expr>> {
        let start = expr::timestamp_ms("start", expr::text("request_created_at"));
        let prompt = expr::count("prompt", expr::text("prompt_tokens"));
        let completion = expr::count("completion", expr::text("completion_tokens"));
        let reported = expr::money("cost", expr::text("cost"));
        let mut parts = Vec::new();
        for s in [&start, &prompt, &completion, &reported] {
            parts.extend(s.parts.iter().cloned());
        }
        let none = || lit(NULL).cast(DataType::String);
        let model = expr::text("model");
        let last = vec![
            start.value.clone().alias(cols::START),
            start.value.alias(cols::END),
            expr::text("provider").alias(cols::PROVIDER),
            none().alias(cols::TEAM),
            expr::text("request_user_id").alias(cols::KEY),
            model.clone().alias(cols::MODEL),
            expr::text("request_properties").alias(cols::TAGS),
            none().alias(cols::API_BASE),
            prompt.value.clone().alias(cols::INPUT),
            lit(0.0).alias(cols::CACHED),
            completion.value.alias(cols::OUTPUT),
            prompt.value.alias(cols::PROMPT),
            reported.value.alias(cols::REPORTED),
            expr::all(vec![
                start.ok,
                prompt.ok,
                completion.ok,
                reported.ok,
                model.is_not_null(),
            ])
            .alias(cols::OK),
        ];
        vec![parts, last]
    }

    fn provider(&self, raw: Option<&str>) -> &'static str {
        provider_of(raw.unwrap_or(""))
    }

    fn resource(&self, _: Option<&str>, _: Option<&str>) -> Option<String> {
        None
    }

    fn workload(&self, tags: Option<&str>) -> Option<String> {
        workload_tag(tags)
    }
}

impl Format for HeliconeCsv {
    fn id(&self) -> &'static str {
        "helicone_csv"
    }
    fn request_log(&self) -> Option<&dyn RequestLog> {
        Some(self)
    }
    fn role(&self) -> RecordRole {
        RecordRole::Gateway
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &[
            "response_id",
            "request_created_at",
            "prompt_tokens",
            "completion_tokens",
            "model",
        ]
    }
    fn columns(&self) -> &'static [&'static str] {
        HELICONE_COLUMNS
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let t = row.timestamp("request_created_at")?;
        // The CLI export has no provider column; the model's catalog vendor is known later, so
        // keep `other` unless the row says.
        let provider = provider_of(row.get("provider").unwrap_or(""));
        let mut base = LedgerRow::new(
            provider,
            RecordRole::Gateway,
            ChargeKind::Request,
            t,
            t,
            src.file,
            src.line,
        );
        base.model_raw = Some(row.required("model")?.to_string());
        base.api_key = row.text("request_user_id");
        base.tags = row.text("request_properties");
        base.workload = workload_tag(base.tags.as_deref());
        gateway_rows(
            base,
            row.count("prompt_tokens")?,
            0.0,
            row.count("completion_tokens")?,
            row.money_opt("cost")?,
            out,
        );
        Ok(RowFate::Ledger)
    }
}

impl Format for HeliconeJson {
    fn id(&self) -> &'static str {
        "helicone_json"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Gateway
    }
    fn is_json(&self) -> bool {
        true
    }
    fn matches_json(&self, r: &Value) -> bool {
        r.get("request_id").is_some()
            && r.get("request_created_at").is_some()
            && r.get("prompt_tokens").is_some()
    }

    fn parse_json(
        &self,
        _: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let t = timestamp(r, "request_created_at")?;
        let provider = provider_of(&text(r, "provider").unwrap_or_default());
        let mut base = LedgerRow::new(
            provider,
            RecordRole::Gateway,
            ChargeKind::Request,
            t,
            t,
            src.file,
            src.line,
        );
        base.model_raw = text(r, "response_model")
            .or_else(|| text(r, "request_model"))
            .or_else(|| text(r, "model_override"));
        if base.model_raw.is_none() {
            return Err(RowError::new(
                Some("response_model"),
                "no model in `response_model` or `request_model`",
            ));
        }
        base.api_key = text(r, "request_user_id").or_else(|| text(r, "helicone_user"));
        base.tags = r
            .get("request_properties")
            .filter(|p| p.is_object())
            .map(Value::to_string);
        base.workload = workload_tag(base.tags.as_deref());
        let cost = reported(r.get("costUSD")).or_else(|| reported(r.get("cost")));
        let prompt = count(r, "prompt_tokens")?;
        let cached = count(r, "prompt_cache_read_tokens")?;
        gateway_rows(
            base,
            prompt,
            if cached <= prompt { cached } else { 0.0 },
            count(r, "completion_tokens")?,
            cost,
            out,
        );
        Ok(RowFate::Ledger)
    }
}

pub struct LiteLlmDailyCsv;
pub struct LangfuseObservationsCsv;

impl Format for LiteLlmDailyCsv {
    fn id(&self) -> &'static str {
        "litellm_daily_spend_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Gateway
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &[
            "date",
            "model",
            "prompt_tokens",
            "completion_tokens",
            "spend",
            "api_requests",
        ]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "date",
            "api_key",
            "model",
            "model_group",
            "custom_llm_provider",
            "prompt_tokens",
            "completion_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
            "spend",
            "api_requests",
            "user_id",
            "team_id",
            "organization_id",
            "end_user",
            "tag",
        ]
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let day = row.timestamp("date")?;
        let provider = provider_of(row.get("custom_llm_provider").unwrap_or(""));
        let mut base = LedgerRow::new(
            provider,
            RecordRole::Gateway,
            ChargeKind::Request,
            day,
            day + 86_400_000,
            src.file,
            src.line,
        );
        base.model_raw = Some(row.required("model")?.to_string());
        base.sub_account = row
            .text("team_id")
            .or_else(|| row.text("tag"))
            .or_else(|| row.text("user_id"));
        base.api_key = row.text("api_key");
        let prompt = row.count("prompt_tokens")?;
        // `prompt_tokens` follows the OpenAI convention (cached included); cache writes are
        // listed apart and priced as 5-minute writes.
        let cached = row.count("cache_read_input_tokens")?.min(prompt);
        push_parts(
            &base,
            [
                (ChargeKind::Input, None, prompt - cached, "tokens"),
                (ChargeKind::CachedInput, None, cached, "tokens"),
                (
                    ChargeKind::CacheWrite,
                    Some(crate::ledger::CacheTtl::FiveMinutes),
                    row.count("cache_creation_input_tokens")?,
                    "tokens",
                ),
                (
                    ChargeKind::Output,
                    None,
                    row.count("completion_tokens")?,
                    "tokens",
                ),
            ],
            out,
        );
        let mut requests = base;
        requests.quantity = row.count("api_requests")?;
        requests.unit = "requests";
        requests.source_reported_cost_nano = row.money_opt("spend")?;
        out.push(requests);
        Ok(RowFate::Ledger)
    }
}

/// Sums a Langfuse usage map by key: (uncached input, cached input, output). Keys are
/// provider-specific (`input`, `input_cached_tokens`, `cache_read_input_tokens`, `output`,
/// `output_reasoning_tokens`, …) and treated as disjoint; `total` is ignored.
fn langfuse_usage(map: &Value) -> (f64, f64, f64) {
    let (mut input, mut cached, mut output) = (0.0, 0.0, 0.0);
    if let Some(obj) = map.as_object() {
        for (k, v) in obj {
            let n = v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(0.0);
            let k = k.to_ascii_lowercase();
            if k.contains("cached") || k.contains("cache_read") {
                cached += n;
            } else if k.starts_with("input") || k == "prompt_tokens" {
                input += n;
            } else if k.starts_with("output") || k == "completion_tokens" {
                output += n;
            }
        }
    }
    (input, cached, output)
}

impl Format for LangfuseObservationsCsv {
    fn id(&self) -> &'static str {
        "langfuse_observations_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Gateway
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["trace_id", "type", "start_time", "usage_details"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "id",
            "trace_id",
            "project_id",
            "environment",
            "type",
            "start_time",
            "name",
            "provided_model_name",
            "internal_model_id",
            "usage_details",
            "provided_usage_details",
            "total_cost",
            "metadata",
        ]
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        // Spans and events carry no model traffic: accounted for, not ledger lines.
        if !row
            .get("type")
            .is_some_and(|t| t.eq_ignore_ascii_case("GENERATION"))
        {
            return Ok(RowFate::OutOfScope {
                cost_nano: 0,
                start_ms: row.timestamp("start_time").ok(),
            });
        }
        let t = row.timestamp("start_time")?;
        let mut base = LedgerRow::new(
            "other",
            RecordRole::Gateway,
            ChargeKind::Request,
            t,
            t,
            src.file,
            src.line,
        );
        base.model_raw = Some(row.required("provided_model_name")?.to_string());
        base.sub_account = row.text("name");
        base.api_key = row.text("project_id");
        base.tags = row.text("metadata");
        base.workload = workload_tag(base.tags.as_deref());
        let usage_text = row
            .get("usage_details")
            .or(row.get("provided_usage_details"))
            .unwrap_or("{}");
        let usage: Value = serde_json::from_str(usage_text).map_err(|_| {
            RowError::new(
                Some("usage_details"),
                format!("`{usage_text}` in column `usage_details` is not a JSON map"),
            )
        })?;
        let (input, cached, output) = langfuse_usage(&usage);
        gateway_rows(
            base,
            input + cached,
            cached,
            output,
            row.money_opt("total_cost")?,
            out,
        );
        Ok(RowFate::Ledger)
    }
}
