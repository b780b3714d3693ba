//! Typed queries over the ledger frame.
//!
//! Analyses and the report ask the ledger questions ("billed money per provider and
//! currency", "list cost of gateway traffic per workload") through the functions here, and
//! get named structs back. Columns are named by the [`Col`] enum and sums by [`Sum`], so a
//! misspelt column is a compile error rather than a polars error at run time, and no caller
//! reads a group's values by position.
//!
//! Every query groups in polars and returns its groups sorted by their keys (missing values
//! first), so the order never depends on hashing or thread scheduling.

use super::{ChargeCategory, ChargeKind, Ledger, RecordRole};
use anyhow::{anyhow, Result};
use polars::prelude::*;
use std::collections::BTreeMap;

/// A ledger column a query can group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Provider,
    RecordRole,
    BillingAccount,
    SubAccount,
    ApiKey,
    Workload,
    ModelRaw,
    ModelId,
    ChargeKind,
    ChargeCategory,
    CacheTtl,
    Unit,
    Currency,
    ServiceTier,
    Resource,
    Tags,
    UnpricedReason,
    PriceRef,
    LastActivity,
    AssignedAt,
    /// The UTC day (`YYYY-MM-DD`) the charge period starts on.
    Day,
    SourceFile,
    SourceLine,
}

impl Col {
    fn name(self) -> &'static str {
        match self {
            Col::Provider => "provider",
            Col::RecordRole => "record_role",
            Col::BillingAccount => "billing_account",
            Col::SubAccount => "sub_account",
            Col::ApiKey => "api_key",
            Col::Workload => "workload",
            Col::ModelRaw => "model_raw",
            Col::ModelId => "model_id",
            Col::ChargeKind => "charge_kind",
            Col::ChargeCategory => "charge_category",
            Col::CacheTtl => "cache_ttl",
            Col::Unit => "unit",
            Col::Currency => "currency",
            Col::ServiceTier => "service_tier",
            Col::Resource => "resource",
            Col::Tags => "tags",
            Col::UnpricedReason => "unpriced_reason",
            Col::PriceRef => "price_ref",
            Col::LastActivity => "last_activity_at",
            Col::AssignedAt => "assigned_at",
            Col::Day => "__day",
            Col::SourceFile => "source_file",
            Col::SourceLine => "source_line",
        }
    }

    fn expr(self) -> Expr {
        match self {
            // A datetime's string form starts `YYYY-MM-DD`.
            Col::Day => col("charge_period_start")
                .cast(DataType::String)
                .str()
                .slice(lit(0), lit(10))
                .alias(self.name()),
            Col::LastActivity | Col::AssignedAt => col(self.name()).cast(DataType::Int64),
            _ => col(self.name()),
        }
    }
}

/// A measure a query sums per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sum {
    BilledCost,
    ListCost,
    ContractedCost,
    EffectiveCost,
    /// Lines that state an effective cost (a count, not money).
    EffectiveLines,
    Quantity,
}

impl Sum {
    fn name(self) -> &'static str {
        match self {
            Sum::BilledCost => "billed_cost_nano",
            Sum::ListCost => "list_cost_nano",
            Sum::ContractedCost => "contracted_cost_nano",
            Sum::EffectiveCost => "effective_cost_nano",
            Sum::EffectiveLines => "__effective_lines",
            Sum::Quantity => "quantity",
        }
    }

    fn expr(self) -> Expr {
        if self == Sum::EffectiveLines {
            return col("effective_cost_nano")
                .count()
                .cast(DataType::Int64)
                .alias(self.name());
        }
        let c = col(self.name()).sum();
        match self {
            Sum::Quantity => c.cast(DataType::Float64),
            _ => c.cast(DataType::Int64),
        }
        .alias(self.name())
    }
}

