//! Usage profiles: what each workload sent to each model, summed over the month.
//!
//! Quantities come from one source per provider so tokens are never counted twice: the
//! provider's own usage export when there is one, otherwise gateway logs.

use crate::ledger::{CacheTtl, ChargeKind, Ledger, RecordRole, RowFilter, ServiceTier};
use crate::pricing::{cost_nanos, rate_for, Catalog};
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet};

/// Token mix and volume of one provider × workload × model × service tier.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageProfile {
    pub provider: String,
    pub workload: String,
    pub model_id: String,
    pub tier: ServiceTier,
    /// `usage` or `gateway`: where the quantities came from.
    pub source: &'static str,
    pub input: f64,
    pub cached_input: f64,
    pub cache_write_5m: f64,
    pub cache_write_1h: f64,
    pub output: f64,
    /// Request count, where the source has one (the Anthropic usage export does not).
    pub requests: Option<f64>,
    /// List cost of these rows as priced at their own dates.
    pub list_cost_nano: i64,
    pub rows: u64,
}

impl UsageProfile {
    pub fn input_total(&self) -> f64 {
        self.input + self.cached_input + self.cache_write_5m + self.cache_write_1h
    }

    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.provider, self.workload, self.model_id)
    }

    fn parts(&self) -> [(ChargeKind, Option<CacheTtl>, f64); 6] {
        [
            (ChargeKind::Input, None, self.input),
            (ChargeKind::CachedInput, None, self.cached_input),
            (
                ChargeKind::CacheWrite,
                Some(CacheTtl::FiveMinutes),
                self.cache_write_5m,
            ),
            (
                ChargeKind::CacheWrite,
                Some(CacheTtl::OneHour),
                self.cache_write_1h,
            ),
            (ChargeKind::Output, None, self.output),
            (ChargeKind::Request, None, self.requests.unwrap_or(0.0)),
        ]
    }
}

/// List cost of a profile's token mix on `model_id` at the rates in force on `at_ms`, with the
/// price period used. Fails if any part of the mix has no rate (never prices a part at $0).
pub fn price_profile(
    catalog: &Catalog,
    model_id: &str,
    p: &UsageProfile,
    at_ms: i64,
) -> Result<(i64, String), String> {
    let model = catalog
        .model(model_id)
        .ok_or_else(|| format!("unknown model `{model_id}`"))?;
    let period = model.period_at(at_ms).ok_or_else(|| {
        format!(
            "no price for `{model_id}` on {}",
            crate::util::day_string(at_ms)
        )
    })?;
    let mut total: i64 = 0;
    for (kind, ttl, qty) in p.parts() {
        if qty <= 0.0 {
            continue;
        }
        let (rate, per) = rate_for(period, kind, ttl, p.tier)?;
        total = total.saturating_add(cost_nanos(qty, rate, per));
    }
    Ok((
        total,
        format!("{}/{}/{}", catalog.release, model_id, period.id),
    ))
}

pub(super) fn build_profiles(ledger: &Ledger) -> Result<Vec<UsageProfile>> {
    let filter = RowFilter {
        roles_not: Some(RecordRole::Billed),
        ..Default::default()
    };
    let rows = ledger.aggregate(
        &filter,
        &[
            "provider",
            "record_role",
            "workload",
            "model_id",
            "service_tier",
            "charge_kind",
            "cache_ttl",
        ],
        &["list_cost_nano"],
        &["quantity"],
    )?;
    let with_usage: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.key(1) == "usage")
        .map(|r| r.key(0).to_string())
        .collect();
    let mut profiles: BTreeMap<(String, String, String, String), UsageProfile> = BTreeMap::new();
    for r in &rows {
        let (provider, role, workload, model, tier) =
            (r.key(0), r.key(1), r.key(2), r.key(3), r.key(4));
        if model.is_empty() {
            continue; // unresolved models are reported as unpriced, not profiled
        }
        let chosen = if with_usage.contains(provider) {
            "usage"
        } else {
            "gateway"
        };
        if role != chosen {
            continue;
        }
        let Some(service_tier) = ServiceTier::from_export(tier) else {
            continue;
        };
        let p = profiles
            .entry((provider.into(), workload.into(), model.into(), tier.into()))
            .or_insert_with(|| UsageProfile {
                provider: provider.into(),
                workload: workload.into(),
                model_id: model.into(),
                tier: service_tier,
                source: if chosen == "usage" {
                    "usage"
                } else {
                    "gateway"
                },
                input: 0.0,
                cached_input: 0.0,
                cache_write_5m: 0.0,
                cache_write_1h: 0.0,
                output: 0.0,
                requests: None,
                list_cost_nano: 0,
                rows: 0,
            });
        let qty = r.floats[0];
        p.list_cost_nano += r.ints[0];
        p.rows += r.rows;
        match (ChargeKind::parse(r.key(5)), r.key(6)) {
            (Some(ChargeKind::Input), _) => p.input += qty,
            (Some(ChargeKind::CachedInput), _) => p.cached_input += qty,
            (Some(ChargeKind::CacheWrite), "1h") => p.cache_write_1h += qty,
            (Some(ChargeKind::CacheWrite), _) => p.cache_write_5m += qty,
            (Some(ChargeKind::Output), _) => p.output += qty,
            (Some(ChargeKind::Request), _) => *p.requests.get_or_insert(0.0) += qty,
            _ => {}
        }
    }
    Ok(profiles.into_values().collect())
}

pub(super) fn billed_by_account(ledger: &Ledger) -> Result<Vec<(String, Option<String>, i64)>> {
    let filter = RowFilter {
        role: Some(RecordRole::Billed),
        ..Default::default()
    };
    Ok(ledger
        .aggregate(
            &filter,
            &["provider", "billing_account"],
            &["billed_cost_nano"],
            &[],
        )?
        .into_iter()
        .map(|r| (r.key(0).to_string(), r.keys[1].clone(), r.ints[0]))
        .collect())
}

pub(super) fn model_money(
    ledger: &Ledger,
    profiles: &[UsageProfile],
) -> Result<BTreeMap<(String, String), (i64, i64)>> {
    let filter = RowFilter {
        role: Some(RecordRole::Billed),
        ..Default::default()
    };
    let mut out: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for r in ledger.aggregate(
        &filter,
        &["provider", "model_id"],
        &["billed_cost_nano"],
        &[],
    )? {
        if let Some(model) = &r.keys[1] {
            out.entry((r.key(0).to_string(), model.clone()))
                .or_default()
                .0 += r.ints[0];
        }
    }
    for p in profiles {
        out.entry((p.provider.clone(), p.model_id.clone()))
            .or_default()
            .1 += p.list_cost_nano;
    }
    Ok(out)
}
