//! Reading model, direction, cache and tier out of cloud meter names and usage types.
//!
//! Cloud bills name the model only inside a meter (`gpt 4o 1120 cached Inp glbl Tokens`) or a
//! usage type (`USE1-Claude4.6Sonnet-cache-read-input-token-count`). These parsers turn them into
//! a wire-style model string that the catalog resolves exactly, or `None`; they never guess a
//! model from a fragment (an unparsed meter stays unpriced, its money still counts).

use crate::ledger::{CacheTtl, ChargeKind, ServiceTier};
use std::collections::HashMap;
use std::sync::OnceLock;

/// What a meter or usage type says.
#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    pub model: Option<String>,
    pub kind: ChargeKind,
    pub cache_ttl: Option<CacheTtl>,
    pub tier: ServiceTier,
    /// `global`, `data-zone`, `regional`, `geo` (Bedrock `us.`/`eu.` profiles, +10%), when stated.
    pub region_class: Option<&'static str>,
    /// The meter's list price, where a meter table states it (Azure).
    pub list_price: Option<MeterPrice>,
    /// The meter is not in the meter table: the row names no model and says so.
    pub unknown: bool,
}

impl Meter {
    fn other() -> Meter {
        Meter {
            model: None,
            kind: ChargeKind::Other,
            cache_ttl: None,
            tier: ServiceTier::Standard,
            region_class: None,
            list_price: None,
            unknown: false,
        }
    }
}

/// Azure's list price of a meter, per billing unit, as `pricing/azure_meters.csv` records it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterPrice {
    /// Tokens per billing unit (`1K` → 1000, `1M` → 1000000).
    pub tokens_per_unit: f64,
    /// Lowest and highest retail price per unit across regions, USD.
    pub min: f64,
    pub max: f64,
}

/// One meter of the Azure meter table.
#[derive(Debug, Clone)]
pub struct AzureMeter {
    pub model: String,
    pub kind: ChargeKind,
    pub tier: ServiceTier,
    pub region_class: &'static str,
    /// The long-context (over the model's threshold) meter of the model.
    pub long_context: bool,
    pub price: MeterPrice,
}

/// The meter table's entry for an Azure meter name, if it holds one (`pricing diff` reads
/// Azure's retail price list through it).
pub fn azure_meter(name: &str) -> Option<&'static AzureMeter> {
    azure_meters().get(&meter_key(name))
}

/// The meter table, built by `scripts/azure_meters.py` from Azure's public retail price list
/// (azure-genai-prices' dated snapshot); bundled so the audit stays offline.
const AZURE_METERS_CSV: &str = include_str!("../../pricing/azure_meters.csv");

/// The table's lookup key: letter case and runs of spaces do not matter.
fn meter_key(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn azure_meters() -> &'static HashMap<String, AzureMeter> {
    static TABLE: OnceLock<HashMap<String, AzureMeter>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rdr = csv::Reader::from_reader(AZURE_METERS_CSV.as_bytes());
        let mut out = HashMap::new();
        // A row this build cannot read is left out (the unit test reads every one).
        for rec in rdr.records().flatten() {
            let f = |i: usize| rec.get(i).unwrap_or("");
            let kind = match f(3) {
                "input" => ChargeKind::Input,
                "cached_input" => ChargeKind::CachedInput,
                "cache_write" => ChargeKind::CacheWrite,
                "output" => ChargeKind::Output,
                "request" => ChargeKind::Request,
                _ => continue,
            };
            let region_class = match f(4) {
                "global" => "global",
                "data-zone" => "data-zone",
                "regional" => "regional",
                _ => continue,
            };
            let (Some(tier), Ok(tokens_per_unit), Ok(min), Ok(max)) = (
                ServiceTier::from_export(f(5)),
                f(7).parse::<f64>(),
                f(8).parse::<f64>(),
                f(9).parse::<f64>(),
            ) else {
                continue;
            };
            out.insert(
                meter_key(f(0)),
                AzureMeter {
                    model: f(2).to_string(),
                    kind,
                    tier,
                    region_class,
                    long_context: f(6) == "long",
                    price: MeterPrice {
                        tokens_per_unit,
                        min,
                        max,
                    },
                },
            );
        }
        out
    })
}

