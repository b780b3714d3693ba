//! OpenRouter activity export (openrouter.ai/activity → export; one row per generation).
//!
//! This one **is** a bill: OpenRouter credits are the money, so `cost_total` (USD) is billed
//! spend. `tokens_prompt` includes `tokens_cached`; reasoning tokens are billed inside
//! `tokens_completion`. `cost_cache` can be negative (a cache discount) and is already in the
//! total. `model_permaslug` (`openai/gpt-4o-mini`) resolves to the first-party catalog model.

use super::{push_parts, Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole};

pub struct OpenRouterActivityCsv;

impl Format for OpenRouterActivityCsv {
    fn id(&self) -> &'static str {
        "openrouter_activity_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["generation_id", "created_at", "cost_total", "tokens_prompt"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "generation_id",
            "created_at",
            "cost_total",
            "tokens_prompt",
            "tokens_completion",
            "tokens_cached",
            "model_permaslug",
            "provider_name",
            "cancelled",
            "user",
            "app_name",
            "api_key_name",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let t = row.timestamp("created_at")?;
        let mut base = LedgerRow::new(
            "openrouter",
            RecordRole::Billed,
            ChargeKind::Request,
            t,
            t,
            src.file,
            src.line,
        );
        base.model_raw = Some(row.required("model_permaslug")?.to_string());
        base.sub_account = row.text("app_name");
        base.api_key = row.text("api_key_name");
        let prompt = row.count("tokens_prompt")?;
        let cached = row.count("tokens_cached")?.min(prompt);
        base.prompt_tokens = Some(prompt);
        // The money rides on the request line; token lines carry quantities for comparison.
        let mut money = base.clone();
        money.billed_cost_nano = Some(row.money("cost_total")?);
        money.quantity = 1.0;
        money.unit = "requests";
        out.push(money);
        let parts = [
            (ChargeKind::Input, prompt - cached),
            (ChargeKind::CachedInput, cached),
            (ChargeKind::Output, row.count("tokens_completion")?),
        ];
        push_parts(
            &base,
            parts.map(|(kind, qty)| (kind, None, qty, "tokens")),
            out,
        );
        Ok(RowFate::Ledger)
    }
}
