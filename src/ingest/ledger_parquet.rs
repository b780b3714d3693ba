//! An earlier run's `ledger.parquet`, read back as an input.
//!
//! The ledger is already the aggregated grain (request-log groups, not requests), priced and
//! attributed, so its lines come back as they were written: list, contracted and effective
//! cost and the price reference are kept rather than priced again (the ledger does not keep
//! every pricing input, such as the bill's region class), and the config's workload mapping
//! applies again as for any input. Re-ingesting a ledger gives the same totals; per-request
//! size counts (p50/p95 evidence) are not in the ledger and are not restored. Each line names
//! the ledger file and its row as its source.

use super::{Format, InputRecord, Reject, StrTable};
use crate::ledger::{
    CacheTtl, ChargeCategory, ChargeFrequency, ChargeKind, LedgerRow, RecordRole, ServiceTier,
};
use anyhow::{Context, Result};
use polars::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

pub struct LedgerParquet;

/// The columns that identify spend-audit's own ledger.
const REQUIRED: &[&str] = &[
    "charge_period_start",
    "charge_period_end",
    "record_role",
    "charge_kind",
    "billed_cost_nano",
    "list_cost_nano",
    "source_file",
    "source_line",
    "source_rows",
];

impl Format for LedgerParquet {
    fn id(&self) -> &'static str {
        "spend_audit_ledger_parquet"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        REQUIRED
    }
    fn frame_reader(&self) -> Option<super::FrameReader> {
        Some(super::FrameReader::Ledger)
    }
}

/// Provider ids and units are `&'static str` in a ledger row: each distinct value read from a
/// file is interned once (a ledger has a handful).
pub(super) fn intern(s: &str) -> &'static str {
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = seen.get(s) {
        return v;
    }
    let v: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.insert(v);
    v
}

