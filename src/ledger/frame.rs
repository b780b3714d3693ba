//! The ledger's polars frame: building it, filtering it, aggregating it and writing it.
//!
//! This is one of the three files that talk to polars (with `ingest/table.rs` and
//! `ingest/request_log.rs`), so a polars upgrade touches little else. Callers query it through the typed functions of `query.rs`.

use super::{CacheTtl, ChargeFrequency, LedgerRow, RecordRole, RequestProfile};
use anyhow::{Context, Result};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Appends [`LedgerRow`]s into column builders.
pub struct LedgerBuilder {
    start: PrimitiveChunkedBuilder<Int64Type>,
    end: PrimitiveChunkedBuilder<Int64Type>,
    provider: StringChunkedBuilder,
    role: StringChunkedBuilder,
    billing_account: StringChunkedBuilder,
    sub_account: StringChunkedBuilder,
    api_key: StringChunkedBuilder,
    workload: StringChunkedBuilder,
    model_raw: StringChunkedBuilder,
    model_id: StringChunkedBuilder,
    charge_kind: StringChunkedBuilder,
    charge_category: StringChunkedBuilder,
    charge_frequency: StringChunkedBuilder,
    cache_ttl: StringChunkedBuilder,
    quantity: PrimitiveChunkedBuilder<Float64Type>,
    unit: StringChunkedBuilder,
    prompt_tokens: PrimitiveChunkedBuilder<Float64Type>,
    billed_nano: PrimitiveChunkedBuilder<Int64Type>,
    list_nano: PrimitiveChunkedBuilder<Int64Type>,
    reported_nano: PrimitiveChunkedBuilder<Int64Type>,
    effective_nano: PrimitiveChunkedBuilder<Int64Type>,
    contracted_nano: PrimitiveChunkedBuilder<Int64Type>,
    currency: StringChunkedBuilder,
    tier: StringChunkedBuilder,
    region: StringChunkedBuilder,
    resource: StringChunkedBuilder,
    tags: StringChunkedBuilder,
    last_activity: PrimitiveChunkedBuilder<Int64Type>,
    assigned: PrimitiveChunkedBuilder<Int64Type>,
    price_ref: StringChunkedBuilder,
    unpriced: StringChunkedBuilder,
    source_file: StringChunkedBuilder,
    source_line: PrimitiveChunkedBuilder<UInt32Type>,
    source_rows: PrimitiveChunkedBuilder<UInt32Type>,
    requests: RequestProfile,
    len: usize,
    /// Days (since epoch) that billed rows cover (their first and last day), and any rows;
    /// with the billed money per start day, they pick the default month.
    pub billed_days: BTreeSet<i64>,
    pub any_days: BTreeSet<i64>,
    pub billed_money_by_day: BTreeMap<i64, i128>,
    /// The seat reports' time: their latest recorded activity.
    pub seat_snapshot_ms: Option<i64>,
}

const MS_PER_DAY: i64 = 86_400_000;

