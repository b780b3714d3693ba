//! `spend-audit pricing diff FILE`: our catalog against a reference price file, and
//! `pricing coverage FILE`: the reference's models our catalog cannot name.
//!
//! Four reference shapes are read (stored under `pricing/references/`, refreshed by
//! `scripts/refresh_references.py`): LiteLLM's `model_prices_and_context_window.json`,
//! genai-prices (its v2 feed, or the 0.2.x package data written in that shape), model-prices
//! (a models.dev snapshot with dated corrections) and azure-genai-prices (Azure's retail price
//! list, read through the bundled meter table). Each is read into [`RefEntry`]s: a model key,
//! every name it answers to, and its rates per dimension over dated periods.
//!
//! Every dimension the catalog models is compared: standard, cached input, 5-minute and 1-hour
//! cache writes, batch, flex and priority rates (ours are multipliers on the standard rates),
//! long-context tiers (their threshold and rates) and per-request charges. Every name of a
//! reference entry that resolves is compared (each of our models once). Where the reference
//! dates its prices, every period is compared on its first day, so history and launch dates
//! are checked, not only today. Rates are per 1M tokens, rounded to 1e-6 to absorb per-token
//! floats. Reviewed disagreements live in `pricing/diff-exceptions.toml` with their reason; one
//! that no longer fires is reported as stale.

use super::{Catalog, Resolution};
use chrono::NaiveDate;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One rate on which a reference file and our catalog disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub source: &'static str,
    /// The reference file's model key.
    pub model: String,
    pub our_model: String,
    /// `input`, `output`, `cached_input`, `cache_write_5m`, `cache_write_1h`, `request`,
    /// `batch.input`, `flex.output`, `long_context.input`, `long_context.above`, …, or
    /// `priced` (the reference prices the model on a day our catalog has no price for it).
    pub field: String,
    /// The day compared: the `--at` day, or the first day of a dated reference period.
    pub at: NaiveDate,
    pub ours: Option<Decimal>,
    pub theirs: Decimal,
}

/// A reviewed disagreement and why it stays.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub source: String,
    pub model: String,
    pub field: String,
    /// Only the disagreement on this day (a dated reference period); without it, every day.
    #[serde(default)]
    pub at: Option<NaiveDate>,
    pub reason: String,
}

/// The `[[key]]` entries of a reviewed-list file (exceptions, exclusions); none when absent.
fn reviewed_list<T: serde::de::DeserializeOwned>(text: &str, key: &str) -> Result<Vec<T>, String> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    match table.remove(key) {
        Some(list) => list.try_into().map_err(|e: toml::de::Error| e.to_string()),
        None => Ok(Vec::new()),
    }
}

/// Parses `pricing/diff-exceptions.toml`.
pub fn parse_exceptions(text: &str) -> Result<Vec<Exception>, String> {
    reviewed_list(text, "exception")
}

impl Exception {
    fn matches(&self, d: &Disagreement) -> bool {
        self.source == d.source
            && self.model == d.model
            && self.field == d.field
            && self.at.is_none_or(|at| at == d.at)
    }
}

impl Disagreement {
    pub fn is_excepted(&self, exceptions: &[Exception]) -> Option<String> {
        exceptions
            .iter()
            .find(|e| e.matches(self))
            .map(|e| e.reason.clone())
    }
}

/// The exceptions for `source` that match none of `found`: reviewed once, no longer true.
pub fn stale_exceptions<'a>(
    source: &str,
    exceptions: &'a [Exception],
    found: &[Disagreement],
) -> Vec<&'a Exception> {
    exceptions
        .iter()
        .filter(|e| e.source == source && !found.iter().any(|d| e.matches(d)))
        .collect()
}

/// Reference provider ids of the first-party APIs we carry (LiteLLM `litellm_provider`,
/// genai-prices and model-prices provider ids).
const VENDORS: &[&str] = &[
    "openai",
    "anthropic",
    "deepseek",
    "gemini",
    "google",
    "mistral",
    "xai",
    "x_ai",
    "x-ai",
    "cohere",
    "cohere_chat",
    "meta",
];

/// Reference providers whose keys name a cloud SKU (`us.anthropic.…`, `azure/eu/…`); compared
/// with our derived platform price when the name says which platform and region class.
const PLATFORM_PROVIDERS: &[&str] = &[
    "bedrock",
    "bedrock_converse",
    "azure",
    "aws",
    "amazon-bedrock",
];

/// Rates of one reference period, by field, per 1M tokens (per request for `request`).
type Rates = BTreeMap<String, Decimal>;

/// One rate and the day it took effect (`None`: not stated).
type DatedRate = (Option<NaiveDate>, Decimal);

