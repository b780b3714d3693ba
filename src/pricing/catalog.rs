//! Catalog data model, loading and validation.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A catalog that cannot be used; each names the file and the entry to fix.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("could not read catalog file `{file}`: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("catalog file `{file}` is not valid: {message}")]
    Parse { file: String, message: String },
    #[error("catalog `{file}`: {message}")]
    Invalid { file: String, message: String },
}

/// Capability tier as the vendor positions the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Small,
    Mid,
    Frontier,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Small => "small",
            Tier::Mid => "mid",
            Tier::Frontier => "frontier",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    Active,
    Scheduled,
    Cancelled,
}

/// Rates that replace the period's base rates for a whole request whose prompt (input plus
/// cache reads and writes) is larger than `above` tokens: a cliff, not a marginal tier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongContext {
    pub above: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub input: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub output: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cached_input: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cache_write_5m: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cache_write_1h: Option<Decimal>,
}

/// Rates in USD per 1M tokens (`request` per request) valid on `[from, to)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricePeriod {
    pub id: String,
    pub from: NaiveDate,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    pub status: PeriodStatus,
    pub sources: Vec<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub input: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub output: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cached_input: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cache_write_5m: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cache_write_1h: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub request: Option<Decimal>,
    /// Audio tokens (USD per 1M). No fallback: an audio model states them, and a model that
    /// does not leaves its audio lines unpriced rather than priced as text.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub audio_input: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub audio_cached_input: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub audio_output: Option<Decimal>,
    /// Image tokens (USD per 1M). Unstated image input costs what text input does (vision
    /// input is billed as input tokens); image output has no fallback, since only an
    /// image-generation model makes it and it states the rate.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub image_input: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub image_cached_input: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub image_output: Option<Decimal>,
    /// USD per 1,000 server-side web searches (a per-call charge, not tokens; no batch or
    /// other tier changes it).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub web_search: Option<Decimal>,
    /// Multipliers on every rate for the batch, flex and priority tiers.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub batch: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub flex: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub priority: Option<Decimal>,
    #[serde(default)]
    pub long_context: Option<LongContext>,
    #[serde(default)]
    pub note: Option<String>,
}

impl PricePeriod {
    /// The same period with every per-unit rate multiplied (a platform or region premium).
    /// Tier multipliers (batch, flex, priority) are ratios and stay as they are.
    pub fn scaled(&self, factor: Decimal) -> PricePeriod {
        let mut p = self.clone();
        if factor == Decimal::ONE {
            return p;
        }
        let m = |d: &mut Decimal| *d *= factor;
        let mo = |d: &mut Option<Decimal>| {
            if let Some(d) = d {
                *d *= factor
            }
        };
        m(&mut p.input);
        m(&mut p.output);
        mo(&mut p.cached_input);
        mo(&mut p.cache_write_5m);
        mo(&mut p.cache_write_1h);
        mo(&mut p.request);
        for rate in [
            &mut p.audio_input,
            &mut p.audio_cached_input,
            &mut p.audio_output,
            &mut p.image_input,
            &mut p.image_cached_input,
            &mut p.image_output,
        ] {
            mo(rate);
        }
        if let Some(lc) = &mut p.long_context {
            m(&mut lc.input);
            m(&mut lc.output);
            mo(&mut lc.cached_input);
            mo(&mut lc.cache_write_5m);
            mo(&mut lc.cache_write_1h);
        }
        p
    }

    /// True when `day` falls in `[from, to)` and the period is not cancelled.
    pub fn applies_on(&self, day: NaiveDate) -> bool {
        self.status != PeriodStatus::Cancelled && crate::util::in_half_open(self.from, self.to, day)
    }
}

/// A wire or display name, optionally valid only for a while (`mistral-large-latest` pointed
/// at Large 24.11 before it pointed at Large 3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NameEntry {
    Plain(String),
    Dated(DatedName),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedName {
    pub name: String,
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

impl NameEntry {
    /// The name as written.
    pub fn name(&self) -> &str {
        self.parts().0
    }

    fn parts(&self) -> (&str, Option<NaiveDate>, Option<NaiveDate>) {
        match self {
            NameEntry::Plain(n) => (n, None, None),
            NameEntry::Dated(d) => (&d.name, d.from, d.to),
        }
    }
}

/// A dated public quality score (secondary sources; never compare across metrics or versions).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityRef {
    pub metric: String,
    pub value: f64,
    pub as_of: String,
    pub source: String,
}

