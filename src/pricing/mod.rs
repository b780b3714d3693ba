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
pub mod fixed;
pub mod line;
pub mod merchants;
pub mod overlay;

pub use catalog::{
    Catalog, CatalogError, Model, Platform, PricePeriod, QualityRef, Resolution, SkuPrice, Tier,
    WireHints,
};

use crate::ledger::{CacheTtl, ChargeKind, LedgerRow, RecordRole, ServiceTier};
use crate::money;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// Files compiled into the binary: the default catalog.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("catalog.toml", include_str!("../../pricing/catalog.toml")),
    ("openai.toml", include_str!("../../pricing/openai.toml")),
    (
        "anthropic.toml",
        include_str!("../../pricing/anthropic.toml"),
    ),
    ("deepseek.toml", include_str!("../../pricing/deepseek.toml")),
    ("google.toml", include_str!("../../pricing/google.toml")),
    ("mistral.toml", include_str!("../../pricing/mistral.toml")),
    ("meta.toml", include_str!("../../pricing/meta.toml")),
    ("amazon.toml", include_str!("../../pricing/amazon.toml")),
    ("cohere.toml", include_str!("../../pricing/cohere.toml")),
    ("xai.toml", include_str!("../../pricing/xai.toml")),
    ("seats.toml", include_str!("../../pricing/seats.toml")),
    ("capacity.toml", include_str!("../../pricing/capacity.toml")),
];

/// The release of the catalog built into this binary (`release` in its `catalog.toml`), read
/// without loading the catalog: `--version` names it.
pub fn embedded_release() -> &'static str {
    EMBEDDED[0]
        .1
        .lines()
        .find_map(|line| {
            let value = line.trim().strip_prefix("release")?.trim_start();
            Some(value.strip_prefix('=')?.trim().trim_matches('"'))
        })
        .unwrap_or("unknown")
}

/// TOML files beside the catalog that are not model files.
pub const NON_MODEL_FILES: &[&str] = &[
    "diff-exceptions.toml",
    "coverage-exclusions.toml",
    "merchants.toml",
];

/// Reviewed disagreements with reference price files, for `pricing diff`.
pub const DIFF_EXCEPTIONS: &str = include_str!("../../pricing/diff-exceptions.toml");

/// Reviewed reference models the catalog leaves out, for `pricing coverage`.
pub const COVERAGE_EXCLUSIONS: &str = include_str!("../../pricing/coverage-exclusions.toml");

/// True when a request of `prompt_tokens` (input + cache reads + cache writes) falls over the
/// period's long-context cliff. An unknown prompt size is priced at the standard rates.
pub fn is_long_context(period: &PricePeriod, prompt_tokens: Option<f64>) -> bool {
    match (&period.long_context, prompt_tokens) {
        (Some(lc), Some(n)) => n > lc.above as f64,
        _ => false,
    }
}