/// A reference's dated values (`None`: from the beginning), oldest first.
type Dated<'a> = Vec<(Option<NaiveDate>, &'a Value)>;

/// One model of a reference file.
#[derive(Debug, Clone)]
pub struct RefEntry {
    pub source: &'static str,
    pub key: String,
    /// The key and every name the reference matches to it.
    pub names: Vec<String>,
    /// A cloud platform's SKU rather than the vendor's own API.
    pub on_platform: bool,
    /// Rates by first day (`None`: from the beginning), oldest first.
    pub periods: Vec<(Option<NaiveDate>, Rates)>,
    /// Days on which the reference states a standard price of its own (not only a batch or
    /// tier change that applies to every model): on these, a day our catalog has no price
    /// for is a disagreement (a launch date set late, or a gap in history).
    pub priced_on: BTreeSet<NaiveDate>,
    /// The last day the reference speaks for (a price-list snapshot's fetch day): later days
    /// are compared on it instead.
    pub valid_until: Option<NaiveDate>,
}

impl RefEntry {
    /// The rates in effect on `at`: the latest period started by then, else none.
    fn rates_on(&self, at: NaiveDate) -> Option<&Rates> {
        self.periods
            .iter()
            .rev()
            .find(|(from, _)| from.is_none_or(|f| f <= at))
            .map(|(_, r)| r)
    }
}

/// Whether a price dated `from` (`None`: from the beginning) is in effect at a period that
/// starts on `start` (`None`: the undated first period, which only undated prices cover).
fn in_effect(from: Option<NaiveDate>, start: Option<NaiveDate>) -> bool {
    match (from, start) {
        (None, _) => true,
        (Some(f), Some(s)) => f <= s,
        (Some(_), None) => false,
    }
}

fn decimal(x: f64, factor: f64) -> Option<Decimal> {
    Decimal::from_f64(x * factor).map(|d| d.round_dp(6).normalize())
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// Reads a reference file: its source name and its entries for the vendors we cover.
pub fn read_reference(text: &str) -> Result<(&'static str, Vec<RefEntry>), String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(map) = doc.as_object().filter(|m| m.contains_key("sample_spec")) {
        Ok(("litellm", litellm(map)))
    } else if let (Some(items), Some(fetched)) = (
        doc.get("items").and_then(Value::as_array),
        doc.get("fetched_at").and_then(Value::as_str),
    ) {
        Ok(("azure-genai-prices", azure(items, day(fetched))))
    } else if let Some(prices) = doc.get("prices").and_then(Value::as_object) {
        Ok(("model-prices", model_prices(prices, &doc)))
    } else if let Some(providers) = doc.as_array() {
        Ok(("genai-prices", genai(providers)))
    } else {
        Err(
            "neither a LiteLLM price map, a genai-prices data file nor a model-prices snapshot"
                .into(),
        )
    }
}

/// LiteLLM modes priced per token that the catalog prices (embeddings, per-image, per-second
/// and per-character entries are other units).
const LITELLM_MODES: &[&str] = &["chat", "responses", "realtime", "image_generation"];

/// LiteLLM: one undated entry per key; `_batches`, `_flex`, `_priority` and
/// `_above_<N>k_tokens` suffixes are the other dimensions.
fn litellm(map: &Map<String, Value>) -> Vec<RefEntry> {
    let mut out = Vec::new();
    for (key, entry) in map {
        let provider = entry
            .get("litellm_provider")
            .and_then(Value::as_str)
            .unwrap_or("");
        let on_platform = PLATFORM_PROVIDERS.contains(&provider);
        if !(VENDORS.contains(&provider) || on_platform)
            || entry
                .get("mode")
                .and_then(Value::as_str)
                .is_some_and(|m| !LITELLM_MODES.contains(&m))
        {
            continue;
        }
        let Some(fields) = entry.as_object() else {
            continue;
        };
        let mut rates = Rates::new();
        for (k, v) in fields {
            let Some(x) = v.as_f64() else { continue };
            let (base, rest) = match k.as_str() {
                k if k.starts_with("input_cost_per_token") => ("input", &k[20..]),
                k if k.starts_with("output_cost_per_token") => ("output", &k[21..]),
                k if k.starts_with("cache_read_input_token_cost") => ("cached_input", &k[27..]),
                "cache_creation_input_token_cost" => ("cache_write_5m", ""),
                "cache_creation_input_token_cost_above_1hr" => ("cache_write_1h", ""),
                k if k.starts_with("input_cost_per_audio_token") => ("audio_input", &k[26..]),
                k if k.starts_with("output_cost_per_audio_token") => ("audio_output", &k[27..]),
                k if k.starts_with("cache_read_input_audio_token_cost") => {
                    ("audio_cached_input", &k[33..])
                }
                k if k.starts_with("input_cost_per_image_token") => ("image_input", &k[26..]),
                k if k.starts_with("output_cost_per_image_token") => ("image_output", &k[27..]),
                k if k.starts_with("cache_read_input_image_token_cost") => {
                    ("image_cached_input", &k[33..])
                }
                "input_cost_per_request" => {
                    rates.extend(decimal(x, 1.0).map(|d| ("request".to_string(), d)));
                    continue;
                }
                _ => continue,
            };
            let field = match rest {
                "" => base.to_string(),
                "_batches" => format!("batch.{base}"),
                "_flex" => format!("flex.{base}"),
                "_priority" => format!("priority.{base}"),
                r => match r
                    .strip_prefix("_above_")
                    .and_then(|r| r.strip_suffix("k_tokens"))
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    Some(k) => {
                        rates.insert("long_context.above".into(), Decimal::from(k * 1000));
                        format!("long_context.{base}")
                    }
                    None => continue,
                },
            };
            if let Some(d) = decimal(x, 1e6) {
                rates.insert(field, d);
            }
        }
        out.push(RefEntry {
            source: "litellm",
            key: key.clone(),
            names: vec![key.clone()],
            on_platform,
            periods: vec![(None, rates)],
            priced_on: BTreeSet::new(),
            valid_until: None,
        });
    }
    out
}

