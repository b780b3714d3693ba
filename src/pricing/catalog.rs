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
    /// Multipliers on every rate for the batch, flex and priority tiers.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub batch: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub flex: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub priority: Option<Decimal>,
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
    pub names: Vec<String>,
    /// Curated cheaper models of the same vendor for downshift findings, preferred first.
    #[serde(default)]
    pub downshift: Vec<String>,
    #[serde(default)]
    pub successor: Option<String>,
    #[serde(default = "active")]
    pub lifecycle: String,
    #[serde(default)]
    pub note: Option<String>,
    pub prices: Vec<PricePeriod>,
    #[serde(skip)]
    pub vendor: String,
}

fn active() -> String {
    "active".to_string()
}

impl Model {
    /// The active or scheduled period containing the UTC day of `ms`; cancelled periods never apply.
    pub fn period_at(&self, ms: i64) -> Option<&PricePeriod> {
        let day = crate::util::day_of(ms)?;
        self.prices.iter().find(|p| {
            p.status != PeriodStatus::Cancelled && p.from <= day && p.to.is_none_or(|to| day < to)
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    schema_version: u32,
    release: String,
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorFile {
    vendor: String,
    #[serde(default)]
    models: Vec<Model>,
}

/// How a model string was resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    Found {
        model_id: String,
        rule: &'static str,
    },
    Unknown,
    Ambiguous(Vec<String>),
}

/// The loaded, validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub release: String,
    pub currency: String,
    pub schema_version: u32,
    models: BTreeMap<String, Model>,
    names: HashMap<String, Vec<String>>,
}

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
            // The reviewed `pricing diff` exceptions live beside the catalog but are not part of it.
            .filter(|p| p.file_name().is_some_and(|n| n != "diff-exceptions.toml"))
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
        let mut models = BTreeMap::new();
        let mut names: HashMap<String, Vec<String>> = HashMap::new();
        let mut file_of: HashMap<String, String> = HashMap::new();
        for (name, text) in files.iter().filter(|(n, _)| !n.ends_with("catalog.toml")) {
            let vf: VendorFile = toml::from_str(text).map_err(|e| parse_err(name, e))?;
            for mut m in vf.models {
                m.vendor = vf.vendor.clone();
                if !m.id.starts_with(&format!("{}/", vf.vendor)) {
                    return Err(invalid(
                        name,
                        format!("model `{}` must start with `{}/`", m.id, vf.vendor),
                    ));
                }
                validate_periods(&m).map_err(|msg| invalid(name, msg))?;
                let tail =
                    m.id.split_once('/')
                        .map(|(_, t)| t.to_string())
                        .unwrap_or_default();
                let mut all: Vec<String> = m.names.iter().map(|n| normalise(n)).collect();
                all.push(normalise(&tail));
                all.sort();
                all.dedup();
                for n in all {
                    names.entry(n).or_default().push(m.id.clone());
                }
                if models.contains_key(&m.id) {
                    return Err(invalid(name, format!("model `{}` is defined twice", m.id)));
                }
                file_of.insert(m.id.clone(), name.clone());
                models.insert(m.id.clone(), m);
            }
        }
        // Ambiguity is a catalog error: one name, one model.
        let mut clashes: Vec<(&String, &Vec<String>)> =
            names.iter().filter(|(_, ids)| ids.len() > 1).collect();
        clashes.sort();
        if let Some((n, ids)) = clashes.first() {
            return Err(invalid(
                &file_of[&ids[0]],
                format!("name `{n}` resolves to several models: {}", ids.join(", ")),
            ));
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
        })
    }

    pub fn model(&self, id: &str) -> Option<&Model> {
        self.models.get(id)
    }

    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.models.values()
    }

    /// Resolves a model string exactly:
    /// 1. normalise (trim, lower-case, drop a `vendor/` prefix);
    /// 2. exact name;
    /// 3. strip a valid calendar-date suffix (`-YYYY-MM-DD`, `-YYYYMMDD`, `@YYYYMMDD`) and retry.
    ///
    /// Never a prefix or substring match: `gpt-4o-2024-05-13` has its own entry and price.
    pub fn resolve(&self, raw: &str, _provider: Option<&str>) -> Resolution {
        let name = normalise(raw);
        if let Some(r) = self.lookup(&name, "exact name") {
            return r;
        }
        if let Some(stripped) = strip_date_suffix(&name) {
            if let Some(r) = self.lookup(stripped, "date suffix stripped") {
                return r;
            }
        }
        Resolution::Unknown
    }

    fn lookup(&self, name: &str, rule: &'static str) -> Option<Resolution> {
        let ids = self.names.get(name)?;
        Some(if ids.len() == 1 {
            Resolution::Found {
                model_id: ids[0].clone(),
                rule,
            }
        } else {
            Resolution::Ambiguous(ids.clone())
        })
    }
}

/// Lower-case, trimmed, without a known `vendor/` routing prefix.
pub fn normalise(raw: &str) -> String {
    let s = raw.trim().to_ascii_lowercase();
    for prefix in ["openai/", "anthropic/", "deepseek/"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    s
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

fn validate_periods(m: &Model) -> Result<(), String> {
    if m.prices.is_empty() {
        return Err(format!("model `{}` has no price period", m.id));
    }
    let mut live: Vec<&PricePeriod> = m
        .prices
        .iter()
        .filter(|p| p.status != PeriodStatus::Cancelled)
        .collect();
    live.sort_by_key(|p| p.from);
    for p in &m.prices {
        if p.to.is_some_and(|to| to <= p.from) {
            return Err(format!(
                "model `{}` period `{}` ends before it starts",
                m.id, p.id
            ));
        }
        if p.sources.is_empty() {
            return Err(format!("model `{}` period `{}` has no source", m.id, p.id));
        }
        if p.cached_input.is_some_and(|c| c > p.input) {
            return Err(format!(
                "model `{}` period `{}`: cached input costs more than input",
                m.id, p.id
            ));
        }
        if p.batch.is_some_and(|b| b > Decimal::ONE) {
            return Err(format!(
                "model `{}` period `{}`: batch costs more than standard",
                m.id, p.id
            ));
        }
    }
    for w in live.windows(2) {
        let overlaps = w[0].to.is_none_or(|to| to > w[1].from);
        if overlaps {
            return Err(format!(
                "model `{}` periods `{}` and `{}` overlap",
                m.id, w[0].id, w[1].id
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
    fn normalises_vendor_prefix() {
        assert_eq!(normalise(" OpenAI/GPT-4o "), "gpt-4o");
        assert_eq!(normalise("Claude Sonnet 4.5"), "claude sonnet 4.5");
    }
}
