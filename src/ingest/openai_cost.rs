//! OpenAI dashboard cost export.
//!
//! Columns (research/formats.md §1c): `start_time,end_time,start_time_iso,end_time_iso,
//! amount_value,amount_currency,line_item,project_id,organization_id,organization_name`.
//! `amount_value` is in **dollars** (unlike Anthropic's cents). `line_item` is free text such as
//! `gpt-4o-2024-08-06, input`, `…, cached input`, `priority | gpt-5, output, long context` or a
//! non-model item (`web search tool calls`); [`parse_line_item`] reads it.

use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole, ServiceTier};

pub struct OpenAiCostCsv;

/// What a cost `line_item` says.
#[derive(Debug, PartialEq)]
pub struct LineItem {
    pub model: Option<String>,
    pub kind: ChargeKind,
    pub tier: ServiceTier,
}

/// Reads `[tier | ]<model>[ modality], <piece>[, qualifier…]`. Anything without a recognised
/// piece is an `other` charge; a first part with spaces is a product name, not a model.
pub fn parse_line_item(raw: &str) -> LineItem {
    let mut text = raw.trim();
    let mut tier = ServiceTier::Standard;
    if let Some((prefix, rest)) = text.split_once('|') {
        if let Some(t) = ServiceTier::from_export(prefix) {
            tier = t;
            text = rest.trim();
        }
    }
    let mut parts = text.split(',').map(str::trim);
    let first = parts.next().unwrap_or("");
    let piece = parts.next().map(str::to_ascii_lowercase);
    // Non-model items: OpenAI bills its tools per call or per session.
    if piece.is_none() {
        let tool = first.to_ascii_lowercase();
        let kind = if tool.starts_with("web search") {
            Some(ChargeKind::WebSearch)
        } else if tool.starts_with("file search") {
            Some(ChargeKind::FileSearch)
        } else if tool.starts_with("code interpreter") {
            Some(ChargeKind::CodeExecution)
        } else {
            None
        };
        if let Some(kind) = kind {
            return LineItem {
                model: None,
                kind,
                tier,
            };
        }
    }
    let kind = match piece.as_deref() {
        Some("input") | Some("input_tokens") | Some("uncached input") => ChargeKind::Input,
        Some("cached input") | Some("input_cached_tokens") => ChargeKind::CachedInput,
        Some("cache write") | Some("cached write") | Some("input_cache_write_tokens") => {
            ChargeKind::CacheWrite
        }
        Some("output") | Some("output_tokens") => ChargeKind::Output,
        _ => ChargeKind::Other,
    };
    // `gpt-audio-mini-2025-10-06 audio` → model + modality. Audio and image tokens have their
    // own rates; a cache write of them has no kind of its own and stays `other`.
    let media = |audio: bool| match kind {
        ChargeKind::Input if audio => ChargeKind::AudioInput,
        ChargeKind::CachedInput if audio => ChargeKind::AudioCachedInput,
        ChargeKind::Output if audio => ChargeKind::AudioOutput,
        ChargeKind::Input => ChargeKind::ImageInput,
        ChargeKind::CachedInput => ChargeKind::ImageCachedInput,
        ChargeKind::Output => ChargeKind::ImageOutput,
        _ => ChargeKind::Other,
    };
    let (model_part, kind) = match (first.strip_suffix(" audio"), first.strip_suffix(" image")) {
        (Some(m), _) => (m, media(true)),
        (_, Some(m)) => (m, media(false)),
        _ => (first.strip_suffix(" text").unwrap_or(first), kind),
    };
    let model = if piece.is_some() && !model_part.is_empty() && !model_part.contains(' ') {
        Some(model_part.to_string())
    } else {
        None
    };
    LineItem { model, kind, tier }
}

impl Format for OpenAiCostCsv {
    fn id(&self) -> &'static str {
        "openai_cost_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["start_time", "amount_value", "line_item"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "start_time",
            "end_time",
            "amount_value",
            "amount_currency",
            "line_item",
            "project_id",
            "organization_id",
            "organization_name",
            "api_key_id",
            "quantity",
            "quantity_unit",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = row.timestamp("start_time")?;
        let end = match row.get("end_time") {
            Some(_) => row.timestamp("end_time")?,
            None => start + 86_400_000,
        };
        let amount = row.money("amount_value")?;
        let item = parse_line_item(row.get("line_item").unwrap_or(""));
        let mut r = LedgerRow::new(
            "openai",
            RecordRole::Billed,
            item.kind,
            start,
            end,
            src.file,
            src.line,
        );
        r.billed_cost_nano = Some(amount);
        r.currency = row
            .get("amount_currency")
            .unwrap_or("usd")
            .to_ascii_uppercase();
        r.billing_account = row.text("organization_id");
        r.sub_account = row.text("project_id");
        r.api_key = row.text("api_key_id");
        r.model_raw = item.model;
        r.service_tier = item.tier;
        // The dashboard CSV has no quantity; the API-shaped export may.
        let qty = row.count("quantity")?;
        match row.get("quantity_unit") {
            Some("tokens") => {
                r.quantity = qty;
                r.unit = "tokens";
            }
            Some("1000_tokens") => {
                r.quantity = qty * 1000.0;
                r.unit = "tokens";
            }
            _ => {
                r.quantity = 0.0;
                r.unit = "none";
            }
        }
        out.push(r);
        Ok(RowFate::Ledger)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_line_items() {
        assert_eq!(
            parse_line_item("gpt-4o-2024-08-06, input"),
            LineItem {
                model: Some("gpt-4o-2024-08-06".into()),
                kind: ChargeKind::Input,
                tier: ServiceTier::Standard
            }
        );
        assert_eq!(
            parse_line_item("gpt-4.1, cached input").kind,
            ChargeKind::CachedInput
        );
        let p = parse_line_item("priority | gpt-5, output, long context");
        assert_eq!(
            (p.model.as_deref(), p.kind, p.tier),
            (Some("gpt-5"), ChargeKind::Output, ServiceTier::Priority)
        );
        let audio = parse_line_item("gpt-audio-mini-2025-10-06 audio, input");
        assert_eq!(audio.model.as_deref(), Some("gpt-audio-mini-2025-10-06"));
        // Audio and image tokens have kinds of their own, never the model's text rates.
        assert_eq!(audio.kind, ChargeKind::AudioInput);
        assert_eq!(
            parse_line_item("gpt-realtime audio, cached input").kind,
            ChargeKind::AudioCachedInput
        );
        assert_eq!(
            parse_line_item("gpt-4o image, output").kind,
            ChargeKind::ImageOutput
        );
        assert_eq!(
            parse_line_item("gpt-image-1 image, input").kind,
            ChargeKind::ImageInput
        );
        assert_eq!(
            parse_line_item("gpt-realtime audio, cache write").kind,
            ChargeKind::Other
        );
        let text = parse_line_item("gpt-5 text, cached input");
        assert_eq!(
            (text.model.as_deref(), text.kind),
            (Some("gpt-5"), ChargeKind::CachedInput)
        );
        let other = parse_line_item("web search tool calls");
        assert_eq!((other.model, other.kind), (None, ChargeKind::WebSearch));
        assert_eq!(parse_line_item("Vector storage").kind, ChargeKind::Other);
        assert_eq!(
            parse_line_item("file search tool calls").kind,
            ChargeKind::FileSearch
        );
        assert_eq!(
            parse_line_item("Code Interpreter sessions").kind,
            ChargeKind::CodeExecution
        );
    }
}
