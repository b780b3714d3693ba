//! Google Cloud billing export: the BigQuery standard export saved as newline-delimited JSON
//! (nested records), and the Cost table "Download CSV" with display-name headers
//! (research/formats.md §5).
//!
//! Vertex AI / Gemini API rows are AI spend; every other service is out of scope. `cost` is
//! before credits: each credit becomes its own (negative) billed line, so the bill nets out as
//! on the invoice. SKU descriptions carry model, direction, caching and batch / priority
//! (`Gemini 2.5 Flash GA Text Input - Predictions`). The export's `usage.unit` for tokens is
//! unconfirmed, so quantities are kept only when the unit says tokens or count.

use super::azure_cost::workload_tag;
use super::bill_chunks::{any_of, no_fast_path, out_of_scope_when, surely_not, BillScope};
use super::json::{text, timestamp};
use super::meters::set_billed_quantity;
use super::request_log::expr;
use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeCategory, ChargeKind, LedgerRow, RecordRole, ServiceTier};
use polars::prelude::{when, Expr};
use serde_json::Value;

pub struct GcpBillingJson;
pub struct GcpBillingCsv;
/// The BigQuery billing export saved as CSV from a query (the console's "save results"):
/// the JSON export's fields flattened to dotted names (`service.description`,
/// `sku.description`, `usage.amount`), repeated fields (`credits`, `labels`) as JSON text and
/// timestamps as `2026-10-01 07:00:00 UTC`.
pub struct GcpBigQueryCsv;

const AI_SERVICES: &[&str] = &["vertex ai", "gemini api", "generative language api"];

/// What a Vertex AI SKU description says: (model, kind, tier).
pub fn vertex_sku(description: &str) -> (Option<String>, ChargeKind, ServiceTier) {
    let d = description.to_ascii_lowercase();
    let tier = if d.contains("batch") {
        ServiceTier::Batch
    } else if d.contains("priority") {
        ServiceTier::Priority
    } else if d.contains("flex") {
        ServiceTier::Flex
    } else {
        ServiceTier::Standard
    };
    let kind = if d.contains("caching storage") {
        ChargeKind::Other
    } else if d.contains("caching") {
        ChargeKind::CachedInput
    } else if d.contains("output") {
        ChargeKind::Output
    } else if d.contains("input") {
        ChargeKind::Input
    } else {
        ChargeKind::Other
    };
    // Per-modality SKUs (`… Audio Input`, `… Image Output`): audio has its own rates; Google
    // prices video frames with images (one rate for both on every Gemini price list).
    let words: Vec<&str> = d.split_whitespace().collect();
    let audio = words.contains(&"audio");
    let image = words.contains(&"image") || words.contains(&"video");
    let kind = match kind {
        ChargeKind::Input if audio => ChargeKind::AudioInput,
        ChargeKind::CachedInput if audio => ChargeKind::AudioCachedInput,
        ChargeKind::Output if audio => ChargeKind::AudioOutput,
        ChargeKind::Input if image => ChargeKind::ImageInput,
        ChargeKind::CachedInput if image => ChargeKind::ImageCachedInput,
        ChargeKind::Output if image => ChargeKind::ImageOutput,
        k => k,
    };
    // The model is the words before the first non-model word.
    const STOP: &[&str] = &[
        "ga", "global", "text", "input", "output", "thinking", "audio", "image", "video", "-",
        "preview",
    ];
    let words: Vec<&str> = d
        .split_whitespace()
        .take_while(|w| !STOP.contains(w))
        .collect();
    let model = (words.first() == Some(&"gemini") && kind != ChargeKind::Other && words.len() >= 2)
        .then(|| words.join("-"));
    (model, kind, tier)
}

fn is_ai(service: &str) -> bool {
    AI_SERVICES.contains(&service.to_ascii_lowercase().as_str())
}

impl Format for GcpBillingJson {
    fn id(&self) -> &'static str {
        "gcp_billing_export_json"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn is_json(&self) -> bool {
        true
    }
    fn matches_json(&self, r: &Value) -> bool {
        r.get("service").is_some_and(Value::is_object)
            && r.get("sku").is_some()
            && r.get("cost").is_some()
    }

