//! `spend-audit pricing diff FILE`: our current rates against a LiteLLM
//! (`model_prices_and_context_window.json`) or genai-prices (`v2/data.json`) data file.
//!
//! Only first-party entries of vendors our catalog covers are compared, and only models whose
//! names resolve in our catalog (exactly, as usage would). Rates are compared per 1M tokens,
//! rounded to 1e-6 to absorb LiteLLM's per-token floats. Known, reviewed disagreements live in
//! `pricing/diff-exceptions.toml` with their reason; `diff` marks them so a refresh only has to
//! look at new ones.

use super::{Catalog, Resolution};
use chrono::NaiveDate;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One rate on which a reference file and our catalog disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub source: &'static str,
    /// The reference file's model key.
    pub model: String,
    pub our_model: String,
    /// `input`, `output`, `cached_input` or `cache_write_5m`.
    pub field: &'static str,
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
    pub reason: String,
}

#[derive(Debug, Deserialize)]
struct ExceptionsFile {
    #[serde(default)]
    exception: Vec<Exception>,
}

/// Parses `pricing/diff-exceptions.toml`.
pub fn parse_exceptions(text: &str) -> Result<Vec<Exception>, String> {
    toml::from_str::<ExceptionsFile>(text)
        .map(|f| f.exception)
        .map_err(|e| e.to_string())
}

impl Disagreement {
    pub fn is_excepted(&self, exceptions: &[Exception]) -> Option<String> {
        exceptions
            .iter()
            .find(|e| e.source == self.source && e.model == self.model && e.field == self.field)
            .map(|e| e.reason.clone())
    }
}

/// Reference provider ids of first-party APIs we carry (LiteLLM `litellm_provider`,
/// genai-prices provider `id`).
const VENDORS: &[&str] = &[
    "openai",
    "anthropic",
    "deepseek",
    "gemini",
    "google",
    "mistral",
    "xai",
    "x_ai",
    "cohere",
    "cohere_chat",
];

/// LiteLLM providers whose keys name a cloud SKU (`us.anthropic.…`, `azure/eu/…`); compared
/// with our derived platform price. Bare Bedrock ids (no profile prefix) are left out: which
/// region class they bill at is where the sources disagree (see `catalog.toml`).
const PLATFORM_PROVIDERS: &[&str] = &["bedrock", "bedrock_converse", "azure"];

/// A rate per 1M tokens; genai-prices writes tiered rates as `{base, tiers}` and the base is
/// the short-context rate we compare.
fn per_million(v: &Value, factor: f64) -> Option<Decimal> {
    let x = v
        .as_f64()
        .or_else(|| v.get("base").and_then(Value::as_f64))?
        * factor;
    Decimal::from_f64(x).map(|d| d.round_dp(6).normalize())
}

/// Compares every comparable rate; which reference format `text` is, is read from its shape.
pub fn diff(catalog: &Catalog, text: &str, at: NaiveDate) -> Result<Vec<Disagreement>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let at_ms = crate::util::day_start_ms(at);
    let mut out = Vec::new();
    let mut compare = |source: &'static str,
                       key: &str,
                       names: &[String],
                       rates: Vec<(&'static str, Decimal)>,
                       on_platform: bool| {
        let Some((model_id, hints)) = names.iter().find_map(|n| match catalog.resolve(n, at_ms) {
            Resolution::Found {
                model_id, hints, ..
            } => Some((model_id, hints)),
            _ => None,
        }) else {
            return;
        };
        let Some(model) = catalog.model(&model_id) else {
            return;
        };
        // First-party entries compare with the home SKU; cloud entries with the SKU their key
        // names (`us.` → Bedrock geo, `azure/eu/` → Azure data zone), when we sell it there.
        let sku = if on_platform {
            let Some(platform) = hints.platform.as_deref() else {
                return;
            };
            if platform == model.home || !model.all_platforms().any(|p| p == platform) {
                return;
            }
            if platform == "aws-bedrock" && hints.region.is_none() {
                return;
            }
            catalog.sku_price(model, Some(platform), hints.region.as_deref(), at_ms)
        } else {
            catalog.sku_price(model, None, None, at_ms)
        };
        let Ok(sku) = sku else {
            return;
        };
        let period = &sku.period;
        for (field, theirs) in rates {
            let ours = match field {
                "input" => Some(period.input),
                "output" => Some(period.output),
                "cached_input" => period.cached_input,
                "cache_write_5m" => period.cache_write_5m,
                _ => None,
            };
            if ours.map(|o| o.normalize()) != Some(theirs) {
                out.push(Disagreement {
                    source,
                    model: key.to_string(),
                    our_model: model_id.clone(),
                    field,
                    ours,
                    theirs,
                });
            }
        }
    };
    if let Some(map) = doc.as_object().filter(|m| m.contains_key("sample_spec")) {
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
                    .is_some_and(|m| m != "chat" && m != "responses")
            {
                continue;
            }
            let mut rates = Vec::new();
            for (field, k) in [
                ("input", "input_cost_per_token"),
                ("output", "output_cost_per_token"),
                ("cached_input", "cache_read_input_token_cost"),
                ("cache_write_5m", "cache_creation_input_token_cost"),
            ] {
                if let Some(r) = entry.get(k).and_then(|v| per_million(v, 1e6)) {
                    rates.push((field, r));
                }
            }
            compare(
                "litellm",
                key,
                std::slice::from_ref(key),
                rates,
                on_platform,
            );
        }
    } else if let Some(providers) = doc.as_array() {
        for p in providers {
            let pid = p.get("id").and_then(Value::as_str).unwrap_or("");
            if !VENDORS.contains(&pid) {
                continue;
            }
            for m in p
                .get("models")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = m
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let mut names = vec![id.clone()];
                collect_equals(m.get("match").unwrap_or(&Value::Null), &mut names);
                let prices = current_prices(m.get("prices").unwrap_or(&Value::Null), at);
                let mut rates = Vec::new();
                for (field, k) in [
                    ("input", "input_mtok"),
                    ("output", "output_mtok"),
                    ("cached_input", "cache_read_mtok"),
                    ("cache_write_5m", "cache_write_mtok"),
                ] {
                    if let Some(r) = prices.get(k).and_then(|v| per_million(v, 1.0)) {
                        rates.push((field, r));
                    }
                }
                compare("genai-prices", &id, &names, rates, false);
            }
        }
    } else {
        return Err("neither a LiteLLM price map nor a genai-prices v2 data file".into());
    }
    out.sort_by(|a, b| (a.source, &a.model, a.field).cmp(&(b.source, &b.model, b.field)));
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

/// genai-prices `prices` is either one price object or a list of `{constraint, prices}`; the
/// last entry whose `start_date` is not after `at` applies.
fn current_prices(p: &Value, at: NaiveDate) -> serde_json::Map<String, Value> {
    match p {
        Value::Object(o) => o.clone(),
        Value::Array(list) => list
            .iter()
            .rfind(|e| {
                let started = e["constraint"]["start_date"]
                    .as_str()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .is_none_or(|d| d <= at);
                // Time-of-day windows (off-peak) are not the list rate.
                started && e["constraint"].get("start_time").is_none()
            })
            .and_then(|e| e["prices"].as_object().cloned())
            .unwrap_or_default(),
        _ => Default::default(),
    }
}
