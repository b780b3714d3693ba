//! Savings analyses: one module per analysis behind [`Analysis`], run in parallel.
//!
//! Threading: the heavy polars work (scan, price, aggregate) happens once, sequentially, in
//! [`AnalysisCtx::build`], with polars using its own pool. The analyses then run on plain Rust
//! data with rayon, so the two pools never compete (research/style.md §3.6).
//!
//! Every finding carries the numbers it used in `evidence`, and a confidence under documented
//! rules (see each analysis). Savings never exceed the cost they act on.

mod anomaly;
mod batch_eligible;
mod billing_discrepancy;
mod caching;
mod consolidation;
pub mod idle_capacity;
mod model_successor;
mod profile;
mod shadow_ai;
#[cfg(test)]
mod testkit;
mod tier_downshift;

pub use profile::{price_profile, ProvisionedCapacity, Seat, UsageProfile};

use crate::ledger::Ledger;
use crate::money;
use crate::pricing::Catalog;
use crate::settings::AnalysisSettings;
use crate::util::Month;
use anyhow::Result;
use rayon::prelude::*;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// How sure a finding is, by the rules each analysis documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

fn cents<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(money::nanos_to_cent_f64(*v as i128))
}

/// One savings opportunity, as `findings.json` publishes it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub provider: String,
    pub scope: String,
    #[serde(serialize_with = "cents", rename = "current_monthly_cost")]
    pub current_monthly_cost_nano: i64,
    #[serde(serialize_with = "cents", rename = "monthly_savings")]
    pub monthly_savings_nano: i64,
    #[serde(serialize_with = "cents", rename = "annual_savings")]
    pub annual_savings_nano: i64,
    pub confidence: Confidence,
    pub evidence: serde_json::Value,
    pub action: String,
    /// The spend this finding acts on, as `provider|workload|model` keys; findings sharing a key
    /// are combined, not added, in the headline.
    pub acts_on: Vec<String>,
    /// Who owns the workload(s) acted on, from the config's `[owners]`.
    pub owner: Option<String>,
    /// `new`, or `open` when the previous month in the history store had the same id; `null`
    /// when the run keeps no history.
    pub status: Option<String>,
}

impl Finding {
    /// Builds a finding with a stable id and savings clamped to `[0, current]`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: &str,
        provider: &str,
        scope: &str,
        title: String,
        current_nano: i64,
        savings_nano: i64,
        confidence: Confidence,
        evidence: serde_json::Value,
        action: String,
        acts_on: Vec<String>,
    ) -> Finding {
        let savings = savings_nano.clamp(0, current_nano.max(0));
        let mut h = Sha256::new();
        h.update(format!("{kind}\u{1f}{provider}\u{1f}{scope}"));
        let id = format!("{:x}", h.finalize())[..16].to_string();
        Finding {
            id,
            kind: kind.to_string(),
            title,
            provider: provider.to_string(),
            scope: scope.to_string(),
            current_monthly_cost_nano: current_nano,
            monthly_savings_nano: savings,
            // Twelve times the monthly figure as shown (whole cents), so the two can be checked
            // against each other by hand.
            annual_savings_nano: (money::nanos_to_cents(savings as i128) as i64)
                .saturating_mul(12)
                .saturating_mul(money::NANO / 100),
            confidence,
            evidence,
            action,
            acts_on,
            owner: None,
            status: None,
        }
    }
}

/// What an analysis may look at: validated settings, the catalog and the ledger's aggregates.
pub struct AnalysisCtx<'a> {
    pub settings: &'a AnalysisSettings,
    pub catalog: &'a Catalog,
    pub month: Month,
    pub ledger: &'a Ledger,
    /// Usage profiles per provider × workload × model × service tier.
    pub profiles: Vec<UsageProfile>,
    /// Billed money per provider × billing account.
    pub billed_by_account: Vec<(String, Option<String>, i64)>,
    /// Billed money and priced usage list cost per provider × model, for the billed/list ratio.
    pub model_money: BTreeMap<(String, String), (i64, i64)>,
    /// Provisioned capacity with the gateway traffic linked to it.
    pub provisioned: Vec<ProvisionedCapacity>,
    /// Every seat of every seat report, with its price and last activity.
    pub seats: Vec<Seat>,
    /// Per-request statistics per workload × model, from the per-request logs.
    pub request_stats: Vec<crate::ledger::RequestStats>,
    /// Every card and expense line (AI purchases on cards and expense reports).
    pub expenses: Vec<crate::ledger::query::ExpenseLine>,
    /// The customer overlay's terms, when the config names one.
    pub overlay_terms: Option<&'a crate::pricing::overlay::Overlay>,
}

