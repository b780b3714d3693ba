//! LiteLLM proxy spend logs (`LiteLLM_SpendLogs` exported as CSV from the UI or `/spend/logs`).
//!
//! One row per request: `request_id, call_type, api_key, spend, total_tokens, prompt_tokens,
//! completion_tokens, startTime, endTime, model, model_id, model_group, custom_llm_provider,
//! api_base, user, team_id, metadata, cache_hit, request_tags, …` (research/formats.md §7a).
//!
//! A gateway log is **not a bill**: its `spend` is LiteLLM's own estimate, kept in
//! `source_reported_cost_nano` and never added to billed spend. Rows carry quantities and
//! attribution (team, key alias, tags). `prompt_tokens` follows the OpenAI convention and
//! includes cached tokens; the cached share is read from `metadata.usage_object` when present.

use super::request_log::{cols, expr, model_key, RequestLog};
use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole};
use polars::prelude::{coalesce, col, lit, when, Expr, NULL};

pub struct LiteLlmSpendCsv;

/// Maps a gateway's provider name to our provider ids: LiteLLM's `custom_llm_provider`
/// (`vertex_ai`, `bedrock_converse`, …) and Helicone's `provider` (`OPENAI`, `GOOGLE`, …).
pub fn provider_of(custom: &str) -> &'static str {
    match custom.to_ascii_lowercase().as_str() {
        "openai" | "text-completion-openai" => "openai",
        "anthropic" => "anthropic",
        "azure" | "azure_ai" | "azure_text" => "azure",
        "bedrock" | "bedrock_converse" | "sagemaker" | "aws" => "aws",
        "vertex_ai" | "vertex_ai_beta" | "gemini" | "google" | "vertex" => "gcp",
        "openrouter" => "openrouter",
        "deepseek" => "deepseek",
        "mistral" => "mistral",
        _ => "other",
    }
}

/// Reads the cached-token count LiteLLM stores in `metadata.usage_object`.
fn cached_tokens(meta: &serde_json::Value) -> f64 {
    let usage = &meta["usage_object"];
    usage["prompt_tokens_details"]["cached_tokens"]
        .as_f64()
        .or_else(|| usage["cache_read_input_tokens"].as_f64())
        .unwrap_or(0.0)
}

/// The base model LiteLLM records for a deployment (`model_info.base_model`, wherever the
/// metadata nests it): the model a deployment name such as `azure/prod-chat` serves.
pub(super) fn base_model(meta: &serde_json::Value) -> Option<String> {
    match meta {
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| match v {
            serde_json::Value::String(s) if k == "base_model" && !s.is_empty() => Some(s.clone()),
            _ => base_model(v),
        }),
        serde_json::Value::Array(items) => items.iter().find_map(base_model),
        _ => None,
    }
}

fn meta_str(meta: &serde_json::Value, key: &str) -> Option<String> {
    meta[key]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The same reading as [`LiteLlmSpendCsv::parse_row`], as column expressions.
impl RequestLog for LiteLlmSpendCsv {
    fn text_columns(&self) -> &'static [&'static str] {
        &[
            "starttime",
            "endtime",
            "prompt_tokens",
            "completion_tokens",
            "spend",
            "custom_llm_provider",
            "team_id",
            "api_key",
            "model",
            "request_tags",
            "api_base",
            "model_group",
        ]
    }

    fn request_stages(&self) -> Vec<Vec<Expr>> {
        const TEAM: &str = "user_api_key_team_alias";
        const ALIAS: &str = "user_api_key_alias";
        const CACHED: &str = "cached_tokens";
        const READ: &str = "cache_read_input_tokens";
        const BASE: &str = "base_model";
        let start = expr::timestamp_ms("start", expr::text("starttime"));
        let end_text = expr::text("endtime");
        let end = expr::timestamp_ms("end", end_text.clone());
        let prompt = expr::count("prompt", expr::text("prompt_tokens"));
        let completion = expr::count("completion", expr::text("completion_tokens"));
        let reported = expr::money("spend", expr::text("spend"));
        // The raw cell: the long metadata JSON is searched in place, never trimmed or copied.
        let meta = col("metadata");
        let team = expr::json_str(&meta, TEAM);
        let alias = expr::json_str(&meta, ALIAS);
        let cached = expr::json_num(&meta, CACHED);
        let read = expr::json_num(&meta, READ);
        let base = expr::json_str(&meta, BASE);
        let once = expr::keys_once(&meta, &[TEAM, ALIAS, CACHED, READ, BASE]);
        // A metadata cell that is not one JSON object is `null` to the row parser; one that
        // may be an object only once trimmed is left to the row parser.
        let object_flags = vec![
            meta.clone()
                .str()
                .starts_with(lit("{"))
                .and(meta.clone().str().ends_with(lit("}")))
                .fill_null(lit(false))
                .alias("__meta_object"),
            meta.clone()
                .str()
                .contains_literal(lit("{"))
                .not()
                .fill_null(lit(true))
                .alias("__meta_not_object"),
        ];
        let object = col("__meta_object");
        let in_object = |e: Expr| when(object.clone()).then(e).otherwise(lit(NULL));

        let mut parts = object_flags;
        for s in [
            &start,
            &end,
            &prompt,
            &completion,
            &reported,
            &team,
            &alias,
            &cached,
            &read,
            &base,
        ] {
            parts.extend(s.parts.iter().cloned());
        }
        parts.extend(once.parts.iter().cloned());

        let cached_tokens = coalesce(&[in_object(cached.value), in_object(read.value), lit(0.0)]);
        let cached_tokens = when(cached_tokens.clone().lt(prompt.value.clone()))
            .then(cached_tokens)
            .otherwise(prompt.value.clone());
        let model = expr::text("model");
        let last = vec![
            start.value.clone().alias(cols::START),
            when(end_text.clone().is_null())
                .then(start.value.clone())
                .when(end.value.clone().gt(start.value.clone()))
                .then(end.value)
                .otherwise(start.value)
                .alias(cols::END),
            expr::text("custom_llm_provider").alias(cols::PROVIDER),
            coalesce(&[in_object(team.value), expr::text("team_id")]).alias(cols::TEAM),
            coalesce(&[in_object(alias.value), expr::text("api_key")]).alias(cols::KEY),
            model_key(
                model.clone(),
                in_object(base.value),
                expr::text("model_group"),
            )
            .alias(cols::MODEL),
            expr::text("request_tags").alias(cols::TAGS),
            expr::text("api_base").alias(cols::API_BASE),
            (prompt.value.clone() - cached_tokens.clone()).alias(cols::INPUT),
            cached_tokens.alias(cols::CACHED),
            completion.value.alias(cols::OUTPUT),
            prompt.value.alias(cols::PROMPT),
            reported.value.alias(cols::REPORTED),
            expr::all(vec![
                start.ok,
                end_text.is_null().or(end.ok),
                prompt.ok,
                completion.ok,
                reported.ok,
                model.is_not_null(),
                col("__meta_not_object").or(object.and(expr::all(vec![
                    team.ok, alias.ok, cached.ok, read.ok, base.ok, once.ok,
                ]))),
            ])
            .alias(cols::OK),
        ];
        vec![parts, last]
    }

    fn provider(&self, raw: Option<&str>) -> &'static str {
        provider_of(raw.unwrap_or(""))
    }

    fn resource(&self, api_base: Option<&str>, model: Option<&str>) -> Option<String> {
        super::meters::serving_resource(api_base, model)
    }
}