/// genai-prices field names → ours.
const GENAI_FIELDS: &[(&str, &str)] = &[
    ("input_mtok", "input"),
    ("output_mtok", "output"),
    ("cache_read_mtok", "cached_input"),
    ("cache_write_mtok", "cache_write_5m"),
    ("cache_write_1h_mtok", "cache_write_1h"),
    ("input_audio_mtok", "audio_input"),
    ("cache_audio_read_mtok", "audio_cached_input"),
    ("output_audio_mtok", "audio_output"),
    ("input_image_mtok", "image_input"),
    ("cache_image_read_mtok", "image_cached_input"),
    ("output_image_mtok", "image_output"),
];

/// A genai-prices price object into `rates`, under `prefix` (`""`, `batch.`, …). A tiered
/// price (`{base, tiers: [{start, price}]}`) gives its base and, for the first tier, the
/// long-context rate and threshold.
fn genai_prices(p: &Value, prefix: &str, rates: &mut Rates) {
    for (theirs, ours) in GENAI_FIELDS {
        let Some(v) = p.get(*theirs) else { continue };
        let base = v.as_f64().or_else(|| v.get("base").and_then(Value::as_f64));
        if let Some(d) = base.and_then(|x| decimal(x, 1.0)) {
            rates.insert(format!("{prefix}{ours}"), d);
        }
        if let Some(tier) = v.get("tiers").and_then(|t| t.get(0)) {
            if let (Some(start), Some(price)) = (
                tier.get("start").and_then(Value::as_u64),
                tier.get("price").and_then(Value::as_f64),
            ) {
                // Some entries write "over 200k" as a start of 199,999; one token is not a
                // disagreement worth a review.
                let start = if start % 1000 == 999 {
                    start + 1
                } else {
                    start
                };
                rates.insert(format!("{prefix}long_context.above"), Decimal::from(start));
                if let Some(d) = decimal(price, 1.0) {
                    rates.insert(format!("{prefix}long_context.{ours}"), d);
                }
            }
        }
    }
    // Per 1,000 searches, as the catalog states it.
    if let Some(d) = p
        .get("web_searches_kcount")
        .and_then(Value::as_f64)
        .and_then(|x| decimal(x, 1.0))
    {
        rates.insert(format!("{prefix}web_search"), d);
    }
    if let Some(d) = p
        .get("requests_kcount")
        .and_then(Value::as_f64)
        .and_then(|x| decimal(x, 1e-3))
    {
        rates.insert(format!("{prefix}request"), d);
    }
}