/// The rate (USD per unit) for one charge kind under one period and tier, or why there is none.
/// `long` selects the period's long-context rates for the whole request (a cliff).
pub fn rate_for(
    period: &PricePeriod,
    kind: ChargeKind,
    ttl: Option<CacheTtl>,
    tier: ServiceTier,
    long: bool,
) -> Result<(Decimal, Decimal), String> {
    let lc = period.long_context.as_ref().filter(|_| long);
    let (input, output, cached, w5, w1) = match lc {
        Some(lc) => (
            lc.input,
            lc.output,
            lc.cached_input,
            lc.cache_write_5m,
            lc.cache_write_1h,
        ),
        None => (
            period.input,
            period.output,
            period.cached_input,
            period.cache_write_5m,
            period.cache_write_1h,
        ),
    };
    let (base, per) = match kind {
        ChargeKind::Input => (Some(input), Decimal::from(1_000_000)),
        ChargeKind::CachedInput => (cached, Decimal::from(1_000_000)),
        ChargeKind::CacheWrite => (
            match ttl {
                Some(CacheTtl::OneHour) => w1,
                _ => w5,
            },
            Decimal::from(1_000_000),
        ),
        ChargeKind::Output => (Some(output), Decimal::from(1_000_000)),
        // Token-priced models charge nothing per request unless the catalog says so.
        ChargeKind::Request => (Some(period.request.unwrap_or(Decimal::ZERO)), Decimal::ONE),
        ChargeKind::AudioInput => (period.audio_input, Decimal::from(1_000_000)),
        ChargeKind::AudioCachedInput => (period.audio_cached_input, Decimal::from(1_000_000)),
        ChargeKind::AudioOutput => (period.audio_output, Decimal::from(1_000_000)),
        ChargeKind::ImageInput => (period.image_input.or(Some(input)), Decimal::from(1_000_000)),
        ChargeKind::ImageCachedInput => (
            period.image_cached_input.or(cached),
            Decimal::from(1_000_000),
        ),
        ChargeKind::ImageOutput => (period.image_output, Decimal::from(1_000_000)),
        ChargeKind::WebSearch => (period.web_search, Decimal::from(1_000)),
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
        // A web search costs the same in every tier (no vendor discounts it in batch).
        _ if kind == ChargeKind::WebSearch => Decimal::ONE,
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

/// The provider id a ledger row learns from a model's catalog vendor when its log had none.
/// Why a line's model resolves to nothing, naming the log's base model and model group when it
/// has them (they were tried too).
fn unknown_model(row: &LedgerRow) -> String {
    let raw = row.model_raw.as_deref().unwrap_or("");
    let mut also: Vec<String> = Vec::new();
    if let Some(b) = &row.model_base {
        also.push(format!("base model `{b}`"));
    }
    if let Some(g) = &row.model_group {
        also.push(format!("model group `{g}`"));
    }
    if also.is_empty() {
        format!("unknown model `{raw}`")
    } else {
        format!(
            "unknown model `{raw}` ({}: none in the catalog; map the deployment under [deployments] in the config)",
            also.join(", ")
        )
    }
}

fn provider_of_vendor(vendor: &str) -> &'static str {
    match vendor {
        "openai" => "openai",
        "anthropic" => "anthropic",
        "deepseek" => "deepseek",
        "mistral" => "mistral",
        "google" => "gcp",
        "meta" | "amazon" => "aws",
        _ => "other",
    }
}

type Priced = Result<Arc<SkuPrice>, String>;

/// Prices ledger rows, caching name resolution per (model string, day) and SKU prices per
/// (provider, model string, region class, day): a 1M-row log has a handful of model strings and
/// at most 31 days, so the catalog is consulted a few hundred times, not once a row.
pub struct Pricer<'c> {
    catalog: &'c Catalog,
    models: HashMap<(String, i64), Option<String>>,
    cache: HashMap<(&'static str, String, Option<&'static str>, i64), Priced>,
}

