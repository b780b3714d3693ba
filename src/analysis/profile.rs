//! Usage profiles: what each workload sent to each model, summed over the month.
//!
//! Quantities come from one source per provider so tokens are never counted twice: the
//! provider's own usage export when there is one, otherwise gateway logs.

use crate::ledger::{CacheTtl, ChargeKind, Ledger, RecordRole, ServiceTier, SpendBy};
use crate::pricing::{cost_nanos, rate_for, Catalog};
use anyhow::Result;
use serde::Serialize;
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
    /// The same at contracted prices (list less the customer overlay's discounts).
    pub contracted_cost_nano: i64,
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
/// price reference (`release/SKU/period`). The SKU is the one on the platform the profile ran
/// on (a Bedrock workload re-prices on Bedrock); a model not sold there (a cross-vendor move)
/// is priced at its vendor's own API. Fails if any part of the mix has no rate (never prices a
/// part at $0).
pub fn price_profile(
    catalog: &Catalog,
    model_id: &str,
    p: &UsageProfile,
    at_ms: i64,
) -> Result<(i64, String), String> {
    let model = catalog
        .model(model_id)
        .ok_or_else(|| format!("unknown model `{model_id}`"))?;
    let platform = catalog.platform_of_provider(&p.provider);
    let sku = catalog
        .sku_price(model, platform, None, at_ms)
        .or_else(|_| catalog.sku_price(model, None, None, at_ms))?;
    let mut total: i64 = 0;
    for (kind, ttl, qty) in p.parts() {
        if qty <= 0.0 {
            continue;
        }
        let (rate, per) = rate_for(&sku.period, kind, ttl, p.tier, false)?;
        total = total.saturating_add(cost_nanos(qty, rate, per));
    }
    Ok((
        total,
        format!("{}/{}/{}", catalog.release, sku.sku_id, sku.period.id),
    ))
}

pub(super) fn build_profiles(ledger: &Ledger) -> Result<Vec<UsageProfile>> {
    let rows = ledger.usage_groups()?;
    let with_usage: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.role == RecordRole::Usage)
        .map(|r| r.provider.clone())
        .collect();
    let mut profiles: BTreeMap<(String, String, String, String), UsageProfile> = BTreeMap::new();
    for r in &rows {
        let (provider, workload, model, tier) = (
            r.provider.as_str(),
            r.workload.as_str(),
            r.model_id.as_str(),
            r.service_tier.as_str(),
        );
        if model.is_empty() {
            continue; // unresolved models are reported as unpriced, not profiled
        }
        let chosen = if with_usage.contains(provider) {
            RecordRole::Usage
        } else {
            RecordRole::Gateway
        };
        if r.role != chosen {
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
                source: if chosen == RecordRole::Usage {
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
                contracted_cost_nano: 0,
                rows: 0,
            });
        let qty = r.quantity;
        p.list_cost_nano += r.list_cost_nano;
        p.contracted_cost_nano += r.contracted_cost_nano;
        p.rows += r.rows;
        match (ChargeKind::parse(&r.charge_kind), r.cache_ttl.as_deref()) {
            (Some(ChargeKind::Input), _) => p.input += qty,
            (Some(ChargeKind::CachedInput), _) => p.cached_input += qty,
            (Some(ChargeKind::CacheWrite), Some("1h")) => p.cache_write_1h += qty,
            (Some(ChargeKind::CacheWrite), _) => p.cache_write_5m += qty,
            (Some(ChargeKind::Output), _) => p.output += qty,
            (Some(ChargeKind::Request), _) => *p.requests.get_or_insert(0.0) += qty,
            _ => {}
        }
    }
    Ok(profiles.into_values().collect())
}

pub(super) fn billed_by_account(ledger: &Ledger) -> Result<Vec<(String, Option<String>, i64)>> {
    Ok(ledger
        .billed_by_account()?
        .into_iter()
        .map(|r| (r.provider, r.billing_account, r.billed_cost_nano))
        .collect())
}