/// Which rows a query looks at.
#[derive(Debug, Clone, Copy, Default)]
struct Rows {
    role: Option<RecordRole>,
    not_role: Option<RecordRole>,
    unpriced_only: bool,
    /// Billed lines that name no model (seats aside: a seat product is not a model).
    unidentified_only: bool,
    unit: Option<&'static str>,
    charge_kind: Option<&'static str>,
    /// Leave out seat lines (a seat's user is not an API key, its plan not a model).
    no_seats: bool,
    /// Also take billed purchases, taxes, credits and adjustments; without it a query sees
    /// usage lines only, so no analysis is fed a commitment purchase or a tax line.
    every_category: bool,
}

impl Rows {
    fn all() -> Self {
        Rows::default()
    }

    fn of(role: RecordRole) -> Self {
        Rows {
            role: Some(role),
            ..Rows::default()
        }
    }

    fn except(role: RecordRole) -> Self {
        Rows {
            not_role: Some(role),
            ..Rows::default()
        }
    }

    /// These rows of every charge category.
    fn every_category(self) -> Self {
        Rows {
            every_category: true,
            ..self
        }
    }

    fn expr(&self) -> Expr {
        let mut e = lit(true);
        if let Some(role) = self.role {
            e = e.and(col("record_role").eq(lit(role.as_str())));
        }
        if let Some(role) = self.not_role {
            e = e.and(col("record_role").eq(lit(role.as_str())).not());
        }
        if self.unpriced_only {
            e = e.and(col("unpriced_reason").is_not_null());
        }
        if self.unidentified_only {
            // A line with its own unpriced reason (an unknown meter) is listed by `unpriced`.
            e = e
                .and(col("record_role").eq(lit(RecordRole::Billed.as_str())))
                .and(col("model_raw").is_null())
                .and(col("unpriced_reason").is_null())
                .and(col("charge_kind").neq(lit(ChargeKind::Seat.as_str())));
        }
        if let Some(unit) = self.unit {
            e = e.and(col("unit").eq(lit(unit)));
        }
        if let Some(kind) = self.charge_kind {
            e = e.and(col("charge_kind").eq(lit(kind)));
        }
        if self.no_seats {
            e = e.and(col("charge_kind").neq(lit(ChargeKind::Seat.as_str())));
        }
        if !self.every_category {
            e = e.and(col("charge_category").eq(lit(ChargeCategory::Usage.as_str())));
        }
        e.fill_null(lit(false))
    }
}

/// The collected groups of one query, read by column.
struct Groups {
    keys: Vec<(Col, StringChunked)>,
    /// Keys that are times, as epoch milliseconds.
    times: Vec<(Col, Int64Chunked)>,
    ints: Vec<(Sum, Int64Chunked)>,
    floats: Vec<(Sum, Float64Chunked)>,
    rows: UInt64Chunked,
}

impl Groups {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn time(&self, i: usize, key: Col) -> Option<i64> {
        let (_, c) = self.times.iter().find(|(k, _)| *k == key)?;
        c.get(i)
    }

    fn text(&self, i: usize, key: Col) -> Option<String> {
        let (_, c) = self.keys.iter().find(|(k, _)| *k == key)?;
        c.get(i).map(str::to_string)
    }

    /// A key every row has (provider, role, currency, unit): missing reads as empty.
    fn name(&self, i: usize, key: Col) -> String {
        self.text(i, key).unwrap_or_default()
    }

    fn role(&self, i: usize) -> Result<RecordRole> {
        let s = self.name(i, Col::RecordRole);
        RecordRole::parse(&s).ok_or_else(|| anyhow!("the ledger has an unknown record role `{s}`"))
    }

    fn nanos(&self, i: usize, sum: Sum) -> i64 {
        self.ints
            .iter()
            .find(|(s, _)| *s == sum)
            .and_then(|(_, c)| c.get(i))
            .unwrap_or(0)
    }

    fn quantity(&self, i: usize) -> f64 {
        self.floats
            .iter()
            .find(|(s, _)| *s == Sum::Quantity)
            .and_then(|(_, c)| c.get(i))
            .unwrap_or(0.0)
    }

    fn rows(&self, i: usize) -> u64 {
        self.rows.get(i).unwrap_or(0)
    }
}