impl<'c> Pricer<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        Pricer {
            catalog,
            models: HashMap::new(),
            cache: HashMap::new(),
        }
    }

    /// The catalog model `raw` names on the day of `ms`, if exactly one.
    fn model_id(&mut self, raw: &str, ms: i64) -> Option<String> {
        let catalog = self.catalog;
        self.models
            .entry((raw.to_string(), ms.div_euclid(86_400_000)))
            .or_insert_with(|| match catalog.resolve(raw, ms) {
                Resolution::Found { model_id, .. } => Some(model_id),
                _ => None,
            })
            .clone()
    }

    /// Resolves `raw` as served through `provider` in `region` on the day of `ms`: the SKU
    /// price in force. The wire string's own hints (`bedrock/`, `us.`) win over the
    /// provider and bill region.
    fn sku(
        &mut self,
        provider: &'static str,
        raw: &str,
        region: Option<&'static str>,
        ms: i64,
    ) -> Priced {
        let day = ms.div_euclid(86_400_000);
        let key = (provider, raw.to_string(), region, day);
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        let catalog = self.catalog;
        let out = match catalog.resolve(raw, ms) {
            Resolution::Unknown => Err(format!("unknown model `{raw}`")),
            Resolution::Ambiguous(ids) => Err(format!(
                "ambiguous model `{raw}` (matches {})",
                ids.join(", ")
            )),
            Resolution::Found {
                model_id, hints, ..
            } => {
                let model = catalog.model(&model_id).expect("resolved ids exist");
                let platform = hints
                    .platform
                    .as_deref()
                    .or_else(|| catalog.platform_of_provider(provider));
                let region = hints.region.as_deref().or(region);
                catalog.sku_price(model, platform, region, ms).map(Arc::new)
            }
        };
        self.cache.insert(key, out.clone());
        out
    }

    /// Fills `model_id`, `list_cost_nano`, `price_ref` and `unpriced_reason`.
    pub fn price(&mut self, row: &mut LedgerRow) {
        let Some(raw) = row.model_raw.clone() else {
            if row.role != RecordRole::Billed
                && (row.charge_kind.is_tokens() || row.charge_kind.is_media_tokens())
            {
                row.unpriced_reason = Some("no model named in the export".to_string());
            }
            return;
        };
        // A gateway's deployment string (`azure/prod-chat`) is priced as the base model the
        // log names beside it, else as itself, else as the log's model group.
        let candidates: Vec<String> = [
            row.model_base.clone(),
            Some(raw.clone()),
            row.model_group.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let resolved = candidates
            .iter()
            .find_map(|name| Some((name.clone(), self.model_id(name, row.period_start_ms)?)));
        let (raw, model_id) = match resolved {
            Some((name, id)) => (name, Some(id)),
            None => (raw, None),
        };
        if let (Some(id), "other") = (&model_id, row.provider) {
            // A log without a provider column learns it from the model's vendor.
            let vendor = self
                .catalog
                .model(id)
                .map(|m| m.vendor.as_str())
                .unwrap_or("");
            row.provider = provider_of_vendor(vendor);
        }
        row.model_id = model_id;
        // Cost exports carry money but no quantity: nothing to price.
        if row.unit == "none" {
            if row.model_id.is_none() {
                row.unpriced_reason = Some(unknown_model(row));
            }
            return;
        }
        match self.sku(row.provider, &raw, row.region_class, row.period_start_ms) {
            Err(_) if row.model_id.is_none() => row.unpriced_reason = Some(unknown_model(row)),
            Err(reason) => row.unpriced_reason = Some(reason),
            Ok(sku) => {
                let long = is_long_context(&sku.period, row.prompt_tokens);
                match rate_for(
                    &sku.period,
                    row.charge_kind,
                    row.cache_ttl,
                    row.service_tier,
                    long,
                ) {
                    Ok((rate, per)) => {
                        row.list_cost_nano = Some(cost_nanos(row.quantity, rate, per));
                        row.price_ref = Some(format!(
                            "{}/{}/{}{}",
                            self.catalog.release,
                            sku.sku_id,
                            sku.period.id,
                            if long { "/long-context" } else { "" }
                        ));
                    }
                    Err(reason) => row.unpriced_reason = Some(reason),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(extra: &str) -> PricePeriod {
        toml::from_str(&format!(
            "id = \"p\"\nfrom = \"2026-01-01\"\nstatus = \"active\"\nsources = []\ninput = \"2.50\"\ncached_input = \"0.25\"\noutput = \"10.00\"\nbatch = \"0.5\"\n{extra}"
        ))
        .unwrap()
    }

    fn cost(
        p: &PricePeriod,
        kind: ChargeKind,
        tier: ServiceTier,
        quantity: f64,
    ) -> Result<i64, String> {
        let (rate, per) = rate_for(p, kind, None, tier, false)?;
        Ok(cost_nanos(quantity, rate, per))
    }

    #[test]
    fn audio_and_image_tokens_use_their_own_rates() {
        let p = period("audio_input = \"32.00\"\naudio_cached_input = \"0.40\"\naudio_output = \"64.00\"\nimage_input = \"5.00\"\nimage_output = \"40.00\"");
        // 250,000 audio tokens at $32/M = $8.00; 1,234 audio output tokens at $64/M = $0.078976.
        assert_eq!(
            cost(&p, ChargeKind::AudioInput, ServiceTier::Standard, 250_000.0),
            Ok(8_000_000_000)
        );
        assert_eq!(
            cost(&p, ChargeKind::AudioOutput, ServiceTier::Standard, 1_234.0),
            Ok(78_976_000)
        );
        assert_eq!(
            cost(
                &p,
                ChargeKind::AudioCachedInput,
                ServiceTier::Standard,
                10_000.0
            ),
            Ok(4_000_000)
        );
        // Batch halves media tokens like every other token rate: 100,000 image output = $2.00.
        assert_eq!(
            cost(&p, ChargeKind::ImageOutput, ServiceTier::Batch, 100_000.0),
            Ok(2_000_000_000)
        );
        assert_eq!(
            cost(&p, ChargeKind::ImageInput, ServiceTier::Standard, 100_000.0),
            Ok(500_000_000)
        );
    }

    #[test]
    fn unstated_image_input_is_text_input_but_audio_and_image_output_have_no_fallback() {
        let p = period("");
        // Vision input on a text model: 100,000 tokens at the $2.50 input rate = $0.25.
        assert_eq!(
            cost(&p, ChargeKind::ImageInput, ServiceTier::Standard, 100_000.0),
            Ok(250_000_000)
        );
        assert_eq!(
            cost(
                &p,
                ChargeKind::ImageCachedInput,
                ServiceTier::Standard,
                100_000.0
            ),
            Ok(25_000_000)
        );
        for kind in [
            ChargeKind::AudioInput,
            ChargeKind::AudioOutput,
            ChargeKind::ImageOutput,
        ] {
            let err = cost(&p, kind, ServiceTier::Standard, 1.0).unwrap_err();
            assert!(err.contains(kind.as_str()), "{err}");
        }
    }
}
