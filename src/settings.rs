//! Validated settings: CLI arguments plus the optional config file, resolved once.
//!
//! Analyses and renderers see only [`RunSettings`] / [`AnalysisSettings`], never clap types or
//! raw files. The config file format is documented in `docs/config.md` and shown in
//! `fixtures/demo.toml`.

use crate::pricing::Catalog;
use crate::util::Month;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Thresholds and switches for the analyses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisSettings {
    /// Findings saving less than this per month (in the billing currency) are not reported.
    pub min_monthly_savings: f64,
    /// A downshift candidate writes at most this many output tokens per input token.
    pub downshift_max_output_ratio: f64,
    /// … and at most this many output tokens per request, where requests are known.
    pub downshift_max_avg_output_tokens: f64,
    /// High volume: at least this many requests a month (where requests are known) …
    pub downshift_min_monthly_requests: f64,
    /// … or, where they are not, at least this many input tokens a month.
    pub downshift_min_monthly_input_tokens: f64,
    /// Whether consolidation may move traffic to another vendor's model.
    pub allow_cross_vendor: bool,
    /// Workloads that must never be flagged for a cheaper model.
    pub protected_workloads: Vec<String>,
    /// A seat with no activity for this many days before the month's end is idle.
    pub seat_idle_days: i64,
    /// Workloads known to be offline (not latency-bound): batch-eligible without tag evidence.
    pub offline_workloads: Vec<String>,
    /// Billed cost may differ from the catalog list cost of the same usage by this share before
    /// a `billing_discrepancy` is reported.
    pub discrepancy_tolerance: f64,
    /// Caching candidates send at least this many input tokens per request …
    pub caching_min_avg_input_tokens: f64,
    /// … with a cached share of input below this …
    pub caching_max_cached_share: f64,
    /// … and are re-priced as if this share of their input were read from cache.
    pub caching_assumed_hit_share: f64,
    /// Throughput one provisioned unit sustains, in tokens per minute, by billed resource
    /// (`{ "oai-ptu" = 2500 }`): the vendor's sizing figure for the deployed model. With it,
    /// idle_capacity gives the unit count the observed peak hour needs.
    pub provisioned_tokens_per_minute_per_unit: BTreeMap<String, f64>,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            min_monthly_savings: 10.0,
            downshift_max_output_ratio: 0.15,
            downshift_max_avg_output_tokens: 400.0,
            downshift_min_monthly_requests: 10_000.0,
            downshift_min_monthly_input_tokens: 10_000_000.0,
            allow_cross_vendor: false,
            protected_workloads: Vec::new(),
            seat_idle_days: 30,
            offline_workloads: Vec::new(),
            discrepancy_tolerance: 0.05,
            caching_min_avg_input_tokens: 2_000.0,
            caching_max_cached_share: 0.10,
            caching_assumed_hit_share: 0.50,
            provisioned_tokens_per_minute_per_unit: BTreeMap::new(),
        }
    }
}

/// The user's config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `"<provider>:<project, workspace, team or key>" = "<workload name>"`.
    #[serde(default)]
    pub workloads: BTreeMap<String, String>,
    #[serde(default)]
    pub analysis: AnalysisSettings,
    /// Seat price per seat and month, by plan (`copilot`, `copilot_business`,
    /// `copilot_enterprise`, `chatgpt_enterprise`, …), as numbers or decimal strings.
    #[serde(default)]
    pub seats: BTreeMap<String, toml::Value>,
    /// Links gateway endpoints to provisioned resources where the names do not match:
    /// `"<gateway resource>" = "<billed resource>"` (e.g. an Azure account behind a proxy host).
    #[serde(default)]
    pub provisioned_links: BTreeMap<String, String>,
    /// Gateway deployment names and custom aliases, `"<model string>" = "<base model>"`
    /// (`"azure/prod-chat" = "gpt-4o-2024-11-20"`): a log's model string that names a
    /// deployment is priced as the model it serves.
    #[serde(default)]
    pub deployments: BTreeMap<String, String>,
    /// Workload owners, `"<workload>" = "<owner>"`: shown on every finding about the workload.
    #[serde(default)]
    pub owners: BTreeMap<String, String>,
    /// The customer overlay file (discounts, commitments, credits, FX), relative to the config.
    #[serde(default)]
    pub overlay: Option<std::path::PathBuf>,
    /// Card and expense exports: teams, another layout's column names, the sign convention.
    #[serde(default)]
    pub expenses: ExpenseSettings,
    /// `seats` parsed into exact nano-units (filled by [`Config::load`]).
    #[serde(skip)]
    pub seat_prices: BTreeMap<String, i64>,
    /// The parsed overlay (filled by [`Config::load`]); contracted = list without one.
    #[serde(skip)]
    pub overlay_terms: Option<crate::pricing::overlay::Overlay>,
}