/// genai-prices: `prices` is one price object or dated `{constraint: {start_date}, prices}`
/// entries; `price_variants` add batch, flex and priority rates, each possibly dated.
fn genai(providers: &[Value]) -> Vec<RefEntry> {
    let mut out = Vec::new();
    for p in providers {
        let pid = p.get("id").and_then(Value::as_str).unwrap_or("");
        let on_platform = PLATFORM_PROVIDERS.contains(&pid);
        if !(VENDORS.contains(&pid) || on_platform) {
            continue;
        }
        for m in p
            .get("models")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = m
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let mut names = vec![key.clone()];
            collect_equals(m.get("match").unwrap_or(&Value::Null), &mut names);
            names.dedup();
            // The base periods, then every variant's start, so each day a rate changes is
            // a period of its own.
            let mut base: Dated = Vec::new();
            match m.get("prices") {
                Some(Value::Array(list)) => {
                    for e in list {
                        // Time-of-day windows (off-peak) are not the list rate.
                        if e["constraint"].get("start_time").is_some() {
                            continue;
                        }
                        let from = e["constraint"]["start_date"].as_str().and_then(day);
                        base.push((from, &e["prices"]));
                    }
                }
                Some(p @ Value::Object(_)) => base.push((None, p)),
                _ => {}
            }
            let variants: Vec<(Option<NaiveDate>, String, &Value)> = m
                .get("price_variants")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| {
                    let when = v.get("when")?;
                    let prefix = match (
                        when.get("processing").and_then(Value::as_str),
                        when.get("service_tier").and_then(Value::as_str),
                    ) {
                        (Some("batch"), _) => "batch.",
                        (_, Some("flex")) => "flex.",
                        (_, Some("priority")) => "priority.",
                        _ => return None,
                    };
                    let from = v
                        .get("constraint")
                        .and_then(|c| c.get("start_date"))
                        .and_then(Value::as_str)
                        .and_then(day);
                    Some((from, prefix.to_string(), v.get("prices")?))
                })
                .collect();
            let mut starts: BTreeSet<Option<NaiveDate>> = base.iter().map(|(d, _)| *d).collect();
            starts.extend(variants.iter().map(|(d, _, _)| *d));
            let periods = starts
                .into_iter()
                .map(|start| {
                    let on = |from: &Option<NaiveDate>| in_effect(*from, start);
                    let mut rates = Rates::new();
                    if let Some((_, p)) = base.iter().rev().find(|(f, _)| on(f)) {
                        genai_prices(p, "", &mut rates);
                    }
                    let mut seen = BTreeSet::new();
                    for (f, prefix, p) in variants.iter().rev() {
                        if on(f) && seen.insert(prefix.clone()) {
                            genai_prices(p, prefix, &mut rates);
                        }
                    }
                    (start, rates)
                })
                .collect();
            // A dated base price or a dated variant (batch rates "verified on" a day) both say
            // the model was sold that day.
            let priced_on = base
                .iter()
                .map(|(d, _)| *d)
                .chain(variants.iter().map(|(d, _, _)| *d))
                .flatten()
                .collect();
            out.push(RefEntry {
                source: "genai-prices",
                key,
                names,
                on_platform,
                periods,
                priced_on,
                valid_until: None,
            });
        }
    }
    out
}

/// model-prices: `prices[provider][model][tier]` is a list of dated `{start, rates}` (`rates`
/// null while the tier was not offered); aliases map further names to a model.
fn model_prices(prices: &Map<String, Value>, doc: &Value) -> Vec<RefEntry> {
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (alias, target) in doc["aliases"]["models"].as_object().into_iter().flatten() {
        if let Some(t) = target.as_str() {
            aliases
                .entry(t.to_string())
                .or_default()
                .push(alias.clone());
        }
    }
    let mut out = Vec::new();
    for (provider, models) in prices {
        let on_platform = PLATFORM_PROVIDERS.contains(&provider.as_str());
        if !(VENDORS.contains(&provider.as_str()) || on_platform) {
            continue;
        }
        for (model, tiers) in models.as_object().into_iter().flatten() {
            let mut starts = BTreeSet::new();
            let priced_on: BTreeSet<NaiveDate> = tiers["standard"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["rates"].is_object())
                .filter_map(|p| p.get("start").and_then(Value::as_str).and_then(day))
                .collect();
            let tier_periods: Vec<(&str, Dated)> = tiers
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(tier, list)| {
                    let prefix = match tier.as_str() {
                        "standard" => "",
                        "batch" => "batch.",
                        "flex" => "flex.",
                        "priority" => "priority.",
                        _ => return None,
                    };
                    let periods: Dated = list
                        .as_array()?
                        .iter()
                        .map(|p| {
                            (
                                p.get("start").and_then(Value::as_str).and_then(day),
                                &p["rates"],
                            )
                        })
                        .collect();
                    starts.extend(periods.iter().map(|(d, _)| *d));
                    Some((prefix, periods))
                })
                .collect();
            let periods = starts
                .into_iter()
                .map(|start| {
                    let mut rates = Rates::new();
                    for (prefix, list) in &tier_periods {
                        let current = list.iter().rev().find(|(f, _)| in_effect(*f, start));
                        if let Some((_, r)) = current.filter(|(_, r)| r.is_object()) {
                            model_price_rates(r, prefix, &mut rates);
                        }
                    }
                    (start, rates)
                })
                .collect();
            let key = format!("{provider}/{model}");
            let mut names = vec![model.clone(), key.clone()];
            names.extend(aliases.get(&key).into_iter().flatten().cloned());
            out.push(RefEntry {
                source: "model-prices",
                key,
                names,
                on_platform,
                periods,
                priced_on,
                valid_until: None,
            });
        }
    }
    out
}