/// A model's price on one platform (and optionally one region class) that differs from the
/// platform's default derivation: its own periods, or its own multiplier on the home price.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuOverride {
    pub platform: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub multiplier: Option<Decimal>,
    #[serde(default)]
    pub prices: Vec<PricePeriod>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub id: String,
    pub family: String,
    pub tier: Tier,
    /// Exact wire and display names (matched case-insensitively). The id's tail is implied.
    #[serde(default)]
    pub names: Vec<NameEntry>,
    /// Curated cheaper models of the same vendor for downshift findings, preferred first.
    #[serde(default)]
    pub downshift: Vec<String>,
    #[serde(default)]
    pub successor: Option<String>,
    #[serde(default = "active")]
    pub lifecycle: String,
    /// Input context window in tokens, where public.
    #[serde(default)]
    pub context_window: Option<u64>,
    /// Platforms besides the vendor's home platform that sell this model.
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub skus: Vec<SkuOverride>,
    #[serde(default)]
    pub quality: Vec<QualityRef>,
    #[serde(default)]
    pub note: Option<String>,
    pub prices: Vec<PricePeriod>,
    #[serde(skip)]
    pub vendor: String,
    /// The platform the model's own `prices` are for (the vendor file's `home`).
    #[serde(skip)]
    pub home: String,
}

fn active() -> String {
    "active".to_string()
}

impl Model {
    /// The active or scheduled home-platform period containing the UTC day of `ms`; cancelled
    /// periods never apply.
    pub fn period_at(&self, ms: i64) -> Option<&PricePeriod> {
        let day = crate::util::day_of(ms)?;
        self.prices.iter().find(|p| p.applies_on(day))
    }

    /// Every platform this model is sold on, home first.
    pub fn all_platforms(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.home.as_str()).chain(self.platforms.iter().map(String::as_str))
    }
}

/// One price multiplier of a platform's region class (`global`, `geo`, `data-zone`, …).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionClass {
    pub id: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub multiplier: Decimal,
    pub sources: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where a model is bought: a vendor's own API, a cloud, or a router.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    pub id: String,
    pub label: String,
    /// Ledger provider ids whose rows are served on this platform.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Wire-name routing prefixes (`bedrock/`, `vertex_ai/`) that name this platform.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// The region class assumed when neither the bill nor the model string states one.
    pub default_region: String,
    pub regions: Vec<RegionClass>,
}

impl Platform {
    pub fn region(&self, id: &str) -> Option<&RegionClass> {
        self.regions.iter().find(|r| r.id == id)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    schema_version: u32,
    release: String,
    currency: String,
    #[serde(default)]
    platforms: Vec<Platform>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorFile {
    vendor: String,
    home: String,
    #[serde(default)]
    models: Vec<Model>,
}

/// What the wire string itself says about where it was served.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireHints {
    /// The normalised name left after prefixes and Bedrock version suffixes are split off.
    pub name: String,
    pub platform: Option<String>,
    pub region: Option<String>,
    /// The calendar-date suffix stripped to resolve the name (`20250929`), if any.
    pub snapshot: Option<String>,
}

/// How a model string was resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    Found {
        model_id: String,
        rule: &'static str,
        hints: WireHints,
    },
    Unknown,
    Ambiguous(Vec<String>),
}

/// The price of one SKU (model × platform × region class) on one day.
#[derive(Debug, Clone)]
pub struct SkuPrice {
    /// `anthropic/claude-sonnet-4-5@aws-bedrock:geo`.
    pub sku_id: String,
    /// The period in force, with the platform premium already applied to its rates.
    pub period: PricePeriod,
    /// The premium applied to the home period (1 when the SKU has its own prices).
    pub multiplier: Decimal,
    /// How the SKU's price was obtained, for `pricing show` and evidence.
    pub how: String,
}