impl Ledger {
    fn group(&self, rows: Rows, keys: &[Col], sums: &[Sum]) -> Result<Groups> {
        let mut aggs: Vec<Expr> = sums.iter().map(|s| s.expr()).collect();
        aggs.push(len().cast(DataType::UInt64).alias("__rows"));
        let lf = self.df.clone().lazy().filter(rows.expr());
        let out = if keys.is_empty() {
            lf.select(aggs).collect()?
        } else {
            let names: Vec<PlSmallStr> = keys.iter().map(|k| k.name().into()).collect();
            lf.group_by(keys.iter().map(|k| k.expr()).collect::<Vec<_>>())
                .agg(aggs)
                .sort(names, SortMultipleOptions::default())
                .collect()?
        };
        let mut groups = Groups {
            keys: Vec::with_capacity(keys.len()),
            times: Vec::new(),
            ints: Vec::new(),
            floats: Vec::new(),
            rows: out.column("__rows")?.u64()?.clone(),
        };
        for k in keys {
            let c = out.column(k.name())?;
            if matches!(*k, Col::LastActivity | Col::AssignedAt) {
                groups
                    .times
                    .push((*k, c.cast(&DataType::Int64)?.i64()?.clone()));
            } else {
                groups
                    .keys
                    .push((*k, c.cast(&DataType::String)?.str()?.clone()));
            }
        }
        for s in sums {
            let c = out.column(s.name())?;
            match s {
                Sum::Quantity => groups.floats.push((*s, c.f64()?.clone())),
                _ => groups.ints.push((*s, c.i64()?.clone())),
            }
        }
        Ok(groups)
    }

    /// Billed money per provider and billing currency, every charge category.
    pub fn billed_by_provider_currency(&self) -> Result<Vec<ProviderCurrencyCost>> {
        let g = self.group(
            Rows::of(RecordRole::Billed).every_category(),
            &[Col::Provider, Col::Currency],
            &[Sum::BilledCost],
        )?;
        Ok((0..g.len())
            .map(|i| ProviderCurrencyCost {
                provider: g.name(i, Col::Provider),
                currency: g.name(i, Col::Currency),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
            })
            .collect())
    }

    /// Billed money per provider from its own exports (bills, cost exports, seat spend), every
    /// category: card and expense purchases from a vendor are not its bill, so they never
    /// stand for one. A provider is listed when it has such lines.
    pub fn own_bills(&self) -> Result<BTreeMap<String, i128>> {
        let g = self.group(
            Rows::of(RecordRole::Billed).every_category(),
            &[Col::Provider, Col::ChargeKind],
            &[Sum::BilledCost],
        )?;
        let mut bills = BTreeMap::new();
        for i in
            (0..g.len()).filter(|i| g.name(*i, Col::ChargeKind) != ChargeKind::Expense.as_str())
        {
            *bills.entry(g.name(i, Col::Provider)).or_insert(0) +=
                g.nanos(i, Sum::BilledCost) as i128;
        }
        Ok(bills)
    }

    /// Billed money per charge category (usage, purchase, tax, credit, adjustment), with the
    /// effective (amortised) cost of the lines whose source states one.
    pub fn billed_by_category(&self) -> Result<Vec<CategoryCost>> {
        let g = self.group(
            Rows::of(RecordRole::Billed).every_category(),
            &[Col::ChargeCategory],
            &[Sum::BilledCost, Sum::EffectiveCost, Sum::EffectiveLines],
        )?;
        Ok((0..g.len())
            .map(|i| CategoryCost {
                category: g.name(i, Col::ChargeCategory),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
                effective_cost_nano: g.nanos(i, Sum::EffectiveCost),
                effective_lines: g.nanos(i, Sum::EffectiveLines).max(0) as u64,
                lines: g.rows(i),
            })
            .collect())
    }