/// azure-genai-prices: Azure's retail price list, one item per meter (and region), read
/// through the catalog's meter table (`pricing/azure_meters.csv`, built from this list) to a
/// model, charge, tier and deployment. One entry per model and deployment type, named as a
/// wire string routes it (`azure/global/…`, `azure/eu/…` for data zones); regional meters are
/// left out (no wire string names them), as are meters whose price differs by region. Rates
/// start on each meter's effective date and are compared up to the list's fetch day.
fn azure(items: &[Value], fetched: Option<NaiveDate>) -> Vec<RefEntry> {
    use crate::ledger::{ChargeKind, ServiceTier};
    // (model, deployment) → field → (start, price per 1M), and the fields priced differently
    // across regions.
    let mut by: BTreeMap<(String, &str), BTreeMap<String, DatedRate>> = BTreeMap::new();
    let mut mixed: BTreeSet<(String, &str, String)> = BTreeSet::new();
    for item in items {
        let (Some(name), Some(price)) = (
            item.get("meterName").and_then(Value::as_str),
            item.get("retailPrice").and_then(Value::as_f64),
        ) else {
            continue;
        };
        let Some(m) = crate::ingest::meters::azure_meter(name) else {
            continue;
        };
        let base = match m.kind {
            ChargeKind::Input => "input",
            ChargeKind::Output => "output",
            ChargeKind::CachedInput => "cached_input",
            ChargeKind::CacheWrite => "cache_write_5m",
            _ => continue,
        };
        let prefix = match m.tier {
            ServiceTier::Standard => "",
            ServiceTier::Batch => "batch.",
            ServiceTier::Priority => "priority.",
            ServiceTier::Flex => "flex.",
        };
        let field = format!(
            "{prefix}{}{base}",
            if m.long_context { "long_context." } else { "" }
        );
        let Some(rate) = decimal(price, 1e6 / m.price.tokens_per_unit) else {
            continue;
        };
        let start = item
            .get("effectiveStartDate")
            .and_then(Value::as_str)
            .and_then(day);
        let key = (m.model.clone(), m.region_class);
        match by.entry(key.clone()).or_default().entry(field.clone()) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert((start, rate));
            }
            std::collections::btree_map::Entry::Occupied(o) => {
                if o.get().1 != rate {
                    mixed.insert((key.0, key.1, field));
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((model, class), fields) in by {
        let route = match class {
            "global" => "global/",
            "data-zone" => "eu/",
            _ => continue,
        };
        // One period from the latest effective date of the fields: the list states each
        // meter's current price, in effect since that day.
        let start = fields.values().filter_map(|(d, _)| *d).max();
        let rates: Rates = fields
            .into_iter()
            .filter(|(f, _)| !mixed.contains(&(model.clone(), class, f.clone())))
            .map(|(f, (_, r))| (f, r))
            .collect();
        out.push(RefEntry {
            source: "azure-genai-prices",
            key: format!("{model} ({class})"),
            names: vec![format!("azure/{route}{model}")],
            on_platform: true,
            periods: vec![(start, rates)],
            // Effective dates are the first of a billing month, not launch days.
            priced_on: BTreeSet::new(),
            valid_until: fetched,
        });
    }
    out
}

fn model_price_rates(r: &Value, prefix: &str, rates: &mut Rates) {
    let get = |k: &str| r.get(k).and_then(Value::as_f64);
    for (theirs, ours) in [
        ("input", "input"),
        ("output", "output"),
        ("cache_read", "cached_input"),
        ("cache_write", "cache_write_5m"),
    ] {
        if let Some(d) = get(theirs).and_then(|x| decimal(x, 1.0)) {
            rates.insert(format!("{prefix}{ours}"), d);
        }
    }
    // The 1-hour write is stated as a multiple of input on every entry, also of vendors with
    // no cache writes at all (OpenAI); it means something only beside a stated cache write.
    if let (Some(input), Some(m), Some(_)) = (
        get("input"),
        get("cache_write_1h_multiple"),
        get("cache_write"),
    ) {
        rates.extend(decimal(input * m, 1.0).map(|d| (format!("{prefix}cache_write_1h"), d)));
    }
    if let Some(tier) = r.get("tiers").and_then(|t| t.get(0)) {
        if let Some(above) = tier.get("above").and_then(Value::as_u64) {
            rates.insert(format!("{prefix}long_context.above"), Decimal::from(above));
            for (theirs, ours) in [
                ("input", "input"),
                ("output", "output"),
                ("cache_read", "cached_input"),
            ] {
                if let Some(d) = tier
                    .get(theirs)
                    .and_then(Value::as_f64)
                    .and_then(|x| decimal(x, 1.0))
                {
                    rates.insert(format!("{prefix}long_context.{ours}"), d);
                }
            }
        }
    }
}

/// Whether our exact rate and a reference's agree: equal, or the reference wrote ours rounded
/// to its own precision (LiteLLM writes a derived 0.9625 as 0.963) and within 1% of it. A
/// coarser rounding (0.125 written as 0.13) stays a disagreement to review.
fn agrees(ours: Decimal, theirs: Decimal) -> bool {
    if ours == theirs {
        return true;
    }
    let places = theirs.scale();
    let rounded =
        ours.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    places >= 2 && rounded == theirs && ((ours - theirs).abs() * Decimal::from(100)) < theirs.abs()
}

/// Our rate for `field` in a period: tiers are multipliers on the standard rates; a
/// long-context field is the tier's own rate.
fn our_rate(period: &super::catalog::PricePeriod, field: &str) -> Option<Decimal> {
    let (tier, rest) = match field.split_once('.') {
        Some((t @ ("batch" | "flex" | "priority"), rest)) => (Some(t), rest),
        _ => (None, field),
    };
    let base = match rest {
        "input" => Some(period.input),
        "output" => Some(period.output),
        "cached_input" => period.cached_input,
        "cache_write_5m" => period.cache_write_5m,
        "cache_write_1h" => period.cache_write_1h,
        "request" => period.request,
        "audio_input" => period.audio_input,
        "audio_cached_input" => period.audio_cached_input,
        "audio_output" => period.audio_output,
        // Unstated image input is billed as text input (see `PricePeriod`).
        "image_input" => period.image_input.or(Some(period.input)),
        "image_cached_input" => period.image_cached_input.or(period.cached_input),
        "image_output" => period.image_output,
        // Not a token rate: no tier changes it.
        "web_search" => return period.web_search,
        "long_context.above" => period.long_context.as_ref().map(|l| Decimal::from(l.above)),
        "long_context.input" => period.long_context.as_ref().map(|l| l.input),
        "long_context.output" => period.long_context.as_ref().map(|l| l.output),
        "long_context.cached_input" => period.long_context.as_ref().and_then(|l| l.cached_input),
        "long_context.cache_write_5m" => {
            period.long_context.as_ref().and_then(|l| l.cache_write_5m)
        }
        "long_context.cache_write_1h" => {
            period.long_context.as_ref().and_then(|l| l.cache_write_1h)
        }
        _ => None,
    }?;
    let multiplier = match tier {
        None => Decimal::ONE,
        Some("batch") => period.batch?,
        Some("flex") => period.flex?,
        Some(_) => period.priority?,
    };
    if rest == "long_context.above" {
        return Some(base);
    }
    Some((base * multiplier).round_dp(6).normalize())
}

/// Compares every entry of the reference in `text` with the catalog: the rates in effect on
/// `at`, and every dated period that started before it on its first day.
/// Returns the reference's source name with the disagreements.
pub fn diff(
    catalog: &Catalog,
    text: &str,
    at: NaiveDate,
) -> Result<(&'static str, Vec<Disagreement>), String> {
    let (source, entries) = read_reference(text)?;
    let mut out = Vec::new();
    for entry in &entries {
        // A snapshot says nothing of the days after it was taken.
        let at = entry.valid_until.map_or(at, |v| v.min(at));
        let mut days: BTreeSet<NaiveDate> = entry
            .periods
            .iter()
            .filter_map(|(d, _)| *d)
            .filter(|d| *d < at)
            .collect();
        days.insert(at);
        for day in days {
            let Some(rates) = entry.rates_on(day) else {
                continue;
            };
            if rates.is_empty() {
                continue;
            }
            compare(catalog, entry, day, rates, at, &mut out);
        }
    }
    out.sort_by(|a, b| {
        (a.source, &a.model, &a.field, a.at).cmp(&(b.source, &b.model, &b.field, b.at))
    });
    out.dedup();
    Ok((source, out))
}

fn compare(
    catalog: &Catalog,
    entry: &RefEntry,
    day: NaiveDate,
    rates: &Rates,
    at: NaiveDate,
    out: &mut Vec<Disagreement>,
) {
    let day_ms = crate::util::day_start_ms(day);
    let at_ms = crate::util::day_start_ms(at);
    let mut compared = BTreeSet::new();
    for name in &entry.names {
        // A name our catalog knows today; on an earlier day it may not resolve yet (launch).
        let (model_id, hints) = match catalog.resolve(name, day_ms) {
            Resolution::Found {
                model_id, hints, ..
            } => (model_id, hints),
            // A `-latest` alias named another model then; only a fixed name can be checked
            // against a day before our catalog knows it.
            _ if name.contains("latest") => continue,
            _ => match catalog.resolve(name, at_ms) {
                Resolution::Found {
                    model_id, hints, ..
                } if day < at => (model_id, hints),
                _ => continue,
            },
        };
        let Some(model) = catalog.model(&model_id) else {
            continue;
        };
        // First-party entries compare with the home SKU; cloud entries with the SKU their
        // name gives (`us.` → Bedrock geo, `azure/eu/` → Azure data zone), when we sell it.
        let platform = if entry.on_platform {
            let Some(platform) = hints.platform.clone() else {
                continue;
            };
            if platform == model.home || !model.all_platforms().any(|p| p == platform) {
                continue;
            }
            if platform == "aws-bedrock" && hints.region.is_none() {
                continue;
            }
            Some(platform)
        } else {
            None
        };
        if !compared.insert((model_id.clone(), platform.clone())) {
            continue;
        }
        let sku = catalog.sku_price(model, platform.as_deref(), hints.region.as_deref(), day_ms);
        let Ok(sku) = sku else {
            // Priced by the reference on a day we have no price for: a launch date set late,
            // or a gap in history.
            let stated = day == at || entry.priced_on.contains(&day);
            if let Some(theirs) = rates.get("input").copied().filter(|_| stated) {
                out.push(Disagreement {
                    source: entry.source,
                    model: entry.key.clone(),
                    our_model: model_id.clone(),
                    field: "priced".into(),
                    at: day,
                    ours: None,
                    theirs,
                });
            }
            continue;
        };
        for (field, theirs) in rates {
            let ours = our_rate(&sku.period, field);
            if !ours.is_some_and(|o| agrees(o, *theirs)) {
                out.push(Disagreement {
                    source: entry.source,
                    model: entry.key.clone(),
                    our_model: model_id.clone(),
                    field: field.clone(),
                    at: day,
                    ours,
                    theirs: *theirs,
                });
            }
        }
    }
}

/// One reference model our catalog cannot name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncovered {
    pub source: &'static str,
    pub model: String,
    /// Its names, none of which resolve.
    pub names: Vec<String>,
}

/// A reviewed model the catalog deliberately leaves out, and why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub source: String,
    pub model: String,
    pub reason: String,
}