impl<'a> AnalysisCtx<'a> {
    pub fn build(
        settings: &'a AnalysisSettings,
        catalog: &'a Catalog,
        month: Month,
        ledger: &'a Ledger,
        overlay_terms: Option<&'a crate::pricing::overlay::Overlay>,
    ) -> Result<Self> {
        let profiles = profile::build_profiles(ledger)?;
        let billed_by_account = profile::billed_by_account(ledger)?;
        let model_money = profile::model_money(ledger, &profiles)?;
        let provisioned = profile::provisioned_capacity(ledger)?;
        let seats = ledger.seat_lines()?;
        let request_stats = ledger.request_stats()?;
        let expenses = ledger.expense_lines()?;
        Ok(AnalysisCtx {
            settings,
            catalog,
            month,
            ledger,
            profiles,
            billed_by_account,
            model_money,
            provisioned,
            seats,
            request_stats,
            expenses,
            overlay_terms,
        })
    }

    /// Billed ÷ list for a provider's model this month, when both are known; this turns a
    /// list-price saving into a saving on what is actually paid (discounts included).
    pub fn billed_ratio(&self, provider: &str, model_id: &str) -> Option<f64> {
        let (billed, list) = *self
            .model_money
            .get(&(provider.to_string(), model_id.to_string()))?;
        (billed > 0 && list > 0).then(|| billed as f64 / list as f64)
    }

    /// Per-request statistics of a workload on a model, when per-request logs cover it.
    pub fn request_stats_for(
        &self,
        workload: &str,
        model_id: &str,
    ) -> Option<&crate::ledger::RequestStats> {
        self.request_stats
            .iter()
            .find(|s| s.workload == workload && s.model_id == model_id)
    }

    /// The `distribution` part of a finding's evidence: p50/p95 output tokens and prompt sizes
    /// per request, or why there are none.
    pub fn distribution_evidence(&self, workload: &str, model_id: &str) -> serde_json::Value {
        match self.request_stats_for(workload, model_id) {
            Some(s) => {
                let mut e = serde_json::json!({
                "source": "per-request gateway or observability log rows (a sample of the workload's traffic when the gateway does not carry all of it)",
                "requests": s.requests,
                "output_tokens_p50": s.output_p50,
                "output_tokens_p95": s.output_p95,
                "prompt_tokens_p50": s.prompt_p50,
                "prompt_tokens_p95": s.prompt_p95,
                "prompt_tokens_max": s.prompt_max,
                });
                if s.sizes_approximate {
                    e["size_precision"] = serde_json::json!("sizes counted in log-spaced buckets (32 per doubling above 64 tokens): percentiles within ±1.6%; the maximum is exact");
                }
                e
            }
            None => serde_json::json!({
                "source": "none: only daily or monthly aggregates cover this workload, so per-request percentiles cannot be computed",
            }),
        }
    }

    /// How a candidate model compares with the current one on public quality references: per
    /// metric both carry, the latest value of each and the difference. Scores of different
    /// metrics or index versions are never compared.
    pub fn quality_delta(&self, current: &str, candidate: &str) -> serde_json::Value {
        let (Some(a), Some(b)) = (self.catalog.model(current), self.catalog.model(candidate))
        else {
            return serde_json::json!({"note": "model not in catalog"});
        };
        let latest = |m: &'a crate::pricing::Model, metric: &str| {
            m.quality
                .iter()
                .filter(|q| q.metric == metric)
                .max_by(|x, y| x.as_of.cmp(&y.as_of))
        };
        let mut metrics: Vec<&str> = b.quality.iter().map(|q| q.metric.as_str()).collect();
        metrics.sort();
        metrics.dedup();
        let shared: Vec<serde_json::Value> = metrics
            .into_iter()
            .filter_map(|metric| {
                let (x, y) = (latest(a, metric)?, latest(b, metric)?);
                Some(serde_json::json!({
                    "metric": metric,
                    "current": x.value,
                    "candidate": y.value,
                    "delta": y.value - x.value,
                    "as_of": [x.as_of, y.as_of],
                    "sources": [x.source, y.source],
                }))
            })
            .collect();
        if shared.is_empty() {
            serde_json::json!({"note": "no public quality reference shared by both models in the catalog; validate on a sample"})
        } else {
            serde_json::Value::Array(shared)
        }
    }

    /// The last day of the audited month: savings re-price at the rates then in force.
    pub fn reference_ms(&self) -> i64 {
        crate::util::day_start_ms(self.month.last_day())
    }
}