    /// Billed, list and contracted money per provider and record role, every charge category
    /// (only usage lines have a list cost).
    pub fn cost_by_provider_role(&self) -> Result<Vec<ProviderRoleCost>> {
        let sums = [Sum::BilledCost, Sum::ListCost, Sum::ContractedCost];
        let g = self.group(
            Rows::all().every_category(),
            &[Col::Provider, Col::RecordRole],
            &sums,
        )?;
        (0..g.len())
            .map(|i| {
                Ok(ProviderRoleCost {
                    provider: g.name(i, Col::Provider),
                    role: g.role(i)?,
                    billed_cost_nano: g.nanos(i, Sum::BilledCost),
                    list_cost_nano: g.nanos(i, Sum::ListCost),
                    contracted_cost_nano: g.nanos(i, Sum::ContractedCost),
                })
            })
            .collect()
    }

    /// Billed money per provider and workload (or catalog model), with the model string as
    /// exported for the lines the catalog could not resolve.
    pub fn billed_by(&self, by: SpendBy) -> Result<Vec<NamedCost>> {
        let key = match by {
            SpendBy::Workload => Col::Workload,
            SpendBy::Model => Col::ModelId,
        };
        let g = self.group(
            Rows::of(RecordRole::Billed),
            &[Col::Provider, key, Col::ModelRaw],
            &[Sum::BilledCost],
        )?;
        Ok((0..g.len())
            .map(|i| NamedCost {
                provider: g.name(i, Col::Provider),
                name: g.text(i, key),
                model_raw: g.text(i, Col::ModelRaw),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
            })
            .collect())
    }

    /// Rows the catalog could not price, per provider, model string, reason and unit.
    pub fn unpriced(&self) -> Result<Vec<UnpricedGroup>> {
        let rows = Rows {
            unpriced_only: true,
            ..Rows::default()
        };
        let keys = [Col::Provider, Col::ModelRaw, Col::UnpricedReason, Col::Unit];
        let g = self.group(rows, &keys, &[Sum::BilledCost, Sum::Quantity])?;
        Ok((0..g.len())
            .map(|i| UnpricedGroup {
                provider: g.name(i, Col::Provider),
                model_raw: g.text(i, Col::ModelRaw),
                reason: g.name(i, Col::UnpricedReason),
                unit: g.name(i, Col::Unit),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
                quantity: g.quantity(i),
                rows: g.rows(i),
            })
            .collect())
    }

    /// Billed lines that name no model (seats aside), per provider and charge kind: money
    /// nobody can tie to a model, listed so it is never silently left out of the analyses.
    pub fn billed_without_model(&self) -> Result<Vec<UnpricedGroup>> {
        let rows = Rows {
            unidentified_only: true,
            ..Rows::default()
        };
        let keys = [Col::Provider, Col::ChargeKind, Col::Unit];
        let g = self.group(rows, &keys, &[Sum::BilledCost, Sum::Quantity])?;
        Ok((0..g.len())
            .map(|i| UnpricedGroup {
                provider: g.name(i, Col::Provider),
                model_raw: None,
                reason: "billed, no model named".to_string(),
                unit: g.name(i, Col::Unit),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
                quantity: g.quantity(i),
                rows: g.rows(i),
            })
            .collect())
    }

    /// List cost of gateway traffic per provider and workload.
    pub fn gateway_cost_by_workload(&self) -> Result<Vec<WorkloadCost>> {
        let g = self.group(
            Rows::of(RecordRole::Gateway),
            &[Col::Provider, Col::Workload],
            &[Sum::ListCost],
        )?;
        Ok((0..g.len())
            .map(|i| WorkloadCost {
                provider: g.name(i, Col::Provider),
                workload: g.text(i, Col::Workload),
                list_cost_nano: g.nanos(i, Sum::ListCost),
            })
            .collect())
    }