#[derive(Debug, Clone)]
struct NameRef {
    model_id: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl NameRef {
    fn valid_on(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day < t)
    }
    fn overlaps(&self, o: &NameRef) -> bool {
        let a_before_b = self.to.is_some_and(|t| o.from.is_some_and(|f| t <= f));
        let b_before_a = o.to.is_some_and(|t| self.from.is_some_and(|f| t <= f));
        !(a_before_b || b_before_a)
    }
}

/// The loaded, validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub release: String,
    pub currency: String,
    pub schema_version: u32,
    models: BTreeMap<String, Model>,
    names: HashMap<String, Vec<NameRef>>,
    platforms: Vec<Platform>,
    seat_plans: Vec<super::fixed::SeatPlan>,
    capacity: Vec<super::fixed::CapacityRate>,
}

/// Bedrock model-id vendor segments (`anthropic.claude-…`); they name the platform, not the model.
const BEDROCK_VENDORS: &[&str] = &[
    "anthropic.",
    "meta.",
    "amazon.",
    "mistral.",
    "cohere.",
    "ai21.",
    "deepseek.",
    "openai.",
    "qwen.",
    "writer.",
];
/// Bedrock cross-region inference profile prefixes: `global.` is list price, the others geo.
const BEDROCK_GEOS: &[&str] = &["us.", "eu.", "apac.", "jp.", "au.", "ca."];
/// Vendor routing prefixes that say nothing about the platform (`openai/gpt-4o`).
const VENDOR_PREFIXES: &[&str] = &[
    "openai/",
    "anthropic/",
    "deepseek/",
    "google/",
    "mistralai/",
    "mistral/",
    "x-ai/",
    "xai/",
    "meta-llama/",
    "cohere/",
    "amazon/",
];

impl Catalog {
    /// Loads the catalog compiled into the binary.
    pub fn embedded() -> Result<Catalog, CatalogError> {
        let files: Vec<(String, String)> = super::EMBEDDED
            .iter()
            .map(|(n, t)| (format!("pricing/{n}"), t.to_string()))
            .collect();
        Catalog::from_files(&files)
    }