/// One savings analysis.
pub trait Analysis: Send + Sync {
    /// Stable snake_case id; also the `kind` of its findings.
    fn id(&self) -> &'static str;
    fn run(&self, ctx: &AnalysisCtx) -> Result<Vec<Finding>>;
}

/// The workloads a finding acts on, from its `provider|workload|model` keys.
pub fn workloads_of(f: &Finding) -> Vec<&str> {
    let mut w: Vec<&str> = f
        .acts_on
        .iter()
        // Capacity and card keys (`provisioned|…`, `seats|…`, `commitment|…`, `expense|…`)
        // name no workload.
        .filter(|k| {
            !["provisioned|", "seats|", "commitment|", "expense|"]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .filter_map(|k| k.split('|').nth(1))
        .collect();
    w.sort();
    w.dedup();
    w
}

/// Names each finding's owner from the config's workload owners; a finding over several
/// workloads lists all their owners.
pub fn assign_owners(
    findings: &mut [Finding],
    owners: &std::collections::BTreeMap<String, String>,
) {
    for f in findings {
        let named: std::collections::BTreeSet<&str> = workloads_of(f)
            .into_iter()
            .filter_map(|w| owners.get(w).map(String::as_str))
            .collect();
        if !named.is_empty() {
            f.owner = Some(named.into_iter().collect::<Vec<_>>().join(", "));
        }
    }
}

/// Every analysis, in report order.
pub fn registry() -> Vec<Box<dyn Analysis>> {
    vec![
        Box::new(tier_downshift::TierDownshift),
        Box::new(model_successor::ModelSuccessor),
        Box::new(consolidation::Consolidation),
        Box::new(idle_capacity::IdleCapacity),
        Box::new(shadow_ai::ShadowAi),
        Box::new(caching::Caching),
        Box::new(batch_eligible::BatchEligible),
        Box::new(billing_discrepancy::BillingDiscrepancy),
        Box::new(anomaly::Anomaly),
    ]
}

/// The result of one analysis run.
pub struct AnalysisRun {
    pub id: &'static str,
    pub result: Result<Vec<Finding>>,
}

/// Runs all analyses in parallel; results come back in registry order.
pub fn run_all(ctx: &AnalysisCtx) -> Vec<AnalysisRun> {
    registry()
        .par_iter()
        .map(|a| AnalysisRun {
            id: a.id(),
            result: a.run(ctx),
        })
        .collect()
}

/// Ranks findings: largest monthly saving first, then by id for a stable order.
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.monthly_savings_nano
            .cmp(&a.monthly_savings_nano)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// Headline savings with overlapping findings combined sequentially, not added: within a
/// group of findings that share spend (`acts_on`), each saving applies only to what the
/// larger ones left. Returns nano-units.
pub fn combined_savings(findings: &[Finding]) -> i64 {
    let n = findings.len();
    let mut group: Vec<usize> = (0..n).collect();
    fn root(g: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while g[r] != r {
            r = g[r];
        }
        g[i] = r;
        r
    }
    for i in 0..n {
        for j in (i + 1)..n {
            if findings[i]
                .acts_on
                .iter()
                .any(|k| findings[j].acts_on.contains(k))
            {
                let (a, b) = (root(&mut group, i), root(&mut group, j));
                group[a] = b;
            }
        }
    }
    let mut clusters: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        let r = root(&mut group, i);
        clusters.entry(r).or_default().push(f);
    }
    let mut total: i128 = 0;
    for (_, mut members) in clusters {
        members.sort_by_key(|f| std::cmp::Reverse(f.monthly_savings_nano));
        let base = members
            .iter()
            .map(|f| f.current_monthly_cost_nano)
            .max()
            .unwrap_or(0) as f64;
        let mut remaining = base;
        for f in members {
            if f.current_monthly_cost_nano <= 0 || remaining <= 0.0 {
                continue;
            }
            let share = f.monthly_savings_nano as f64 / f.current_monthly_cost_nano as f64;
            let s = share * remaining * (f.current_monthly_cost_nano as f64 / base);
            remaining -= s;
            total += s.round() as i128;
        }
    }
    total.min(i64::MAX as i128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn finding(current: i64, savings: i64, keys: &[&str]) -> Finding {
        Finding::new(
            "tier_downshift",
            "openai",
            &format!("{current}-{savings}-{}", keys.join(",")),
            String::new(),
            current,
            savings,
            Confidence::Medium,
            serde_json::json!({}),
            String::new(),
            keys.iter().map(|k| k.to_string()).collect(),
        )
    }

    #[test]
    fn disjoint_findings_add() {
        let f = [finding(100, 40, &["a"]), finding(50, 10, &["b"])];
        assert_eq!(combined_savings(&f), 50);
    }

    #[test]
    fn overlapping_findings_combine_sequentially() {
        // 50% then 50% of the same 100 is 75, not 100.
        let f = [finding(100, 50, &["a"]), finding(100, 50, &["a"])];
        assert_eq!(combined_savings(&f), 75);
    }

    #[test]
    fn annual_is_twelve_times_the_monthly_figure_shown() {
        // $59.625 a month shows as $59.63; the year is 12 × 59.63, not 12 × 59.625.
        let f = finding(100_000_000_000, 59_625_000_000, &["a"]);
        assert_eq!(f.annual_savings_nano, 715_560_000_000);
    }

    #[test]
    fn savings_are_clamped_to_cost() {
        let f = finding(100, 500, &["a"]);
        assert_eq!(f.monthly_savings_nano, 100);
        assert_eq!(finding(100, -5, &["a"]).monthly_savings_nano, 0);
    }

    proptest! {
        #[test]
        fn combined_never_exceeds_spend_or_sum(
            items in proptest::collection::vec((1i64..1_000_000_000, 0i64..1_000_000_000, 0usize..4), 0..12)
        ) {
            let keys = ["a", "b", "c", "d"];
            let fs: Vec<Finding> = items.iter().map(|(c, s, k)| finding(*c, *s, &[keys[*k]])).collect();
            let combined = combined_savings(&fs) as i128;
            let sum: i128 = fs.iter().map(|f| f.monthly_savings_nano as i128).sum();
            let mut spend_by_key = std::collections::HashMap::new();
            for f in &fs {
                let e = spend_by_key.entry(f.acts_on[0].clone()).or_insert(0i128);
                *e = (*e).max(f.current_monthly_cost_nano as i128);
            }
            let spend: i128 = spend_by_key.values().sum();
            prop_assert!(combined <= sum + fs.len() as i128);
            prop_assert!(combined <= spend + fs.len() as i128);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
        /// Over random ledgers (workloads on random models and tiers, random token mixes, some
        /// declared offline), every analysis's saving stays within the spend it acts on, and
        /// the headline never adds up findings on the same spend.
        #[test]
        fn savings_stay_within_spend_on_random_ledgers(
            workloads in proptest::collection::vec(
                (0usize..8, 1e5f64..5e8, 0f64..0.9, 1e3f64..5e7, proptest::option::of(1e2f64..1e6), any::<bool>()),
                1..6,
            )
        ) {
            use crate::ledger::ServiceTier;
            const MODELS: [&str; 8] = ["gpt-4.1", "gpt-4o", "gpt-5", "gpt-4.1-mini", "o3", "claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"];
            let mut rows = Vec::new();
            let mut s = testkit::settings();
            for (i, (m, input, cached_share, output, requests, offline)) in workloads.iter().enumerate() {
                let model = MODELS[*m];
                let provider = if model.starts_with("claude") { "anthropic" } else { "openai" };
                let name = format!("w{i}");
                if *offline {
                    s.offline_workloads.push(name.clone());
                }
                rows.extend(testkit::month_of_usage(
                    provider,
                    &name,
                    model,
                    ServiceTier::Standard,
                    (input * (1.0 - cached_share), input * cached_share, *output, *requests),
                ));
            }
            let findings = testkit::run_all(rows, &s);
            for f in &findings {
                prop_assert!(f.monthly_savings_nano >= 0);
                prop_assert!(f.monthly_savings_nano <= f.current_monthly_cost_nano, "{f:?}");
            }
            let combined = combined_savings(&findings) as i128;
            let sum: i128 = findings.iter().map(|f| f.monthly_savings_nano as i128).sum();
            prop_assert!(combined <= sum + findings.len() as i128);
            // Findings on one workload's spend never save more than that spend in total.
            let mut by_key: BTreeMap<&str, (i128, i64)> = BTreeMap::new();
            for f in &findings {
                for k in &f.acts_on {
                    let e = by_key.entry(k.as_str()).or_default();
                    e.1 = e.1.max(f.current_monthly_cost_nano);
                }
            }
            let spend: i128 = by_key.values().map(|(_, c)| *c as i128).sum();
            prop_assert!(combined <= spend + findings.len() as i128, "{combined} > {spend}");
        }
    }
}
