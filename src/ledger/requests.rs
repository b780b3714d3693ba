//! Per-request statistics without per-request rows: counts per size, per workload × model × day.
//!
//! The ledger holds request-log traffic at an hourly grain, so the p50/p95 evidence cannot be
//! read off its rows. Instead output lines carry size counts ([`RequestHist`]): a columnar
//! request log puts a whole day's counts for one key (with its requests per hour) on one of
//! that day's output lines and an empty count on the others; once the line has its workload
//! and catalog model, the builder folds them in here. Memory follows the number of distinct sizes, not of requests. A
//! row-by-row source (a JSONL payload log, a test ledger) adds its output lines one request at
//! a time, so both paths give the same statistics.

use super::{ChargeKind, LedgerRow, RequestStats};
use std::collections::BTreeMap;

const MS_PER_DAY: i64 = 86_400_000;

/// Size counts of one workload × model on one day.
#[derive(Debug, Clone, Default)]
struct DayHist {
    /// f64 bits of a non-negative size (their order is the numeric order) → requests.
    output: BTreeMap<u64, u64>,
    prompt: BTreeMap<u64, u64>,
    hourly: [u64; 24],
    requests: u64,
    prompt_max: f64,
    approximate: bool,
}

/// Request sizes per (workload, catalog model) and UTC day.
#[derive(Debug, Clone, Default)]
pub struct RequestProfile {
    days: BTreeMap<(String, String), BTreeMap<i64, DayHist>>,
}