/// Parses `pricing/coverage-exclusions.toml`.
pub fn parse_exclusions(text: &str) -> Result<Vec<Exclusion>, String> {
    reviewed_list(text, "exclusion")
}

/// The reference's first-party models (the vendors we cover) that currently carry a token
/// price and whose names all fail to resolve in our catalog on `at`.
pub fn coverage(catalog: &Catalog, text: &str, at: NaiveDate) -> Result<Vec<Uncovered>, String> {
    let (_, entries) = read_reference(text)?;
    let at_ms = crate::util::day_start_ms(at);
    let mut out: Vec<Uncovered> = entries
        .into_iter()
        .filter(|e| !e.on_platform)
        .filter(|e| e.rates_on(at).is_some_and(|r| r.contains_key("input")))
        .filter(|e| {
            !e.names.iter().any(|n| {
                matches!(
                    catalog.resolve(n, at_ms),
                    Resolution::Found { .. } | Resolution::Ambiguous(_)
                )
            })
        })
        .map(|e| Uncovered {
            source: e.source,
            model: e.key,
            names: e.names,
        })
        .collect();
    out.sort_by(|a, b| a.model.cmp(&b.model));
    out.dedup_by(|a, b| a.model == b.model);
    Ok(out)
}

fn collect_equals(m: &Value, names: &mut Vec<String>) {
    match m {
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get("equals") {
                names.push(s.clone());
            }
            for v in o.values() {
                collect_equals(v, names);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_equals(v, names)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_reference_rounding_of_our_rate_agrees_and_a_coarser_one_does_not() {
        assert!(agrees(d("0.9625"), d("0.963")));
        assert!(agrees(d("0.0825"), d("0.083")));
        assert!(agrees(d("2"), d("2")));
        // Rounded to the cent from 0.125: 4% off, a disagreement to review.
        assert!(!agrees(d("0.125"), d("0.13")));
        // One decimal place is too coarse to say anything.
        assert!(!agrees(d("0.14"), d("0.1")));
        assert!(!agrees(d("1.25"), d("1.3")));
    }

    #[test]
    fn litellm_suffixes_are_dimensions() {
        let text = r#"{"sample_spec": {}, "gpt-x": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 2e-6, "output_cost_per_token": 8e-6,
            "input_cost_per_token_batches": 1e-6, "output_cost_per_token_flex": 4e-6,
            "input_cost_per_token_priority": 3.5e-6,
            "input_cost_per_token_above_200k_tokens": 4e-6,
            "cache_creation_input_token_cost_above_1hr": 4e-6}}"#;
        let (source, entries) = read_reference(text).unwrap();
        assert_eq!(source, "litellm");
        let r = &entries[0].periods[0].1;
        assert_eq!(r["input"], d("2"));
        assert_eq!(r["batch.input"], d("1"));
        assert_eq!(r["flex.output"], d("4"));
        assert_eq!(r["priority.input"], d("3.5"));
        assert_eq!(r["long_context.input"], d("4"));
        assert_eq!(r["long_context.above"], d("200000"));
        assert_eq!(r["cache_write_1h"], d("4"));
    }

    #[test]
    fn genai_periods_and_variants_are_dated() {
        let text = r#"[{"id": "x-ai", "models": [{"id": "grok-x", "match": {"or": [{"equals": "grok-x"}, {"equals": "grok-x-0709"}]},
            "prices": [{"prices": {"input_mtok": 3, "output_mtok": 15}},
                       {"constraint": {"start_date": "2026-05-01"}, "prices": {"input_mtok": {"base": 2, "tiers": [{"start": 200000, "price": 4}]}, "output_mtok": 10}}],
            "price_variants": [{"when": {"processing": "batch"}, "constraint": {"start_date": "2026-06-01"}, "prices": {"input_mtok": 1, "output_mtok": 5}}]}]}]"#;
        let (source, entries) = read_reference(text).unwrap();
        assert_eq!(source, "genai-prices");
        let e = &entries[0];
        assert_eq!(e.names, ["grok-x", "grok-x-0709"]);
        let on = |day: &str| e.rates_on(NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap());
        assert_eq!(on("2026-01-01").unwrap()["input"], d("3"));
        assert!(!on("2026-05-15").unwrap().contains_key("batch.input"));
        assert_eq!(on("2026-05-15").unwrap()["long_context.input"], d("4"));
        assert_eq!(on("2026-07-01").unwrap()["batch.output"], d("5"));
        assert_eq!(on("2026-07-01").unwrap()["input"], d("2"));
    }

    #[test]
    fn azure_price_list_items_are_read_through_the_meter_table() {
        // Two real meters of the bundled table (pricing/azure_meters.csv): GPT-5.6 Luna's
        // global input and its data-zone long-context output; an unknown meter is skipped.
        let text = r#"{"fetched_at": "2026-08-11T00:57:47", "items": [
            {"meterName": "5.6 luna LongCo Inp Std Gl 1M Tokens", "retailPrice": 2.0, "effectiveStartDate": "2026-07-01T00:00:00Z"},
            {"meterName": "5.6 luna LongCo Opt Std DZ 1M Tokens", "retailPrice": 9.9, "effectiveStartDate": "2026-07-01T00:00:00Z"},
            {"meterName": "no such meter", "retailPrice": 1.0}]}"#;
        let (source, entries) = read_reference(text).unwrap();
        assert_eq!(source, "azure-genai-prices");
        assert_eq!(entries.len(), 2);
        let global = entries
            .iter()
            .find(|e| e.key.ends_with("(global)"))
            .unwrap();
        assert_eq!(global.names, ["azure/global/gpt-5.6-luna"]);
        assert_eq!(global.periods[0].1["long_context.input"], d("2"));
        let zone = entries
            .iter()
            .find(|e| e.key.ends_with("(data-zone)"))
            .unwrap();
        assert_eq!(zone.names, ["azure/eu/gpt-5.6-luna"]);
        assert_eq!(zone.periods[0].1["long_context.output"], d("9.9"));
        // The list speaks for days up to its fetch.
        assert_eq!(global.valid_until, NaiveDate::from_ymd_opt(2026, 8, 11));
    }

    #[test]
    fn model_prices_tiers_and_aliases() {
        let text = r#"{"aliases": {"models": {"grok-y-alias": "xai/grok-y"}}, "prices": {"xai": {"grok-y": {
            "standard": [{"start": null, "rates": {"input": 0.2, "output": 1.5, "cache_read": 0.02, "cache_write": 0.25, "cache_write_1h_multiple": 2.0}}],
            "batch": [{"start": null, "rates": null}, {"start": "2026-03-01T00:00:00Z", "rates": {"input": 0.1, "output": 0.75}}]}}}}"#;
        let (source, entries) = read_reference(text).unwrap();
        assert_eq!(source, "model-prices");
        let e = &entries[0];
        assert!(e.names.contains(&"grok-y-alias".to_string()));
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!e
            .rates_on(day("2026-01-01"))
            .unwrap()
            .contains_key("batch.input"));
        let r = e.rates_on(day("2026-04-01")).unwrap();
        assert_eq!(r["batch.output"], d("0.75"));
        assert_eq!(r["cache_write_1h"], d("0.4"));
    }
}