    fn parse_json(
        &self,
        _: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let money = |v: Option<&Value>, field: &str| -> Result<i64, RowError> {
            let text = match v {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => s.clone(),
                _ => {
                    return Err(RowError::new(
                        Some(field),
                        format!("missing or unreadable `{field}`"),
                    ))
                }
            };
            crate::money::parse_nanos(&text).ok_or_else(|| {
                RowError::new(
                    Some(field),
                    format!("`{text}` in `{field}` is not an amount"),
                )
            })
        };
        let cost = money(r.get("cost"), "cost")?;
        let credits: Vec<(i64, Option<String>)> = match r.get("credits") {
            Some(Value::Array(cs)) => cs
                .iter()
                .map(|c| {
                    Ok((
                        money(c.get("amount"), "credits.amount")?,
                        text(c, "type").or_else(|| text(c, "name")),
                    ))
                })
                .collect::<Result<_, RowError>>()?,
            _ => Vec::new(),
        };
        let service = r["service"]["description"].as_str().unwrap_or("");
        if !is_ai(service) {
            let net = credits
                .iter()
                .try_fold(cost, |sum, (a, _)| sum.checked_add(*a))
                .ok_or_else(|| {
                    RowError::new(
                        Some("credits"),
                        "the cost and its credits add up past what this tool sums exactly",
                    )
                })?;
            return Ok(RowFate::OutOfScope {
                cost_nano: net,
                start_ms: timestamp(r, "usage_start_time").ok(),
            });
        }
        let start = timestamp(r, "usage_start_time")?;
        let end = timestamp(r, "usage_end_time").unwrap_or(start + 3_600_000);
        let sku = r["sku"]["description"].as_str().unwrap_or("");
        let (model, kind, tier) = vertex_sku(sku);
        let mut row = LedgerRow::new(
            "gcp",
            RecordRole::Billed,
            kind,
            start,
            end,
            src.file,
            src.line,
        );
        row.billed_cost_nano = Some(cost);
        row.charge_category =
            ChargeCategory::from_source(&text(r, "cost_type").unwrap_or_default());
        row.currency = text(r, "currency")
            .unwrap_or_else(|| "USD".into())
            .to_ascii_uppercase();
        row.billing_account = text(r, "billing_account_id");
        row.sub_account = r["project"]["id"].as_str().map(str::to_string);
        row.region = r["location"]["region"]
            .as_str()
            .or(r["location"]["location"].as_str())
            .map(str::to_string);
        row.model_raw = model;
        row.service_tier = tier;
        if let Some(Value::Array(labels)) = r.get("labels") {
            let map: serde_json::Map<String, Value> = labels
                .iter()
                .filter_map(|l| Some((l["key"].as_str()?.to_string(), l["value"].clone())))
                .collect();
            if !map.is_empty() {
                row.tags = Some(Value::Object(map).to_string());
                row.workload = workload_tag(row.tags.as_deref());
            }
        }
        let unit = r["usage"]["unit"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase();
        let amount = r["usage"]["amount"].as_f64().unwrap_or(0.0);
        set_billed_quantity(
            &mut row,
            amount,
            if unit == "count" || unit == "tokens" {
                "tokens"
            } else {
                "none"
            },
        );
        for (amount, name) in credits {
            let mut credit = row.clone();
            credit.charge_kind = ChargeKind::Other;
            credit.charge_category = ChargeCategory::Credit;
            credit.billed_cost_nano = Some(amount);
            credit.quantity = 0.0;
            credit.unit = "none";
            credit.price_ref = None;
            credit.tags = name.map(|n| format!("{{\"credit\":{}}}", Value::String(n)));
            out.push(credit);
        }
        out.insert(0, row);
        Ok(RowFate::Ledger)
    }
}

/// The dotted columns of [`GcpBigQueryCsv`] that the JSON record reads.
const BIGQUERY_COLUMNS: &[&str] = &[
    "billing_account_id",
    "service.description",
    "sku.id",
    "sku.description",
    "usage_start_time",
    "usage_end_time",
    "project.id",
    "location.region",
    "location.location",
    "cost",
    "currency",
    "usage.amount",
    "usage.unit",
    "credits",
    "labels",
    "cost_type",
];

impl GcpBigQueryCsv {
    /// The row as the JSON export's record: dotted names nested, `credits` and `labels`
    /// parsed, `usage.amount` a number and the ` UTC` of timestamps dropped.
    fn record(row: &RowView) -> Result<Value, RowError> {
        let mut record = serde_json::Map::new();
        for column in BIGQUERY_COLUMNS {
            let Some(cell) = row.get(column) else {
                continue;
            };
            let value = match *column {
                "credits" | "labels" => serde_json::from_str(cell).map_err(|_| {
                    RowError::new(
                        Some(column),
                        format!("`{column}` is not the JSON list the BigQuery export writes"),
                    )
                })?,
                "usage.amount" => cell
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        RowError::new(
                            Some(column),
                            format!("`{cell}` in `{column}` is not a number"),
                        )
                    })?,
                "usage_start_time" | "usage_end_time" => {
                    Value::String(cell.strip_suffix(" UTC").unwrap_or(cell).to_string())
                }
                _ => Value::String(cell.to_string()),
            };
            match column.split_once('.') {
                Some((outer, inner)) => {
                    let nested = record
                        .entry(outer.to_string())
                        .or_insert_with(|| Value::Object(Default::default()));
                    if let Value::Object(m) = nested {
                        m.insert(inner.to_string(), value);
                    }
                }
                None => {
                    record.insert(column.to_string(), value);
                }
            }
        }
        Ok(Value::Object(record))
    }
}