/// Reads an Azure OpenAI / Foundry Models meter name: provisioned units are recognised by
/// name; every other meter is looked up in the meter table. A meter the table does not hold
/// names no model (`unknown` is set, so the row is listed with its cost); nothing is guessed
/// from fragments of its name.
pub fn azure_openai_meter(meter: &str) -> Meter {
    let lower = meter_key(meter);
    let mut m = Meter::other();
    if lower.contains("provisioned managed") || lower.contains("provisioned throughput unit") {
        m.kind = ChargeKind::ProvisionedHour;
        m.region_class = Some(if lower.contains("data zone") {
            "data-zone"
        } else if lower.contains("regional") {
            "regional"
        } else {
            "global"
        });
        return m;
    }
    match azure_meters().get(&lower) {
        Some(e) => Meter {
            model: Some(e.model.clone()),
            kind: e.kind,
            tier: e.tier,
            region_class: Some(e.region_class),
            list_price: Some(e.price),
            ..m
        },
        None => Meter { unknown: true, ..m },
    }
}

/// Applies what an Azure meter says beyond the model to a billed line whose quantity is set:
/// an unknown meter is named in the line's unpriced reason (the line is listed with its cost),
/// and a quantity its cost contradicts is dropped (the line is listed with the reason).
pub fn check_azure_line(row: &mut crate::ledger::LedgerRow, meter_name: &str, meter: &Meter) {
    if meter.unknown {
        row.unpriced_reason = Some(format!(
            "unknown Azure meter `{meter_name}`: not in the meter table (pricing/azure_meters.csv), so no model is named; its cost still counts"
        ));
        return;
    }
    let (Some(price), Some(cost)) = (meter.list_price, row.billed_cost_nano) else {
        return;
    };
    if row.unit != "tokens" {
        return;
    }
    if let Some(reason) = unit_error(&price, row.quantity, cost) {
        row.unpriced_reason = Some(reason);
        row.quantity = 0.0;
        row.unit = "none";
    }
}

/// Why a billed row's quantity cannot be right: it is more than 10× away, either way, from
/// what its cost buys at the meter's list prices (a unit error, such as tokens written as
/// thousands). `None` when it fits, or when there is nothing to compare.
pub fn unit_error(price: &MeterPrice, tokens: f64, cost_nano: i64) -> Option<String> {
    if cost_nano <= 0 || tokens <= 0.0 || price.min <= 0.0 {
        return None;
    }
    let cost = cost_nano as f64 / 1e9;
    let units = tokens / price.tokens_per_unit;
    let (low, high) = (units * price.min, units * price.max);
    if cost > high * 10.0 || cost * 10.0 < low {
        let expected = cost / price.max * price.tokens_per_unit;
        Some(format!(
            "quantity `{tokens}` tokens does not fit its cost `{cost}`: at the meter's list price that buys about {expected:.0} tokens (more than 10× apart); check the export's unit of measure"
        ))
    } else {
        None
    }
}