fn key_of(v: f64) -> u64 {
    // -0.0 and 0.0 are one size.
    if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

/// Nearest-rank quantile of a size histogram (0 for none).
fn quantile(hist: &BTreeMap<u64, u64>, total: u64, q: f64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let rank = ((q * total as f64).ceil().max(1.0) as u64).min(total);
    let mut seen = 0;
    for (bits, n) in hist {
        seen += n;
        if seen >= rank {
            return f64::from_bits(*bits);
        }
    }
    0.0
}

impl RequestProfile {
    /// Folds in one priced ledger line: an output line of per-request data (its whole prompt
    /// known) with a catalog model. Other lines are ignored.
    pub fn add(&mut self, r: &LedgerRow) {
        if r.charge_kind != ChargeKind::Output {
            return;
        }
        let (Some(prompt), Some(model)) = (r.prompt_tokens, r.model_id.as_deref()) else {
            return;
        };
        let workload = r.workload.as_deref().unwrap_or("unattributed");
        let day = r.period_start_ms.div_euclid(MS_PER_DAY);
        let hour = (r.period_start_ms.rem_euclid(MS_PER_DAY) / 3_600_000) as usize;
        let h = self
            .days
            .entry((workload.to_string(), model.to_string()))
            .or_default()
            .entry(day)
            .or_default();
        match &r.request_hist {
            Some(g) => {
                for (v, n) in &g.output {
                    *h.output.entry(key_of(*v)).or_default() += n;
                }
                for (v, n) in &g.prompt {
                    *h.prompt.entry(key_of(*v)).or_default() += n;
                }
                match &g.hourly {
                    Some(by_hour) => {
                        for (total, n) in h.hourly.iter_mut().zip(by_hour) {
                            *total += n;
                        }
                    }
                    None => h.hourly[hour] += g.requests,
                }
                h.requests += g.requests;
                h.prompt_max = h.prompt_max.max(g.prompt_max);
                h.approximate |= g.approximate;
            }
            None => {
                *h.output.entry(key_of(r.quantity)).or_default() += 1;
                *h.prompt.entry(key_of(prompt)).or_default() += 1;
                h.hourly[hour] += 1;
                h.requests += 1;
                h.prompt_max = h.prompt_max.max(prompt);
            }
        }
    }

    /// The days in `[start_ms, end_ms)` only (the audited month).
    pub fn restrict(&self, start_ms: i64, end_ms: i64) -> RequestProfile {
        let (first, end) = (
            start_ms.div_euclid(MS_PER_DAY),
            end_ms.div_euclid(MS_PER_DAY),
        );
        let days = self
            .days
            .iter()
            .filter_map(|(k, by_day)| {
                let kept: BTreeMap<i64, DayHist> = by_day
                    .range(first..end)
                    .map(|(d, h)| (*d, h.clone()))
                    .collect();
                (!kept.is_empty()).then(|| (k.clone(), kept))
            })
            .collect();
        RequestProfile { days }
    }

    /// Statistics per (workload, model), sorted by both.
    pub fn stats(&self) -> Vec<RequestStats> {
        self.days
            .iter()
            .map(|((workload, model_id), by_day)| {
                let mut all = DayHist::default();
                for h in by_day.values() {
                    for (k, n) in &h.output {
                        *all.output.entry(*k).or_default() += n;
                    }
                    for (k, n) in &h.prompt {
                        *all.prompt.entry(*k).or_default() += n;
                    }
                    for (a, b) in all.hourly.iter_mut().zip(h.hourly) {
                        *a += b;
                    }
                    all.requests += h.requests;
                    all.prompt_max = all.prompt_max.max(h.prompt_max);
                    all.approximate |= h.approximate;
                }
                RequestStats {
                    workload: workload.clone(),
                    model_id: model_id.clone(),
                    requests: all.requests,
                    output_p50: quantile(&all.output, all.requests, 0.50),
                    output_p95: quantile(&all.output, all.requests, 0.95),
                    prompt_p50: quantile(&all.prompt, all.requests, 0.50),
                    prompt_p95: quantile(&all.prompt, all.requests, 0.95),
                    prompt_max: all.prompt_max,
                    hourly: all.hourly,
                    sizes_approximate: all.approximate,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{RecordRole, RequestHist};
    use std::sync::Arc;

    fn output_line(qty: f64, prompt: f64, hist: Option<RequestHist>) -> LedgerRow {
        let mut r = LedgerRow::new(
            "openai",
            RecordRole::Gateway,
            ChargeKind::Output,
            1_790_812_800_000 + 3_600_000 * 9,
            1_790_812_800_000 + 3_600_000 * 9,
            "log.csv",
            2,
        );
        r.quantity = qty;
        r.prompt_tokens = Some(prompt);
        r.model_id = Some("gpt-4.1".into());
        r.workload = Some("support".into());
        r.request_hist = hist.map(Arc::new);
        r
    }

    #[test]
    fn counts_give_the_same_quantiles_as_the_requests() {
        // Ten requests one by one, and the same ten as one aggregated line.
        let outputs = [5.0, 1.0, 9.0, 3.0, 3.0, 7.0, 2.0, 8.0, 100.0, 4.0];
        let mut one_by_one = RequestProfile::default();
        for (i, o) in outputs.iter().enumerate() {
            one_by_one.add(&output_line(*o, 1000.0 + i as f64, None));
        }
        let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
        for o in outputs {
            *counts.entry(o.to_bits()).or_default() += 1;
        }
        let hist = RequestHist {
            output: counts
                .iter()
                .map(|(b, n)| (f64::from_bits(*b), *n))
                .collect(),
            prompt: (0..10).map(|i| (1000.0 + i as f64, 1)).collect(),
            requests: 10,
            prompt_max: 1009.0,
            approximate: false,
            hourly: None,
        };
        let mut grouped = RequestProfile::default();
        grouped.add(&output_line(outputs.iter().sum(), 1009.0, Some(hist)));
        let (a, b) = (one_by_one.stats(), grouped.stats());
        assert_eq!(a, b);
        assert_eq!(a[0].output_p50, 4.0);
        assert_eq!(a[0].output_p95, 100.0);
        assert_eq!(a[0].prompt_max, 1009.0);
        assert_eq!(a[0].hourly[9], 10);
    }

    #[test]
    fn restrict_keeps_the_audited_days_only() {
        let mut p = RequestProfile::default();
        p.add(&output_line(5.0, 10.0, None));
        let day = 1_790_812_800_000;
        assert_eq!(p.restrict(day, day + MS_PER_DAY).stats().len(), 1);
        assert!(p
            .restrict(day + MS_PER_DAY, day + 2 * MS_PER_DAY)
            .stats()
            .is_empty());
    }
}
