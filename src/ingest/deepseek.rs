//! DeepSeek platform export: a ZIP of `amount-*.csv` (usage) and `cost-*.csv` (money) files,
//! with a BOM and CRLF line ends (research/formats.md §9). The ZIP is opened by the ingest
//! walker; these are its two member formats.
//!
//! `amount` files: `user_id,start_time_iso,end_time_iso,model,api_key_name,api_key,type,price,amount`
//! where `type` is `input_cache_hit_tokens`, `input_cache_miss_tokens`, `output_tokens` or
//! `request_count` and `amount` is the quantity. `cost` files:
//! `user_id,start_time_iso,end_time_iso,model,wallet_type,cost,currency`.

use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole};

pub struct DeepSeekAmountCsv;
pub struct DeepSeekCostCsv;

fn window(row: &RowView) -> Result<(i64, i64), RowError> {
    let start = row.timestamp("start_time_iso")?;
    let end = match row.get("end_time_iso") {
        Some(_) => row.timestamp("end_time_iso")?,
        None => start + 86_400_000,
    };
    Ok((start, end))
}

impl Format for DeepSeekAmountCsv {
    fn id(&self) -> &'static str {
        "deepseek_amount_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["start_time_iso", "model", "type", "price", "amount"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "user_id",
            "start_time_iso",
            "end_time_iso",
            "model",
            "api_key_name",
            "api_key",
            "type",
            "price",
            "amount",
        ]
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let (start, end) = window(row)?;
        let (kind, unit) = match row.required("type")? {
            "input_cache_miss_tokens" => (ChargeKind::Input, "tokens"),
            "input_cache_hit_tokens" => (ChargeKind::CachedInput, "tokens"),
            "output_tokens" => (ChargeKind::Output, "tokens"),
            "request_count" => (ChargeKind::Request, "requests"),
            other => {
                return Err(RowError::new(
                    Some("type"),
                    format!("unknown usage type `{other}`"),
                ))
            }
        };
        let mut r = LedgerRow::new(
            "deepseek",
            RecordRole::Usage,
            kind,
            start,
            end,
            src.file,
            src.line,
        );
        r.model_raw = Some(row.required("model")?.to_string());
        r.billing_account = row.text("user_id");
        r.api_key = row.text("api_key_name").or_else(|| row.text("api_key"));
        r.quantity = row.count("amount")?;
        r.unit = unit;
        if r.quantity > 0.0 {
            out.push(r);
        }
        Ok(RowFate::Ledger)
    }
}

impl Format for DeepSeekCostCsv {
    fn id(&self) -> &'static str {
        "deepseek_cost_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["start_time_iso", "model", "wallet_type", "cost", "currency"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "user_id",
            "start_time_iso",
            "end_time_iso",
            "model",
            "wallet_type",
            "cost",
            "currency",
        ]
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let (start, end) = window(row)?;
        let mut r = LedgerRow::new(
            "deepseek",
            RecordRole::Billed,
            ChargeKind::Other,
            start,
            end,
            src.file,
            src.line,
        );
        r.billed_cost_nano = Some(row.money("cost")?);
        r.currency = row.get("currency").unwrap_or("USD").to_ascii_uppercase();
        r.model_raw = Some(row.required("model")?.to_string());
        r.billing_account = row.text("user_id");
        r.sub_account = row.text("wallet_type");
        r.unit = "none";
        out.push(r);
        Ok(RowFate::Ledger)
    }
}