    /// Quantities and list cost of everything that is not a bill (usage exports, gateway and
    /// observability logs, seat reports), per provider, role, workload, model, tier, charge
    /// kind and cache lifetime.
    pub fn usage_groups(&self) -> Result<Vec<UsageGroup>> {
        let keys = [
            Col::Provider,
            Col::RecordRole,
            Col::Workload,
            Col::ModelId,
            Col::ServiceTier,
            Col::ChargeKind,
            Col::CacheTtl,
        ];
        let sums = [Sum::ListCost, Sum::ContractedCost, Sum::Quantity];
        let g = self.group(Rows::except(RecordRole::Billed), &keys, &sums)?;
        (0..g.len())
            .map(|i| {
                Ok(UsageGroup {
                    provider: g.name(i, Col::Provider),
                    role: g.role(i)?,
                    workload: g.name(i, Col::Workload),
                    model_id: g.name(i, Col::ModelId),
                    service_tier: g.name(i, Col::ServiceTier),
                    charge_kind: g.name(i, Col::ChargeKind),
                    cache_ttl: g.text(i, Col::CacheTtl),
                    list_cost_nano: g.nanos(i, Sum::ListCost),
                    contracted_cost_nano: g.nanos(i, Sum::ContractedCost),
                    quantity: g.quantity(i),
                    rows: g.rows(i),
                })
            })
            .collect()
    }

    /// Billed money per provider and billing account.
    pub fn billed_by_account(&self) -> Result<Vec<AccountCost>> {
        let g = self.group(
            Rows::of(RecordRole::Billed),
            &[Col::Provider, Col::BillingAccount],
            &[Sum::BilledCost],
        )?;
        Ok((0..g.len())
            .map(|i| AccountCost {
                provider: g.name(i, Col::Provider),
                billing_account: g.text(i, Col::BillingAccount),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
            })
            .collect())
    }

    /// Billed provisioned-capacity hours (PTU, Provisioned Throughput) per provider and
    /// resource, the commitment purchases included: what was paid for the capacity is what
    /// its use is measured against.
    pub fn provisioned_hours(&self) -> Result<Vec<ResourceHours>> {
        let rows = Rows {
            charge_kind: Some("provisioned_hour"),
            ..Rows::of(RecordRole::Billed).every_category()
        };
        let g = self.group(
            rows,
            &[Col::Provider, Col::Resource],
            &[Sum::BilledCost, Sum::Quantity],
        )?;
        Ok((0..g.len())
            .map(|i| ResourceHours {
                provider: g.name(i, Col::Provider),
                resource: g.text(i, Col::Resource),
                hours: g.quantity(i),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
            })
            .collect())
    }

    /// Gateway traffic per serving resource, charge kind and unit: quantity and list cost.
    pub fn gateway_traffic_by_resource(&self) -> Result<Vec<ResourceTraffic>> {
        let g = self.group(
            Rows::of(RecordRole::Gateway),
            &[
                Col::Resource,
                Col::ChargeKind,
                Col::Unit,
                Col::ModelRaw,
                Col::UnpricedReason,
            ],
            &[Sum::ListCost, Sum::Quantity],
        )?;
        Ok((0..g.len())
            .map(|i| ResourceTraffic {
                resource: g.text(i, Col::Resource),
                unit: g.name(i, Col::Unit),
                quantity: g.quantity(i),
                list_cost_nano: g.nanos(i, Sum::ListCost),
                model_raw: g.text(i, Col::ModelRaw),
                unpriced: g.text(i, Col::UnpricedReason).is_some(),
            })
            .collect())
    }

    /// The seat lines of seat reports: one per provider, plan, user, last activity and pricing.
    pub fn seat_lines(&self) -> Result<Vec<SeatLine>> {
        let rows = Rows {
            unit: Some("seats"),
            ..Rows::of(RecordRole::Usage)
        };
        let keys = [
            Col::Provider,
            Col::ModelRaw,
            Col::ApiKey,
            Col::LastActivity,
            Col::AssignedAt,
            Col::UnpricedReason,
            Col::PriceRef,
        ];
        let g = self.group(rows, &keys, &[Sum::ListCost])?;
        Ok((0..g.len())
            .map(|i| SeatLine {
                provider: g.name(i, Col::Provider),
                plan: g.name(i, Col::ModelRaw),
                user: g.name(i, Col::ApiKey),
                last_activity_ms: g.time(i, Col::LastActivity),
                assigned_ms: g.time(i, Col::AssignedAt),
                price_nano: g
                    .text(i, Col::UnpricedReason)
                    .is_none()
                    .then(|| g.nanos(i, Sum::ListCost)),
                price_ref: g.text(i, Col::PriceRef),
            })
            .collect())
    }