/// Reads the ledger's lines; a line whose role, kind or times cannot be read is rejected with
/// its row and column.
pub fn ingest(
    path: &Path,
    rel: &str,
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
    sink: &mut dyn FnMut(LedgerRow),
) -> Result<()> {
    let df = StrTable::lazy_parquet(path)
        .and_then(|lf| Ok(lf.collect()?))
        .with_context(|| format!("could not read `{rel}` as a spend-audit ledger"))?;
    let has = |c: &str| df.schema().contains(c);
    let text = |c: &str| -> Result<Option<StringChunked>> {
        if !has(c) {
            return Ok(None);
        }
        Ok(Some(df.column(c)?.cast(&DataType::String)?.str()?.clone()))
    };
    let int = |c: &str| -> Result<Option<Int64Chunked>> {
        if !has(c) {
            return Ok(None);
        }
        Ok(Some(df.column(c)?.cast(&DataType::Int64)?.i64()?.clone()))
    };
    let float = |c: &str| -> Result<Option<Float64Chunked>> {
        if !has(c) {
            return Ok(None);
        }
        Ok(Some(df.column(c)?.cast(&DataType::Float64)?.f64()?.clone()))
    };
    let s = |ca: &Option<StringChunked>, i: usize| {
        ca.as_ref().and_then(|c| c.get(i)).map(str::to_string)
    };
    let n = |ca: &Option<Int64Chunked>, i: usize| ca.as_ref().and_then(|c| c.get(i));
    let (start, end) = (int("charge_period_start")?, int("charge_period_end")?);
    let (provider, role, kind, ttl) = (
        text("provider")?,
        text("record_role")?,
        text("charge_kind")?,
        text("cache_ttl")?,
    );
    let (account, sub, key, workload) = (
        text("billing_account")?,
        text("sub_account")?,
        text("api_key")?,
        text("workload")?,
    );
    let (model_raw, model_id, unit, currency, tier) = (
        text("model_raw")?,
        text("model_id")?,
        text("unit")?,
        text("currency")?,
        text("service_tier")?,
    );
    let (region, resource, tags, price_ref, unpriced) = (
        text("region")?,
        text("resource")?,
        text("tags")?,
        text("price_ref")?,
        text("unpriced_reason")?,
    );
    let (quantity, prompt) = (float("quantity")?, float("prompt_tokens")?);
    let (billed, list, contracted, reported, effective) = (
        int("billed_cost_nano")?,
        int("list_cost_nano")?,
        int("contracted_cost_nano")?,
        int("source_reported_cost_nano")?,
        int("effective_cost_nano")?,
    );
    let (category, frequency) = (text("charge_category")?, text("charge_frequency")?);
    let rows = int("source_rows")?;
    let last_activity = int("last_activity_at")?;
    let assigned = int("assigned_at")?;
    for i in 0..df.height() {
        let line = (i + 1) as u32;
        record.rows += 1;
        let role_v = s(&role, i).as_deref().and_then(RecordRole::parse);
        let kind_v = s(&kind, i).as_deref().and_then(ChargeKind::parse);
        // A ledger written before the column existed holds usage lines only.
        let category_v = s(&category, i)
            .as_deref()
            .map_or(Some(ChargeCategory::Usage), ChargeCategory::parse);
        let tier_v = s(&tier, i)
            .as_deref()
            .map_or(Some(ServiceTier::Standard), ServiceTier::from_export);
        let (
            Some(role_v),
            Some(kind_v),
            Some(category_v),
            Some(start_v),
            Some(end_v),
            Some(tier_v),
        ) = (role_v, kind_v, category_v, n(&start, i), n(&end, i), tier_v)
        else {
            // The first field that cannot be read names the problem.
            let (column, why) = if role_v.is_none() {
                ("record_role", "is not billed, usage or gateway")
            } else if kind_v.is_none() {
                ("charge_kind", "is not a charge kind of the ledger")
            } else if category_v.is_none() {
                (
                    "charge_category",
                    "is not usage, purchase, tax, credit or adjustment",
                )
            } else if n(&start, i).is_none() {
                ("charge_period_start", "is empty")
            } else if n(&end, i).is_none() {
                ("charge_period_end", "is empty")
            } else {
                ("service_tier", "is not a service tier")
            };
            record.rejected_rows += 1;
            rejects.push(Reject {
                file: rel.to_string(),
                line,
                column: Some(column.to_string()),
                reason: format!(
                    "`{column}` {why}; this ledger row was changed since spend-audit wrote it"
                ),
            });
            continue;
        };
        let mut r = LedgerRow::new(
            intern(s(&provider, i).as_deref().unwrap_or("other")),
            role_v,
            kind_v,
            start_v,
            end_v,
            rel,
            line,
        );
        r.billing_account = s(&account, i);
        r.sub_account = s(&sub, i);
        r.api_key = s(&key, i);
        // `unattributed` is the ledger's spelling of no workload: attribution runs again.
        r.workload = s(&workload, i).filter(|w| w != "unattributed");
        r.model_raw = s(&model_raw, i);
        r.model_id = s(&model_id, i);
        r.cache_ttl = s(&ttl, i).as_deref().and_then(CacheTtl::parse);
        r.charge_category = category_v;
        r.charge_frequency = s(&frequency, i)
            .as_deref()
            .and_then(ChargeFrequency::from_source);
        r.quantity = quantity.as_ref().and_then(|c| c.get(i)).unwrap_or(0.0);
        r.prompt_tokens = prompt.as_ref().and_then(|c| c.get(i));
        r.unit = intern(s(&unit, i).as_deref().unwrap_or("none"));
        r.billed_cost_nano = n(&billed, i);
        r.list_cost_nano = n(&list, i);
        r.contracted_cost_nano = n(&contracted, i);
        r.source_reported_cost_nano = n(&reported, i);
        r.effective_cost_nano = n(&effective, i);
        if let Some(c) = s(&currency, i) {
            r.currency = c;
        }
        r.service_tier = tier_v;
        r.region = s(&region, i);
        r.resource = s(&resource, i);
        r.tags = s(&tags, i);
        r.last_activity_ms = n(&last_activity, i);
        r.assigned_ms = n(&assigned, i);
        r.price_ref = s(&price_ref, i);
        r.unpriced_reason = s(&unpriced, i);
        r.source_rows = n(&rows, i).map_or(1, |v| v.clamp(1, u32::MAX as i64) as u32);
        r.priced = true;
        sink(r);
    }
    Ok(())
}
