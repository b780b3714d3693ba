//! Reading model, direction, cache and tier out of cloud meter names and usage types.
//!
//! Cloud bills name the model only inside a meter (`gpt 4o 1120 cached Inp glbl Tokens`) or a
//! usage type (`USE1-Claude4.6Sonnet-cache-read-input-token-count`). These parsers turn them into
//! a wire-style model string that the catalog resolves exactly, or `None`; they never guess a
//! model from a fragment (an unparsed meter stays unpriced, its money still counts).

use crate::ledger::{CacheTtl, ChargeKind, ServiceTier};

/// What a meter or usage type says.
#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    pub model: Option<String>,
    pub kind: ChargeKind,
    pub cache_ttl: Option<CacheTtl>,
    pub tier: ServiceTier,
    /// `global`, `data-zone`, `regional`, `geo` (Bedrock `us.`/`eu.` profiles, +10%), when stated.
    pub region_class: Option<&'static str>,
}

impl Meter {
    fn other() -> Meter {
        Meter {
            model: None,
            kind: ChargeKind::Other,
            cache_ttl: None,
            tier: ServiceTier::Standard,
            region_class: None,
        }
    }
}

/// Snapshot dates that Azure writes as a bare `MMDD`; the year is not in the meter.
fn azure_snapshot(base: &str, mmdd: &str) -> Option<&'static str> {
    Some(match (base, mmdd) {
        ("gpt-4o", "0513") => "2024-05-13",
        ("gpt-4o", "0806") => "2024-08-06",
        ("gpt-4o", "1120") => "2024-11-20",
        ("gpt-4o-mini", "0718") => "2024-07-18",
        _ => return None,
    })
}

/// Parses an Azure OpenAI / Foundry Models meter name.
pub fn azure_openai_meter(meter: &str) -> Meter {
    let lower = meter.to_ascii_lowercase().replace('-', " ");
    let words: Vec<&str> = lower.split_whitespace().collect();
    let mut m = Meter::other();
    let has = |w: &str| words.contains(&w);
    if lower.contains("provisioned managed") {
        m.kind = ChargeKind::ProvisionedHour;
        m.region_class = Some(if lower.contains("data zone") {
            "data-zone"
        } else if has("regional") {
            "regional"
        } else {
            "global"
        });
        return m;
    }
    let input = ["input", "inp", "inpt", "prompt"].iter().any(|w| has(w));
    let output = ["output", "outp", "completion"].iter().any(|w| has(w));
    let cached = has("cached") || has("cchd");
    m.kind = match (input, output, cached) {
        (true, _, true) => ChargeKind::CachedInput,
        (true, false, false) => ChargeKind::Input,
        (false, true, _) => ChargeKind::Output,
        _ => ChargeKind::Other,
    };
    if has("batch") {
        m.tier = ServiceTier::Batch;
    } else if has("priority") {
        m.tier = ServiceTier::Priority;
    }
    m.region_class = if lower.contains("data zone") || has("dz") {
        Some("data-zone")
    } else if has("regional") || has("rgnl") {
        Some("regional")
    } else if has("glbl") || has("global") {
        Some("global")
    } else {
        None
    };
    const NOISE: &[&str] = &[
        "input",
        "inp",
        "inpt",
        "prompt",
        "output",
        "outp",
        "completion",
        "cached",
        "cchd",
        "batch",
        "priority",
        "processing",
        "global",
        "glbl",
        "regional",
        "rgnl",
        "data",
        "zone",
        "dz",
        "tokens",
        "token",
        "azure",
        "openai",
    ];
    let mut model_words: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !NOISE.contains(w))
        .collect();
    let mut version = None;
    if let Some(last) = model_words.last() {
        if last.len() == 4 && last.bytes().all(|b| b.is_ascii_digit()) {
            version = model_words.pop();
        }
    }
    if model_words.first() != Some(&"gpt")
        && !model_words.first().is_some_and(|w| w.starts_with('o'))
    {
        return Meter { model: None, ..m };
    }
    let base = model_words.join("-");
    m.model = Some(match version.and_then(|v| azure_snapshot(&base, v)) {
        Some(date) => format!("{base}-{date}"),
        None => base,
    });
    if m.kind == ChargeKind::Other {
        m.model = None;
    }
    m
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
    fn azure_meters() {
        let m = azure_openai_meter("gpt 4o 1120 cached Inp glbl Tokens");
        assert_eq!(
            (m.model.as_deref(), m.kind, m.region_class),
            (
                Some("gpt-4o-2024-11-20"),
                ChargeKind::CachedInput,
                Some("global")
            )
        );
        let m = azure_openai_meter("gpt 4o 0513 Output regional Tokens");
        assert_eq!(
            (m.model.as_deref(), m.kind, m.region_class),
            (
                Some("gpt-4o-2024-05-13"),
                ChargeKind::Output,
                Some("regional")
            )
        );
        let m = azure_openai_meter("gpt-4o-0806-Batch-Inp-glbl Tokens");
        assert_eq!(
            (m.model.as_deref(), m.kind, m.tier),
            (
                Some("gpt-4o-2024-08-06"),
                ChargeKind::Input,
                ServiceTier::Batch
            )
        );
        let m = azure_openai_meter("gpt 4.1 mini Inp glbl Tokens");
        assert_eq!(m.model.as_deref(), Some("gpt-4.1-mini"));
        let m = azure_openai_meter("gpt 4o 0806 Batch Outp Data Zone Tokens");
        assert_eq!(
            (m.kind, m.region_class),
            (ChargeKind::Output, Some("data-zone"))
        );
        let m = azure_openai_meter("gpt 4o Priority Processing Input global Tokens");
        assert_eq!(
            (m.model.as_deref(), m.tier),
            (Some("gpt-4o"), ServiceTier::Priority)
        );
        let m = azure_openai_meter("Provisioned Managed Global Unit");
        assert_eq!(
            (m.kind, m.region_class),
            (ChargeKind::ProvisionedHour, Some("global"))
        );
        assert_eq!(azure_openai_meter("Azure OpenAI Prompt Tokens").model, None);
        assert_eq!(
            azure_openai_meter("Standard Data Transfer Out").kind,
            ChargeKind::Other
        );
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
    let fits = (unit == "tokens" && r.charge_kind.is_tokens())
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