    /// Every card and expense line (billed purchases of AI products, refunds negative), one
    /// per source row, in file and line order.
    pub fn expense_lines(&self) -> Result<Vec<ExpenseLine>> {
        let rows = Rows {
            charge_kind: Some(ChargeKind::Expense.as_str()),
            ..Rows::of(RecordRole::Billed).every_category()
        };
        let keys = [
            Col::Provider,
            Col::ModelRaw,
            Col::ApiKey,
            Col::Workload,
            Col::Day,
            Col::SourceFile,
            Col::SourceLine,
        ];
        let g = self.group(rows, &keys, &[Sum::BilledCost])?;
        let mut lines: Vec<ExpenseLine> = (0..g.len())
            .map(|i| ExpenseLine {
                provider: g.name(i, Col::Provider),
                product: g.name(i, Col::ModelRaw),
                person: g.text(i, Col::ApiKey),
                team: g.text(i, Col::Workload),
                day: g.name(i, Col::Day),
                source_file: g.name(i, Col::SourceFile),
                source_line: g.name(i, Col::SourceLine).parse().unwrap_or(0),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
            })
            .collect();
        lines.sort_by(|a, b| (&a.source_file, a.source_line).cmp(&(&b.source_file, b.source_line)));
        Ok(lines)
    }

    /// Billed money and list cost per provider, role, charge kind, billing account, workload,
    /// model and source file, every charge category: what the AI inventory lists.
    pub fn inventory_groups(&self) -> Result<Vec<InventoryGroup>> {
        let keys = [
            Col::Provider,
            Col::RecordRole,
            Col::ChargeKind,
            Col::BillingAccount,
            Col::SubAccount,
            Col::Workload,
            Col::ModelId,
            Col::ModelRaw,
            Col::SourceFile,
        ];
        let g = self.group(
            Rows::all().every_category(),
            &keys,
            &[Sum::BilledCost, Sum::ListCost],
        )?;
        (0..g.len())
            .map(|i| {
                Ok(InventoryGroup {
                    provider: g.name(i, Col::Provider),
                    role: g.role(i)?,
                    charge_kind: g.name(i, Col::ChargeKind),
                    billing_account: g.text(i, Col::BillingAccount),
                    sub_account: g.text(i, Col::SubAccount),
                    workload: g.text(i, Col::Workload),
                    model_id: g.text(i, Col::ModelId),
                    model_raw: g.text(i, Col::ModelRaw),
                    source_file: g.name(i, Col::SourceFile),
                    billed_cost_nano: g.nanos(i, Sum::BilledCost),
                    list_cost_nano: g.nanos(i, Sum::ListCost),
                })
            })
            .collect()
    }

    /// The distinct (workload, tags) pairs of every row.
    pub fn workload_tags(&self) -> Result<Vec<WorkloadTags>> {
        let g = self.group(Rows::all(), &[Col::Workload, Col::Tags], &[])?;
        Ok((0..g.len())
            .map(|i| WorkloadTags {
                workload: g.text(i, Col::Workload),
                tags: g.text(i, Col::Tags),
            })
            .collect())
    }

    /// Billed money per provider and UTC day.
    pub fn billed_by_day(&self) -> Result<Vec<DayCost>> {
        let g = self.group(
            Rows::of(RecordRole::Billed),
            &[Col::Provider, Col::Day],
            &[Sum::BilledCost],
        )?;
        Ok((0..g.len())
            .map(|i| DayCost {
                provider: g.name(i, Col::Provider),
                name: None,
                day: g.name(i, Col::Day),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
            })
            .collect())
    }