    /// Loads `catalog.toml` and every vendor `*.toml` in `dir` (not `diff-exceptions.toml`).
    pub fn from_dir(dir: &Path) -> Result<Catalog, CatalogError> {
        let io = |file: &Path, source| CatalogError::Io {
            file: file.display().to_string(),
            source,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            // Reviewed `pricing diff` exceptions and list prices of seats and capacity live
            // beside the catalog but are not model files.
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| !super::NON_MODEL_FILES.iter().any(|f| n == *f))
            })
            .collect();
        paths.sort();
        let mut files = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
            files.push((p.display().to_string(), text));
        }
        Catalog::from_files(&files)
    }

    /// Builds a catalog from `(file name, TOML text)` pairs; the one ending in `catalog.toml` is the header.
    pub fn from_files(files: &[(String, String)]) -> Result<Catalog, CatalogError> {
        let parse_err = |file: &str, e: toml::de::Error| CatalogError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        };
        let invalid = |file: &str, message: String| CatalogError::Invalid {
            file: file.to_string(),
            message,
        };
        let (hname, htext) = files
            .iter()
            .find(|(n, _)| n.ends_with("catalog.toml"))
            .ok_or_else(|| {
                invalid(
                    "catalog.toml",
                    "missing; the catalog folder needs a `catalog.toml` header".into(),
                )
            })?;
        let header: Header = toml::from_str(htext).map_err(|e| parse_err(hname, e))?;
        validate_platforms(&header.platforms).map_err(|m| invalid(hname, m))?;
        let platforms = header.platforms.clone();
        let platform = |id: &str| platforms.iter().find(|p| p.id == id).cloned();
        let mut models = BTreeMap::new();
        let mut names: HashMap<String, Vec<NameRef>> = HashMap::new();
        let mut file_of: HashMap<String, String> = HashMap::new();
        let is = |n: &str, f: &str| n == f || n.ends_with(&format!("/{f}"));
        let mut seats = super::fixed::SeatsFile::default();
        let mut capacity = super::fixed::CapacityFile::default();
        for (name, text) in files {
            if is(name, "seats.toml") {
                seats = toml::from_str(text).map_err(|e| parse_err(name, e))?;
            } else if is(name, "capacity.toml") {
                capacity = toml::from_str(text).map_err(|e| parse_err(name, e))?;
            }
        }
        super::fixed::validate(&seats.plans, &capacity.capacity)
            .map_err(|m| invalid("seats.toml / capacity.toml", m))?;
        for (name, text) in files.iter().filter(|(n, _)| {
            !is(n, "catalog.toml") && !is(n, "seats.toml") && !is(n, "capacity.toml")
        }) {
            let vf: VendorFile = toml::from_str(text).map_err(|e| parse_err(name, e))?;
            if platform(&vf.home).is_none() {
                return Err(invalid(
                    name,
                    format!(
                        "home platform `{}` is not declared in catalog.toml",
                        vf.home
                    ),
                ));
            }
            for mut m in vf.models {
                m.vendor = vf.vendor.clone();
                m.home = vf.home.clone();
                if !m.id.starts_with(&format!("{}/", vf.vendor)) {
                    return Err(invalid(
                        name,
                        format!("model `{}` must start with `{}/`", m.id, vf.vendor),
                    ));
                }
                validate_model(&m, &platform).map_err(|msg| invalid(name, msg))?;
                let tail =
                    m.id.split_once('/')
                        .map(|(_, t)| t.to_string())
                        .unwrap_or_default();
                let mut refs: Vec<(String, NameRef)> = m
                    .names
                    .iter()
                    .map(|n| {
                        let (n, from, to) = n.parts();
                        (
                            normalise(n),
                            NameRef {
                                model_id: m.id.clone(),
                                from,
                                to,
                            },
                        )
                    })
                    .collect();
                if !refs.iter().any(|(n, _)| *n == normalise(&tail)) {
                    refs.push((
                        normalise(&tail),
                        NameRef {
                            model_id: m.id.clone(),
                            from: None,
                            to: None,
                        },
                    ));
                }
                for (n, r) in refs {
                    names.entry(n).or_default().push(r);
                }
                if models.contains_key(&m.id) {
                    return Err(invalid(name, format!("model `{}` is defined twice", m.id)));
                }
                file_of.insert(m.id.clone(), name.clone());
                models.insert(m.id.clone(), m);
            }
        }
        // Ambiguity is a catalog error: at any instant one name means one model.
        let mut keys: Vec<&String> = names.keys().collect();
        keys.sort();
        for n in keys {
            let refs = &names[n];
            for (i, a) in refs.iter().enumerate() {
                for b in &refs[i + 1..] {
                    if a.overlaps(b) {
                        let msg = if a.model_id == b.model_id {
                            format!("name `{n}` is listed twice for `{}`", a.model_id)
                        } else {
                            format!(
                                "name `{n}` resolves to several models at once: {}, {}",
                                a.model_id, b.model_id
                            )
                        };
                        return Err(invalid(&file_of[&a.model_id], msg));
                    }
                }
            }
        }
        for m in models.values() {
            for target in m.downshift.iter().chain(m.successor.iter()) {
                if !models.contains_key(target) {
                    return Err(invalid(
                        &file_of[&m.id],
                        format!("model `{}` refers to unknown model `{target}`", m.id),
                    ));
                }
            }
        }
        Ok(Catalog {
            release: header.release,
            currency: header.currency,
            schema_version: header.schema_version,
            models,
            names,
            platforms: header.platforms,
            seat_plans: seats.plans,
            capacity: capacity.capacity,
        })
    }

    pub fn model(&self, id: &str) -> Option<&Model> {
        self.models.get(id)
    }

    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.models.values()
    }

    /// Every long-context cliff (`above` prompt tokens) any period states, sorted and distinct.
    /// Request logs are aggregated within the bands these cut, so a group's largest prompt
    /// decides the cliff exactly as each of its requests would.
    pub fn long_context_thresholds(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .models
            .values()
            .flat_map(|m| {
                m.prices
                    .iter()
                    .chain(m.skus.iter().flat_map(|s| s.prices.iter()))
            })
            .filter_map(|p| p.long_context.as_ref().map(|lc| lc.above))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn seat_plan(&self, id: &str) -> Option<&super::fixed::SeatPlan> {
        self.seat_plans.iter().find(|p| p.id == id)
    }

    pub fn seat_plans(&self) -> &[super::fixed::SeatPlan] {
        &self.seat_plans
    }

    pub fn capacity(&self) -> &[super::fixed::CapacityRate] {
        &self.capacity
    }

    pub fn platforms(&self) -> &[Platform] {
        &self.platforms
    }

    pub fn platform(&self, id: &str) -> Option<&Platform> {
        self.platforms.iter().find(|p| p.id == id)
    }

    /// The platform a ledger provider id (`aws`, `azure`, `openrouter`) bills through.
    pub fn platform_of_provider(&self, provider: &str) -> Option<&str> {
        self.platforms
            .iter()
            .find(|p| p.providers.iter().any(|x| x == provider))
            .map(|p| p.id.as_str())
    }

    /// Splits what a wire string says about its platform and region from the model name:
    /// `bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0` → name
    /// `claude-sonnet-4-5-20250929`, platform `aws-bedrock`, region `geo`.
    pub fn wire_hints(&self, raw: &str) -> WireHints {
        let mut s = raw.trim().to_ascii_lowercase();
        let mut h = WireHints::default();
        // Routing prefixes, at most two deep (`openrouter/anthropic/…`).
        for _ in 0..2 {
            let mut stripped = false;
            for p in &self.platforms {
                if let Some(pre) = p.prefixes.iter().find(|pre| s.starts_with(pre.as_str())) {
                    s = s[pre.len()..].to_string();
                    h.platform.get_or_insert_with(|| p.id.clone());
                    stripped = true;
                    break;
                }
            }
            if let Some(pre) = VENDOR_PREFIXES.iter().find(|pre| s.starts_with(*pre)) {
                s = s[pre.len()..].to_string();
                stripped = true;
            }
            if !stripped {
                break;
            }
        }
        // Azure data-zone deployments routed as `azure/us/…`, `azure/eu/…`.
        if h.platform.as_deref() == Some("azure") {
            for (pre, region) in [
                ("us/", "data-zone"),
                ("eu/", "data-zone"),
                ("global/", "global"),
                ("global-standard/", "global"),
            ] {
                if let Some(rest) = s.strip_prefix(pre) {
                    s = rest.to_string();
                    h.region = Some(region.to_string());
                    break;
                }
            }
        }
        // Bedrock profile and vendor segments, then the `-v1:0` version suffix.
        let mut bedrock = false;
        if let Some(rest) = s.strip_prefix("global.") {
            s = rest.to_string();
            h.region = Some("global".into());
            bedrock = true;
        } else if let Some(rest) = s
            .strip_prefix("us-gov.")
            .filter(|r| BEDROCK_VENDORS.iter().any(|v| r.starts_with(v)))
        {
            s = rest.to_string();
            h.region = Some("gov".into());
            bedrock = true;
        } else if let Some(geo) = BEDROCK_GEOS.iter().find(|g| s.starts_with(*g)) {
            if BEDROCK_VENDORS
                .iter()
                .any(|v| s[geo.len()..].starts_with(v))
            {
                s = s[geo.len()..].to_string();
                h.region = Some("geo".into());
                bedrock = true;
            }
        }
        if let Some(v) = BEDROCK_VENDORS.iter().find(|v| s.starts_with(*v)) {
            s = s[v.len()..].to_string();
            bedrock = true;
        }
        if bedrock {
            h.platform.get_or_insert_with(|| "aws-bedrock".to_string());
            s = strip_bedrock_version(&s).to_string();
        }
        h.name = s;
        h
    }

    /// Resolves a model string as of `at_ms` (the usage's start):
    /// 1. split routing, platform and region hints off the name ([`Catalog::wire_hints`]);
    /// 2. exact name valid on that day;
    /// 3. strip a valid calendar-date suffix (`-YYYY-MM-DD`, `-YYYYMMDD`, `@YYYYMMDD`) and retry.
    ///
    /// Never a prefix or substring match: `gpt-4o-2024-05-13` has its own entry and price.
    pub fn resolve(&self, raw: &str, at_ms: i64) -> Resolution {
        let hints = self.wire_hints(raw);
        let day = crate::util::day_of(at_ms).unwrap_or(NaiveDate::MIN);
        let found = |r: Result<String, Vec<String>>, rule, hints: WireHints| match r {
            Ok(model_id) => Resolution::Found {
                model_id,
                rule,
                hints,
            },
            Err(ids) => Resolution::Ambiguous(ids),
        };
        if let Some(r) = self.lookup(&hints.name, day) {
            return found(r, "exact name", hints);
        }
        if let Some(stripped) = strip_date_suffix(&hints.name) {
            if let Some(r) = self.lookup(stripped, day) {
                let snapshot = hints.name[stripped.len() + 1..].to_string();
                let hints = WireHints {
                    snapshot: Some(snapshot),
                    ..hints.clone()
                };
                return found(r, "date suffix stripped", hints);
            }
        }
        Resolution::Unknown
    }

    fn lookup(&self, name: &str, day: NaiveDate) -> Option<Result<String, Vec<String>>> {
        let refs: Vec<&NameRef> = self
            .names
            .get(name)?
            .iter()
            .filter(|r| r.valid_on(day))
            .collect();
        match refs.as_slice() {
            [] => None,
            [one] => Some(Ok(one.model_id.clone())),
            many => Some(Err(many.iter().map(|r| r.model_id.clone()).collect())),
        }
    }

    /// The price of `model` on `platform` (home when `None`) in `region` (the platform's
    /// default when `None`) on the day of `at_ms`. A model not sold on the platform, or an
    /// unknown region class, is an error with the reason, never a guess.
    pub fn sku_price(
        &self,
        model: &Model,
        platform: Option<&str>,
        region: Option<&str>,
        at_ms: i64,
    ) -> Result<SkuPrice, String> {
        let pid = platform.unwrap_or(&model.home);
        let plat = self
            .platform(pid)
            .ok_or_else(|| format!("platform `{pid}` is not in the catalog"))?;
        let rid = region.unwrap_or(&plat.default_region);
        let rc = plat.region(rid).ok_or_else(|| {
            format!("region class `{rid}` is not listed for platform `{pid}` in the catalog")
        })?;
        let sku_id = format!("{}@{pid}:{rid}", model.id);
        let day = crate::util::day_of(at_ms).unwrap_or(NaiveDate::MIN);
        let no_period = || {
            format!(
                "no price for `{sku_id}` in effect on {}",
                crate::util::day_string(at_ms)
            )
        };
        let ov = model
            .skus
            .iter()
            .filter(|o| o.platform == pid && o.region.as_deref().is_none_or(|r| r == rid))
            // A region-specific override beats a platform-wide one.
            .max_by_key(|o| o.region.is_some());
        if let Some(o) = ov.filter(|o| !o.prices.is_empty()) {
            let p = o
                .prices
                .iter()
                .find(|p| p.applies_on(day))
                .ok_or_else(no_period)?;
            // Platform-wide own prices are the platform's base; its region premium still applies.
            let m = if o.region.is_none() {
                rc.multiplier
            } else {
                Decimal::ONE
            };
            return Ok(SkuPrice {
                sku_id,
                period: p.scaled(m),
                multiplier: m,
                how: if m == Decimal::ONE {
                    "own SKU prices".into()
                } else {
                    format!("own SKU prices × {m} ({pid} {rid})")
                },
            });
        }
        if pid != model.home && !model.platforms.iter().any(|p| p == pid) && ov.is_none() {
            return Err(format!(
                "`{}` has no `{pid}` SKU in the catalog; add `{pid}` to its `platforms`",
                model.id
            ));
        }
        let base = model.period_at(at_ms).ok_or_else(no_period)?;
        let (multiplier, how) = match ov.and_then(|o| o.multiplier) {
            Some(m) => (m, format!("home price × {m} (model override)")),
            None if rc.multiplier == Decimal::ONE => (Decimal::ONE, "home price".to_string()),
            None => (
                rc.multiplier,
                format!("home price × {} ({pid} {rid})", rc.multiplier),
            ),
        };
        Ok(SkuPrice {
            sku_id,
            period: base.scaled(multiplier),
            multiplier,
            how,
        })
    }
}