/// The config's `[expenses]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpenseSettings {
    /// `"<person as the export names them>" = "<team>"`: expense lines are attributed to the
    /// team (the workload) of the person who paid.
    #[serde(default)]
    pub teams: BTreeMap<String, String>,
    /// `<role> = "<column name>"` for a layout whose header the synonyms do not cover; roles:
    /// `date`, `merchant`, `amount`, `currency`, `person`, `category`, `memo`, `id`.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// The export writes spend as negative amounts and refunds as positive (bank style).
    #[serde(default)]
    pub spend_is_negative: bool,
    /// People whose card pays the company's own vendor bills: their API charges are payments
    /// of a bill the vendor's cost export already carries, so they are counted once.
    #[serde(default)]
    pub bill_payers: Vec<String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read config `{}`", path.display()))?;
        let config: Config = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "config `{}` is not valid: {e}; see docs/config.md",
                path.display()
            )
        })?;
        let mut config = config;
        for (plan, value) in &config.seats {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                other => other.to_string(),
            };
            let nanos = crate::money::parse_nanos(&text).filter(|n| *n >= 0).ok_or_else(|| {
                anyhow::anyhow!(
                    "config `{}`: seat price `{text}` for plan `{plan}` is not an amount; write e.g. `{plan} = \"19.00\"`",
                    path.display()
                )
            })?;
            config.seat_prices.insert(plan.clone(), nanos);
        }
        if let Some(rel) = &config.overlay {
            let file = path.parent().unwrap_or(Path::new(".")).join(rel);
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!(
                    "could not read the overlay `{}` named in config `{}`",
                    file.display(),
                    path.display()
                )
            })?;
            config.overlay_terms = Some(crate::pricing::overlay::Overlay::parse(
                &file.display().to_string(),
                &text,
            )?);
        }
        if let Some(bad) = config
            .expenses
            .columns
            .keys()
            .find(|k| !crate::ingest::expenses::ROLES.iter().any(|(r, _)| r == k))
        {
            bail!(
                "config `{}`: `[expenses.columns]` names unknown role `{bad}`; roles are date, merchant, amount, currency, person, category, memo and id",
                path.display()
            );
        }
        if let Some(bad) = config.workloads.keys().find(|k| !k.contains(':')) {
            bail!(
                "config `{}`: workload key `{bad}` must look like `provider:name`, e.g. `openai:proj_abc`",
                path.display()
            );
        }
        Ok(config)
    }

    /// Attributes a line: gateway endpoints the names cannot link are linked through
    /// `provisioned_links`, and the workload is the config mapping's (see [`Config::workload_for`]).
    pub fn attribute(&self, row: &mut crate::ledger::LedgerRow) {
        if let Some(base) = row
            .model_raw
            .as_deref()
            .and_then(|m| self.deployment_base(m))
        {
            row.model_raw = Some(base.to_string());
        }
        if let Some(target) = row
            .resource
            .as_deref()
            .and_then(|r| self.provisioned_links.get(r))
        {
            row.resource = Some(target.to_ascii_lowercase());
        }
        // An expense belongs to the team of the person who paid, when the config names it.
        if row.charge_kind == crate::ledger::ChargeKind::Expense {
            row.workload = row.api_key.as_deref().and_then(|p| {
                self.expenses
                    .teams
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(p))
                    .map(|(_, t)| t.clone())
            });
            return;
        }
        // A parser may have read a workload from tags or labels; the config mapping wins.
        let hint = row.workload.take();
        row.workload = self.workload_for(
            row.provider,
            row.sub_account.as_deref(),
            row.api_key.as_deref(),
            hint,
        );
    }

    /// The base model the config's `[deployments]` gives a model string: the string itself,
    /// in any letter case, or its last path part (`azure/prod-chat` → `prod-chat`).
    pub fn deployment_base(&self, model: &str) -> Option<&str> {
        let last = model.rsplit('/').next().unwrap_or(model);
        self.deployments
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(model))
            .or_else(|| {
                self.deployments
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(last))
            })
            .map(|(_, v)| v.as_str())
    }

    /// The workload for a row: the config mapping of its sub-account, else of its key, else
    /// what the source's tags or labels name (`tag_hint`, mapped if the config maps it), else
    /// the sub-account itself, else the key.
    pub fn workload_for(
        &self,
        provider: &str,
        sub_account: Option<&str>,
        api_key: Option<&str>,
        tag_hint: Option<String>,
    ) -> Option<String> {
        let lookup = |v: &str| self.workloads.get(&format!("{provider}:{v}")).cloned();
        sub_account
            .and_then(lookup)
            .or_else(|| api_key.and_then(lookup))
            .or_else(|| tag_hint.as_deref().and_then(lookup))
            .or(tag_hint)
            .or_else(|| sub_account.map(str::to_string))
            .or_else(|| api_key.map(str::to_string))
    }
}

/// The commented config `spend-audit init` writes; it loads as the defaults.
pub const CONFIG_TEMPLATE: &str = include_str!("../docs/config.template.toml");

/// Where a run keeps its monthly history.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryAt {
    /// `spend-audit-history` beside the output folder.
    BesideOutput,
    Dir(PathBuf),
    Off,
}

/// Everything one `ingest` run needs, checked.
pub struct RunSettings {
    pub input: PathBuf,
    /// `None`: `spend-audit-<month>` in the current folder, once the month is known.
    pub out: Option<PathBuf>,
    /// Where the monthly history is kept.
    pub history: HistoryAt,
    /// `None`: the latest complete month in the billing data.
    pub month: Option<Month>,
    /// Audit every month with billed money, oldest first (back-fills the history).
    pub all_months: bool,
    pub strict: bool,
    pub quiet: bool,
    pub progress: bool,
    pub catalog: Catalog,
    pub config: Config,
    /// `--redact`: what to replace, and the key (`SPEND_AUDIT_REDACT_KEY`), if any.
    pub redact: Option<(crate::redact::RedactMode, Option<String>)>,
}