impl Format for GcpBigQueryCsv {
    fn id(&self) -> &'static str {
        "gcp_billing_export_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &[
            "service.description",
            "sku.description",
            "usage_start_time",
            "cost",
        ]
    }
    fn columns(&self) -> &'static [&'static str] {
        BIGQUERY_COLUMNS
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let record = Self::record(row)?;
        GcpBillingJson.parse_json(&Value::Null, &record, src, out)
    }
}

/// The rows the row parser surely counts out of scope: a plain-decimal cost (the unrounded
/// one when the row has it) and a service that is not an AI one.
impl BillScope for GcpBillingCsv {
    fn date_column(&self, _: &dyn Fn(&str) -> bool) -> Option<&'static str> {
        Some("usage start date")
    }
    fn text_columns(&self) -> &'static [&'static str] {
        &["unrounded cost ($)", "cost ($)", "service description"]
    }
    fn scope_stages(&self, has: &dyn Fn(&str) -> bool) -> Vec<Vec<Expr>> {
        if !has("cost ($)") {
            return no_fast_path();
        }
        let cost = if has("unrounded cost ($)") {
            let unrounded = expr::text("unrounded cost ($)");
            when(unrounded.clone().is_not_null())
                .then(unrounded)
                .otherwise(expr::text("cost ($)"))
        } else {
            expr::text("cost ($)")
        };
        let mut conditions = Vec::new();
        if has("service description") {
            let services = format!("^{}$", any_of(AI_SERVICES));
            conditions.push(surely_not(expr::text("service description"), &services));
        }
        out_of_scope_when(expr::money("cost", cost), conditions)
    }
}