/// Bedrock model ids end in a version: `-v1:0`, `-v2`, `:0`.
fn strip_bedrock_version(s: &str) -> &str {
    let s = match s.rfind(':') {
        Some(i) if s[i + 1..].bytes().all(|b| b.is_ascii_digit()) && i + 1 < s.len() => &s[..i],
        _ => s,
    };
    match s.rfind("-v") {
        Some(i) if i + 2 < s.len() && s[i + 2..].bytes().all(|b| b.is_ascii_digit()) => &s[..i],
        _ => s,
    }
}

/// Lower-case and trimmed. Routing prefixes are split off by [`Catalog::wire_hints`].
pub fn normalise(raw: &str) -> String {
    raw.trim().to_ascii_lowercase()
}

/// Strips a trailing calendar date only if it is a real date.
pub fn strip_date_suffix(name: &str) -> Option<&str> {
    let valid = |y: &str, m: &str, d: &str| {
        let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
            return false;
        };
        (2020..=2100).contains(&y) && NaiveDate::from_ymd_opt(y, m, d).is_some()
    };
    let b = name.as_bytes();
    // -YYYY-MM-DD
    if name.len() > 11 && b[name.len() - 11] == b'-' {
        let t = &name[name.len() - 10..];
        if t.as_bytes()[4] == b'-'
            && t.as_bytes()[7] == b'-'
            && t.bytes().filter(u8::is_ascii_digit).count() == 8
            && valid(&t[0..4], &t[5..7], &t[8..10])
        {
            return Some(&name[..name.len() - 11]);
        }
    }
    // -YYYYMMDD or @YYYYMMDD
    if name.len() > 9 && matches!(b[name.len() - 9], b'-' | b'@') {
        let t = &name[name.len() - 8..];
        if t.bytes().all(|c| c.is_ascii_digit()) && valid(&t[0..4], &t[4..6], &t[6..8]) {
            return Some(&name[..name.len() - 9]);
        }
    }
    None
}