    /// Billed money per provider, model string (or API key) and UTC day, from bills and
    /// provider usage exports only: gateway logs often carry one hashed key per user or
    /// request, and seat lines name a person and a seat product, not a key or a model.
    pub fn billed_by_name_and_day(&self, by: NameOf) -> Result<Vec<DayCost>> {
        let key = match by {
            NameOf::Model => Col::ModelRaw,
            NameOf::ApiKey => Col::ApiKey,
        };
        let rows = Rows {
            no_seats: true,
            ..Rows::except(RecordRole::Gateway)
        };
        let g = self.group(rows, &[Col::Provider, key, Col::Day], &[Sum::BilledCost])?;
        Ok((0..g.len())
            .map(|i| DayCost {
                provider: g.name(i, Col::Provider),
                name: g.text(i, key),
                day: g.name(i, Col::Day),
                billed_cost_nano: g.nanos(i, Sum::BilledCost),
            })
            .collect())
    }
}

/// What [`Ledger::billed_by`] names each line by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendBy {
    Workload,
    Model,
}

/// What [`Ledger::billed_by_name_and_day`] names each line by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOf {
    Model,
    ApiKey,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCurrencyCost {
    pub provider: String,
    pub currency: String,
    pub billed_cost_nano: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRoleCost {
    pub provider: String,
    pub role: RecordRole,
    pub billed_cost_nano: i64,
    pub list_cost_nano: i64,
    pub contracted_cost_nano: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamedCost {
    pub provider: String,
    /// The workload or catalog model; `None` when the lines have none.
    pub name: Option<String>,
    pub model_raw: Option<String>,
    pub billed_cost_nano: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryCost {
    /// The ledger's spelling (`usage`, `purchase`, `tax`, `credit`, `adjustment`).
    pub category: String,
    pub billed_cost_nano: i64,
    /// Sum over the lines that state an effective cost (`effective_lines` of `lines`).
    pub effective_cost_nano: i64,
    pub effective_lines: u64,
    pub lines: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnpricedGroup {
    pub provider: String,
    pub model_raw: Option<String>,
    pub reason: String,
    pub unit: String,
    pub billed_cost_nano: i64,
    pub quantity: f64,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadCost {
    pub provider: String,
    pub workload: Option<String>,
    pub list_cost_nano: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UsageGroup {
    pub provider: String,
    pub role: RecordRole,
    pub workload: String,
    /// Empty when the catalog did not resolve the model.
    pub model_id: String,
    pub service_tier: String,
    pub charge_kind: String,
    pub cache_ttl: Option<String>,
    pub list_cost_nano: i64,
    pub contracted_cost_nano: i64,
    pub quantity: f64,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountCost {
    pub provider: String,
    pub billing_account: Option<String>,
    pub billed_cost_nano: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceHours {
    pub provider: String,
    pub resource: Option<String>,
    pub hours: f64,
    pub billed_cost_nano: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceTraffic {
    pub resource: Option<String>,
    pub unit: String,
    pub quantity: f64,
    pub list_cost_nano: i64,
    pub model_raw: Option<String>,
    /// The traffic has no list price (its `unpriced_reason` is set): its list cost is not $0
    /// but unknown.
    pub unpriced: bool,
}

/// One group of [`Ledger::inventory_groups`].
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryGroup {
    pub provider: String,
    pub role: RecordRole,
    pub charge_kind: String,
    pub billing_account: Option<String>,
    pub sub_account: Option<String>,
    pub workload: Option<String>,
    pub model_id: Option<String>,
    pub model_raw: Option<String>,
    pub source_file: String,
    pub billed_cost_nano: i64,
    pub list_cost_nano: i64,
}

/// One card or expense line (see [`Ledger::expense_lines`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpenseLine {
    pub provider: String,
    /// The product id from `pricing/merchants.toml` (`chatgpt_plus`, `openai_api`, …).
    pub product: String,
    pub person: Option<String>,
    /// The person's team, from the config's `[expenses.teams]`.
    pub team: Option<String>,
    pub day: String,
    pub source_file: String,
    pub source_line: u32,
    /// Billed money in the catalog currency; refunds are negative.
    pub billed_cost_nano: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeatLine {
    pub provider: String,
    pub plan: String,
    pub user: String,
    /// Last activity as the seat report states it (`None`: never active or not reported).
    pub last_activity_ms: Option<i64>,
    /// When the seat was assigned, where the report states it.
    pub assigned_ms: Option<i64>,
    /// The seat's price this month (the config's, else the catalog's list), when known.
    pub price_nano: Option<i64>,
    /// Where that price came from: `config/seats/<plan>` or the catalog's seat plan period.
    pub price_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadTags {
    pub workload: Option<String>,
    pub tags: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayCost {
    pub provider: String,
    /// The model string or API key, for [`Ledger::billed_by_name_and_day`].
    pub name: Option<String>,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub billed_cost_nano: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{ChargeKind, LedgerBuilder, LedgerRow};

    const DAY: i64 = 86_400_000;
    const OCT_1: i64 = 1_790_812_800_000;

    fn row(provider: &'static str, role: RecordRole, day: i64, billed: Option<i64>) -> LedgerRow {
        let start = OCT_1 + day * DAY;
        let mut r = LedgerRow::new(
            provider,
            role,
            ChargeKind::Output,
            start,
            start + DAY,
            "f.csv",
            2,
        );
        r.billed_cost_nano = billed;
        r.list_cost_nano = Some(7);
        r.contracted_cost_nano = Some(5);
        r.currency = "USD".into();
        r
    }

    fn ledger(rows: &[LedgerRow]) -> Ledger {
        let mut b = LedgerBuilder::new(rows.len());
        for r in rows {
            b.push(r);
        }
        b.finish().unwrap()
    }

    #[test]
    fn sums_per_provider_and_role_are_sorted_and_exact() {
        let l = ledger(&[
            row("openai", RecordRole::Billed, 0, Some(1_000_000_001)),
            row("anthropic", RecordRole::Billed, 0, Some(3)),
            row("openai", RecordRole::Billed, 1, Some(2)),
            row("openai", RecordRole::Gateway, 1, None),
        ]);
        let got = l.cost_by_provider_role().unwrap();
        let keys: Vec<(&str, RecordRole)> =
            got.iter().map(|r| (r.provider.as_str(), r.role)).collect();
        assert_eq!(
            keys,
            [
                ("anthropic", RecordRole::Billed),
                ("openai", RecordRole::Billed),
                ("openai", RecordRole::Gateway)
            ]
        );
        assert_eq!(got[1].billed_cost_nano, 1_000_000_003);
        assert_eq!(got[1].list_cost_nano, 14);
        assert_eq!(got[1].contracted_cost_nano, 10);
        assert_eq!(
            got[2].billed_cost_nano, 0,
            "a gateway row carries no billed money"
        );
    }

    #[test]
    fn billed_by_day_reads_the_utc_day_of_the_period_start() {
        let l = ledger(&[
            row("openai", RecordRole::Billed, 0, Some(1)),
            row("openai", RecordRole::Billed, 0, Some(2)),
            row("openai", RecordRole::Billed, 30, Some(4)),
            row("openai", RecordRole::Usage, 1, None),
        ]);
        let days: Vec<(String, i64)> = l
            .billed_by_day()
            .unwrap()
            .into_iter()
            .map(|d| (d.day, d.billed_cost_nano))
            .collect();
        assert_eq!(
            days,
            [("2026-10-01".to_string(), 3), ("2026-10-31".to_string(), 4)]
        );
    }

    #[test]
    fn seat_lines_carry_a_price_only_when_priced() {
        let mut priced = row("github", RecordRole::Usage, 0, None);
        priced.unit = "seats";
        priced.api_key = Some("octocat".into());
        priced.model_raw = Some("business".into());
        let mut unpriced = priced.clone();
        unpriced.api_key = Some("hubot".into());
        unpriced.unpriced_reason = Some("no seat price in the config".into());
        let l = ledger(&[priced, unpriced, row("openai", RecordRole::Usage, 0, None)]);
        let seats = l.seat_lines().unwrap();
        assert_eq!(seats.len(), 2, "only seat rows: {seats:?}");
        assert_eq!(
            (seats[0].user.as_str(), seats[0].price_nano),
            ("hubot", None)
        );
        assert_eq!(
            (seats[1].user.as_str(), seats[1].price_nano),
            ("octocat", Some(7))
        );
    }
}