impl LedgerBuilder {
    pub fn new(capacity: usize) -> Self {
        let s = |n: &str| StringChunkedBuilder::new(n.into(), capacity);
        let i = |n: &str| PrimitiveChunkedBuilder::<Int64Type>::new(n.into(), capacity);
        LedgerBuilder {
            start: i("charge_period_start"),
            end: i("charge_period_end"),
            provider: s("provider"),
            role: s("record_role"),
            billing_account: s("billing_account"),
            sub_account: s("sub_account"),
            api_key: s("api_key"),
            workload: s("workload"),
            model_raw: s("model_raw"),
            model_id: s("model_id"),
            charge_kind: s("charge_kind"),
            charge_category: s("charge_category"),
            charge_frequency: s("charge_frequency"),
            cache_ttl: s("cache_ttl"),
            quantity: PrimitiveChunkedBuilder::new("quantity".into(), capacity),
            unit: s("unit"),
            prompt_tokens: PrimitiveChunkedBuilder::new("prompt_tokens".into(), capacity),
            billed_nano: i("billed_cost_nano"),
            list_nano: i("list_cost_nano"),
            reported_nano: i("source_reported_cost_nano"),
            effective_nano: i("effective_cost_nano"),
            contracted_nano: i("contracted_cost_nano"),
            currency: s("currency"),
            tier: s("service_tier"),
            region: s("region"),
            resource: s("resource"),
            tags: s("tags"),
            last_activity: i("last_activity_at"),
            assigned: i("assigned_at"),
            price_ref: s("price_ref"),
            unpriced: s("unpriced_reason"),
            source_file: s("source_file"),
            source_line: PrimitiveChunkedBuilder::new("source_line".into(), capacity),
            source_rows: PrimitiveChunkedBuilder::new("source_rows".into(), capacity),
            requests: RequestProfile::default(),
            len: 0,
            billed_days: BTreeSet::new(),
            any_days: BTreeSet::new(),
            billed_money_by_day: BTreeMap::new(),
            seat_snapshot_ms: None,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, r: &LedgerRow) {
        let day = r.period_start_ms.div_euclid(MS_PER_DAY);
        // The period is half-open: a row for [Oct 1, Nov 1) covers October 31 too. An
        // open-ended period (a seat until 2100) marks only its first day.
        let last_day = (r.period_end_ms - 1).div_euclid(MS_PER_DAY).max(day);
        let last_day = if last_day - day <= 31 { last_day } else { day };
        self.any_days.insert(day);
        self.any_days.insert(last_day);
        // A seat snapshot is dated by its latest activity, not by when its seats were
        // assigned: without a bill, the default month follows the snapshot.
        if let Some(t) = r.last_activity_ms {
            self.seat_snapshot_ms = self.seat_snapshot_ms.max(Some(t));
        }
        if r.role == RecordRole::Billed {
            self.billed_days.insert(day);
            self.billed_days.insert(last_day);
            *self.billed_money_by_day.entry(day).or_insert(0) +=
                r.billed_cost_nano.map_or(0, |n| i128::from(n).abs());
        }
        self.start.append_value(r.period_start_ms);
        self.end.append_value(r.period_end_ms);
        self.provider.append_value(r.provider);
        self.role.append_value(r.role.as_str());
        self.billing_account
            .append_option(r.billing_account.as_deref());
        self.sub_account.append_option(r.sub_account.as_deref());
        self.api_key.append_option(r.api_key.as_deref());
        self.workload
            .append_value(r.workload.as_deref().unwrap_or("unattributed"));
        self.model_raw.append_option(r.model_raw.as_deref());
        self.model_id.append_option(r.model_id.as_deref());
        self.charge_kind.append_value(r.charge_kind.as_str());
        self.charge_category
            .append_value(r.charge_category.as_str());
        self.charge_frequency
            .append_option(r.charge_frequency.map(ChargeFrequency::as_str));
        self.cache_ttl
            .append_option(r.cache_ttl.map(CacheTtl::as_str));
        self.quantity.append_value(r.quantity);
        self.prompt_tokens.append_option(r.prompt_tokens);
        self.unit.append_value(r.unit);
        self.billed_nano.append_option(r.billed_cost_nano);
        self.list_nano.append_option(r.list_cost_nano);
        self.reported_nano
            .append_option(r.source_reported_cost_nano);
        self.effective_nano.append_option(r.effective_cost_nano);
        self.contracted_nano.append_option(r.contracted_cost_nano);
        self.currency.append_value(&r.currency);
        self.tier.append_value(r.service_tier.as_str());
        self.region.append_option(r.region.as_deref());
        self.resource.append_option(r.resource.as_deref());
        self.tags.append_option(r.tags.as_deref());
        self.last_activity.append_option(r.last_activity_ms);
        self.assigned.append_option(r.assigned_ms);
        self.price_ref.append_option(r.price_ref.as_deref());
        self.unpriced.append_option(r.unpriced_reason.as_deref());
        self.source_file.append_value(&r.source_file);
        self.source_line.append_value(r.source_line);
        self.source_rows.append_value(r.source_rows);
        self.requests.add(r);
        self.len += 1;
    }

    pub fn finish(self) -> Result<Ledger> {
        let dt = DataType::Datetime(TimeUnit::Milliseconds, None);
        let billed = self.billed_nano.finish();
        let list = self.list_nano.finish();
        let to_f64 = |ca: &Int64Chunked, name: &str| -> Column {
            let v: Float64Chunked = ca
                .iter()
                .map(|o| o.map(crate::money::nanos_to_f64))
                .collect();
            v.with_name(name.into()).into_column()
        };
        let columns = vec![
            self.start.finish().into_column().cast(&dt)?,
            self.end.finish().into_column().cast(&dt)?,
            self.provider.finish().into_column(),
            self.role.finish().into_column(),
            self.billing_account.finish().into_column(),
            self.sub_account.finish().into_column(),
            self.api_key.finish().into_column(),
            self.workload.finish().into_column(),
            self.model_raw.finish().into_column(),
            self.model_id.finish().into_column(),
            self.charge_kind.finish().into_column(),
            self.charge_category.finish().into_column(),
            self.charge_frequency.finish().into_column(),
            self.cache_ttl.finish().into_column(),
            self.quantity.finish().into_column(),
            self.unit.finish().into_column(),
            self.prompt_tokens.finish().into_column(),
            to_f64(&billed, "billed_cost"),
            billed.into_column(),
            to_f64(&list, "list_cost"),
            list.into_column(),
            self.contracted_nano.finish().into_column(),
            self.reported_nano.finish().into_column(),
            self.effective_nano.finish().into_column(),
            self.currency.finish().into_column(),
            self.tier.finish().into_column(),
            self.region.finish().into_column(),
            self.resource.finish().into_column(),
            self.tags.finish().into_column(),
            self.last_activity.finish().into_column().cast(&dt)?,
            self.assigned.finish().into_column().cast(&dt)?,
            self.price_ref.finish().into_column(),
            self.unpriced.finish().into_column(),
            self.source_file.finish().into_column(),
            self.source_line.finish().into_column(),
            self.source_rows.finish().into_column(),
        ];
        Ok(Ledger {
            df: DataFrame::new(self.len, columns)?,
            requests: self.requests,
        })
    }
}

/// Per-request statistics of one workload on one model (see [`Ledger::request_stats`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RequestStats {
    pub workload: String,
    pub model_id: String,
    pub requests: u64,
    pub output_p50: f64,
    pub output_p95: f64,
    pub prompt_p50: f64,
    pub prompt_p95: f64,
    pub prompt_max: f64,
    /// Requests per UTC hour of day.
    pub hourly: [u64; 24],
    /// The quantiles come from log-spaced size buckets (within ±1/64), not exact sizes.
    pub sizes_approximate: bool,
}