impl Format for LiteLlmSpendCsv {
    fn id(&self) -> &'static str {
        "litellm_spend_csv"
    }
    fn request_log(&self) -> Option<&dyn RequestLog> {
        Some(self)
    }
    fn role(&self) -> RecordRole {
        RecordRole::Gateway
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &[
            "request_id",
            "spend",
            "prompt_tokens",
            "completion_tokens",
            "starttime",
        ]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "request_id",
            "call_type",
            "api_key",
            "spend",
            "prompt_tokens",
            "completion_tokens",
            "starttime",
            "endtime",
            "model",
            "model_group",
            "custom_llm_provider",
            "user",
            "team_id",
            "metadata",
            "request_tags",
            "api_base",
            "model_id",
            "status",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = row.timestamp("starttime")?;
        let end = match row.get("endtime") {
            Some(_) => row.timestamp("endtime")?.max(start),
            None => start,
        };
        let provider = provider_of(row.get("custom_llm_provider").unwrap_or(""));
        let prompt = row.count("prompt_tokens")?;
        let completion = row.count("completion_tokens")?;
        // Parsed once per row: a 1M-row log spends most of its time here.
        let meta: serde_json::Value = row
            .get("metadata")
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(serde_json::Value::Null);
        let cached = cached_tokens(&meta).min(prompt);
        let mut base = LedgerRow::new(
            provider,
            RecordRole::Gateway,
            ChargeKind::Request,
            start,
            end,
            src.file,
            src.line,
        );
        base.model_raw = Some(row.required("model")?.to_string());
        base.model_base = base_model(&meta);
        base.model_group = row.text("model_group");
        base.sub_account =
            meta_str(&meta, "user_api_key_team_alias").or_else(|| row.text("team_id"));
        base.api_key = meta_str(&meta, "user_api_key_alias").or_else(|| row.text("api_key"));
        base.tags = row.text("request_tags");
        base.resource = super::meters::serving_resource(
            row.get("api_base"),
            row.get("model").or(row.get("model_id")),
        );
        base.source_reported_cost_nano = row.money_opt("spend")?;
        base.prompt_tokens = Some(prompt);
        let parts = [
            (ChargeKind::Input, prompt - cached, "tokens"),
            (ChargeKind::CachedInput, cached, "tokens"),
            (ChargeKind::Output, completion, "tokens"),
            (ChargeKind::Request, 1.0, "requests"),
        ];
        for (i, (kind, qty, unit)) in parts.into_iter().enumerate() {
            if qty > 0.0 {
                let mut r = base.clone();
                r.charge_kind = kind;
                r.quantity = qty;
                r.unit = unit;
                // The gateway's own spend figure rides on one line only, so sums stay right.
                if i != 3 {
                    r.source_reported_cost_nano = None;
                }
                out.push(r);
            }
        }
        Ok(RowFate::Ledger)
    }
}
