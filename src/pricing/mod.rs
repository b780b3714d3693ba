//! The versioned model-pricing catalog: loading, resolving model strings, pricing ledger rows.
//!
//! The catalog is data (`pricing/*.toml`), compiled into the binary so a cron run needs no files
//! beside it; `--catalog DIR` reads another copy. Prices are decimal strings in USD per 1M tokens
//! (per request for `request`), each in a half-open period `[from, to)` with a status and a
//! source. A usage row is priced at the period in force on its start date.
//!
//! Resolution is exact and explainable (see [`Catalog::resolve`]): no prefix or substring
//! guessing. An unknown model is **unpriced** with a reason, never priced at $0.

mod catalog;
pub mod check;
pub mod diff;

pub use catalog::{Catalog, CatalogError, Model, PricePeriod, Resolution, Tier};

use crate::ledger::{CacheTtl, ChargeKind, LedgerRow, RecordRole, ServiceTier};
use crate::money;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Files compiled into the binary: the default catalog.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("catalog.toml", include_str!("../../pricing/catalog.toml")),
    ("openai.toml", include_str!("../../pricing/openai.toml")),
    (
        "anthropic.toml",
        include_str!("../../pricing/anthropic.toml"),
    ),
    ("deepseek.toml", include_str!("../../pricing/deepseek.toml")),
];

/// Reviewed disagreements with reference price files, for `pricing diff`.
pub const DIFF_EXCEPTIONS: &str = include_str!("../../pricing/diff-exceptions.toml");

/// The rate (USD per unit) for one charge kind under one period and tier, or why there is none.
pub fn rate_for(
    period: &PricePeriod,
    kind: ChargeKind,
    ttl: Option<CacheTtl>,
    tier: ServiceTier,
) -> Result<(Decimal, Decimal), String> {
    let (base, per) = match kind {
        ChargeKind::Input => (Some(period.input), Decimal::from(1_000_000)),
        ChargeKind::CachedInput => (period.cached_input, Decimal::from(1_000_000)),
        ChargeKind::CacheWrite => (
            match ttl {
                Some(CacheTtl::OneHour) => period.cache_write_1h,
                _ => period.cache_write_5m,
            },
            Decimal::from(1_000_000),
        ),
        ChargeKind::Output => (Some(period.output), Decimal::from(1_000_000)),
        // Token-priced models charge nothing per request unless the catalog says so.
        ChargeKind::Request => (Some(period.request.unwrap_or(Decimal::ZERO)), Decimal::ONE),
        other => return Err(format!("no catalog rate for `{}` charges", other.as_str())),
    };
    let base = base.ok_or_else(|| {
        format!(
            "no `{}` rate in price period `{}`",
            kind.as_str(),
            period.id
        )
    })?;
    let multiplier = match tier {
        ServiceTier::Standard => Decimal::ONE,
        ServiceTier::Batch => period
            .batch
            .ok_or_else(|| format!("no batch rate in price period `{}`", period.id))?,
        ServiceTier::Flex => period
            .flex
            .ok_or_else(|| format!("no flex rate in price period `{}`", period.id))?,
        ServiceTier::Priority => period
            .priority
            .ok_or_else(|| format!("no priority rate in price period `{}`", period.id))?,
    };
    Ok((base * multiplier, per))
}

/// List cost of `quantity` units at `rate` per `per` units, in nano-units.
pub fn cost_nanos(quantity: f64, rate: Decimal, per: Decimal) -> i64 {
    let q = Decimal::from_f64_retain(quantity).unwrap_or(Decimal::ZERO);
    money::decimal_to_nanos(q * rate / per).unwrap_or(i64::MAX)
}

/// Prices ledger rows, caching name resolution (a 1M-row log has a handful of model strings).
pub struct Pricer<'c> {
    catalog: &'c Catalog,
    cache: HashMap<(&'static str, String), Result<String, String>>,
}

impl<'c> Pricer<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        Pricer {
            catalog,
            cache: HashMap::new(),
        }
    }

    /// Fills `model_id`, `list_cost_nano`, `price_ref` and `unpriced_reason`.
    pub fn price(&mut self, row: &mut LedgerRow) {
        let Some(raw) = row.model_raw.as_deref() else {
            if row.role != RecordRole::Billed && row.charge_kind.is_tokens() {
                row.unpriced_reason = Some("no model named in the export".to_string());
            }
            return;
        };
        let key = (row.provider, raw.to_string());
        let catalog = self.catalog;
        let resolved = self
            .cache
            .entry(key)
            .or_insert_with(|| match catalog.resolve(raw, Some(row.provider)) {
                Resolution::Found { model_id, .. } => Ok(model_id),
                Resolution::Unknown => Err(format!("unknown model `{raw}`")),
                Resolution::Ambiguous(ids) => Err(format!(
                    "ambiguous model `{raw}` (matches {})",
                    ids.join(", ")
                )),
            })
            .clone();
        match resolved {
            Err(reason) => row.unpriced_reason = Some(reason),
            Ok(model_id) => {
                // A log without a provider column learns it from the model's vendor.
                if row.provider == "other" {
                    row.provider = match model_id.split('/').next() {
                        Some("openai") => "openai",
                        Some("anthropic") => "anthropic",
                        Some("deepseek") => "deepseek",
                        _ => "other",
                    };
                }
                row.model_id = Some(model_id.clone());
                // Cost exports carry money but no quantity: nothing to price.
                if row.unit == "none" {
                    return;
                }
                let model = self.catalog.model(&model_id).expect("resolved ids exist");
                match model.period_at(row.period_start_ms) {
                    None => {
                        row.unpriced_reason = Some(format!(
                            "no price for `{model_id}` in effect on {}",
                            crate::util::day_string(row.period_start_ms)
                        ))
                    }
                    Some(period) => {
                        match rate_for(period, row.charge_kind, row.cache_ttl, row.service_tier) {
                            Ok((rate, per)) => {
                                row.list_cost_nano = Some(cost_nanos(row.quantity, rate, per));
                                row.price_ref = Some(format!(
                                    "{}/{}/{}",
                                    self.catalog.release, model_id, period.id
                                ));
                            }
                            Err(reason) => row.unpriced_reason = Some(reason),
                        }
                    }
                }
            }
        }
    }
}