fn validate_platforms(platforms: &[Platform]) -> Result<(), String> {
    for p in platforms {
        if p.regions.is_empty() {
            return Err(format!("platform `{}` lists no region class", p.id));
        }
        if p.region(&p.default_region).is_none() {
            return Err(format!(
                "platform `{}`: default region `{}` is not one of its regions",
                p.id, p.default_region
            ));
        }
        for r in &p.regions {
            if r.sources.is_empty() {
                return Err(format!(
                    "platform `{}` region `{}` has no source",
                    p.id, r.id
                ));
            }
            if r.multiplier <= Decimal::ZERO {
                return Err(format!(
                    "platform `{}` region `{}`: multiplier must be positive",
                    p.id, r.id
                ));
            }
        }
    }
    Ok(())
}

fn validate_model(m: &Model, platform: &dyn Fn(&str) -> Option<Platform>) -> Result<(), String> {
    if !matches!(m.lifecycle.as_str(), "active" | "deprecated" | "retired") {
        return Err(format!(
            "model `{}`: lifecycle `{}` must be `active`, `deprecated` or `retired`",
            m.id, m.lifecycle
        ));
    }
    if m.prices.is_empty() {
        return Err(format!("model `{}` has no price period", m.id));
    }
    validate_periods(&m.id, &m.prices)?;
    for p in &m.platforms {
        if platform(p).is_none() {
            return Err(format!("model `{}`: unknown platform `{p}`", m.id));
        }
    }
    for o in &m.skus {
        let Some(plat) = platform(&o.platform) else {
            return Err(format!(
                "model `{}`: SKU override for unknown platform `{}`",
                m.id, o.platform
            ));
        };
        if let Some(r) = &o.region {
            if plat.region(r).is_none() {
                return Err(format!(
                    "model `{}`: region `{r}` is not a region class of `{}`",
                    m.id, o.platform
                ));
            }
        }
        if o.multiplier.is_some() != o.prices.is_empty() {
            return Err(format!(
                "model `{}`: the `{}` SKU override needs either `multiplier` or `prices`",
                m.id, o.platform
            ));
        }
        if o.multiplier.is_some() && o.sources.is_empty() {
            return Err(format!(
                "model `{}`: the `{}` SKU multiplier has no source",
                m.id, o.platform
            ));
        }
        validate_periods(&format!("{}@{}", m.id, o.platform), &o.prices)?;
    }
    Ok(())
}