/// The collected, priced ledger. Cheap to clone (columns are reference-counted).
#[derive(Clone)]
pub struct Ledger {
    pub(super) df: DataFrame,
    /// Request sizes of the per-request logs behind the ledger's rows.
    requests: RequestProfile,
}

impl Ledger {
    pub fn height(&self) -> usize {
        self.df.height()
    }

    /// Keeps the rows whose period starts in `[start_ms, end_ms)`, and seat lines whose
    /// assignment overlaps it (a seat snapshot says "assigned since `created_at`"), re-dated to
    /// the period; returns the kept ledger and, per source file, the number of distinct input
    /// lines that fell outside the period.
    pub fn restrict_period(
        &self,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<(Ledger, Vec<(String, u64)>)> {
        let start = col("charge_period_start").cast(DataType::Int64);
        let end = col("charge_period_end").cast(DataType::Int64);
        let seat = col("charge_kind").eq(lit("seat"));
        let inside = start
            .clone()
            .gt_eq(lit(start_ms))
            .and(start.clone().lt(lit(end_ms)))
            .or(seat
                .clone()
                .and(start.clone().lt(lit(end_ms)))
                .and(end.clone().gt(lit(start_ms))));
        let dt = DataType::Datetime(TimeUnit::Milliseconds, None);
        let kept = self
            .df
            .clone()
            .lazy()
            .filter(inside.clone())
            .with_columns([
                when(seat.clone().and(start.clone().lt(lit(start_ms))))
                    .then(lit(start_ms))
                    .otherwise(start)
                    .cast(dt.clone())
                    .alias("charge_period_start"),
                when(seat.and(end.clone().gt(lit(end_ms))))
                    .then(lit(end_ms))
                    .otherwise(end)
                    .cast(dt)
                    .alias("charge_period_end"),
            ])
            .collect()?;
        let outside = self
            .df
            .clone()
            .lazy()
            .filter(inside.not())
            .group_by([col("source_file")])
            // A row-by-row line counts its input line once (several lines share it); an
            // aggregated request-log group counts its requests, once, on its request line.
            .agg([(col("source_line")
                .filter(col("source_rows").lt_eq(lit(1u32)))
                .n_unique()
                .cast(DataType::UInt64)
                + col("source_rows")
                    .filter(
                        col("source_rows")
                            .gt(lit(1u32))
                            .and(col("charge_kind").eq(lit("request"))),
                    )
                    .cast(DataType::UInt64)
                    .sum())
            .alias("lines")])
            .sort(["source_file"], SortMultipleOptions::default())
            .collect()?;
        let files = outside.column("source_file")?.str()?.clone();
        let lines = outside.column("lines")?.cast(&DataType::UInt64)?;
        let lines = lines.u64()?;
        let out = files
            .iter()
            .zip(lines.iter())
            .map(|(f, n)| (f.unwrap_or_default().to_string(), n.unwrap_or(0)))
            .collect();
        let requests = self.requests.restrict(start_ms, end_ms);
        Ok((Ledger { df: kept, requests }, out))
    }

    /// Per-request statistics of every (workload, model) with per-request rows (gateway and
    /// observability logs): output and prompt-size quantiles and the arrival count per UTC hour
    /// of day, from the size counts folded in as the ledger was built. Sorted by workload and
    /// model.
    pub fn request_stats(&self) -> Result<Vec<RequestStats>> {
        Ok(self.requests.stats())
    }

    /// Per serving resource, the tokens gateway traffic sent in its busiest UTC hour.
    pub fn gateway_peak_hour_tokens(&self) -> Result<std::collections::BTreeMap<String, f64>> {
        let df = self
            .df
            .clone()
            .lazy()
            .filter(
                col("record_role")
                    .eq(lit(RecordRole::Gateway.as_str()))
                    .and(col("unit").eq(lit("tokens")))
                    .and(col("resource").is_not_null()),
            )
            .with_column(
                (col("charge_period_start").cast(DataType::Int64) / lit(3_600_000i64))
                    .alias("__hour"),
            )
            .group_by([col("resource"), col("__hour")])
            .agg([col("quantity").sum().alias("__tokens")])
            .group_by([col("resource")])
            .agg([col("__tokens").max().alias("__peak")])
            .sort(["resource"], SortMultipleOptions::default())
            .collect()?;
        let resource = df.column("resource")?.str()?.clone();
        let peak = df.column("__peak")?.f64()?.clone();
        Ok((0..df.height())
            .filter_map(|r| Some((resource.get(r)?.to_string(), peak.get(r).unwrap_or(0.0))))
            .collect())
    }

    /// Writes the ledger as Parquet, sorted by provenance so the bytes are reproducible.
    /// The ledger as Parquet bytes, sorted by source file and line.
    pub fn parquet_bytes(&self) -> Result<Vec<u8>> {
        let mut df = self
            .df
            .clone()
            .lazy()
            .sort(
                ["source_file", "source_line", "charge_kind"],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .collect()?;
        // Every time is UTC in the ledger; saying so in the file's types makes Parquet readers
        // (DuckDB, Spark, pandas) see `isAdjustedToUTC=true` instead of a local wall time.
        df = with_datetime_zone(df, Some(TimeZone::UTC))?;
        let mut bytes = Vec::new();
        anyhow::Context::context(
            ParquetWriter::new(&mut bytes).finish(&mut df),
            "could not write the ledger as Parquet",
        )?;
        Ok(bytes)
    }

    pub fn write_parquet(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.parquet_bytes()?)
            .with_context(|| format!("could not write `{}`", path.display()))
    }

    /// Reads a ledger back (tests and downstream checks).
    pub fn read_parquet(path: &Path) -> Result<Ledger> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("could not open `{}`", path.display()))?;
        let df = with_datetime_zone(ParquetReader::new(file).finish()?, None)?;
        Ok(Ledger {
            df,
            requests: RequestProfile::default(),
        })
    }

    /// Column names in schema order (documentation tests compare against the README).
    pub fn column_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The named columns as strings, row by row (datetimes as epoch milliseconds), in ledger
    /// order; for the FOCUS export.
    pub fn string_rows(&self, columns: &[&str]) -> Result<Vec<Vec<Option<String>>>> {
        Self::strings_of(&self.df, columns)
    }

    /// As [`Ledger::string_rows`], for the charges only: billed lines, and the priced lines of
    /// the providers whose spend is estimated from usage. The filter runs in polars, so the
    /// gateway and usage quantities behind a bill (most of a large ledger) never become
    /// strings.
    pub fn charge_string_rows(
        &self,
        columns: &[&str],
        estimated_providers: &[&str],
    ) -> Result<Vec<Vec<Option<String>>>> {
        Self::strings_of(&self.charges(estimated_providers).collect()?, columns)
    }

    /// The charges: billed lines, and the priced lines of the estimated providers.
    fn charges(&self, estimated_providers: &[&str]) -> LazyFrame {
        let estimated = estimated_providers
            .iter()
            .map(|p| col("provider").eq(lit(*p)))
            .reduce(|a, b| a.or(b))
            .unwrap_or(lit(false));
        self.df.clone().lazy().filter(
            col("record_role")
                .eq(lit(RecordRole::Billed.as_str()))
                .or(estimated.and(col("list_cost_nano").is_not_null()))
                .fill_null(lit(false)),
        )
    }

    /// As [`Ledger::charge_string_rows`], each row followed by the [`USAGE_MATCH_COLUMNS`]:
    /// for a billed line that states no quantity (OpenAI's and Anthropic's cost exports state
    /// only money), the usage its provider's usage export reports for the same day, account,
    /// model and charge kind (any service tier) — its quantity and unit, and its catalog list and
    /// contracted cost when every usage line behind it is priced. A match is made only when
    /// exactly one billed line has that key and the usage is in one unit, so no quantity is
    /// ever counted twice; other rows get nulls. The matching is one polars join.
    ///
    /// The joined frame stays typed; `each` gets it as string rows `chunk_rows` at a time (at
    /// least once, with no rows for an empty ledger), so a large month never exists as strings
    /// all at once.
    pub fn charge_string_chunks_with_usage(
        &self,
        columns: &[&str],
        estimated_providers: &[&str],
        chunk_rows: usize,
        each: &mut dyn FnMut(Vec<Vec<Option<String>>>) -> Result<()>,
    ) -> Result<()> {
        // Not the service tier: cost exports do not state it (a flex request is billed on a
        // line the export calls plain "input"), so a tier in the key would never match.
        const KEYS: [&str; 4] = ["provider", "sub_account", "model_id", "charge_kind"];
        let keyed = |lf: LazyFrame| {
            let mut keys: Vec<Expr> = KEYS
                .iter()
                .map(|k| {
                    col(*k)
                        .cast(DataType::String)
                        .fill_null(lit(""))
                        .alias(format!("__k_{k}"))
                })
                .collect();
            keys.push(
                (col("charge_period_start").cast(DataType::Int64) / lit(86_400_000i64))
                    .alias("__k_day"),
            );
            lf.with_columns(keys)
        };
        let key_cols: Vec<Expr> = KEYS
            .iter()
            .map(|k| col(format!("__k_{k}")))
            .chain([col("__k_day")])
            .collect();
        let role = |r: RecordRole| col("record_role").eq(lit(r.as_str()));
        let all_priced = |c: &str| col(c).null_count().eq(lit(0u32));
        let usage = keyed(
            self.df.clone().lazy().filter(
                role(RecordRole::Usage)
                    .and(col("unit").neq(lit("none")))
                    .and(col("quantity").is_not_null())
                    .fill_null(lit(false)),
            ),
        )
        .group_by(key_cols.clone())
        .agg([
            col("quantity").sum().alias("matched_quantity"),
            col("unit").first().alias("matched_unit"),
            col("unit").n_unique().alias("__units"),
            when(all_priced("list_cost_nano"))
                .then(col("list_cost_nano").sum())
                .otherwise(lit(NULL).cast(DataType::Int64))
                .alias("matched_list_nano"),
            when(all_priced("contracted_cost_nano"))
                .then(col("contracted_cost_nano").sum())
                .otherwise(lit(NULL).cast(DataType::Int64))
                .alias("matched_contracted_nano"),
        ]);
        let billed = keyed(self.df.clone().lazy().filter(role(RecordRole::Billed)))
            .group_by(key_cols.clone())
            .agg([len().alias("__billed")]);
        let args = || {
            let mut a = JoinArgs::new(JoinType::Left);
            a.maintain_order = MaintainOrderJoin::Left;
            a
        };
        let matched = role(RecordRole::Billed)
            .and(col("unit").eq(lit("none")))
            .and(col("__billed").eq(lit(1u32)))
            .and(col("__units").eq(lit(1u32)))
            .fill_null(lit(false));
        let charges = self.charges(estimated_providers).collect()?;
        // The join runs on the keys alone and its four result columns are set beside the
        // charges: joining the full-width frame would copy every column twice. Both right sides
        // are grouped by the key, so the left join keeps the charges' rows and order.
        let narrow: Vec<Expr> = ["record_role", "unit"]
            .into_iter()
            .chain(KEYS)
            .chain(["charge_period_start"])
            .map(col)
            .collect();
        let matches = keyed(charges.clone().lazy().select(narrow))
            .join(usage, key_cols.clone(), key_cols.clone(), args())
            .join(billed, key_cols.clone(), key_cols, args())
            .select(
                USAGE_MATCH_COLUMNS
                    .iter()
                    .map(|c| {
                        when(matched.clone())
                            .then(col(*c))
                            .otherwise(lit(NULL))
                            .alias(*c)
                    })
                    .collect::<Vec<_>>(),
            )
            .collect()?;
        anyhow::ensure!(
            matches.height() == charges.height(),
            "the usage match changed the number of charges"
        );
        let charges = charges.hstack(matches.columns())?;
        let all: Vec<&str> = columns
            .iter()
            .copied()
            .chain(USAGE_MATCH_COLUMNS.iter().copied())
            .collect();
        let chunk_rows = chunk_rows.max(1);
        let mut offset = 0;
        loop {
            let chunk = charges.slice(offset as i64, chunk_rows);
            each(Self::strings_of(&chunk, &all)?)?;
            offset += chunk_rows;
            if offset >= charges.height() {
                return Ok(());
            }
        }
    }

    fn strings_of(df: &DataFrame, columns: &[&str]) -> Result<Vec<Vec<Option<String>>>> {
        let mut cols = Vec::new();
        for c in columns {
            let column = df.column(c)?;
            // Datetimes come out as epoch milliseconds, so callers format them exactly.
            let column = match column.dtype() {
                DataType::Datetime(_, _) => column.cast(&DataType::Int64)?,
                _ => column.clone(),
            };
            let s = column.cast(&DataType::String)?;
            cols.push(s.str()?.clone());
        }
        Ok((0..df.height())
            .map(|r| cols.iter().map(|c| c.get(r).map(str::to_string)).collect())
            .collect())
    }
}

/// The usage matched to a billed line by [`Ledger::charge_string_chunks_with_usage`].
pub const USAGE_MATCH_COLUMNS: &[&str] = &[
    "matched_quantity",
    "matched_unit",
    "matched_list_nano",
    "matched_contracted_nano",
];

/// `df` with every datetime column typed in time zone `zone` (`None`: naive), keeping the
/// instants: the physical epoch milliseconds are reinterpreted, never shifted.
fn with_datetime_zone(df: DataFrame, zone: Option<TimeZone>) -> Result<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::Datetime(unit, _) => c
                .cast(&DataType::Int64)?
                .cast(&DataType::Datetime(unit.to_owned(), zone.clone())),
            _ => Ok(c.clone()),
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    Ok(DataFrame::new(df.height(), columns)?)
}
