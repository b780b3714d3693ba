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

use super::request_log::{cols, expr, RequestLog};
use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole};
use polars::prelude::{lit, when, Expr};

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

fn meta_str(meta: &serde_json::Value, key: &str) -> Option<String> {
    meta[key]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The same reading as [`LiteLlmSpendCsv::parse_row`], as column expressions.
impl RequestLog for LiteLlmSpendCsv {
    fn request_columns(&self) -> Vec<Expr> {
        let (start, start_ok) = expr::timestamp_ms(expr::text("starttime"));
        let end_text = expr::text("endtime");
        let (end, end_ok) = expr::timestamp_ms(end_text.clone());
        let (prompt, prompt_ok) = expr::count(expr::text("prompt_tokens"));
        let (completion, completion_ok) = expr::count(expr::text("completion_tokens"));
        let (reported, reported_ok) = expr::nanos(expr::text("spend"));
        // The raw cell: the long metadata JSON is searched in place, never trimmed or copied.
        let meta = polars::prelude::col("metadata");
        let (team, team_ok) = expr::json_str(&meta, "user_api_key_team_alias");
        let (alias, alias_ok) = expr::json_str(&meta, "user_api_key_alias");
        let (cached, cached_ok) = expr::json_num(&meta, "cached_tokens");
        let (read, read_ok) = expr::json_num(&meta, "cache_read_input_tokens");
        // A metadata cell that is not one JSON object is `null` to the row parser; one that
        // may be an object only once trimmed is left to the row parser.
        let object = meta
            .clone()
            .str()
            .starts_with(lit("{"))
            .and(meta.clone().str().ends_with(lit("}")))
            .fill_null(lit(false));
        let not_object = meta
            .clone()
            .str()
            .contains_literal(lit("{"))
            .not()
            .fill_null(lit(true));
        let in_object = |e: Expr| {
            when(object.clone())
                .then(e)
                .otherwise(lit(polars::prelude::NULL))
        };
        let cached = polars::prelude::coalesce(&[in_object(cached), in_object(read), lit(0.0)]);
        let cached = when(cached.clone().lt(prompt.clone()))
            .then(cached)
            .otherwise(prompt.clone());
        let model = expr::text("model");
        vec![
            start.clone().alias(cols::START),
            when(end_text.clone().is_null())
                .then(start.clone())
                .when(end.clone().gt(start.clone()))
                .then(end)
                .otherwise(start)
                .alias(cols::END),
            expr::text("custom_llm_provider").alias(cols::PROVIDER),
            polars::prelude::coalesce(&[in_object(team), expr::text("team_id")]).alias(cols::TEAM),
            polars::prelude::coalesce(&[in_object(alias), expr::text("api_key")]).alias(cols::KEY),
            model.clone().alias(cols::MODEL),
            expr::text("request_tags").alias(cols::TAGS),
            expr::text("api_base").alias(cols::API_BASE),
            (prompt.clone() - cached.clone()).alias(cols::INPUT),
            cached.alias(cols::CACHED),
            completion.alias(cols::OUTPUT),
            prompt.alias(cols::PROMPT),
            reported.alias(cols::REPORTED),
            expr::all(vec![
                start_ok,
                end_text.is_null().or(end_ok),
                prompt_ok,
                completion_ok,
                reported_ok,
                model.is_not_null(),
                not_object.or(object.and(expr::all(vec![team_ok, alias_ok, cached_ok, read_ok]))),
            ])
            .alias(cols::OK),
        ]
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