fn validate_periods(id: &str, prices: &[PricePeriod]) -> Result<(), String> {
    let mut live: Vec<&PricePeriod> = prices
        .iter()
        .filter(|p| p.status != PeriodStatus::Cancelled)
        .collect();
    live.sort_by_key(|p| p.from);
    for p in prices {
        let err = |what: &str| Err(format!("model `{id}` period `{}`: {what}", p.id));
        if p.to.is_some_and(|to| to <= p.from) {
            return err("ends before it starts");
        }
        if p.sources.is_empty() {
            return err("has no source");
        }
        if p.input < Decimal::ZERO || p.output < Decimal::ZERO {
            return err("a rate is negative");
        }
        if p.cached_input.is_some_and(|c| c > p.input) {
            return err("cached input costs more than input");
        }
        for (name, m) in [("batch", p.batch), ("flex", p.flex)] {
            if m.is_some_and(|b| b > Decimal::ONE || b <= Decimal::ZERO) {
                return err(&format!(
                    "{name} must cost more than 0 and no more than standard"
                ));
            }
        }
        if let Some(lc) = &p.long_context {
            if lc.input < p.input || lc.output < p.output {
                return err("long-context rates are below the standard rates");
            }
            if lc.cached_input.is_some_and(|c| c > lc.input) {
                return err("long-context cached input costs more than long-context input");
            }
        }
    }
    for w in live.windows(2) {
        let overlaps = w[0].to.is_none_or(|to| to > w[1].from);
        if overlaps {
            return Err(format!(
                "model `{id}` periods `{}` and `{}` overlap",
                w[0].id, w[1].id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_real_dates() {
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(
            strip_date_suffix("claude-sonnet-4-5-20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(
            strip_date_suffix("claude-sonnet-4-5@20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(strip_date_suffix("gpt-4o-2024-13-06"), None);
        assert_eq!(strip_date_suffix("model-12345678"), None);
        assert_eq!(strip_date_suffix("gpt-4o"), None);
    }

    #[test]
    fn strips_bedrock_versions() {
        assert_eq!(
            strip_bedrock_version("claude-sonnet-4-5-20250929-v1:0"),
            "claude-sonnet-4-5-20250929"
        );
        assert_eq!(strip_bedrock_version("nova-pro-v1"), "nova-pro");
        assert_eq!(strip_bedrock_version("llama3-70b"), "llama3-70b");
        assert_eq!(strip_bedrock_version("gpt-4o"), "gpt-4o");
    }

    #[test]
    fn wire_hints_keep_platform_and_region() {
        let c = Catalog::embedded().unwrap();
        let h = c.wire_hints("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assert_eq!(h.name, "claude-sonnet-4-5-20250929");
        assert_eq!(h.platform.as_deref(), Some("aws-bedrock"));
        assert_eq!(h.region.as_deref(), Some("geo"));
        let h = c.wire_hints("global.anthropic.claude-haiku-4-5-20251001-v1:0");
        assert_eq!(h.region.as_deref(), Some("global"));
        let h = c.wire_hints("azure/eu/gpt-4o");
        assert_eq!(
            (h.name.as_str(), h.platform.as_deref(), h.region.as_deref()),
            ("gpt-4o", Some("azure"), Some("data-zone"))
        );
        let h = c.wire_hints(" OpenAI/GPT-4o ");
        assert_eq!((h.name.as_str(), h.platform), ("gpt-4o", None));
        // A dotted model name is not a Bedrock profile.
        assert_eq!(c.wire_hints("us.gpt-4.1").name, "us.gpt-4.1");
    }
}