/// Turns Bedrock's camel-case model segment into a catalog wire name:
/// `Claude4.6Sonnet` → `claude-sonnet-4-6`, `Claude3.5Haiku` → `claude-3-5-haiku`,
/// `NovaLite` → `nova-lite`.
fn bedrock_model(segment: &str) -> String {
    if let Some(rest) = segment.strip_prefix("Claude") {
        let split = rest
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let (version, family) = rest.split_at(split);
        let version = version.replace('.', "-");
        let family = family.to_ascii_lowercase();
        let major: u32 = version
            .split('-')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        return if major >= 4 {
            format!("claude-{family}-{version}")
        } else {
            format!("claude-{version}-{family}")
        };
    }
    // CamelCase → kebab-case; dots and digits stay.
    let mut out = String::new();
    for (i, c) in segment.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('-') {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Parses a Bedrock `line_item_usage_type` (legacy `lineItem/UsageType`). Marketplace rows
/// (`…-MP:…`) carry no model in the usage type: pass the product name (`Claude Sonnet 4.6
/// (Amazon Bedrock Edition)`) as `product`.
pub fn bedrock_usage_type(
    usage_type: &str,
    product: Option<&str>,
    resource_id: Option<&str>,
) -> Meter {
    let mut m = Meter::other();
    let lower = usage_type.to_ascii_lowercase();
    if lower.contains("provisionedthroughput")
        || lower.contains("modelunit")
        || resource_id.is_some_and(|r| r.contains("provisioned-model"))
    {
        m.kind = ChargeKind::ProvisionedHour;
        return m;
    }
    let Some((_region, rest)) = usage_type.split_once('-') else {
        return m;
    };
    let rest_lower = rest.to_ascii_lowercase();
    let class_of = |s: &str| -> (ChargeKind, Option<CacheTtl>) {
        if s.contains("cacheread") || s.contains("cache-read") || s.contains("cache_read") {
            (ChargeKind::CachedInput, None)
        } else if s.contains("cachewrite1h")
            || s.contains("cache-write-1h")
            || s.contains("cache_write_1h")
        {
            (ChargeKind::CacheWrite, Some(CacheTtl::OneHour))
        } else if s.contains("cachewrite") || s.contains("cache-write") || s.contains("cache_write")
        {
            (ChargeKind::CacheWrite, Some(CacheTtl::FiveMinutes))
        } else if s.contains("inputtoken") || s.contains("input-token") || s.contains("input_token")
        {
            (ChargeKind::Input, None)
        } else if s.contains("outputtoken")
            || s.contains("output-token")
            || s.contains("output_token")
        {
            (ChargeKind::Output, None)
        } else {
            (ChargeKind::Other, None)
        }
    };
    let (kind, ttl) = class_of(&rest_lower);
    m.kind = kind;
    m.cache_ttl = ttl;
    m.tier = if rest_lower.contains("flex") {
        ServiceTier::Flex
    } else if rest_lower.contains("priority") {
        ServiceTier::Priority
    } else if rest_lower.contains("batch") {
        ServiceTier::Batch
    } else {
        ServiceTier::Standard
    };
    m.region_class = Some(if rest_lower.contains("global") {
        "global"
    } else {
        "geo"
    });
    if rest.starts_with("MP:") {
        m.model = product.map(|p| {
            let name = p.trim().trim_end_matches("(Amazon Bedrock Edition)").trim();
            name.to_string()
        });
    } else {
        let markers = [
            "-input-token",
            "-output-token",
            "-cache-read",
            "-cache-write",
        ];
        let cut = markers.iter().filter_map(|mk| rest_lower.find(mk)).min();
        m.model = cut.map(|i| {
            let seg = &rest[..i];
            // the "mantle" grammar: `openai.gpt-oss-120b-mantle`
            let seg = seg.trim_end_matches("-mantle");
            match seg.split_once('.') {
                Some((vendor, model)) if !vendor.chars().any(|c| c.is_ascii_digit()) => {
                    model.to_string()
                }
                _ => bedrock_model(seg),
            }
        });
    }
    if m.kind == ChargeKind::Other {
        m.model = None;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_meters_come_from_the_table_as_azure_writes_them() {
        let m = azure_openai_meter("gpt 4o 1120 cached Inp glbl Tokens");
        assert_eq!(
            (m.model.as_deref(), m.kind, m.region_class),
            (
                Some("gpt-4o-2024-11-20"),
                ChargeKind::CachedInput,
                Some("global")
            )
        );
        // Today's abbreviations: no `gpt` prefix, `opt`, `Dz`, `1M Tokens`; any case, spacing.
        let m = azure_openai_meter("5.4  opt DZ 1M tokens");
        assert_eq!(
            (m.model.as_deref(), m.kind, m.region_class, m.tier),
            (
                Some("gpt-5.4"),
                ChargeKind::Output,
                Some("data-zone"),
                ServiceTier::Standard
            )
        );
        assert_eq!(m.list_price.map(|p| p.tokens_per_unit), Some(1_000_000.0));
        let m = azure_openai_meter("5 mini pp Inp Gl 1M Tokens");
        assert_eq!(
            (m.model.as_deref(), m.tier, m.region_class),
            (Some("gpt-5-mini"), ServiceTier::Priority, Some("global"))
        );
        let m = azure_openai_meter("gpt 4o 0806 Batch Outp Data Zone Tokens");
        assert_eq!(
            (m.kind, m.region_class, m.tier),
            (ChargeKind::Output, Some("data-zone"), ServiceTier::Batch)
        );
        let m = azure_openai_meter("Provisioned Managed Global Unit");
        assert_eq!(
            (m.kind, m.region_class),
            (ChargeKind::ProvisionedHour, Some("global"))
        );
        // Not in the table: no model is made up from the name's fragments.
        for name in [
            "gpt 4o Priority Processing Input global Tokens",
            "Azure OpenAI Prompt Tokens",
            "Standard Data Transfer Out",
        ] {
            let m = azure_openai_meter(name);
            assert_eq!((m.model, m.unknown), (None, true), "{name}");
        }
    }

    #[test]
    fn every_row_of_the_azure_meter_table_is_read() {
        let rows = AZURE_METERS_CSV.lines().count() - 1;
        assert!(rows > 1000, "{rows}");
        assert_eq!(azure_meters().len(), rows);
    }

    #[test]
    fn a_quantity_its_cost_contradicts_by_10x_is_a_unit_error() {
        // gpt-4.1-mini input, $0.0004 per 1K tokens.
        let price = MeterPrice {
            tokens_per_unit: 1000.0,
            min: 0.0004,
            max: 0.0004,
        };
        let dollars = |d: f64| (d * 1e9) as i64;
        // 3.75M tokens for $1.50: fits.
        assert_eq!(unit_error(&price, 3_750_000.0, dollars(1.5)), None);
        // Within 10x either way (a discount, a premium): fits.
        assert_eq!(unit_error(&price, 30_000_000.0, dollars(1.5)), None);
        // 3e12 tokens for $1.50, or 3,750 for $1.50: unit errors.
        assert!(unit_error(&price, 3e12, dollars(1.5)).is_some());
        assert!(unit_error(&price, 3_750.0, dollars(1.5)).is_some());
        // Nothing to compare: no cost or no tokens.
        assert_eq!(unit_error(&price, 3e12, 0), None);
        assert_eq!(unit_error(&price, 0.0, dollars(1.5)), None);
    }

    #[test]
    fn bedrock_usage_types() {
        let m = bedrock_usage_type(
            "USE1-Claude4.6Sonnet-cache-read-input-token-count",
            None,
            None,
        );
        assert_eq!(
            (m.model.as_deref(), m.kind),
            (Some("claude-sonnet-4-6"), ChargeKind::CachedInput)
        );
        let m = bedrock_usage_type("USE1-Claude3Haiku-input-tokens", None, None);
        assert_eq!(
            (m.model.as_deref(), m.kind, m.region_class),
            (Some("claude-3-haiku"), ChargeKind::Input, Some("geo"))
        );
        let m = bedrock_usage_type(
            "USE1-Claude4Sonnet-output-tokens-long-context-cross-region-global",
            None,
            None,
        );
        assert_eq!(
            (m.model.as_deref(), m.kind, m.region_class),
            (Some("claude-sonnet-4"), ChargeKind::Output, Some("global"))
        );
        let m = bedrock_usage_type("USE1-Nova2.0Lite-input-tokens-flex", None, None);
        assert_eq!(
            (m.model.as_deref(), m.tier),
            (Some("nova2.0-lite"), ServiceTier::Flex)
        );
        let m = bedrock_usage_type(
            "USE1-MP:USE1_CacheWrite1hInputTokenCount_Global-Units",
            Some("Claude Sonnet 4.6 (Amazon Bedrock Edition)"),
            None,
        );
        assert_eq!(
            (m.model.as_deref(), m.kind, m.cache_ttl, m.region_class),
            (
                Some("Claude Sonnet 4.6"),
                ChargeKind::CacheWrite,
                Some(CacheTtl::OneHour),
                Some("global")
            )
        );
        let m = bedrock_usage_type(
            "USE1-openai.gpt-oss-120b-mantle-input-tokens-standard",
            None,
            None,
        );
        assert_eq!(m.model.as_deref(), Some("gpt-oss-120b"));
        let m = bedrock_usage_type(
            "USE1-ProvisionedThroughput-ModelUnits",
            None,
            Some("arn:aws:bedrock:us-east-1:1:provisioned-model/abc"),
        );
        assert_eq!(m.kind, ChargeKind::ProvisionedHour);
        assert_eq!(
            bedrock_usage_type("USE1-TimedStorage-ByteHrs", None, None).kind,
            ChargeKind::Other
        );
    }
}

/// Scales a billed quantity to base units: `1K` token blocks (Azure meters, the Bedrock price
/// list) become tokens ×1,000, `1M` ×1,000,000; hours stay hours. Unknown units are kept as
/// `units`, which the pricer will not treat as tokens.
pub fn scale_quantity(quantity: f64, unit: Option<&str>) -> (f64, &'static str) {
    let u = unit.unwrap_or("").trim().to_ascii_lowercase();
    let u = u
        .trim_end_matches(" tokens")
        .trim_end_matches(" token")
        .trim();
    match u {
        "1k" | "1000" | "1,000" => (quantity * 1_000.0, "tokens"),
        "10k" => (quantity * 10_000.0, "tokens"),
        "1m" | "1000000" | "1,000,000" => (quantity * 1_000_000.0, "tokens"),
        "tokens" | "token" | "count" | "1" => (quantity, "tokens"),
        "1/hour" | "1 hour" | "hour" | "hours" | "hrs" | "hr" | "1 hr" => (quantity, "hours"),
        "1/month" | "month" | "1 month" => (quantity, "months"),
        "requests" | "request" => (quantity, "requests"),
        _ => (quantity, "units"),
    }
}

/// The resource a gateway request was served by, from its endpoint or model string:
/// `https://oai-ptu.openai.azure.com/…` → `oai-ptu` (the Azure OpenAI account in the bill's
/// ResourceId), and any Bedrock ARN (`…:provisioned-model/abc`) as written. Lower-case.
pub fn serving_resource(api_base: Option<&str>, model: Option<&str>) -> Option<String> {
    for text in [model, api_base].into_iter().flatten() {
        if let Some(i) = text.find("arn:aws:bedrock") {
            return Some(text[i..].to_ascii_lowercase());
        }
    }
    let host = api_base?
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split(['/', ':']).next()?.to_ascii_lowercase();
    for suffix in [
        ".openai.azure.com",
        ".cognitiveservices.azure.com",
        ".services.ai.azure.com",
    ] {
        if let Some(account) = host.strip_suffix(suffix) {
            return Some(account.to_string());
        }
    }
    None
}

/// `eastus (data-zone)`: the bill's region with the deployment class the meter states.
pub fn region_label(region: Option<&str>, class: Option<&str>) -> Option<String> {
    match (region, class) {
        (Some(reg), Some(rc)) => Some(format!("{reg} ({rc})")),
        (Some(reg), None) => Some(reg.to_string()),
        (None, rc) => rc.map(str::to_string),
    }
}

/// Gives a billed line its quantity when the unit fits the charge (tokens for token charges,
/// hours for provisioned capacity); otherwise the line keeps money only (`unit = none`), so the
/// pricer never prices a quantity it cannot interpret.
pub fn set_billed_quantity(r: &mut crate::ledger::LedgerRow, quantity: f64, unit: &'static str) {
    let fits = (unit == "tokens" && (r.charge_kind.is_tokens() || r.charge_kind.is_media_tokens()))
        || (unit == "hours" && r.charge_kind == ChargeKind::ProvisionedHour);
    if fits && quantity > 0.0 {
        r.quantity = quantity;
        r.unit = unit;
    } else {
        r.quantity = 0.0;
        r.unit = "none";
    }
}

#[cfg(test)]
mod unit_tests {
    use super::{scale_quantity, serving_resource};

    #[test]
    fn serving_resources() {
        assert_eq!(
            serving_resource(
                Some("https://OAI-PTU.openai.azure.com/openai/deployments/gpt4o"),
                None
            )
            .as_deref(),
            Some("oai-ptu")
        );
        assert_eq!(
            serving_resource(
                None,
                Some("bedrock/arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc123")
            )
            .as_deref(),
            Some("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc123")
        );
        assert_eq!(
            serving_resource(Some("https://api.openai.com/v1"), Some("gpt-4o")),
            None
        );
    }

    #[test]
    fn one_k_blocks_become_tokens() {
        assert_eq!(scale_quantity(5400.0, Some("1K")), (5_400_000.0, "tokens"));
        assert_eq!(
            scale_quantity(142.5, Some("1K tokens")),
            (142_500.0, "tokens")
        );
        assert_eq!(
            scale_quantity(2.0, Some("1M tokens")),
            (2_000_000.0, "tokens")
        );
        assert_eq!(scale_quantity(3.0, Some("1/Hour")), (3.0, "hours"));
        assert_eq!(scale_quantity(7.0, Some("Units")), (7.0, "units"));
        assert_eq!(scale_quantity(7.0, Some("1 GB")), (7.0, "units"));
    }
}
