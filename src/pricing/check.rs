//! `spend-audit pricing check` and `pricing show`: the catalog's own health, and one model's
//! price explained. Load-time validation (overlapping periods, a name meaning two models at
//! once, sources, cached ≤ input, batch ≤ standard, known platforms and region classes) already
//! runs in [`super::Catalog::from_files`]; these are the checks that depend on a date: every
//! SKU of a model that is not retired has a price in force today.

use super::{rate_for, Catalog, Resolution};
use crate::ledger::{CacheTtl, ChargeKind, ServiceTier};
use chrono::NaiveDate;
use std::fmt::Write;

/// A rate with at least two decimals and no trailing zeros beyond them: `2.50`, `0.075`.
fn money_text(r: rust_decimal::Decimal) -> String {
    let mut r = r.normalize();
    if r.scale() < 2 {
        r.rescale(2);
    }
    r.to_string()
}

/// Problems that make the catalog unfit to price `today`'s usage.
pub fn check(catalog: &Catalog, today: NaiveDate) -> Vec<String> {
    let ms = crate::util::day_start_ms(today);
    let mut problems = Vec::new();
    for m in catalog.models() {
        if m.lifecycle == "retired" {
            continue;
        }
        for pid in m.all_platforms() {
            let Some(platform) = catalog.platform(pid) else {
                continue;
            };
            for rc in &platform.regions {
                if let Err(e) = catalog.sku_price(m, Some(pid), Some(&rc.id), ms) {
                    problems.push(format!(
                        "model `{}` is `{}` but {e}; add a period or set `lifecycle = \"retired\"`",
                        m.id, m.lifecycle
                    ));
                }
            }
        }
    }
    problems.dedup();
    problems
}

/// A human explanation of how `name` resolves and what it costs on `at`.
pub fn show(
    catalog: &Catalog,
    name: &str,
    at: NaiveDate,
    platform: Option<&str>,
) -> Result<String, String> {
    let at_ms = crate::util::day_start_ms(at);
    let (model_id, rule, hints) = match catalog.resolve(name, at_ms) {
        Resolution::Found {
            model_id,
            rule,
            hints,
        } => (model_id, rule, hints),
        Resolution::Unknown => {
            return Err(format!(
                "`{name}` is not in catalog `{}`; usage of it is reported as unpriced",
                catalog.release
            ))
        }
        Resolution::Ambiguous(ids) => {
            return Err(format!("`{name}` is ambiguous: {}", ids.join(", ")))
        }
    };
    let model = catalog.model(&model_id).expect("resolved ids exist");
    let mut o = String::new();
    let _ = writeln!(
        o,
        "`{name}` → {model_id} ({rule}); catalog {}",
        catalog.release
    );
    let _ = writeln!(
        o,
        "family {}, tier {}, lifecycle {}",
        model.family,
        model.tier.as_str(),
        model.lifecycle
    );
    if let Some(cw) = model.context_window {
        let _ = writeln!(o, "context window {cw} tokens");
    }
    for q in &model.quality {
        let _ = writeln!(
            o,
            "quality: {} {} (as of {}; {})",
            q.metric, q.value, q.as_of, q.source
        );
    }
    let platform = platform.or(hints.platform.as_deref());
    let sku = match catalog.sku_price(model, platform, hints.region.as_deref(), at_ms) {
        Ok(sku) => sku,
        Err(e) => {
            let _ = writeln!(o, "{e}");
            return Ok(o);
        }
    };
    let _ = writeln!(o, "SKU {}: {}", sku.sku_id, sku.how);
    let period = &sku.period;
    let _ = writeln!(
        o,
        "price period `{}`: from {} to {} ({}); sources: {}",
        period.id,
        period.from,
        period
            .to
            .map(|d| d.to_string())
            .unwrap_or_else(|| "open".into()),
        format!("{:?}", period.status).to_ascii_lowercase(),
        period.sources.join("; ")
    );
    for (label, kind, ttl) in [
        ("input", ChargeKind::Input, None),
        ("cached input", ChargeKind::CachedInput, None),
        (
            "cache write 5m",
            ChargeKind::CacheWrite,
            Some(CacheTtl::FiveMinutes),
        ),
        (
            "cache write 1h",
            ChargeKind::CacheWrite,
            Some(CacheTtl::OneHour),
        ),
        ("output", ChargeKind::Output, None),
    ] {
        let tiers: Vec<String> = [
            ServiceTier::Standard,
            ServiceTier::Batch,
            ServiceTier::Flex,
            ServiceTier::Priority,
        ]
        .into_iter()
        .filter_map(|t| {
            rate_for(period, kind, ttl, t, false)
                .ok()
                .map(|(r, _)| format!("{} {}", t.as_str(), money_text(r)))
        })
        .collect();
        let shown = if tiers.is_empty() {
            "—".to_string()
        } else {
            tiers.join(", ")
        };
        let _ = writeln!(
            o,
            "  {label:<15} {shown} {} per 1M tokens",
            catalog.currency
        );
    }
    if let Some(lc) = &period.long_context {
        let _ = writeln!(
            o,
            "  long context: a request with more than {} prompt tokens is priced whole at input {}, output {}{}",
            lc.above,
            money_text(lc.input),
            money_text(lc.output),
            lc.cached_input
                .map(|c| format!(", cached input {}", money_text(c)))
                .unwrap_or_default()
        );
    }
    if let Some(note) = &period.note {
        let _ = writeln!(o, "note: {note}");
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalog_passes_its_check() {
        let catalog = Catalog::embedded().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(check(&catalog, today), Vec::<String>::new());
    }

    #[test]
    fn a_model_without_a_current_price_fails_the_check() {
        let files = vec![
            ("catalog.toml".to_string(), "schema_version = 2\nrelease = \"t\"\ncurrency = \"USD\"\n[[platforms]]\nid = \"v-api\"\nlabel = \"V\"\ndefault_region = \"global\"\nregions = [{ id = \"global\", multiplier = \"1\", sources = [\"s\"] }]\n".to_string()),
            (
                "v.toml".to_string(),
                "vendor = \"v\"\nhome = \"v-api\"\n[[models]]\nid = \"v/m\"\nfamily = \"m\"\ntier = \"mid\"\n[[models.prices]]\nid = \"a\"\nfrom = \"2025-01-01\"\nto = \"2025-06-01\"\nstatus = \"active\"\nsources = [\"s\"]\ninput = \"1\"\noutput = \"2\"\n".to_string(),
            ),
        ];
        let catalog = Catalog::from_files(&files).unwrap();
        let problems = check(&catalog, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("`v/m`"));
    }

    #[test]
    fn show_explains_a_dated_snapshot() {
        let catalog = Catalog::embedded().unwrap();
        let text = show(
            &catalog,
            "gpt-4o-2024-08-06",
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            None,
        )
        .unwrap();
        assert!(
            text.starts_with("`gpt-4o-2024-08-06` → openai/gpt-4o (date suffix stripped)"),
            "{text}"
        );
        assert!(text.contains("standard 2.50, batch 1.25"), "{text}");
        assert!(show(
            &catalog,
            "no-such-model",
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            None
        )
        .is_err());
    }
}