impl Format for GcpBillingCsv {
    fn id(&self) -> &'static str {
        "gcp_billing_csv"
    }
    fn bill_scope(&self) -> Option<&dyn BillScope> {
        Some(self)
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["service description", "sku description", "cost ($)"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "billing account id",
            "project id",
            "project name",
            "service description",
            "sku description",
            "usage start date",
            "usage end date",
            "usage amount",
            "usage unit",
            "unrounded cost ($)",
            "cost ($)",
            "sku id",
            "cost type",
            "credit type",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        // Prefer the unrounded column when the download has it: the rounded one drifts.
        let cost_col = if row.get("unrounded cost ($)").is_some() {
            "unrounded cost ($)"
        } else {
            "cost ($)"
        };
        let cost = row.money(cost_col)?;
        if !is_ai(row.get("service description").unwrap_or("")) {
            return Ok(RowFate::OutOfScope {
                cost_nano: cost,
                start_ms: row.timestamp("usage start date").ok(),
            });
        }
        let start = row.timestamp("usage start date")?;
        let end = match row.get("usage end date") {
            Some(_) => row.timestamp("usage end date")?,
            None => start + 86_400_000,
        };
        let (model, kind, tier) = vertex_sku(row.get("sku description").unwrap_or(""));
        let mut r = LedgerRow::new(
            "gcp",
            RecordRole::Billed,
            kind,
            start,
            end,
            src.file,
            src.line,
        );
        r.billed_cost_nano = Some(cost);
        // A credit row names its credit type; otherwise `Cost type` says regular, tax,
        // adjustment or rounding error.
        r.charge_category = if row.get("credit type").is_some() {
            ChargeCategory::Credit
        } else {
            ChargeCategory::from_source(row.get("cost type").unwrap_or(""))
        };
        r.identity = row.identity(&[
            "service description",
            "sku description",
            "sku id",
            "cost type",
            "credit type",
        ]);
        r.billing_account = row.text("billing account id");
        r.sub_account = row.text("project id").or_else(|| row.text("project name"));
        r.model_raw = model;
        r.service_tier = tier;
        let unit = row.get("usage unit").unwrap_or("").to_ascii_lowercase();
        set_billed_quantity(
            &mut r,
            row.count("usage amount")?,
            if unit == "count" || unit == "tokens" {
                "tokens"
            } else {
                "none"
            },
        );
        out.push(r);
        Ok(RowFate::Ledger)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cost_and_credits_that_overflow_are_a_row_error_not_a_wrapped_sum() {
        // $9bn of compute with a $9bn credit that is not negative: the sum passes i64 nanos.
        let r: Value = serde_json::json!({
            "service": {"description": "Compute Engine"},
            "sku": {"description": "N2 core"},
            "cost": 9_000_000_000.0,
            "credits": [{"amount": 9_000_000_000.0, "type": "PROMOTION"}],
        });
        let mut out = Vec::new();
        let src = SourceRef {
            file: "gcp.jsonl",
            line: 1,
        };
        let err = GcpBillingJson
            .parse_json(&Value::Null, &r, src, &mut out)
            .unwrap_err();
        assert!(err.reason.contains("sums exactly"), "{}", err.reason);
    }

    #[test]
    fn vertex_skus() {
        assert_eq!(
            vertex_sku("Gemini 2.5 Flash GA Text Input - Predictions"),
            (
                Some("gemini-2.5-flash".into()),
                ChargeKind::Input,
                ServiceTier::Standard
            )
        );
        assert_eq!(
            vertex_sku("Gemini 2.5 Flash GA Thinking Text Output - Predictions").1,
            ChargeKind::Output
        );
        assert_eq!(
            vertex_sku("Gemini 3 Flash Text Input Caching").1,
            ChargeKind::CachedInput
        );
        assert_eq!(
            vertex_sku("Gemini 3 Flash Text Input Caching Storage"),
            (None, ChargeKind::Other, ServiceTier::Standard)
        );
        let b = vertex_sku("Gemini 2.5 Flash Text Output (Thinking On) - Batch Predictions");
        assert_eq!((b.1, b.2), (ChargeKind::Output, ServiceTier::Batch));
        assert_eq!(
            vertex_sku("Gemini 3.7 Flash Global Text Input - Predictions")
                .0
                .as_deref(),
            Some("gemini-3.7-flash")
        );
        assert_eq!(
            vertex_sku("LLM Grounding with Google Search tool - Predictions").0,
            None
        );
        // Audio has its own rates; video frames are priced with images.
        assert_eq!(
            vertex_sku("Gemini 2.5 Flash GA Audio Input - Predictions"),
            (
                Some("gemini-2.5-flash".into()),
                ChargeKind::AudioInput,
                ServiceTier::Standard
            )
        );
        assert_eq!(
            vertex_sku("Gemini 2.5 Flash Audio Input Caching").1,
            ChargeKind::AudioCachedInput
        );
        assert_eq!(
            vertex_sku("Gemini 2.5 Flash GA Video Input - Predictions").1,
            ChargeKind::ImageInput
        );
    }
}