pub(super) fn model_money(
    ledger: &Ledger,
    profiles: &[UsageProfile],
) -> Result<BTreeMap<(String, String), (i64, i64)>> {
    let mut out: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for r in ledger.billed_by(SpendBy::Model)? {
        if let Some(model) = r.name {
            out.entry((r.provider, model)).or_default().0 += r.billed_cost_nano;
        }
    }
    for p in profiles {
        out.entry((p.provider.clone(), p.model_id.clone()))
            .or_default()
            .1 += p.list_cost_nano;
    }
    Ok(out)
}

/// Provisioned capacity (PTU, Provisioned Throughput) and the traffic it served.
#[derive(Debug, Clone, Serialize)]
pub struct ProvisionedCapacity {
    pub provider: String,
    pub resource: String,
    /// Unit-hours billed (PTU-hours, model-unit hours).
    pub hours: f64,
    #[serde(serialize_with = "crate::money::serialize_cents")]
    pub billed_cost: i128,
    /// Tokens the linked gateway traffic sent to this resource.
    pub served_tokens: f64,
    pub served_requests: f64,
    /// What those tokens would cost at the catalog's pay-as-you-go list price.
    #[serde(serialize_with = "crate::money::serialize_cents")]
    pub payg_list_cost: i128,
    /// Whether any gateway traffic was linked (by name or through the config).
    pub linked: bool,
    /// Linked tokens with no list price: their pay-as-you-go cost is unknown, not zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub unpriced_tokens: f64,
    /// The model strings of that unpriced traffic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unpriced_models: Vec<String>,
    /// Tokens the linked traffic sent in its busiest UTC hour.
    pub peak_hour_tokens: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// Provisioned capacity billed by the hour (Azure PTU, Bedrock Provisioned Throughput) with the
/// gateway traffic linked to it by resource name (or the config's `provisioned_links`): the
/// hours and money on one side, the tokens it served and their pay-as-you-go list cost on the other.
pub(super) fn provisioned_capacity(ledger: &Ledger) -> Result<Vec<ProvisionedCapacity>> {
    let mut out: BTreeMap<(String, String), ProvisionedCapacity> = BTreeMap::new();
    for r in ledger.provisioned_hours()? {
        let key = (
            r.provider.clone(),
            r.resource.unwrap_or_else(|| "(unnamed)".into()),
        );
        let e = out
            .entry(key.clone())
            .or_insert_with(|| ProvisionedCapacity {
                provider: key.0.clone(),
                resource: key.1.clone(),
                hours: 0.0,
                billed_cost: 0,
                served_tokens: 0.0,
                served_requests: 0.0,
                payg_list_cost: 0,
                linked: false,
                unpriced_tokens: 0.0,
                unpriced_models: Vec::new(),
                peak_hour_tokens: 0.0,
            });
        e.hours += r.hours;
        e.billed_cost += r.billed_cost_nano as i128;
    }
    for r in ledger.gateway_traffic_by_resource()? {
        let Some(resource) = &r.resource else {
            continue;
        };
        for cap in out.values_mut().filter(|c| &c.resource == resource) {
            cap.linked = true;
            if r.unpriced && r.unit == "tokens" {
                cap.unpriced_tokens += r.quantity;
                let model = r.model_raw.clone().unwrap_or_else(|| "(none)".into());
                if !cap.unpriced_models.contains(&model) {
                    cap.unpriced_models.push(model);
                    cap.unpriced_models.sort();
                }
            }
            match r.unit.as_str() {
                "tokens" => cap.served_tokens += r.quantity,
                "requests" => cap.served_requests += r.quantity,
                _ => {}
            }
            cap.payg_list_cost += r.list_cost_nano as i128;
        }
    }
    let peaks = ledger.gateway_peak_hour_tokens()?;
    for cap in out.values_mut() {
        cap.peak_hour_tokens = peaks.get(&cap.resource).copied().unwrap_or(0.0);
    }
    Ok(out.into_values().collect())
}

/// One seat of a seat report, as the ledger's seat lines give it.
pub type Seat = crate::ledger::query::SeatLine;
